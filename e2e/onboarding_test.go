package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/server"
	"github.com/jishi-dev/jishi/seeds"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

const chromiumPath = "/usr/bin/chromium"

// market is the tenant the journey runs in, with a tenant admin's
// credentials and a district to apply in.
type market struct {
	tenant        *tenants.Tenant
	adminLogin    string
	adminPassword string
	districtID    string
}

// TestMerchantOnboardingInBrowser: a merchant signs in, fills in and
// submits the application form; the tenant admin signs in, opens the
// review queue and approves with the htmx button; the new shop's page
// /t/{tenant}/s/{slug}/ is live with its name. Every step leaves a full
// page screenshot.
func TestMerchantOnboardingInBrowser(t *testing.T) {
	needChromium(t)
	artifacts := artifactsDir(t)
	ctx := context.Background()

	// The real server, in-process, on a fresh SQLite file.
	dir := t.TempDir()
	a, err := app.New(ctx, app.Config{DatabaseURL: "sqlite:" + filepath.Join(dir, "jishi.db"), DataDir: dir, FastHashing: true, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	a.Merchants.Storage = merchant.NewLocalStorage(filepath.Join(dir, "uploads"))
	mk := demoMarket(t, a)
	ts := httptest.NewServer(server.New(a))
	t.Cleanup(ts.Close)
	base := ts.URL + "/t/" + mk.tenant.Slug

	// The merchant: a fresh account of the marketplace.
	suffix := strings.ReplaceAll(tenants.NewID()[28:], "-", "")
	merchantEmail := "merchant-" + suffix + "@example.com"
	const merchantPassword = "browser-test-2026"
	tctx := tenants.WithTenant(ctx, mk.tenant)
	err = a.DB.RunInTx(tctx, func(ctx context.Context, tx bun.IDB) error {
		_, err := a.Identity.CreateUser(ctx, tx, identity.UserInput{Email: merchantEmail, Name: "雨花菜园 陈园主", Password: merchantPassword})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	shopName := "雨花有机菜园"
	shopSlug := "yuhua-organic-" + suffix

	b, tab := startChromium(t, dir, artifacts)

	// 1. The merchant signs in and opens the merchant centre.
	m := tab()
	b.step(m, "open the marketplace",
		chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile),
		chromedp.Navigate(base+"/?lang=zh-CN"),
		chromedp.WaitVisible(chromedp.CSS(".hero h1")),
	)
	b.shot(m, "01-marketplace-home")
	if ok := b.eval(m, `typeof htmx === "object" && getComputedStyle(document.querySelector(".topbar")).position === "sticky"`); !ok {
		t.Fatal("htmx or the style sheet did not load")
	}
	b.step(m, "merchant sign-in page",
		chromedp.Navigate(base+"/login?next=%2Fmerchant"),
		chromedp.WaitVisible(chromedp.ID("f-login")),
		chromedp.SendKeys(chromedp.ID("f-login"), merchantEmail),
		chromedp.SendKeys(chromedp.ID("f-password"), merchantPassword),
	)
	b.shot(m, "02-merchant-sign-in")
	b.submit(m, "merchant signs in", tap(`main form button[type="submit"]`))
	b.step(m, "application form", chromedp.WaitVisible(chromedp.ID("apply-form")))
	b.wantText(m, "main", "登录成功", "申请入驻开店")
	b.shot(m, "03-application-form")

	// 2. The merchant fills in and submits the application.
	b.step(m, "fill in the application",
		chromedp.SendKeys(chromedp.ID("f-shop_name"), shopName),
		chromedp.SendKeys(chromedp.ID("f-expected_products"), "30"),
		chromedp.SetValue(chromedp.ID("f-region_id"), mk.districtID),
		chromedp.SendKeys(chromedp.ID("f-slug"), shopSlug),
		tap(`input[name="main_categories"][value="fresh"]`),
		tap(`input[name="main_categories"][value="fruit"]`),
		chromedp.SendKeys(chromedp.ID("f-contact_name"), "陈园主"),
		chromedp.SendKeys(chromedp.ID("f-contact_phone"), "13800000021"),
		chromedp.SendKeys(chromedp.ID("f-contact_email"), merchantEmail),
		chromedp.SendKeys(chromedp.ID("f-licence_no"), "91430111MA4X9YTW2B"),
	)
	b.shot(m, "04-application-filled")
	b.submit(m, "submit the application", tap("#apply-submit"))
	b.step(m, "application submitted", chromedp.WaitVisible(chromedp.ID("application")))
	b.wantText(m, "main", "入驻申请已提交", "待审核", shopName)
	b.shot(m, "05-application-submitted")

	// 3. The tenant admin signs in, opens the queue and approves.
	adm := tab()
	b.step(adm, "admin sign-in page",
		chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile),
		chromedp.Navigate(base+"/login?lang=zh-CN&next=%2Fadmin%2Fapplications"),
		chromedp.WaitVisible(chromedp.ID("f-login")),
		chromedp.SendKeys(chromedp.ID("f-login"), mk.adminLogin),
		chromedp.SendKeys(chromedp.ID("f-password"), mk.adminPassword),
	)
	b.submit(adm, "admin signs in", tap(`main form button[type="submit"]`))
	b.step(adm, "review queue", chromedp.WaitVisible(chromedp.CSS("ul.list")))
	// The seed's own pending application waits there too.
	b.wantText(adm, "main", "入驻审核", shopName, "天心农家菌菇")
	b.shot(adm, "06-review-queue")
	name, _ := json.Marshal(shopName)
	href := b.evalString(adm, `([...document.querySelectorAll("a.title")].find(a => a.textContent.trim() === `+string(name)+`) || {}).href || ""`)
	if href == "" {
		t.Fatal("the queue has no link to the new application")
	}
	b.step(adm, "application detail", chromedp.Navigate(href), chromedp.WaitVisible(chromedp.ID("approve")))
	b.wantText(adm, "main", shopName, "91430111MA4X9YTW2B", "生鲜食材、新鲜水果")
	b.shot(adm, "07-application-detail")

	// The approve button asks for confirmation (hx-confirm): accept it.
	dialogs := chromedp.Events(adm, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(adm, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	b.step(adm, "approve with htmx",
		tap("#approve"),
		chromedp.WaitVisible(chromedp.CSS("#review .flash-success")),
	)
	b.wantText(adm, "#review", "已批准，店铺已开通", "查看店铺")
	b.shot(adm, "08-approved")

	// 4. The shop's page is live, for anyone.
	shopper := tab()
	b.step(shopper, "the new shop's page",
		chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile),
		chromedp.Navigate(base+"/s/"+shopSlug+"/?lang=zh-CN"),
		chromedp.WaitVisible(chromedp.CSS(".shop-id h1")),
	)
	if h1 := b.text(shopper, ".shop-id h1"); h1 != shopName {
		t.Fatalf("shop page h1 = %q, want %q", h1, shopName)
	}
	b.wantText(shopper, "main", "立即选购", "13800000021")
	b.shot(shopper, "09-shop-live")
	b.step(shopper, "the marketplace lists it",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(".shop-card")),
	)
	b.wantText(shopper, "#main", shopName)
	b.shot(shopper, "10-marketplace-lists-the-shop")
	b.step(shopper, "desktop", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(base+"/s/"+shopSlug+"/"))
	b.shot(shopper, "11-shop-live-desktop")
	b.step(adm, "desktop console", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(base+"/admin/shops"))
	b.wantText(adm, "main", shopName, "营业中")
	b.shot(adm, "12-console-shops-desktop")

	// Nothing of it shows in the other demo marketplace.
	for _, path := range []string{"/t/zhuzhou-coop/s/" + shopSlug + "/", "/t/zhuzhou-coop/"} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), shopName) || (strings.Contains(path, "/s/") && resp.StatusCode != 404) {
			t.Errorf("zhuzhou-coop %s: status %d, shows %s: %v", path, resp.StatusCode, shopName, strings.Contains(string(body), shopName))
		}
	}

	// 5. The merchant now runs the shop from the merchant centre.
	b.step(m, "merchant centre with the shop",
		chromedp.Navigate(base+"/merchant"),
		chromedp.WaitVisible(chromedp.CSS(".shop-card")),
	)
	b.wantText(m, "main", "我的店铺", shopName, "营业中")
	b.shot(m, "13-merchant-centre-with-shop")
	b.submit(m, "open the shop console", tap(".shop-card"))
	b.step(m, "shop console", chromedp.WaitVisible(chromedp.ID("profile")))
	b.wantText(m, "main", "店铺资料", "店铺图片", "店铺成员")
	b.shot(m, "14-merchant-shop-console")
}

