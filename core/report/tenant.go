package report

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/uptrace/bun"
)

// RevenueRow is the platform's revenue in one bucket (or the period's
// total): net credits by source, and the cost of promotions.
type RevenueRow struct {
	Period        string `json:"period"`
	CommissionFen int64  `json:"commission_fen"`
	PlanFen       int64  `json:"plan_fen"`
	FranchiseFen  int64  `json:"franchise_fen"`
	SMSFen        int64  `json:"sms_fen"`
	AdsFen        int64  `json:"ads_fen"`
	StorageFen    int64  `json:"storage_fen"`
	UsageFen      int64  `json:"usage_fen"`
	OtherFen      int64  `json:"other_fen"` // sources billing.RevenueSources does not name
	TotalFen      int64  `json:"total_fen"`
	PromotionFen  int64  `json:"promotion_fen"`
	NetFen        int64  `json:"net_fen"` // total − promotion
}

// source returns the field of row for a platform_revenue source.
func (r *RevenueRow) source(src string) *int64 {
	switch src {
	case billing.RevenuePlan:
		return &r.PlanFen
	case billing.RevenueFranchise:
		return &r.FranchiseFen
	case billing.RevenueSMS:
		return &r.SMSFen
	case billing.RevenueAds:
		return &r.AdsFen
	case billing.RevenueStorage:
		return &r.StorageFen
	case billing.RevenueUsage:
		return &r.UsageFen
	}
	return &r.OtherFen
}

func (r *RevenueRow) add(o RevenueRow) {
	r.CommissionFen += o.CommissionFen
	r.PlanFen += o.PlanFen
	r.FranchiseFen += o.FranchiseFen
	r.SMSFen += o.SMSFen
	r.AdsFen += o.AdsFen
	r.StorageFen += o.StorageFen
	r.UsageFen += o.UsageFen
	r.OtherFen += o.OtherFen
	r.PromotionFen += o.PromotionFen
}

func (r *RevenueRow) finish() {
	r.TotalFen = r.CommissionFen + r.PlanFen + r.FranchiseFen + r.SMSFen + r.AdsFen + r.StorageFen + r.UsageFen + r.OtherFen
	r.NetFen = r.TotalFen - r.PromotionFen
}

// SalesRow is the orders of one bucket (or the period): what shoppers
// paid, GMV and refunds (see the package doc).
type SalesRow struct {
	Period              string `json:"period"`
	Orders              int64  `json:"orders"`
	PaidFen             int64  `json:"paid_fen"`
	PlatformDiscountFen int64  `json:"platform_discount_fen"`
	GMVFen              int64  `json:"gmv_fen"`
	RefundedFen         int64  `json:"refunded_fen"`
	DiscountReversedFen int64  `json:"discount_reversed_fen"`
	NetGMVFen           int64  `json:"net_gmv_fen"`
}

func (r *SalesRow) add(o SalesRow) {
	r.Orders += o.Orders
	r.PaidFen += o.PaidFen
	r.PlatformDiscountFen += o.PlatformDiscountFen
	r.RefundedFen += o.RefundedFen
	r.DiscountReversedFen += o.DiscountReversedFen
}

func (r *SalesRow) finish() {
	r.GMVFen = r.PaidFen + r.PlatformDiscountFen
	r.NetGMVFen = r.GMVFen - r.RefundedFen - r.DiscountReversedFen
}

// FloatRow is the stored-value float at the end of one bucket, with its
// change over the bucket (in the total row: over the period, and the
// float at its end).
type FloatRow struct {
	Period               string `json:"period"`
	BalancesChangeFen    int64  `json:"balances_change_fen"`
	StoredValueChangeFen int64  `json:"stored_value_change_fen"`
	ChangeFen            int64  `json:"change_fen"`
	BalancesFen          int64  `json:"balances_fen"`     // shoppers' balances (customer_balance)
	StoredValueFen       int64  `json:"stored_value_fen"` // unredeemed cards (stored_value)
	FloatFen             int64  `json:"float_fen"`
}

// Movements are the changes of one shop's position: the columns of its
// statement (see the package doc).
type Movements struct {
	SalesFen       int64 `json:"sales_fen"`
	RefundsFen     int64 `json:"refunds_fen"`
	CommissionFen  int64 `json:"commission_fen"`
	CashFen        int64 `json:"cash_fen"`
	PayoutsFen     int64 `json:"payouts_fen"`
	FeesFen        int64 `json:"fees_fen"`
	OtherFen       int64 `json:"other_fen"`
	NetFen         int64 `json:"net_fen"` // the change in what the platform owes the shop
	BilledFen      int64 `json:"billed_fen"`
	InvoicePaidFen int64 `json:"invoice_paid_fen"`
	// ReceivableChangeFen is the change in the cash still to collect for
	// orders paid offline.
	ReceivableChangeFen int64 `json:"receivable_change_fen"`
	// dueChange is the change in what the shop owes on invoices.
	dueChange int64
}

