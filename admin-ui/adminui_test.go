package adminui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/web/webtest"
	"github.com/jishi-dev/jishi/tenants"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// TestPlatformConsole: the landing page lists marketplaces by name and
// slug; a platform admin signs in, sees every tenant, gets field errors
// next to the fields with the values kept, creates a tenant, and signs
// out. A tenant account's session does not open the platform console.
func TestPlatformConsole(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("网上供销社·长沙")
		ctx := context.Background()
		email := "root-" + tenants.NewID()[24:] + "@jishi.local"
		if err := e.App.Identity.CreatePlatformAdmin(ctx, email, "平台管理员", webtest.Password); err != nil {
			t.Fatal(err)
		}
		b := e.Browser("localhost", "")
		r := webtest.Want(t, b.Get("/"), 200, "landing")
		webtest.Contains(t, r, "landing", "网上供销社·长沙", m.Tenant.Slug, `href="/t/`+m.Tenant.Slug+`/"`)
		webtest.Lacks(t, r, "landing", m.Tenant.ID)
		webtest.Want(t, b.Get("/nothing"), 404, "unknown platform page")

		r = webtest.Want(t, b.Post("/admin/login", url.Values{"email": {email}, "password": {"wrong-password"}}), 401, "bad login")
		webtest.Contains(t, r, "bad login", "账号或密码错误", `value="`+email+`"`)
		r = webtest.Want(t, b.Post("/admin/login", url.Values{"email": {email}, "password": {webtest.Password}, "next": {"/admin"}}), http.StatusSeeOther, "login")
		if r.Location() != "/admin" {
			t.Errorf("login: Location %q", r.Location())
		}
		r = webtest.Want(t, b.Get("/admin"), 200, "console")
		webtest.Contains(t, r, "console", "平台控制台", "网上供销社·长沙", m.Tenant.Slug+".localhost", "登录成功", `action="/admin/tenants"`)

		slug := "pt-" + strings.ReplaceAll(tenants.NewID()[24:], "-", "")
		r = webtest.Want(t, b.Post("/admin/tenants", url.Values{"slug": {"Bad Slug!"}, "name": {"株洲供销社"}, "currency": {"yuan"},
			"time_zone": {"Asia/Shanghai"}, "default_locale": {"en"}, "admin_password": {"secret-kept-out"}}), 400, "bad tenant")
		webtest.Contains(t, r, "bad tenant", `value="株洲供销社"`, `value="Bad Slug!"`, "只能包含小写字母", `id="e-slug"`, `id="e-currency"`,
			`<option value="en" selected>`)
		webtest.Lacks(t, r, "bad tenant", "secret-kept-out")
		webtest.Want(t, b.Post("/admin/tenants", url.Values{"slug": {slug}, "name": {"网上供销社·株洲"}, "time_zone": {"Asia/Shanghai"},
			"currency": {"CNY"}, "default_locale": {"zh-CN"}}), http.StatusSeeOther, "create tenant")
		r = webtest.Want(t, b.Get("/admin"), 200, "console after create")
		webtest.Contains(t, r, "console after create", "网上供销社·株洲", slug, "市集已创建")
		// The new marketplace answers at once.
		webtest.Contains(t, e.Browser("localhost", "/t/"+slug).Get("/"), "new tenant home", "网上供销社·株洲")
		r = webtest.Want(t, b.Get("/?lang=en"), 200, "landing en")
		webtest.Contains(t, r, "landing en", "Marketplaces", "Visit")

		webtest.Want(t, b.Post("/admin/logout", nil), http.StatusSeeOther, "logout")
		webtest.Want(t, b.Get("/admin"), http.StatusSeeOther, "console after logout")

		// A tenant admin's session is not a platform session.
		tb, _ := m.User("admin", authz.TenantAdmin, authz.TenantDomain(m.Tenant.ID))
		pb := e.Browser("localhost", "")
		pb.Cookies = tb.Cookies
		webtest.Want(t, pb.Get("/admin"), http.StatusSeeOther, "tenant session on the platform")
	})
}

var (
	appLinkRE = regexp.MustCompile(`href="/t/[a-z0-9-]+/admin/applications/([0-9a-f-]{36})"`)
	tokenRE   = regexp.MustCompile(`id="invitation-token">([^<]+)<`)
)

