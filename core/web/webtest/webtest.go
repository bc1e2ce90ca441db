// Package webtest drives the server-rendered pages in tests: a server
// built on a test database, a marketplace with regions, accounts with
// roles, and a browser-like client that keeps cookies and sends the CSRF
// token back the way a form does.
package webtest

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/server"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Password is the password of every account webtest creates.
const Password = "correct horse battery"

// Env is a server on a test database.
type Env struct {
	T       testing.TB
	App     *app.App
	Handler http.Handler
}

// New builds the app and the server on d, with uploads in a temporary
// directory and the flagship store provisioned for new tenants.
func New(t testing.TB, d *db.DB) *Env {
	t.Helper()
	return NewWith(t, d, app.Config{})
}

// NewWith is New with cfg (FastHashing and DataDir are set). When
// cfg.PluginDir is set, the plugins are started and stopped with the test.
func NewWith(t testing.TB, d *db.DB, cfg app.Config) *Env {
	t.Helper()
	cfg.FastHashing = true
	cfg.DataDir = t.TempDir()
	a, err := app.NewWithDB(context.Background(), cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PluginDir != "" {
		ctx, cancel := context.WithCancel(context.Background())
		a.StartPlugins(ctx)
		t.Cleanup(func() { cancel(); a.StopPlugins() })
	}
	return &Env{T: t, App: a, Handler: server.New(a)}
}

// Market is one tenant with a city and two districts.
type Market struct {
	*Env
	Tenant        *tenants.Tenant
	Ctx           context.Context
	City          *tenants.Region
	Yuelu, Furong *tenants.Region
}

// NewMarket creates a tenant named name with a random slug, the city
// 长沙市 and its districts 岳麓区 and 芙蓉区.
func (e *Env) NewMarket(name string) *Market {
	e.T.Helper()
	ctx := context.Background()
	slug := "wt-" + strings.ReplaceAll(tenants.NewID()[24:], "-", "")
	tn, err := e.App.Provisioner.Create(ctx, e.App.DB, tenants.CreateInput{Slug: slug, Name: name})
	if err != nil {
		e.T.Fatal(err)
	}
	e.App.Resolver.Invalidate()
	m := &Market{Env: e, Tenant: tn, Ctx: tenants.WithTenant(ctx, tn)}
	err = e.App.DB.RunInTx(m.Ctx, func(ctx context.Context, tx bun.IDB) error {
		var err error
		if m.City, err = tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "changsha", Name: "长沙市"}); err != nil {
			return err
		}
		if m.Yuelu, err = tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "yuelu", Name: "岳麓区", ParentID: m.City.ID}); err != nil {
			return err
		}
		m.Furong, err = tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "furong", Name: "芙蓉区", ParentID: m.City.ID})
		return err
	})
	if err != nil {
		e.T.Fatal(err)
	}
	return m
}

// Account is a tenant account created by webtest.
type Account struct {
	ID, Email string
	Principal *identity.Principal
}

// Account creates an account holding role in domain (none when role is
// "").
func (m *Market) Account(name, role, domain string) *Account {
	m.T.Helper()
	email := strings.ToLower(strings.ReplaceAll(name, " ", "")) + "-" + tenants.NewID()[24:] + "@example.com"
	var u *identity.User
	err := m.App.DB.RunInTx(m.Ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		u, err = m.App.Identity.CreateUser(ctx, tx, identity.UserInput{Email: email, Name: name, Password: Password})
		if err != nil || role == "" {
			return err
		}
		return m.App.Authz.Assign(ctx, tx, u.ID, role, domain)
	})
	if err != nil {
		m.T.Fatal(err)
	}
	return &Account{ID: u.ID, Email: email, Principal: &identity.Principal{
		Kind: identity.KindTenant, UserID: u.ID, TenantID: m.Tenant.ID, Name: name, Email: email,
	}}
}

// User creates an account (see Account) and returns a browser signed in
// as it.
func (m *Market) User(name, role, domain string) (*Browser, *Account) {
	m.T.Helper()
	acc := m.Account(name, role, domain)
	return m.SignedIn(acc), acc
}

// SignedIn returns a browser with a session of acc.
func (m *Market) SignedIn(acc *Account) *Browser {
	m.T.Helper()
	token, _, err := m.App.Identity.Login(m.Ctx, acc.Email, Password)
	if err != nil {
		m.T.Fatal(err)
	}
	b := m.Anonymous()
	b.Cookies[identity.SessionCookie] = token
	return b
}

// Anonymous returns a browser on the market's development path
// (/t/{slug}) that has loaded the home page (and so holds its CSRF
// cookie).
func (m *Market) Anonymous() *Browser {
	m.T.Helper()
	b := m.Env.Browser("localhost", "/t/"+m.Tenant.Slug)
	b.Get("/")
	return b
}

// Shop opens an active shop owned by owner through an application
// approved by a new tenant admin, and returns it.
func (m *Market) Shop(owner *Account, slug, name string, region *tenants.Region) *merchant.Shop {
	m.T.Helper()
	admin := m.Account("shop-approver", "tenant_admin", "t/"+m.Tenant.ID)
	app, err := m.App.Merchants.Apply(m.Ctx, owner.Principal, merchant.ApplicationInput{
		ShopName: name, Slug: slug, ContactName: "王场长", ContactPhone: "13800000003", LicenceNo: "91430104MA4L0XYN1K",
		MainCategories: []string{"fresh"}, RegionID: region.ID, ExpectedProducts: 60,
	})
	if err != nil {
		m.T.Fatal(err)
	}
	app, err = m.App.Merchants.Approve(m.Ctx, admin.Principal, app.ID)
	if err != nil {
		m.T.Fatal(err)
	}
	sh, err := m.App.Merchants.ShopByID(m.Ctx, *app.ShopID)
	if err != nil {
		m.T.Fatal(err)
	}
	return sh
}

