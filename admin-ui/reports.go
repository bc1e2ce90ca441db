package adminui

import (
	"net/http"
	"net/url"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/report"
	"github.com/jishi-dev/jishi/core/web"
	"github.com/jishi-dev/jishi/tenants"
)

// registerReports mounts the money reports (core/report): the tenant
// console's (ledger:read in the tenant's domain, checked by the router)
// and a shop's statement in the merchant console (ledger:read in the
// shop's domain, checked by the report service), each as a page with
// charts and tables and every table as CSV.
func (u *ui) registerReports(rt *httpx.Router) {
	rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: "GET", Path: "/admin/reports", Perm: billing.PermLedgerRead, Handler: u.tenantReport})
	rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: "GET", Path: "/admin/reports/csv/{table}", Perm: billing.PermLedgerRead, Handler: u.tenantReportCSV})
	rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: "GET", Path: "/merchant/shops/{id}/reports", Perm: billing.PermLedgerRead,
		Resource: true, Handler: u.shopReport})
	rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: "GET", Path: "/merchant/shops/{id}/reports/csv/{table}", Perm: billing.PermLedgerRead,
		Resource: true, Handler: u.shopReportCSV})
}

// reportPeriod is the period the query asks for, and the form showing it.
func reportPeriod(r *http.Request) (report.PeriodInput, *web.Form) {
	q := r.URL.Query()
	in := report.PeriodInput{From: q.Get("from"), To: q.Get("to"), Group: q.Get("group")}
	return in, web.NewForm(map[string]string{"from": in.From, "to": in.To, "group": in.Group})
}

// reportData is a report page: the period form, summary figures, and one
// section per table with its chart.
type reportData struct {
	Shop     *merchant.Shop // the merchant's statement; nil for the tenant's report
	Period   *report.Period
	Cards    []reportCard
	Sections []*reportSection
	Groups   []option
}

// reportCard is one summary figure.
type reportCard struct {
	Name, Label, Value string
}

// reportSection is one table of a report with its chart and CSV link.
type reportSection struct {
	Name, Title, CSV string
	Chart            *reportChart
	Head             []reportCell
	Rows             [][]reportCell
	Total            []reportCell
}

// reportCell is one table cell as shown.
type reportCell struct {
	Text string
	Num  bool // right-aligned figures
	Neg  bool
}

// reportChart is the data charts.js draws with ECharts: amounts in fen
// (the script shows them in yuan).
type reportChart struct {
	Title string `json:"title"`
	// Type is the series' default type: bar or line.
	Type       string        `json:"type"`
	Horizontal bool          `json:"horizontal,omitempty"`
	Categories []string      `json:"categories"`
	Series     []chartSeries `json:"series"`
	Locale     string        `json:"locale"`
	Currency   string        `json:"currency"`
}

// chartSeries is one series of a chart.
type chartSeries struct {
	Name  string  `json:"name"`
	Type  string  `json:"type,omitempty"`
	Stack string  `json:"stack,omitempty"`
	Data  []int64 `json:"data"`
}

// series adds a series of label key with data unless every value is zero
// and skipZero.
func (c *reportChart) series(key, typ, stack string, skipZero bool, data []int64) {
	if skipZero {
		zero := true
		for _, n := range data {
			zero = zero && n == 0
		}
		if zero {
			return
		}
	}
	c.Series = append(c.Series, chartSeries{Name: i18n.T(c.Locale, key), Type: typ, Stack: stack, Data: data})
}

// chartOrNil is c, or nil when every value is zero (the table says as
// much, and an empty chart only shows a stack of zeros).
func chartOrNil(c *reportChart) *reportChart {
	for _, s := range c.Series {
		for _, n := range s.Data {
			if n != 0 {
				return c
			}
		}
	}
	return nil
}

// grouped writes fen as the report pages show it ("12,800.00").
var grouped = report.GroupedYuan

// sections turns tables into page sections, with CSV links on csvPath.
func sections(r *http.Request, tables []*report.Table, csvPath string, p *report.Period) []*reportSection {
	locale := i18n.FromContext(r.Context())
	q := url.Values{"from": {p.From}, "to": {p.To}, "group": {p.Group}}.Encode()
	var out []*reportSection
	for _, t := range tables {
		s := &reportSection{Name: t.Name, Title: i18n.T(locale, t.Title), CSV: web.Link(r, csvPath, t.Name, "?", q)}
		for _, c := range t.Columns {
			s.Head = append(s.Head, reportCell{Text: i18n.T(locale, c.Key), Num: c.Kind != report.ColText})
		}
		cells := func(cs []report.Cell, total bool) []reportCell {
			var row []reportCell
			for i, c := range cs {
				cell := reportCell{Text: t.Label(locale, i, c)}
				switch t.Columns[i].Kind {
				case report.ColMoney:
					cell.Text, cell.Num, cell.Neg = grouped(c.N), true, c.N < 0
				case report.ColCount:
					cell.Num = true
				}
				if total && i == 0 {
					cell.Text = i18n.T(locale, "report.total")
				}
				row = append(row, cell)
			}
			return row
		}
		for _, cs := range t.Rows {
			s.Rows = append(s.Rows, cells(cs, false))
		}
		if t.Total != nil {
			s.Total = cells(t.Total, true)
		}
		out = append(out, s)
	}
	return out
}