// TestApplicationJourney walks a merchant's application through the HTML
// pages: field errors next to the fields with the values kept, the
// flagship offer for few products, submission, the tenant admin's queue,
// a rejected htmx request without a reason, a change request the
// applicant answers, approval with htmx, and the shop's storefront live.
func TestApplicationJourney(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("网上供销社")
		admin, _ := m.User("admin", authz.TenantAdmin, authz.TenantDomain(m.Tenant.ID))
		applicant, _ := m.User("赵社长", "", "")

		r := webtest.Want(t, applicant.Get("/merchant"), 200, "merchant home")
		webtest.Contains(t, r, "merchant home", "申请入驻开店", "岳麓区", "芙蓉区", `<optgroup label="长沙市">`, "生鲜食材", "套餐卡券",
			`data-min-products="10"`, `name="via_flagship"`, "yourshop."+m.Tenant.Slug+".localhost")

		form := url.Values{"shop_name": {"天心农家菌菇"}, "slug": {"tianxin-mushroom"}, "contact_name": {"赵社长"},
			"contact_phone": {"13800000010"}, "licence_no": {"bad"}, "main_categories": {"fresh", "specialty"},
			"region_id": {m.Yuelu.ID}, "expected_products": {"20"}}
		r = webtest.Want(t, applicant.Post("/merchant/applications", form), 400, "bad licence")
		webtest.Contains(t, r, "bad licence", "请输入15位营业执照注册号", `id="e-licence_no"`, `value="天心农家菌菇"`,
			`value="tianxin-mushroom"`, `value="fresh" checked`, `value="specialty" checked`, `value="`+m.Yuelu.ID+`" selected`)

		form.Set("licence_no", "93430103MA4Q4JKL5M")
		form.Set("expected_products", "3")
		r = webtest.Want(t, applicant.Post("/merchant/applications", form), 400, "few products")
		webtest.Contains(t, r, "few products", "官方旗舰店上架销售", `class="offer forced"`)

		form.Set("expected_products", "20")
		webtest.Want(t, applicant.Post("/merchant/applications", form), http.StatusSeeOther, "apply")
		r = webtest.Want(t, applicant.Get("/merchant"), 200, "after apply")
		webtest.Contains(t, r, "after apply", "入驻申请已提交", "待审核", "天心农家菌菇", "撤回申请")
		webtest.Lacks(t, r, "after apply", `id="apply-form"`)

		r = webtest.Want(t, admin.Get("/admin"), 200, "dashboard")
		webtest.Contains(t, r, "dashboard", "管理后台", "待审核申请", `<b>1</b>`)
		r = webtest.Want(t, admin.Get("/admin/applications"), 200, "queue")
		webtest.Contains(t, r, "queue", "天心农家菌菇", "长沙市 · 岳麓区", "预计 20 件商品")
		match := appLinkRE.FindStringSubmatch(r.Body)
		if match == nil {
			t.Fatal("no application link in the queue")
		}
		id := match[1]
		r = webtest.Want(t, admin.Get("/admin/applications/"+id), 200, "detail")
		webtest.Contains(t, r, "detail", "93430103MA4Q4JKL5M", "生鲜食材、名优特产", `hx-post="/t/`+m.Tenant.Slug+`/admin/applications/`+id+`/approve"`,
			`hx-target="#review"`, "赵社长")

		// Rejecting needs a reason: the htmx fragment shows the error.
		r = webtest.Want(t, admin.HTMX("/admin/applications/"+id+"/reject", url.Values{"reason": {""}}), 400, "reject without reason")
		webtest.Contains(t, r, "reject without reason", `id="review"`, "必填")
		webtest.Lacks(t, r, "reject without reason", "<!doctype html>")

		// Ask for changes; the applicant sees the note and edits.
		r = webtest.Want(t, admin.HTMX("/admin/applications/"+id+"/request-changes", url.Values{"note": {"请补充营业执照照片"}}), 200, "changes")
		webtest.Contains(t, r, "changes", "已请申请人修改", "请补充营业执照照片")
		r = webtest.Want(t, applicant.Get("/merchant"), 200, "changes requested")
		webtest.Contains(t, r, "changes requested", "待修改", "请补充营业执照照片", "按审核意见修改申请", `value="天心农家菌菇"`,
			`action="/t/`+m.Tenant.Slug+`/merchant/applications/`+id+`"`)
		form.Set("shop_name", "天心菌菇合作社")
		webtest.Want(t, applicant.Post("/merchant/applications/"+id, form), http.StatusSeeOther, "resubmit")

		// Approve with htmx.
		r = webtest.Want(t, admin.HTMX("/admin/applications/"+id+"/approve", nil), 200, "approve")
		webtest.Contains(t, r, "approve", "已批准，店铺已开通", `href="/t/`+m.Tenant.Slug+`/s/tianxin-mushroom/"`)
		webtest.Lacks(t, r, "approve", "<!doctype html>", `id="approve"`)
		// Twice is a conflict shown in the box.
		r = webtest.Want(t, admin.HTMX("/admin/applications/"+id+"/approve", nil), 409, "approve again")
		webtest.Contains(t, r, "approve again", "该申请当前状态不允许此操作")

		r = webtest.Want(t, m.Anonymous().Get("/s/tianxin-mushroom/"), 200, "shop live")
		webtest.Contains(t, r, "shop live", "天心菌菇合作社", "立即选购")
		r = webtest.Want(t, applicant.Get("/merchant"), 200, "merchant with a shop")
		webtest.Contains(t, r, "merchant with a shop", "我的店铺", "天心菌菇合作社", "营业中", "再开一家店")

		// Without JavaScript the same buttons post and redirect.
		other, _ := m.User("钱老板", "", "")
		form.Set("slug", "qian-fruit")
		form.Set("shop_name", "钱家果园")
		webtest.Want(t, other.Post("/merchant/applications", form), http.StatusSeeOther, "second application")
		r = webtest.Want(t, admin.Get("/admin/applications?status=submitted"), 200, "queue 2")
		id2 := appLinkRE.FindStringSubmatch(r.Body)[1]
		r = webtest.Want(t, admin.Post("/admin/applications/"+id2+"/reject", url.Values{"reason": {"资质不全"}}), http.StatusSeeOther, "plain reject")
		if !strings.HasSuffix(r.Location(), "/admin/applications/"+id2) {
			t.Errorf("plain reject: Location %q", r.Location())
		}
		r = webtest.Want(t, other.Get("/merchant"), 200, "rejected applicant")
		webtest.Contains(t, r, "rejected applicant", "上次申请未通过", "资质不全", `id="apply-form"`)
		r = webtest.Want(t, admin.Get("/admin/applications?status=rejected&lang=en"), 200, "rejected list en")
		webtest.Contains(t, r, "rejected list en", "钱家果园", "Rejected")
	})
}

