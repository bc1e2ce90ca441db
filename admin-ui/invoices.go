package adminui

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/invoicing"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/web"
	"github.com/jishi-dev/jishi/tenants"
)

// registerInvoices mounts platform billing in the consoles: for the
// tenant admin the invoices of every shop and pickup point (filter by
// period and status; generate a period; issue, mark paid offline, void),
// one invoice as a printable page, and the billing page (plan catalogue,
// price list, each owner's plan and credits, the onboarding gift pack);
// for a merchant its shop's invoices and the printable invoice. Reading
// needs ledger:read (in the tenant's domain, or the shop's for the
// merchant pages, which are Resource routes checked by the service);
// changing needs tenant:settings.
func (u *ui) registerInvoices(rt *httpx.Router) {
	h := func(method, path, perm string, resource bool, fn http.HandlerFunc) {
		rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: method, Path: path, Perm: perm, Resource: resource, Handler: fn})
	}
	h("GET", "/admin/invoices", invoicing.PermRead, false, u.invoiceList)
	h("POST", "/admin/invoices/generate", invoicing.PermManage, false, u.invoiceGenerate)
	h("GET", "/admin/invoices/{id}", invoicing.PermRead, false, u.invoicePage)
	h("POST", "/admin/invoices/{id}/issue", invoicing.PermManage, false, u.invoiceAction("issue"))
	h("POST", "/admin/invoices/{id}/mark-paid", invoicing.PermManage, false, u.invoiceAction("mark-paid"))
	h("POST", "/admin/invoices/{id}/void", invoicing.PermManage, false, u.invoiceAction("void"))
	h("GET", "/admin/billing", invoicing.PermRead, false, u.billingPage)
	h("POST", "/admin/billing/plans", invoicing.PermManage, false, u.billingPost("plan"))
	h("POST", "/admin/billing/plans/defaults", invoicing.PermManage, false, u.billingPost("defaults"))
	h("POST", "/admin/billing/plans/{id}/active", invoicing.PermManage, false, u.billingPost("active"))
	h("POST", "/admin/billing/prices", invoicing.PermManage, false, u.billingPost("price"))
	h("POST", "/admin/billing/assign", invoicing.PermManage, false, u.billingPost("assign"))
	h("POST", "/admin/billing/shops/{id}/gift-pack", invoicing.PermManage, false, u.billingPost("gift"))
	h("GET", "/merchant/shops/{id}/invoices", invoicing.PermRead, true, u.shopInvoiceList)
	h("GET", "/merchant/shops/{id}/invoices/{invoice}", invoicing.PermRead, true, u.shopInvoicePage)
}

// invoiceTab is the console menu entry of the billing pages.
const invoiceTab = "ui.invoices.title"

// invoiceStatuses are the list's filters; "" is all.
var invoiceStatuses = []string{"", invoicing.StatusDraft, invoicing.StatusOpen, invoicing.StatusPaid, invoicing.StatusVoid}

// showOnForm records err on form f and reports the status to render the
// form's page with; errors that are not the form's (internal, not found,
// forbidden) are answered as such and it reports false.
func showOnForm(w http.ResponseWriter, r *http.Request, f *web.Form, err error) (int, bool) {
	status, shown := f.Fail(r, err)
	if !shown || core.ErrorCode(err) == core.NotFound || core.ErrorCode(err) == core.Forbidden {
		httpx.Error(w, r, err)
		return 0, false
	}
	return status, true
}

// invoiceBadge is the badge style of an invoice status.
func invoiceBadge(status string) string {
	switch status {
	case invoicing.StatusDraft:
		return "pending"
	case invoicing.StatusOpen:
		return "suspended"
	case invoicing.StatusPaid:
		return "active"
	}
	return "closed"
}

// canManageBilling reports whether the caller may change billing.
func (u *ui) canManageBilling(r *http.Request) bool {
	t := tenants.MustFromContext(r.Context())
	return u.a.Authz.Allowed(r.Context(), web.Principal(r), authz.TenantDomain(t.ID), invoicing.PermManage)
}

// invoiceRow is one invoice of a list.
type invoiceRow struct {
	*invoicing.Invoice
	Kind, StatusLabel, Badge, Total, Due string
}

