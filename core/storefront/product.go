package storefront

import (
	"context"
	"github.com/jishi-dev/jishi/core/pluginhost"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/web"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// productData is a product page.
type productData struct {
	Product *catalog.Product
	Shop    *merchant.Shop
	// Selling is false while the shop is suspended: no buy button then.
	Selling bool
	SKUs    []skuView
	Certs   []string
	Attrs   []string
	// Traced: some SKU has lots with traceability facts.
	Traced bool
	// Region is the shopper's region ("" when none is chosen or it is not
	// the tenant's); Promises what each delivery method promises there.
	Region   string
	Regions  []regionOption
	Promises []promiseView
	// Action is the page's own link (the region selector's target).
	Action string
	// ReturnDays is the shop's returns window (无理由退货) in days: its
	// own, else the tenant's; 0 when it takes no returns without reason.
	ReturnDays int
	// Badges and Offers are what plugins active for the shop put in the
	// product.badge and product.price slots (structured, rendered here).
	Badges, Offers []pluginhost.SlotItem
}

// skuView is one SKU with its prices formatted, whether it can be bought
// now (in the shopper's region when one is chosen) and its lots.
type skuView struct {
	*catalog.SKU
	Price, ListPrice string
	// Discounted: the list price is above the price (shown struck out).
	Discounted bool
	InStock    bool
	Lots       []inventory.PublicLot
}

// promiseView is one delivery method's promise to the shopper's region.
type promiseView struct {
	Method, Name, Text, Fee string
}

// product is a product's page at /s/{shop}/p/{id}: images, name, the
// variants table (spec, price, list price, in stock or not, an add-to-cart
// form per SKU in stock), the lots of each SKU with stock and their
// traceability facts (producer, base, growing dates, residue test,
// best-before), the delivery promise of each method for the shopper's
// region (?region=, remembered; else the one chosen before), the shop's
// returns window (7天无理由退货, or 不支持无理由退货), origin,
// certifications, attributes, description and the shop. Drafts, archived
// products, products of another shop and of pending or closed shops are
// 404; a suspended shop's products show and do not sell.
func (s *site) product(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pp, err := s.a.Catalog.PublicProduct(ctx, r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	sh, err := s.a.Merchants.StorefrontShop(ctx, r.PathValue("shop"))
	if err != nil || sh.ID != pp.ShopID {
		httpx.Error(w, r, errNotFound)
		return
	}
	locale := i18n.FromContext(ctx)
	d := &productData{Product: pp.Product, Shop: sh, Selling: pp.Selling,
		Action: web.Link(r, "/s/", sh.Slug, "/p/", pp.ID), ReturnDays: sh.ReturnsWindow(tenants.MustFromContext(ctx).Settings)}
	ids := make([]string, 0, len(pp.SKUs))
	for _, k := range pp.SKUs {
		ids = append(ids, k.ID)
	}
	region, fromQuery := shopperRegion(r)
	if d.Regions, err = s.regionOptions(ctx); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if !slices.ContainsFunc(d.Regions, func(o regionOption) bool { return o.ID == region }) {
		region = "" // another tenant's, or gone
	}
	d.Region = region
	if fromQuery {
		s.setRegionCookie(w, region)
	}
	avail, err := s.a.Inventory.AvailableMany(ctx, ids, region)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	lots, err := s.a.Inventory.PublicLots(ctx, ids)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	var stocked []string
	for _, k := range pp.SKUs {
		v := skuView{SKU: k, Price: "¥" + catalog.FormatYuan(k.PriceFen),
			ListPrice: "¥" + catalog.FormatYuan(k.ListPriceFen), Discounted: k.ListPriceFen > k.PriceFen,
			InStock: avail[k.ID] > 0, Lots: lots[k.ID]}
		if v.InStock {
			stocked = append(stocked, k.ID)
		}
		d.Traced = d.Traced || len(v.Lots) > 0
		d.SKUs = append(d.SKUs, v)
	}
	if region != "" {
		if len(stocked) == 0 {
			stocked = ids
		}
		d.Promises = s.promises(ctx, sh.ID, region, stocked)
	}
	for _, c := range pp.Certifications {
		d.Certs = append(d.Certs, i18n.T(locale, "catalog.cert."+c))
	}
	for k, v := range pp.Attributes {
		d.Attrs = append(d.Attrs, strings.TrimSpace(k+": "+v))
	}
	slices.Sort(d.Attrs)
	d.Badges, d.Offers = s.productSlots(r, sh, pp.ID)
	s.render(w, r, http.StatusOK, "product", &web.Page{
		Title: pp.Name + " · " + sh.Name, Area: web.AreaStorefront, ThemeColor: sh.ThemeColor, Console: s.console(r), Data: d,
	})
}

// promises asks fulfil what each method of shop shopID promises region for
// skuIDs now. The promise is a part of the page, not the page: a failure
// is logged and shows no promise.
func (s *site) promises(ctx context.Context, shopID, region string, skuIDs []string) []promiseView {
	if s.a.Fulfil == nil {
		return nil
	}
	var mps []fulfil.MethodPromise
	err := s.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		mps, err = s.a.Fulfil.ProductPromise(ctx, tx, shopID, region, skuIDs, s.a.Fulfil.Clock())
		return err
	})
	if err != nil {
		if code := core.ErrorCode(err); code != core.Invalid && code != core.NotFound {
			slog.ErrorContext(ctx, "product promise", "shop", shopID, "region", region, "err", err,
				"request_id", httpx.RequestID(ctx))
		}
		return nil
	}
	locale := i18n.FromContext(ctx)
	out := make([]promiseView, 0, len(mps))
	for _, m := range mps {
		fee := i18n.T(locale, "sf.product.free")
		if m.FeeFen > 0 {
			fee = "¥" + catalog.FormatYuan(m.FeeFen)
		}
		out = append(out, promiseView{Method: m.Method, Name: m.Name, Text: m.Promise.Text, Fee: fee})
	}
	return out
}