// TestConsoleAccess: shoppers get 403 from the tenant console and 404
// for shops that are not theirs; a region manager sees and reviews only
// their region's applications and shops and cannot manage regions; a
// merchant reaches only their own shop; accounts of another tenant reach
// nothing.
func TestConsoleAccess(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("网上供销社")
		ownerA := m.Account("店主甲", "", "")
		ownerB := m.Account("店主乙", "", "")
		shopA := m.Shop(ownerA, "shop-a", "甲店", m.Yuelu)
		shopB := m.Shop(ownerB, "shop-b", "乙店", m.Furong)
		shopper, _ := m.User("顾客", "", "")

		for _, path := range []string{"/admin", "/admin/applications", "/admin/shops", "/admin/regions", "/admin/applications/" + shopA.ID} {
			r := webtest.Want(t, shopper.Get(path), 403, "shopper "+path)
			webtest.Contains(t, r, path, "没有访问权限")
		}
		webtest.Want(t, shopper.Post("/admin/shops/"+shopA.ID+"/suspend", url.Values{"reason": {"x"}}), 403, "shopper suspends")
		webtest.Want(t, shopper.Post("/admin/regions", url.Values{"name": {"x"}, "code": {"xx-x"}}), 403, "shopper adds a region")
		for _, path := range []string{"/merchant/shops/" + shopA.ID, "/merchant/shops/not-an-id"} {
			webtest.Want(t, shopper.Get(path), 404, "shopper "+path)
		}
		webtest.Want(t, shopper.Post("/merchant/shops/"+shopA.ID+"/profile", url.Values{"name": {"被改了"}, "contact_phone": {"13800000000"}}), 404, "shopper edits")
		webtest.Want(t, shopper.Upload("/merchant/shops/"+shopA.ID+"/logo", "logo.png", "image/png", pngImage), 404, "shopper uploads")

		// Owner of A: A yes, B no.
		a := m.SignedIn(ownerA)
		webtest.Contains(t, webtest.Want(t, a.Get("/merchant/shops/"+shopA.ID), 200, "own shop"), "own shop", "甲店", "店铺资料")
		webtest.Want(t, a.Get("/merchant/shops/"+shopB.ID), 404, "other shop")
		webtest.Want(t, a.Post("/merchant/shops/"+shopB.ID+"/staff", url.Values{"email": {"x@example.com"}}), 404, "invite to other shop")
		webtest.Want(t, a.Get("/admin"), 403, "merchant in the tenant console")

		// Region manager of 岳麓区.
		rm, _ := m.User("岳麓区经理", authz.RegionManager, authz.RegionDomain(m.Tenant.ID, m.Yuelu.ID))
		r := webtest.Want(t, rm.Get("/admin/shops"), 200, "rm shops")
		webtest.Contains(t, r, "rm shops", "甲店")
		webtest.Lacks(t, r, "rm shops", "乙店")
		webtest.Want(t, rm.Get("/admin/regions"), 403, "rm regions")
		webtest.Want(t, rm.HTMX("/admin/shops/"+shopB.ID+"/suspend", url.Values{"reason": {"x"}}), 404, "rm suspends another region's shop")
		r = webtest.Want(t, rm.HTMX("/admin/shops/"+shopA.ID+"/suspend", url.Values{"reason": {"卫生检查"}}), 200, "rm suspends own region's shop")
		webtest.Contains(t, r, "rm suspends", "店铺已暂停营业", "卫生检查", "恢复营业")
		r = webtest.Want(t, rm.Get("/admin"), 200, "rm dashboard")
		webtest.Contains(t, r, "rm dashboard", "区域经理")
		webtest.Lacks(t, r, "rm dashboard", "区域管理")

		// Applications: the region manager sees only 岳麓区's.
		inYuelu, inFurong := m.Account("申请人甲", "", ""), m.Account("申请人乙", "", "")
		apply := func(acc *webtest.Account, slug string, region *tenants.Region) *merchant.Application {
			ap, err := e.App.Merchants.Apply(m.Ctx, acc.Principal, merchant.ApplicationInput{ShopName: "店" + slug, Slug: slug,
				ContactName: "张", ContactPhone: "13800000011", LicenceNo: "91430104MA4L0XYN1K", MainCategories: []string{"fruit"},
				RegionID: region.ID, ExpectedProducts: 30})
			if err != nil {
				t.Fatal(err)
			}
			return ap
		}
		apA, apB := apply(inYuelu, "yuelu-apple", m.Yuelu), apply(inFurong, "furong-pear", m.Furong)
		r = webtest.Want(t, rm.Get("/admin/applications"), 200, "rm queue")
		webtest.Contains(t, r, "rm queue", "店yuelu-apple")
		webtest.Lacks(t, r, "rm queue", "店furong-pear")
		webtest.Want(t, rm.Get("/admin/applications/"+apB.ID), 404, "rm other region's application")
		webtest.Want(t, rm.HTMX("/admin/applications/"+apB.ID+"/approve", nil), 404, "rm approves other region's")
		webtest.Contains(t, webtest.Want(t, rm.Get("/admin/applications/"+apA.ID), 200, "rm own region's"), "rm own region's", `id="approve"`)

		// Another tenant's admin reaches nothing here, even with its ids.
		away := e.NewMarket("别家供销社")
		awayAdmin, _ := away.User("admin", authz.TenantAdmin, authz.TenantDomain(away.Tenant.ID))
		awayAdmin.Base = "/t/" + m.Tenant.Slug
		webtest.Want(t, awayAdmin.Get("/admin"), http.StatusSeeOther, "other tenant's session is none here")
		awayAdmin.Base = "/t/" + away.Tenant.Slug
		webtest.Want(t, awayAdmin.Get("/admin/applications/"+apA.ID), 404, "other tenant's application id")
		webtest.Want(t, awayAdmin.HTMX("/admin/shops/"+shopA.ID+"/suspend", url.Values{"reason": {"x"}}), 404, "other tenant's shop id")
	})
}

