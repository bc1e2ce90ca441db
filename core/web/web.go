// Package web is the server-rendered shell shared by the shopper
// storefront (core/storefront) and the consoles (admin-ui): templates
// embedded with go:embed and parsed once, the layout, render helpers, the
// template functions (t, csrf, link, asset, …), form state with field
// errors, flash messages, the static assets under /static/ (the one style
// sheet and htmx, vendored from the npm package) and the HTML error page,
// which also sends unauthenticated browsers to the right sign-in page.
//
// Pages are rendered with html/template only; user data is never marked
// safe. Links are built from the request's resolution base, so the same
// page works on a tenant's host ("") and on development paths
// ("/t/{tenant}").
package web

import (
	"net/http"
	"strings"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/tenants"
)

// Register mounts the static assets at /static/ on every host and installs
// the HTML error page. core/server calls it with the other web shells.
func Register(rt *httpx.Router, a *app.App) {
	httpx.SetHTMLError(ErrorPage)
	rt.Handle(httpx.Route{Area: httpx.AreaAny, Method: "GET", Path: "/static/", Public: true, Handler: serveStatic})
}

// Principal returns the signed-in caller of r, or nil.
func Principal(r *http.Request) *identity.Principal {
	p, _ := identity.PrincipalFrom(r.Context())
	return p
}

// Tenant returns the tenant of r, or nil on platform hosts.
func Tenant(r *http.Request) *tenants.Tenant {
	t, _ := tenants.FromContext(r.Context())
	return t
}

// Base returns the prefix that turns a tenant-relative path into a link
// for this request: "/t/{slug}" on development paths, "" on a tenant's
// host, "//{tenant host}" on a shop's subdomain, "" on platform hosts.
func Base(r *http.Request) string { return httpx.ResolutionFrom(r.Context()).Base }

// Link returns the link to the tenant-relative (or platform) path made of
// parts, for this request.
func Link(r *http.Request, parts ...string) string {
	return Base(r) + strings.Join(parts, "")
}

// Redirect answers 303 See Other to the tenant-relative (or platform) path
// made of parts. An htmx request is told to navigate there instead
// (HX-Redirect), since it would otherwise swap the next page into a
// fragment.
func Redirect(w http.ResponseWriter, r *http.Request, parts ...string) {
	to := Link(r, parts...)
	if IsHTMX(r) {
		w.Header().Set("HX-Redirect", to)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// IsHTMX reports whether r was sent by htmx (and wants a fragment).
func IsHTMX(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }

// LocalPath returns next when it is a safe local path to send a browser
// to after signing in ("/admin", "/s/shop/"), and def otherwise: it must
// start with one "/", and hold no backslash, control character or
// scheme-relative prefix.
func LocalPath(next, def string) string {
	if next == "" || len(next) > 512 || next[0] != '/' || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\") {
		return def
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f {
			return def
		}
	}
	return next
}
