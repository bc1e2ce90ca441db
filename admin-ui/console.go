package adminui

import (
	"context"
	"net/http"
	"strconv"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/web"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

func (u *ui) registerConsole(rt *httpx.Router) {
	h := func(method, path, perm string, resource bool, fn http.HandlerFunc) {
		rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: method, Path: path, Perm: perm, Resource: resource, Handler: fn})
	}
	h("GET", "/admin", merchant.PermListApps, true, u.dashboard)
	h("GET", "/admin/regions", "region:manage", false, u.regionsPage)
	h("POST", "/admin/regions", "region:manage", false, u.createRegion)
	h("GET", "/admin/applications", merchant.PermListApps, true, u.applications)
	h("GET", "/admin/applications/{id}", merchant.PermListApps, true, u.application)
	h("POST", "/admin/applications/{id}/approve", merchant.PermReview, true, u.review("approve"))
	h("POST", "/admin/applications/{id}/reject", merchant.PermReview, true, u.review("reject"))
	h("POST", "/admin/applications/{id}/request-changes", merchant.PermReview, true, u.review("request-changes"))
	h("GET", "/admin/shops", merchant.PermListShops, true, u.shops)
	h("POST", "/admin/shops/{id}/suspend", merchant.PermManageShop, true, u.setShopStatus(merchant.ShopSuspended))
	h("POST", "/admin/shops/{id}/resume", merchant.PermManageShop, true, u.setShopStatus(merchant.ShopActive))
}

// access returns the console access of the caller, or answers 403 and
// returns false when the caller may not open the console at all.
func (u *ui) access(w http.ResponseWriter, r *http.Request) (web.ConsoleAccess, bool) {
	c, err := web.Console(r.Context(), u.a, web.Principal(r))
	if err != nil {
		httpx.Error(w, r, err)
		return c, false
	}
	if !c.Any() {
		httpx.Error(w, r, errForbidden)
		return c, false
	}
	return c, true
}

// consolePage returns a console page with its common fields.
func consolePage(r *http.Request, titleKey string, c web.ConsoleAccess, data any) *web.Page {
	return &web.Page{Title: title(r, titleKey), Area: web.AreaConsole, Console: true, Data: &consoleData{Access: c, Tab: titleKey, Data: data}}
}

// consoleData wraps a console page's own data with the caller's access,
// which decides the console's menu.
type consoleData struct {
	Access web.ConsoleAccess
	// Tab is the console menu entry of the page (its title key).
	Tab  string
	Data any
}

// dashboardData is the console's first page: what waits for review, and
// the shops by status.
type dashboardData struct {
	Submitted int
	Changes   int
	Active    int
	Suspended int
	Regions   int
}

func (u *ui) dashboard(w http.ResponseWriter, r *http.Request) {
	c, ok := u.access(w, r)
	if !ok {
		return
	}
	ctx, p := r.Context(), web.Principal(r)
	d := &dashboardData{}
	apps, err := u.a.Merchants.ApplicationCounts(ctx, p)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d.Submitted, d.Changes = apps[merchant.ApplicationSubmitted], apps[merchant.ApplicationChangesRequested]
	shops, err := u.a.Merchants.ShopCounts(ctx, p)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d.Active, d.Suspended = shops[merchant.ShopActive], shops[merchant.ShopSuspended]
	if c.Regions {
		x, err := u.regions(ctx)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		d.Regions = len(x.Names)
	}
	pages.Render(w, r, http.StatusOK, "console", consolePage(r, "ui.console.title", c, d))
}

// regionsData is the regions page: the tree and the cities a district can
// be added to.
type regionsData struct {
	Regions *regionIndex
}

func (u *ui) regionsPage(w http.ResponseWriter, r *http.Request) {
	u.renderRegions(w, r, http.StatusOK, &web.Form{})
}

func (u *ui) renderRegions(w http.ResponseWriter, r *http.Request, status int, f *web.Form) {
	c, ok := u.access(w, r)
	if !ok {
		return
	}
	x, err := u.regions(r.Context())
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	p := consolePage(r, "ui.regions.title", c, &regionsData{Regions: x})
	p.Form = f
	pages.Render(w, r, status, "regions", p)
}

// createRegion adds a city, or a district of a city.
func (u *ui) createRegion(w http.ResponseWriter, r *http.Request) {
	f := web.FormOf(r)
	sort, _ := strconv.Atoi(f.Get("sort"))
	in := tenants.RegionInput{ParentID: f.Get("parent_id"), Code: f.Get("code"), Name: f.Get("name"), Sort: sort}
	err := u.a.DB.RunInTx(r.Context(), func(ctx context.Context, tx bun.IDB) error {
		_, err := tenants.CreateRegion(ctx, tx, in)
		return err
	})
	if err != nil {
		status, ok := f.Fail(r, err)
		if !ok {
			httpx.Error(w, r, err)
			return
		}
		u.renderRegions(w, r, status, f)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "web.flash.region_created")
	web.Redirect(w, r, "/admin/regions")
}

