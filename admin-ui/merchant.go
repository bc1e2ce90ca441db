package adminui

import (
	"errors"
	"github.com/jishi-dev/jishi/core/pluginhost"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/web"
	"github.com/jishi-dev/jishi/tenants"
	"golang.org/x/text/unicode/norm"
)

func (u *ui) registerMerchant(rt *httpx.Router) {
	h := func(method, path, perm string, resource bool, fn http.HandlerFunc) {
		rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: method, Path: path, Perm: perm, Resource: resource, Handler: fn})
	}
	h("GET", "/merchant", httpx.PermSignedIn, false, u.merchantHome)
	h("POST", "/merchant/applications", merchant.PermApply, false, u.apply)
	h("POST", "/merchant/applications/{id}", merchant.PermApply, false, u.resubmit)
	h("POST", "/merchant/applications/{id}/withdraw", merchant.PermApply, false, u.withdraw)
	h("POST", "/merchant/invitations/accept", httpx.PermSignedIn, false, u.acceptInvitation)
	h("GET", "/merchant/shops/{id}", merchant.PermViewShop, true, u.merchantShop)
	h("POST", "/merchant/shops/{id}/profile", merchant.PermEditProfile, true, u.saveProfile)
	for _, kind := range []string{"logo", "banner"} {
		rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: "POST", Path: "/merchant/shops/{id}/" + kind,
			Perm: merchant.PermEditProfile, Resource: true, MaxBody: 3 << 20, Handler: u.uploadImage(kind)})
	}
	h("POST", "/merchant/shops/{id}/staff", merchant.PermStaff, true, u.invite)
	h("POST", "/merchant/shops/{id}/staff/{user}/remove", merchant.PermStaff, true, u.removeStaff)
}

// merchantData is the merchant console's home: the caller's shops, their
// applications, and the application form when they may apply.
type merchantData struct {
	Shops        []*merchant.Shop
	Applications []*merchant.Application
	// Open is the application awaiting a decision, if any.
	Open *merchant.Application
	// Last is the latest application when none is open (to show a
	// rejection reason).
	Last *merchant.Application
	// Supplier: the caller sells through the flagship store.
	Supplier bool
	// ShowForm: the application form is shown (no open application).
	ShowForm bool
	// Editing is the application the form resubmits (changes requested).
	Editing *merchant.Application
	// OfferFlagship: the last submission expected too few products.
	OfferFlagship bool
	MinProducts   int
	Regions       *regionIndex
	Categories    []merchant.Category
	// Invitation is the form accepting a staff invitation.
	Invitation *web.Form
	Host       string
}

func minProducts(t *tenants.Tenant) int {
	if n := t.Settings.MinProductsForOwnShop; n > 0 {
		return n
	}
	return tenants.DefaultSettings().MinProductsForOwnShop
}

func (u *ui) merchantHome(w http.ResponseWriter, r *http.Request) {
	u.renderMerchant(w, r, http.StatusOK, nil, nil)
}

// renderMerchant renders the merchant console's home; f is the submitted
// application form (nil for a fresh one), inv the invitation form.
func (u *ui) renderMerchant(w http.ResponseWriter, r *http.Request, status int, f, inv *web.Form) {
	ctx, p := r.Context(), web.Principal(r)
	t := tenants.MustFromContext(ctx)
	d := &merchantData{MinProducts: minProducts(t), Categories: merchant.MainCategories, Invitation: inv}
	var err error
	if d.Shops, err = u.a.Merchants.MyShops(ctx, p); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if d.Applications, err = u.a.Merchants.MyApplications(ctx, p); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if d.Supplier, err = u.a.Merchants.IsFlagshipSupplier(ctx, p.UserID); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if d.Regions, err = u.regions(ctx); err != nil {
		httpx.Error(w, r, err)
		return
	}
	for _, a := range d.Applications {
		if a.Open() && d.Open == nil {
			d.Open = a
		}
	}
	if d.Open == nil && len(d.Applications) > 0 {
		d.Last = d.Applications[0]
	}
	d.ShowForm = d.Open == nil
	if d.Open != nil && d.Open.Status == merchant.ApplicationChangesRequested {
		d.Editing = d.Open
		if f == nil {
			f = applicationForm(d.Open)
		}
	}
	if f == nil {
		f = &web.Form{}
	}
	d.OfferFlagship = f.Error("expected_products") != "" && d.MinProducts > 0
	if len(t.Domains) > 0 {
		d.Host = merchant.ShopHost(t, "yourshop")
	}
	c, _ := web.Console(ctx, u.a, p)
	page := &web.Page{Title: title(r, "ui.merchant.title"), Area: web.AreaMerchant, Console: c.Any(), Form: f, Data: d}
	pages.Render(w, r, status, "merchant", page)
}

