package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/uptrace/bun"
)

// ShopBalance is where a shop stands with the platform.
type ShopBalance struct {
	ShopID string `json:"shop_id"`
	// OwedFen is what the platform owes the shop (the credit balance of
	// its shop_payable); negative when the shop owes the platform, e.g.
	// the commission on cash it collected.
	OwedFen int64 `json:"owed_fen"`
	// ReceivableFen is the cash shoppers still owe for the shop's orders
	// paid offline, which the shop is to collect.
	ReceivableFen int64 `json:"receivable_fen"`
}

// StatementLine is one entry touching a shop's accounts.
type StatementLine struct {
	EntryID   string    `json:"entry_id"`
	Kind      string    `json:"kind"`
	Reference string    `json:"reference"`
	OrderRef  string    `json:"order_ref,omitempty"`
	Memo      string    `json:"memo,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// OwedFen is the change in what the platform owes the shop (positive:
	// the shop earned; negative: the shop was charged or kept cash).
	OwedFen int64 `json:"owed_fen"`
	// ReceivableFen is the change in the cash the shop is to collect.
	ReceivableFen int64 `json:"receivable_fen"`
	// BalanceFen is what the platform owes the shop after this entry.
	BalanceFen int64 `json:"balance_fen"`
}

// Statement is a page of a shop's statement, newest entry first.
type Statement struct {
	ShopBalance
	Lines []*StatementLine `json:"lines"`
}

// Position returns where shop shopID stands (no authorisation: for other
// packages, inside their transactions).
func (s *Service) Position(ctx context.Context, idb bun.IDB, shopID string) (*ShopBalance, error) {
	payable, err := s.Balance(ctx, idb, ShopPayable(shopID))
	if err != nil {
		return nil, err
	}
	recv, err := s.Balance(ctx, idb, OfflineReceivable(shopID))
	if err != nil {
		return nil, err
	}
	return &ShopBalance{ShopID: shopID, OwedFen: -payable, ReceivableFen: recv}, nil
}

// ShopBalance returns where shop shopID stands with the platform. p needs
// PermLedgerRead in the shop's domain (owners and tenant admins). Returns
// NotFound for shops of other tenants and shops p may not see, Forbidden
// when p may see the shop but not its ledger.
func (s *Service) ShopBalance(ctx context.Context, p *identity.Principal, shopID string) (*ShopBalance, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	var b *ShopBalance
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := s.shopFor(ctx, tx, p, shopID); err != nil {
			return err
		}
		var err error
		b, err = s.Position(ctx, tx, shopID)
		return err
	})
	return b, err
}

// ShopStatement returns the entries touching shop shopID's accounts
// (shop_payable and offline_receivable), newest first, in the window pg,
// each with what the platform owes the shop after it; and the shop's
// balance now. Authorisation and errors as ShopBalance.
func (s *Service) ShopStatement(ctx context.Context, p *identity.Principal, shopID string, pg merchant.Page) (*Statement, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	if pg.Limit <= 0 {
		pg.Limit = 50
	}
	st := &Statement{Lines: []*StatementLine{}}
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := s.shopFor(ctx, tx, p, shopID); err != nil {
			return err
		}
		b, err := s.Position(ctx, tx, shopID)
		if err != nil {
			return err
		}
		st.ShopBalance = *b
		var rows []struct {
			ID         string    `bun:"id"`
			Kind       string    `bun:"kind"`
			Reference  string    `bun:"reference"`
			OrderRef   string    `bun:"order_ref"`
			Memo       string    `bun:"memo"`
			CreatedAt  time.Time `bun:"created_at"`
			Payable    int64     `bun:"payable"`
			Receivable int64     `bun:"receivable"`
		}
		q := db.Select(ctx, tx, (*posting)(nil)).
			ColumnExpr("je.id, je.kind, je.reference, je.order_ref, je.memo, je.created_at").
			ColumnExpr("CAST(SUM(CASE WHEN po.account_kind = ? THEN po.amount_fen ELSE 0 END) AS bigint) AS payable", AccountShopPayable).
			ColumnExpr("CAST(SUM(CASE WHEN po.account_kind = ? THEN po.amount_fen ELSE 0 END) AS bigint) AS receivable", AccountOfflineReceivable).
			Join("JOIN journal_entries AS je ON je.tenant_id = po.tenant_id AND je.id = po.entry_id").
			Where("po.account_owner = ?", shopID).
			Where("po.account_kind IN (?)", bun.List([]string{AccountShopPayable, AccountOfflineReceivable})).
			GroupExpr("je.id, je.kind, je.reference, je.order_ref, je.memo, je.created_at").
			OrderExpr("je.id DESC").Limit(int64(pg.Limit))
		if pg.Offset > 0 {
			q = q.Offset(int64(pg.Offset))
		}
		if err := q.Scan(ctx, &rows); err != nil {
			return fmt.Errorf("shop statement: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		// What the platform owed the shop after the newest entry of the
		// page: minus the payable postings up to and including it.
		var upTo int64
		err = db.Select(ctx, tx, (*posting)(nil)).ColumnExpr("CAST(COALESCE(SUM(po.amount_fen), 0) AS bigint)").
			Where("po.account_kind = ?", AccountShopPayable).Where("po.account_owner = ?", shopID).
			Where("po.entry_id <= ?", rows[0].ID).Scan(ctx, &upTo)
		if err != nil {
			return fmt.Errorf("shop statement balance: %w", err)
		}
		bal := -upTo
		for _, r := range rows {
			st.Lines = append(st.Lines, &StatementLine{EntryID: r.ID, Kind: r.Kind, Reference: r.Reference, OrderRef: r.OrderRef,
				Memo: r.Memo, CreatedAt: r.CreatedAt, OwedFen: -r.Payable, ReceivableFen: r.Receivable, BalanceFen: bal})
			bal += r.Payable // the balance before this entry
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// AccountTotal is the sum of the balances of all accounts of one kind.
type AccountTotal struct {
	Kind       string `json:"kind"`
	BalanceFen int64  `json:"balance_fen"` // debit positive, credit negative
	Accounts   int    `json:"accounts"`    // how many accounts of the kind have postings
}

// Summary is the tenant's ledger at a glance.
type Summary struct {
	Kinds   []AccountTotal `json:"kinds"`
	SumFen  int64          `json:"sum_fen"` // always 0
	Entries int            `json:"entries"`
}

// Summary returns the totals per account kind (every kind of the chart,
// 0 for kinds without postings), their sum (0) and the number of entries.
// p needs PermLedgerRead in the tenant's domain.
func (s *Service) Summary(ctx context.Context, p *identity.Principal) (*Summary, error) {
	if _, err := s.checkTenant(ctx, p, PermLedgerRead); err != nil {
		return nil, err
	}
	out := &Summary{}
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var rows []struct {
			Kind     string `bun:"account_kind"`
			Balance  int64  `bun:"balance"`
			Accounts int    `bun:"accounts"`
		}
		err := db.Select(ctx, tx, (*posting)(nil)).Column("po.account_kind").
			ColumnExpr("CAST(SUM(po.amount_fen) AS bigint) AS balance").
			ColumnExpr("COUNT(DISTINCT po.account_owner) AS accounts").
			Group("po.account_kind").Scan(ctx, &rows)
		if err != nil {
			return fmt.Errorf("ledger summary: %w", err)
		}
		byKind := map[string]AccountTotal{}
		for _, r := range rows {
			byKind[r.Kind] = AccountTotal{Kind: r.Kind, BalanceFen: r.Balance, Accounts: r.Accounts}
			out.SumFen += r.Balance
		}
		for _, k := range AccountKinds {
			t := byKind[k]
			t.Kind = k
			out.Kinds = append(out.Kinds, t)
		}
		n, err := db.Select(ctx, tx, (*journalEntry)(nil)).Count(ctx)
		out.Entries = int(n)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