func invoiceRowOf(locale string, inv *invoicing.Invoice) *invoiceRow {
	row := &invoiceRow{Invoice: inv, Kind: i18n.T(locale, "ui.invoice.owner."+inv.OwnerKind),
		StatusLabel: i18n.T(locale, "ui.invoice.status."+inv.Status), Badge: invoiceBadge(inv.Status), Total: yuan(inv.TotalFen)}
	if inv.DueFen > 0 {
		row.Due = yuan(inv.DueFen)
	}
	return row
}

// invoiceListData is an invoice list: the tenant's or a shop's.
type invoiceListData struct {
	Shop     *merchant.Shop      // the merchant's list
	Point    *fulfil.PickupPoint // the pickup point's list
	Period   string
	Status   string
	Statuses []option
	Rows     []*invoiceRow
	Pager    pager
	Base     string // the list's path
	ListID   string // the id of a shop's or pickup point's list
	// CanManage shows the generate form; Generate is it.
	CanManage bool
	Generate  *web.Form
	Result    *invoicing.RunResult
}

// lastPeriod is the month before now in the tenant's zone.
func lastPeriod(r *http.Request) string {
	t := tenants.MustFromContext(r.Context())
	return invoicing.PeriodOf(time.Now(), t.Location()).Prev().String()
}

// listFilter reads ?period= and ?status= (bad values are ignored in the
// console: the list shows everything) and the page window.
func listFilter(r *http.Request, base string, locale string) (invoicing.Filter, int, *invoiceListData) {
	q := r.URL.Query()
	d := &invoiceListData{Base: base, Period: q.Get("period"), Status: q.Get("status")}
	if _, err := invoicing.ParsePeriod(d.Period); err != nil {
		d.Period = ""
	}
	valid := false
	for _, s := range invoiceStatuses {
		valid = valid || s == d.Status
	}
	if !valid {
		d.Status = ""
	}
	for _, s := range invoiceStatuses {
		label := i18n.T(locale, "ui.all")
		if s != "" {
			label = i18n.T(locale, "ui.invoice.status."+s)
		}
		v := url.Values{}
		if d.Period != "" {
			v.Set("period", d.Period)
		}
		if s != "" {
			v.Set("status", s)
		}
		link := base
		if len(v) > 0 {
			link += "?" + v.Encode()
		}
		d.Statuses = append(d.Statuses, option{Value: link, Label: label, On: s == d.Status})
	}
	n, window := pageWindow(r)
	return invoicing.Filter{Period: d.Period, Status: d.Status, Limit: window.Limit, Offset: window.Offset}, n, d
}

// billingPage is a tenant console page of the billing menu entry.
func (u *ui) billingConsolePage(r *http.Request, key string, c web.ConsoleAccess, data any) *web.Page {
	p := consolePage(r, key, c, data)
	p.Data.(*consoleData).Tab = invoiceTab
	return p
}

func (u *ui) invoiceList(w http.ResponseWriter, r *http.Request) {
	u.renderInvoiceList(w, r, http.StatusOK, nil, nil)
}

// renderInvoiceList renders the tenant's invoices with the generate form
// gen (a fresh one when nil) and what the last run did.
func (u *ui) renderInvoiceList(w http.ResponseWriter, r *http.Request, status int, gen *web.Form, res *invoicing.RunResult) {
	c, ok := u.access(w, r)
	if !ok {
		return
	}
	ctx, locale := r.Context(), i18n.FromContext(r.Context())
	f, n, d := listFilter(r, "/admin/invoices", locale)
	list, err := u.a.Invoicing.Invoices(ctx, web.Principal(r), f)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	list, d.Pager = newPager(r, "/admin/invoices", n, list)
	for _, inv := range list {
		d.Rows = append(d.Rows, invoiceRowOf(locale, inv))
	}
	d.CanManage, d.Result = u.canManageBilling(r), res
	if gen == nil {
		gen = web.NewForm(map[string]string{"period": lastPeriod(r), "issue": "1"})
	}
	d.Generate = gen
	pages.Render(w, r, status, "invoices", u.billingConsolePage(r, "ui.invoices.title", c, d))
}

