package adminui

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/web"
	"github.com/uptrace/bun"
)

// registerProducts mounts the merchant console's product pages: a shop's
// product list with status tabs, the product form with its SKU rows,
// images, archive and restore. Every route is a Resource route: the
// catalog service checks product:manage in the shop's domain.
func (u *ui) registerProducts(rt *httpx.Router) {
	h := func(method, path string, fn http.HandlerFunc) {
		rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: method, Path: path, Perm: catalog.PermManage, Resource: true, Handler: fn})
	}
	h("GET", "/merchant/shops/{id}/products", u.productList)
	h("GET", "/merchant/shops/{id}/products/new", u.newProduct)
	h("POST", "/merchant/shops/{id}/products", u.createProduct)
	h("GET", "/merchant/products/{id}", u.editProduct)
	h("POST", "/merchant/products/{id}", u.saveProduct)
	h("POST", "/merchant/products/{id}/archive", u.productStatus(true))
	h("POST", "/merchant/products/{id}/restore", u.productStatus(false))
	rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: "POST", Path: "/merchant/products/{id}/images", Perm: catalog.PermManage,
		Resource: true, MaxBody: 3 << 20, Handler: u.uploadProductImage})
	h("POST", "/merchant/products/{id}/images/{image}/delete", u.deleteProductImage)
	h("POST", "/merchant/products/{id}/images/{image}/cover", u.coverProductImage)
}

// productTab is one status tab of the product list.
type productTab struct {
	Label string
	Count int
	Link  string
	On    bool
}

// productRow is one product in the list.
type productRow struct {
	*catalog.Product
	Price       string
	StatusLabel string
}

// badgeKind is the badge style of a product status.
func badgeKind(status string) string {
	switch status {
	case catalog.ProductActive:
		return "active"
	case catalog.ProductDraft:
		return "submitted"
	}
	return "rejected"
}

// Badge is the row's badge style.
func (r productRow) Badge() string { return badgeKind(r.Status) }

// productListData is a shop's product list.
type productListData struct {
	Shop   *merchant.Shop
	Status string
	Query  string
	Tabs   []productTab
	Rows   []productRow
	Pager  pager
}

func yuan(fen int64) string { return "¥" + catalog.FormatYuan(fen) }