// startChromium starts Debian's Chromium, headless, with a profile of its
// own under dir, and returns the screenshot driver and a function that
// opens a tab in a browser context of its own (its own cookies).
func startChromium(t *testing.T, dir, artifacts string) (*driver, func() context.Context) {
	t.Helper()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("accept-lang", "zh-CN"),
		chromedp.UserDataDir(filepath.Join(dir, "chromium")),
		chromedp.WindowSize(390, 844),
	)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	// A tab's first action runs without a deadline: the tab lives as long
	// as the context of that call.
	tab := func() context.Context {
		c, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		if err := chromedp.Do(c, chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile)); err != nil {
			t.Fatalf("open a tab: %v", err)
		}
		return c
	}
	return &driver{t: t, dir: artifacts}, tab
}

// needChromium skips the test without Debian's Chromium, and fails it
// under CI=true.
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: the browser tests need Debian's Chromium (apt-get install -y chromium)", chromiumPath)
		}
		t.Skipf("%s is missing; install it with: apt-get install -y chromium", chromiumPath)
	}
}

// tap scrolls the element matching css to the middle of the screen (out
// from under the fixed tab bar of the mobile layout) and clicks it, as a
// thumb would.
func tap(css string) chromedp.Action[chromedp.Void] {
	sel, _ := json.Marshal(css)
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS(css)),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`(document.querySelector(`+string(sel)+`).scrollIntoView({block: "center"}), true)`)(ctx, t)
			return err
		}),
		chromedp.Click(chromedp.CSS(css)),
	)
}

