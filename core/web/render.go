package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/tenants"
)

//go:embed templates/*.html
var templateFS embed.FS

// Area says which part of the product a page belongs to; the layout picks
// its navigation by it.
type Area string

// The areas of the web shell.
const (
	AreaStorefront Area = "storefront" // shopper pages of a tenant
	AreaMerchant   Area = "merchant"   // merchant console
	AreaConsole    Area = "console"    // tenant console (tenant admins, region managers)
	AreaPlatform   Area = "platform"   // platform host: landing and console
)

// Page is what every template receives. Handlers fill Title, Area, Data
// and, for forms, Form; Render fills the rest from the request.
type Page struct {
	// Title is the page's title, already in the request's language.
	Title string
	Area  Area
	// Data is the page's own content.
	Data any
	// Form holds submitted values and their errors; never nil in a
	// template.
	Form *Form
	// ThemeColor is a shop's colour, "#rrggbb"; Render drops anything
	// else before it reaches a style attribute.
	ThemeColor string
	// Console shows the tenant console in the navigation.
	Console bool
	// Nav names the navigation entry to highlight ("home", "merchant",
	// "console", "account", "platform"); by default the area's.
	Nav string
	// Bare hides the navigation (the error page of a host that belongs to
	// nobody).
	Bare bool
	// CartCount is the units in the shopper's cart, for the storefront
	// header's cart link (0 hides the count).
	CartCount int

	// Filled by Render.
	Locale    string
	Tenant    *tenants.Tenant
	Principal *identity.Principal
	Flash     *Flash
	Base      string

	// langHome makes the language switch lead to the home page (error
	// pages do not echo the path that failed).
	langHome bool
}

// SignedIn reports whether the page is shown to a signed-in account.
func (p *Page) SignedIn() bool { return p.Principal != nil }

// Set is a group of pages parsed once: each page file of the consuming
// package on top of the shared layout and partials. Pages are looked up by
// file name without extension.
type Set struct {
	pages map[string]*pageTemplate
}

// pageTemplate keeps the parsed, never executed template of one page and
// a pool of clones of it. A clone is escaped on its first execution and
// reused afterwards; before each execution its request functions (t,
// csrf, link, …) are rebound to the request, and one clone serves one
// request at a time.
type pageTemplate struct {
	name     string
	pristine *template.Template
	pool     sync.Pool
}

func (pt *pageTemplate) get() (*template.Template, error) {
	if t, ok := pt.pool.Get().(*template.Template); ok {
		return t, nil
	}
	return pt.pristine.Clone()
}

// MustParse is Parse that panics on error; templates are embedded, so an
// error is a bug found by the first test.
func MustParse(fsys fs.FS, funcs template.FuncMap, patterns ...string) *Set {
	s, err := Parse(fsys, funcs, patterns...)
	if err != nil {
		panic(err)
	}
	return s
}

// Parse parses every file of fsys matching patterns as a page on top of
// the shared layout and partials, with funcs added to the shared template
// functions. A page file defines "content" (and may define "head" and
// fragments rendered alone with Fragment).
func Parse(fsys fs.FS, funcs template.FuncMap, patterns ...string) (*Set, error) {
	base, err := template.New("web").Funcs(baseFuncs()).Funcs(funcs).ParseFS(templateFS, "templates/_*.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	s := &Set{pages: map[string]*pageTemplate{}}
	for _, pat := range patterns {
		files, err := fs.Glob(fsys, pat)
		if err != nil {
			return nil, fmt.Errorf("web: %s: %w", pat, err)
		}
		for _, f := range files {
			name := strings.TrimSuffix(path.Base(f), path.Ext(f))
			if strings.HasPrefix(name, "_") {
				continue
			}
			t, err := base.Clone()
			if err != nil {
				return nil, err
			}
			if _, err := t.ParseFS(fsys, f); err != nil {
				return nil, fmt.Errorf("web: parse %s: %w", f, err)
			}
			// Partials of the consuming package (files starting with "_")
			// are shared by its pages.
			if parts, _ := fs.Glob(fsys, path.Join(path.Dir(f), "_*.html")); len(parts) > 0 {
				if _, err := t.ParseFS(fsys, parts...); err != nil {
					return nil, fmt.Errorf("web: parse partials of %s: %w", f, err)
				}
			}
			s.pages[name] = &pageTemplate{name: name, pristine: t}
		}
	}
	if len(s.pages) == 0 {
		return nil, fmt.Errorf("web: no pages match %v", patterns)
	}
	return s, nil
}

// Has reports whether the set has page name.
func (s *Set) Has(name string) bool { _, ok := s.pages[name]; return ok }

// Render writes page name, inside the layout, with status. Template
// errors are logged and answered with the error page.
func (s *Set) Render(w http.ResponseWriter, r *http.Request, status int, name string, p *Page) {
	s.write(w, r, status, name, "layout", p)
}

// Fragment writes only the template block of page name (for htmx swaps),
// with status.
func (s *Set) Fragment(w http.ResponseWriter, r *http.Request, status int, name, block string, p *Page) {
	s.write(w, r, status, name, block, p)
}

func (s *Set) write(w http.ResponseWriter, r *http.Request, status int, name, entry string, p *Page) {
	if status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "60") // a throttled form says when to try again, as the API does
	}
	if p == nil {
		p = &Page{}
	}
	fill(w, r, p)
	var buf bytes.Buffer
	if err := s.execute(&buf, r, name, entry, p); err != nil {
		slog.ErrorContext(r.Context(), "render page", "page", name, "block", entry, "err", err,
			"request_id", httpx.RequestID(r.Context()))
		if s != errorPages {
			ErrorPage(w, r, http.StatusInternalServerError, httpx.ErrorDetail{Code: "internal", Message: i18n.T(p.Locale, "error.internal")})
			return
		}
		http.Error(w, i18n.T(p.Locale, "error.internal"), http.StatusInternalServerError)
		return
	}
	pageHeaders(w)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Set) execute(w io.Writer, r *http.Request, name, entry string, p *Page) error {
	pt, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("web: no page %q", name)
	}
	t, err := pt.get()
	if err != nil {
		return err
	}
	defer pt.pool.Put(t)
	t.Funcs(requestFuncs(r, p))
	return t.ExecuteTemplate(w, entry, p)
}