// section returns the section of d named name.
func (d *reportData) section(name string) *reportSection {
	for _, s := range d.Sections {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// newChart starts a chart over the period's buckets.
func newChart(r *http.Request, p *report.Period, titleKey, typ string) *reportChart {
	locale := i18n.FromContext(r.Context())
	c := &reportChart{Title: i18n.T(locale, titleKey), Type: typ, Locale: locale, Currency: p.Currency, Categories: []string{}}
	for _, b := range p.Buckets {
		c.Categories = append(c.Categories, b.Label)
	}
	return c
}

func groupOptions(r *http.Request, group string) []option {
	var out []option
	for _, g := range []string{report.ByDay, report.ByMonth} {
		out = append(out, option{Value: g, Label: title(r, "ui.reports.group_"+g), On: g == group})
	}
	return out
}

// tenantReport is the tenant console's report page.
func (u *ui) tenantReport(w http.ResponseWriter, r *http.Request) {
	c, ok := u.access(w, r)
	if !ok {
		return
	}
	in, f := reportPeriod(r)
	d := &reportData{}
	page := consolePage(r, "ui.reports.title", c, d)
	page.Form = f
	rep, err := u.a.Reports.Tenant(r.Context(), web.Principal(r), in)
	if err != nil {
		status, ok := f.Fail(r, err)
		if !ok || core.ErrorCode(err) != core.Invalid {
			httpx.Error(w, r, err)
			return
		}
		d.Groups = groupOptions(r, in.Group)
		pages.Render(w, r, status, "report", page)
		return
	}
	f.Values.Set("from", rep.Period.From)
	f.Values.Set("to", rep.Period.To)
	f.Values.Set("group", rep.Period.Group)
	d.Period, d.Groups = &rep.Period, groupOptions(r, rep.Period.Group)
	d.Cards = []reportCard{
		{"revenue", title(r, "report.col.revenue_total"), grouped(rep.RevenueTotal.TotalFen)},
		{"gmv", title(r, "report.col.gmv"), grouped(rep.SalesTotal.GMVFen)},
		{"refunded", title(r, "report.col.refunded"), grouped(rep.SalesTotal.RefundedFen)},
		{"owed", title(r, "ui.reports.owed_total"), grouped(rep.ShopsTotal.OwedFen)},
		{"float", title(r, "report.col.float"), grouped(rep.FloatTotal.FloatFen)},
	}
	d.Sections = sections(r, rep.Tables(), "/admin/reports/csv/", &rep.Period)

	n := len(rep.Revenue)
	col := func(get func(i int) int64) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = get(i)
		}
		return out
	}
	rc := newChart(r, &rep.Period, "report.table.revenue", "bar")
	rc.series("report.col.commission", "", "revenue", false, col(func(i int) int64 { return rep.Revenue[i].CommissionFen }))
	rc.series("report.col.plan", "", "revenue", true, col(func(i int) int64 { return rep.Revenue[i].PlanFen }))
	rc.series("report.col.franchise", "", "revenue", true, col(func(i int) int64 { return rep.Revenue[i].FranchiseFen }))
	rc.series("report.col.sms", "", "revenue", true, col(func(i int) int64 { return rep.Revenue[i].SMSFen }))
	rc.series("report.col.ads", "", "revenue", true, col(func(i int) int64 { return rep.Revenue[i].AdsFen }))
	rc.series("report.col.storage", "", "revenue", true, col(func(i int) int64 { return rep.Revenue[i].StorageFen }))
	rc.series("report.col.usage", "", "revenue", true, col(func(i int) int64 { return rep.Revenue[i].UsageFen }))
	rc.series("report.col.other_revenue", "", "revenue", true, col(func(i int) int64 { return rep.Revenue[i].OtherFen }))
	rc.series("report.col.promotion", "line", "", true, col(func(i int) int64 { return rep.Revenue[i].PromotionFen }))
	d.section("revenue").Chart = chartOrNil(rc)

	sc := newChart(r, &rep.Period, "report.table.sales", "bar")
	sc.series("report.col.gmv", "", "", false, col(func(i int) int64 { return rep.Sales[i].GMVFen }))
	sc.series("report.col.refunded", "", "", false, col(func(i int) int64 { return rep.Sales[i].RefundedFen }))
	sc.series("report.col.net_gmv", "line", "", false, col(func(i int) int64 { return rep.Sales[i].NetGMVFen }))
	d.section("sales").Chart = chartOrNil(sc)

	fc := newChart(r, &rep.Period, "report.table.float", "line")
	fc.series("report.col.balances", "", "", false, col(func(i int) int64 { return rep.Float[i].BalancesFen }))
	fc.series("report.col.stored_value", "", "", false, col(func(i int) int64 { return rep.Float[i].StoredValueFen }))
	fc.series("report.col.float", "", "", false, col(func(i int) int64 { return rep.Float[i].FloatFen }))
	d.section("float").Chart = chartOrNil(fc)

	if len(rep.Shops) > 0 {
		pc := &reportChart{Title: title(r, "ui.reports.owed_chart"), Type: "bar", Horizontal: true, Locale: i18n.FromContext(r.Context()),
			Currency: rep.Period.Currency, Categories: []string{}}
		var owed []int64
		for i, s := range rep.Shops {
			if i == 10 {
				break
			}
			pc.Categories = append(pc.Categories, s.Name)
			owed = append(owed, s.OwedFen)
		}
		pc.series("report.col.owed", "", "", false, owed)
		d.section("shops").Chart = chartOrNil(pc)
	}
	pages.Render(w, r, http.StatusOK, "report", page)
}

