package report_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/billing/billingtest"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/report"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// local reads "2006-01-02 15:04:05.000" in Asia/Shanghai (the markets'
// zone).
func local(t testing.TB, s string) time.Time {
	t.Helper()
	at, err := time.ParseInLocation("2006-01-02 15:04:05.000", s, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func fields(err error) map[string]string {
	var ce *core.Error
	if errors.As(err, &ce) {
		return ce.Fields
	}
	return nil
}

// fixture is a market (billingtest.Market: two shops with owners, an
// admin) with a shopper, a pickup point and the reports.
type fixture struct {
	*billingtest.Market
	reports *report.Service
	buyer   *identity.Principal
	point   string
}

func newFixture(t *testing.T, w *billingtest.World, prefix string) *fixture {
	t.Helper()
	m := billingtest.NewMarket(t, w, prefix)
	f := &fixture{Market: m, reports: report.New(report.Deps{DB: w.DB, Authz: w.Authz}), buyer: m.User("buyer", "", "")}
	f.point = tenants.NewID()
	now := time.Now().UTC()
	err := m.Tx(func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.NewInsert().Model(&fulfil.PickupPoint{TenantID: m.Tenant.ID, ID: f.point, Name: "岳麓山自提点",
			Address: "麓山南路 1 号", RegionID: m.Yuelu.ID, Active: true, CreatedAt: now, UpdatedAt: now}).Exec(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// dated runs post in a transaction, then dates the entry with reference
// ref at, and moves shoppers' stored balances by the deltas (as the
// payment service does beside its ledger entries).
func (f *fixture) dated(at time.Time, ref string, deltas map[string]int64, post func(ctx context.Context, tx bun.IDB) error) {
	f.T.Helper()
	err := f.Tx(func(ctx context.Context, tx bun.IDB) error {
		if err := post(ctx, tx); err != nil {
			return err
		}
		res, err := tx.NewRaw("UPDATE journal_entries SET created_at = ? WHERE tenant_id = ? AND reference = ?",
			at.UTC(), f.Tenant.ID, ref).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			f.T.Fatalf("dating %s: %d entries", ref, n)
		}
		for user, d := range deltas {
			res, err := tx.NewRaw("UPDATE customer_balances SET balance_fen = balance_fen + ? WHERE tenant_id = ? AND user_id = ?",
				d, f.Tenant.ID, user).Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				_, err = tx.NewRaw("INSERT INTO customer_balances (tenant_id, user_id, balance_fen, updated_at) VALUES (?, ?, ?, ?)",
					f.Tenant.ID, user, d, time.Now().UTC()).Exec(ctx)
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		f.T.Fatalf("%s: %v", ref, err)
	}
}

// entry posts e at at.
func (f *fixture) entry(at time.Time, e billing.Entry, deltas map[string]int64) {
	f.T.Helper()
	f.dated(at, e.Reference, deltas, func(ctx context.Context, tx bun.IDB) error { return f.Ledger.Post(ctx, tx, e) })
}

func (f *fixture) paid(at time.Time, m billing.OrderMoney, deltas map[string]int64) {
	f.T.Helper()
	f.dated(at, m.OrderNumber, deltas, func(ctx context.Context, tx bun.IDB) error { return f.Ledger.OrderPaid(ctx, tx, m) })
}

func (f *fixture) balance(acc billing.Account) int64 { return f.Balance(acc) }

var (
	stripe      = billing.TenderClearing("stripe")
	storedValue = billing.Account{Kind: billing.AccountStoredValue}
)

func revenue(src string) billing.Account {
	return billing.Account{Kind: billing.AccountRevenue, Owner: src}
}
func invoices(owner string) billing.Account {
	return billing.Account{Kind: billing.AccountInvoiceReceivable, Owner: owner}
}

// story posts a month-end in the market: one order before the period
// (29 March, Shanghai time), then from 30 March to 2 April orders by
// card, on pickup and by balance, an SMS bill, a partial refund at
// 23:59:59.999 on 31 March, the cash collected, a payout and its partial
// reversal at midnight, invoices for a plan (with a promotional credit)
// and a pickup point's franchise, the shop's invoice settled from its
// payable, the point's paid, a stored-value card redeemed, ad bookings
// and a plugin's usage.
func (f *fixture) story(t *testing.T) {
	veg, rice, buyer := f.Shop.ID, f.Shop2.ID, f.buyer.UserID
	f.paid(local(t, "2025-03-29 10:00:00.000"), billing.OrderMoney{OrderID: "o-0", OrderNumber: "N-0", ShopID: veg, Tender: "stripe",
		Lines: []billing.OrderLine{{Ref: "a", NetFen: 10000}}}, nil)
	f.entry(local(t, "2025-03-29 11:00:00.000"), billing.Entry{Kind: billing.KindTopUp, Reference: "topup-1",
		Lines: []billing.Line{{Account: stripe, AmountFen: 5000}, {Account: billing.CustomerBalance(buyer), AmountFen: -5000}}},
		map[string]int64{buyer: 5000})
	f.entry(local(t, "2025-03-29 12:00:00.000"), billing.Entry{Kind: billing.KindStoredValueIssued, Reference: "card-1",
		Lines: []billing.Line{{Account: billing.PlatformCash, AmountFen: 3000}, {Account: storedValue, AmountFen: -3000}}}, nil)

	// 30 March
	f.paid(local(t, "2025-03-30 00:00:00.000"), billing.OrderMoney{OrderID: "o-1", OrderNumber: "N-1", ShopID: veg, Tender: "offline",
		Lines: []billing.OrderLine{{Ref: "a", NetFen: 20000, PlatformDiscountFen: 1000}}, ShippingFen: 800}, nil)
	f.paid(local(t, "2025-03-30 18:30:00.000"), billing.OrderMoney{OrderID: "o-2", OrderNumber: "N-2", ShopID: rice, Tender: "balance",
		UserID: buyer, Lines: []billing.OrderLine{{Ref: "a", NetFen: 3000}}}, map[string]int64{buyer: -3000})
	f.entry(local(t, "2025-03-30 20:00:00.000"), billing.Entry{Kind: billing.KindUsage, Reference: "sms-1",
		Lines: []billing.Line{{Account: invoices(veg), AmountFen: 250}, {Account: revenue(billing.RevenueSMS), AmountFen: -250}}}, nil)

	// 31 March, the last millisecond
	last := local(t, "2025-03-31 23:59:59.999")
	f.dated(last, "R-1", nil, func(ctx context.Context, tx bun.IDB) error {
		return f.Ledger.OrderRefunded(ctx, tx, billing.RefundMoney{OrderID: "o-1", Reference: "R-1", Lines: []billing.RefundLine{{Ref: "a", AmountFen: 5000}}})
	})
	f.dated(local(t, "2025-03-31 12:00:00.000"), "C-1", nil, func(ctx context.Context, tx bun.IDB) error {
		return f.Ledger.Collected(ctx, tx, billing.Collection{OrderID: "o-1", OrderNumber: "C-1", ShopID: veg, AmountFen: 14800})
	})

	// 1 April, midnight
	midnight := local(t, "2025-04-01 00:00:00.000")
	f.entry(midnight, billing.Entry{Kind: billing.KindPayout, Reference: "po-1",
		Lines: []billing.Line{{Account: billing.ShopPayable(veg), AmountFen: 9500}, {Account: stripe, AmountFen: -9500}}}, nil)
	f.entry(midnight.Add(time.Hour), billing.Entry{Kind: billing.KindPayoutReversed, Reference: "po-1-r",
		Lines: []billing.Line{{Account: stripe, AmountFen: 2000}, {Account: billing.ShopPayable(veg), AmountFen: -2000}}}, nil)
	f.entry(midnight.Add(2*time.Hour), billing.Entry{Kind: billing.KindInvoiceIssued, Reference: "inv-veg",
		Lines: []billing.Line{{Account: invoices(veg), AmountFen: 8900}, {Account: billing.Promotion, AmountFen: 1000},
			{Account: revenue(billing.RevenuePlan), AmountFen: -9900}}}, nil)
	f.entry(midnight.Add(3*time.Hour), billing.Entry{Kind: billing.KindInvoiceIssued, Reference: "inv-point",
		Lines: []billing.Line{{Account: invoices(f.point), AmountFen: 1_280_000}, {Account: revenue(billing.RevenueFranchise), AmountFen: -1_280_000}}}, nil)

	// 2 April
	f.entry(local(t, "2025-04-02 09:00:00.000"), billing.Entry{Kind: billing.KindInvoiceSettled, Reference: "inv-veg-settled",
		Lines: []billing.Line{{Account: billing.ShopPayable(veg), AmountFen: 9150}, {Account: invoices(veg), AmountFen: -9150}}}, nil)
	f.entry(local(t, "2025-04-02 10:00:00.000"), billing.Entry{Kind: billing.KindInvoicePaid, Reference: "inv-point-paid",
		Lines: []billing.Line{{Account: billing.PlatformCash, AmountFen: 1_280_000}, {Account: invoices(f.point), AmountFen: -1_280_000}}}, nil)
	f.entry(local(t, "2025-04-02 11:00:00.000"), billing.Entry{Kind: billing.KindStoredValueRedeemed, Reference: "card-1-redeemed",
		Lines: []billing.Line{{Account: storedValue, AmountFen: 3000}, {Account: billing.CustomerBalance(buyer), AmountFen: -3000}}},
		map[string]int64{buyer: 3000})
	f.entry(local(t, "2025-04-02 12:00:00.000"), billing.Entry{Kind: billing.KindUsage, Reference: "ads-1",
		Lines: []billing.Line{{Account: invoices(rice), AmountFen: 5000}, {Account: revenue(billing.RevenueAds), AmountFen: -5000}}}, nil)
	f.entry(local(t, "2025-04-02 23:59:59.000"), billing.Entry{Kind: billing.KindUsage, Reference: "gb-1",
		Lines: []billing.Line{{Account: invoices(rice), AmountFen: 700}, {Account: revenue("groupbuy"), AmountFen: -700}}}, nil)
}

func period(from, to, group string) report.PeriodInput {
	return report.PeriodInput{From: from, To: to, Group: group}
}

// TestReportsMatchTheLedger posts the story and checks every total of
// the tenant report and of both shops' statements against balances read
// from the ledger with billing.Service.Balance, the day-by-day figures
// against the story, and each statement against billing's shop
// statement, on both databases.
func TestReportsMatchTheLedger(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		w := billingtest.NewWorld(t, d)
		f := newFixture(t, w, "rp")
		away := newFixture(t, w, "rpaway")
		f.story(t)
		// The other tenant's ledger must not show here.
		away.paid(local(t, "2025-03-30 12:00:00.000"), billing.OrderMoney{OrderID: "o-x", OrderNumber: "X-1", ShopID: away.Shop.ID,
			Tender: "stripe", Lines: []billing.OrderLine{{Ref: "a", NetFen: 777_777}}}, nil)
		billingtest.AssertBalanced(t, d)
		veg, rice, buyer := f.Shop.ID, f.Shop2.ID, f.buyer.UserID

		// The whole story in one period: every total is a ledger balance.
		checkTotals := func(r *report.TenantReport) {
			t.Helper()
			rv := r.RevenueTotal
			for name, c := range map[string]struct{ got, want int64 }{
				"commission":        {rv.CommissionFen, -f.balance(billing.Commission)},
				"plan":              {rv.PlanFen, -f.balance(revenue(billing.RevenuePlan))},
				"franchise":         {rv.FranchiseFen, -f.balance(revenue(billing.RevenueFranchise))},
				"sms":               {rv.SMSFen, -f.balance(revenue(billing.RevenueSMS))},
				"ads":               {rv.AdsFen, -f.balance(revenue(billing.RevenueAds))},
				"other":             {rv.OtherFen, -f.balance(revenue("groupbuy"))},
				"promotion":         {rv.PromotionFen, f.balance(billing.Promotion)},
				"balances":          {r.FloatTotal.BalancesFen, -f.balance(billing.CustomerBalance(buyer))},
				"cards":             {r.FloatTotal.StoredValueFen, -f.balance(storedValue)},
				"float":             {r.FloatTotal.FloatFen, -f.balance(billing.CustomerBalance(buyer)) - f.balance(storedValue)},
				"owed":              {r.ShopsTotal.OwedFen, -f.balance(billing.ShopPayable(veg)) - f.balance(billing.ShopPayable(rice))},
				"receivable":        {r.ShopsTotal.ReceivableFen, f.balance(billing.OfflineReceivable(veg)) + f.balance(billing.OfflineReceivable(rice))},
				"invoice due":       {r.ShopsTotal.InvoiceDueFen, f.balance(invoices(veg)) + f.balance(invoices(rice)) + f.balance(invoices(f.point))},
				"shops' commission": {r.ShopsTotal.CommissionFen, rv.CommissionFen},
				"shops' sales":      {r.ShopsTotal.SalesFen, r.SalesTotal.GMVFen},
				"total":             {rv.TotalFen, rv.CommissionFen + rv.PlanFen + rv.FranchiseFen + rv.SMSFen + rv.AdsFen + rv.OtherFen},
				"net":               {rv.NetFen, rv.TotalFen - rv.PromotionFen},
			} {
				if c.got != c.want {
					t.Errorf("%s %s–%s: %d, ledger %d", name, r.Period.From, r.Period.To, c.got, c.want)
				}
			}
			for _, s := range r.Shops {
				var want struct{ owed, recv, due int64 }
				want.due = f.balance(invoices(s.ID))
				if s.Kind == report.PartyShop {
					want.owed, want.recv = -f.balance(billing.ShopPayable(s.ID)), f.balance(billing.OfflineReceivable(s.ID))
				}
				if s.OwedFen != want.owed || s.ReceivableFen != want.recv || s.InvoiceDueFen != want.due {
					t.Errorf("%s: owed %d receivable %d due %d, ledger %+v", s.Name, s.OwedFen, s.ReceivableFen, s.InvoiceDueFen, want)
				}
			}
		}
		for _, group := range []string{report.ByDay, report.ByMonth} {
			r, err := f.reports.Tenant(f.Ctx, f.Admin, period("2025-03-01", "2025-04-30", group))
			if err != nil {
				t.Fatal(err)
			}
			checkTotals(r)
			if r.FloatOpeningFen != 0 || len(r.Shops) != 3 {
				t.Errorf("%s: opening %d, %d parties", group, r.FloatOpeningFen, len(r.Shops))
			}
			// GMV from the orders as posted: goods after shop discounts
			// plus shipping.
			if s := r.SalesTotal; s.GMVFen != 10000+20800+3000 || s.PaidFen != 10000+19800+3000 || s.PlatformDiscountFen != 1000 ||
				s.Orders != 3 || s.RefundedFen != 5000 || s.DiscountReversedFen != 263 || s.NetGMVFen != 33800-5263 {
				t.Errorf("%s: sales %+v", group, s)
			}
		}
		month, err := f.reports.Tenant(f.Ctx, f.Admin, period("2025-03-01", "2025-04-30", report.ByMonth))
		if err != nil {
			t.Fatal(err)
		}
		if len(month.Revenue) != 2 || month.Revenue[0].Period != "2025-03" || month.Revenue[0].CommissionFen != 500+1150-263 ||
			month.Revenue[1].CommissionFen != 0 || month.Revenue[1].PlanFen != 9900 || month.Sales[0].Orders != 3 {
			t.Errorf("by month %+v %+v", month.Revenue, month.Sales)
		}

		// Four days by day: the story as it happened.
		r, err := f.reports.Tenant(f.Ctx, f.Admin, period("2025-03-30", "2025-04-02", report.ByDay))
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Revenue) != 4 || r.Revenue[0].Period != "2025-03-30" || r.Revenue[3].Period != "2025-04-02" {
			t.Fatalf("buckets %+v", r.Revenue)
		}
		wantRevenue := []report.RevenueRow{
			{Period: "2025-03-30", CommissionFen: 1150, SMSFen: 250, TotalFen: 1400, PromotionFen: 1000, NetFen: 400},
			{Period: "2025-03-31", CommissionFen: -263, TotalFen: -263, PromotionFen: -263},
			{Period: "2025-04-01", PlanFen: 9900, FranchiseFen: 1_280_000, TotalFen: 1_289_900, PromotionFen: 1000, NetFen: 1_288_900},
			{Period: "2025-04-02", AdsFen: 5000, OtherFen: 700, TotalFen: 5700, NetFen: 5700},
		}
		for i, want := range wantRevenue {
			if r.Revenue[i] != want {
				t.Errorf("revenue %d: %+v, want %+v", i, r.Revenue[i], want)
			}
		}
		wantSales := []report.SalesRow{
			{Period: "2025-03-30", Orders: 2, PaidFen: 22800, PlatformDiscountFen: 1000, GMVFen: 23800, NetGMVFen: 23800},
			{Period: "2025-03-31", RefundedFen: 5000, DiscountReversedFen: 263, NetGMVFen: -5263},
			{Period: "2025-04-01"}, {Period: "2025-04-02"},
		}
		for i, want := range wantSales {
			if r.Sales[i] != want {
				t.Errorf("sales %d: %+v, want %+v", i, r.Sales[i], want)
			}
		}
		if r.FloatOpeningFen != 8000 || r.Float[0].BalancesChangeFen != -3000 || r.Float[0].FloatFen != 5000 ||
			r.Float[1].ChangeFen != 0 || r.Float[3].BalancesChangeFen != 3000 || r.Float[3].StoredValueChangeFen != -3000 ||
			r.Float[3].BalancesFen != 5000 || r.Float[3].StoredValueFen != 0 || r.FloatTotal.FloatFen != 5000 || r.FloatTotal.ChangeFen != -3000 {
			t.Errorf("float opening %d, %+v, total %+v", r.FloatOpeningFen, r.Float, r.FloatTotal)
		}
		byID := map[string]report.ShopRow{}
		for _, s := range r.Shops {
			byID[s.ID] = s
		}
		if v := byID[veg]; v.Kind != report.PartyShop || v.Name != f.Shop.Name || v.SalesFen != 20800 || v.RefundsFen != 5263 ||
			v.CommissionFen != 1000-263 || v.CashFen != 14800 || v.PayoutsFen != 7500 || v.FeesFen != 9150 || v.BilledFen != 250+8900 ||
			v.NetFen != 19800-5000-14800-7500-9150 || v.OwedFen != 9500+v.NetFen || v.ReceivableFen != 0 || v.InvoiceDueFen != 0 {
			t.Errorf("veg %+v", v)
		}
		if p := byID[f.point]; p.Kind != report.PartyPickupPoint || p.Name != "岳麓山自提点" || p.BilledFen != 1_280_000 ||
			p.InvoicePaidFen != 1_280_000 || p.InvoiceDueFen != 0 || p.OwedFen != 0 {
			t.Errorf("pickup point %+v", p)
		}
		if len(r.Shops) != 3 || r.Shops[0].ID != rice || r.Shops[1].ID != f.point || r.Shops[2].ID != veg {
			t.Errorf("shops not by payable, largest first: %+v", r.Shops)
		}

		// Each shop's statement: totals are ledger balances, each day the
		// sum of billing's shop statement lines of that day.
		for _, sh := range []*merchant.Shop{f.Shop, f.Shop2} {
			owner := f.Owner
			if sh.ID == rice {
				owner = f.Owner2
			}
			for _, in := range []report.PeriodInput{period("2025-03-01", "2025-04-30", report.ByDay), period("2025-03-30", "2025-04-02", report.ByDay)} {
				sr, err := f.reports.Shop(f.Ctx, owner, sh.ID, in)
				if err != nil {
					t.Fatal(err)
				}
				if sr.Shop.Name != sh.Name || sr.Total.OwedFen != -f.balance(billing.ShopPayable(sh.ID)) ||
					sr.Total.ReceivableFen != f.balance(billing.OfflineReceivable(sh.ID)) || sr.Total.InvoiceDueFen != f.balance(invoices(sh.ID)) ||
					sr.Opening.OwedFen+sr.Total.NetFen != sr.Total.OwedFen {
					t.Errorf("%s %s: %+v opening %+v", sh.Name, in.From, sr.Total, sr.Opening)
				}
				st, err := f.Ledger.ShopStatement(f.Ctx, owner, sh.ID, merchant.Page{Limit: 1000})
				if err != nil {
					t.Fatal(err)
				}
				owed, recv := map[string]int64{}, map[string]int64{}
				for _, l := range st.Lines {
					day := l.CreatedAt.In(shanghai).Format("2006-01-02")
					owed[day] += l.OwedFen
					recv[day] += l.ReceivableFen
				}
				for _, row := range sr.Rows {
					m := row.Movements
					if row.NetFen != owed[row.Period] || row.ReceivableChangeFen != recv[row.Period] ||
						m.NetFen != m.SalesFen-m.RefundsFen-m.CommissionFen-m.CashFen-m.PayoutsFen-m.FeesFen+m.OtherFen {
						t.Errorf("%s %s: %+v, billing's statement owed %d receivable %d", sh.Name, row.Period, row, owed[row.Period], recv[row.Period])
					}
				}
			}
		}
		sr, err := f.reports.Shop(f.Ctx, f.Admin, veg, period("2025-03-30", "2025-04-02", report.ByDay))
		if err != nil {
			t.Fatal(err)
		}
		wantRows := []report.StatementRow{
			{Period: "2025-03-30", Movements: report.Movements{SalesFen: 20800, CommissionFen: 1000, NetFen: 19800, BilledFen: 250,
				ReceivableChangeFen: 19800}, OwedFen: 29300, ReceivableFen: 19800, InvoiceDueFen: 250},
			{Period: "2025-03-31", Movements: report.Movements{RefundsFen: 5263, CommissionFen: -263, CashFen: 14800, NetFen: -19800,
				ReceivableChangeFen: -19800}, OwedFen: 9500, InvoiceDueFen: 250},
			{Period: "2025-04-01", Movements: report.Movements{PayoutsFen: 7500, NetFen: -7500, BilledFen: 8900}, OwedFen: 2000, InvoiceDueFen: 9150},
			{Period: "2025-04-02", Movements: report.Movements{FeesFen: 9150, NetFen: -9150}, OwedFen: -7150},
		}
		if sr.Opening.OwedFen != 9500 || len(sr.Rows) != 4 {
			t.Fatalf("veg opening %+v, %d rows", sr.Opening, len(sr.Rows))
		}
		for i, want := range wantRows {
			got := sr.Rows[i]
			if got.Period != want.Period || got.SalesFen != want.SalesFen || got.RefundsFen != want.RefundsFen ||
				got.CommissionFen != want.CommissionFen || got.CashFen != want.CashFen || got.PayoutsFen != want.PayoutsFen ||
				got.FeesFen != want.FeesFen || got.NetFen != want.NetFen || got.BilledFen != want.BilledFen ||
				got.ReceivableChangeFen != want.ReceivableChangeFen || got.OwedFen != want.OwedFen ||
				got.ReceivableFen != want.ReceivableFen || got.InvoiceDueFen != want.InvoiceDueFen {
				t.Errorf("veg row %d: %+v, want %+v", i, got, want)
			}
		}

		// An order after the period changes nothing in it, and the next
		// period's report sees it and still matches the ledger.
		f.paid(local(t, "2025-04-03 00:00:00.000"), billing.OrderMoney{OrderID: "o-3", OrderNumber: "N-3", ShopID: veg, Tender: "stripe",
			Lines: []billing.OrderLine{{Ref: "a", NetFen: 7000}}}, nil)
		again, err := f.reports.Tenant(f.Ctx, f.Admin, period("2025-03-30", "2025-04-02", report.ByDay))
		if err != nil {
			t.Fatal(err)
		}
		if again.RevenueTotal != r.RevenueTotal || again.SalesTotal != r.SalesTotal || again.ShopsTotal != r.ShopsTotal {
			t.Errorf("a later order changed the period: %+v", again.SalesTotal)
		}
		after, err := f.reports.Tenant(f.Ctx, f.Admin, period("2025-03-01", "2025-04-03", report.ByMonth))
		if err != nil {
			t.Fatal(err)
		}
		if after.SalesTotal.GMVFen != 33800+7000 || after.RevenueTotal.CommissionFen != -f.balance(billing.Commission) ||
			after.ShopsTotal.OwedFen != -f.balance(billing.ShopPayable(veg))-f.balance(billing.ShopPayable(rice)) {
			t.Errorf("after: %+v %+v", after.SalesTotal, after.ShopsTotal)
		}
		sum := int64(-1)
		if err := d.RunInReadTx(f.Ctx, func(ctx context.Context, tx bun.IDB) (err error) { sum, err = f.Ledger.Sum(ctx, tx); return err }); err != nil || sum != 0 {
			t.Errorf("ledger sum %d %v", sum, err)
		}

		// The other tenant sees only its own order.
		ar, err := away.reports.Tenant(away.Ctx, away.Admin, period("2025-03-01", "2025-04-30", report.ByMonth))
		if err != nil {
			t.Fatal(err)
		}
		if ar.SalesTotal.GMVFen != 777_777 || ar.RevenueTotal.PlanFen != 0 || len(ar.Shops) != 1 || ar.Shops[0].ID != away.Shop.ID {
			t.Errorf("other tenant %+v %+v", ar.SalesTotal, ar.Shops)
		}
		billingtest.AssertBalanced(t, d)
	})
}

// TestReportsAuthorisation: the tenant report needs ledger:read in the
// tenant; a shop's statement needs it in the shop, and answers 404 for
// another tenant's shop, another merchant's shop or an unknown id, 403
// for staff who see the shop but not its ledger.
func TestReportsAuthorisation(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		w := billingtest.NewWorld(t, d)
		f := newFixture(t, w, "ra")
		away := newFixture(t, w, "raaway")
		in := period("2025-03-01", "2025-03-31", report.ByDay)
		if _, err := f.reports.Tenant(f.Ctx, f.Owner, in); core.ErrorCode(err) != core.Forbidden {
			t.Errorf("owner's tenant report: %v", err)
		}
		if _, err := f.reports.Tenant(f.Ctx, f.buyer, in); core.ErrorCode(err) != core.Forbidden {
			t.Errorf("shopper's tenant report: %v", err)
		}
		if _, err := f.reports.Tenant(f.Ctx, away.Admin, in); core.ErrorCode(err) != core.Unauthenticated {
			t.Errorf("other tenant's admin: %v", err)
		}
		if _, err := f.reports.Tenant(f.Ctx, nil, in); core.ErrorCode(err) != core.Unauthenticated {
			t.Errorf("nobody: %v", err)
		}
		staff := f.User("staff", authz.MerchantStaff, merchant.OwnerDomain(f.Tenant.ID, f.Shop.ID))
		for name, c := range map[string]struct {
			who  *identity.Principal
			shop string
			want core.Code
		}{
			"owner of another shop":  {f.Owner2, f.Shop.ID, core.NotFound},
			"shopper":                {f.buyer, f.Shop.ID, core.NotFound},
			"staff":                  {staff, f.Shop.ID, core.Forbidden},
			"another tenant's shop":  {f.Admin, away.Shop.ID, core.NotFound},
			"unknown shop":           {f.Admin, tenants.NewID(), core.NotFound},
			"not an id":              {f.Admin, "veg", core.NotFound},
			"upper-case id":          {f.Admin, "A" + f.Shop.ID[1:], core.NotFound},
			"owner, bad period only": {f.Owner, f.Shop.ID, core.Invalid},
		} {
			pin := in
			if c.want == core.Invalid {
				pin = period("2025-04-01", "2025-03-01", report.ByDay)
			}
			if _, err := f.reports.Shop(f.Ctx, c.who, c.shop, pin); core.ErrorCode(err) != c.want {
				t.Errorf("%s: %v, want %s", name, err, c.want)
			}
		}
		if _, err := f.reports.Shop(f.Ctx, f.Owner, f.Shop.ID, in); err != nil {
			t.Errorf("owner: %v", err)
		}
		if _, err := f.reports.Shop(f.Ctx, f.Admin, f.Shop2.ID, in); err != nil {
			t.Errorf("tenant admin: %v", err)
		}
	})
}

// TestPeriod: defaults, day and month buckets in the tenant's zone
// (partial months, a daylight-saving day of 23 hours) and bad input.
func TestPeriod(t *testing.T) {
	s := report.New(report.Deps{})
	s.SetNow(func() time.Time { return time.Date(2025, 4, 15, 17, 0, 0, 0, time.UTC) }) // 16 April 01:00 in Shanghai
	ctx := tenants.WithTenant(context.Background(), &tenants.Tenant{ID: tenants.NewID(), TimeZone: "Asia/Shanghai", Currency: "CNY"})
	p, err := s.Period(ctx, report.PeriodInput{})
	if err != nil || p.From != "2025-04-01" || p.To != "2025-04-16" || p.Group != "day" || len(p.Buckets) != 16 ||
		!p.Start.Equal(time.Date(2025, 3, 31, 16, 0, 0, 0, time.UTC)) || !p.End.Equal(time.Date(2025, 4, 16, 16, 0, 0, 0, time.UTC)) ||
		p.TimeZone != "Asia/Shanghai" || p.Currency != "CNY" {
		t.Fatalf("default %+v %v", p, err)
	}
	p, err = s.Period(ctx, report.PeriodInput{Group: "month"})
	if err != nil || p.From != "2024-05-01" || p.To != "2025-04-16" || len(p.Buckets) != 12 || p.Buckets[0].Label != "2024-05" ||
		!p.Buckets[11].End.Equal(p.End) {
		t.Fatalf("default by month %+v %v", p, err)
	}
	p, err = s.Period(ctx, report.PeriodInput{From: "2024-02-10", To: "2024-03-05", Group: "month"})
	if err != nil || len(p.Buckets) != 2 || p.Buckets[0].Label != "2024-02" ||
		!p.Buckets[0].Start.Equal(time.Date(2024, 2, 9, 16, 0, 0, 0, time.UTC)) ||
		!p.Buckets[1].Start.Equal(time.Date(2024, 2, 29, 16, 0, 0, 0, time.UTC)) ||
		!p.Buckets[1].End.Equal(time.Date(2024, 3, 5, 16, 0, 0, 0, time.UTC)) {
		t.Fatalf("partial months %+v %v", p, err)
	}
	ny := tenants.WithTenant(context.Background(), &tenants.Tenant{ID: tenants.NewID(), TimeZone: "America/New_York"})
	p, err = s.Period(ny, report.PeriodInput{From: "2025-03-08", To: "2025-03-10"})
	if err != nil || len(p.Buckets) != 3 || p.Buckets[1].End.Sub(p.Buckets[1].Start) != 23*time.Hour ||
		!p.Buckets[1].Start.Equal(time.Date(2025, 3, 9, 5, 0, 0, 0, time.UTC)) {
		t.Fatalf("daylight saving %+v %v", p, err)
	}
	if p, err := s.Period(ctx, report.PeriodInput{From: "2024-01-01", To: "2024-12-31"}); err != nil || len(p.Buckets) != 366 {
		t.Fatalf("a leap year by day: %d %v", len(p.Buckets), err)
	}
	for _, c := range []struct {
		in    report.PeriodInput
		field string
		key   string
	}{
		{report.PeriodInput{From: "2025-02-30", To: "2025-03-01"}, "from", "report.field.date"},
		{report.PeriodInput{From: "2025-03-01", To: "03/05/2025"}, "to", "report.field.date"},
		{report.PeriodInput{From: "1999-12-31", To: "2000-01-01"}, "from", "report.field.date"},
		{report.PeriodInput{From: "2025-03-01", To: "2100-01-01"}, "to", "report.field.date"},
		{report.PeriodInput{From: "2025-03-02", To: "2025-03-01"}, "from", "report.field.order"},
		{report.PeriodInput{From: "2025-03-01", To: "2025-03-31", Group: "week"}, "group", "report.field.group"},
		{report.PeriodInput{From: "2024-01-01", To: "2025-01-01"}, "to", "report.field.too_long"},
		{report.PeriodInput{From: "2000-01-01", To: "2099-12-31", Group: "month"}, "to", "report.field.too_long"},
		{report.PeriodInput{From: "2025-05-01"}, "from", "report.field.order"},
	} {
		_, err := s.Period(ctx, c.in)
		if core.ErrorCode(err) != core.Invalid || fields(err)[c.field] != c.key {
			t.Errorf("%+v: %v %v, want %s on %s", c.in, err, fields(err), c.key, c.field)
		}
	}
}
