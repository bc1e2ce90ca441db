package storefront_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/web/webtest"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// TestHome: the marketplace home shows its name, the flagship store and
// active shops, suspended shops marked 暂停营业, never pending or closed
// shops, the category tree in the page's language, and the
// customer-service centre.
func TestHome(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("网上供销社·长沙")
		admin := m.Account("admin", authz.TenantAdmin, authz.TenantDomain(m.Tenant.ID))
		veg := m.Shop(m.Account("王场长", "", ""), "yuelu-veg", "岳麓蔬菜基地", m.Yuelu)
		rice := m.Shop(m.Account("李经理", "", ""), "wangcheng-rice", "望城稻香米油", m.Furong)
		gone := m.Shop(m.Account("张老板", "", ""), "gone-fruit", "已关门果园", m.Furong)
		if _, err := e.App.Merchants.SetStatus(m.Ctx, admin.Principal, rice.ID, merchant.ShopSuspended, "整改"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.App.Merchants.SetStatus(m.Ctx, admin.Principal, gone.ID, merchant.ShopClosed, ""); err != nil {
			t.Fatal(err)
		}
		// Provisioning gave the marketplace the default category tree.
		settings := m.Tenant.Settings
		settings.Announcement = "<b>草莓季</b>：14:00 前下单当天送达"
		if err := e.App.DB.RunInTx(m.Ctx, func(ctx context.Context, tx bun.IDB) error {
			return tenants.UpdateSettings(ctx, tx, settings)
		}); err != nil {
			t.Fatal(err)
		}
		e.App.Resolver.Invalidate()
		b := m.Anonymous()
		r := webtest.Want(t, b.Get("/"), 200, "home")
		webtest.Contains(t, r, "home", "&lt;b&gt;草莓季&lt;/b&gt;：14:00 前下单当天送达")
		webtest.Contains(t, r, "home", "网上供销社·长沙", "官方旗舰店", veg.Name, rice.Name, "暂停营业",
			`href="/t/`+m.Tenant.Slug+`/s/yuelu-veg/"`, "生鲜食材", "菌菇", "新鲜水果", "客服中心", "服务时间", "id=\"service\"")
		webtest.Lacks(t, r, "home", gone.Name)
		r = webtest.Want(t, b.Get("/?lang=en"), 200, "home en")
		webtest.Contains(t, r, "home en", "Fresh food", "Mushrooms", "Customer service", "Closed for now")
		// On the tenant's own host links have no /t/ prefix.
		host := e.Browser(m.Tenant.Slug+".localhost", "")
		r = webtest.Want(t, host.Get("/"), 200, "tenant host")
		webtest.Contains(t, r, "tenant host", `href="/s/yuelu-veg/"`, `href="/login"`)
		// The home is served from memory for a few seconds, but a change
		// made through this server shows on the next request.
		if _, err := e.App.Merchants.SetStatus(m.Ctx, admin.Principal, veg.ID, merchant.ShopClosed, ""); err != nil {
			t.Fatal(err)
		}
		r = webtest.Want(t, b.Get("/"), 200, "home after closing a shop")
		webtest.Lacks(t, r, "home after closing a shop", veg.Name)
		webtest.Contains(t, r, "home after closing a shop", rice.Name)
	})
}

