package stripepay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/jobs"
	"github.com/jishi-dev/jishi/core/payment"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
	"github.com/uptrace/bun"
)

// Event is a webhook event as received.
type Event struct {
	bun.BaseModel `bun:"table:stripe_events,alias:ste"`

	TenantID    string     `bun:"tenant_id,pk" json:"-"`
	ID          string     `bun:"id,pk" json:"id"`
	Type        string     `bun:"type,notnull" json:"type"`
	Account     string     `bun:"account,notnull" json:"account,omitempty"`
	Created     time.Time  `bun:"created,notnull" json:"created"`
	Payload     string     `bun:"payload,notnull" json:"-"`
	ReceivedAt  time.Time  `bun:"received_at,notnull" json:"received_at"`
	ProcessedAt *time.Time `bun:"processed_at" json:"processed_at,omitempty"`
	Result      string     `bun:"result,notnull" json:"result"`
}

// EventArgs is the job processing a stored event.
type EventArgs struct {
	TenantID string `json:"tenant_id"`
	EventID  string `json:"event_id"`
}

// Kind implements jobs.Args.
func (EventArgs) Kind() string { return "stripe.event" }

// Results of receiving a webhook.
var (
	ErrSignature     = core.Errorf(core.Invalid, "stripe.error.signature")
	ErrNotConfigured = errNotConfigured
)

// Receive verifies a webhook delivery to the tenant of ctx (signature on
// the raw body, 300-second tolerance) and stores its event for
// processing, once: a delivery of an event already stored changes
// nothing. It answers whether the event was new. An event about another
// tenant's objects (their metadata name another tenant) is acknowledged
// and not stored. Invalid stripe.error.signature for a bad or old
// signature.
func (s *Service) Receive(ctx context.Context, body []byte, sigHeader string) (bool, error) {
	keys, err := s.webhookKeys(ctx)
	if err != nil {
		return false, err
	}
	if keys.Webhook == "" {
		return false, errNotConfigured
	}
	ev, err := webhook.ConstructEventWithOptions(body, sigHeader, keys.Webhook,
		webhook.ConstructEventOptions{Tolerance: Tolerance, IgnoreAPIVersionMismatch: true})
	if err != nil {
		return false, &core.Error{Code: core.Invalid, Message: "stripe.error.signature", Err: err}
	}
	if ev.ID == "" || ev.Type == "" || ev.Data == nil {
		return false, &core.Error{Code: core.Invalid, Message: "stripe.error.signature", Err: errors.New("event without id, type or data")}
	}
	var obj struct {
		Metadata map[string]string `json:"metadata"`
	}
	_ = json.Unmarshal(ev.Data.Raw, &obj)
	if t := obj.Metadata["tenant_id"]; t != "" && t != db.TenantID(ctx) {
		s.Logger.Warn("stripe event for another tenant ignored", "event", ev.ID, "type", ev.Type)
		return false, nil
	}
	now := s.now().UTC()
	e := &Event{TenantID: db.TenantID(ctx), ID: ev.ID, Type: string(ev.Type), Account: ev.Account,
		Created: time.Unix(ev.Created, 0).UTC(), Payload: string(body), ReceivedAt: now}
	fresh := false
	err = s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		res, err := tx.NewInsert().Model(e).On("CONFLICT DO NOTHING").Exec(ctx)
		if err != nil {
			return fmt.Errorf("store stripe event: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		fresh = true
		_, err = s.Jobs.Enqueue(ctx, tx, EventArgs{TenantID: e.TenantID, EventID: e.ID}, &jobs.Opts{MaxAttempts: 10})
		return err
	})
	return fresh, err
}

// keysTTL is how long the webhook keeps a tenant's keys (Save forgets
// them at once on this instance).
const keysTTL = 10 * time.Second

type cachedKeys struct {
	keys Keys
	at   time.Time
}

// webhookKeys returns the keys of the tenant of ctx, cached for keysTTL.
func (s *Service) webhookKeys(ctx context.Context) (Keys, error) {
	tid := db.TenantID(ctx)
	if c, ok := s.keys.Load(tid); ok && s.now().Sub(c.(cachedKeys).at) < keysTTL {
		return c.(cachedKeys).keys, nil
	}
	var keys Keys
	if err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var err error
		keys, err = s.KeysFor(ctx, tx)
		return err
	}); err != nil {
		return Keys{}, err
	}
	s.keys.Store(tid, cachedKeys{keys, s.now()})
	return keys, nil
}