// shopReport is a shop's statement in the merchant console.
func (u *ui) shopReport(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	in, f := reportPeriod(r)
	d := &reportData{}
	rep, err := u.a.Reports.Shop(ctx, p, r.PathValue("id"), in)
	if err != nil {
		status, ok := f.Fail(r, err)
		if !ok || core.ErrorCode(err) != core.Invalid {
			httpx.Error(w, r, err)
			return
		}
		// The service authorised the caller before it read the period.
		if d.Shop, err = u.shopByID(r, r.PathValue("id")); err != nil {
			httpx.Error(w, r, err)
			return
		}
		d.Groups = groupOptions(r, in.Group)
		pages.Render(w, r, status, "report", u.shopPage(r, d.Shop, "ui.reports.shop_title", f, &consoleData{Data: d}))
		return
	}
	if d.Shop, err = u.shopByID(r, rep.Shop.ID); err != nil {
		httpx.Error(w, r, err)
		return
	}
	f.Values.Set("from", rep.Period.From)
	f.Values.Set("to", rep.Period.To)
	f.Values.Set("group", rep.Period.Group)
	d.Period, d.Groups = &rep.Period, groupOptions(r, rep.Period.Group)
	t := rep.Total
	d.Cards = []reportCard{
		{"sales", title(r, "report.col.sales"), grouped(t.SalesFen)},
		{"commission", title(r, "report.col.commission"), grouped(t.CommissionFen)},
		{"payouts", title(r, "report.col.payouts"), grouped(t.PayoutsFen)},
		{"fees", title(r, "report.col.fees"), grouped(t.FeesFen)},
		{"opening", title(r, "ui.reports.opening"), grouped(rep.Opening.OwedFen)},
		{"owed", title(r, "report.col.owed"), grouped(t.OwedFen)},
	}
	d.Sections = sections(r, rep.Tables(), "/merchant/shops/"+rep.Shop.ID+"/reports/csv/", &rep.Period)
	col := func(get func(x report.StatementRow) int64) []int64 {
		out := make([]int64, len(rep.Rows))
		for i, x := range rep.Rows {
			out[i] = get(x)
		}
		return out
	}
	c := newChart(r, &rep.Period, "report.table.statement", "bar")
	c.series("report.col.sales", "", "", false, col(func(x report.StatementRow) int64 { return x.SalesFen }))
	c.series("report.col.refunds", "", "", false, col(func(x report.StatementRow) int64 { return x.RefundsFen }))
	c.series("report.col.commission", "", "", false, col(func(x report.StatementRow) int64 { return x.CommissionFen }))
	c.series("report.col.payouts", "", "", true, col(func(x report.StatementRow) int64 { return x.PayoutsFen }))
	c.series("report.col.fees", "", "", true, col(func(x report.StatementRow) int64 { return x.FeesFen }))
	c.series("report.col.owed", "line", "", false, col(func(x report.StatementRow) int64 { return x.OwedFen }))
	d.section("statement").Chart = chartOrNil(c)
	pages.Render(w, r, http.StatusOK, "report", u.shopPage(r, d.Shop, "ui.reports.shop_title", f, &consoleData{Data: d}))
}

// tenantReportCSV answers one table of the tenant's report as CSV.
func (u *ui) tenantReportCSV(w http.ResponseWriter, r *http.Request) {
	in, _ := reportPeriod(r)
	rep, err := u.a.Reports.Tenant(r.Context(), web.Principal(r), in)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	writeReportCSV(w, r, tenants.MustFromContext(r.Context()).Slug, rep.Tables(), rep.Period)
}

// shopReportCSV answers a shop's statement as CSV.
func (u *ui) shopReportCSV(w http.ResponseWriter, r *http.Request) {
	in, _ := reportPeriod(r)
	rep, err := u.a.Reports.Shop(r.Context(), web.Principal(r), r.PathValue("id"), in)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	writeReportCSV(w, r, rep.Shop.Slug, rep.Tables(), rep.Period)
}

// writeReportCSV writes the table the path names (404 for another name)
// as a download named after owner, the table and the period.
func writeReportCSV(w http.ResponseWriter, r *http.Request, owner string, tables []*report.Table, p report.Period) {
	t := report.Find(tables, r.PathValue("table"))
	if t == nil {
		httpx.Error(w, r, errNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+report.Filename(owner, t, p)+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if err := report.WriteCSV(w, i18n.FromContext(r.Context()), t); err != nil {
		httpx.Error(w, r, err)
	}
}