// applicationForm is the form pre-filled with an application's values.
func applicationForm(a *merchant.Application) *web.Form {
	f := web.NewForm(map[string]string{
		"shop_name": a.ShopName, "slug": a.Slug, "contact_name": a.ContactName, "contact_phone": a.ContactPhone,
		"contact_email": a.ContactEmail, "licence_no": a.LicenceNo, "region_id": a.RegionID,
		"expected_products": strconv.Itoa(a.ExpectedProducts),
	})
	for _, c := range a.MainCategories {
		f.Values.Add("main_categories", c)
	}
	if a.ViaFlagship {
		f.Values.Set("via_flagship", "1")
	}
	return f
}

// applicationInput reads the application form.
func applicationInput(f *web.Form) merchant.ApplicationInput {
	n, err := strconv.Atoi(strings.TrimSpace(f.Get("expected_products")))
	if err != nil && strings.TrimSpace(f.Get("expected_products")) != "" {
		n = -1
	}
	return merchant.ApplicationInput{
		ShopName: f.Get("shop_name"), Slug: f.Get("slug"), ContactName: f.Get("contact_name"),
		ContactPhone: f.Get("contact_phone"), ContactEmail: f.Get("contact_email"), LicenceNo: f.Get("licence_no"),
		MainCategories: f.Values["main_categories"], RegionID: f.Get("region_id"), ExpectedProducts: n,
		ViaFlagship: f.Get("via_flagship") != "",
	}
}

// apply submits the application form.
func (u *ui) apply(w http.ResponseWriter, r *http.Request) {
	f := web.FormOf(r)
	if _, err := u.a.Merchants.Apply(r.Context(), web.Principal(r), applicationInput(f)); err != nil {
		u.failMerchant(w, r, f, nil, err)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "web.flash.application_sent")
	web.Redirect(w, r, "/merchant")
}

// resubmit sends an application back for review after changes were asked.
func (u *ui) resubmit(w http.ResponseWriter, r *http.Request) {
	f := web.FormOf(r)
	if _, err := u.a.Merchants.UpdateApplication(r.Context(), web.Principal(r), r.PathValue("id"), applicationInput(f)); err != nil {
		u.failMerchant(w, r, f, nil, err)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "web.flash.application_sent")
	web.Redirect(w, r, "/merchant")
}

func (u *ui) withdraw(w http.ResponseWriter, r *http.Request) {
	if _, err := u.a.Merchants.Withdraw(r.Context(), web.Principal(r), r.PathValue("id")); err != nil {
		u.failMerchant(w, r, nil, nil, err)
		return
	}
	web.SetFlash(w, web.FlashInfo, "web.flash.application_withdrawn")
	web.Redirect(w, r, "/merchant")
}

// failMerchant shows the merchant console again with err on form f (or on
// the invitation form inv).
func (u *ui) failMerchant(w http.ResponseWriter, r *http.Request, f, inv *web.Form, err error) {
	target := f
	if target == nil {
		target = inv
	}
	if target == nil {
		target = &web.Form{}
		f = target
	}
	status, ok := target.Fail(r, err)
	if !ok || core.ErrorCode(err) == core.NotFound {
		httpx.Error(w, r, err)
		return
	}
	u.renderMerchant(w, r, status, f, inv)
}

func (u *ui) acceptInvitation(w http.ResponseWriter, r *http.Request) {
	inv := web.FormOf(r)
	if _, err := u.a.Merchants.AcceptInvitation(r.Context(), web.Principal(r), inv.Get("token")); err != nil {
		// An unknown or expired code is a mistake in the form, not a
		// missing page.
		var e *core.Error
		if errors.As(err, &e) && e.Code == core.NotFound {
			err = &core.Error{Code: core.Invalid, Message: e.Message, Fields: map[string]string{"token": e.Message}}
		}
		u.failMerchant(w, r, nil, inv, err)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "web.flash.invitation_accepted")
	web.Redirect(w, r, "/merchant")
}