func init() {
	i18n.Add(i18n.ZH, map[string]string{
		"sf.product.specs":           "规格",
		"sf.product.plugin_offer_go": "去看看",
		"sf.product.list_price":      "划线价",
		"sf.product.origin":          "产地",
		"sf.product.certs":           "认证",
		"sf.product.details":         "商品详情",
		"sf.product.limit":           "每单限购 %d 件",
		"sf.product.weight":          "%d 克",
		"sf.product.not_selling":     "本店暂停营业，商品暂不可购买",
		"sf.product.buy_soon":        "购物车即将开放",
		"sf.product.shop":            "进入店铺",
		"sf.product.returns":         "%d天无理由退货",
		"sf.product.no_returns":      "不支持无理由退货",
	})
	i18n.Add(i18n.EN, map[string]string{
		"sf.product.specs":           "Options",
		"sf.product.plugin_offer_go": "See the offer",
		"sf.product.list_price":      "List price",
		"sf.product.origin":          "Origin",
		"sf.product.certs":           "Certifications",
		"sf.product.details":         "Details",
		"sf.product.limit":           "At most %d per order",
		"sf.product.weight":          "%d g",
		"sf.product.not_selling":     "The shop is closed for now; its products cannot be bought",
		"sf.product.buy_soon":        "The cart opens soon",
		"sf.product.shop":            "Visit the shop",
		"sf.product.returns":         "%d-day returns, no reason needed",
		"sf.product.no_returns":      "No returns without reason",
	})
}

// productSlots asks the plugins active for shop sh for the product page's
// badge and price slots, both at once.
func (s *site) productSlots(r *http.Request, sh *merchant.Shop, productID string) (badges, offers []pluginhost.SlotItem) {
	if s.a.Plugins == nil {
		return nil, nil
	}
	ctx := r.Context()
	region := ""
	if sh.RegionID != nil {
		region = *sh.RegionID
	}
	call := pluginhost.Call{Tenant: tenants.MustFromContext(ctx), RegionID: region, ShopID: sh.ID,
		RequestID: httpx.RequestID(ctx), Locale: i18n.FromContext(ctx)}
	customer := ""
	if p := web.Principal(r); p != nil {
		customer = p.UserID
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		badges = s.a.Plugins.Host.Slot(ctx, pluginhost.SlotRequest{Call: call, Slot: "product.badge", ProductID: productID, CustomerID: customer})
	}()
	offers = s.a.Plugins.Host.Slot(ctx, pluginhost.SlotRequest{Call: call, Slot: "product.price", ProductID: productID, CustomerID: customer})
	<-done
	return badges, offers
}
