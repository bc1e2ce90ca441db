package stripepay

import (
	"context"
	"fmt"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/jobs"
	"github.com/stripe/stripe-go/v76"
	"github.com/uptrace/bun"
)

// Account is a shop's Connect account.
type Account struct {
	bun.BaseModel `bun:"table:stripe_accounts,alias:sta"`

	TenantID         string    `bun:"tenant_id,pk" json:"-"`
	ShopID           string    `bun:"shop_id,pk" json:"shop_id"`
	AccountID        string    `bun:"account_id,notnull" json:"account_id"`
	CustomerID       string    `bun:"customer_id,notnull" json:"-"`
	DetailsSubmitted bool      `bun:"details_submitted,notnull" json:"details_submitted"`
	ChargesEnabled   bool      `bun:"charges_enabled,notnull" json:"charges_enabled"`
	PayoutsEnabled   bool      `bun:"payouts_enabled,notnull" json:"payouts_enabled"`
	TransfersActive  bool      `bun:"transfers_active,notnull" json:"transfers_active"`
	CreatedAt        time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt        time.Time `bun:"updated_at,notnull" json:"updated_at"`
}

// Usable reports whether transfers to the account can be made: the shop
// finished onboarding and Stripe lets the account receive transfers.
func (a *Account) Usable() bool {
	return a != nil && a.DetailsSubmitted && a.PayoutsEnabled && a.TransfersActive
}

// Transfer is a shop's share sent to its account.
type Transfer struct {
	bun.BaseModel `bun:"table:stripe_transfers,alias:stt"`

	TenantID    string    `bun:"tenant_id,pk" json:"-"`
	OrderID     string    `bun:"order_id,pk" json:"order_id"`
	ShopID      string    `bun:"shop_id,notnull" json:"shop_id"`
	AccountID   string    `bun:"account_id,notnull" json:"account_id"`
	TransferID  string    `bun:"transfer_id,notnull" json:"transfer_id"`
	GroupRef    string    `bun:"group_ref,notnull" json:"group_ref,omitempty"`
	AmountFen   int64     `bun:"amount_fen,notnull" json:"amount_fen"`
	ReversedFen int64     `bun:"reversed_fen,notnull" json:"reversed_fen"`
	CreatedAt   time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at,notnull" json:"updated_at"`
}

// AccountOf returns shop shopID's account; nil when it has none.
func (s *Service) AccountOf(ctx context.Context, idb bun.IDB, shopID string) (*Account, error) {
	a := new(Account)
	err := idb.NewSelect().Model(a).Where("sta.tenant_id = ?", db.TenantID(ctx)).Where("sta.shop_id = ?", shopID).Scan(ctx)
	if err != nil {
		if err == errNoRows {
			return nil, nil
		}
		return nil, fmt.Errorf("read stripe account: %w", err)
	}
	return a, nil
}

// Onboard returns the address of Stripe's onboarding for shop shopID,
// creating its Express account first when it has none (idempotency key
// from the shop). returnURL is where Stripe sends the merchant back,
// refreshURL where it sends them when the link expired. email pre-fills
// the account.
func (s *Service) Onboard(ctx context.Context, shopID, email, returnURL, refreshURL string) (string, error) {
	var keys Keys
	var acct *Account
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var err error
		if keys, err = s.KeysFor(ctx, tx); err != nil {
			return err
		}
		acct, err = s.AccountOf(ctx, tx, shopID)
		return err
	})
	if err != nil {
		return "", err
	}
	if keys.Secret == "" {
		return "", errNotConfigured
	}
	c := s.client(keys.Secret)
	if acct == nil {
		params := &stripe.AccountParams{
			Type: stripe.String(string(stripe.AccountTypeExpress)),
			Capabilities: &stripe.AccountCapabilitiesParams{
				Transfers: &stripe.AccountCapabilitiesTransfersParams{Requested: stripe.Bool(true)},
			},
			Metadata: metadata(ctx, "shop_id", shopID),
		}
		if email != "" {
			params.Email = stripe.String(email)
		}
		if keys.Country != "" {
			params.Country = stripe.String(keys.Country)
		}
		params.SetIdempotencyKey(idem(ctx, "acct", shopID))
		sa, err := c.Accounts.New(params)
		if err != nil {
			return "", stripeErr("create account", err)
		}
		now := s.now().UTC()
		acct = &Account{TenantID: db.TenantID(ctx), ShopID: shopID, AccountID: sa.ID, CreatedAt: now, UpdatedAt: now}
		setFlags(acct, sa)
		err = s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			_, err := tx.NewInsert().Model(acct).On("CONFLICT DO NOTHING").Exec(ctx)
			return err
		})
		if err != nil {
			return "", fmt.Errorf("record stripe account: %w", err)
		}
	}
	lp := &stripe.AccountLinkParams{
		Account:    stripe.String(acct.AccountID),
		RefreshURL: stripe.String(refreshURL),
		ReturnURL:  stripe.String(returnURL),
		Type:       stripe.String("account_onboarding"),
	}
	// A link is single-use and short-lived: a retry within the same minute
	// answers the same link, a later visit gets a new one.
	lp.SetIdempotencyKey(idem(ctx, "link", shopID, s.now().UTC().Truncate(time.Minute).Format(time.RFC3339)))
	link, err := c.AccountLinks.New(lp)
	if err != nil {
		return "", stripeErr("create account link", err)
	}
	return link.URL, nil
}