// TestShopPage: an active shop's page shows its profile in its theme
// colour with buy buttons; a suspended one says 本店暂停营业 and has no buy
// button; pending, closed and unknown shops are 404 pages; a shop's
// subdomain serves the same page.
func TestShopPage(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("网上供销社")
		admin := m.Account("admin", authz.TenantAdmin, authz.TenantDomain(m.Tenant.ID))
		owner := m.Account("王场长", "", "")
		sh := m.Shop(owner, "yuelu-veg", "岳麓蔬菜基地", m.Yuelu)
		_, err := e.App.Merchants.UpdateProfile(m.Ctx, owner.Principal, sh.ID, merchant.ProfileInput{
			Name: "岳麓蔬菜基地", Description: "岳麓山下的绿色蔬菜基地\n每天清晨采摘", ServicePromises: "当日采摘 · 残农检测",
			ReturnsPolicy: "签收后24小时内可退", ContactPhone: "13800000003", ContactEmail: "veg@example.com",
			ThemeColor: "#2e7d32", Announcement: "每日14:00截单",
		})
		if err != nil {
			t.Fatal(err)
		}
		b := m.Anonymous()
		r := webtest.Want(t, b.Get("/s/yuelu-veg/"), 200, "active shop")
		webtest.Contains(t, r, "active shop", "<title>岳麓蔬菜基地 · 网上供销社</title>", "<p>岳麓山下的绿色蔬菜基地</p>",
			"<p>每天清晨采摘</p>", "当日采摘 · 残农检测", "签收后24小时内可退", "每日14:00截单", "tel:13800000003",
			"veg@example.com", `style="--theme: #2e7d32"`, `class="btn btn-primary buy"`)
		webtest.Lacks(t, r, "active shop", "本店暂停营业")
		r = webtest.Want(t, m.Anonymous().Get("/s/yuelu-veg/?lang=en"), 200, "active shop en")
		webtest.Contains(t, r, "active shop en", "Service promises", "Returns policy", "Shop now")

		// Without the trailing slash: redirected with the prefix kept.
		r = webtest.Want(t, b.Get("/s/yuelu-veg"), http.StatusSeeOther, "no slash")
		if r.Location() != "/t/"+m.Tenant.Slug+"/s/yuelu-veg/" {
			t.Errorf("no slash: Location %q", r.Location())
		}
		// The shop's subdomain.
		sub := e.Browser("yuelu-veg."+m.Tenant.Slug+".localhost", "")
		r = webtest.Want(t, sub.Get("/"), 200, "shop host")
		webtest.Contains(t, r, "shop host", "岳麓蔬菜基地", "每日14:00截单")

		if _, err := e.App.Merchants.SetStatus(m.Ctx, admin.Principal, sh.ID, merchant.ShopSuspended, "食品安全整改"); err != nil {
			t.Fatal(err)
		}
		r = webtest.Want(t, b.Get("/s/yuelu-veg/"), 200, "suspended shop")
		webtest.Contains(t, r, "suspended shop", "本店暂停营业", "食品安全整改", "岳麓蔬菜基地")
		webtest.Lacks(t, r, "suspended shop", `buy"`, "立即选购", `id="products"`)
		r = webtest.Want(t, m.Anonymous().Get("/s/yuelu-veg/?lang=en"), 200, "suspended shop en")
		webtest.Contains(t, r, "suspended shop en", "temporarily closed")

		if _, err := e.App.Merchants.SetStatus(m.Ctx, admin.Principal, sh.ID, merchant.ShopClosed, ""); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/s/yuelu-veg/", "/s/no-such-shop/", "/s/flagship/nothing"} {
			r = webtest.Want(t, b.Get(path), 404, path)
			webtest.Contains(t, r, path, "页面不存在")
			webtest.Lacks(t, r, path, "每日14:00截单")
		}
		// A pending shop (planted: approval opens shops active) is 404 too.
		other := m.Shop(m.Account("赵社长", "", ""), "pending-shop", "待开业菌菇", m.Furong)
		m.Exec("UPDATE shops SET status = 'pending' WHERE tenant_id = ? AND id = ?", m.Tenant.ID, other.ID)
		webtest.Want(t, b.Get("/s/pending-shop/"), 404, "pending shop")
	})
}

// TestThemeColourIsValidated: a colour that is not #rrggbb never reaches a
// style attribute, even when the database holds one (SQLite has no check
// constraint).
func TestThemeColourIsValidated(t *testing.T) {
	e := webtest.New(t, dbtest.SQLite(t))
	m := e.NewMarket("网上供销社")
	sh := m.Shop(m.Account("王场长", "", ""), "yuelu-veg", "岳麓蔬菜基地", m.Yuelu)
	m.Exec("UPDATE shops SET theme_color = ? WHERE tenant_id = ? AND id = ?", "red;background:url(//evil.example/x)", m.Tenant.ID, sh.ID)
	for _, path := range []string{"/s/yuelu-veg/", "/"} {
		r := webtest.Want(t, m.Anonymous().Get(path), 200, path)
		webtest.Lacks(t, r, path, "evil.example", "--theme: red", "--shop: red")
	}
}