// invoiceGenerate generates (and, when asked, issues) a period's
// invoices and shows the list of that period with what was done.
func (u *ui) invoiceGenerate(w http.ResponseWriter, r *http.Request) {
	f := web.FormOf(r)
	period := strings.TrimSpace(f.Get("period"))
	res, err := u.a.Invoicing.GeneratePeriod(r.Context(), web.Principal(r), period, f.Get("issue") != "")
	if err != nil {
		if status, ok := showOnForm(w, r, f, err); ok {
			u.renderInvoiceList(w, r, status, f, nil)
		}
		return
	}
	r.URL.RawQuery = url.Values{"period": {res.Period}}.Encode()
	u.renderInvoiceList(w, r, http.StatusOK, nil, res)
}

// lineView is an invoice line as the printable page shows it.
type lineView struct {
	Kind, Label, Detail, Source, Qty, Unit, Amount string
	Credit, Info, Unpriced                         bool
}

// paymentView is a payment of the printable page.
type paymentView struct {
	Method, Ref, Amount, At, Note string
}

// invoiceView is the printable invoice.
type invoiceView struct {
	Inv                                       *invoicing.Invoice
	Tenant                                    *tenants.Tenant
	Kind, StatusLabel, Badge                  string
	From, To                                  string
	Lines                                     []lineView
	Fees, Usage, Credits, Total               string
	Settled, Paid, Due, Commission            string
	Issued, PaidAt, Voided                    string
	Payments                                  []paymentView
	Back                                      string
	CanIssue, CanPay, CanVoid                 bool
	PayForm, VoidForm                         *web.Form
	HasUnpriced, HasCommission, IsPickupPoint bool
}

// minusYuan is fen taken off: "−¥1.50" ("¥0.00" for none).
func minusYuan(fen int64) string {
	if fen == 0 {
		return yuan(0)
	}
	return "−" + yuan(fen)
}

// metricLabel names a metric in locale (its code when the catalog does
// not know it).
func metricLabel(locale, metric string) string {
	key := "ui.invoice.metric." + metric
	if i18n.Has(i18n.ZH, key) {
		return i18n.T(locale, key)
	}
	return metric
}

// sourceLabel says where usage came from: "" for recorded usage, the
// plugin for plugin usage.
func sourceLabel(locale, source string) string {
	if name, ok := strings.CutPrefix(source, "plugin:"); ok {
		return i18n.T(locale, "ui.invoice.from_plugin", name)
	}
	return ""
}

// invoiceViewOf builds the printable view of inv.
func (u *ui) invoiceViewOf(r *http.Request, inv *invoicing.Invoice, back string, manage bool) *invoiceView {
	locale := i18n.FromContext(r.Context())
	t := tenants.MustFromContext(r.Context())
	v := &invoiceView{Inv: inv, Tenant: t, Kind: i18n.T(locale, "ui.invoice.owner."+inv.OwnerKind),
		StatusLabel: i18n.T(locale, "ui.invoice.status."+inv.Status), Badge: invoiceBadge(inv.Status),
		Fees: yuan(inv.FeesFen), Usage: yuan(inv.UsageFen), Credits: minusYuan(inv.CreditFen), Total: yuan(inv.TotalFen),
		Settled: yuan(inv.SettledFen), Paid: yuan(inv.PaidFen), Due: yuan(inv.DueFen), Commission: yuan(inv.CommissionFen),
		Issued: fmtTime(r, inv.IssuedAt), PaidAt: fmtTime(r, inv.PaidAt), Voided: fmtTime(r, inv.VoidedAt), Back: back,
		IsPickupPoint: inv.OwnerKind == invoicing.OwnerPickupPoint, PayForm: &web.Form{}, VoidForm: &web.Form{}}
	if p, err := invoicing.ParsePeriod(inv.Period); err == nil {
		start, end := p.Bounds(t.Location())
		v.From, v.To = start.In(t.Location()).Format("2006-01-02"), end.Add(-time.Second).In(t.Location()).Format("2006-01-02")
	}
	for _, l := range inv.Lines {
		lv := lineView{Kind: l.Kind, Detail: l.Detail, Source: sourceLabel(locale, l.Source), Amount: yuan(l.AmountFen)}
		switch l.Kind {
		case invoicing.LinePlan:
			lv.Label = i18n.T(locale, "ui.invoice.line.plan", l.Label)
			lv.Qty, lv.Unit = "1", yuan(l.UnitFen)
		case invoicing.LineUsage:
			lv.Label = metricLabel(locale, l.Metric)
			lv.Qty, lv.Unit = strconv.FormatInt(l.Quantity, 10), yuan(l.UnitFen)
			if !l.Priced {
				lv.Unpriced, lv.Unit = true, i18n.T(locale, "ui.invoice.unpriced")
				v.HasUnpriced = true
			}
		case invoicing.LineCredit:
			lv.Label = i18n.T(locale, "ui.invoice.line.credit", metricLabel(locale, l.Metric))
			lv.Qty, lv.Unit, lv.Credit, lv.Amount = strconv.FormatInt(l.Quantity, 10), yuan(l.UnitFen), true, minusYuan(-l.AmountFen)
		case invoicing.LineCommission:
			lv.Label, lv.Info = i18n.T(locale, "ui.invoice.line.commission"), true
			v.HasCommission = true
		}
		v.Lines = append(v.Lines, lv)
	}
	for _, p := range inv.Payments {
		v.Payments = append(v.Payments, paymentView{Method: i18n.T(locale, "ui.invoice.method."+p.Method), Ref: p.Ref,
			Amount: yuan(p.AmountFen), At: fmtTime(r, &p.CreatedAt), Note: p.Note})
		if !i18n.Has(i18n.ZH, "ui.invoice.method."+p.Method) {
			v.Payments[len(v.Payments)-1].Method = p.Method
		}
	}
	if manage {
		v.CanIssue = inv.Status == invoicing.StatusDraft
		v.CanPay = inv.Status == invoicing.StatusOpen
		v.CanVoid = inv.Status == invoicing.StatusOpen || inv.Status == invoicing.StatusDraft
	}
	return v
}

