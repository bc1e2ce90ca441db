package web

import (
	"net/http"
	"net/url"

	"github.com/jishi-dev/jishi/core/httpx"
)

// errorPages is the web shell's own page set: the error page.
var errorPages = MustParse(templateFS, nil, "templates/error.html")

// ErrorData is what the error page shows.
type ErrorData struct {
	Status  int
	Code    string
	Message string
	// Home links to the home page of the host; "" for a host that
	// belongs to nobody.
	Home string
	// SignIn links to the sign-in page (shown on 403).
	SignIn string
}

// SignInPath returns the tenant-relative (or platform) path of the sign-in
// page for r, with next set to where the browser was going when that was
// a page it could come back to.
func SignInPath(r *http.Request) string {
	p := "/login"
	if Tenant(r) == nil {
		p = "/admin/login"
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		next := r.URL.Path
		if r.URL.RawQuery != "" {
			next += "?" + r.URL.RawQuery
		}
		if LocalPath(next, "") != "" && next != "/" {
			p += "?next=" + url.QueryEscape(next)
		}
	}
	return p
}

// ErrorPage is the HTML error page of every non-API path, installed with
// httpx.SetHTMLError. An unauthenticated request is sent to the sign-in
// page of its tenant (or of the platform) with 303 See Other; an htmx
// request gets HX-Redirect there. Everything else shows a page with the
// message in the request's language. For a host that matches no tenant
// the page shows nothing of any tenant: the request carries none.
func ErrorPage(w http.ResponseWriter, r *http.Request, status int, d httpx.ErrorDetail) {
	if status == http.StatusUnauthorized && httpx.ResolutionFrom(r.Context()).Path != "" {
		to := Link(r, SignInPath(r))
		if IsHTMX(r) {
			w.Header().Set("HX-Redirect", to)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	data := &ErrorData{Status: status, Code: string(d.Code), Message: d.Message}
	if httpx.ResolutionFrom(r.Context()).Path != "" {
		data.Home = Link(r, "/")
	}
	if status == http.StatusForbidden && Tenant(r) != nil && httpx.ResolutionFrom(r.Context()).Path != "" {
		data.SignIn = Link(r, "/login")
	}
	p := &Page{Title: d.Message, Area: AreaStorefront, Data: data}
	if Tenant(r) == nil {
		p.Area = AreaPlatform
	}
	p.Bare = data.Home == ""
	p.langHome = true
	if IsHTMX(r) {
		errorPages.Fragment(w, r, status, "error", "error-box", p)
		return
	}
	errorPages.Render(w, r, status, "error", p)
}
