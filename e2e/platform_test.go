package e2e

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/server"
	"github.com/jishi-dev/jishi/tenants"
)

// TestPlatformConsoleInBrowser: a platform admin signs in on the platform
// host, submits the create-tenant form with a bad slug (the error shows
// next to the field, the other values stay), corrects it, and the new
// marketplace is listed and answers; a host that belongs to nobody shows
// the plain 404 page.
func TestPlatformConsoleInBrowser(t *testing.T) {
	needChromium(t)
	artifacts := artifactsDir(t)
	ctx := context.Background()
	dir := t.TempDir()
	a, err := app.New(ctx, app.Config{DatabaseURL: "sqlite:" + filepath.Join(dir, "jishi.db"), DataDir: dir, FastHashing: true, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	const email, password = "root@jishi.local", "platform-admin-2026"
	if err := a.Identity.CreatePlatformAdmin(ctx, email, "平台管理员", password); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.New(a))
	t.Cleanup(ts.Close)
	b, tab := startChromium(t, dir, artifacts)
	p := tab()

	b.step(p, "platform sign-in",
		chromedp.Navigate(ts.URL+"/admin?lang=zh-CN"),
		chromedp.WaitVisible(chromedp.ID("f-email")),
		chromedp.SendKeys(chromedp.ID("f-email"), email),
		chromedp.SendKeys(chromedp.ID("f-password"), password),
	)
	b.shot(p, "p1-platform-sign-in")
	b.submit(p, "sign in", tap(`main form button[type="submit"]`))
	b.step(p, "platform console", chromedp.WaitVisible(chromedp.ID("create")))
	b.wantText(p, "main", "平台控制台", "新建市集")

	slug := "xiangtan-" + strings.ReplaceAll(tenants.NewID()[30:], "-", "")
	b.step(p, "fill in a bad slug",
		chromedp.SendKeys(chromedp.ID("f-name"), "网上供销社·湘潭"),
		chromedp.SendKeys(chromedp.ID("f-slug"), "Xiang Tan!"),
	)
	b.submitStatus(p, "create with a bad slug", tap(`#create button[type="submit"]`), 400)
	b.step(p, "field error", chromedp.WaitVisible(chromedp.ID("e-slug")))
	b.wantText(p, "#create", "只能包含小写字母")
	if v := b.evalString(p, `document.getElementById("f-name").value`); v != "网上供销社·湘潭" {
		t.Fatalf("the name was not kept: %q", v)
	}
	b.shot(p, "p2-create-tenant-field-error")
	b.evalString(p, `(document.getElementById("f-slug").value = "")`)
	b.step(p, "correct the slug", chromedp.SendKeys(chromedp.ID("f-slug"), slug))
	b.submit(p, "create the tenant", tap(`#create button[type="submit"]`))
	b.step(p, "tenant listed", chromedp.WaitVisible(chromedp.CSS(".flash-success")))
	b.wantText(p, "main", "市集已创建", "网上供销社·湘潭", slug)
	b.shot(p, "p3-tenant-created")

	b.step(p, "the new marketplace", chromedp.Navigate(ts.URL+"/t/"+slug+"/"), chromedp.WaitVisible(chromedp.CSS(".hero h1")))
	if h1 := b.text(p, ".hero h1"); h1 != "网上供销社·湘潭" {
		t.Fatalf("new marketplace h1 = %q", h1)
	}
	b.step(p, "landing", chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS(".tenant-card")))
	b.wantText(p, "main", "网上供销社·湘潭")
	b.shot(p, "p4-platform-landing")

	b.step(p, "a marketplace that does not exist", chromedp.Navigate(ts.URL+"/t/no-such-market/"), chromedp.WaitVisible(chromedp.CSS(".error-page")))
	b.wantText(p, "main", "404", "页面不存在")
	b.shot(p, "p5-unknown-marketplace-404")
}