// invoicePage is the tenant admin's printable invoice.
func (u *ui) invoicePage(w http.ResponseWriter, r *http.Request) {
	u.renderInvoice(w, r, http.StatusOK, "", nil)
}

// renderInvoice renders invoice {id} for the tenant admin; form f (of
// the action failed, "mark-paid" or "void") shows its errors.
func (u *ui) renderInvoice(w http.ResponseWriter, r *http.Request, status int, failed string, f *web.Form) {
	c, ok := u.access(w, r)
	if !ok {
		return
	}
	inv, err := u.a.Invoicing.Invoice(r.Context(), web.Principal(r), r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	v := u.invoiceViewOf(r, inv, "/admin/invoices?period="+inv.Period, u.canManageBilling(r))
	switch failed {
	case "mark-paid":
		v.PayForm = f
	case "void":
		v.VoidForm = f
	}
	p := u.billingConsolePage(r, "ui.invoice.title", c, v)
	p.Title = i18n.T(i18n.FromContext(r.Context()), "ui.invoice.title") + " " + inv.Number
	if f != nil && failed == "issue" {
		p.Form = f
	}
	pages.Render(w, r, status, "invoice", p)
}

// invoiceAction returns the handler of an action on one invoice: issue,
// mark-paid (ref, note) or void (reason).
func (u *ui) invoiceAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, p, id := r.Context(), web.Principal(r), r.PathValue("id")
		f := web.FormOf(r)
		var err error
		flash := "ui.invoice.flash." + strings.ReplaceAll(action, "-", "_")
		switch action {
		case "issue":
			_, err = u.a.Invoicing.IssueInvoice(ctx, p, id)
		case "mark-paid":
			_, err = u.a.Invoicing.MarkPaidOffline(ctx, p, id, f.Get("ref"), f.Get("note"))
		default:
			_, err = u.a.Invoicing.VoidInvoice(ctx, p, id, f.Get("reason"))
		}
		if err != nil {
			if status, ok := showOnForm(w, r, f, err); ok {
				u.renderInvoice(w, r, status, action, f)
			}
			return
		}
		web.SetFlash(w, web.FlashSuccess, flash)
		web.Redirect(w, r, "/admin/invoices/", id)
	}
}

// billingData is the billing page: plans, prices, owners.
type billingData struct {
	Plans     []*planRow
	Prices    []*priceRow
	Accounts  []*accountRow
	CanManage bool
	// The forms: a new plan, a price, an assignment.
	PlanForm, PriceForm, AssignForm *web.Form
	Kinds, Intervals, Sources       []option
	ShopPlans, PointPlans           []option
	Owners                          []optionGroup
	Today                           string
}