func (s *Service) registerJobs() {
	jobs.Handle(s.Jobs, func(ctx context.Context, j jobs.Job[EventArgs]) error {
		ctx, err := s.tenantCtx(ctx, j.Args.TenantID)
		if err != nil {
			return err
		}
		return s.Process(ctx, j.Args.EventID)
	})
	jobs.Handle(s.Jobs, func(ctx context.Context, j jobs.Job[TransferArgs]) error {
		ctx, err := s.tenantCtx(ctx, j.Args.TenantID)
		if err != nil {
			return err
		}
		return s.transfer(ctx, j.Args)
	})
	jobs.Handle(s.Jobs, func(ctx context.Context, j jobs.Job[ReverseArgs]) error {
		ctx, err := s.tenantCtx(ctx, j.Args.TenantID)
		if err != nil {
			return err
		}
		return s.reverse(ctx, j.Args)
	})
	jobs.Handle(s.Jobs, func(ctx context.Context, j jobs.Job[PayoutArgs]) error {
		ctx, err := s.tenantCtx(ctx, j.Args.TenantID)
		if err != nil {
			return err
		}
		return s.payout(ctx, j.Args)
	})
	jobs.Handle(s.Jobs, func(ctx context.Context, j jobs.Job[RefundArgs]) error {
		ctx, err := s.tenantCtx(ctx, j.Args.TenantID)
		if err != nil {
			return err
		}
		return s.refund(ctx, j.Args)
	})
	jobs.Handle(s.Jobs, func(ctx context.Context, j jobs.Job[VoidArgs]) error {
		ctx, err := s.tenantCtx(ctx, j.Args.TenantID)
		if err != nil {
			return err
		}
		return s.voidInvoice(ctx, j.Args)
	})
	jobs.Handle(s.Jobs, func(ctx context.Context, j jobs.Job[CollectArgs]) error {
		ctx, err := s.tenantCtx(ctx, j.Args.TenantID)
		if err != nil {
			return err
		}
		return s.collect(ctx, j.Args)
	})
	jobs.Handle(s.Jobs, func(ctx context.Context, j jobs.Job[LateRefundArgs]) error {
		ctx, err := s.tenantCtx(ctx, j.Args.TenantID)
		if err != nil {
			return err
		}
		return s.lateRefund(ctx, j.Args)
	})
}

func (s *Service) tenantCtx(ctx context.Context, id string) (context.Context, error) {
	t, err := tenants.ByID(ctx, s.DB.DB, id)
	if err != nil {
		return nil, fmt.Errorf("tenant %s: %w", id, err)
	}
	return tenants.WithTenant(ctx, t), nil
}

// Process applies stored event id of the tenant of ctx, once: the event is
// marked processed in the transaction that applies it, so a second run
// (a retried job, a duplicate) changes nothing.
func (s *Service) Process(ctx context.Context, id string) error {
	return s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		e := new(Event)
		q := tx.NewSelect().Model(e).Where("ste.tenant_id = ?", db.TenantID(ctx)).Where("ste.id = ?", id).Where("ste.processed_at IS NULL")
		if s.DB.Engine == db.Postgres {
			q = q.For("UPDATE SKIP LOCKED")
		}
		if err := q.Scan(ctx); err != nil {
			if errors.Is(err, errNoRows) {
				return nil // processed already, or being processed
			}
			return fmt.Errorf("read stripe event: %w", err)
		}
		var ev stripe.Event
		if err := json.Unmarshal([]byte(e.Payload), &ev); err != nil {
			return s.finish(ctx, tx, e, "ignored: unreadable payload")
		}
		result, err := s.apply(ctx, tx, &ev)
		if err != nil {
			return err
		}
		return s.finish(ctx, tx, e, result)
	})
}

func (s *Service) finish(ctx context.Context, tx bun.IDB, e *Event, result string) error {
	now := s.now().UTC()
	_, err := tx.NewUpdate().Model(e).Set("processed_at = ?", now).Set("result = ?", result).WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("mark stripe event processed: %w", err)
	}
	return nil
}