// Refresh reads shop shopID's account from Stripe and stores its status
// (the merchant came back from onboarding). Returns nil when the shop has
// no account.
func (s *Service) Refresh(ctx context.Context, shopID string) (*Account, error) {
	var keys Keys
	var acct *Account
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var err error
		if keys, err = s.KeysFor(ctx, tx); err != nil {
			return err
		}
		acct, err = s.AccountOf(ctx, tx, shopID)
		return err
	})
	if err != nil || acct == nil {
		return acct, err
	}
	if keys.Secret == "" {
		return nil, errNotConfigured
	}
	sa, err := s.client(keys.Secret).Accounts.GetByID(acct.AccountID, nil)
	if err != nil {
		return nil, stripeErr("read account", err)
	}
	err = s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		_, err := s.applyAccount(ctx, tx, sa)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.accountIn(ctx, shopID)
}

func (s *Service) accountIn(ctx context.Context, shopID string) (*Account, error) {
	var a *Account
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var err error
		a, err = s.AccountOf(ctx, tx, shopID)
		return err
	})
	return a, err
}

func setFlags(a *Account, sa *stripe.Account) {
	a.DetailsSubmitted, a.ChargesEnabled, a.PayoutsEnabled = sa.DetailsSubmitted, sa.ChargesEnabled, sa.PayoutsEnabled
	a.TransfersActive = sa.Capabilities != nil && sa.Capabilities.Transfers == stripe.AccountCapabilityStatusActive
}

// applyAccount stores what Stripe says of an account of the tenant; it
// answers false for an account the tenant does not know. When the account
// becomes usable, the shop's accrued share is paid out.
func (s *Service) applyAccount(ctx context.Context, tx bun.IDB, sa *stripe.Account) (bool, error) {
	a := new(Account)
	q := tx.NewSelect().Model(a).Where("sta.tenant_id = ?", db.TenantID(ctx)).Where("sta.account_id = ?", sa.ID)
	if s.DB.Engine == db.Postgres {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		if err == errNoRows {
			return false, nil
		}
		return false, fmt.Errorf("read stripe account: %w", err)
	}
	was := a.Usable()
	setFlags(a, sa)
	a.UpdatedAt = s.now().UTC()
	if _, err := tx.NewUpdate().Model(a).Column("details_submitted", "charges_enabled", "payouts_enabled", "transfers_active", "updated_at").
		WherePK().Exec(ctx); err != nil {
		return false, fmt.Errorf("update stripe account: %w", err)
	}
	if !was && a.Usable() {
		if _, err := s.Jobs.Enqueue(ctx, tx, PayoutArgs{TenantID: db.TenantID(ctx), ShopID: a.ShopID}, &jobs.Opts{MaxAttempts: 8}); err != nil {
			return false, err
		}
	}
	return true, nil
}

// TransferArgs is the job sending an order's shop share to its account.
type TransferArgs struct {
	TenantID string `json:"tenant_id"`
	OrderID  string `json:"order_id"`
	ShopID   string `json:"shop_id"`
	GroupRef string `json:"group_ref"`
	ChargeID string `json:"charge_id"`
}