type planRow struct {
	*invoicing.Plan
	Kind, Interval, Source, Fee string
}

type priceRow struct {
	*invoicing.Price
	Label, Unit, Source string
}

type accountRow struct {
	*invoicing.Account
	KindLabel, PlanName, Fee, Next string
	Credits                        []string
	IsShop                         bool
}

func (u *ui) billingPage(w http.ResponseWriter, r *http.Request) {
	u.renderBilling(w, r, http.StatusOK, "", nil)
}

// renderBilling renders the billing page; form f is the failed form
// named which ("plan", "price" or "assign").
func (u *ui) renderBilling(w http.ResponseWriter, r *http.Request, status int, which string, f *web.Form) {
	c, ok := u.access(w, r)
	if !ok {
		return
	}
	ctx, p, locale := r.Context(), web.Principal(r), i18n.FromContext(r.Context())
	t := tenants.MustFromContext(ctx)
	plans, err := u.a.Invoicing.Plans(ctx, p)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	prices, err := u.a.Invoicing.Prices(ctx, p)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	accounts, err := u.a.Invoicing.Accounts(ctx, p)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d := &billingData{CanManage: u.canManageBilling(r), PlanForm: web.NewForm(map[string]string{"owner_kind": "shop",
		"interval": "monthly", "revenue_source": "plan"}), PriceForm: &web.Form{},
		Today: time.Now().In(t.Location()).Format(invoicing.DateLayout)}
	d.AssignForm = web.NewForm(map[string]string{"starts_on": d.Today})
	switch which {
	case "plan":
		d.PlanForm = f
	case "price":
		d.PriceForm = f
	case "assign":
		d.AssignForm = f
	}
	for _, k := range []string{invoicing.OwnerShop, invoicing.OwnerPickupPoint} {
		d.Kinds = append(d.Kinds, option{Value: k, Label: i18n.T(locale, "ui.invoice.owner."+k), On: d.PlanForm.Get("owner_kind") == k})
	}
	for _, k := range []string{invoicing.Monthly, invoicing.Annual} {
		d.Intervals = append(d.Intervals, option{Value: k, Label: i18n.T(locale, "ui.billing.interval."+k), On: d.PlanForm.Get("interval") == k})
	}
	for _, k := range []string{"plan", "franchise"} {
		d.Sources = append(d.Sources, option{Value: k, Label: i18n.T(locale, "ui.billing.source."+k), On: d.PlanForm.Get("revenue_source") == k})
	}
	names := map[string]string{}
	for _, pl := range plans {
		row := &planRow{Plan: pl, Kind: i18n.T(locale, "ui.invoice.owner."+pl.OwnerKind),
			Interval: i18n.T(locale, "ui.billing.interval."+pl.Interval), Source: i18n.T(locale, "ui.billing.source."+pl.RevenueSource),
			Fee: yuan(pl.FeeFen)}
		d.Plans = append(d.Plans, row)
		names[pl.ID] = pl.Name
		if !pl.Active {
			continue
		}
		o := option{Value: pl.ID, Label: pl.Name + " · " + row.Fee + "/" + row.Interval, On: d.AssignForm.Get("plan_id") == pl.ID}
		if pl.OwnerKind == invoicing.OwnerShop {
			d.ShopPlans = append(d.ShopPlans, o)
		} else {
			d.PointPlans = append(d.PointPlans, o)
		}
	}
	for _, pr := range prices {
		d.Prices = append(d.Prices, &priceRow{Price: pr, Label: metricLabel(locale, pr.Metric), Unit: yuan(pr.UnitFen),
			Source: i18n.T(locale, "ui.billing.source."+pr.RevenueSource)})
	}
	shops := optionGroup{Label: i18n.T(locale, "ui.invoice.owner.shop")}
	points := optionGroup{Label: i18n.T(locale, "ui.invoice.owner.pickup_point")}
	for _, a := range accounts {
		row := &accountRow{Account: a, KindLabel: i18n.T(locale, "ui.invoice.owner."+a.Kind), IsShop: a.Kind == invoicing.OwnerShop}
		if a.Plan != nil {
			row.PlanName = a.Plan.Name
			row.Fee = yuan(a.Plan.FeeFen) + "/" + i18n.T(locale, "ui.billing.interval."+a.Plan.Interval)
		}
		if a.Next != nil {
			row.Next = i18n.T(locale, "ui.billing.next_plan", names[a.Next.PlanID], a.Next.StartsOn)
		}
		for _, g := range a.Credits {
			row.Credits = append(row.Credits, i18n.T(locale, "ui.billing.credit", metricLabel(locale, g.Metric), g.Remaining, g.Quantity,
				g.ExpiresAt.In(t.Location()).Format("2006-01-02")))
		}
		d.Accounts = append(d.Accounts, row)
		o := option{Value: a.ID, Label: a.Name, On: d.AssignForm.Get("owner_id") == a.ID}
		if row.IsShop {
			shops.Options = append(shops.Options, o)
		} else {
			points.Options = append(points.Options, o)
		}
	}
	d.Owners = []optionGroup{shops, points}
	pages.Render(w, r, status, "invoice_billing", u.billingConsolePage(r, "ui.billing.title", c, d))
}

