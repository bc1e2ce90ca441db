package payment

import (
	"context"
	"fmt"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/validate"
	"github.com/uptrace/bun"
)

// ProviderBalance is the name of the stored-balance provider.
const ProviderBalance = billing.TenderBalance

// PermCustomerManage is the permission to credit a shopper's balance
// (tenant admins, in the tenant's domain).
const PermCustomerManage = "customer:manage"

// Limits of balance credits.
const (
	MaxCreditFen int64 = 100_000_000 // one credit: 100万元
	ReasonMax    int   = 200
)

// Balance pays from the shopper's stored balance (惠农通). The balance
// lives in customer_balances and never goes negative: the CHECK, and a
// conditional UPDATE (… WHERE balance_fen >= n) for every debit, so two
// concurrent payments cannot overspend it. In the ledger it is the
// shopper's customer_balance account, a liability of the platform:
// credits (top-ups) post debit platform_cash, credit customer_balance;
// payments and refunds move it through the order's order_paid and
// order_refunded entries (the balance is their tender).
type Balance struct{ s *Service }

// CustomerBalance is a shopper's stored balance.
type CustomerBalance struct {
	bun.BaseModel `bun:"table:customer_balances,alias:cb"`

	TenantID   string    `bun:"tenant_id,pk" json:"-"`
	UserID     string    `bun:"user_id,pk" json:"user_id"`
	BalanceFen int64     `bun:"balance_fen,notnull" json:"balance_fen"`
	UpdatedAt  time.Time `bun:"updated_at,notnull" json:"updated_at"`
}

// Name implements Provider.
func (*Balance) Name() string { return ProviderBalance }