// applicationsData is the review queue.
type applicationsData struct {
	Status       string
	Statuses     []string
	Applications []*merchant.Application
	Regions      *regionIndex
	Pager        pager
}

var queueStatuses = []string{merchant.ApplicationSubmitted, merchant.ApplicationChangesRequested,
	merchant.ApplicationApproved, merchant.ApplicationRejected, merchant.ApplicationWithdrawn, "all"}

// applications is the review queue, filtered by status (submitted by
// default; "all" for every status).
func (u *ui) applications(w http.ResponseWriter, r *http.Request) {
	c, ok := u.access(w, r)
	if !ok {
		return
	}
	status := r.URL.Query().Get("status")
	valid := false
	for _, s := range queueStatuses {
		valid = valid || s == status
	}
	if !valid {
		status = merchant.ApplicationSubmitted
	}
	f := merchant.ApplicationFilter{Status: status}
	if status == "all" {
		f.Status = ""
	}
	n, window := pageWindow(r)
	f.Page = window
	ctx := r.Context()
	apps, err := u.a.Merchants.Applications(ctx, web.Principal(r), f)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	apps, pg := newPager(r, "/admin/applications", n, apps)
	x, err := u.regions(ctx)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	pages.Render(w, r, http.StatusOK, "applications", consolePage(r, "ui.apps.title", c,
		&applicationsData{Status: status, Statuses: queueStatuses, Applications: apps, Regions: x, Pager: pg}))
}

// applicationData is one application under review.
type applicationData struct {
	App       *merchant.Application
	Applicant *identity.User
	Region    string
	// CanReview: the caller may decide on it now.
	CanReview bool
	// Own: the caller applied (and may not review it).
	Own bool
	// Shop is the shop approval opened.
	Shop *merchant.Shop
}

