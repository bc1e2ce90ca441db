package adminui

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/promo"
	"github.com/jishi-dev/jishi/core/web"
	"github.com/jishi-dev/jishi/tenants"
)

// The kinds of the promotion pages, as they appear in their paths.
const (
	promoThreshold    = promo.KindThreshold    // 满减 tiers
	promoAddon        = promo.KindAddon        // 满X+1元换购
	promoFreeShipping = promo.KindFreeShipping // 满X包邮, 单品包邮
	promoCoupon       = "coupon"
	promoFlash        = "flash"
)

// registerPromos mounts the merchant console's promotions: a shop's 满减,
// 换购 and 包邮 promotions, coupons and flash sales on one page, and the
// form of each (create, edit, deactivate) under /promotions/{kind} with
// kind threshold, addon, free_shipping, coupon or flash. Amounts are
// entered in yuan. Every route is a Resource route: the promo service
// checks promo:manage in the shop's domain. The price lists' pages
// (price:manage) are mounted with them.
func (u *ui) registerPromos(rt *httpx.Router) {
	h := func(method, path string, fn http.HandlerFunc) {
		rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: method, Path: path, Perm: promo.PermManage, Resource: true, Handler: fn})
	}
	h("GET", "/merchant/shops/{id}/promotions", u.promoList)
	h("GET", "/merchant/shops/{id}/promotions/{kind}/new", u.newPromo)
	h("POST", "/merchant/shops/{id}/promotions/{kind}", u.createPromo)
	h("GET", "/merchant/shops/{id}/promotions/{kind}/{item}", u.editPromo)
	h("POST", "/merchant/shops/{id}/promotions/{kind}/{item}", u.savePromo)
	h("POST", "/merchant/shops/{id}/promotions/{kind}/{item}/deactivate", u.deactivatePromo)
	u.registerPriceLists(rt)
}

// promoState is how a promotion stands at now: running, scheduled, ended
// or off; with its badge.
func promoState(locale string, active bool, start, end, now time.Time) (string, string) {
	switch {
	case !active:
		return i18n.T(locale, "ui.promo.state_off"), "closed"
	case now.Before(start):
		return i18n.T(locale, "ui.promo.state_scheduled"), "submitted"
	case !now.Before(end):
		return i18n.T(locale, "ui.promo.state_ended"), "withdrawn"
	}
	return i18n.T(locale, "ui.promo.state_running"), "active"
}

// promoRow is one promotion, coupon or flash sale of the list.
type promoRow struct {
	ID, Kind, Name, Rule, Window, State, Badge, Extra string
	Active                                            bool
}

// promoListData is a shop's promotions page.
type promoListData struct {
	Shop *merchant.Shop
	// Promotions are the 满减 ones; Addons the 换购, FreeShipping the 包邮.
	Promotions, Addons, FreeShipping, Coupons, Flash []promoRow
}

// window formats [start, end) in the tenant's zone.
func window(r *http.Request, start, end time.Time) string {
	return fmtTime(r, &start) + " – " + fmtTime(r, &end)
}

// tierRule is "满100.00减10.00，满200.00减30.00".
func tierRule(locale string, tiers []promo.Tier) string {
	var parts []string
	for _, x := range tiers {
		parts = append(parts, i18n.T(locale, "ui.promo.tier_rule", catalog.FormatYuan(x.MinFen), catalog.FormatYuan(x.OffFen)))
	}
	return strings.Join(parts, i18n.T(locale, "ui.promo.sep"))
}

// couponRule describes what a coupon takes off.
func couponRule(locale string, c *promo.Coupon) string {
	var s string
	if c.AmountOffFen > 0 {
		s = i18n.T(locale, "ui.promo.coupon_amount", catalog.FormatYuan(c.AmountOffFen))
	} else {
		s = i18n.T(locale, "ui.promo.coupon_percent", c.PercentOff)
		if c.MaxOffFen > 0 {
			s += i18n.T(locale, "ui.promo.sep") + i18n.T(locale, "ui.promo.coupon_cap", catalog.FormatYuan(c.MaxOffFen))
		}
	}
	if c.MinSpendFen > 0 {
		s = i18n.T(locale, "ui.promo.coupon_min", catalog.FormatYuan(c.MinSpendFen)) + s
	}
	return s
}

