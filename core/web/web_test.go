package web_test

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/web"
	"github.com/jishi-dev/jishi/core/web/webtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// TestStaticAssets: the style sheet, htmx and the script are served on
// every host (platform, tenant, unknown) with their types, and a versioned
// link is cached for a year.
func TestStaticAssets(t *testing.T) {
	e := webtest.New(t, dbtest.SQLite(t))
	m := e.NewMarket("网上供销社")
	for _, host := range []string{"localhost", m.Tenant.Slug + ".localhost", "nobody.example.com"} {
		b := e.Browser(host, "")
		for name, ctype := range map[string]string{"app.css": "text/css", "htmx.min.js": "javascript", "app.js": "javascript", "logo.svg": "image/svg+xml"} {
			r := webtest.Want(t, b.Get(web.Asset(name)), 200, host+" "+name)
			if !strings.Contains(r.Header.Get("Content-Type"), ctype) {
				t.Errorf("%s %s: Content-Type %q", host, name, r.Header.Get("Content-Type"))
			}
			if !strings.Contains(r.Header.Get("Cache-Control"), "immutable") {
				t.Errorf("%s %s: versioned asset not cached: %q", host, name, r.Header.Get("Cache-Control"))
			}
		}
	}
	b := e.Browser("localhost", "")
	if r := b.Get("/static/htmx.min.js"); !strings.Contains(r.Body, "htmx") {
		t.Error("htmx.min.js is not htmx")
	}
	webtest.Want(t, b.Get("/static/README.md"), 404, "README is not served")
	if r := b.Get("/static/../static.go"); r.Code == 200 || strings.Contains(r.Body, "package web") {
		t.Errorf("/static/../static.go: %d", r.Code)
	}
	if !strings.Contains(web.Asset("app.css"), "?v=") {
		t.Errorf("Asset carries no version: %s", web.Asset("app.css"))
	}
}

// TestUnknownHostIsFriendly404: a host (or /t/ slug) that belongs to no
// tenant gets the 404 page in the caller's language, and the page shows
// nothing of any tenant — not the name, slug or navigation of the only
// tenant there is.
func TestUnknownHostIsFriendly404(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("独一无二的供销社")
		for _, c := range []struct{ host, path, lang, want string }{
			{"nobody.example.com", "/", "", "页面不存在"},
			{"nobody.example.com", "/s/flagship/", "", "页面不存在"},
			{"nobody.example.com", "/admin", "en", "Page not found"},
			{"localhost", "/t/no-such-market/", "", "页面不存在"},
			{"nope." + m.Tenant.Slug + "x.localhost", "/", "", "页面不存在"},
		} {
			b := e.Browser(c.host, "")
			if c.lang != "" {
				b.Header.Set("Accept-Language", c.lang)
			}
			r := webtest.Want(t, b.Get(c.path), 404, c.host+c.path)
			webtest.Contains(t, r, c.host+c.path, "<!doctype html>", c.want, "404")
			webtest.Lacks(t, r, c.host+c.path, "独一无二", m.Tenant.Slug, "/login", "/merchant", "/admin\"")
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("%s: Content-Type %q", c.host, ct)
			}
		}
		// An unknown page of a known tenant is a 404 page of that tenant.
		r := webtest.Want(t, m.Anonymous().Get("/no/such/page"), 404, "unknown tenant page")
		webtest.Contains(t, r, "unknown tenant page", "页面不存在", "独一无二的供销社")
		// The JSON API keeps its JSON errors.
		r = webtest.Want(t, m.Anonymous().Get("/api/v1/nothing-here"), 404, "unknown API path")
		webtest.Contains(t, r, "unknown API path", `"code":"not_found"`)
	})
}

// TestUnauthenticatedPagesRedirectToSignIn: a page that needs an account
// sends an anonymous browser to the sign-in page of its tenant (or of the
// platform) with 303 and the way back in next; htmx gets HX-Redirect; the
// JSON API still answers 401.
func TestUnauthenticatedPagesRedirectToSignIn(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("网上供销社")
		base := "/t/" + m.Tenant.Slug
		b := m.Anonymous()
		for path, want := range map[string]string{
			"/admin":                         base + "/login?next=%2Fadmin",
			"/admin/applications?status=all": base + "/login?next=%2Fadmin%2Fapplications%3Fstatus%3Dall",
			"/merchant":                      base + "/login?next=%2Fmerchant",
			"/account":                       base + "/login?next=%2Faccount",
		} {
			r := webtest.Want(t, b.Get(path), http.StatusSeeOther, path)
			if r.Location() != want {
				t.Errorf("%s: Location %q, want %q", path, r.Location(), want)
			}
		}
		// A form posted without a session (expired) goes to sign-in too.
		r := webtest.Want(t, b.Post("/merchant/applications", url.Values{"shop_name": {"x"}}), http.StatusSeeOther, "post")
		if r.Location() != base+"/login" {
			t.Errorf("post: Location %q", r.Location())
		}
		// htmx is told where to go.
		r = webtest.Want(t, b.HTMX("/admin/shops/x/suspend", url.Values{}), http.StatusUnauthorized, "htmx")
		if r.Header.Get("HX-Redirect") != base+"/login" {
			t.Errorf("htmx: HX-Redirect %q", r.Header.Get("HX-Redirect"))
		}
		// Following the redirect shows the sign-in form with next kept.
		r = webtest.Want(t, b.Get("/login?next=%2Fmerchant"), 200, "sign-in page")
		webtest.Contains(t, r, "sign-in page", `name="next" value="/merchant"`, `name="csrf_token"`)
		// On a tenant's own host the links have no /t/ prefix.
		host := e.Browser(m.Tenant.Slug+".localhost", "")
		r = webtest.Want(t, host.Get("/merchant"), http.StatusSeeOther, "tenant host")
		if r.Location() != "/login?next=%2Fmerchant" {
			t.Errorf("tenant host: Location %q", r.Location())
		}
		// The platform console goes to the platform sign-in.
		p := e.Browser("localhost", "")
		r = webtest.Want(t, p.Get("/admin"), http.StatusSeeOther, "platform")
		if r.Location() != "/admin/login?next=%2Fadmin" {
			t.Errorf("platform: Location %q", r.Location())
		}
		// The API is not redirected.
		r = webtest.Want(t, b.Get("/api/v1/me"), http.StatusUnauthorized, "api")
		webtest.Contains(t, r, "api", `"code":"unauthenticated"`)
	})
}