// Kind implements jobs.Args.
func (TransferArgs) Kind() string { return "stripe.transfer" }

// ReverseArgs is the job taking a refund's shop share back from a
// transfer.
type ReverseArgs struct {
	TenantID  string `json:"tenant_id"`
	OrderID   string `json:"order_id"`
	Ref       string `json:"ref"`
	AmountFen int64  `json:"amount_fen"`
}

// Kind implements jobs.Args.
func (ReverseArgs) Kind() string { return "stripe.reverse" }

// PayoutArgs is the job paying a shop what accrued while it had no usable
// account.
type PayoutArgs struct {
	TenantID string `json:"tenant_id"`
	ShopID   string `json:"shop_id"`
}

// Kind implements jobs.Args.
func (PayoutArgs) Kind() string { return "stripe.payout" }

// shareOf is what the ledger owes shop shopID for order orderID from its
// payment and refunds (the shop_payable postings of the order's
// order_paid and order_refunded entries), less what was already sent.
func (s *Service) shareOf(ctx context.Context, idb bun.IDB, orderID string) (int64, error) {
	var owed int64
	err := idb.NewSelect().TableExpr("postings AS po").
		Join("JOIN journal_entries AS je ON je.tenant_id = po.tenant_id AND je.id = po.entry_id").
		ColumnExpr("coalesce(-sum(po.amount_fen), 0)").
		Where("po.tenant_id = ?", db.TenantID(ctx)).Where("je.order_ref = ?", orderID).
		Where("je.kind IN (?)", bun.List([]string{billing.KindOrderPaid, billing.KindOrderRefunded})).
		Where("po.account_kind = ?", billing.AccountShopPayable).Scan(ctx, &owed)
	if err != nil {
		return 0, fmt.Errorf("shop share of order %s: %w", orderID, err)
	}
	return owed, nil
}

// transfer sends order a.OrderID's shop share to the shop's account, once:
// the Stripe call carries the order's idempotency key and the transfer is
// recorded with its ledger entry (payout: debit shop_payable, credit
// tender_clearing:stripe) in one transaction. A shop without a usable
// account, or suspended, is skipped: its share stays payable.
func (s *Service) transfer(ctx context.Context, a TransferArgs) error {
	var keys Keys
	var acct *Account
	var amount int64
	skip := ""
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var err error
		if keys, err = s.KeysFor(ctx, tx); err != nil {
			return err
		}
		n, err := tx.NewSelect().Model((*Transfer)(nil)).Where("stt.tenant_id = ?", db.TenantID(ctx)).Where("stt.order_id = ?", a.OrderID).Count(ctx)
		if err != nil || n > 0 {
			skip = "done"
			return err
		}
		if s.ShopUsable != nil {
			ok, err := s.ShopUsable(ctx, tx, a.ShopID)
			if err != nil {
				return err
			}
			if !ok {
				skip = "shop not active"
				return nil
			}
		}
		if acct, err = s.AccountOf(ctx, tx, a.ShopID); err != nil {
			return err
		}
		if !acct.Usable() {
			skip = "no usable account"
			return nil
		}
		if amount, err = s.shareOf(ctx, tx, a.OrderID); err != nil {
			return err
		}
		// Never more than the shop is really owed: an accrued payout may
		// already have paid this order's share.
		due, err := s.due(ctx, tx, a.ShopID)
		amount = min(amount, due)
		return err
	})
	if err != nil || skip != "" {
		if skip != "" && skip != "done" {
			s.Logger.Info("stripe transfer skipped: the share stays payable", "tenant", a.TenantID, "order", a.OrderID, "reason", skip)
		}
		return err
	}
	if amount <= 0 {
		return nil
	}
	params := &stripe.TransferParams{
		Amount: stripe.Int64(amount), Currency: stripe.String(currency(ctx)),
		Destination: stripe.String(acct.AccountID), TransferGroup: stripe.String(a.GroupRef),
		Metadata: metadata(ctx, "order_id", a.OrderID, "shop_id", a.ShopID),
	}
	if a.ChargeID != "" {
		params.SourceTransaction = stripe.String(a.ChargeID)
	}
	params.SetIdempotencyKey(idem(ctx, "tr", a.OrderID))
	tr, err := s.client(keys.Secret).Transfers.New(params)
	if err != nil {
		return stripeErr("transfer", err)
	}
	return s.recordTransfer(ctx, &Transfer{OrderID: a.OrderID, ShopID: a.ShopID, AccountID: acct.AccountID,
		TransferID: tr.ID, GroupRef: a.GroupRef, AmountFen: amount}, a.OrderID)
}