// Pay implements Provider: it takes p's amount from the shopper's balance
// at once and answers paid. Returns Conflict
// payment.error.insufficient_balance when the balance is short (or the
// payment names no shopper).
func (b *Balance) Pay(ctx context.Context, tx bun.IDB, p *Payment) (string, error) {
	if p.User() == "" {
		return "", errInsufficient
	}
	res, err := db.Update(ctx, tx, (*CustomerBalance)(nil)).
		Set("balance_fen = cb.balance_fen - ?", p.AmountFen).Set("updated_at = ?", b.s.now().UTC()).
		Where("cb.user_id = ?", p.User()).Where("cb.balance_fen >= ?", p.AmountFen).Exec(ctx)
	if err != nil {
		return "", fmt.Errorf("debit balance: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return "", errInsufficient
	}
	return StatusPaid, nil
}

// Refund implements Provider: amountFen goes back on the shopper's
// balance.
func (b *Balance) Refund(ctx context.Context, tx bun.IDB, p *Payment, orderID string, amountFen int64, ref string) error {
	if p.User() == "" {
		return fmt.Errorf("balance payment %s has no shopper", p.ID)
	}
	return b.add(ctx, tx, p.User(), amountFen)
}

// add raises userID's balance by n, creating it when missing.
func (b *Balance) add(ctx context.Context, tx bun.IDB, userID string, n int64) error {
	_, err := tx.NewRaw(`INSERT INTO customer_balances (tenant_id, user_id, balance_fen, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (tenant_id, user_id) DO UPDATE SET balance_fen = customer_balances.balance_fen + excluded.balance_fen,
		updated_at = excluded.updated_at`, db.TenantID(ctx), userID, n, b.s.now().UTC()).Exec(ctx)
	if err != nil {
		return fmt.Errorf("credit balance: %w", err)
	}
	return nil
}

// Credit is money put on a shopper's balance.
type Credit struct {
	UserID    string
	AmountFen int64
	Reference string // e.g. the top-up's id
	Memo      string // e.g. why support credited it
	ActorID   string // "" for the system
	// Kind and From: where the money came from (see billing.BalanceCredit;
	// zero for a credit by support).
	Kind string
	From billing.Account
}

// Credit puts c.AmountFen on the shopper's balance in tx and posts it to
// the ledger (debit platform_cash, credit customer_balance). Returns
// Invalid ("amount_fen": 1 fen to MaxCreditFen; "memo") for bad input,
// NotFound for a shopper who is not the tenant's.
func (b *Balance) Credit(ctx context.Context, tx bun.IDB, c Credit) error {
	var fe core.FieldErrors
	if c.AmountFen < 1 || c.AmountFen > MaxCreditFen {
		fe.Add("amount_fen", "payment.field.credit_range")
	}
	if len([]rune(c.Memo)) > ReasonMax {
		fe.Add("memo", "field.too_long")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	if err := userExists(ctx, tx, c.UserID); err != nil {
		return err
	}
	if err := b.add(ctx, tx, c.UserID, c.AmountFen); err != nil {
		return err
	}
	return b.s.Billing.BalanceCredited(ctx, tx, billing.BalanceCredit{
		UserID: c.UserID, AmountFen: c.AmountFen, Reference: c.Reference, Memo: c.Memo, ActorID: c.ActorID,
		Kind: c.Kind, From: c.From,
	})
}

// BalanceOf returns userID's stored balance in fen (0 when none).
func (b *Balance) BalanceOf(ctx context.Context, idb bun.IDB, userID string) (int64, error) {
	if !validID(userID) {
		return 0, nil
	}
	var n []int64
	err := db.Select(ctx, idb, (*CustomerBalance)(nil)).Column("cb.balance_fen").Where("cb.user_id = ?", userID).Scan(ctx, &n)
	if err != nil {
		return 0, fmt.Errorf("read balance: %w", err)
	}
	if len(n) == 0 {
		return 0, nil
	}
	return n[0], nil
}

// Mine returns the signed-in shopper p's balance. Unauthenticated unless
// p is an account of the tenant in ctx.
func (b *Balance) Mine(ctx context.Context, p *identity.Principal) (*CustomerBalance, error) {
	if _, err := identity.TenantOf(ctx, p); err != nil {
		return nil, err
	}
	out := &CustomerBalance{UserID: p.UserID}
	err := b.s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var rows []*CustomerBalance
		if err := db.Select(ctx, tx, &rows).Where("cb.user_id = ?", p.UserID).Scan(ctx); err != nil {
			return fmt.Errorf("read balance: %w", err)
		}
		if len(rows) == 1 {
			out = rows[0]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CreditCustomer credits shopper userID's balance with amountFen for
// reason (support or testing; real top-ups come later), as p. p needs
// PermCustomerManage in the tenant's domain. Returns Invalid
// ("amount_fen", "reason": required, up to 200 characters), NotFound for
// a user who is not the tenant's.
func (b *Balance) CreditCustomer(ctx context.Context, p *identity.Principal, userID string, amountFen int64, reason string) (*CustomerBalance, error) {
	t, err := identity.TenantOf(ctx, p)
	if err != nil {
		return nil, err
	}
	if err := b.s.Authz.Check(ctx, p, authz.TenantDomain(t.ID), PermCustomerManage); err != nil {
		return nil, err
	}
	if !validID(userID) {
		return nil, errNotFound
	}
	var fe core.FieldErrors
	if amountFen < 1 || amountFen > MaxCreditFen {
		fe.Add("amount_fen", "payment.field.credit_range")
	}
	reason = validate.Text(&fe, "reason", reason, 1, ReasonMax)
	out := &CustomerBalance{}
	err = b.s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if err := userExists(ctx, tx, userID); err != nil {
			return err
		}
		if err := fe.Err(); err != nil {
			return err
		}
		err := b.Credit(ctx, tx, Credit{UserID: userID, AmountFen: amountFen, Reference: "support", Memo: reason, ActorID: p.UserID})
		if err != nil {
			return err
		}
		return db.Select(ctx, tx, out).Where("cb.user_id = ?", userID).Scan(ctx)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