// add counts net, the sum of the postings to the shop's account kind
// akind (its commission for platform_commission) in entries of kind.
func (m *Movements) add(kind, akind string, net int64) {
	switch akind {
	case billing.AccountOfflineReceivable:
		m.ReceivableChangeFen += net
		return
	case billing.AccountInvoiceReceivable:
		m.dueChange += net
		switch kind {
		case billing.KindInvoicePaid:
			m.InvoicePaidFen -= net
		case billing.KindInvoiceSettled:
			// counted as fees, from the payable
		default:
			m.BilledFen += net
		}
		return
	case billing.AccountCommission:
		if isOneOf(kind, orderKinds) {
			m.CommissionFen -= net
			if kind == billing.KindOrderPaid {
				m.SalesFen -= net
			} else {
				m.RefundsFen += net
			}
		}
		return
	case billing.AccountShopPayable:
	default:
		return
	}
	m.NetFen -= net
	switch kind {
	case billing.KindOrderPaid:
		m.SalesFen -= net
	case billing.KindOrderRefunded:
		m.RefundsFen += net
	case billing.KindCollected, billing.KindCashReturned:
		m.CashFen += net
	case billing.KindPayout, billing.KindPayoutReversed:
		m.PayoutsFen += net
	case billing.KindInvoiceSettled:
		m.FeesFen += net
	default:
		m.OtherFen -= net
	}
}

func (m *Movements) sum(o Movements) {
	m.SalesFen += o.SalesFen
	m.RefundsFen += o.RefundsFen
	m.CommissionFen += o.CommissionFen
	m.CashFen += o.CashFen
	m.PayoutsFen += o.PayoutsFen
	m.FeesFen += o.FeesFen
	m.OtherFen += o.OtherFen
	m.NetFen += o.NetFen
	m.BilledFen += o.BilledFen
	m.InvoicePaidFen += o.InvoicePaidFen
	m.ReceivableChangeFen += o.ReceivableChangeFen
	m.dueChange += o.dueChange
}

// Party kinds of a ShopRow.
const (
	PartyShop        = "shop"
	PartyPickupPoint = "pickup_point"
	PartyUnknown     = "unknown" // an owner the tenant no longer has
)

// ShopRow is one shop (or a pickup point with invoices) in the tenant
// report: its movements over the period and its position at the end.
type ShopRow struct {
	ID   string `json:"id"`
	Kind string `json:"kind"` // shop, pickup_point, unknown
	Name string `json:"name"`
	Slug string `json:"slug,omitempty"`
	Movements
	OwedFen       int64 `json:"owed_fen"`        // what the platform owes the shop at the end
	ReceivableFen int64 `json:"receivable_fen"`  // cash still to collect at the end
	InvoiceDueFen int64 `json:"invoice_due_fen"` // owed on invoices at the end
}

// TenantReport is the tenant console's report of a period.
type TenantReport struct {
	Period       Period       `json:"period"`
	Revenue      []RevenueRow `json:"revenue"`
	RevenueTotal RevenueRow   `json:"revenue_total"`
	Sales        []SalesRow   `json:"sales"`
	SalesTotal   SalesRow     `json:"sales_total"`
	// FloatOpeningFen is the float at the start of the period.
	FloatOpeningFen int64      `json:"float_opening_fen"`
	Float           []FloatRow `json:"float"`
	FloatTotal      FloatRow   `json:"float_total"`
	// Shops are the shops and pickup points with postings before the
	// end, the largest payable first.
	Shops      []ShopRow `json:"shops"`
	ShopsTotal ShopRow   `json:"shops_total"`
}