// yuanField reads form field name as fen into *fen; a bad amount is a
// field error on name.
func yuanField(fe *core.FieldErrors, f *web.Form, name string) *int64 {
	s := strings.TrimSpace(f.Get(name))
	if s == "" {
		fe.Add(name, "field.required")
		return nil
	}
	fen, ok := catalog.ParseYuan(s)
	if !ok {
		fe.Add(name, "ui.billing.yuan_invalid")
		return nil
	}
	return &fen
}

// renamed moves the service's field errors to the form's input names
// (fees are entered in yuan).
func renamed(err error, names map[string]string) error {
	ce, ok := err.(*core.Error)
	if !ok || len(ce.Fields) == 0 {
		return err
	}
	c := *ce
	c.Fields = map[string]string{}
	for k, v := range ce.Fields {
		if n, ok := names[k]; ok {
			k = n
		}
		c.Fields[k] = v
	}
	return &c
}

// billingPost returns the handler of a billing form: plan (a new plan),
// defaults (install the default plans), active (switch a plan on or
// off), price (a metric's unit price), assign (an owner's plan from a
// date), gift (the onboarding pack to shop {id}).
func (u *ui) billingPost(which string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, p := r.Context(), web.Principal(r)
		f := web.FormOf(r)
		var err error
		switch which {
		case "plan":
			var fe core.FieldErrors
			fee := yuanField(&fe, f, "fee")
			if err = fe.Err(); err == nil {
				_, err = u.a.Invoicing.CreatePlan(ctx, p, invoicing.PlanInput{Code: strings.TrimSpace(f.Get("code")), Name: f.Get("name"),
					OwnerKind: f.Get("owner_kind"), Interval: f.Get("interval"), RevenueSource: f.Get("revenue_source"), FeeFen: fee})
				err = renamed(err, map[string]string{"fee_fen": "fee"})
			}
		case "defaults":
			_, err = u.a.Invoicing.InstallDefaultPlans(ctx, p)
		case "active":
			err = u.setPlanActive(r, f.Get("active") == "1")
		case "price":
			var fe core.FieldErrors
			unit := yuanField(&fe, f, "unit")
			if err = fe.Err(); err == nil {
				_, err = u.a.Invoicing.SetPrice(ctx, p, strings.TrimSpace(f.Get("metric")), *unit)
				err = renamed(err, map[string]string{"unit_fen": "unit"})
			}
		case "assign":
			_, err = u.a.Invoicing.Assign(ctx, p, invoicing.AssignInput{OwnerID: f.Get("owner_id"), PlanID: f.Get("plan_id"),
				StartsOn: strings.TrimSpace(f.Get("starts_on"))})
		case "gift":
			_, err = u.a.Invoicing.GrantOnboardingPack(ctx, p, r.PathValue("id"))
		}
		if err != nil {
			if status, ok := showOnForm(w, r, f, err); ok {
				u.renderBilling(w, r, status, which, f)
			}
			return
		}
		web.SetFlash(w, web.FlashSuccess, "ui.billing.flash."+which)
		web.Redirect(w, r, "/admin/billing")
	}
}

