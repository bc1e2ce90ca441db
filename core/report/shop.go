package report

import (
	"context"
	"fmt"

	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/uptrace/bun"
)

// StatementRow is one bucket of a shop's statement (or the period's
// total): its movements and its position at the end of the bucket.
type StatementRow struct {
	Period string `json:"period"`
	Movements
	OwedFen       int64 `json:"owed_fen"`        // what the platform owes the shop at the end
	ReceivableFen int64 `json:"receivable_fen"`  // cash still to collect at the end
	InvoiceDueFen int64 `json:"invoice_due_fen"` // owed on invoices at the end
}

// ShopInfo names the shop of a statement.
type ShopInfo struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// ShopReport is a shop's statement of a period.
type ShopReport struct {
	Period Period   `json:"period"`
	Shop   ShopInfo `json:"shop"`
	// Opening is where the shop stood at the start of the period (its
	// movements are zero).
	Opening StatementRow   `json:"opening"`
	Rows    []StatementRow `json:"rows"`
	// Total sums the movements of the period; its position is the one at
	// the end (the closing payable).
	Total StatementRow `json:"total"`
}

// Shop returns shop shopID's statement of period in (see the package
// doc and Period). p needs billing.PermLedgerRead in the shop's domain
// (owners and tenant admins). Returns NotFound for shops of other tenants
// and shops p may not see, Forbidden when p may see the shop but not its
// ledger, Invalid with field errors for a bad period.
func (s *Service) Shop(ctx context.Context, p *identity.Principal, shopID string, in PeriodInput) (*ShopReport, error) {
	if _, err := identity.TenantOf(ctx, p); err != nil {
		return nil, err
	}
	var sh *merchant.Shop
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		sh, err = s.shopFor(ctx, tx, p, shopID)
		return err
	})
	if err != nil {
		return nil, err
	}
	per, err := s.Period(ctx, in)
	if err != nil {
		return nil, err
	}
	var flows []flow
	err = s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		q, args := shopFlows(db.TenantID(ctx), sh.ID, per)
		if err := tx.NewRaw(q, args...).Scan(ctx, &flows); err != nil {
			return fmt.Errorf("shop report %s: %w", sh.ID, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return buildShop(per, ShopInfo{ID: sh.ID, Name: sh.Name, Slug: sh.Slug}, flows), nil
}

// buildShop sums flows into the statement.
func buildShop(per Period, shop ShopInfo, flows []flow) *ShopReport {
	r := &ShopReport{Period: per, Shop: shop, Rows: make([]StatementRow, len(per.Buckets))}
	position := func(row *StatementRow, akind string, net int64) {
		switch akind {
		case billing.AccountShopPayable:
			row.OwedFen -= net
		case billing.AccountOfflineReceivable:
			row.ReceivableFen += net
		case billing.AccountInvoiceReceivable:
			row.InvoiceDueFen += net
		}
	}
	for _, f := range flows {
		if f.B < 0 {
			position(&r.Opening, f.AKind, f.Net)
			continue
		}
		r.Rows[f.B].add(f.Kind, f.AKind, f.Net)
	}
	owed, recv, due := r.Opening.OwedFen, r.Opening.ReceivableFen, r.Opening.InvoiceDueFen
	r.Opening.Period = per.From
	for i, b := range per.Buckets {
		row := &r.Rows[i]
		row.Period = b.Label
		owed += row.NetFen
		recv += row.ReceivableChangeFen
		due += row.dueChange
		row.OwedFen, row.ReceivableFen, row.InvoiceDueFen = owed, recv, due
		r.Total.Movements.sum(row.Movements)
	}
	r.Total.OwedFen, r.Total.ReceivableFen, r.Total.InvoiceDueFen = owed, recv, due
	return r
}