// recordTransfer stores t and posts its payout, once.
func (s *Service) recordTransfer(ctx context.Context, t *Transfer, reference string) error {
	return s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		now := s.now().UTC()
		t.TenantID, t.CreatedAt, t.UpdatedAt = db.TenantID(ctx), now, now
		res, err := tx.NewInsert().Model(t).On("CONFLICT DO NOTHING").Exec(ctx)
		if err != nil {
			return fmt.Errorf("record transfer: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		orderRef := t.OrderID
		if len(orderRef) != 36 {
			orderRef = ""
		}
		return s.Billing.Post(ctx, tx, billing.Entry{
			Kind: billing.KindPayout, Reference: t.TransferID, OrderRef: orderRef, Memo: reference,
			Lines: []billing.Line{{Account: billing.ShopPayable(t.ShopID), AmountFen: t.AmountFen},
				{Account: billing.TenderClearing(ProviderName), AmountFen: -t.AmountFen}},
		})
	})
}

// ReverseShare asks for shopFen of a refund of order orderID (the share
// the ledger took back from the shop) to be reversed from the order's
// transfer, if it had one; it runs as a job after tx commits.
func (s *Service) ReverseShare(ctx context.Context, tx bun.IDB, orderID, ref string, shopFen int64) error {
	if shopFen <= 0 {
		return nil
	}
	_, err := s.Jobs.Enqueue(ctx, tx, ReverseArgs{TenantID: db.TenantID(ctx), OrderID: orderID, Ref: ref, AmountFen: shopFen}, &jobs.Opts{MaxAttempts: 8})
	return err
}

func (s *Service) reverse(ctx context.Context, a ReverseArgs) error {
	var keys Keys
	t := new(Transfer)
	found := true
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var err error
		if keys, err = s.KeysFor(ctx, tx); err != nil {
			return err
		}
		err = tx.NewSelect().Model(t).Where("stt.tenant_id = ?", db.TenantID(ctx)).Where("stt.order_id = ?", a.OrderID).Scan(ctx)
		if err == errNoRows {
			found = false
			return nil
		}
		return err
	})
	if err != nil || !found {
		return err
	}
	amount := min(a.AmountFen, t.AmountFen-t.ReversedFen)
	if amount <= 0 {
		return nil
	}
	params := &stripe.TransferReversalParams{ID: stripe.String(t.TransferID), Amount: stripe.Int64(amount)}
	params.Metadata = metadata(ctx, "order_id", a.OrderID, "refund_ref", a.Ref)
	params.SetIdempotencyKey(idem(ctx, "trr", a.Ref))
	rv, err := s.client(keys.Secret).TransferReversals.New(params)
	if err != nil {
		return stripeErr("reverse transfer", err)
	}
	return s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		return s.addReversed(ctx, tx, t.TransferID, amount, rv.ID, true)
	})
}

// addReversed records that n more fen of transfer transferID came back
// (delta) or that n fen came back in all (!delta, from a transfer.reversed
// event), posting the change once (payout_reversed: debit
// tender_clearing:stripe, credit shop_payable).
func (s *Service) addReversed(ctx context.Context, tx bun.IDB, transferID string, n int64, ref string, delta bool) error {
	t := new(Transfer)
	q := tx.NewSelect().Model(t).Where("stt.tenant_id = ?", db.TenantID(ctx)).Where("stt.transfer_id = ?", transferID)
	if s.DB.Engine == db.Postgres {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return db.NotFound(err, errNotFound)
	}
	total := n
	if delta {
		total = t.ReversedFen + n
	}
	total = min(total, t.AmountFen)
	add := total - t.ReversedFen
	if add <= 0 {
		return nil
	}
	if _, err := tx.NewUpdate().Model(t).Set("reversed_fen = ?", total).Set("updated_at = ?", s.now().UTC()).WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("record reversal: %w", err)
	}
	orderRef := t.OrderID
	if len(orderRef) != 36 {
		orderRef = ""
	}
	return s.Billing.Post(ctx, tx, billing.Entry{
		Kind: billing.KindPayoutReversed, Reference: ref, OrderRef: orderRef, Memo: transferID,
		Lines: []billing.Line{{Account: billing.TenderClearing(ProviderName), AmountFen: add},
			{Account: billing.ShopPayable(t.ShopID), AmountFen: -add}},
	})
}

