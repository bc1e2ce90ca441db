package adminui

import (
	"net/http"
	"strings"

	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/web"
	"github.com/jishi-dev/jishi/tenants"
)

func (u *ui) registerPlatform(rt *httpx.Router) {
	h := func(method, path, perm string, fn http.HandlerFunc) {
		rt.Handle(httpx.Route{Area: httpx.AreaPlatform, Method: method, Path: path, Perm: perm, Public: perm == "", Handler: fn})
	}
	h("GET", "/", "", u.landing)
	h("GET", "/admin/login", "", u.platformLoginForm)
	h("POST", "/admin/login", "", u.platformLogin)
	h("POST", "/admin/logout", httpx.PermSignedIn, u.platformLogout)
	h("GET", "/admin", "tenant:list", u.platformConsole)
	h("POST", "/admin/tenants", "tenant:create", u.createTenant)
}

// landingData is the platform's own landing page: the marketplaces it
// hosts, by slug and name only.
type landingData struct {
	Tenants []*tenants.Tenant
}

// landing lists the marketplaces with links to their storefronts and
// consoles. Every other unmatched GET of the platform host is 404.
func (u *ui) landing(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		httpx.Error(w, r, errNotFound)
		return
	}
	ts, err := tenants.List(r.Context(), u.a.DB.DB)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d := &landingData{}
	for _, t := range ts {
		if t.Status == tenants.StatusActive {
			d.Tenants = append(d.Tenants, t)
		}
	}
	pages.Render(w, r, http.StatusOK, "landing", &web.Page{Area: web.AreaPlatform, Nav: "landing", Data: d})
}

type loginData struct{ Next string }

func (u *ui) platformLoginForm(w http.ResponseWriter, r *http.Request) {
	pages.Render(w, r, http.StatusOK, "platform_login", &web.Page{
		Title: title(r, "ui.platform.login_title"), Area: web.AreaPlatform, Nav: "login",
		Data: &loginData{Next: web.LocalPath(r.URL.Query().Get("next"), "")},
	})
}

// platformLogin signs a platform admin in.
func (u *ui) platformLogin(w http.ResponseWriter, r *http.Request) {
	f := web.FormOf(r)
	next := web.LocalPath(f.Get("next"), "")
	if _, err := u.a.Identity.PlatformSignIn(w, r, f.Get("email"), r.PostFormValue("password")); err != nil {
		status, ok := f.Fail(r, err)
		if !ok {
			httpx.Error(w, r, err)
			return
		}
		f.Values.Del("password")
		pages.Render(w, r, status, "platform_login", &web.Page{
			Title: title(r, "ui.platform.login_title"), Area: web.AreaPlatform, Nav: "login", Form: f, Data: &loginData{Next: next},
		})
		return
	}
	web.SetFlash(w, web.FlashSuccess, "web.flash.signed_in")
	web.Redirect(w, r, web.LocalPath(next, "/admin"))
}

func (u *ui) platformLogout(w http.ResponseWriter, r *http.Request) {
	if err := u.a.Identity.SignOut(w, r); err != nil {
		httpx.Error(w, r, err)
		return
	}
	web.SetFlash(w, web.FlashInfo, "web.flash.signed_out")
	web.Redirect(w, r, "/")
}

// platformData is the platform console: every tenant and the form that
// creates one.
type platformData struct {
	Tenants []*tenants.Tenant
}

func (u *ui) platformConsole(w http.ResponseWriter, r *http.Request) {
	u.renderPlatform(w, r, http.StatusOK, web.NewForm(map[string]string{
		"time_zone": tenants.DefaultTimeZone, "currency": tenants.DefaultCurrency, "default_locale": tenants.DefaultLocale,
	}))
}

func (u *ui) renderPlatform(w http.ResponseWriter, r *http.Request, status int, f *web.Form) {
	ts, err := tenants.List(r.Context(), u.a.DB.DB)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	pages.Render(w, r, status, "platform", &web.Page{
		Title: title(r, "ui.platform.title"), Area: web.AreaPlatform, Nav: "platform", Form: f, Data: &platformData{Tenants: ts},
	})
}

// createTenant provisions a marketplace from the form; field errors show
// next to the fields with the values kept.
func (u *ui) createTenant(w http.ResponseWriter, r *http.Request) {
	f := web.FormOf(r)
	in := tenants.CreateInput{
		Slug: f.Get("slug"), Name: f.Get("name"), TimeZone: f.Get("time_zone"), Currency: strings.TrimSpace(f.Get("currency")),
		DefaultLocale: f.Get("default_locale"), Domains: strings.FieldsFunc(f.Get("domains"), func(c rune) bool {
			return c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '，'
		}),
		AdminEmail: f.Get("admin_email"), AdminName: f.Get("admin_name"), AdminPassword: r.PostFormValue("admin_password"),
	}
	if _, err := u.a.Provisioner.Create(r.Context(), u.a.DB, in); err != nil {
		status, ok := f.Fail(r, err)
		if !ok {
			httpx.Error(w, r, err)
			return
		}
		f.Values.Del("admin_password")
		u.renderPlatform(w, r, status, f)
		return
	}
	u.a.Resolver.Invalidate()
	web.SetFlash(w, web.FlashSuccess, "web.flash.tenant_created")
	web.Redirect(w, r, "/admin")
}