// fill completes p from the request.
func fill(w http.ResponseWriter, r *http.Request, p *Page) {
	ctx := r.Context()
	p.Locale = i18n.FromContext(ctx)
	p.Tenant, _ = tenants.FromContext(ctx)
	p.Principal, _ = identity.PrincipalFrom(ctx)
	p.Base = Base(r)
	if p.Form == nil {
		p.Form = &Form{}
	}
	if p.Nav == "" {
		p.Nav = map[Area]string{AreaStorefront: "home", AreaMerchant: "merchant", AreaConsole: "console"}[p.Area]
	}
	if !ValidColor(p.ThemeColor) {
		p.ThemeColor = ""
	}
	if p.Flash == nil {
		p.Flash = takeFlash(w, r)
	}
}

// ValidColor reports whether c is a colour "#rrggbb" (lower or upper
// case hex), the only form allowed into a style attribute.
func ValidColor(c string) bool {
	if len(c) != 7 || c[0] != '#' {
		return false
	}
	for _, x := range c[1:] {
		if !('0' <= x && x <= '9' || 'a' <= x && x <= 'f' || 'A' <= x && x <= 'F') {
			return false
		}
	}
	return true
}

// pageHeaders are the headers of every HTML page: no caching (pages carry
// the browser's CSRF token and the caller's data), no framing, no
// sniffing, and scripts from this origin only.
func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	if h.Get("Content-Security-Policy") != "" {
		return // a stricter policy the handler set (a plugin's page)
	}
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "+
		"img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'")
}

// baseFuncs are the template functions. Those bound to a request (t,
// csrf, link, …) are placeholders here and rebound by requestFuncs.
func baseFuncs() template.FuncMap {
	m := requestFuncs(nil, &Page{Locale: i18n.Default})
	m["asset"] = Asset
	m["dict"] = dict
	m["lines"] = lines
	m["validColor"] = ValidColor
	m["list"] = func(xs ...string) []string { return xs }
	return m
}

// requestFuncs returns the functions bound to r (nil while parsing).
func requestFuncs(r *http.Request, p *Page) template.FuncMap {
	locale, base, token := p.Locale, p.Base, ""
	var loc *time.Location
	if r != nil {
		token = httpx.CSRFToken(r.Context())
	}
	if p.Tenant != nil {
		loc = p.Tenant.Location()
	}
	return template.FuncMap{
		// t translates an i18n key into the page's language.
		"t": func(key string, args ...any) string { return i18n.T(locale, key, args...) },
		// locale is the page's language ("zh-CN" or "en").
		"locale": func() string { return locale },
		// csrf is the hidden form field carrying the CSRF token.
		"csrf": func() template.HTML {
			return template.HTML(`<input type="hidden" name="csrf_token" value="` + template.HTMLEscapeString(token) + `">`)
		},
		// csrfHeaders is the hx-headers value sending the token with every
		// htmx request.
		"csrfHeaders": func() string {
			b, _ := json.Marshal(map[string]string{"X-CSRF-Token": token})
			return string(b)
		},
		// link joins parts into a path and prefixes the resolution base.
		"link": func(parts ...string) string { return base + strings.Join(parts, "") },
		// langURL is the current page in another language.
		"langURL": func(lang string) string {
			if r == nil {
				return ""
			}
			if p.langHome {
				return base + "/?lang=" + lang
			}
			return langURL(r, lang)
		},
		// date formats a time in the tenant's zone (Asia/Shanghai on the
		// platform).
		"date": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			l := loc
			if l == nil {
				l = (&tenants.Tenant{}).Location()
			}
			return t.In(l).Format("2006-01-02 15:04")
		},
	}
}

// langURL returns the URL of the request's page with ?lang=lang, on the
// host the browser used.
func langURL(r *http.Request, lang string) string {
	res := httpx.ResolutionFrom(r.Context())
	p := r.URL.Path
	switch {
	case res.ShopHost:
		p = strings.TrimPrefix(p, "/s/"+res.Shop)
		if p == "" {
			p = "/"
		}
	default:
		p = res.Base + p
	}
	q := r.URL.Query()
	q.Set("lang", lang)
	if r.Method != http.MethodGet {
		q = map[string][]string{"lang": {lang}}
	}
	return p + "?" + q.Encode()
}

// dict builds a map from key/value pairs, for passing several values to a
// partial: {{template "field" (dict "Form" .Form "Name" "slug")}}.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// lines splits text into its non-empty lines, so templates can render
// paragraphs without trusting the text as HTML.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