// demoMarket loads the demo seed and returns its first marketplace
// (changsha-coop) with the seed's tenant admin and a district.
func demoMarket(t *testing.T, a *app.App) *market {
	t.Helper()
	ctx := context.Background()
	logins, err := seeds.Load(ctx, a)
	if err != nil {
		t.Fatalf("load the demo seed: %v", err)
	}
	for _, l := range logins {
		if l.Role != authz.TenantAdmin || l.Tenant != "changsha-coop" {
			continue
		}
		tn, err := tenants.BySlug(ctx, a.DB.DB, l.Tenant)
		if err != nil {
			t.Fatal(err)
		}
		mk := &market{tenant: tn, adminLogin: l.Login, adminPassword: l.Password, districtID: firstDistrict(t, a, tn)}
		if mk.districtID == "" {
			t.Fatal("the demo seed gave changsha-coop no district")
		}
		return mk
	}
	t.Fatal("the demo seed printed no tenant admin of changsha-coop")
	return nil
}

// firstDistrict returns the id of a district of tn, or "".
func firstDistrict(t *testing.T, a *app.App, tn *tenants.Tenant) string {
	t.Helper()
	var id string
	err := a.DB.RunInReadTx(tenants.WithTenant(context.Background(), tn), func(ctx context.Context, tx bun.IDB) error {
		rs, err := tenants.Regions(ctx, tx)
		if err != nil {
			return err
		}
		for _, c := range rs {
			for _, d := range c.Children {
				if id == "" {
					id = d.ID
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// artifactsDir is $JISHI_ARTIFACTS/e2e, or test-artifacts/e2e at the
// module root.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("JISHI_ARTIFACTS")
	if dir == "" {
		root, err := filepath.Abs("..")
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "test-artifacts")
	}
	dir = filepath.Join(dir, "e2e")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// driver runs steps with a deadline each and saves screenshots.
type driver struct {
	t   *testing.T
	dir string
}

const stepTimeout = 30 * time.Second

// step runs actions; on failure it saves a screenshot and fails the test.
func (d *driver) step(ctx context.Context, name string, actions ...chromedp.Action[chromedp.Void]) {
	d.t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		d.shot(ctx, "failed-"+strings.ReplaceAll(name, " ", "-"))
		d.t.Fatalf("%s: %v", name, err)
	}
}

// submit runs a click that loads a new page and waits for it; the page
// must not be an error.
func (d *driver) submit(ctx context.Context, name string, click chromedp.Action[chromedp.Void]) {
	d.t.Helper()
	d.submitStatus(ctx, name, click, 0)
}

// submitStatus is submit for a page answered with status want (0: any
// status below 400).
func (d *driver) submitStatus(ctx context.Context, name string, click chromedp.Action[chromedp.Void], want int64) {
	d.t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(sctx, click)
	if err != nil {
		d.shot(ctx, "failed-"+strings.ReplaceAll(name, " ", "-"))
		d.t.Fatalf("%s: %v", name, err)
	}
	if want == 0 && resp.Status >= 400 || want != 0 && resp.Status != want {
		d.shot(ctx, "failed-"+strings.ReplaceAll(name, " ", "-"))
		d.t.Fatalf("%s: HTTP %d", name, resp.Status)
	}
}

// shot saves a full-page PNG screenshot as name.png. The viewport grows
// to the page's height for the capture, so that the sticky header and the
// fixed tab bar sit where a reader expects them, then shrinks back.
func (d *driver) shot(ctx context.Context, name string) {
	d.t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	size, err := chromedp.Run(sctx, chromedp.Evaluate[[]int64](`[window.innerWidth, window.innerHeight, document.documentElement.scrollHeight]`))
	if err != nil || len(size) != 3 {
		d.t.Errorf("screenshot %s: page size: %v", name, err)
		return
	}
	mobile := size[0] < 768
	emulate := func(w, h int64) chromedp.Action[chromedp.Void] {
		if mobile {
			return chromedp.EmulateViewport(w, h, chromedp.EmulatePortrait, chromedp.EmulateMobile)
		}
		return chromedp.EmulateViewport(w, h)
	}
	if _, err := chromedp.Run(sctx, chromedp.Evaluate[bool](`(window.scrollTo(0, 0), true)`)); err != nil {
		d.t.Errorf("screenshot %s: scroll: %v", name, err)
	}
	if err := chromedp.Do(sctx, emulate(size[0], max(size[1], size[2]))); err != nil {
		d.t.Errorf("screenshot %s: resize: %v", name, err)
	}
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	_ = chromedp.Do(sctx, emulate(size[0], size[1]))
	if err != nil {
		d.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(d.dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		d.t.Errorf("save %s: %v", path, err)
		return
	}
	d.t.Logf("screenshot %s", path)
}

// text returns the text of the first element matching css.
func (d *driver) text(ctx context.Context, css string) string {
	d.t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		d.t.Fatalf("text of %s: %v", css, err)
	}
	return strings.TrimSpace(s)
}

// wantText fails unless the element matching css contains every want.
func (d *driver) wantText(ctx context.Context, css string, want ...string) {
	d.t.Helper()
	got := d.text(ctx, css)
	for _, w := range want {
		if !strings.Contains(got, w) {
			d.shot(ctx, "failed-text")
			d.t.Fatalf("%s lacks %q:\n%s", css, w, got)
		}
	}
}

func (d *driver) eval(ctx context.Context, expr string) bool {
	d.t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[bool](expr))
	if err != nil {
		d.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func (d *driver) evalString(ctx context.Context, expr string) string {
	d.t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[string](expr))
	if err != nil {
		d.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}
