package stripepay

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/jobs"
	"github.com/jishi-dev/jishi/core/payment"
	"github.com/stripe/stripe-go/v76"
	"github.com/uptrace/bun"
)

var errNoRows = sql.ErrNoRows

// Intent statuses.
const (
	IntentPending   = "pending"
	IntentSucceeded = "succeeded"
	IntentFailed    = "failed"
	IntentCanceled  = "canceled"
)

// Intent kinds.
const (
	KindCheckout = "checkout"
	KindTopUp    = "topup"
)

// Intent is a PaymentIntent we created.
type Intent struct {
	bun.BaseModel `bun:"table:stripe_intents,alias:sti"`

	TenantID  string    `bun:"tenant_id,pk" json:"-"`
	ID        string    `bun:"id,pk" json:"id"`
	Kind      string    `bun:"kind,notnull" json:"kind"`
	PaymentID *string   `bun:"payment_id" json:"payment_id,omitempty"`
	UserID    *string   `bun:"user_id" json:"user_id,omitempty"`
	AmountFen int64     `bun:"amount_fen,notnull" json:"amount_fen"`
	Currency  string    `bun:"currency,notnull" json:"currency"`
	Status    string    `bun:"status,notnull" json:"status"`
	ChargeID  string    `bun:"charge_id,notnull" json:"-"`
	LastError string    `bun:"last_error,notnull" json:"last_error,omitempty"`
	CreatedAt time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt time.Time `bun:"updated_at,notnull" json:"updated_at"`
}

var (
	errNotConfigured = core.Errorf(core.Conflict, "stripe.error.not_configured")
	errNotFound      = core.Errorf(core.NotFound, "error.not_found")
)

// Provider is the payment provider "stripe".
type Provider struct{ s *Service }

// Name implements payment.Provider.
func (*Provider) Name() string { return ProviderName }

// Pay implements payment.Provider: it creates the group's PaymentIntent
// (idempotency key from the payment's id) and answers pending with the
// client secret for Stripe.js; the payment settles on the
// payment_intent.succeeded webhook. When the checkout's transaction rolls
// back, the intent is cancelled.
func (pr *Provider) Pay(ctx context.Context, tx bun.IDB, p *payment.Payment) (string, error) {
	s := pr.s
	keys, err := s.KeysFor(ctx, tx)
	if err != nil {
		return "", err
	}
	if !keys.Usable() {
		return "", errNotConfigured
	}
	it, secret, err := s.createIntent(ctx, tx, keys, KindCheckout, p.AmountFen, p.ID, p.User(), p.GroupRef, idem(ctx, "pi", p.ID))
	if err != nil {
		return "", err
	}
	p.ProviderRef = it.ID
	p.ClientData = map[string]string{"client_secret": secret, "publishable_key": keys.Publishable, "intent": it.ID}
	return payment.StatusPending, nil
}