// TestRegions: a tenant admin sees the region tree and adds a city and a
// district; errors show next to the fields.
func TestRegions(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("网上供销社")
		admin, _ := m.User("admin", authz.TenantAdmin, authz.TenantDomain(m.Tenant.ID))
		r := webtest.Want(t, admin.Get("/admin/regions"), 200, "regions")
		webtest.Contains(t, r, "regions", "长沙市", "岳麓区", "芙蓉区", "添加区域")
		r = webtest.Want(t, admin.Post("/admin/regions", url.Values{"name": {"天心区"}, "code": {"yuelu"}, "parent_id": {m.City.ID}}), 400, "taken code")
		webtest.Contains(t, r, "taken code", "该名称已被占用", `value="天心区"`, `value="`+m.City.ID+`" selected`)
		webtest.Want(t, admin.Post("/admin/regions", url.Values{"name": {"天心区"}, "code": {"tianxin"}, "parent_id": {m.City.ID}}), http.StatusSeeOther, "district")
		webtest.Want(t, admin.Post("/admin/regions", url.Values{"name": {"株洲市"}, "code": {"zhuzhou"}}), http.StatusSeeOther, "city")
		r = webtest.Want(t, admin.Get("/admin/regions"), 200, "regions after")
		webtest.Contains(t, r, "regions after", "天心区", "株洲市", "区域已添加")
	})
}

