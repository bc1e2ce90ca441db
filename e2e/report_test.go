package e2e

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/report"
	"github.com/jishi-dev/jishi/core/server"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// groupedYuan writes fen as the report pages do ("1,848.00").
var groupedYuan = report.GroupedYuan

// TestReportsInBrowser: on the demo data, with orders of two shops, a
// refund, a stored-value card sold, an SMS bill and a payout in the
// ledger, the tenant admin opens the reports, picks the period in the
// form, and sees every chart drawn by ECharts (an SVG inside each chart;
// the page's CSP allows no inline script) and the tables' totals as the
// report service computes them; the vegetable base's owner sees the
// statement with its chart and closing payable.
func TestReportsInBrowser(t *testing.T) {
	needChromium(t)
	artifacts := artifactsDir(t)
	ctx := context.Background()
	dir := t.TempDir()
	a, err := app.New(ctx, app.Config{DatabaseURL: "sqlite:" + filepath.Join(dir, "jishi.db"), DataDir: dir, FastHashing: true, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	mk := demoMarket(t, a)
	tctx := tenants.WithTenant(ctx, mk.tenant)
	veg, err := a.Merchants.ShopBySlug(tctx, "yuelu-veg")
	if err != nil {
		t.Fatal(err)
	}
	rice, err := a.Merchants.ShopBySlug(tctx, "wangcheng-rice")
	if err != nil {
		t.Fatal(err)
	}
	var admin *identity.Principal
	err = a.DB.RunInTx(tctx, func(ctx context.Context, tx bun.IDB) error {
		u, err := a.Identity.UserByLogin(ctx, tx, mk.adminLogin)
		if err != nil {
			return err
		}
		admin = &identity.Principal{Kind: identity.KindTenant, UserID: u.ID, TenantID: mk.tenant.ID, Name: u.Name}
		for _, o := range []billing.OrderMoney{
			{OrderID: "e2e-o-1", OrderNumber: "E2E-1", ShopID: veg.ID, Tender: "stripe", Lines: []billing.OrderLine{{Ref: "a", NetFen: 128_800}}, ShippingFen: 1000},
			{OrderID: "e2e-o-2", OrderNumber: "E2E-2", ShopID: rice.ID, Tender: "offline", Lines: []billing.OrderLine{{Ref: "a", NetFen: 56_000, PlatformDiscountFen: 2000}}},
		} {
			if err := a.Billing.OrderPaid(ctx, tx, o); err != nil {
				return err
			}
		}
		if err := a.Billing.OrderRefunded(ctx, tx, billing.RefundMoney{OrderID: "e2e-o-1", Reference: "E2E-R-1",
			Lines: []billing.RefundLine{{Ref: "a", AmountFen: 8800}}}); err != nil {
			return err
		}
		if err := a.Billing.Post(ctx, tx, billing.Entry{Kind: billing.KindStoredValueIssued, Reference: "E2E-CARD", Lines: []billing.Line{
			{Account: billing.PlatformCash, AmountFen: 20_000}, {Account: billing.Account{Kind: billing.AccountStoredValue}, AmountFen: -20_000}}}); err != nil {
			return err
		}
		if err := a.Billing.Post(ctx, tx, billing.Entry{Kind: billing.KindUsage, Reference: "E2E-SMS", Lines: []billing.Line{
			{Account: billing.Account{Kind: billing.AccountInvoiceReceivable, Owner: veg.ID}, AmountFen: 500},
			{Account: billing.Account{Kind: billing.AccountRevenue, Owner: billing.RevenueSMS}, AmountFen: -500}}}); err != nil {
			return err
		}
		return a.Billing.Post(ctx, tx, billing.Entry{Kind: billing.KindPayout, Reference: "E2E-PO", Lines: []billing.Line{
			{Account: billing.ShopPayable(veg.ID), AmountFen: 50_000}, {Account: billing.TenderClearing("stripe"), AmountFen: -50_000}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(mk.tenant.Location())
	in := report.PeriodInput{From: today.AddDate(0, 0, -6).Format("2006-01-02"), To: today.Format("2006-01-02"), Group: report.ByDay}
	want, err := a.Reports.Tenant(tctx, admin, in)
	if err != nil {
		t.Fatal(err)
	}
	if want.SalesTotal.GMVFen != 128_800+1000+56_000 {
		t.Fatalf("the demo ledger is not empty: GMV %d", want.SalesTotal.GMVFen)
	}

	ts := httptest.NewServer(server.New(a))
	t.Cleanup(ts.Close)
	base := ts.URL + "/t/" + mk.tenant.Slug
	b, tab := startChromium(t, dir, artifacts)

	adm := tab()
	b.desktop(adm)
	b.signIn(adm, base, mk.adminLogin, "/admin")
	b.submit(adm, "open the reports", tap("#nav-reports"))
	b.step(adm, "reports page", chromedp.WaitVisible(chromedp.ID("report-period")))
	b.wantText(adm, "main", "经营报表", "平台收入（按来源）", "成交额与退款", "储值余额（沉淀资金）", "各店铺往来")
	// The period: the last seven days, by day.
	b.evalString(adm, `(document.getElementById("f-from").value = `+jsString(in.From)+`, document.getElementById("f-to").value = `+jsString(in.To)+`, "")`)
	b.submit(adm, "show the week", tap("#report-submit"))
	b.step(adm, "charts drawn",
		chromedp.WaitVisible(chromedp.CSS(`#chart-revenue[data-chart-ready="1"] svg`)),
		chromedp.WaitVisible(chromedp.CSS(`#chart-sales[data-chart-ready="1"] svg`)),
		chromedp.WaitVisible(chromedp.CSS(`#chart-float[data-chart-ready="1"] svg`)),
		chromedp.WaitVisible(chromedp.CSS(`#chart-shops[data-chart-ready="1"] svg`)),
	)
	if v := b.evalString(adm, `window.echarts.version`); v != "6.1.0" {
		t.Errorf("ECharts %q", v)
	}
	for _, c := range []string{"revenue", "sales", "float", "shops"} {
		if n := b.count(adm, "#chart-"+c+" svg path"); n < 3 {
			b.shot(adm, "failed-chart-"+c)
			t.Errorf("chart %s has %d paths", c, n)
		}
	}
	if n := b.count(adm, "#report-revenue tbody tr"); n != 7 {
		t.Errorf("%d days in the revenue table", n)
	}
	b.wantText(adm, "#report-sales tfoot", "合计", groupedYuan(want.SalesTotal.GMVFen), groupedYuan(want.SalesTotal.RefundedFen))
	b.wantText(adm, "#report-revenue tfoot", groupedYuan(want.RevenueTotal.CommissionFen), groupedYuan(want.RevenueTotal.SMSFen),
		groupedYuan(want.RevenueTotal.TotalFen))
	b.wantText(adm, "#report-shops tbody", "岳麓蔬菜基地", "望城稻香米油")
	b.wantText(adm, "#report-shops tfoot", groupedYuan(want.ShopsTotal.OwedFen))
	b.wantText(adm, "#card-gmv", groupedYuan(want.SalesTotal.GMVFen))
	b.wantText(adm, "#report-float tfoot", groupedYuan(want.FloatTotal.FloatFen))
	if href := b.evalString(adm, `document.getElementById("csv-shops").getAttribute("href")`); !strings.Contains(href, "/admin/reports/csv/shops?from="+in.From) {
		t.Errorf("CSV link %q", href)
	}
	b.shot(adm, "r1-tenant-reports")

	// The vegetable base's statement, as its owner sees it.
	own := tab()
	b.desktop(own)
	b.signIn(own, base, "veg@changsha-coop.local", "/merchant/shops/"+veg.ID)
	b.submit(own, "open the statement", tap("#shop-reports"))
	b.step(own, "statement chart", chromedp.WaitVisible(chromedp.CSS(`#chart-statement[data-chart-ready="1"] svg`)))
	st, err := a.Reports.Shop(tctx, admin, veg.ID, report.PeriodInput{})
	if err != nil {
		t.Fatal(err)
	}
	b.wantText(own, "main", "对账报表", "岳麓蔬菜基地")
	b.wantText(own, "#report-statement tfoot", groupedYuan(st.Total.SalesFen), groupedYuan(st.Total.PayoutsFen), groupedYuan(st.Total.OwedFen))
	b.wantText(own, "#card-owed", groupedYuan(st.Total.OwedFen))
	b.shot(own, "r2-shop-statement")
}