// shopConsoleData is one shop in the merchant console.
type shopConsoleData struct {
	Shop   *merchant.Shop
	Region string
	// Plugins are the entry pages of the plugins active for the shop.
	Plugins     []pluginhost.ConsolePage
	CanEdit     bool
	CanStaff    bool
	Staff       []*merchant.StaffMember
	Invitations []*merchant.Invitation
	// Token is a new invitation's token, shown once.
	Token string
	// TenantReturnDays is the tenant's returns window, which the shop has
	// while its own return days are empty.
	TenantReturnDays int
	// Profile, Images and Invite are the page's three forms.
	Profile, Images, Invite *web.Form
}

func profileForm(sh *merchant.Shop) *web.Form {
	color := sh.ThemeColor
	if !web.ValidColor(color) {
		color = "#1f7a3d"
	}
	f := web.NewForm(map[string]string{
		"name": sh.Name, "description": sh.Description, "service_promises": sh.ServicePromises,
		"returns_policy": sh.ReturnsPolicy, "contact_phone": sh.ContactPhone, "contact_email": sh.ContactEmail,
		"theme_color": color, "announcement": sh.Announcement,
	})
	if sh.ReturnDays != nil {
		f.Values.Set("return_days", strconv.Itoa(*sh.ReturnDays))
	}
	return f
}

// returnDays reads the returns-window field: empty is nil (the tenant's
// default); what is not a whole number is sent as -1, which the service
// refuses next to the field.
func returnDays(f *web.Form) *int {
	s := strings.TrimSpace(norm.NFKC.String(f.Get("return_days")))
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		n = -1
	}
	return &n
}

func (u *ui) merchantShop(w http.ResponseWriter, r *http.Request) {
	u.renderShop(w, r, http.StatusOK, &shopConsoleData{})
}

// renderShop renders shop {id} of the merchant console; d carries the
// forms (and the token) of the request, the rest is loaded here.
func (u *ui) renderShop(w http.ResponseWriter, r *http.Request, status int, d *shopConsoleData) {
	ctx, p := r.Context(), web.Principal(r)
	sh, err := u.a.Merchants.ShopFor(ctx, p, r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d.Shop = sh
	d.TenantReturnDays = tenants.MustFromContext(ctx).Settings.Returns()
	dom := sh.AuthzDomain()
	d.CanEdit = u.a.Authz.Allowed(ctx, p, dom, merchant.PermEditProfile)
	d.CanStaff = u.a.Authz.Allowed(ctx, p, dom, merchant.PermStaff)
	if d.Profile == nil {
		d.Profile = profileForm(sh)
	}
	if d.Images == nil {
		d.Images = &web.Form{}
	}
	if d.Invite == nil {
		d.Invite = web.NewForm(map[string]string{"role": authz.MerchantStaff})
	}
	if x, err := u.regions(ctx); err == nil {
		d.Region = x.NamePtr(sh.RegionID)
	}
	if d.CanStaff {
		if d.Staff, err = u.a.Merchants.Staff(ctx, p, sh.ID); err != nil {
			httpx.Error(w, r, err)
			return
		}
		if d.Invitations, err = u.a.Merchants.Invitations(ctx, p, sh.ID); err != nil {
			httpx.Error(w, r, err)
			return
		}
	}
	region := ""
	if sh.RegionID != nil {
		region = *sh.RegionID
	}
	d.Plugins = u.a.Plugins.Host.ConsolePages(ctx, tenants.MustFromContext(ctx), region, sh.ID)
	c, _ := web.Console(ctx, u.a, p)
	pages.Render(w, r, status, "merchant_shop", &web.Page{
		Title: sh.Name, Area: web.AreaMerchant, Console: c.Any(), ThemeColor: sh.ThemeColor, Data: d,
	})
}

// saveProfile saves the shop's profile form.
func (u *ui) saveProfile(w http.ResponseWriter, r *http.Request) {
	f := web.FormOf(r)
	in := merchant.ProfileInput{
		Name: f.Get("name"), Description: f.Get("description"), ServicePromises: f.Get("service_promises"),
		ReturnsPolicy: f.Get("returns_policy"), ContactPhone: f.Get("contact_phone"), ContactEmail: f.Get("contact_email"),
		ThemeColor: f.Get("theme_color"), Announcement: f.Get("announcement"), ReturnDays: returnDays(f),
	}
	id := r.PathValue("id")
	if _, err := u.a.Merchants.UpdateProfile(r.Context(), web.Principal(r), id, in); err != nil {
		status, ok := f.Fail(r, err)
		if !ok || core.ErrorCode(err) == core.NotFound {
			httpx.Error(w, r, err)
			return
		}
		u.renderShop(w, r, status, &shopConsoleData{Profile: f})
		return
	}
	web.SetFlash(w, web.FlashSuccess, "web.flash.saved")
	web.Redirect(w, r, "/merchant/shops/", id)
}

// uploadImage stores the uploaded logo or banner.
func (u *ui) uploadImage(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		f := &web.Form{}
		name, ctype, data, err := uploaded(r)
		if err == nil {
			set := u.a.Merchants.SetLogo
			if kind == "banner" {
				set = u.a.Merchants.SetBanner
			}
			_, err = set(r.Context(), web.Principal(r), id, name, ctype, data)
		}
		if err != nil {
			status, ok := f.Fail(r, err)
			if !ok || core.ErrorCode(err) == core.NotFound {
				httpx.Error(w, r, err)
				return
			}
			// The error belongs to this image's field.
			if msg := f.Error("file"); msg != "" {
				f.Errors = map[string]string{kind: msg}
			}
			u.renderShop(w, r, status, &shopConsoleData{Images: f})
			return
		}
		web.SetFlash(w, web.FlashSuccess, "web.flash.image_saved")
		web.Redirect(w, r, "/merchant/shops/", id)
	}
}