// pngImage is a 1×1 PNG.
var pngImage = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")

// TestMerchantShopConsole: the owner edits the profile (an invalid colour
// is a field error, nothing saved), uploads a logo that the storefront
// then shows, invites a member whose token is shown once, and the invitee
// joins with it.
func TestMerchantShopConsole(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("网上供销社")
		owner := m.Account("王场长", "", "")
		sh := m.Shop(owner, "yuelu-veg", "岳麓蔬菜基地", m.Yuelu)
		b := m.SignedIn(owner)
		path := "/merchant/shops/" + sh.ID
		r := webtest.Want(t, b.Get(path), 200, "shop console")
		webtest.Contains(t, r, "shop console", "店铺资料", "店铺图片", "店铺成员", "王场长", `type="color"`)

		profile := url.Values{"name": {"岳麓蔬菜基地"}, "description": {"每天清晨采摘"}, "contact_phone": {"13800000003"},
			"theme_color": {"green"}, "announcement": {"新鲜到货"}}
		r = webtest.Want(t, b.Post(path+"/profile", profile), 400, "bad colour")
		webtest.Contains(t, r, "bad colour", "请输入 #rrggbb 格式的颜色", `value="新鲜到货"`)
		profile.Set("theme_color", "#C77C02")
		webtest.Want(t, b.Post(path+"/profile", profile), http.StatusSeeOther, "save profile")
		r = webtest.Want(t, m.Anonymous().Get("/s/yuelu-veg/"), 200, "storefront")
		webtest.Contains(t, r, "storefront", "每天清晨采摘", "新鲜到货", `--theme: #c77c02`)

		r = webtest.Want(t, b.Upload(path+"/logo", "logo.txt", "text/plain", []byte("not an image")), 400, "bad logo")
		webtest.Contains(t, r, "bad logo", "只支持 PNG、JPEG、WebP 图片")
		webtest.Want(t, b.Upload(path+"/logo", "logo.png", "image/png", pngImage), http.StatusSeeOther, "logo")
		r = webtest.Want(t, m.Anonymous().Get("/s/yuelu-veg/"), 200, "storefront with logo")
		logo := regexp.MustCompile(`<img src="(/t/[^"]+/uploads/[^"]+\.png)"`).FindStringSubmatch(r.Body)
		if logo == nil {
			t.Fatal("storefront shows no logo")
		}
		img := e.Browser("localhost", "").Get(logo[1])
		if img.Code != 200 || img.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("logo %s: %d %s", logo[1], img.Code, img.Header.Get("Content-Type"))
		}

		invitee := m.Account("小陈", "", "")
		r = webtest.Want(t, b.Post(path+"/staff", url.Values{"email": {invitee.Email}, "role": {"merchant_staff"}}), 201, "invite")
		token := tokenRE.FindStringSubmatch(r.Body)
		if token == nil {
			t.Fatal("no invitation token shown")
		}
		webtest.Lacks(t, webtest.Want(t, b.Get(path), 200, "shop console again"), "token shown once", token[1])
		ib := m.SignedIn(invitee)
		r = webtest.Want(t, ib.Post("/merchant/invitations/accept", url.Values{"token": {"wrong"}}), 400, "wrong token")
		webtest.Contains(t, r, "wrong token", "邀请无效或已过期")
		webtest.Want(t, ib.Post("/merchant/invitations/accept", url.Values{"token": {token[1]}}), http.StatusSeeOther, "accept")
		r = webtest.Want(t, ib.Get(path), 200, "staff sees the shop")
		webtest.Contains(t, r, "staff sees the shop", "岳麓蔬菜基地")
		webtest.Lacks(t, r, "staff sees the shop", `action="/t/`+m.Tenant.Slug+path+`/profile"`)
		webtest.Want(t, ib.Post(path+"/profile", profile), 403, "staff edits the profile")
		r = webtest.Want(t, b.Get(path), 200, "owner sees the member")
		webtest.Contains(t, r, "owner sees the member", "小陈", "店员")
	})
}