// TestSignInRegisterSignOut: registration with field errors keeps the
// values (never the password) and shows each error next to its field;
// success signs in; bad credentials show the form again (401); sign-in
// follows next; sign-out ends the session.
func TestSignInRegisterSignOut(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("网上供销社")
		b := m.Anonymous()

		r := webtest.Want(t, b.Post("/register", url.Values{"name": {"周女士"}, "phone": {"12345"}, "password": {"short"}}), 400, "bad registration")
		webtest.Contains(t, r, "bad registration", `value="周女士"`, `value="12345"`, "请输入有效的中国大陆手机号", "密码至少需要 8 个字符",
			`id="e-phone"`, `aria-invalid="true"`)
		webtest.Lacks(t, r, "bad registration", `value="short"`)

		r = webtest.Want(t, b.Post("/register", url.Values{"name": {"周女士"}, "phone": {"13800000009"}, "password": {"jishi-demo-2026"}}), http.StatusSeeOther, "registration")
		if r.Location() != "/t/"+m.Tenant.Slug+"/" {
			t.Errorf("registration: Location %q", r.Location())
		}
		if b.Cookies[identity.SessionCookie] == "" {
			t.Fatal("registration did not sign in")
		}
		r = webtest.Want(t, b.Get("/account"), 200, "account")
		webtest.Contains(t, r, "account", "我的账户", "周女士", "13800000009", "注册成功，欢迎加入")
		webtest.Want(t, b.Post("/logout", nil), http.StatusSeeOther, "logout")
		webtest.Want(t, b.Get("/account"), http.StatusSeeOther, "account after logout")

		r = webtest.Want(t, b.Post("/login", url.Values{"login": {"13800000009"}, "password": {"wrong-password"}}), http.StatusUnauthorized, "bad login")
		webtest.Contains(t, r, "bad login", "账号或密码错误", `value="13800000009"`)
		webtest.Lacks(t, r, "bad login", "wrong-password")

		r = webtest.Want(t, b.Post("/login", url.Values{"login": {"13800000009"}, "password": {"jishi-demo-2026"}, "next": {"/merchant"}}), http.StatusSeeOther, "login")
		if r.Location() != "/t/"+m.Tenant.Slug+"/merchant" {
			t.Errorf("login: Location %q", r.Location())
		}
		// next never leaves the site.
		for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example"} {
			r = webtest.Want(t, b.Post("/login", url.Values{"login": {"13800000009"}, "password": {"jishi-demo-2026"}, "next": {next}}), http.StatusSeeOther, next)
			if strings.Contains(r.Location(), "evil") {
				t.Errorf("next %q: Location %q", next, r.Location())
			}
		}
		// An account of another tenant does not sign in here.
		other := e.NewMarket("株洲供销社")
		acc := other.Account("吴先生", "", "")
		webtest.Want(t, b.Post("/login", url.Values{"login": {acc.Email}, "password": {webtest.Password}}), http.StatusUnauthorized, "other tenant's account")

		// Too many failures lock the account: the form says so with 429 and
		// tells the browser when to try again.
		for i := 0; i < identity.MaxFailedLogins; i++ {
			b.Post("/login", url.Values{"login": {"13800000009"}, "password": {"wrong-password"}})
		}
		r = webtest.Want(t, b.Post("/login", url.Values{"login": {"13800000009"}, "password": {"jishi-demo-2026"}}), http.StatusTooManyRequests, "locked")
		if r.Header.Get("Retry-After") == "" {
			t.Error("429 sign-in page without Retry-After")
		}
	})
}

// TestPasswordResetPages: asking for a reset answers the same for any
// login; the confirmation page refuses an unknown token with its message.
func TestPasswordResetPages(t *testing.T) {
	e := webtest.New(t, dbtest.SQLite(t))
	m := e.NewMarket("网上供销社")
	acc := m.Account("周女士", "", "")
	b := m.Anonymous()
	webtest.Want(t, b.Get("/password-reset"), 200, "form")
	for _, login := range []string{acc.Email, "nobody@example.com"} {
		r := webtest.Want(t, b.Post("/password-reset", url.Values{"login": {login}}), http.StatusSeeOther, login)
		if r.Location() != "/t/"+m.Tenant.Slug+"/login" {
			t.Errorf("%s: Location %q", login, r.Location())
		}
		webtest.Contains(t, b.Get("/login"), "flash", "我们已发送重置密码的链接")
	}
	webtest.Want(t, b.Post("/password-reset", url.Values{"login": {""}}), 400, "empty login")
	r := webtest.Want(t, b.Get("/password-reset/confirm?token=abc"), 200, "confirm form")
	webtest.Contains(t, r, "confirm form", `name="token" value="abc"`)
	r = webtest.Want(t, b.Post("/password-reset/confirm", url.Values{"token": {"abc"}, "password": {"new-password-1"}}), 400, "bad token")
	webtest.Contains(t, r, "bad token", "链接无效或已过期")
}