func (u *ui) loadApplication(r *http.Request, app *merchant.Application) (*applicationData, error) {
	ctx, p := r.Context(), web.Principal(r)
	d := &applicationData{App: app, Own: app.ApplicantID == p.UserID}
	err := u.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		d.Applicant, err = u.a.Identity.UserByID(ctx, tx, app.ApplicantID)
		if core.IsNotFound(err) {
			err = nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	x, err := u.regions(ctx)
	if err != nil {
		return nil, err
	}
	d.Region = x.Name(app.RegionID)
	t := tenants.MustFromContext(ctx)
	d.CanReview = app.Status == merchant.ApplicationSubmitted && !d.Own &&
		u.a.Authz.Allowed(ctx, p, authz.RegionDomain(t.ID, app.RegionID), merchant.PermReview)
	if app.ShopID != nil {
		if sh, err := u.a.Merchants.ShopByID(ctx, *app.ShopID); err == nil {
			d.Shop = sh
		}
	}
	return d, nil
}

// application shows one application with the review actions.
func (u *ui) application(w http.ResponseWriter, r *http.Request) {
	c, ok := u.access(w, r)
	if !ok {
		return
	}
	app, err := u.a.Merchants.ApplicationForReview(r.Context(), web.Principal(r), r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d, err := u.loadApplication(r, app)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	pages.Render(w, r, http.StatusOK, "application", consolePage(r, "ui.app.title", c, d))
}

// review returns the handler of one review action: approve, reject (with
// a reason) or request changes (with a note). htmx requests get the
// review box back; plain form posts are redirected to the application.
func (u *ui) review(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := u.access(w, r)
		if !ok {
			return
		}
		ctx, p, id := r.Context(), web.Principal(r), r.PathValue("id")
		f := web.FormOf(r)
		var (
			app   *merchant.Application
			err   error
			flash string
		)
		switch action {
		case "approve":
			app, err = u.a.Merchants.Approve(ctx, p, id)
			flash = "web.flash.approved"
		case "reject":
			app, err = u.a.Merchants.Reject(ctx, p, id, f.Get("reason"))
			flash = "web.flash.rejected"
		default:
			app, err = u.a.Merchants.RequestChanges(ctx, p, id, f.Get("note"))
			flash = "web.flash.changes_requested"
		}
		status := http.StatusOK
		if err != nil {
			var shown bool
			if status, shown = f.Fail(r, err); !shown || core.ErrorCode(err) == core.NotFound {
				httpx.Error(w, r, err)
				return
			}
			// Show the application as it is now, with the error.
			if app, err = u.a.Merchants.ApplicationForReview(ctx, p, id); err != nil {
				httpx.Error(w, r, err)
				return
			}
		}
		if !web.IsHTMX(r) && !f.Failed() {
			web.SetFlash(w, web.FlashSuccess, flash)
			web.Redirect(w, r, "/admin/applications/", id)
			return
		}
		d, err := u.loadApplication(r, app)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		page := consolePage(r, "ui.app.title", c, d)
		page.Form = f
		if !f.Failed() {
			page.Flash = &web.Flash{Kind: web.FlashSuccess, Key: flash}
		}
		if web.IsHTMX(r) {
			pages.Fragment(w, r, status, "application", "review", page)
			return
		}
		pages.Render(w, r, status, "application", page)
	}
}

// shopsData is the console's shop list.
type shopsData struct {
	Status   string
	Statuses []string
	Shops    []*shopRow
	Regions  *regionIndex
	Pager    pager
}

// shopRow is one shop of the console's list with what the caller may do.
type shopRow struct {
	Shop      *merchant.Shop
	Region    string
	CanManage bool
	Form      *web.Form
}

var shopStatuses = []string{merchant.ShopActive, merchant.ShopSuspended, merchant.ShopPending, merchant.ShopClosed, "all"}

func (u *ui) shopRow(r *http.Request, x *regionIndex, sh *merchant.Shop) *shopRow {
	return &shopRow{Shop: sh, Region: x.NamePtr(sh.RegionID), Form: &web.Form{},
		CanManage: u.a.Authz.Allowed(r.Context(), web.Principal(r), sh.AuthzDomain(), merchant.PermManageShop)}
}

// shops lists the shops the caller may see, by status (all by default).
func (u *ui) shops(w http.ResponseWriter, r *http.Request) {
	u.renderShops(w, r, http.StatusOK, "", nil)
}

// renderShops renders the shop list; the row of shop failedID, if any,
// shows form f with its errors.
func (u *ui) renderShops(w http.ResponseWriter, r *http.Request, code int, failedID string, f *web.Form) {
	c, ok := u.access(w, r)
	if !ok {
		return
	}
	status := r.URL.Query().Get("status")
	valid := false
	for _, s := range shopStatuses {
		valid = valid || s == status
	}
	if !valid {
		status = "all"
	}
	filter := merchant.ShopFilter{Status: status, Query: r.URL.Query().Get("q")}
	if status == "all" {
		filter.Status = ""
	}
	n, window := pageWindow(r)
	filter.Page = window
	ctx := r.Context()
	list, err := u.a.Merchants.ShopsFor(ctx, web.Principal(r), filter)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	list, pg := newPager(r, "/admin/shops", n, list)
	x, err := u.regions(ctx)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d := &shopsData{Status: status, Statuses: shopStatuses, Regions: x, Pager: pg}
	for _, sh := range list {
		row := u.shopRow(r, x, sh)
		if sh.ID == failedID {
			row.Form = f
		}
		d.Shops = append(d.Shops, row)
	}
	pages.Render(w, r, code, "shops", consolePage(r, "ui.shops.title", c, d))
}

// setShopStatus returns the handler that suspends (with a reason) or
// resumes a shop. htmx requests get the shop's row back.
func (u *ui) setShopStatus(status string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := u.access(w, r)
		if !ok {
			return
		}
		ctx, p, id := r.Context(), web.Principal(r), r.PathValue("id")
		f := web.FormOf(r)
		sh, err := u.a.Merchants.SetStatus(ctx, p, id, status, f.Get("reason"))
		code := http.StatusOK
		if err != nil {
			var shown bool
			if code, shown = f.Fail(r, err); !shown || core.ErrorCode(err) == core.NotFound || core.ErrorCode(err) == core.Forbidden {
				httpx.Error(w, r, err)
				return
			}
			if sh, err = u.a.Merchants.ShopByID(ctx, id); err != nil {
				httpx.Error(w, r, err)
				return
			}
		}
		flash := "web.flash.shop_resumed"
		if status == merchant.ShopSuspended {
			flash = "web.flash.shop_suspended"
		}
		if !web.IsHTMX(r) {
			if f.Failed() {
				u.renderShops(w, r, code, id, f)
				return
			}
			web.SetFlash(w, web.FlashSuccess, flash)
			web.Redirect(w, r, "/admin/shops")
			return
		}
		x, err := u.regions(ctx)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		row := u.shopRow(r, x, sh)
		row.Form = f
		page := consolePage(r, "ui.shops.title", c, row)
		if !f.Failed() {
			page.Flash = &web.Flash{Kind: web.FlashSuccess, Key: flash}
		}
		pages.Fragment(w, r, code, "shops", "shop-row", page)
	}
}
