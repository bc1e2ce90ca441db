package storefront

import (
	"net/http"
	"slices"
	"strings"

	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/web"
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
}

// skuView is one SKU with its prices formatted.
type skuView struct {
	*catalog.SKU
	Price, ListPrice string
	// Discounted: the list price is above the price (shown struck out).
	Discounted bool
}

// product is a product's page at /s/{shop}/p/{id}: images, name, SKUs with
// price and list price, origin, certifications, attributes, description
// and the shop. Drafts, archived products, products of another shop and
// of pending or closed shops are 404; a suspended shop's products show
// and do not sell.
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
	d := &productData{Product: pp.Product, Shop: sh, Selling: pp.Selling}
	for _, k := range pp.SKUs {
		d.SKUs = append(d.SKUs, skuView{SKU: k, Price: "¥" + catalog.FormatYuan(k.PriceFen),
			ListPrice: "¥" + catalog.FormatYuan(k.ListPriceFen), Discounted: k.ListPriceFen > k.PriceFen})
	}
	for _, c := range pp.Certifications {
		d.Certs = append(d.Certs, i18n.T(locale, "catalog.cert."+c))
	}
	for k, v := range pp.Attributes {
		d.Attrs = append(d.Attrs, strings.TrimSpace(k+": "+v))
	}
	slices.Sort(d.Attrs)
	pages.Render(w, r, http.StatusOK, "product", &web.Page{
		Title: pp.Name + " · " + sh.Name, Area: web.AreaStorefront, ThemeColor: sh.ThemeColor, Console: s.console(r), Data: d,
	})
}

func init() {
	i18n.Add(i18n.ZH, map[string]string{
		"sf.product.specs":       "规格",
		"sf.product.list_price":  "划线价",
		"sf.product.origin":      "产地",
		"sf.product.certs":       "认证",
		"sf.product.details":     "商品详情",
		"sf.product.limit":       "每单限购 %d 件",
		"sf.product.weight":      "%d 克",
		"sf.product.not_selling": "本店暂停营业，商品暂不可购买",
		"sf.product.buy_soon":    "购物车即将开放",
		"sf.product.shop":        "进入店铺",
	})
	i18n.Add(i18n.EN, map[string]string{
		"sf.product.specs":       "Options",
		"sf.product.list_price":  "List price",
		"sf.product.origin":      "Origin",
		"sf.product.certs":       "Certifications",
		"sf.product.details":     "Details",
		"sf.product.limit":       "At most %d per order",
		"sf.product.weight":      "%d g",
		"sf.product.not_selling": "The shop is closed for now; its products cannot be bought",
		"sf.product.buy_soon":    "The cart opens soon",
		"sf.product.shop":        "Visit the shop",
	})
}
