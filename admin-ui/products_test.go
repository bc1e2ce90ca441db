package adminui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/web/webtest"
	"github.com/uptrace/bun"
)

var untranslatedProduct = regexp.MustCompile(`\b(?:ui|sf|web|merchant|catalog|error|field)\.[a-z_]+(?:\.[a-z_]+)*\b`)

func leafCategory(t *testing.T, m *webtest.Market, code string) string {
	t.Helper()
	var id string
	err := m.App.DB.RunInReadTx(m.Ctx, func(ctx context.Context, tx bun.IDB) error {
		tree, err := catalog.Tree(ctx, tx)
		for _, c := range tree {
			for _, k := range c.Children {
				if k.Code == code {
					id = k.ID
				}
			}
		}
		return err
	})
	if err != nil || id == "" {
		t.Fatalf("category %s: %v", code, err)
	}
	return id
}

// TestProductConsole: the owner lists products by status, fills in the
// form (errors next to the fields, values kept, SKU rows added and
// removed, the suggested price next to the cost), creates, edits,
// uploads an image, archives and restores; every page in both languages.
// Another shop's owner gets 404.
func TestProductConsole(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("网上供销社")
		owner := m.Account("王场长", "", "")
		sh := m.Shop(owner, "yuelu-veg", "岳麓蔬菜基地", m.Yuelu)
		b := m.SignedIn(owner)
		veg := leafCategory(t, m, "vegetables")

		r := webtest.Want(t, b.Get("/merchant/shops/"+sh.ID), 200, "shop console")
		webtest.Contains(t, r, "shop console", `href="/t/`+m.Tenant.Slug+`/merchant/shops/`+sh.ID+`/products"`, "商品管理")
		r = webtest.Want(t, b.Get("/merchant/shops/"+sh.ID+"/products"), 200, "empty list")
		webtest.Contains(t, r, "empty list", "没有符合条件的商品", "发布商品")
		webtest.Want(t, b.Get("/merchant/shops/"+sh.ID+"/products/new"), 200, "new form")

		form := url.Values{"name": {"有机小白菜 <b>"}, "category_id": {veg}, "status": {"active"}, "origin": {"长沙岳麓"},
			"certifications": {"organic"}, "attributes": {"保质期: 3天"}, "sku_count": {"1"},
			"skus.0.spec": {"500g"}, "skus.0.code": {"veg-1"}, "skus.0.price_fen": {"12.8x"}, "skus.0.cost_fen": {"3.50"}}
		r = webtest.Want(t, b.Post("/merchant/shops/"+sh.ID+"/products", form), 400, "bad product")
		webtest.Contains(t, r, "bad product", "不能包含 HTML", "请输入金额", `value="12.8x"`, "建议零售价（成本 × 3 至 4）：¥10.50 – ¥14.00")
		webtest.Lacks(t, r, "bad product", "<b>\"")

		// Adding and removing rows keeps the values and saves nothing.
		form.Set("op", "add_sku")
		r = webtest.Want(t, b.Post("/merchant/shops/"+sh.ID+"/products", form), 200, "add row")
		webtest.Contains(t, r, "add row", `name="skus.1.spec"`, `value="veg-1"`)
		form.Del("op")
		form.Set("name", "有机小白菜")
		form.Set("skus.0.price_fen", "12.80")
		form.Set("sku_count", "2")
		form.Set("skus.1.spec", "1kg")
		form.Set("skus.1.price_fen", "24")
		form.Set("skus.1.list_price_fen", "20")
		r = webtest.Want(t, b.Post("/merchant/shops/"+sh.ID+"/products", form), 400, "list below price")
		webtest.Contains(t, r, "list below price", "划线价不能低于售价")
		form.Set("op", "remove_sku:1")
		r = webtest.Want(t, b.Post("/merchant/shops/"+sh.ID+"/products", form), 200, "remove row")
		webtest.Lacks(t, r, "remove row", `name="skus.1.spec"`)
		form.Del("op")
		form.Set("sku_count", "1")
		r = webtest.Want(t, b.Post("/merchant/shops/"+sh.ID+"/products", form), http.StatusSeeOther, "create")
		path := strings.TrimPrefix(r.Location(), "/t/"+m.Tenant.Slug)
		if !strings.HasPrefix(path, "/merchant/products/") {
			t.Fatalf("created: Location %q", r.Location())
		}
		id := strings.TrimPrefix(path, "/merchant/products/")
		r = webtest.Want(t, b.Get(path), 200, "edit")
		webtest.Contains(t, r, "edit", `value="有机小白菜"`, `value="12.80"`, `value="VEG-1"`, "保质期: 3天", "在售", "/s/yuelu-veg/p/"+id)

		pngImage := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
		webtest.Want(t, b.Upload(path+"/images", "a.png", "image/png", pngImage), http.StatusSeeOther, "upload")
		r = webtest.Want(t, b.Upload(path+"/images", "a.html", "text/html", []byte("<html>")), 400, "bad upload")
		webtest.Contains(t, r, "bad upload", "只支持 PNG、JPEG、WebP 图片")
		r = webtest.Want(t, b.Get(path), 200, "edit with image")
		webtest.Contains(t, r, "edit with image", "/uploads/"+sh.ID+"/p-"+id+"-", "封面")

		form.Set("skus.0.id", "")
		form.Set("name", "有机小白菜（精品）")
		webtest.Want(t, b.Post(path, form), http.StatusSeeOther, "save")
		r = webtest.Want(t, b.Get("/merchant/shops/"+sh.ID+"/products?status=active"), 200, "active list")
		webtest.Contains(t, r, "active list", "有机小白菜（精品）", "¥12.80", `class="on"`)

		webtest.Want(t, b.Post(path+"/archive", url.Values{"back": {"list"}}), http.StatusSeeOther, "archive")
		r = webtest.Want(t, b.Get("/merchant/shops/"+sh.ID+"/products?status=active"), 200, "active after archive")
		webtest.Lacks(t, r, "active after archive", "有机小白菜（精品）")
		webtest.Contains(t, r, "active after archive", "商品已下架")
		r = webtest.Want(t, b.Get("/merchant/shops/"+sh.ID+"/products?status=archived"), 200, "archived list")
		webtest.Contains(t, r, "archived list", "有机小白菜（精品）", "恢复为草稿")
		webtest.Want(t, b.Post(path+"/restore", nil), http.StatusSeeOther, "restore")

		for _, p := range []string{"/merchant/shops/" + sh.ID + "/products", "/merchant/shops/" + sh.ID + "/products?status=draft",
			"/merchant/shops/" + sh.ID + "/products/new", path} {
			for _, lang := range []string{"zh-CN", "en"} {
				sep := "?"
				if strings.Contains(p, "?") {
					sep = "&"
				}
				what := p + " " + lang
				r := webtest.Want(t, b.Get(p+sep+"lang="+lang), 200, what)
				webtest.Contains(t, r, what, `<html lang="`+lang+`">`, "</html>")
				if k := untranslatedProduct.FindString(r.Body); k != "" {
					t.Errorf("%s: untranslated key %q", what, k)
				}
			}
		}

		// Another shop's owner and a shopper do not see it; a tenant admin may.
		other := m.Account("李经理", "", "")
		m.Shop(other, "wangcheng-rice", "望城稻香米油", m.Yuelu)
		ob := m.SignedIn(other)
		webtest.Want(t, ob.Get(path), 404, "other owner")
		webtest.Want(t, ob.Get("/merchant/shops/"+sh.ID+"/products"), 404, "other owner's list")
		webtest.Want(t, ob.Post(path+"/archive", nil), 404, "other owner archives")
		admin, _ := m.User("admin", authz.TenantAdmin, authz.TenantDomain(m.Tenant.ID))
		webtest.Want(t, admin.Get(path), 200, "tenant admin")
	})
}