// payout pays shop a.ShopID what it is owed beyond the orders still to
// be transferred one by one: the credit balance of its payable, once its
// account is usable (one transfer per ledger state, keyed by the latest
// entry, so a retry does not pay twice).
func (s *Service) payout(ctx context.Context, a PayoutArgs) error {
	var keys Keys
	var acct *Account
	var owed int64
	var last string
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var err error
		if keys, err = s.KeysFor(ctx, tx); err != nil {
			return err
		}
		if acct, err = s.AccountOf(ctx, tx, a.ShopID); err != nil || !acct.Usable() {
			return err
		}
		if s.ShopUsable != nil {
			ok, err := s.ShopUsable(ctx, tx, a.ShopID)
			if err != nil || !ok {
				acct = nil
				return err
			}
		}
		if owed, err = s.due(ctx, tx, a.ShopID); err != nil {
			return err
		}
		return tx.NewSelect().TableExpr("postings AS po").ColumnExpr("coalesce(max(CAST(po.entry_id AS text)), '')").
			Where("po.tenant_id = ?", db.TenantID(ctx)).Where("po.account_kind = ?", billing.AccountShopPayable).
			Where("po.account_owner = ?", a.ShopID).Scan(ctx, &last)
	})
	if err != nil || !acct.Usable() || owed <= 0 {
		return err
	}
	params := &stripe.TransferParams{
		Amount: stripe.Int64(owed), Currency: stripe.String(currency(ctx)), Destination: stripe.String(acct.AccountID),
		Metadata: metadata(ctx, "shop_id", a.ShopID, "accrued", "true"),
	}
	params.SetIdempotencyKey(idem(ctx, "accrued", a.ShopID, last))
	tr, err := s.client(keys.Secret).Transfers.New(params)
	if err != nil {
		return stripeErr("transfer accrued", err)
	}
	return s.recordTransfer(ctx, &Transfer{OrderID: "accrued:" + last, ShopID: a.ShopID, AccountID: acct.AccountID,
		TransferID: tr.ID, AmountFen: owed}, "accrued")
}

// due is what the platform really owes shop shopID: its payable less the
// cash it is still to collect from shoppers of orders paid offline.
func (s *Service) due(ctx context.Context, idb bun.IDB, shopID string) (int64, error) {
	pos, err := s.Billing.Position(ctx, idb, shopID)
	if err != nil {
		return 0, err
	}
	return pos.OwedFen - pos.ReceivableFen, nil
}

// PayOutAccrued queues the payout of what shop shopID is owed (console
// action); Conflict stripe.error.no_account without a usable account,
// stripe.error.shop_inactive for a suspended or closed shop.
func (s *Service) PayOutAccrued(ctx context.Context, shopID string) error {
	return s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		acct, err := s.AccountOf(ctx, tx, shopID)
		if err != nil {
			return err
		}
		if !acct.Usable() {
			return core.Errorf(core.Conflict, "stripe.error.no_account")
		}
		if s.ShopUsable != nil {
			ok, err := s.ShopUsable(ctx, tx, shopID)
			if err != nil {
				return err
			}
			if !ok {
				return core.Errorf(core.Conflict, "stripe.error.shop_inactive")
			}
		}
		_, err = s.Jobs.Enqueue(ctx, tx, PayoutArgs{TenantID: db.TenantID(ctx), ShopID: shopID}, &jobs.Opts{MaxAttempts: 8})
		return err
	})
}

// TransfersOf returns shop shopID's transfers, newest first.
func (s *Service) TransfersOf(ctx context.Context, idb bun.IDB, shopID string, limit int) ([]*Transfer, error) {
	var out []*Transfer
	err := idb.NewSelect().Model(&out).Where("stt.tenant_id = ?", db.TenantID(ctx)).Where("stt.shop_id = ?", shopID).
		Order("stt.created_at DESC").Limit(int64(limit)).Scan(ctx)
	return out, err
}