// apply has ev take effect in tx and answers what it did.
func (s *Service) apply(ctx context.Context, tx bun.IDB, ev *stripe.Event) (string, error) {
	switch ev.Type {
	case "payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled":
		var pi stripe.PaymentIntent
		if err := json.Unmarshal(ev.Data.Raw, &pi); err != nil {
			return "ignored: unreadable object", nil
		}
		return s.applyIntent(ctx, tx, string(ev.Type), &pi)
	case "charge.refunded":
		var ch stripe.Charge
		if err := json.Unmarshal(ev.Data.Raw, &ch); err != nil {
			return "ignored: unreadable object", nil
		}
		return s.applyChargeRefunded(ctx, tx, &ch)
	case "account.updated":
		var sa stripe.Account
		if err := json.Unmarshal(ev.Data.Raw, &sa); err != nil {
			return "ignored: unreadable object", nil
		}
		known, err := s.applyAccount(ctx, tx, &sa)
		if err != nil {
			return "", err
		}
		if !known {
			return "ignored: unknown account", nil
		}
		return "applied", nil
	case "transfer.reversed":
		var tr stripe.Transfer
		if err := json.Unmarshal(ev.Data.Raw, &tr); err != nil {
			return "ignored: unreadable object", nil
		}
		err := s.addReversed(ctx, tx, tr.ID, tr.AmountReversed, "stripe:"+ev.ID, false)
		if errors.Is(err, errNotFound) {
			return "ignored: unknown transfer", nil
		}
		if err != nil {
			return "", err
		}
		return "applied", nil
	case "invoice.paid":
		var inv stripe.Invoice
		if err := json.Unmarshal(ev.Data.Raw, &inv); err != nil {
			return "ignored: unreadable object", nil
		}
		id := inv.Metadata["invoice_id"]
		if id == "" || s.InvoicePaid == nil {
			return "ignored: not a marketplace invoice", nil
		}
		err := s.InvoicePaid(ctx, tx, id, ProviderName, inv.ID)
		var ce *core.Error
		if errors.As(err, &ce) && (ce.Code == core.NotFound || ce.Code == core.Conflict) {
			return "ignored: " + ce.Message, nil
		}
		if err != nil {
			return "", err
		}
		return "applied", nil
	}
	return "ignored: type not handled", nil
}

// applyIntent settles our intent pi once Stripe says it succeeded, records
// a failed attempt (the shopper may retry with another card), or a
// cancellation.
func (s *Service) applyIntent(ctx context.Context, tx bun.IDB, typ string, pi *stripe.PaymentIntent) (string, error) {
	if pi.Metadata["tenant_id"] != db.TenantID(ctx) {
		return "ignored: another tenant's intent", nil
	}
	it, err := s.intent(ctx, tx, pi.ID)
	if errors.Is(err, errNotFound) {
		return "ignored: unknown intent", nil
	}
	if err != nil {
		return "", err
	}
	if it.Status != IntentPending {
		return "ignored: intent already " + it.Status, nil
	}
	now := s.now().UTC()
	switch typ {
	case "payment_intent.payment_failed":
		msg := "payment failed"
		if pi.LastPaymentError != nil && pi.LastPaymentError.Msg != "" {
			msg = pi.LastPaymentError.Msg
		}
		_, err := tx.NewUpdate().Model(it).Set("last_error = ?", truncate(msg, 300)).Set("updated_at = ?", now).WherePK().Exec(ctx)
		return "recorded: attempt failed", err
	case "payment_intent.canceled":
		if _, err := tx.NewUpdate().Model(it).Set("status = ?", IntentCanceled).Set("updated_at = ?", now).WherePK().Exec(ctx); err != nil {
			return "", err
		}
		if it.PaymentID != nil {
			if _, err := s.Payments.Settle(ctx, tx, *it.PaymentID, payment.StatusFailed); err != nil && !isConflict(err) {
				return "", err
			}
		}
		return "applied: canceled", nil
	}
	// Succeeded: the amount and currency must be ours (a tampered client
	// cannot change them, but an intent changed at Stripe could).
	received := pi.AmountReceived
	if received == 0 {
		received = pi.Amount
	}
	if received != it.AmountFen || string(pi.Currency) != it.Currency {
		s.Logger.Error("stripe intent succeeded with another amount: not settled", "intent", pi.ID, "expected", it.AmountFen, "received", received)
		return "ignored: amount mismatch", nil
	}
	charge := ""
	if pi.LatestCharge != nil {
		charge = pi.LatestCharge.ID
	}
	if _, err := tx.NewUpdate().Model(it).Set("status = ?", IntentSucceeded).Set("charge_id = ?", charge).
		Set("last_error = ''").Set("updated_at = ?", now).WherePK().Exec(ctx); err != nil {
		return "", fmt.Errorf("settle intent: %w", err)
	}
	if it.Kind == KindTopUp {
		if it.UserID == nil {
			return "ignored: top-up without shopper", nil
		}
		err := s.Payments.Balance.Credit(ctx, tx, payment.Credit{UserID: *it.UserID, AmountFen: it.AmountFen, Reference: it.ID,
			Memo: "Stripe", Kind: billing.KindTopUp, From: billing.TenderClearing(ProviderName)})
		if err != nil {
			return "", err
		}
		return "applied: topped up", nil
	}
	if it.PaymentID == nil {
		return "ignored: intent without payment", nil
	}
	p, err := s.Payments.Get(ctx, tx, *it.PaymentID)
	if err != nil {
		return "", err
	}
	if s.Cancelled != nil {
		gone, err := s.Cancelled(ctx, tx, p.GroupRef)
		if err != nil {
			return "", err
		}
		if gone || p.Status != payment.StatusPending {
			// Paid after the orders were cancelled: the money goes back.
			if p.Status == payment.StatusPending {
				if _, err := s.Payments.Settle(ctx, tx, p.ID, payment.StatusFailed); err != nil {
					return "", err
				}
			}
			_, err := s.Jobs.Enqueue(ctx, tx, LateRefundArgs{TenantID: db.TenantID(ctx), IntentID: it.ID}, &jobs.Opts{MaxAttempts: 8})
			return "applied: paid after cancellation, refunding", err
		}
	}
	if p, err = s.Payments.Settle(ctx, tx, p.ID, payment.StatusPaid); err != nil {
		return "", err
	}
	if s.Paid != nil {
		if err := s.Paid(ctx, tx, p); err != nil {
			return "", err
		}
	}
	var batch []jobs.Args
	for _, pt := range p.Parts {
		batch = append(batch, TransferArgs{TenantID: db.TenantID(ctx), OrderID: pt.OrderRef, ShopID: pt.ShopID, GroupRef: p.GroupRef, ChargeID: charge})
	}
	if err := s.Jobs.EnqueueMany(ctx, tx, batch, &jobs.Opts{MaxAttempts: 8}); err != nil {
		return "", err
	}
	return "applied: paid", nil
}