// setPlanActive switches plan {id} on or off, keeping the rest.
func (u *ui) setPlanActive(r *http.Request, active bool) error {
	ctx, p := r.Context(), web.Principal(r)
	plans, err := u.a.Invoicing.Plans(ctx, p)
	if err != nil {
		return err
	}
	for _, pl := range plans {
		if pl.ID == r.PathValue("id") {
			_, err := u.a.Invoicing.UpdatePlan(ctx, p, pl.ID, invoicing.PlanInput{Name: pl.Name, Interval: pl.Interval,
				FeeFen: &pl.FeeFen, RevenueSource: pl.RevenueSource, Active: &active})
			return err
		}
	}
	return errNotFound
}

// shopInvoiceList is the merchant's list of its shop's invoices.
func (u *ui) shopInvoiceList(w http.ResponseWriter, r *http.Request) {
	sh, err := u.a.Invoicing.ShopFor(r.Context(), web.Principal(r), r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d, err := u.ownerInvoiceList(r, "/merchant/shops/"+sh.ID+"/invoices", "shop-invoices", sh.ID, u.a.Invoicing.ShopInvoices)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d.Shop = sh
	pages.Render(w, r, http.StatusOK, "invoices_owner", u.shopPage(r, sh, "ui.invoices.title", &web.Form{}, d))
}

// ownerInvoiceList is the invoice list of one shop or pickup point at
// base (its rows link to base/{id}), read by list in the filter of the
// request.
func (u *ui) ownerInvoiceList(r *http.Request, base, listID, ownerID string,
	list func(context.Context, *identity.Principal, string, invoicing.Filter) ([]*invoicing.Invoice, error)) (*invoiceListData, error) {
	locale := i18n.FromContext(r.Context())
	f, n, d := listFilter(r, base, locale)
	invs, err := list(r.Context(), web.Principal(r), ownerID, f)
	if err != nil {
		return nil, err
	}
	invs, d.Pager = newPager(r, base, n, invs)
	for _, inv := range invs {
		d.Rows = append(d.Rows, invoiceRowOf(locale, inv))
	}
	d.ListID = listID
	return d, nil
}

// shopInvoicePage is the merchant's printable invoice.
func (u *ui) shopInvoicePage(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	inv, err := u.a.Invoicing.ShopInvoice(ctx, p, r.PathValue("id"), r.PathValue("invoice"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	sh, err := u.a.Invoicing.ShopFor(ctx, p, inv.OwnerID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	v := u.invoiceViewOf(r, inv, "/merchant/shops/"+sh.ID+"/invoices", false)
	page := u.shopPage(r, sh, "ui.invoice.title", &web.Form{}, v)
	page.Title = i18n.T(i18n.FromContext(ctx), "ui.invoice.title") + " " + inv.Number
	pages.Render(w, r, http.StatusOK, "invoice", page)
}

// operatedPoint is pickup point id of the caller's pickup console; NotFound
// unless the caller may open it.
func (u *ui) operatedPoint(r *http.Request, id string) (*fulfil.PickupPoint, error) {
	pts, err := u.a.Fulfil.OperatedPoints(r.Context(), web.Principal(r))
	if err != nil {
		return nil, err
	}
	for _, pt := range pts {
		if pt.ID == id {
			return pt.PickupPoint, nil
		}
	}
	return nil, errNotFound
}

// pointInvoiceList is a pickup point's invoices (its franchise fee) in
// the pickup console.
func (u *ui) pointInvoiceList(w http.ResponseWriter, r *http.Request) {
	pt, err := u.operatedPoint(r, r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d, err := u.ownerInvoiceList(r, "/pickup/points/"+pt.ID+"/invoices", "point-invoices", pt.ID, u.a.Invoicing.PointInvoices)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d.Point = pt
	pages.Render(w, r, http.StatusOK, "invoices_owner", u.pickupPage(r, title(r, "ui.invoices.title")+" · "+pt.Name, &web.Form{}, d))
}

// pointInvoicePage is a pickup point's printable invoice.
func (u *ui) pointInvoicePage(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	pt, err := u.operatedPoint(r, r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	inv, err := u.a.Invoicing.ShopInvoice(ctx, p, pt.ID, r.PathValue("invoice"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	v := u.invoiceViewOf(r, inv, "/pickup/points/"+pt.ID+"/invoices", false)
	page := u.pickupPage(r, i18n.T(i18n.FromContext(ctx), "ui.invoice.title")+" "+inv.Number, &web.Form{}, v)
	pages.Render(w, r, http.StatusOK, "invoice", page)
}