func (u *ui) productList(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	locale := i18n.FromContext(ctx)
	shopID := r.PathValue("id")
	sh, err := u.a.Catalog.ShopFor(ctx, p, shopID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	status := r.URL.Query().Get("status")
	if status != catalog.ProductDraft && status != catalog.ProductActive && status != catalog.ProductArchived {
		status = ""
	}
	query := strings.TrimSpace(r.URL.Query().Get("q"))
	counts, err := u.a.Catalog.ProductCounts(ctx, p, sh.ID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	n, win := pageWindow(r)
	ps, err := u.a.Catalog.Products(ctx, p, sh.ID, catalog.ProductFilter{Status: status, Query: query, Page: win})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	path := "/merchant/shops/" + sh.ID + "/products"
	d := &productListData{Shop: sh, Status: status, Query: query}
	total := 0
	for _, c := range counts {
		total += c
	}
	d.Tabs = append(d.Tabs, productTab{Label: i18n.T(locale, "ui.all"), Count: total, Link: path, On: status == ""})
	for _, st := range []string{catalog.ProductActive, catalog.ProductDraft, catalog.ProductArchived} {
		d.Tabs = append(d.Tabs, productTab{Label: i18n.T(locale, "catalog.status."+st), Count: counts[st],
			Link: path + "?status=" + st, On: status == st})
	}
	ps, d.Pager = newPager(r, path, n, ps)
	for _, pr := range ps {
		lo, _ := pr.PriceRange()
		price := yuan(lo)
		if len(pr.SKUs) > 1 {
			hiPrice := lo
			for _, k := range pr.SKUs {
				hiPrice = max(hiPrice, k.PriceFen)
			}
			if hiPrice != lo {
				price += " – " + yuan(hiPrice)
			}
		}
		d.Rows = append(d.Rows, productRow{Product: pr, Price: price, StatusLabel: i18n.T(locale, "catalog.status."+pr.Status)})
	}
	c, _ := web.Console(ctx, u.a, p)
	pages.Render(w, r, http.StatusOK, "products", &web.Page{
		Title: title(r, "ui.products.title") + " · " + sh.Name, Area: web.AreaMerchant, Console: c.Any(), ThemeColor: sh.ThemeColor, Data: d,
	})
}

// option is one choice of a select or a check box.
type option struct {
	Value, Label string
	On           bool
}

// optionGroup is a labelled group of options (an optgroup).
type optionGroup struct {
	Label   string
	Options []option
}

// skuRow is one SKU row of the product form; its inputs are named
// "skus.{I}.{field}" like the service's field errors.
type skuRow struct {
	I         int
	Suggested string
}

// N is the row's number, from 1.
func (s skuRow) N() int { return s.I + 1 }

// Name returns the input name of field of the row.
func (s skuRow) Name(field string) string { return "skus." + strconv.Itoa(s.I) + "." + field }

// productFormData is the product form: new (Product nil) or editing.
type productFormData struct {
	Shop       *merchant.Shop
	Product    *catalog.Product
	Action     string
	Categories []optionGroup
	Statuses   []option
	Certs      []option
	Suppliers  []option
	Rows       []skuRow
	Images     *web.Form
	// Badge and StatusLabel show the product's saved status.
	Badge, StatusLabel string
}

// skuFields are the inputs of a SKU row.
var skuFields = []string{"id", "code", "spec", "price_fen", "list_price_fen", "cost_fen", "weight_g", "barcode", "purchase_limit"}

// productForm is the form pre-filled with pr's values.
func productForm(pr *catalog.Product) *web.Form {
	f := web.NewForm(map[string]string{
		"name": pr.Name, "subtitle": pr.Subtitle, "description": pr.Description, "category_id": pr.CategoryID,
		"status": pr.Status, "origin": pr.Origin, "series": pr.Series, "sku_count": strconv.Itoa(len(pr.SKUs)),
	})
	if pr.SupplierID != nil {
		f.Values.Set("supplier_id", *pr.SupplierID)
	}
	for _, c := range pr.Certifications {
		f.Values.Add("certifications", c)
	}
	var attrs []string
	for k, v := range pr.Attributes {
		attrs = append(attrs, k+": "+v)
	}
	slices.Sort(attrs)
	f.Values.Set("attributes", strings.Join(attrs, "\n"))
	for i, k := range pr.SKUs {
		row := skuRow{I: i}
		f.Values.Set(row.Name("id"), k.ID)
		f.Values.Set(row.Name("code"), k.Code)
		f.Values.Set(row.Name("spec"), k.Spec)
		f.Values.Set(row.Name("price_fen"), catalog.FormatYuan(k.PriceFen))
		f.Values.Set(row.Name("list_price_fen"), catalog.FormatYuan(k.ListPriceFen))
		f.Values.Set(row.Name("cost_fen"), catalog.FormatYuan(k.CostFen))
		f.Values.Set(row.Name("weight_g"), strconv.Itoa(k.WeightG))
		f.Values.Set(row.Name("barcode"), k.Barcode)
		f.Values.Set(row.Name("purchase_limit"), strconv.Itoa(k.PurchaseLimit))
	}
	return f
}

// skuCount is the number of SKU rows of f (1–SKUsMax).
func skuCount(f *web.Form) int {
	n, err := strconv.Atoi(f.Get("sku_count"))
	if err != nil || n < 1 {
		n = 1
	}
	return min(n, catalog.SKUsMax)
}

// productInput reads the product form. Amounts are in yuan; what does not
// parse is sent as -1 (which the service refuses) and noted in bad, so
// the form can say why.
func productInput(f *web.Form) (catalog.ProductInput, map[string]string) {
	bad := map[string]string{}
	in := catalog.ProductInput{
		CategoryID: f.Get("category_id"), Name: f.Get("name"), Subtitle: f.Get("subtitle"), Description: f.Get("description"),
		Status: f.Get("status"), Origin: f.Get("origin"), Series: f.Get("series"), SupplierID: f.Get("supplier_id"),
		Certifications: f.Values["certifications"], Attributes: map[string]string{},
	}
	for _, line := range strings.Split(strings.ReplaceAll(f.Get("attributes"), "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(strings.Replace(line, "：", ":", 1), ":")
		if !ok {
			k, v = line, ""
		}
		in.Attributes[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	money := func(name string, optional bool) int64 {
		s := strings.TrimSpace(f.Get(name))
		if s == "" && optional {
			return 0
		}
		fen, ok := catalog.ParseYuan(s)
		if !ok {
			if s != "" {
				bad[name] = "catalog.field.money_invalid"
			}
			return -1
		}
		return fen
	}
	number := func(name string) int {
		s := strings.TrimSpace(f.Get(name))
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			bad[name] = "catalog.field.number_invalid"
			return -1
		}
		return n
	}
	for i := range skuCount(f) {
		row := skuRow{I: i}
		in.SKUs = append(in.SKUs, catalog.SKUInput{
			ID: f.Get(row.Name("id")), Code: f.Get(row.Name("code")), Spec: f.Get(row.Name("spec")),
			PriceFen: money(row.Name("price_fen"), false), ListPriceFen: money(row.Name("list_price_fen"), true),
			CostFen: money(row.Name("cost_fen"), true), WeightG: number(row.Name("weight_g")),
			Barcode: f.Get(row.Name("barcode")), PurchaseLimit: number(row.Name("purchase_limit")),
		})
	}
	return in, bad
}

// editRows applies the form's row buttons: op "add_sku" adds an empty
// row, "remove_sku:{i}" removes row i. It reports whether there was one.
func editRows(f *web.Form) bool {
	op := f.Get("op")
	n := skuCount(f)
	switch {
	case op == "add_sku":
		if n < catalog.SKUsMax {
			f.Values.Set("sku_count", strconv.Itoa(n+1))
		}
		return true
	case strings.HasPrefix(op, "remove_sku:"):
		i, err := strconv.Atoi(strings.TrimPrefix(op, "remove_sku:"))
		if err != nil || i < 0 || i >= n || n == 1 {
			return true
		}
		for j := i; j < n-1; j++ {
			from, to := skuRow{I: j + 1}, skuRow{I: j}
			for _, fl := range skuFields {
				f.Values.Set(to.Name(fl), f.Get(from.Name(fl)))
			}
		}
		last := skuRow{I: n - 1}
		for _, fl := range skuFields {
			f.Values.Del(last.Name(fl))
		}
		f.Values.Set("sku_count", strconv.Itoa(n-1))
		return true
	}
	return false
}

// renderProductForm renders the product form of shop sh (pr nil for a
// new product) with the values and errors of f.
func (u *ui) renderProductForm(w http.ResponseWriter, r *http.Request, status int, sh *merchant.Shop, pr *catalog.Product, f, images *web.Form) {
	ctx, p := r.Context(), web.Principal(r)
	locale := i18n.FromContext(ctx)
	d := &productFormData{Shop: sh, Product: pr, Images: images}
	if pr != nil {
		d.Badge, d.StatusLabel = badgeKind(pr.Status), i18n.T(locale, "catalog.status."+pr.Status)
	}
	if d.Images == nil {
		d.Images = &web.Form{}
	}
	if pr == nil {
		d.Action = "/merchant/shops/" + sh.ID + "/products"
	} else {
		d.Action = "/merchant/products/" + pr.ID
	}
	var tree []*catalog.Category
	err := u.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		tree, err = catalog.Tree(ctx, tx)
		return err
	})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	for _, c := range tree {
		g := optionGroup{Label: c.Label(locale)}
		for _, k := range c.Children {
			g.Options = append(g.Options, option{Value: k.ID, Label: k.Label(locale), On: f.Get("category_id") == k.ID})
		}
		if len(c.Children) == 0 {
			g.Options = append(g.Options, option{Value: c.ID, Label: c.Label(locale), On: f.Get("category_id") == c.ID})
		}
		d.Categories = append(d.Categories, g)
	}
	statuses := []string{catalog.ProductDraft, catalog.ProductActive}
	if f.Get("status") == catalog.ProductArchived {
		statuses = append(statuses, catalog.ProductArchived)
	}
	for _, st := range statuses {
		d.Statuses = append(d.Statuses, option{Value: st, Label: i18n.T(locale, "catalog.status."+st), On: f.Get("status") == st})
	}
	for _, c := range catalog.Certifications {
		d.Certs = append(d.Certs, option{Value: c, Label: i18n.T(locale, "catalog.cert."+c), On: f.Checked("certifications", c)})
	}
	if sh.IsFlagship {
		sups, err := u.a.Catalog.FlagshipSuppliers(ctx, p, sh.ID)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		for _, s := range sups {
			d.Suppliers = append(d.Suppliers, option{Value: s.UserID, Label: s.Name, On: f.Get("supplier_id") == s.UserID})
		}
	}
	for i := range skuCount(f) {
		row := skuRow{I: i}
		if cost, ok := catalog.ParseYuan(f.Get(row.Name("cost_fen"))); ok && cost > 0 {
			lo, hi := catalog.SuggestedPrice(cost)
			row.Suggested = i18n.T(locale, "ui.product.suggested", yuan(lo), yuan(hi))
		}
		d.Rows = append(d.Rows, row)
	}
	name := i18n.T(locale, "ui.product.new")
	if pr != nil {
		name = pr.Name
	}
	c, _ := web.Console(ctx, u.a, p)
	pages.Render(w, r, status, "products_edit", &web.Page{
		Title: name + " · " + sh.Name, Area: web.AreaMerchant, Console: c.Any(), ThemeColor: sh.ThemeColor, Form: f, Data: d,
	})
}

func (u *ui) newProduct(w http.ResponseWriter, r *http.Request) {
	sh, err := u.a.Catalog.ShopFor(r.Context(), web.Principal(r), r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	u.renderProductForm(w, r, http.StatusOK, sh, nil, web.NewForm(map[string]string{"status": catalog.ProductDraft, "sku_count": "1"}), nil)
}

func (u *ui) editProduct(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	pr, err := u.a.Catalog.Product(ctx, p, r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	sh, err := u.a.Catalog.ShopFor(ctx, p, pr.ShopID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	u.renderProductForm(w, r, http.StatusOK, sh, pr, productForm(pr), nil)
}

// failProduct shows the form again with err (and the amounts that did
// not parse) on it.
func (u *ui) failProduct(w http.ResponseWriter, r *http.Request, sh *merchant.Shop, pr *catalog.Product, f *web.Form, bad map[string]string, err error) {
	status, ok := f.Fail(r, err)
	if !ok || core.ErrorCode(err) == core.NotFound || core.ErrorCode(err) == core.Forbidden {
		httpx.Error(w, r, err)
		return
	}
	locale := i18n.FromContext(r.Context())
	for k, key := range bad {
		if f.Errors == nil {
			f.Errors = map[string]string{}
		}
		f.Errors[k] = i18n.T(locale, key)
	}
	u.renderProductForm(w, r, status, sh, pr, f, nil)
}

func (u *ui) createProduct(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	sh, err := u.a.Catalog.ShopFor(ctx, p, r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	f := web.FormOf(r)
	if editRows(f) {
		u.renderProductForm(w, r, http.StatusOK, sh, nil, f, nil)
		return
	}
	in, bad := productInput(f)
	pr, err := u.a.Catalog.Create(ctx, p, sh.ID, in)
	if err != nil {
		u.failProduct(w, r, sh, nil, f, bad, err)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "web.flash.saved")
	web.Redirect(w, r, "/merchant/products/", pr.ID)
}

func (u *ui) saveProduct(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	pr, err := u.a.Catalog.Product(ctx, p, r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	sh, err := u.a.Catalog.ShopFor(ctx, p, pr.ShopID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	f := web.FormOf(r)
	if editRows(f) {
		u.renderProductForm(w, r, http.StatusOK, sh, pr, f, nil)
		return
	}
	in, bad := productInput(f)
	if _, err := u.a.Catalog.Update(ctx, p, pr.ID, in); err != nil {
		u.failProduct(w, r, sh, pr, f, bad, err)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "web.flash.saved")
	web.Redirect(w, r, "/merchant/products/", pr.ID)
}

// productStatus archives (or restores) a product and goes back to the
// list (form field back=list) or to the product.
func (u *ui) productStatus(archive bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, p := r.Context(), web.Principal(r)
		set, flash := u.a.Catalog.Restore, "ui.product.flash_restored"
		if archive {
			set, flash = u.a.Catalog.Archive, "ui.product.flash_archived"
		}
		pr, err := set(ctx, p, r.PathValue("id"))
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		web.SetFlash(w, web.FlashSuccess, flash)
		if web.FormOf(r).Get("back") == "list" {
			web.Redirect(w, r, "/merchant/shops/", pr.ShopID, "/products?status=", url.QueryEscape(pr.Status))
			return
		}
		web.Redirect(w, r, "/merchant/products/", pr.ID)
	}
}

func (u *ui) uploadProductImage(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	id := r.PathValue("id")
	_, ctype, data, err := uploaded(r)
	if err == nil {
		_, err = u.a.Catalog.AddImage(ctx, p, id, ctype, data)
	}
	if err != nil {
		images := &web.Form{}
		status, ok := images.Fail(r, err)
		if !ok || core.ErrorCode(err) == core.NotFound || core.ErrorCode(err) == core.Forbidden {
			httpx.Error(w, r, err)
			return
		}
		pr, perr := u.a.Catalog.Product(ctx, p, id)
		if perr != nil {
			httpx.Error(w, r, perr)
			return
		}
		sh, serr := u.a.Catalog.ShopFor(ctx, p, pr.ShopID)
		if serr != nil {
			httpx.Error(w, r, serr)
			return
		}
		u.renderProductForm(w, r, status, sh, pr, productForm(pr), images)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "web.flash.image_saved")
	web.Redirect(w, r, "/merchant/products/", id, "#images")
}

func (u *ui) deleteProductImage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := u.a.Catalog.DeleteImage(r.Context(), web.Principal(r), id, r.PathValue("image")); err != nil {
		httpx.Error(w, r, err)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "ui.product.flash_image_deleted")
	web.Redirect(w, r, "/merchant/products/", id, "#images")
}

// coverProductImage moves an image to the front: it becomes the cover.
func (u *ui) coverProductImage(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	id, image := r.PathValue("id"), r.PathValue("image")
	pr, err := u.a.Catalog.Product(ctx, p, id)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	order := []string{image}
	for _, img := range pr.Images {
		if img.ID != image {
			order = append(order, img.ID)
		}
	}
	if _, err := u.a.Catalog.ReorderImages(ctx, p, id, order); err != nil {
		if core.ErrorCode(err) == core.Invalid {
			err = errNotFound
		}
		httpx.Error(w, r, err)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "web.flash.image_saved")
	web.Redirect(w, r, "/merchant/products/", id, "#images")
}

func init() {
	i18n.Add(i18n.ZH, map[string]string{
		"ui.shop.products":               "商品管理",
		"ui.products.title":              "商品管理",
		"ui.products.new":                "发布商品",
		"ui.products.filter":             "按状态筛选",
		"ui.products.none":               "没有符合条件的商品",
		"ui.products.search":             "商品名称或规格编码",
		"ui.products.search_submit":      "搜索",
		"ui.products.skus":               "%d 个规格",
		"ui.products.edit":               "编辑",
		"ui.product.new":                 "发布新商品",
		"ui.product.view":                "在店铺中查看",
		"ui.product.name":                "商品名称",
		"ui.product.subtitle":            "副标题",
		"ui.product.category":            "商品分类",
		"ui.product.category_hint":       "选择最末一级分类",
		"ui.product.choose":              "请选择",
		"ui.product.status":              "状态",
		"ui.product.origin":              "产地",
		"ui.product.series":              "系列",
		"ui.product.certifications":      "认证",
		"ui.product.supplier":            "供货商户",
		"ui.product.no_supplier":         "旗舰店自营",
		"ui.product.description":         "商品介绍",
		"ui.product.attributes":          "其他属性",
		"ui.product.attributes_hint":     "每行一项，如“保质期: 7天”，最多 20 项",
		"ui.product.skus":                "规格与价格",
		"ui.product.sku_n":               "规格 %d",
		"ui.product.spec":                "规格",
		"ui.product.code":                "规格编码",
		"ui.product.code_hint":           "本店唯一，不区分大小写；留空自动生成",
		"ui.product.price":               "售价（元）",
		"ui.product.list_price":          "划线价（元）",
		"ui.product.list_price_hint":     "不低于售价；留空同售价",
		"ui.product.cost":                "成本价（元）",
		"ui.product.cost_hint":           "仅本店可见；填写后显示建议零售价",
		"ui.product.suggested":           "建议零售价（成本 × 3 至 4）：%s – %s",
		"ui.product.weight":              "重量（克）",
		"ui.product.barcode":             "条码",
		"ui.product.limit":               "每单限购",
		"ui.product.limit_hint":          "0 为不限购",
		"ui.product.add_sku":             "添加规格",
		"ui.product.remove_sku":          "删除此规格",
		"ui.product.images":              "商品图片",
		"ui.product.cover":               "封面",
		"ui.product.make_cover":          "设为封面",
		"ui.product.delete_image":        "删除",
		"ui.product.add_image":           "上传图片",
		"ui.product.image_hint":          "PNG、JPEG 或 WebP，不超过 2 MB，最多 9 张；第一张为封面",
		"ui.product.archive":             "下架",
		"ui.product.archive_hint":        "下架后顾客看不到该商品，可随时恢复",
		"ui.product.restore":             "恢复为草稿",
		"ui.product.flash_archived":      "商品已下架",
		"ui.product.flash_restored":      "商品已恢复为草稿",
		"ui.product.flash_image_deleted": "图片已删除",
	})
	i18n.Add(i18n.EN, map[string]string{
		"ui.shop.products":               "Products",
		"ui.products.title":              "Products",
		"ui.products.new":                "New product",
		"ui.products.filter":             "Filter by status",
		"ui.products.none":               "No products match",
		"ui.products.search":             "Product name or SKU code",
		"ui.products.search_submit":      "Search",
		"ui.products.skus":               "%d SKUs",
		"ui.products.edit":               "Edit",
		"ui.product.new":                 "New product",
		"ui.product.view":                "View in the shop",
		"ui.product.name":                "Product name",
		"ui.product.subtitle":            "Subtitle",
		"ui.product.category":            "Category",
		"ui.product.category_hint":       "Choose a category of the lowest level",
		"ui.product.choose":              "Choose",
		"ui.product.status":              "Status",
		"ui.product.origin":              "Origin",
		"ui.product.series":              "Series",
		"ui.product.certifications":      "Certifications",
		"ui.product.supplier":            "Supplier",
		"ui.product.no_supplier":         "Sold by the flagship store itself",
		"ui.product.description":         "Description",
		"ui.product.attributes":          "Other attributes",
		"ui.product.attributes_hint":     "One per line, like \"Shelf life: 7 days\"; at most 20",
		"ui.product.skus":                "SKUs and prices",
		"ui.product.sku_n":               "SKU %d",
		"ui.product.spec":                "Specification",
		"ui.product.code":                "SKU code",
		"ui.product.code_hint":           "Unique in the shop, case does not count; empty makes one up",
		"ui.product.price":               "Price (yuan)",
		"ui.product.list_price":          "List price (yuan)",
		"ui.product.list_price_hint":     "At least the price; empty means the price",
		"ui.product.cost":                "Cost (yuan)",
		"ui.product.cost_hint":           "Only your shop sees it; shows the suggested retail price",
		"ui.product.suggested":           "Suggested retail price (cost × 3 to 4): %s – %s",
		"ui.product.weight":              "Weight (g)",
		"ui.product.barcode":             "Barcode",
		"ui.product.limit":               "Limit per order",
		"ui.product.limit_hint":          "0 for no limit",
		"ui.product.add_sku":             "Add a SKU",
		"ui.product.remove_sku":          "Remove this SKU",
		"ui.product.images":              "Images",
		"ui.product.cover":               "Cover",
		"ui.product.make_cover":          "Make cover",
		"ui.product.delete_image":        "Delete",
		"ui.product.add_image":           "Upload an image",
		"ui.product.image_hint":          "PNG, JPEG or WebP up to 2 MB, at most 9; the first is the cover",
		"ui.product.archive":             "Archive",
		"ui.product.archive_hint":        "Shoppers no longer see an archived product; you can restore it",
		"ui.product.restore":             "Restore as draft",
		"ui.product.flash_archived":      "The product is archived",
		"ui.product.flash_restored":      "The product is back as a draft",
		"ui.product.flash_image_deleted": "The image is deleted",
	})
}