func isConflict(err error) bool {
	var ce *core.Error
	return errors.As(err, &ce) && ce.Code == core.Conflict
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// applyChargeRefunded checks Stripe's refunded total of a charge against
// the refunds we asked for: ours are marked succeeded; a refund made
// elsewhere (Stripe's dashboard) is reported in the event's result for
// the tenant to book, since it moved money without our records.
func (s *Service) applyChargeRefunded(ctx context.Context, tx bun.IDB, ch *stripe.Charge) (string, error) {
	piID := ""
	if ch.PaymentIntent != nil {
		piID = ch.PaymentIntent.ID
	}
	if piID == "" {
		return "ignored: charge without intent", nil
	}
	it := new(Intent)
	err := tx.NewSelect().Model(it).Where("sti.tenant_id = ?", db.TenantID(ctx)).Where("sti.id = ?", piID).Scan(ctx)
	if errors.Is(err, errNoRows) {
		return "ignored: unknown intent", nil
	}
	if err != nil {
		return "", err
	}
	var ours int64
	if err := tx.NewSelect().Model((*Refund)(nil)).ColumnExpr("coalesce(sum(str.amount_fen), 0)").
		Where("str.tenant_id = ?", db.TenantID(ctx)).Where("str.intent_id = ?", piID).Scan(ctx, &ours); err != nil {
		return "", err
	}
	if _, err := tx.NewUpdate().Model((*Refund)(nil)).Set("status = 'succeeded'").Set("updated_at = ?", s.now().UTC()).
		Where("str.tenant_id = ?", db.TenantID(ctx)).Where("str.intent_id = ?", piID).Where("str.refund_id <> ''").Exec(ctx); err != nil {
		return "", err
	}
	if ch.AmountRefunded > ours {
		s.Logger.Warn("stripe charge refunded beyond the marketplace's refunds", "intent", piID, "stripe_fen", ch.AmountRefunded, "ours_fen", ours)
		return fmt.Sprintf("attention: refunded at Stripe %d fen, by the marketplace %d fen", ch.AmountRefunded, ours), nil
	}
	return "applied", nil
}

// LateRefundArgs is the job giving back a payment that succeeded after its
// orders were cancelled.
type LateRefundArgs struct {
	TenantID string `json:"tenant_id"`
	IntentID string `json:"intent_id"`
}

// Kind implements jobs.Args.
func (LateRefundArgs) Kind() string { return "stripe.late_refund" }

func (s *Service) lateRefund(ctx context.Context, a LateRefundArgs) error {
	var keys Keys
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var err error
		keys, err = s.KeysFor(ctx, tx)
		return err
	})
	if err != nil {
		return err
	}
	params := &stripe.RefundParams{PaymentIntent: stripe.String(a.IntentID), Metadata: metadata(ctx, "reason", "paid_after_cancel")}
	params.SetIdempotencyKey(idem(ctx, "late", a.IntentID))
	if _, err := s.client(keys.Secret).Refunds.New(params); err != nil {
		return stripeErr("refund late payment", err)
	}
	return nil
}