// TestFormsWithoutCSRFAreRefused: every kind of form post — sign-in,
// registration, the merchant and tenant consoles, the platform console —
// is refused with a 403 page without the token, or with another
// browser's; nothing is written.
func TestFormsWithoutCSRFAreRefused(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("网上供销社")
		admin, _ := m.User("admin", authz.TenantAdmin, authz.TenantDomain(m.Tenant.ID))
		shopper, _ := m.User("shopper", "", "")
		anon := m.Anonymous()
		other := m.Anonymous()
		cases := []struct {
			b    *webtest.Browser
			path string
		}{
			{anon, "/login"}, {anon, "/register"}, {anon, "/password-reset"},
			{shopper, "/logout"}, {shopper, "/merchant/applications"},
			{admin, "/admin/regions"}, {admin, "/admin/shops/" + m.Tenant.ID + "/suspend"},
		}
		for _, c := range cases {
			r := webtest.Want(t, c.b.PostNoCSRF(c.path, url.Values{"name": {"城南区"}, "code": {"chengnan"}, "login": {"a@b.cn"}}), 403, c.path)
			webtest.Contains(t, r, c.path, "页面已过期", "<!doctype html>")
			// Another browser's token does not count either.
			f := url.Values{"csrf_token": {other.Cookies["jishi_csrf"]}, "name": {"城南区"}, "code": {"chengnan"}}
			webtest.Want(t, c.b.PostNoCSRF(c.path, f), 403, c.path+" with a foreign token")
		}
		// The region was not created.
		r := webtest.Want(t, admin.Get("/admin/regions"), 200, "regions")
		webtest.Lacks(t, r, "regions", "城南区")
		// The platform console's forms too.
		p := e.Browser("localhost", "")
		p.Get("/admin/login")
		webtest.Want(t, p.PostNoCSRF("/admin/login", url.Values{"email": {"x@y.cn"}, "password": {"12345678"}}), 403, "platform login")
		webtest.Want(t, p.PostNoCSRF("/admin/tenants", url.Values{"slug": {"evil"}}), 403, "platform create")
		// htmx requests carry the token in X-CSRF-Token: accepted.
		webtest.Want(t, admin.HTMX("/admin/shops/"+m.Tenant.ID+"/resume", url.Values{}), 404, "htmx with token reaches the handler")
	})
}

// TestLanguage: pages are zh-CN by default (and for a Chinese browser),
// English for an English browser; ?lang=en switches and remembers it in a
// cookie; the switch link keeps the page.
func TestLanguage(t *testing.T) {
	e := webtest.New(t, dbtest.SQLite(t))
	m := e.NewMarket("网上供销社")
	b := m.Anonymous()
	r := webtest.Want(t, b.Get("/login"), 200, "default")
	webtest.Contains(t, r, "default", `<html lang="zh-CN">`, "手机号或邮箱", `href="/t/`+m.Tenant.Slug+`/login?lang=en"`)
	r = webtest.Want(t, b.Get("/login?lang=en"), 200, "switch")
	webtest.Contains(t, r, "switch", `<html lang="en">`, "Mobile number or e-mail", "中文")
	if b.Cookies["lang"] != "en" {
		t.Fatalf("lang cookie %q", b.Cookies["lang"])
	}
	r = webtest.Want(t, b.Get("/register"), 200, "remembered")
	webtest.Contains(t, r, "remembered", `<html lang="en">`, "Sign up")
	r = webtest.Want(t, b.Get("/register?lang=zh-CN"), 200, "back")
	webtest.Contains(t, r, "back", `<html lang="zh-CN">`, "注册会员")

	en := m.Anonymous()
	en.Header.Set("Accept-Language", "en-US,en;q=0.9")
	r = webtest.Want(t, en.Get("/"), 200, "English browser")
	webtest.Contains(t, r, "English browser", `<html lang="en">`, "Customer service")
	zh := m.Anonymous()
	zh.Header.Set("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8")
	webtest.Contains(t, zh.Get("/"), "Chinese browser", "客服中心")
}