// createIntent creates a PaymentIntent and records it in tx; a rollback
// of tx cancels it at Stripe.
func (s *Service) createIntent(ctx context.Context, tx bun.IDB, keys Keys, kind string, amount int64, paymentID, userID, group, key string) (*Intent, string, error) {
	cur := currency(ctx)
	params := &stripe.PaymentIntentParams{
		Amount:             stripe.Int64(amount),
		Currency:           stripe.String(cur),
		PaymentMethodTypes: stripe.StringSlice(keys.Methods),
	}
	if group != "" {
		params.TransferGroup = stripe.String(group)
	}
	for _, m := range keys.Methods {
		if m == "wechat_pay" {
			params.PaymentMethodOptions = &stripe.PaymentIntentPaymentMethodOptionsParams{
				WeChatPay: &stripe.PaymentIntentPaymentMethodOptionsWeChatPayParams{Client: stripe.String("web")},
			}
		}
	}
	md := metadata(ctx, "kind", kind)
	if paymentID != "" {
		md["payment_id"] = paymentID
	}
	if userID != "" {
		md["user_id"] = userID
	}
	params.Metadata = md
	params.SetIdempotencyKey(key)
	pi, err := s.client(keys.Secret).PaymentIntents.New(params)
	if err != nil {
		return nil, "", stripeErr("create payment intent", err)
	}
	now := s.now().UTC()
	it := &Intent{TenantID: db.TenantID(ctx), ID: pi.ID, Kind: kind, AmountFen: amount, Currency: cur,
		Status: IntentPending, CreatedAt: now, UpdatedAt: now}
	if paymentID != "" {
		it.PaymentID = &paymentID
	}
	if userID != "" {
		it.UserID = &userID
	}
	if _, err := tx.NewInsert().Model(it).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return nil, "", fmt.Errorf("record payment intent: %w", err)
	}
	secret, id := keys.Secret, pi.ID
	db.AfterRollback(ctx, func() {
		cp := &stripe.PaymentIntentCancelParams{}
		cp.SetIdempotencyKey(key + "-cancel")
		if _, err := s.client(secret).PaymentIntents.Cancel(id, cp); err != nil {
			s.Logger.Warn("cancel payment intent of a rolled-back checkout", "intent", id, "error", redact(err.Error()))
		}
	})
	return it, pi.ClientSecret, nil
}

// Refund implements payment.Provider: it records the refund of amountFen
// of the payment's intent in tx and queues the call to Stripe, which a job
// makes once tx commits (idempotency key from ref). The money thus leaves
// only for a refund the marketplace has booked: a refund whose
// transaction rolls back never reaches Stripe. Reversing the shop's
// transfer is ReverseShare's, once the ledger knows the shop's share.
func (pr *Provider) Refund(ctx context.Context, tx bun.IDB, p *payment.Payment, orderID string, amountFen int64, ref string) error {
	s := pr.s
	it, err := s.intentOf(ctx, tx, p.ID)
	if err != nil {
		return err
	}
	if it.Status != IntentSucceeded {
		return core.Errorf(core.Conflict, "payment.error.state")
	}
	now := s.now().UTC()
	row := &Refund{TenantID: db.TenantID(ctx), Ref: ref, IntentID: it.ID, OrderID: orderID, AmountFen: amountFen,
		Status: RefundQueued, CreatedAt: now, UpdatedAt: now}
	if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
		return fmt.Errorf("record refund: %w", err)
	}
	_, err = s.Jobs.Enqueue(ctx, tx, RefundArgs{TenantID: row.TenantID, Ref: ref}, &jobs.Opts{MaxAttempts: 10})
	return err
}

// RefundQueued is the status of a refund not yet sent to Stripe; after,
// it is Stripe's (succeeded, pending, failed, …).
const RefundQueued = "queued"

// RefundArgs is the job sending a booked refund to Stripe.
type RefundArgs struct {
	TenantID string `json:"tenant_id"`
	Ref      string `json:"ref"`
}

// Kind implements jobs.Args.
func (RefundArgs) Kind() string { return "stripe.refund" }

// refund sends booked refund a.Ref to Stripe, once.
func (s *Service) refund(ctx context.Context, a RefundArgs) error {
	var keys Keys
	row := new(Refund)
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var err error
		if keys, err = s.KeysFor(ctx, tx); err != nil {
			return err
		}
		return tx.NewSelect().Model(row).Where("str.tenant_id = ?", db.TenantID(ctx)).Where("str.ref = ?", a.Ref).Scan(ctx)
	})
	if err != nil {
		return db.NotFound(err, errNotFound)
	}
	if row.RefundID != "" {
		return nil
	}
	if keys.Secret == "" {
		return errNotConfigured
	}
	params := &stripe.RefundParams{
		PaymentIntent: stripe.String(row.IntentID),
		Amount:        stripe.Int64(row.AmountFen),
		Metadata:      metadata(ctx, "order_id", row.OrderID, "refund_ref", row.Ref),
	}
	params.SetIdempotencyKey(idem(ctx, "re", row.Ref))
	re, err := s.client(keys.Secret).Refunds.New(params)
	if err != nil {
		return stripeErr("refund", err)
	}
	return s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.NewUpdate().Model(row).Set("refund_id = ?", re.ID).Set("status = ?", string(re.Status)).
			Set("updated_at = ?", s.now().UTC()).WherePK().Exec(ctx)
		return err
	})
}

