// Package pluginweb serves plugins' HTTP routes (core/pluginhost) on a
// tenant's hosts, after the host has resolved the tenant, authenticated
// the caller and checked the route's permission:
//
//   - /p/{plugin}/… — storefront routes, for anyone (a route's permission
//     asks for a signed-in shopper holding it);
//   - /admin/p/{plugin}/… — the tenant console's admin routes, checked in
//     the tenant's domain;
//   - /merchant/shops/{id}/p/{plugin}/… — a shop console's admin routes,
//     checked in the shop's domain, for the shop the path names.
//
// Cookies and credentials never reach the plugin; the caller's identity,
// the CSRF token to embed in forms and the mount do. An answer marked as a
// page (X-Jishi-Layout: page, HTML) is placed in the host's layout, under
// a Content-Security-Policy that allows no script from the plugin.
package pluginweb

import (
	"embed"
	"errors"
	"html/template"
	"net/http"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/pluginhost"
	"github.com/jishi-dev/jishi/core/web"
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/tenants"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = web.MustParse(templateFS, template.FuncMap{}, "templates/*.html")

// pageData is a plugin's page inside the layout.
type pageData struct {
	Plugin string
	HTML   template.HTML
}

// cspFor is the policy of every proxied answer: scripts only from the
// host's own /static/ files (none from the plugin's markup or routes), no
// plugins or frames, forms only to this host.
func cspFor(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return "default-src 'self'; script-src " + scheme + "://" + r.Host + "/static/; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; " +
		"object-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

var errNotFound = core.Errorf(core.NotFound, "error.not_found")

type mount struct{ a *app.App }

// Register mounts the plugin routes on rt.
func Register(rt *httpx.Router, a *app.App) {
	m := &mount{a: a}
	for _, method := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: method, Path: "/p/{plugin}/{rest...}", Public: true, Handler: m.storefront})
		rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: method, Path: "/admin/p/{plugin}/{rest...}", Perm: httpx.PermSignedIn, Handler: m.tenantAdmin})
		rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: method, Path: "/merchant/shops/{id}/p/{plugin}/{rest...}", Perm: httpx.PermSignedIn, Resource: true, Handler: m.shopAdmin})
	}
}

// identityOf is the caller as the plugin sees it.
func identityOf(r *http.Request, kind string) *pluginv1.Identity {
	id := &pluginv1.Identity{Kind: kind}
	if p := web.Principal(r); p != nil {
		id.Authenticated, id.UserId, id.DisplayName = true, p.UserID, p.Name
		if p.Kind == identity.KindPlatform {
			id.Kind = "platform_admin"
		}
	}
	return id
}

func (m *mount) call(r *http.Request, regionID, shopID string) pluginhost.Call {
	ctx := r.Context()
	return pluginhost.Call{Tenant: tenants.MustFromContext(ctx), RegionID: regionID, ShopID: shopID,
		RequestID: httpx.RequestID(ctx), Locale: i18n.FromContext(ctx)}
}

func rest(r *http.Request) string { return "/" + r.PathValue("rest") }

// storefront serves /p/{plugin}/… for shoppers.
func (m *mount) storefront(w http.ResponseWriter, r *http.Request) {
	plugin := r.PathValue("plugin")
	p := web.Principal(r)
	dom := httpx.Domain(r.Context())
	m.serve(w, r, web.AreaStorefront, pluginhost.RouteRequest{
		Plugin: plugin, Area: pluginv1.RouteArea_ROUTE_AREA_STOREFRONT, Mount: "/p/" + plugin, Path: rest(r),
		Call: m.call(r, "", ""), Identity: identityOf(r, "shopper"),
		Can: func(perm string) bool { return p != nil && m.a.Authz.Allowed(r.Context(), p, dom, perm) },
	})
}

// tenantAdmin serves /admin/p/{plugin}/… in the tenant's domain.
func (m *mount) tenantAdmin(w http.ResponseWriter, r *http.Request) {
	plugin := r.PathValue("plugin")
	p := web.Principal(r)
	dom := authz.TenantDomain(tenants.MustFromContext(r.Context()).ID)
	m.serve(w, r, web.AreaConsole, pluginhost.RouteRequest{
		Plugin: plugin, Area: pluginv1.RouteArea_ROUTE_AREA_ADMIN, Mount: "/admin/p/" + plugin, Path: rest(r),
		Call: m.call(r, "", ""), Identity: identityOf(r, "admin"),
		Can: func(perm string) bool { return m.a.Authz.Allowed(r.Context(), p, dom, perm) },
	})
}

// shopAdmin serves /merchant/shops/{id}/p/{plugin}/… for the shop's
// staff: the shop must be theirs to see (NotFound otherwise), and the
// route's permission is checked in the shop's domain.
func (m *mount) shopAdmin(w http.ResponseWriter, r *http.Request) {
	plugin := r.PathValue("plugin")
	p := web.Principal(r)
	sh, err := m.a.Merchants.ShopFor(r.Context(), p, r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	region := ""
	if sh.RegionID != nil {
		region = *sh.RegionID
	}
	dom := sh.AuthzDomain()
	m.serve(w, r, web.AreaMerchant, pluginhost.RouteRequest{
		Plugin: plugin, Area: pluginv1.RouteArea_ROUTE_AREA_ADMIN, Mount: "/merchant/shops/" + sh.ID + "/p/" + plugin, Path: rest(r),
		Call: m.call(r, region, sh.ID), Identity: identityOf(r, "merchant"),
		Can: func(perm string) bool { return m.a.Authz.Allowed(r.Context(), p, dom, perm) },
	})
}

func (m *mount) serve(w http.ResponseWriter, r *http.Request, area web.Area, rr pluginhost.RouteRequest) {
	rr.CSRF = httpx.CSRFToken(r.Context())
	rr.Base = web.Base(r)
	rr.Mount = rr.Base + rr.Mount
	res, err := m.a.Plugins.Host.ServeRoute(r.Context(), rr, r)
	var ue *pluginhost.UnavailableError
	switch {
	case errors.Is(err, pluginhost.ErrNoRoute):
		httpx.Error(w, r, errNotFound)
		return
	case errors.Is(err, pluginhost.ErrForbidden):
		if web.Principal(r) == nil {
			httpx.Error(w, r, core.Errorf(core.Unauthenticated, "error.unauthenticated"))
			return
		}
		httpx.Error(w, r, core.Errorf(core.Forbidden, "error.forbidden"))
		return
	case errors.Is(err, pluginhost.ErrBodyTooLarge):
		httpx.Error(w, r, core.Errorf(core.TooLarge, "error.too_large"))
		return
	case errors.As(err, &ue):
		httpx.Error(w, r, &core.Error{Code: core.Unavailable, Message: "plugin.route_unavailable", Args: []any{rr.Plugin}, Err: err})
		return
	case err != nil:
		httpx.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Security-Policy", cspFor(r))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if res.Page && res.Status < 300 || res.Page && res.Status >= 400 {
		title := res.Title
		if title == "" {
			title = rr.Plugin
		}
		pages.Render(w, r, res.Status, "plugin", &web.Page{Title: title, Area: area, Console: area != web.AreaStorefront,
			Data: &pageData{Plugin: rr.Plugin, HTML: template.HTML(res.Body)}}) //nolint:gosec // the plugin's own page, under the CSP above
		return
	}
	for k, vs := range res.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/octet-stream")
	}
	w.WriteHeader(res.Status)
	_, _ = w.Write(res.Body)
}