// TestNamesAreEscapedEverywhere plants HTML in a tenant's and a shop's
// name (bypassing the validators, which refuse it) and in shop texts, and
// checks every page that shows them prints them as text.
func TestNamesAreEscapedEverywhere(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("网上供销社")
		owner := m.Account("店主", "", "")
		sh := m.Shop(owner, "evil-shop", "正常店名", m.Yuelu)
		const evil = `<script>alert("x")</script><img src=x onerror=alert(1)>`
		m.Exec("UPDATE tenants SET name = ? WHERE id = ?", "供销社"+evil, m.Tenant.ID)
		m.Exec("UPDATE shops SET name = ?, description = ?, announcement = ?, service_promises = ?, returns_policy = ? WHERE tenant_id = ? AND id = ?",
			"店"+evil, "简介"+evil, "公告"+evil, "承诺"+evil, "退货"+evil, m.Tenant.ID, sh.ID)
		// PostgreSQL's check constraint refuses a bad colour; SQLite
		// stores it, and the pages must still not use it.
		_ = m.TryExec("UPDATE shops SET theme_color = ? WHERE tenant_id = ? AND id = ?", `#fff"><script>alert(2)</script>`, m.Tenant.ID, sh.ID)
		m.Exec("UPDATE users SET name = ? WHERE tenant_id = ? AND id = ?", "王"+evil, m.Tenant.ID, owner.ID)
		app := m.Account("申请人", "", "")
		if _, err := e.App.Merchants.Apply(m.Ctx, app.Principal, applicationInput(m)); err != nil {
			t.Fatal(err)
		}
		m.Exec("UPDATE merchant_applications SET shop_name = ? WHERE tenant_id = ? AND applicant_id = ?", "申请"+evil, m.Tenant.ID, app.ID)

		admin, _ := m.User("admin", authz.TenantAdmin, authz.TenantDomain(m.Tenant.ID))
		ownerB := m.SignedIn(owner)
		appID := firstApplication(t, m)
		pages := []struct {
			b    *webtest.Browser
			path string
		}{
			{m.Anonymous(), "/"}, {m.Anonymous(), "/s/evil-shop/"}, {m.Anonymous(), "/login"}, {m.Anonymous(), "/no-such-page"},
			{ownerB, "/account"}, {ownerB, "/merchant"}, {ownerB, "/merchant/shops/" + sh.ID},
			{admin, "/admin"}, {admin, "/admin/shops"}, {admin, "/admin/applications"}, {admin, "/admin/applications/" + appID},
			{e.Browser("localhost", ""), "/"},
		}
		for _, p := range pages {
			r := p.b.Get(p.path)
			if r.Code != 200 && r.Code != 404 {
				t.Fatalf("%s: %d", p.path, r.Code)
			}
			webtest.Lacks(t, r, p.path, "<script>alert", "<img src=x", `#fff">`)
			if !strings.Contains(r.Body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
				t.Errorf("%s: the planted name is not shown escaped", p.path)
			}
		}
	})
}

func applicationInput(m *webtest.Market) merchant.ApplicationInput {
	return merchant.ApplicationInput{
		ShopName: "天心农家菌菇", Slug: "tianxin-mushroom", ContactName: "赵社长", ContactPhone: "13800000010",
		LicenceNo: "93430103MA4Q4JKL5M", MainCategories: []string{"fresh"}, RegionID: m.Furong.ID, ExpectedProducts: 20,
	}
}

// firstApplication returns the id of the newest application of m.
func firstApplication(t *testing.T, m *webtest.Market) string {
	t.Helper()
	reviewer := m.Account("reviewer", authz.TenantAdmin, authz.TenantDomain(m.Tenant.ID))
	as, err := m.App.Merchants.Applications(m.Ctx, reviewer.Principal, merchant.ApplicationFilter{})
	if err != nil || len(as) == 0 {
		t.Fatalf("applications: %v %d", err, len(as))
	}
	return as[0].ID
}

// TestMessagesInBothLanguages: every message of the web shell, the
// storefront and the consoles exists in zh-CN and in en.
func TestMessagesInBothLanguages(t *testing.T) {
	for _, pair := range [][2]string{{i18n.ZH, i18n.EN}, {i18n.EN, i18n.ZH}} {
		for _, k := range i18n.Keys(pair[0]) {
			if !strings.HasPrefix(k, "web.") && !strings.HasPrefix(k, "sf.") && !strings.HasPrefix(k, "ui.") {
				continue
			}
			if !i18n.Has(pair[1], k) {
				t.Errorf("%s has %q, %s does not", pair[0], k, pair[1])
			}
		}
	}
	if !i18n.Has(i18n.EN, "ui.apps.title") || !i18n.Has(i18n.ZH, "sf.shop.suspended") {
		t.Fatal("the consoles' and storefront's messages are not registered")
	}
}