// Refund is a refund we asked Stripe for.
type Refund struct {
	bun.BaseModel `bun:"table:stripe_refunds,alias:str"`

	TenantID  string    `bun:"tenant_id,pk"`
	Ref       string    `bun:"ref,pk"`
	IntentID  string    `bun:"intent_id,notnull"`
	OrderID   string    `bun:"order_id,notnull"`
	RefundID  string    `bun:"refund_id,notnull"`
	AmountFen int64     `bun:"amount_fen,notnull"`
	Status    string    `bun:"status,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
	UpdatedAt time.Time `bun:"updated_at,notnull"`
}

// intentOf returns the checkout intent of payment paymentID.
func (s *Service) intentOf(ctx context.Context, idb bun.IDB, paymentID string) (*Intent, error) {
	it := new(Intent)
	err := idb.NewSelect().Model(it).Where("sti.tenant_id = ?", db.TenantID(ctx)).Where("sti.payment_id = ?", paymentID).
		Order("sti.created_at DESC").Limit(1).Scan(ctx)
	if err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return it, nil
}

// intent returns intent id of the tenant (locked on PostgreSQL).
func (s *Service) intent(ctx context.Context, idb bun.IDB, id string) (*Intent, error) {
	it := new(Intent)
	q := idb.NewSelect().Model(it).Where("sti.tenant_id = ?", db.TenantID(ctx)).Where("sti.id = ?", id)
	if s.DB.Engine == db.Postgres {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return it, nil
}

// ClientSecret returns what the browser of shopper userID needs to
// confirm the pending intent of payment paymentID: the client secret and
// publishable key, read from Stripe (never stored). NotFound unless the
// payment is the shopper's and pending through Stripe.
func (s *Service) ClientSecret(ctx context.Context, idb bun.IDB, userID, paymentID string) (*Checkout, error) {
	p, err := s.Payments.Get(ctx, idb, paymentID)
	if err != nil {
		return nil, err
	}
	if p.Provider != ProviderName || p.User() != userID || userID == "" {
		return nil, errNotFound
	}
	it, err := s.intentOf(ctx, idb, p.ID)
	if err != nil {
		return nil, err
	}
	return s.checkoutOf(ctx, idb, it)
}

// Checkout is what Stripe.js needs to confirm an intent.
type Checkout struct {
	IntentID       string   `json:"intent_id"`
	Status         string   `json:"status"`
	AmountFen      int64    `json:"amount_fen"`
	Currency       string   `json:"currency"`
	ClientSecret   string   `json:"client_secret,omitempty"`
	PublishableKey string   `json:"publishable_key,omitempty"`
	Methods        []string `json:"methods"`
	LastError      string   `json:"last_error,omitempty"`
}

func (s *Service) checkoutOf(ctx context.Context, idb bun.IDB, it *Intent) (*Checkout, error) {
	keys, err := s.KeysFor(ctx, idb)
	if err != nil {
		return nil, err
	}
	out := &Checkout{IntentID: it.ID, Status: it.Status, AmountFen: it.AmountFen, Currency: it.Currency,
		Methods: keys.Methods, LastError: it.LastError}
	if it.Status != IntentPending {
		return out, nil
	}
	if !keys.Usable() {
		return nil, errNotConfigured
	}
	pi, err := s.client(keys.Secret).PaymentIntents.Get(it.ID, nil)
	if err != nil {
		return nil, stripeErr("read payment intent", err)
	}
	out.ClientSecret, out.PublishableKey = pi.ClientSecret, keys.Publishable
	return out, nil
}