// Tenant returns the tenant's report of period in (see the package doc
// and Period). p needs billing.PermLedgerRead in the tenant's domain.
// Returns Invalid with field errors for a bad period.
func (s *Service) Tenant(ctx context.Context, p *identity.Principal, in PeriodInput) (*TenantReport, error) {
	if err := s.checkTenant(ctx, p); err != nil {
		return nil, err
	}
	per, err := s.Period(ctx, in)
	if err != nil {
		return nil, err
	}
	var flows []flow
	var shops []*merchant.Shop
	var points []*fulfil.PickupPoint
	err = s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		q, args := tenantFlows(db.TenantID(ctx), per)
		if err := tx.NewRaw(q, args...).Scan(ctx, &flows); err != nil {
			return fmt.Errorf("tenant report: %w", err)
		}
		var ids []string
		for _, f := range flows {
			if f.Part == "p" && f.Owner != "" && !slices.Contains(ids, f.Owner) {
				ids = append(ids, f.Owner)
			}
		}
		if len(ids) == 0 {
			return nil
		}
		if err := db.Select(ctx, tx, &shops).Where("s.id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
			return fmt.Errorf("tenant report shops: %w", err)
		}
		if err := db.Select(ctx, tx, &points).Where("pp.id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
			return fmt.Errorf("tenant report pickup points: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return buildTenant(per, flows, shops, points), nil
}

// buildTenant sums flows into the report.
func buildTenant(per Period, flows []flow, shops []*merchant.Shop, points []*fulfil.PickupPoint) *TenantReport {
	n := len(per.Buckets)
	r := &TenantReport{Period: per, Revenue: make([]RevenueRow, n), Sales: make([]SalesRow, n), Float: make([]FloatRow, n)}
	var openBalances, openStored int64
	parties := map[string]*ShopRow{}
	for _, f := range flows {
		switch f.Part {
		case "o":
			if f.B >= 0 {
				r.Sales[f.B].Orders += f.N
			}
		case "s":
			if f.B < 0 {
				switch f.AKind {
				case billing.AccountCustomerBalance:
					openBalances -= f.Net
				case billing.AccountStoredValue:
					openStored -= f.Net
				}
				continue
			}
			rev, sales, fl := &r.Revenue[f.B], &r.Sales[f.B], &r.Float[f.B]
			switch f.AKind {
			case billing.AccountCommission:
				rev.CommissionFen -= f.Net
			case billing.AccountRevenue:
				*rev.source(f.Owner) -= f.Net
			case billing.AccountPromotion:
				rev.PromotionFen += f.Net
			case billing.AccountCustomerBalance:
				fl.BalancesChangeFen -= f.Net
			case billing.AccountStoredValue:
				fl.StoredValueChangeFen -= f.Net
			}
			tender, promo := isOneOf(f.AKind, tenderKinds), f.AKind == billing.AccountPromotion
			switch {
			case f.Kind == billing.KindOrderPaid && tender:
				sales.PaidFen += f.Net
			case f.Kind == billing.KindOrderPaid && promo:
				sales.PlatformDiscountFen += f.Net
			case f.Kind == billing.KindOrderRefunded && tender:
				sales.RefundedFen -= f.Net
			case f.Kind == billing.KindOrderRefunded && promo:
				sales.DiscountReversedFen -= f.Net
			}
		case "p":
			pr := parties[f.Owner]
			if pr == nil {
				pr = &ShopRow{ID: f.Owner, Kind: PartyUnknown, Name: f.Owner}
				parties[f.Owner] = pr
			}
			switch f.AKind {
			case billing.AccountShopPayable:
				pr.OwedFen -= f.Net
			case billing.AccountOfflineReceivable:
				pr.ReceivableFen += f.Net
			case billing.AccountInvoiceReceivable:
				pr.InvoiceDueFen += f.Net
			}
			if f.B == 0 {
				pr.add(f.Kind, f.AKind, f.Net)
			}
		}
	}
	balances, stored := openBalances, openStored
	r.FloatOpeningFen = openBalances + openStored
	for i, b := range per.Buckets {
		r.Revenue[i].Period, r.Sales[i].Period, r.Float[i].Period = b.Label, b.Label, b.Label
		r.Revenue[i].finish()
		r.Sales[i].finish()
		r.RevenueTotal.add(r.Revenue[i])
		r.SalesTotal.add(r.Sales[i])
		fl := &r.Float[i]
		balances += fl.BalancesChangeFen
		stored += fl.StoredValueChangeFen
		fl.ChangeFen = fl.BalancesChangeFen + fl.StoredValueChangeFen
		fl.BalancesFen, fl.StoredValueFen, fl.FloatFen = balances, stored, balances+stored
		r.FloatTotal.BalancesChangeFen += fl.BalancesChangeFen
		r.FloatTotal.StoredValueChangeFen += fl.StoredValueChangeFen
	}
	r.RevenueTotal.finish()
	r.SalesTotal.finish()
	r.FloatTotal.ChangeFen = r.FloatTotal.BalancesChangeFen + r.FloatTotal.StoredValueChangeFen
	r.FloatTotal.BalancesFen, r.FloatTotal.StoredValueFen, r.FloatTotal.FloatFen = balances, stored, balances+stored

	for _, sh := range shops {
		if pr := parties[sh.ID]; pr != nil {
			pr.Kind, pr.Name, pr.Slug = PartyShop, sh.Name, sh.Slug
		}
	}
	for _, pt := range points {
		if pr := parties[pt.ID]; pr != nil && pr.Kind == PartyUnknown {
			pr.Kind, pr.Name = PartyPickupPoint, pt.Name
		}
	}
	r.Shops = []ShopRow{}
	for _, pr := range parties {
		if pr.Movements == (Movements{}) && pr.OwedFen == 0 && pr.ReceivableFen == 0 && pr.InvoiceDueFen == 0 {
			continue // settled before the period and quiet in it
		}
		r.Shops = append(r.Shops, *pr)
		r.ShopsTotal.Movements.sum(pr.Movements)
		r.ShopsTotal.OwedFen += pr.OwedFen
		r.ShopsTotal.ReceivableFen += pr.ReceivableFen
		r.ShopsTotal.InvoiceDueFen += pr.InvoiceDueFen
	}
	sort.Slice(r.Shops, func(i, j int) bool {
		a, b := r.Shops[i], r.Shops[j]
		if a.OwedFen != b.OwedFen {
			return a.OwedFen > b.OwedFen
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	return r
}