// untranslated finds an i18n key printed as such: a message missing from
// the catalogue.
var untranslated = regexp.MustCompile(`\b(?:ui|sf|web|merchant|identity|error|field)\.[a-z_]+(?:\.[a-z_]+)*\b`)

// TestEveryPageInBothLanguages renders every page of the storefront and
// the consoles, for the role that sees it, in zh-CN and in en: each
// answers 200 with the right html lang and prints no raw message key.
func TestEveryPageInBothLanguages(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("网上供销社")
		admin, _ := m.User("admin", authz.TenantAdmin, authz.TenantDomain(m.Tenant.ID))
		owner := m.Account("王场长", "", "")
		sh := m.Shop(owner, "yuelu-veg", "岳麓蔬菜基地", m.Yuelu)
		applicant, acc := m.User("赵社长", "", "")
		ap, err := e.App.Merchants.Apply(m.Ctx, acc.Principal, merchant.ApplicationInput{ShopName: "天心农家菌菇", Slug: "tianxin-mushroom",
			ContactName: "赵社长", ContactPhone: "13800000010", LicenceNo: "93430103MA4Q4JKL5M", MainCategories: []string{"fresh"},
			RegionID: m.Furong.ID, ExpectedProducts: 20})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.App.Identity.CreatePlatformAdmin(context.Background(), "root-"+m.Tenant.Slug+"@jishi.local", "平台管理员", webtest.Password); err != nil {
			t.Fatal(err)
		}
		platform := e.Browser("localhost", "")
		platform.Get("/admin/login")
		webtest.Want(t, platform.Post("/admin/login", url.Values{"email": {"root-" + m.Tenant.Slug + "@jishi.local"}, "password": {webtest.Password}}), http.StatusSeeOther, "platform sign-in")
		ownerB := m.SignedIn(owner)
		pages := []struct {
			b    *webtest.Browser
			path string
		}{
			{m.Anonymous(), "/"}, {m.Anonymous(), "/s/yuelu-veg/"}, {m.Anonymous(), "/login"}, {m.Anonymous(), "/register"},
			{m.Anonymous(), "/password-reset"}, {m.Anonymous(), "/password-reset/confirm?token=x"},
			{applicant, "/account"}, {applicant, "/merchant"},
			{ownerB, "/merchant"}, {ownerB, "/merchant/shops/" + sh.ID},
			{admin, "/admin"}, {admin, "/admin/regions"}, {admin, "/admin/applications"}, {admin, "/admin/applications?status=all"},
			{admin, "/admin/applications/" + ap.ID}, {admin, "/admin/shops"},
			{e.Browser("localhost", ""), "/"}, {e.Browser("localhost", ""), "/admin/login"}, {platform, "/admin"},
		}
		for _, p := range pages {
			for _, lang := range []string{"zh-CN", "en"} {
				sep := "?"
				if strings.Contains(p.path, "?") {
					sep = "&"
				}
				what := p.path + " " + lang
				r := webtest.Want(t, p.b.Get(p.path+sep+"lang="+lang), 200, what)
				webtest.Contains(t, r, what, `<html lang="`+lang+`">`, "</html>")
				if k := untranslated.FindString(r.Body); k != "" {
					t.Errorf("%s: untranslated key %q", what, k)
				}
			}
		}
	})
}

