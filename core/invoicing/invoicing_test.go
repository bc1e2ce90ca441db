package invoicing_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/billing/billingtest"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/invoicing"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
)

// lineKey is an invoice line as the tests compare it.
type lineKey struct {
	Kind, Metric         string
	Qty, Unit, AmountFen int64
}

func keys(ls []*invoicing.Line) []lineKey {
	var out []lineKey
	for _, l := range ls {
		out = append(out, lineKey{l.Kind, l.Metric, l.Quantity, l.UnitFen, l.AmountFen})
	}
	return out
}

// TestMonthOfBilling is the month of a marketplace: plans (a paid plan,
// the free tier, the franchise), recorded usage with a replay, plugins'
// usage (priced and not), the onboarding gift pack, orders with
// commission; drafts refreshed as usage comes in; the month issued with
// settlement from the payable balance (partial and full); a second run
// that changes nothing; an invoice paid offline, one by Stripe (MarkPaid,
// idempotent on its reference), one voided after a partial settlement
// and the franchise voided whole. Every invoice and account is checked to
// the fen, and the ledger balances after every step.
func TestMonthOfBilling(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx, admin, P := e.Ctx, e.Admin, e.period
		if _, err := e.inv.InstallDefaultPlans(ctx, admin); err != nil {
			t.Fatal(err)
		}
		plans, err := e.inv.Plans(ctx, admin)
		if err != nil || len(plans) != 2 {
			t.Fatalf("default plans: %v %d", err, len(plans))
		}
		byCode := map[string]*invoicing.Plan{}
		for _, p := range plans {
			byCode[p.Code] = p
		}
		if f := byCode[invoicing.PlanFranchise]; f == nil || f.FeeFen != 1_280_000 || f.Interval != invoicing.Annual ||
			f.RevenueSource != billing.RevenueFranchise || f.OwnerKind != invoicing.OwnerPickupPoint {
			t.Fatalf("franchise plan %+v", f)
		}
		pro, err := e.inv.CreatePlan(ctx, admin, invoicing.PlanInput{Code: "pro", Name: "专业版", OwnerKind: invoicing.OwnerShop,
			Interval: invoicing.Monthly, FeeFen: ptr(int64(9900)), RevenueSource: billing.RevenuePlan})
		if err != nil {
			t.Fatal(err)
		}
		shop1, shop2 := e.Shop, e.Shop2
		shop3, _ := e.OpenShop("tea")
		shop4, _ := e.OpenShop("egg")
		pt := e.point("麓山社区服务中心")
		for owner, plan := range map[string]string{shop1.ID: pro.ID, shop2.ID: byCode[invoicing.PlanFree].ID, shop3.ID: pro.ID,
			shop4.ID: pro.ID, pt.ID: byCode[invoicing.PlanFranchise].ID} {
			if _, err := e.inv.Assign(ctx, admin, invoicing.AssignInput{OwnerID: owner, PlanID: plan, StartsOn: P.FirstDay()}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.inv.SetPrice(ctx, admin, "groupbuy.campaign", 2000); err != nil {
			t.Fatal(err)
		}
		gifts, err := e.inv.GrantOnboardingPack(ctx, admin, shop1.ID)
		if err != nil || len(gifts) != 2 {
			t.Fatalf("gift pack: %v %d", err, len(gifts))
		}
		if _, err := e.inv.GrantOnboardingPack(ctx, admin, shop1.ID); code(err) != core.Conflict {
			t.Fatalf("second gift pack: %v", err)
		}

		e.mustRecord(shop1.ID, invoicing.MetricSMS, 1000, "s1")
		e.mustRecord(shop1.ID, invoicing.MetricSMS, 200, "s2")
		if u, err := e.record(invoicing.UsageInput{OwnerID: shop1.ID, Metric: invoicing.MetricSMS, Quantity: 1000, IdemKey: "s1", Source: "test"}); err != nil || !u.Replayed || u.AmountFen != 5000 {
			t.Fatalf("replay: %v %+v", err, u)
		}
		e.mustRecord(shop1.ID, invoicing.MetricAdSlotDay, 10, "a1")
		e.mustRecord(shop1.ID, invoicing.MetricStorage, 3, "g1")
		e.mustRecord(shop1.ID, invoicing.MetricShippingOrder, 30, "o1")
		e.mustRecord(shop2.ID, invoicing.MetricSMS, 50, "t1")
		e.mustRecord(shop3.ID, invoicing.MetricSMS, 100, "u1")
		e.pluginUsage("groupbuy", shop1.ID, "groupbuy.campaign", 3)
		e.pluginUsage("hostcall", shop1.ID, "hostcall.run", 5)
		e.sale(shop1, "o-1", 10000)
		e.sale(shop2, "o-2", 1000)
		e.sale(shop3, "o-3", 1000)
		billingtest.AssertBalanced(t, d)
		if got := e.Balance(revenue(billing.RevenueSMS)); got != -(6000 + 250 + 500) {
			t.Fatalf("sms revenue as recorded: %d", got)
		}

		// Drafts while the month runs; issuing has to wait for its end.
		if _, err := e.generate(P, true); fields(err)["period"] != "invoicing.field.period_open" {
			t.Fatalf("issue an open period: %v", err)
		}
		if _, err := e.generate(P.Next(), false); fields(err)["period"] != "invoicing.field.period_future" {
			t.Fatalf("future period: %v", err)
		}
		res, err := e.generate(P, false)
		if err != nil || res.Created != 5 || res.Issued != 0 {
			t.Fatalf("drafts: %v %+v", err, res)
		}
		entries, _, _ := e.counts()
		e.mustRecord(shop3.ID, invoicing.MetricSMS, 1, "u2") // late usage the refresh picks up
		if res, err = e.generate(P, false); err != nil || res.Created != 0 || res.Refreshed != 5 {
			t.Fatalf("refresh: %v %+v", err, res)
		}
		if d3 := e.invoiceOf(shop3.ID, P); d3.Status != invoicing.StatusDraft || d3.TotalFen != 9900+505 {
			t.Fatalf("refreshed draft %+v", d3)
		}
		if n, _, _ := e.counts(); n != entries+1 {
			t.Fatalf("drafts posted: %d entries, want %d", n, entries+1)
		}

		e.afterPeriod(P)
		res, err = e.generate(P, true)
		if err != nil || res.Created != 0 || res.Refreshed != 5 || res.Issued != 5 || res.Paid != 1 {
			t.Fatalf("month end: %v %+v", err, res)
		}
		billingtest.AssertBalanced(t, d)

		inv1 := e.invoiceOf(shop1.ID, P)
		want1 := []lineKey{
			{"plan", "", 1, 9900, 9900},
			{"usage", "ad_slot_day", 10, 5000, 50000},
			{"usage", "groupbuy.campaign", 3, 2000, 6000},
			{"usage", "hostcall.run", 5, 0, 0},
			{"usage", "shipping_order", 30, 600, 18000},
			{"usage", "sms", 1200, 5, 6000},
			{"usage", "storage_gb_month", 3, 100, 300},
			{"credit", "ad_slot_day", 7, 5000, -35000},
			{"credit", "shipping_order", 30, 600, -18000},
			{"commission", "", 0, 0, 500},
		}
		if got := keys(inv1.Lines); fmt.Sprint(got) != fmt.Sprint(want1) {
			t.Fatalf("shop1 lines\n got %v\nwant %v", got, want1)
		}
		if inv1.Lines[3].Priced || !inv1.Lines[2].Priced || inv1.Lines[2].Source != "plugin:groupbuy" {
			t.Fatalf("plugin lines %+v %+v", inv1.Lines[2], inv1.Lines[3])
		}
		if inv1.FeesFen != 9900 || inv1.UsageFen != 80300 || inv1.CreditFen != 53000 || inv1.TotalFen != 37200 ||
			inv1.CommissionFen != 500 || inv1.SettledFen != 9500 || inv1.DueFen != 27700 || inv1.Status != invoicing.StatusOpen ||
			!strings.HasPrefix(inv1.Number, "INV-"+strings.ReplaceAll(P.String(), "-", "")+"-") || len(inv1.Payments) != 1 {
			t.Fatalf("shop1 invoice %+v", inv1)
		}
		inv2 := e.invoiceOf(shop2.ID, P)
		if inv2.TotalFen != 250 || inv2.SettledFen != 250 || inv2.Status != invoicing.StatusPaid || inv2.PaidMethod != invoicing.MethodPayable ||
			inv2.CommissionFen != 50 || fmt.Sprint(keys(inv2.Lines)) != fmt.Sprint([]lineKey{{"plan", "", 1, 0, 0}, {"usage", "sms", 50, 5, 250}, {"commission", "", 0, 0, 50}}) {
			t.Fatalf("shop2 invoice %+v %v", inv2, keys(inv2.Lines))
		}
		inv3 := e.invoiceOf(shop3.ID, P)
		if inv3.TotalFen != 10405 || inv3.SettledFen != 950 || inv3.DueFen != 9455 || inv3.Status != invoicing.StatusOpen {
			t.Fatalf("shop3 invoice %+v", inv3)
		}
		inv4 := e.invoiceOf(shop4.ID, P)
		if inv4.TotalFen != 9900 || inv4.SettledFen != 0 || inv4.DueFen != 9900 {
			t.Fatalf("shop4 invoice %+v", inv4)
		}
		invPt := e.invoiceOf(pt.ID, P)
		if invPt.TotalFen != 1_280_000 || invPt.FeesFen != 1_280_000 || invPt.Status != invoicing.StatusOpen || invPt.OwnerKind != invoicing.OwnerPickupPoint ||
			len(invPt.Lines) != 1 || invPt.Lines[0].RevenueSource != billing.RevenueFranchise {
			t.Fatalf("pickup point invoice %+v", invPt)
		}
		for acc, want := range map[billing.Account]int64{
			revenue(billing.RevenuePlan): -3 * 9900, revenue(billing.RevenueFranchise): -1_280_000,
			revenue(billing.RevenueSMS): -(6000 + 250 + 505), revenue(billing.RevenueAds): -50000, revenue(billing.RevenueStorage): -300,
			revenue(billing.RevenueUsage): -(18000 + 6000), billing.Promotion: 53000,
			receivable(shop1.ID): 27700, receivable(shop2.ID): 0, receivable(shop3.ID): 9455, receivable(shop4.ID): 9900, receivable(pt.ID): 1_280_000,
			billing.ShopPayable(shop1.ID): 0, billing.ShopPayable(shop2.ID): -700, billing.ShopPayable(shop3.ID): 0,
		} {
			if got := e.Balance(acc); got != want {
				t.Errorf("%s: %d, want %d", acc, got, want)
			}
		}
		credits, err := e.inv.Credits(ctx, admin, shop1.ID)
		if err != nil || len(credits) != 2 {
			t.Fatalf("credits %v %d", err, len(credits))
		}
		for _, g := range credits {
			if left := map[string]int64{invoicing.MetricAdSlotDay: 0, invoicing.MetricShippingOrder: 70}[g.Metric]; g.Remaining != left {
				t.Errorf("%s credit left %d, want %d", g.Metric, g.Remaining, left)
			}
		}

		// The month again: nothing new.
		entries, usage, invoices := e.counts()
		res, err = e.generate(P, true)
		if err != nil || res.Created+res.Refreshed+res.Issued != 0 || res.Skipped != 5 {
			t.Fatalf("second run: %v %+v", err, res)
		}
		if a, b, c := e.counts(); a != entries || b != usage || c != invoices {
			t.Fatalf("second run wrote: %d/%d/%d entries, usage, invoices, want %d/%d/%d", a, b, c, entries, usage, invoices)
		}
		billingtest.AssertBalanced(t, d)

		// Paid offline; the same receipt again is a replay; another
		// receipt finds it paid; a receipt of another invoice is refused.
		if got, err := e.inv.MarkPaidOffline(ctx, admin, inv1.ID, "RCPT-001", "银行转账"); err != nil || got.Status != invoicing.StatusPaid ||
			got.PaidFen != 27700 || got.DueFen != 0 || got.PaidMethod != invoicing.MethodOffline {
			t.Fatalf("paid offline: %v %+v", err, got)
		}
		markPaid := func(id, method, ref string) error {
			return e.Tx(func(ctx context.Context, tx bun.IDB) error { return e.inv.MarkPaid(ctx, tx, id, method, ref) })
		}
		if err := markPaid(inv1.ID, invoicing.MethodOffline, "RCPT-001"); err != nil {
			t.Fatalf("replayed receipt: %v", err)
		}
		if err := markPaid(inv1.ID, invoicing.MethodOffline, "RCPT-002"); code(err) != core.Conflict {
			t.Fatalf("paid twice: %v", err)
		}
		if err := markPaid(inv4.ID, invoicing.MethodOffline, "RCPT-001"); fields(err)["ref"] != "invoicing.field.ref_used" {
			t.Fatalf("receipt of another invoice: %v", err)
		}
		if err := markPaid(inv4.ID, "pay pal", "x"); fields(err)["method"] == "" {
			t.Fatalf("bad method: %v", err)
		}
		if e.Balance(billing.PlatformCash) != 27700 || e.Balance(receivable(shop1.ID)) != 0 {
			t.Fatalf("offline payment: cash %d, receivable %d", e.Balance(billing.PlatformCash), e.Balance(receivable(shop1.ID)))
		}
		billingtest.AssertBalanced(t, d)

		// Stripe's invoice.paid, delivered twice.
		for range 2 {
			if err := markPaid(inv4.ID, invoicing.MethodStripe, "in_1QxYz"); err != nil {
				t.Fatalf("stripe paid: %v", err)
			}
		}
		if e.Balance(billing.TenderClearing("stripe")) != 9900 || e.Balance(receivable(shop4.ID)) != 0 {
			t.Fatalf("stripe payment: clearing %d", e.Balance(billing.TenderClearing("stripe")))
		}
		if got := e.invoiceOf(shop4.ID, P); got.Status != invoicing.StatusPaid || got.PaidMethod != "stripe" || len(got.Payments) != 1 {
			t.Fatalf("stripe-paid invoice %+v", got)
		}
		billingtest.AssertBalanced(t, d)

		// Void after a partial settlement: the 9,455 fen still due are
		// reversed in proportion (plan 9,900 and SMS 505 of 10,405).
		if _, err := e.inv.VoidInvoice(ctx, admin, inv3.ID, ""); fields(err)["reason"] == "" {
			t.Fatalf("void without a reason: %v", err)
		}
		got3, err := e.inv.VoidInvoice(ctx, admin, inv3.ID, "开错了")
		if err != nil || got3.Status != invoicing.StatusVoid || got3.DueFen != 0 {
			t.Fatalf("void: %v %+v", err, got3)
		}
		// plan 9900×9455/10405 = 8996.1, sms 505×9455/10405 = 458.9:
		// 8996 + 458 = 9454, the last fen to the larger remainder (sms).
		if e.Balance(receivable(shop3.ID)) != 0 || e.Balance(revenue(billing.RevenuePlan)) != -3*9900+8996 ||
			e.Balance(revenue(billing.RevenueSMS)) != -(6000+250+505)+459 {
			t.Fatalf("void reversal: receivable %d, plan %d, sms %d", e.Balance(receivable(shop3.ID)),
				e.Balance(revenue(billing.RevenuePlan)), e.Balance(revenue(billing.RevenueSMS)))
		}
		if _, err := e.inv.VoidInvoice(ctx, admin, inv3.ID, "again"); code(err) != core.Conflict {
			t.Fatalf("void twice: %v", err)
		}
		if _, err := e.inv.VoidInvoice(ctx, admin, inv2.ID, "paid"); code(err) != core.Conflict {
			t.Fatalf("void a paid invoice: %v", err)
		}
		if err := markPaid(inv3.ID, invoicing.MethodOffline, "RCPT-003"); code(err) != core.Conflict {
			t.Fatalf("pay a void invoice: %v", err)
		}
		if _, err := e.inv.VoidInvoice(ctx, admin, invPt.ID, "加盟终止"); err != nil {
			t.Fatal(err)
		}
		if e.Balance(receivable(pt.ID)) != 0 || e.Balance(revenue(billing.RevenueFranchise)) != 0 {
			t.Fatalf("franchise void: %d %d", e.Balance(receivable(pt.ID)), e.Balance(revenue(billing.RevenueFranchise)))
		}
		billingtest.AssertBalanced(t, d)

		// Every entry kind of the month is the one billing names.
		kinds := map[string]int{}
		err = e.W.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			var rows []struct {
				Kind string `bun:"kind"`
				N    int    `bun:"n"`
			}
			err := tx.NewSelect().Table("journal_entries").ColumnExpr("kind, COUNT(*) AS n").Where("tenant_id = ?", e.Tenant.ID).
				Group("kind").Scan(ctx, &rows)
			for _, r := range rows {
				kinds[r.Kind] = r.N
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{billing.KindOrderPaid: 3, billing.KindUsage: 8 + 1, billing.KindInvoiceIssued: 4,
			billing.KindInvoiceSettled: 3, billing.KindInvoicePaid: 2, billing.KindInvoiceVoided: 2}
		if fmt.Sprint(kinds) != fmt.Sprint(want) {
			t.Fatalf("entry kinds %v, want %v", kinds, want)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// TestRecordRefusals: an unpriced metric, a zero or negative quantity, an
// owner of another tenant, a missing key: field errors, nothing written.
func TestRecordRefusals(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		away := billingtest.NewMarket(t, e.W, "iv2")
		before, usage, _ := e.counts()
		for name, c := range map[string]struct {
			in    invoicing.UsageInput
			field string
			key   string
		}{
			"unpriced":      {invoicing.UsageInput{OwnerID: e.Shop.ID, Metric: "fax_page", Quantity: 1, IdemKey: "k", Source: "test"}, "metric", "invoicing.field.metric_unpriced"},
			"negative":      {invoicing.UsageInput{OwnerID: e.Shop.ID, Metric: "sms", Quantity: -5, IdemKey: "k", Source: "test"}, "quantity", "invoicing.field.quantity_range"},
			"zero":          {invoicing.UsageInput{OwnerID: e.Shop.ID, Metric: "sms", Quantity: 0, IdemKey: "k", Source: "test"}, "quantity", "invoicing.field.quantity_range"},
			"too many":      {invoicing.UsageInput{OwnerID: e.Shop.ID, Metric: "sms", Quantity: invoicing.MaxQuantity + 1, IdemKey: "k", Source: "test"}, "quantity", "invoicing.field.quantity_range"},
			"other tenant":  {invoicing.UsageInput{OwnerID: away.Shop.ID, Metric: "sms", Quantity: 1, IdemKey: "k", Source: "test"}, "owner_id", "invoicing.field.owner_unknown"},
			"unknown owner": {invoicing.UsageInput{OwnerID: tenants.NewID(), Metric: "sms", Quantity: 1, IdemKey: "k", Source: "test"}, "owner_id", "invoicing.field.owner_unknown"},
			"no key":        {invoicing.UsageInput{OwnerID: e.Shop.ID, Metric: "sms", Quantity: 1, Source: "test"}, "idem_key", "field.required"},
			"bad metric":    {invoicing.UsageInput{OwnerID: e.Shop.ID, Metric: "SMS!", Quantity: 1, IdemKey: "k", Source: "test"}, "metric", "invoicing.field.metric_invalid"},
			"bad source":    {invoicing.UsageInput{OwnerID: e.Shop.ID, Metric: "sms", Quantity: 1, IdemKey: "k", Source: ""}, "source", "invoicing.field.source_invalid"},
		} {
			_, err := e.record(c.in)
			if code(err) != core.Invalid || fields(err)[c.field] != c.key {
				t.Errorf("%s: %v, want %s on %s", name, err, c.key, c.field)
			}
		}
		if a, b, _ := e.counts(); a != before || b != usage {
			t.Fatalf("refused usage wrote %d entries, %d records", a-before, b-usage)
		}
		// A price set for it makes the metric billable; a price removed
		// makes it unpriced again.
		if _, err := e.inv.SetPrice(e.Ctx, e.Admin, "fax_page", 30); err != nil {
			t.Fatal(err)
		}
		e.mustRecord(e.Shop.ID, "fax_page", 2, "f1")
		if err := e.inv.DeletePrice(e.Ctx, e.Admin, "fax_page"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.record(invoicing.UsageInput{OwnerID: e.Shop.ID, Metric: "fax_page", Quantity: 1, IdemKey: "f2", Source: "test"}); fields(err)["metric"] != "invoicing.field.metric_unpriced" {
			t.Fatalf("after the price was removed: %v", err)
		}
		if _, err := e.inv.SetPrice(e.Ctx, e.Admin, "Fax", -1); fields(err)["metric"] == "" || fields(err)["unit_fen"] == "" {
			t.Fatalf("bad price: %v", err)
		}
		if _, err := e.inv.SetPrice(e.Ctx, e.Owner, "fax_page", 1); code(err) != core.Forbidden {
			t.Fatalf("owner sets a price: %v", err)
		}
		if e.Balance(receivable(e.Shop.ID)) != 60 || e.Balance(revenue(billing.RevenueUsage)) != -60 {
			t.Fatalf("fax usage posted: %d", e.Balance(receivable(e.Shop.ID)))
		}
		billingtest.AssertBalanced(t, d)
	})
}

// TestFranchiseYear: the pickup point's annual franchise is invoiced
// (1,280,000 fen) in the month its plan year starts and twelve months
// later, not in between; a pickup point has no payable to settle from.
func TestFranchiseYear(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		if _, err := e.inv.InstallDefaultPlans(e.Ctx, e.Admin); err != nil {
			t.Fatal(err)
		}
		if _, err := e.inv.InstallDefaultPlans(e.Ctx, e.Admin); err != nil { // idempotent
			t.Fatal(err)
		}
		plans, _ := e.inv.Plans(e.Ctx, e.Admin)
		var franchise *invoicing.Plan
		for _, p := range plans {
			if p.Code == invoicing.PlanFranchise {
				franchise = p
			}
		}
		if len(plans) != 2 || franchise == nil {
			t.Fatalf("plans %d", len(plans))
		}
		pt := e.point("桃子湖服务站")
		start := e.period
		day := start.String() + "-10"
		if _, err := e.inv.Assign(e.Ctx, e.Admin, invoicing.AssignInput{OwnerID: pt.ID, PlanID: franchise.ID, StartsOn: day}); err != nil {
			t.Fatal(err)
		}
		// A shop cannot be on the franchise, a point not on a shop plan.
		if _, err := e.inv.Assign(e.Ctx, e.Admin, invoicing.AssignInput{OwnerID: e.Shop.ID, PlanID: franchise.ID, StartsOn: day}); fields(err)["plan_id"] != "invoicing.field.plan_kind" {
			t.Fatalf("shop on the franchise: %v", err)
		}
		if _, err := e.inv.Assign(e.Ctx, e.Admin, invoicing.AssignInput{OwnerID: pt.ID, PlanID: franchise.ID, StartsOn: "2025-02-30"}); fields(err)["starts_on"] == "" {
			t.Fatalf("bad date: %v", err)
		}
		p := start
		for i := 0; i <= 12; i++ {
			e.afterPeriod(p)
			res, err := e.generate(p, true)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if i == 0 || i == 12 {
				inv := e.invoiceOf(pt.ID, p)
				if res.Issued != 1 || inv.TotalFen != 1_280_000 || inv.Status != invoicing.StatusOpen || inv.SettledFen != 0 ||
					inv.Lines[0].Detail != p.String()+" – "+addMonths(p, 11).String() {
					t.Fatalf("%s: %+v %+v", p, res, inv.Lines)
				}
			} else if res.Created != 0 {
				t.Fatalf("%s: franchise invoiced off its anniversary: %+v", p, res)
			}
			p = p.Next()
		}
		if got := e.Balance(revenue(billing.RevenueFranchise)); got != -2*1_280_000 {
			t.Fatalf("franchise revenue %d", got)
		}
		billingtest.AssertBalanced(t, d)
	})
}

func addMonths(p invoicing.Period, n int) invoicing.Period {
	for range n {
		p = p.Next()
	}
	return p
}

// TestMonthEndJob: the month end is scheduled once per tenant and period
// however often the schedule is ensured; its run invoices the period and
// schedules the next one; a run again changes nothing.
func TestMonthEndJob(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		j := e.withJobs()
		if err := e.Tx(func(ctx context.Context, tx bun.IDB) error { return e.inv.InstallDefaults(ctx, tx) }); err != nil {
			t.Fatal(err)
		}
		plans, _ := e.inv.Plans(e.Ctx, e.Admin)
		for _, p := range plans {
			if p.Code == invoicing.PlanFree {
				if _, err := e.inv.Assign(e.Ctx, e.Admin, invoicing.AssignInput{OwnerID: e.Shop.ID, PlanID: p.ID, StartsOn: e.period.FirstDay()}); err != nil {
					t.Fatal(err)
				}
			}
		}
		e.mustRecord(e.Shop.ID, invoicing.MetricSMS, 40, "m1")
		for range 3 {
			if err := e.inv.EnsureSchedules(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.inv.EnqueueSchedule(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n, err := d.NewSelect().Table("river_job").Where("kind = ?", invoicing.ScheduleArgs{}.Kind()).Count(context.Background()); err != nil || n == 0 {
			t.Fatalf("schedule job: %d %v", n, err)
		}
		jobsOf := func(period string) []int64 {
			var ids []int64
			args := "CAST(args AS text)"
			if d.Engine == db.SQLite {
				args = "json(args)" // River keeps SQLite's args as JSONB
			}
			err := d.NewSelect().Table("river_job").Column("id").Where("kind = ?", invoicing.MonthEndArgs{}.Kind()).
				Where(args+" LIKE ?", "%"+e.Tenant.ID+"%").Where(args+" LIKE ?", "%\""+period+"\"%").Scan(context.Background(), &ids)
			if err != nil {
				t.Fatal(err)
			}
			return ids
		}
		ids := jobsOf(e.period.String())
		if len(ids) != 1 {
			t.Fatalf("%d month-end jobs of %s, want 1", len(ids), e.period)
		}
		if st, err := j.State(context.Background(), ids[0]); err != nil || st != "scheduled" {
			t.Fatalf("job state %q %v", st, err)
		}
		e.afterPeriod(e.period)
		for i := range 2 {
			res, err := e.inv.RunMonthEnd(context.Background(), e.Tenant.ID, e.period.String())
			if err != nil {
				t.Fatal(err)
			}
			if (i == 0 && (res.Created != 1 || res.Issued != 1)) || (i == 1 && res.Skipped != 1) {
				t.Fatalf("run %d: %+v", i, res)
			}
		}
		if len(jobsOf(e.period.Next().String())) != 1 {
			t.Fatalf("next month end not scheduled once")
		}
		inv := e.invoiceOf(e.Shop.ID, e.period)
		if inv.TotalFen != 200 || inv.Status != invoicing.StatusOpen {
			t.Fatalf("month-end invoice %+v", inv)
		}
		billingtest.AssertBalanced(t, d)
	})
}

// TestInvoiceReach: an invoice of another tenant is not found; a shop's
// owner sees the shop's invoices only, and may not manage them.
func TestInvoiceReach(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		away := billingtest.NewMarket(t, e.W, "iv3")
		e.mustRecord(e.Shop.ID, invoicing.MetricSMS, 10, "r1")
		e.mustRecord(e.Shop2.ID, invoicing.MetricSMS, 20, "r2")
		e.afterPeriod(e.period)
		if _, err := e.generate(e.period, true); err != nil {
			t.Fatal(err)
		}
		mine := e.invoiceOf(e.Shop.ID, e.period)
		theirs := e.invoiceOf(e.Shop2.ID, e.period)
		if got, err := e.inv.ShopInvoices(e.Ctx, e.Owner, e.Shop.ID, invoicing.Filter{}); err != nil || len(got) != 1 || got[0].ID != mine.ID {
			t.Fatalf("own list: %v %v", err, got)
		}
		if _, err := e.inv.ShopInvoice(e.Ctx, e.Owner, e.Shop.ID, theirs.ID); code(err) != core.NotFound {
			t.Fatalf("other shop's invoice through own shop: %v", err)
		}
		if _, err := e.inv.Invoice(e.Ctx, e.Owner, theirs.ID); code(err) != core.NotFound {
			t.Fatalf("other shop's invoice: %v", err)
		}
		if _, err := e.inv.ShopInvoices(e.Ctx, e.Owner, e.Shop2.ID, invoicing.Filter{}); code(err) != core.NotFound {
			t.Fatalf("other shop's list: %v", err)
		}
		if _, err := e.inv.Invoices(e.Ctx, e.Owner, invoicing.Filter{}); code(err) != core.Forbidden {
			t.Fatalf("owner lists the tenant's invoices: %v", err)
		}
		if _, err := e.inv.VoidInvoice(e.Ctx, e.Owner, mine.ID, "x"); code(err) != core.Forbidden {
			t.Fatalf("owner voids: %v", err)
		}
		if _, err := e.inv.Invoice(away.Ctx, away.Admin, mine.ID); code(err) != core.NotFound {
			t.Fatalf("other tenant's admin: %v", err)
		}
		if _, err := e.inv.VoidInvoice(away.Ctx, away.Admin, mine.ID, "x"); code(err) != core.NotFound {
			t.Fatalf("other tenant's admin voids: %v", err)
		}
		err := away.Tx(func(ctx context.Context, tx bun.IDB) error { return e.inv.MarkPaid(ctx, tx, mine.ID, "stripe", "in_x") })
		if code(err) != core.NotFound {
			t.Fatalf("other tenant's webhook: %v", err)
		}
		if _, err := e.inv.Invoices(e.Ctx, e.Admin, invoicing.Filter{Status: "late"}); fields(err)["status"] == "" {
			t.Fatalf("bad status filter: %v", err)
		}
		var sh *merchant.Shop
		if sh, err = e.inv.ShopFor(e.Ctx, e.Owner, e.Shop.ID); err != nil || sh.ID != e.Shop.ID {
			t.Fatalf("shop for: %v", err)
		}
		billingtest.AssertBalanced(t, d)
	})
}

// collector is a Collector as the Stripe side will be: it hands shops'
// invoices to Stripe Billing (here: remembers them), declines pickup
// points, fails for one shop, and cancels collections of voided invoices.
type collector struct {
	failFor   string
	collected []string
	cancelled []string
}

func (c *collector) Collect(_ context.Context, _ bun.IDB, inv *invoicing.Invoice) (string, error) {
	switch {
	case inv.OwnerID == c.failFor:
		return "", fmt.Errorf("stripe: no customer for the connected account")
	case inv.OwnerKind != invoicing.OwnerShop:
		return "", nil
	case inv.Status != invoicing.StatusOpen || inv.DueFen != inv.TotalFen-inv.SettledFen:
		return "", fmt.Errorf("collect called with %+v", inv)
	}
	c.collected = append(c.collected, inv.Number)
	return "in_" + inv.Number, nil
}

func (c *collector) Cancel(_ context.Context, _ bun.IDB, inv *invoicing.Invoice) error {
	c.cancelled = append(c.cancelled, inv.CollectorRef)
	return nil
}

// TestCollector: what is left after settlement goes to the Collector; its
// reference finds the invoice for the Stripe webhook, which pays it; a
// failing collection leaves the invoice open with the error; a pickup
// point declined stays open; voiding cancels the collection.
func TestCollector(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := &collector{failFor: e.Shop2.ID}
		e.inv.Collector = c
		shop3, _ := e.OpenShop("tea")
		pt := e.point("桃子湖服务站")
		e.mustRecord(e.Shop.ID, invoicing.MetricSMS, 1000, "c1")
		e.mustRecord(e.Shop2.ID, invoicing.MetricSMS, 1000, "c2")
		e.mustRecord(shop3.ID, invoicing.MetricSMS, 1000, "c3")
		e.mustRecord(pt.ID, invoicing.MetricSMS, 10, "c4")
		e.sale(e.Shop, "o-1", 2000) // owed 1,900: settles 1,900 of 5,000
		e.afterPeriod(e.period)
		res, err := e.generate(e.period, true)
		if err != nil || res.Issued != 4 || res.Collected != 2 {
			t.Fatalf("month end: %v %+v", err, res)
		}
		inv1 := e.invoiceOf(e.Shop.ID, e.period)
		if inv1.SettledFen != 1900 || inv1.DueFen != 3100 || inv1.CollectorRef != "in_"+inv1.Number || inv1.CollectError != "" {
			t.Fatalf("collected invoice %+v", inv1)
		}
		if inv2 := e.invoiceOf(e.Shop2.ID, e.period); inv2.Status != invoicing.StatusOpen || inv2.CollectorRef != "" ||
			!strings.Contains(inv2.CollectError, "no customer") {
			t.Fatalf("failed collection %+v", inv2)
		}
		if invPt := e.invoiceOf(pt.ID, e.period); invPt.Status != invoicing.StatusOpen || invPt.CollectorRef != "" || invPt.CollectError != "" {
			t.Fatalf("declined collection %+v", invPt)
		}
		// invoice.paid from Stripe, twice.
		for range 2 {
			err := e.Tx(func(ctx context.Context, tx bun.IDB) error {
				id, err := e.inv.InvoiceByCollectorRef(ctx, tx, "in_"+inv1.Number)
				if err != nil {
					return err
				}
				return e.inv.MarkPaid(ctx, tx, id, invoicing.MethodStripe, "in_"+inv1.Number)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if got := e.invoiceOf(e.Shop.ID, e.period); got.Status != invoicing.StatusPaid || got.PaidFen != 3100 ||
			e.Balance(billing.TenderClearing("stripe")) != 3100 {
			t.Fatalf("paid through stripe %+v", got)
		}
		if err := e.Tx(func(ctx context.Context, tx bun.IDB) error {
			_, err := e.inv.InvoiceByCollectorRef(ctx, tx, "in_unknown")
			return err
		}); code(err) != core.NotFound {
			t.Fatalf("unknown reference: %v", err)
		}
		inv3 := e.invoiceOf(shop3.ID, e.period)
		if _, err := e.inv.VoidInvoice(e.Ctx, e.Admin, inv3.ID, "重复开票"); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(c.cancelled) != fmt.Sprint([]string{"in_" + inv3.Number}) || len(c.collected) != 2 {
			t.Fatalf("collector calls: %v %v", c.collected, c.cancelled)
		}
		billingtest.AssertBalanced(t, d)
	})
}