// Exec runs a statement in a transaction of the market's tenant, for
// tests that plant data the validators would refuse (HTML in names).
func (m *Market) Exec(query string, args ...any) {
	m.T.Helper()
	if err := m.TryExec(query, args...); err != nil {
		m.T.Fatal(err)
	}
}

// TryExec is Exec returning the error (a constraint of one dialect may
// refuse what the other stores).
func (m *Market) TryExec(query string, args ...any) error {
	err := m.App.DB.RunInTx(m.Ctx, func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	})
	m.App.Resolver.Invalidate()
	return err
}

// Browser is a client of the server: it keeps cookies, and sends the
// CSRF cookie's value back as the form field csrf_token.
type Browser struct {
	t       testing.TB
	h       http.Handler
	Host    string
	Base    string
	Cookies map[string]string
	// Header is added to every request.
	Header http.Header
}

// Browser returns a client for host whose paths are prefixed with base.
func (e *Env) Browser(host, base string) *Browser {
	return &Browser{t: e.T, h: e.Handler, Host: host, Base: base, Cookies: map[string]string{}, Header: http.Header{}}
}

// Response is a recorded answer.
type Response struct {
	Code   int
	Body   string
	Header http.Header
}

// Location is the redirect target.
func (r *Response) Location() string { return r.Header.Get("Location") }

// Do sends a request with body of content type ctype.
func (b *Browser) Do(method, path string, body []byte, ctype string, header http.Header) *Response {
	b.t.Helper()
	r := httptest.NewRequest(method, b.Base+path, bytes.NewReader(body))
	r.Host = b.Host
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	for k, vs := range b.Header {
		r.Header[k] = vs
	}
	for k, vs := range header {
		r.Header[k] = vs
	}
	for k, v := range b.Cookies {
		r.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.Cookies, c.Name)
		} else {
			b.Cookies[c.Name] = c.Value
		}
	}
	return &Response{Code: w.Code, Body: w.Body.String(), Header: w.Header()}
}

// Get fetches path.
func (b *Browser) Get(path string) *Response {
	b.t.Helper()
	return b.Do("GET", path, nil, "", nil)
}

// Post submits form to path like a browser form, with the CSRF token.
func (b *Browser) Post(path string, form url.Values) *Response {
	b.t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("csrf_token", b.Cookies[httpx.CSRFCookie])
	return b.Do("POST", path, []byte(f.Encode()), "application/x-www-form-urlencoded", nil)
}

// PostNoCSRF submits form without the CSRF token.
func (b *Browser) PostNoCSRF(path string, form url.Values) *Response {
	b.t.Helper()
	return b.Do("POST", path, []byte(form.Encode()), "application/x-www-form-urlencoded", nil)
}

// HTMX submits form as htmx does: the token in X-CSRF-Token and
// HX-Request set.
func (b *Browser) HTMX(path string, form url.Values) *Response {
	b.t.Helper()
	h := http.Header{}
	h.Set("HX-Request", "true")
	h.Set("X-CSRF-Token", b.Cookies[httpx.CSRFCookie])
	return b.Do("POST", path, []byte(form.Encode()), "application/x-www-form-urlencoded", h)
}

// Upload posts a multipart form with data as the part "file" and the CSRF
// token as a field.
func (b *Browser) Upload(path, filename, ctype string, data []byte) *Response {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf_token", b.Cookies[httpx.CSRFCookie])
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+filename+`"`)
	h.Set("Content-Type", ctype)
	pw, _ := mw.CreatePart(h)
	_, _ = pw.Write(data)
	_ = mw.Close()
	return b.Do("POST", path, buf.Bytes(), mw.FormDataContentType(), nil)
}

// Want checks the status of r and returns it.
func Want(t testing.TB, r *Response, code int, what string) *Response {
	t.Helper()
	if r.Code != code {
		body := r.Body
		if len(body) > 3000 {
			body = body[:3000] + "…"
		}
		t.Fatalf("%s: want %d, got %d (Location %q)\n%s", what, code, r.Code, r.Location(), body)
	}
	return r
}

// Contains fails t unless r's body contains every s.
func Contains(t testing.TB, r *Response, what string, ss ...string) {
	t.Helper()
	for _, s := range ss {
		if !strings.Contains(r.Body, s) {
			body := r.Body
			if len(body) > 4000 {
				body = body[:4000] + "…"
			}
			t.Fatalf("%s: body lacks %q\n%s", what, s, body)
		}
	}
}

// Lacks fails t if r's body contains any s.
func Lacks(t testing.TB, r *Response, what string, ss ...string) {
	t.Helper()
	for _, s := range ss {
		if i := strings.Index(r.Body, s); i >= 0 {
			lo, hi := max(0, i-200), min(len(r.Body), i+200)
			t.Fatalf("%s: body contains %q: …%s…", what, s, r.Body[lo:hi])
		}
	}
}