// TestShopsSuspendResume: suspending needs a reason (shown in the shop's
// row, with htmx or without); a suspended shop's storefront says so; the
// shop resumes; the merchant's console shows the suspension and its
// reason.
func TestShopsSuspendResume(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("网上供销社")
		admin, _ := m.User("admin", authz.TenantAdmin, authz.TenantDomain(m.Tenant.ID))
		owner := m.Account("王场长", "", "")
		sh := m.Shop(owner, "yuelu-veg", "岳麓蔬菜基地", m.Yuelu)
		row := `id="shop-` + sh.ID + `"`

		r := webtest.Want(t, admin.Post("/admin/shops/"+sh.ID+"/suspend", url.Values{"reason": {""}}), 400, "no reason")
		webtest.Contains(t, r, "no reason", "<!doctype html>", row, "必填", "岳麓蔬菜基地")
		r = webtest.Want(t, admin.HTMX("/admin/shops/"+sh.ID+"/suspend", url.Values{"reason": {""}}), 400, "no reason, htmx")
		webtest.Contains(t, r, "no reason, htmx", row, "必填")
		webtest.Lacks(t, r, "no reason, htmx", "<!doctype html>")

		webtest.Want(t, admin.Post("/admin/shops/"+sh.ID+"/suspend", url.Values{"reason": {"食品安全整改"}}), http.StatusSeeOther, "suspend")
		r = webtest.Want(t, admin.Get("/admin/shops?status=suspended"), 200, "suspended list")
		webtest.Contains(t, r, "suspended list", "店铺已暂停营业", "岳麓蔬菜基地", "食品安全整改", "恢复营业")
		webtest.Contains(t, m.Anonymous().Get("/s/yuelu-veg/"), "storefront", "本店暂停营业")
		webtest.Contains(t, m.SignedIn(owner).Get("/merchant/shops/"+sh.ID), "merchant console", "店铺已被暂停营业", "食品安全整改")
		// Suspending twice is a conflict shown in the row.
		r = webtest.Want(t, admin.HTMX("/admin/shops/"+sh.ID+"/suspend", url.Values{"reason": {"再次"}}), 409, "suspend twice")
		webtest.Contains(t, r, "suspend twice", "店铺当前状态不允许此操作")

		r = webtest.Want(t, admin.HTMX("/admin/shops/"+sh.ID+"/resume", nil), 200, "resume")
		webtest.Contains(t, r, "resume", row, "店铺已恢复营业", "营业中")
		r = webtest.Want(t, m.Anonymous().Get("/s/yuelu-veg/"), 200, "storefront again")
		webtest.Lacks(t, r, "storefront again", "本店暂停营业")
		webtest.Contains(t, r, "storefront again", "立即选购")
	})
}

// TestConsoleListsArePaged: the shop list shows 50 shops a page with
// links to the neighbouring pages (keeping the filter); the overview
// counts every shop, not a page.
func TestConsoleListsArePaged(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("网上供销社")
		admin, _ := m.User("admin", authz.TenantAdmin, authz.TenantDomain(m.Tenant.ID))
		owner := m.Account("王场长", "", "")
		for i := range 55 {
			m.Shop(owner, fmt.Sprintf("shop-%02d", i), fmt.Sprintf("第%02d号店", i), m.Yuelu)
		}
		// The flagship store and 55 shops: 50 on page 1, 6 on page 2.
		r := webtest.Want(t, admin.Get("/admin/shops?status=all"), 200, "page 1")
		body := r.Body
		if n := strings.Count(body, `<li id="shop-`); n != 50 {
			t.Errorf("page 1 shows %d shops, want 50", n)
		}
		webtest.Contains(t, r, "page 1", "第 1 页", `rel="next" href="/t/`+m.Tenant.Slug+`/admin/shops?page=2&amp;status=all"`, "第48号店")
		webtest.Lacks(t, r, "page 1", `rel="prev"`, "第49号店")
		r = webtest.Want(t, admin.Get("/admin/shops?status=all&page=2"), 200, "page 2")
		if n := strings.Count(r.Body, `<li id="shop-`); n != 6 {
			t.Errorf("page 2 shows %d shops, want 6", n)
		}
		webtest.Contains(t, r, "page 2", "第 2 页", `rel="prev" href="/t/`+m.Tenant.Slug+`/admin/shops?status=all"`, "第49号店", "第54号店")
		webtest.Lacks(t, r, "page 2", `rel="next"`)
		for _, bad := range []string{"0", "-3", "abc"} {
			r = webtest.Want(t, admin.Get("/admin/shops?status=all&page="+bad), 200, "bad page "+bad)
			webtest.Contains(t, r, "bad page "+bad, "第 1 页")
		}
		r = webtest.Want(t, admin.Get("/admin"), 200, "overview")
		webtest.Contains(t, r, "overview", ">56<")
	})
}
