package adminui_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/web/webtest"
	"github.com/uptrace/bun"
)

var chartDataRE = regexp.MustCompile(`(?s)<script type="application/json" id="chart-([a-z]+)-data">(.*?)</script>`)

// chartsOf returns the chart data blocks of a page by table name.
func chartsOf(t *testing.T, body string) map[string]struct {
	Categories []string `json:"categories"`
	Series     []struct {
		Name string  `json:"name"`
		Data []int64 `json:"data"`
	} `json:"series"`
} {
	t.Helper()
	out := map[string]struct {
		Categories []string `json:"categories"`
		Series     []struct {
			Name string  `json:"name"`
			Data []int64 `json:"data"`
		} `json:"series"`
	}{}
	for _, m := range chartDataRE.FindAllStringSubmatch(body, -1) {
		v := out[m[1]]
		if err := json.Unmarshal([]byte(m[2]), &v); err != nil {
			t.Fatalf("chart %s: %v\n%s", m[1], err, m[2])
		}
		out[m[1]] = v
	}
	return out
}

// TestReportPages: the tenant console's report and a shop's statement as
// pages with charts (their JSON data matching the tables) and CSV
// downloads (BOM, file name, formulas defused), bad periods next to the
// form, and 403/404 for the wrong people.
func TestReportPages(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("网上供销社")
		away := e.NewMarket("网上供销社·株洲")
		owner := m.Account("王场长", "", "")
		veg := m.Shop(owner, "rp-veg", "岳麓蔬菜基地", m.Yuelu)
		owner2 := m.Account("李场长", "", "")
		rice := m.Shop(owner2, "rp-rice", "湘米坊", m.Yuelu)
		admin, adminAcc := m.User("管理员", authz.TenantAdmin, authz.TenantDomain(m.Tenant.ID))
		awayAdmin, _ := away.User("管理员", authz.TenantAdmin, authz.TenantDomain(away.Tenant.ID))
		// A name a spreadsheet would run as a formula.
		m.Exec("UPDATE shops SET name = ? WHERE tenant_id = ? AND id = ?", "=1+1 湘米坊", m.Tenant.ID, rice.ID)
		err := e.App.DB.RunInTx(m.Ctx, func(ctx context.Context, tx bun.IDB) error {
			if err := e.App.Billing.OrderPaid(ctx, tx, billing.OrderMoney{OrderID: "o-1", OrderNumber: "N-1", ShopID: veg.ID, Tender: "stripe",
				Lines: []billing.OrderLine{{Ref: "a", NetFen: 1_234_567}}}); err != nil {
				return err
			}
			if err := e.App.Billing.OrderPaid(ctx, tx, billing.OrderMoney{OrderID: "o-2", OrderNumber: "N-2", ShopID: rice.ID, Tender: "offline",
				Lines: []billing.OrderLine{{Ref: "a", NetFen: 2000}}}); err != nil {
				return err
			}
			if err := e.App.Billing.OrderRefunded(ctx, tx, billing.RefundMoney{OrderID: "o-1", Reference: "R-1",
				Lines: []billing.RefundLine{{Ref: "a", AmountFen: 4567}}}); err != nil {
				return err
			}
			return e.App.Billing.Post(ctx, tx, billing.Entry{Kind: billing.KindPayout, Reference: "po-1", Lines: []billing.Line{
				{Account: billing.ShopPayable(veg.ID), AmountFen: 100_000}, {Account: billing.TenderClearing("stripe"), AmountFen: -100_000}}})
		})
		if err != nil {
			t.Fatal(err)
		}
		today := time.Now().In(m.Tenant.Location())
		from, to := today.AddDate(0, 0, -1).Format("2006-01-02"), today.AddDate(0, 0, 1).Format("2006-01-02")
		q := "?from=" + from + "&to=" + to
		digits := strings.ReplaceAll(from, "-", "") + "-" + strings.ReplaceAll(to, "-", "")

		// The tenant's report.
		r := webtest.Want(t, admin.Get("/admin/reports"+q), 200, "tenant report")
		webtest.Contains(t, r, "tenant report", "经营报表", `id="nav-reports" class="on"`, "/static/vendor/echarts/echarts.min.js?v=",
			"/static/charts.js?v=", `id="chart-revenue"`, `data-chart="chart-revenue-data"`, `id="report-shops"`, "岳麓蔬菜基地",
			"=1+1 湘米坊", "12,345.67", // GMV of veg's order
			`id="csv-shops" href="/t/`+m.Tenant.Slug+`/admin/reports/csv/shops?from=`+from)
		webtest.Lacks(t, r, "tenant report", "report.col.", "ui.reports.", "<script>")
		charts := chartsOf(t, r.Body)
		if _, ok := charts["float"]; len(charts) != 3 || ok {
			t.Fatalf("charts %v (no chart of a float that stayed zero)", charts)
		}
		webtest.Lacks(t, r, "tenant report", `id="chart-float"`)
		var commission, gmv int64
		for _, s := range charts["revenue"].Series {
			for _, n := range s.Data {
				if s.Name == "佣金" {
					commission += n
				}
			}
		}
		for _, s := range charts["sales"].Series {
			for _, n := range s.Data {
				if s.Name == "成交额（GMV）" {
					gmv += n
				}
			}
		}
		var ledgerCommission int64
		if err := e.App.DB.RunInReadTx(m.Ctx, func(ctx context.Context, tx bun.IDB) (err error) {
			ledgerCommission, err = e.App.Billing.Balance(ctx, tx, billing.Commission)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if commission != -ledgerCommission || gmv != 1_234_567+2000 || len(charts["revenue"].Categories) != 3 {
			t.Errorf("charts: commission %d (ledger %d), GMV %d, categories %v", commission, -ledgerCommission, gmv, charts["revenue"].Categories)
		}
		if c := charts["shops"]; len(c.Categories) != 2 || c.Categories[0] != "岳麓蔬菜基地" || c.Categories[1] != "=1+1 湘米坊" {
			t.Errorf("payables chart %+v", c)
		}

		csv := webtest.Want(t, admin.Get("/admin/reports/csv/shops"+q), 200, "shops CSV")
		if csv.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
			csv.Header.Get("Content-Disposition") != `attachment; filename="`+m.Tenant.Slug+`-shops-`+digits+`.csv"` ||
			!strings.HasPrefix(csv.Body, "\uFEFF店铺,类型,销售额（元）,销售额（分）") || !strings.Contains(csv.Body, "\r\n'=1+1 湘米坊,店铺,20.00,2000,") ||
			!strings.Contains(csv.Body, "岳麓蔬菜基地,店铺,12345.67,1234567,45.67,4567,") {
			t.Errorf("shops CSV %v\n%s", csv.Header, csv.Body)
		}
		en := m.SignedIn(adminAcc) // ?lang= sticks to the browser
		for _, table := range []string{"revenue", "sales", "float"} {
			r := webtest.Want(t, en.Get("/admin/reports/csv/"+table+q+"&lang=en"), 200, table+" CSV")
			if !strings.HasPrefix(r.Body, "\uFEFFDate,") || !strings.Contains(r.Body, "\r\nTotal,") ||
				!strings.Contains(r.Header.Get("Content-Disposition"), "-"+table+"-"+digits+".csv") {
				t.Errorf("%s CSV: %q", table, r.Body)
			}
		}
		webtest.Want(t, admin.Get("/admin/reports/csv/statement"+q), 404, "unknown table")
		r = webtest.Want(t, admin.Get("/admin/reports?from="+to+"&to="+from+"&group=day"), 400, "bad period")
		webtest.Contains(t, r, "bad period", "开始日期不能晚于结束日期", `id="e-from"`, `value="`+to+`"`)
		webtest.Lacks(t, r, "bad period", `id="report-shops"`)
		webtest.Want(t, admin.Get("/admin/reports/csv/shops?group=week"), 400, "bad period CSV")
		r = webtest.Want(t, en.Get("/admin/reports?group=month&lang=en"), 200, "by month, in English")
		webtest.Contains(t, r, "by month, in English", "Reports", "Export CSV", "Platform revenue by source", `<option value="month" selected>`)
		webtest.Want(t, m.SignedIn(owner).Get("/admin/reports"), 403, "owner on the tenant's report")
		webtest.Want(t, m.SignedIn(owner).Get("/admin/reports/csv/shops"), 403, "owner on the tenant's CSV")

		// A shop's statement.
		ob := m.SignedIn(owner)
		r = webtest.Want(t, ob.Get("/merchant/shops/"+veg.ID), 200, "shop page")
		webtest.Contains(t, r, "shop page", `id="shop-reports"`, "/merchant/shops/"+veg.ID+"/reports")
		r = webtest.Want(t, ob.Get("/merchant/shops/"+veg.ID+"/reports"+q), 200, "statement")
		webtest.Contains(t, r, "statement", "对账报表", "岳麓蔬菜基地", `id="chart-statement"`, `id="report-statement"`, `id="card-owed"`,
			"12,345.67", "1,000.00") // sales, the payout
		st := chartsOf(t, r.Body)["statement"]
		if len(st.Series) == 0 || len(st.Categories) != 3 {
			t.Errorf("statement chart %+v", st)
		}
		csv = webtest.Want(t, ob.Get("/merchant/shops/"+veg.ID+"/reports/csv/statement"+q), 200, "statement CSV")
		if csv.Header.Get("Content-Disposition") != `attachment; filename="rp-veg-statement-`+digits+`.csv"` ||
			!strings.HasPrefix(csv.Body, "\uFEFF日期,销售额（元）,销售额（分）,退款（元）") || !strings.Contains(csv.Body, "\r\n合计,12345.67,1234567,45.67,4567,") {
			t.Errorf("statement CSV %v\n%s", csv.Header, csv.Body)
		}
		r = webtest.Want(t, ob.Get("/merchant/shops/"+veg.ID+"/reports?from=2025-02-30"), 400, "bad day")
		webtest.Contains(t, r, "bad day", "请输入 2000 到 2099 年之间的日期", `id="e-from"`, "岳麓蔬菜基地")
		webtest.Want(t, admin.Get("/merchant/shops/"+rice.ID+"/reports"), 200, "tenant admin on a statement")

		staff, _ := m.User("店员", authz.MerchantStaff, merchant.OwnerDomain(m.Tenant.ID, veg.ID))
		webtest.Want(t, staff.Get("/merchant/shops/"+veg.ID+"/reports"), 403, "staff")
		for name, c := range map[string]struct {
			b    *webtest.Browser
			path string
		}{
			"another merchant's shop":     {m.SignedIn(owner2), "/merchant/shops/" + veg.ID + "/reports"},
			"another merchant's CSV":      {m.SignedIn(owner2), "/merchant/shops/" + veg.ID + "/reports/csv/statement"},
			"another tenant's admin":      {awayAdmin, "/merchant/shops/" + veg.ID + "/reports"},
			"another tenant's admin, CSV": {awayAdmin, "/merchant/shops/" + veg.ID + "/reports/csv/statement"},
			"unknown shop":                {admin, "/merchant/shops/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/reports"},
			"shopper":                     {m.SignedIn(m.Account("顾客", "", "")), "/merchant/shops/" + veg.ID + "/reports"},
		} {
			webtest.Want(t, c.b.Get(c.path), 404, name)
		}
		// The other tenant's report has nothing of this one.
		r = webtest.Want(t, awayAdmin.Get("/admin/reports"+q), 200, "other tenant's report")
		webtest.Lacks(t, r, "other tenant's report", "岳麓蔬菜基地", "12,345.67")
	})
}