// addonRule is "满 99.00 元加 1.00 元换购 {SKU}".
func addonRule(locale string, pr *promo.Promotion, skus *skuIndex) string {
	sku := ""
	if pr.SKUID != nil {
		sku = skus.label(*pr.SKUID)
	}
	return i18n.T(locale, "ui.promo.addon_rule", catalog.FormatYuan(pr.ThresholdFen), catalog.FormatYuan(pr.PriceFen), sku)
}

// freeShippingRule is "满 59.00 元包邮" or "单品包邮：{product}".
func freeShippingRule(locale string, pr *promo.Promotion, skus *skuIndex) string {
	if pr.ProductID != nil {
		return i18n.T(locale, "ui.promo.free_shipping_product", skus.productLabel(*pr.ProductID))
	}
	return i18n.T(locale, "ui.promo.free_shipping_rule", catalog.FormatYuan(pr.ThresholdFen))
}

// promoKindLabel names a promotion kind.
func promoKindLabel(locale, kind string) string { return i18n.T(locale, "ui.promo.kind_"+kind) }

func (u *ui) promoList(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	locale := i18n.FromContext(ctx)
	shopID := r.PathValue("id")
	all := merchant.Page{Limit: 500}
	prs, err := u.a.Promo.Promotions(ctx, p, shopID, all)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	cps, err := u.a.Promo.Coupons(ctx, p, shopID, all)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	fss, err := u.a.Promo.FlashSales(ctx, p, shopID, all)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	sh, err := u.shopByID(r, shopID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	now := time.Now()
	skus, err := u.shopSKUs(r, sh.ID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d := &promoListData{Shop: sh}
	for _, pr := range prs {
		row := promoRow{ID: pr.ID, Kind: pr.Kind, Name: pr.Name, Window: window(r, pr.StartsAt, pr.EndsAt), Active: pr.Active}
		row.State, row.Badge = promoState(locale, pr.Active, pr.StartsAt, pr.EndsAt, now)
		switch pr.Kind {
		case promo.KindThreshold:
			row.Rule = tierRule(locale, pr.Tiers)
			d.Promotions = append(d.Promotions, row)
		case promo.KindAddon:
			row.Rule = addonRule(locale, pr, skus)
			d.Addons = append(d.Addons, row)
		case promo.KindFreeShipping:
			row.Rule = freeShippingRule(locale, pr, skus)
			d.FreeShipping = append(d.FreeShipping, row)
		default:
			// A kind this console does not know: listed, not edited.
			row.Kind = ""
			row.Rule = promoKindLabel(locale, pr.Kind)
			d.Promotions = append(d.Promotions, row)
		}
	}
	for _, c := range cps {
		row := promoRow{ID: c.ID, Kind: promoCoupon, Name: c.Code + " · " + c.Name, Rule: couponRule(locale, c),
			Window: window(r, c.StartsAt, c.EndsAt), Active: c.Active}
		row.State, row.Badge = promoState(locale, c.Active, c.StartsAt, c.EndsAt, now)
		row.Extra = i18n.T(locale, "ui.promo.used", c.UsedCount)
		if c.TotalLimit > 0 {
			row.Extra += " / " + strconv.Itoa(c.TotalLimit)
		}
		d.Coupons = append(d.Coupons, row)
	}
	for _, fs := range fss {
		row := promoRow{ID: fs.ID, Kind: promoFlash, Name: fs.Name, Rule: yuan(fs.PriceFen) + " · " + skus.label(fs.SKUID),
			Window: window(r, fs.StartsAt, fs.EndsAt), Active: fs.Active,
			Extra: i18n.T(locale, "ui.promo.sold", fs.Sold, fs.QtyCap)}
		row.State, row.Badge = promoState(locale, fs.Active, fs.StartsAt, fs.EndsAt, now)
		d.Flash = append(d.Flash, row)
	}
	pages.Render(w, r, http.StatusOK, "promos", u.shopPage(r, sh, "ui.promos.title", nil, d))
}

// skuIndex is a shop's SKUs, for selects and labels, and its products.
type skuIndex struct {
	Options []option
	Labels  map[string]string
	// Rows are the SKUs in catalog order with their product.
	Rows []skuEntry
	// Products are the shop's products (not archived ones) as options;
	// ProductLabels their names by id.
	Products      []option
	ProductLabels map[string]string
}

// skuEntry is one SKU of the shop with its product.
type skuEntry struct {
	SKU     *catalog.SKU
	Product *catalog.Product
}

func (x *skuIndex) label(id string) string {
	if s, ok := x.Labels[id]; ok {
		return s
	}
	return id
}

func (x *skuIndex) productLabel(id string) string {
	if s, ok := x.ProductLabels[id]; ok {
		return s
	}
	return id
}

// options returns opts with the one whose value is on selected.
func options(opts []option, on string) []option {
	out := make([]option, 0, len(opts))
	for _, o := range opts {
		o.On = o.Value == on
		out = append(out, o)
	}
	return out
}

// shopSKUs reads every SKU of the shop's products (not archived ones) in
// the catalog's order. The caller must have been authorised for the shop
// already; the catalog checks product:manage itself.
func (u *ui) shopSKUs(r *http.Request, shopID string) (*skuIndex, error) {
	ps, err := u.a.Catalog.Products(r.Context(), web.Principal(r), shopID, catalog.ProductFilter{})
	if err != nil {
		return nil, err
	}
	x := &skuIndex{Labels: map[string]string{}, ProductLabels: map[string]string{}}
	for _, pr := range ps {
		if pr.Status == catalog.ProductArchived {
			continue
		}
		x.ProductLabels[pr.ID] = pr.Name
		x.Products = append(x.Products, option{Value: pr.ID, Label: pr.Name})
		for _, k := range pr.SKUs {
			label := pr.Name
			if k.Spec != "" {
				label += " " + k.Spec
			}
			label += "（" + k.Code + "）"
			x.Labels[k.ID] = label
			x.Options = append(x.Options, option{Value: k.ID, Label: label + " " + yuan(k.PriceFen)})
			x.Rows = append(x.Rows, skuEntry{SKU: k, Product: pr})
		}
	}
	return x, nil
}

// promoFormData is the form of a 满减 promotion, a coupon or a flash sale
// (new when ID is "").
type promoFormData struct {
	Shop   *merchant.Shop
	Kind   string
	ID     string
	Action string
	// Tiers are the 满减 rows; their inputs are tiers.{i}.min_fen and
	// tiers.{i}.off_fen (in yuan).
	Tiers []tierRow
	// SKUs are the options of a flash sale's or an addon's SKU; Products
	// those of 单品包邮.
	SKUs     []option
	Products []option
	State    string
	Badge    string
}

// tierRow is one 满减 row of the form: the names of its inputs.
type tierRow struct {
	N        int
	Min, Off string
}

// promoTitle is the title key of the form of kind.
func promoTitle(kind string) string { return "ui.promo.title_" + kind }

// validPromoKind reports whether kind names a form.
func validPromoKind(kind string) bool {
	switch kind {
	case promoThreshold, promoAddon, promoFreeShipping, promoCoupon, promoFlash:
		return true
	}
	return false
}

// localTime is t as a datetime-local value in the tenant's zone.
func localTime(r *http.Request, t time.Time) string {
	return t.In(tenants.MustFromContext(r.Context()).Location()).Format("2006-01-02T15:04")
}

// renderPromoForm shows the form of kind for shop sh (item "" for new).
func (u *ui) renderPromoForm(w http.ResponseWriter, r *http.Request, status int, sh *merchant.Shop, kind, item, state, badge string, f *web.Form) {
	d := &promoFormData{Shop: sh, Kind: kind, ID: item, State: state, Badge: badge}
	for i := range promo.MaxTiers {
		n := strconv.Itoa(i)
		d.Tiers = append(d.Tiers, tierRow{N: i + 1, Min: "tiers." + n + ".min_fen", Off: "tiers." + n + ".off_fen"})
	}
	d.Action = "/merchant/shops/" + sh.ID + "/promotions/" + kind
	if item != "" {
		d.Action += "/" + item
	}
	if kind == promoFlash || kind == promoAddon || kind == promoFreeShipping {
		skus, err := u.shopSKUs(r, sh.ID)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		d.SKUs = options(skus.Options, f.Get("sku_id"))
		d.Products = options(skus.Products, f.Get("product_id"))
	}
	pages.Render(w, r, status, "promo_edit", u.shopPage(r, sh, promoTitle(kind), f, d))
}

// newPromo shows an empty form of {kind}: active, starting now, for a
// week.
func (u *ui) newPromo(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	kind, shopID := r.PathValue("kind"), r.PathValue("id")
	if _, err := u.a.Promo.Promotions(ctx, p, shopID, merchant.Page{Limit: 1}); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if !validPromoKind(kind) {
		httpx.Error(w, r, errNotFound)
		return
	}
	sh, err := u.shopByID(r, shopID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	now := time.Now().Truncate(time.Hour).Add(time.Hour)
	f := web.NewForm(map[string]string{"active": "1", "starts_at": localTime(r, now), "ends_at": localTime(r, now.AddDate(0, 0, 7))})
	u.renderPromoForm(w, r, http.StatusOK, sh, kind, "", "", "", f)
}

// promoForm reads the stored record item of kind into a form, with its
// state.
func (u *ui) promoForm(r *http.Request, shopID, kind, item string) (*web.Form, string, string, error) {
	ctx, p := r.Context(), web.Principal(r)
	locale := i18n.FromContext(ctx)
	now := time.Now()
	yuanOf := func(fen int64) string {
		if fen == 0 {
			return ""
		}
		return catalog.FormatYuan(fen)
	}
	active := func(b bool) string {
		if b {
			return "1"
		}
		return ""
	}
	switch kind {
	case promoThreshold, promoAddon, promoFreeShipping:
		pr, err := u.a.Promo.Promotion(ctx, p, shopID, item)
		if err != nil {
			return nil, "", "", err
		}
		if pr.Kind != kind {
			return nil, "", "", errNotFound
		}
		f := web.NewForm(map[string]string{"name": pr.Name, "starts_at": localTime(r, pr.StartsAt), "ends_at": localTime(r, pr.EndsAt),
			"active": active(pr.Active)})
		switch kind {
		case promoThreshold:
			for i, x := range pr.Tiers {
				f.Values.Set("tiers."+strconv.Itoa(i)+".min_fen", catalog.FormatYuan(x.MinFen))
				f.Values.Set("tiers."+strconv.Itoa(i)+".off_fen", catalog.FormatYuan(x.OffFen))
			}
		case promoAddon:
			f.Values.Set("threshold_fen", catalog.FormatYuan(pr.ThresholdFen))
			f.Values.Set("price_fen", catalog.FormatYuan(pr.PriceFen))
			if pr.SKUID != nil {
				f.Values.Set("sku_id", *pr.SKUID)
			}
		case promoFreeShipping:
			f.Values.Set("threshold_fen", yuanOf(pr.ThresholdFen))
			if pr.ProductID != nil {
				f.Values.Set("product_id", *pr.ProductID)
			}
		}
		state, badge := promoState(locale, pr.Active, pr.StartsAt, pr.EndsAt, now)
		return f, state, badge, nil
	case promoCoupon:
		c, err := u.a.Promo.Coupon(ctx, p, shopID, item)
		if err != nil {
			return nil, "", "", err
		}
		f := web.NewForm(map[string]string{"code": c.Code, "name": c.Name, "starts_at": localTime(r, c.StartsAt),
			"ends_at": localTime(r, c.EndsAt), "active": active(c.Active), "min_spend_fen": yuanOf(c.MinSpendFen),
			"amount_off_fen": yuanOf(c.AmountOffFen), "max_off_fen": yuanOf(c.MaxOffFen)})
		if c.PercentOff > 0 {
			f.Values.Set("percent_off", strconv.Itoa(c.PercentOff))
		}
		f.Values.Set("per_user_limit", strconv.Itoa(c.PerUserLimit))
		f.Values.Set("total_limit", strconv.Itoa(c.TotalLimit))
		state, badge := promoState(locale, c.Active, c.StartsAt, c.EndsAt, now)
		return f, state, badge, nil
	case promoFlash:
		fs, err := u.a.Promo.FlashSale(ctx, p, shopID, item)
		if err != nil {
			return nil, "", "", err
		}
		f := web.NewForm(map[string]string{"sku_id": fs.SKUID, "name": fs.Name, "starts_at": localTime(r, fs.StartsAt),
			"ends_at": localTime(r, fs.EndsAt), "active": active(fs.Active), "price_fen": catalog.FormatYuan(fs.PriceFen),
			"qty_cap": strconv.Itoa(fs.QtyCap), "per_user_limit": strconv.Itoa(fs.PerUserLimit)})
		state, badge := promoState(locale, fs.Active, fs.StartsAt, fs.EndsAt, now)
		return f, state, badge, nil
	}
	return nil, "", "", errNotFound
}

func (u *ui) editPromo(w http.ResponseWriter, r *http.Request) {
	shopID, kind, item := r.PathValue("id"), r.PathValue("kind"), r.PathValue("item")
	f, state, badge, err := u.promoForm(r, shopID, kind, item)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	sh, err := u.shopByID(r, shopID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	u.renderPromoForm(w, r, http.StatusOK, sh, kind, item, state, badge, f)
}

// promoInput reads form f of a kind: amounts in yuan, times as
// datetime-local in the tenant's zone. What does not parse is sent as -1
// (or as typed, for times) so the service refuses it, and noted in bad
// with the form's own message. rows maps the service's positions of 满减
// tiers (or price-list entries) to the form's rows (empty rows are left
// out).
type promoInput struct {
	bad  map[string]string
	rows []int
}

func (pi *promoInput) money(f *web.Form, name string) int64 {
	s := strings.TrimSpace(f.Get(name))
	if s == "" {
		return 0
	}
	fen, ok := catalog.ParseYuan(s)
	if !ok {
		pi.bad[name] = "catalog.field.money_invalid"
		return -1
	}
	return fen
}

// requiredMoney is money for a field that may not be empty: empty is
// sent as -1 and noted as required.
func (pi *promoInput) requiredMoney(f *web.Form, name string) int64 {
	if strings.TrimSpace(f.Get(name)) == "" {
		pi.bad[name] = "field.required"
		return -1
	}
	return pi.money(f, name)
}

func (pi *promoInput) number(f *web.Form, name string) int {
	s := strings.TrimSpace(f.Get(name))
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		pi.bad[name] = "catalog.field.number_invalid"
		return -1
	}
	return n
}

func (pi *promoInput) window(r *http.Request, f *web.Form) promo.Window {
	loc := tenants.MustFromContext(r.Context()).Location()
	at := func(name string) string {
		s := strings.TrimSpace(f.Get(name))
		if s == "" {
			return ""
		}
		for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
			if t, err := time.ParseInLocation(layout, s, loc); err == nil {
				return t.Format(time.RFC3339)
			}
		}
		if _, err := time.Parse(time.RFC3339, s); err == nil {
			return s
		}
		pi.bad[name] = "ui.promo.time_invalid"
		return s
	}
	return promo.Window{StartsAt: at("starts_at"), EndsAt: at("ends_at")}
}

// save creates (item "") or updates record item of kind from form f.
func (u *ui) savePromoForm(r *http.Request, shopID, kind, item string, f *web.Form, pi *promoInput) error {
	ctx, p := r.Context(), web.Principal(r)
	active := f.Get("active") != ""
	if item != "" && (kind == promoThreshold || kind == promoAddon || kind == promoFreeShipping) {
		// A promotion is saved under its own kind only: the form of one
		// kind does not turn another kind's promotion into it.
		pr, err := u.a.Promo.Promotion(ctx, p, shopID, item)
		if err != nil {
			return err
		}
		if pr.Kind != kind {
			return errNotFound
		}
	}
	switch kind {
	case promoThreshold:
		in := promo.PromotionInput{Kind: promo.KindThreshold, Name: f.Get("name"), Window: pi.window(r, f), Active: &active}
		for i := range promo.MaxTiers {
			mn, off := "tiers."+strconv.Itoa(i)+".min_fen", "tiers."+strconv.Itoa(i)+".off_fen"
			if strings.TrimSpace(f.Get(mn)) == "" && strings.TrimSpace(f.Get(off)) == "" {
				continue
			}
			in.Tiers = append(in.Tiers, promo.Tier{MinFen: pi.money(f, mn), OffFen: pi.money(f, off)})
			pi.rows = append(pi.rows, i)
		}
		if item == "" {
			_, err := u.a.Promo.CreatePromotion(ctx, p, shopID, in)
			return err
		}
		_, err := u.a.Promo.UpdatePromotion(ctx, p, shopID, item, in)
		return err
	case promoAddon, promoFreeShipping:
		in := promo.PromotionInput{Kind: kind, Name: f.Get("name"), Window: pi.window(r, f), Active: &active,
			ThresholdFen: pi.money(f, "threshold_fen")}
		if kind == promoAddon {
			in.SKUID, in.PriceFen = f.Get("sku_id"), pi.requiredMoney(f, "price_fen")
		} else {
			in.ProductID = f.Get("product_id")
			if strings.TrimSpace(in.ProductID) == "" && strings.TrimSpace(f.Get("threshold_fen")) == "" {
				pi.bad["threshold_fen"] = "ui.promo.free_shipping_either"
				in.ThresholdFen = -1
			}
		}
		if item == "" {
			_, err := u.a.Promo.CreatePromotion(ctx, p, shopID, in)
			return err
		}
		_, err := u.a.Promo.UpdatePromotion(ctx, p, shopID, item, in)
		return err
	case promoCoupon:
		in := promo.CouponInput{Code: f.Get("code"), Name: f.Get("name"), Window: pi.window(r, f), Active: &active,
			MinSpendFen: pi.money(f, "min_spend_fen"), AmountOffFen: pi.money(f, "amount_off_fen"),
			PercentOff: pi.number(f, "percent_off"), MaxOffFen: pi.money(f, "max_off_fen"),
			PerUserLimit: pi.number(f, "per_user_limit"), TotalLimit: pi.number(f, "total_limit")}
		if item == "" {
			_, err := u.a.Promo.CreateCoupon(ctx, p, shopID, in)
			return err
		}
		_, err := u.a.Promo.UpdateCoupon(ctx, p, shopID, item, in)
		return err
	case promoFlash:
		in := promo.FlashSaleInput{SKUID: f.Get("sku_id"), Name: f.Get("name"), Window: pi.window(r, f), Active: &active,
			PriceFen: pi.money(f, "price_fen"), QtyCap: pi.number(f, "qty_cap"), PerUserLimit: pi.number(f, "per_user_limit")}
		if item == "" {
			_, err := u.a.Promo.CreateFlashSale(ctx, p, shopID, in)
			return err
		}
		_, err := u.a.Promo.UpdateFlashSale(ctx, p, shopID, item, in)
		return err
	}
	return errNotFound
}

// failPromo shows the form again with err on it: the service's messages
// next to their fields (tier rows renamed to the form's rows), the form's
// own where an input did not parse.
func (u *ui) failPromo(w http.ResponseWriter, r *http.Request, shopID, kind, item string, f *web.Form, pi *promoInput, err error) {
	status, ok := f.Fail(r, err)
	if !ok || core.ErrorCode(err) == core.NotFound || core.ErrorCode(err) == core.Forbidden {
		httpx.Error(w, r, err)
		return
	}
	if len(f.Errors) > 0 {
		errs := map[string]string{}
		for k, msg := range f.Errors {
			if rest, found := strings.CutPrefix(k, "tiers."); found {
				i, field, ok := strings.Cut(rest, ".")
				n, convErr := strconv.Atoi(i)
				if ok && convErr == nil && n >= 0 && n < len(pi.rows) {
					k = "tiers." + strconv.Itoa(pi.rows[n]) + "." + field
				}
			}
			errs[k] = msg
		}
		f.Errors = errs
	}
	locale := i18n.FromContext(r.Context())
	for k, key := range pi.bad {
		if f.Errors == nil {
			f.Errors = map[string]string{}
		}
		f.Errors[k] = i18n.T(locale, key)
	}
	sh, serr := u.shopByID(r, shopID)
	if serr != nil {
		httpx.Error(w, r, serr)
		return
	}
	state, badge := "", ""
	if item != "" {
		if _, st, bd, err := u.promoForm(r, shopID, kind, item); err == nil {
			state, badge = st, bd
		}
	}
	u.renderPromoForm(w, r, status, sh, kind, item, state, badge, f)
}

func (u *ui) createPromo(w http.ResponseWriter, r *http.Request) {
	shopID, kind := r.PathValue("id"), r.PathValue("kind")
	f := web.FormOf(r)
	if !validPromoKind(kind) {
		// Let the service answer for a shop outside the caller's reach first.
		if _, err := u.a.Promo.Promotions(r.Context(), web.Principal(r), shopID, merchant.Page{Limit: 1}); err != nil {
			httpx.Error(w, r, err)
			return
		}
		httpx.Error(w, r, errNotFound)
		return
	}
	pi := &promoInput{bad: map[string]string{}}
	if err := u.savePromoForm(r, shopID, kind, "", f, pi); err != nil {
		u.failPromo(w, r, shopID, kind, "", f, pi, err)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "ui.promo.flash_created")
	web.Redirect(w, r, "/merchant/shops/", shopID, "/promotions#", kind)
}

func (u *ui) savePromo(w http.ResponseWriter, r *http.Request) {
	shopID, kind, item := r.PathValue("id"), r.PathValue("kind"), r.PathValue("item")
	f := web.FormOf(r)
	pi := &promoInput{bad: map[string]string{}}
	if err := u.savePromoForm(r, shopID, kind, item, f, pi); err != nil {
		u.failPromo(w, r, shopID, kind, item, f, pi, err)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "web.flash.saved")
	web.Redirect(w, r, "/merchant/shops/", shopID, "/promotions/", kind, "/", item)
}

// deactivatePromo ends a promotion, coupon or flash sale now: it is saved
// again as it is, inactive.
func (u *ui) deactivatePromo(w http.ResponseWriter, r *http.Request) {
	shopID, kind, item := r.PathValue("id"), r.PathValue("kind"), r.PathValue("item")
	f, _, _, err := u.promoForm(r, shopID, kind, item)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	f.Values.Del("active")
	pi := &promoInput{bad: map[string]string{}}
	if err := u.savePromoForm(r, shopID, kind, item, f, pi); err != nil {
		u.failPromo(w, r, shopID, kind, item, f, pi, err)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "ui.promo.flash_deactivated")
	web.Redirect(w, r, "/merchant/shops/", shopID, "/promotions#", kind)
}