// uploaded reads the "file" part of a multipart form. A request without
// one gets Invalid with a field error on "file".
func uploaded(r *http.Request) (string, string, []byte, error) {
	missing := &core.Error{Code: core.Invalid, Message: "error.invalid_input", Fields: map[string]string{"file": "merchant.field.image_empty"}}
	if r.MultipartForm == nil {
		if err := r.ParseMultipartForm(3 << 20); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return "", "", nil, &core.Error{Code: core.Invalid, Message: "error.invalid_input",
					Fields: map[string]string{"file": "merchant.field.image_size"}, Err: err}
			}
			return "", "", nil, missing
		}
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return "", "", nil, missing
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, merchant.MaxImageBytes+1))
	if err != nil {
		return "", "", nil, err
	}
	return hdr.Filename, hdr.Header.Get("Content-Type"), b, nil
}

// invite invites a member by e-mail or phone; the page shows the
// invitation's token once.
func (u *ui) invite(w http.ResponseWriter, r *http.Request) {
	f := web.FormOf(r)
	in := merchant.InviteInput{Email: f.Get("email"), Phone: f.Get("phone"), Role: f.Get("role")}
	_, token, err := u.a.Merchants.Invite(r.Context(), web.Principal(r), r.PathValue("id"), in)
	if err != nil {
		status, ok := f.Fail(r, err)
		if !ok || core.ErrorCode(err) == core.NotFound {
			httpx.Error(w, r, err)
			return
		}
		u.renderShop(w, r, status, &shopConsoleData{Invite: f})
		return
	}
	u.renderShop(w, r, http.StatusCreated, &shopConsoleData{Token: token})
}

func (u *ui) removeStaff(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := u.a.Merchants.RemoveStaff(r.Context(), web.Principal(r), id, r.PathValue("user")); err != nil {
		f := &web.Form{}
		status, ok := f.Fail(r, err)
		if !ok || core.ErrorCode(err) == core.NotFound {
			httpx.Error(w, r, err)
			return
		}
		u.renderShop(w, r, status, &shopConsoleData{Invite: f})
		return
	}
	web.SetFlash(w, web.FlashSuccess, "web.flash.staff_removed")
	web.Redirect(w, r, "/merchant/shops/", id)
}
