package adminui

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/web"
	"github.com/jishi-dev/jishi/tenants"
)

// registerStock mounts the merchant console's stock: the shop's SKUs with
// the units available, their low-stock threshold and alert, the lots
// expiring soon and the receive-a-lot form; and one SKU's lots (FIFO)
// with the adjustment and threshold forms. Every route is a Resource
// route: the inventory service checks stock:manage in the shop's domain.
func (u *ui) registerStock(rt *httpx.Router) {
	h := func(method, path string, fn http.HandlerFunc) {
		rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: method, Path: path, Perm: inventory.PermManage, Resource: true, Handler: fn})
	}
	h("GET", "/merchant/shops/{id}/stock", u.stockPage)
	h("POST", "/merchant/shops/{id}/stock/lots", u.receiveLot)
	h("GET", "/merchant/shops/{id}/stock/{sku}", u.lotsPage)
	h("POST", "/merchant/shops/{id}/stock/{sku}/adjust", u.adjustLot)
	h("POST", "/merchant/shops/{id}/stock/{sku}/threshold", u.setThreshold)
}

// stockRow is one SKU of the stock page.
type stockRow struct {
	SKUID, Product, Spec, Code string
	Available, Threshold       int
	Low                        bool
}

// expiringRow is a lot expiring soon.
type expiringRow struct {
	*inventory.Lot
	SKU, Warehouse string
}

// stockData is a shop's stock page.
type stockData struct {
	Shop       *merchant.Shop
	Rows       []stockRow
	Low        int
	Expiring   []expiringRow
	Days       int
	Warehouses []option
	SKUs       []option
	Receive    *web.Form
	Pager      pager
}

// warehouseOptions lists the warehouses the shop may receive into, and
// their names by id.
func (u *ui) warehouseOptions(r *http.Request, shopID, chosen string) ([]option, map[string]string, error) {
	ws, err := u.a.Inventory.ShopWarehouses(r.Context(), web.Principal(r), shopID)
	if err != nil {
		return nil, nil, err
	}
	var opts []option
	names := map[string]string{}
	for _, wh := range ws {
		names[wh.ID] = wh.Name
		opts = append(opts, option{Value: wh.ID, Label: wh.Name, On: wh.ID == chosen})
	}
	return opts, names, nil
}

// renderStock shows the stock page with receive form f.
func (u *ui) renderStock(w http.ResponseWriter, r *http.Request, status int, f *web.Form) {
	ctx, p := r.Context(), web.Principal(r)
	shopID := r.PathValue("id")
	if f == nil {
		f = web.NewForm(map[string]string{"received_on": string(inventory.DateOf(timeNowIn(r)))})
	}
	// ShopWarehouses authorises stock:manage first.
	whs, names, err := u.warehouseOptions(r, shopID, f.Get("warehouse_id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	al, err := u.a.Inventory.Alerts(ctx, p, shopID, inventory.DefaultAlertDays)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	sh, err := u.shopByID(r, shopID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	skus, err := u.shopSKUs(r, sh.ID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	low := map[string]bool{}
	for _, l := range al.LowStock {
		low[l.SKUID] = true
	}
	d := &stockData{Shop: sh, Low: len(al.LowStock), Days: al.Days, Warehouses: whs, Receive: f}
	for _, o := range skus.Options {
		o.On = f.Get("sku_id") == o.Value
		d.SKUs = append(d.SKUs, o)
	}
	for _, l := range al.Expiring {
		d.Expiring = append(d.Expiring, expiringRow{Lot: l, SKU: skus.label(l.SKUID), Warehouse: names[l.WarehouseID]})
	}
	n, _ := pageWindow(r)
	from := min((n-1)*consolePageSize, len(skus.Rows))
	to := min(from+consolePageSize+1, len(skus.Rows))
	rows, pg := newPager(r, "/merchant/shops/"+sh.ID+"/stock", n, skus.Rows[from:to])
	d.Pager = pg
	for _, e := range rows {
		st, err := u.a.Inventory.Lots(ctx, p, sh.ID, e.SKU.ID, inventory.LotFilter{Page: merchant.Page{Limit: 1}})
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		d.Rows = append(d.Rows, stockRow{SKUID: e.SKU.ID, Product: e.Product.Name, Spec: e.SKU.Spec, Code: e.SKU.Code,
			Available: st.Available, Threshold: st.Threshold, Low: low[e.SKU.ID] || st.Threshold > 0 && st.Available < st.Threshold})
	}
	pages.Render(w, r, status, "stock", u.shopPage(r, sh, "ui.stock.title", nil, d))
}

func (u *ui) stockPage(w http.ResponseWriter, r *http.Request) {
	u.renderStock(w, r, http.StatusOK, nil)
}

// timeNowIn is now in the tenant's zone.
func timeNowIn(r *http.Request) time.Time {
	return time.Now().In(tenants.MustFromContext(r.Context()).Location())
}

// formInt reads an integer field for the inventory service: "" is 0;
// what does not parse is -1 (which the service refuses) and noted in bad.
func formInt(f *web.Form, bad map[string]string, name string) int64 {
	s := strings.TrimSpace(f.Get(name))
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		bad[name] = "inventory.field.integer"
		return -1
	}
	return n
}

// withBad puts the form's own messages (keys) on f.
func withBad(r *http.Request, f *web.Form, bad map[string]string) {
	locale := i18n.FromContext(r.Context())
	for k, key := range bad {
		if f.Errors == nil {
			f.Errors = map[string]string{}
		}
		f.Errors[k] = i18n.T(locale, key)
	}
}

// receiveLot records a receipt (the receive form) and goes to the SKU's
// lots; bad input shows the stock page with the errors and writes
// nothing.
func (u *ui) receiveLot(w http.ResponseWriter, r *http.Request) {
	shopID := r.PathValue("id")
	f := web.FormOf(r)
	bad := map[string]string{}
	in := inventory.LotInput{SKUID: f.Get("sku_id"), WarehouseID: f.Get("warehouse_id"), Quantity: formInt(f, bad, "quantity"),
		ReceivedOn: f.Get("received_on"), BestBefore: f.Get("best_before"), Producer: f.Get("producer"), Base: f.Get("base"),
		SownOn: f.Get("sown_on"), FertilisedOn: f.Get("fertilised_on"), PesticideOn: f.Get("pesticide_on"),
		HarvestedOn: f.Get("harvested_on"), ResidueTest: f.Get("residue_test"), Note: f.Get("note")}
	l, err := u.a.Inventory.Receive(r.Context(), web.Principal(r), shopID, in)
	if err != nil {
		// An unknown SKU or warehouse of a shop the caller may run is a
		// mistake in the form, not a missing page.
		if core.IsNotFound(err) {
			if _, werr := u.a.Inventory.ShopWarehouses(r.Context(), web.Principal(r), shopID); werr == nil {
				var fe core.FieldErrors
				fe.Add("sku_id", "ui.stock.unknown_sku_or_warehouse")
				err = fe.Err()
			}
		}
		status, ok := f.Fail(r, err)
		if !ok || core.ErrorCode(err) == core.NotFound || core.ErrorCode(err) == core.Forbidden {
			httpx.Error(w, r, err)
			return
		}
		withBad(r, f, bad)
		u.renderStock(w, r, status, f)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "ui.stock.flash_received")
	web.Redirect(w, r, "/merchant/shops/", shopID, "/stock/", l.SKUID)
}

// lotRow is one lot of a SKU.
type lotRow struct {
	*inventory.Lot
	Warehouse string
}

// lotsData is one SKU's lots.
type lotsData struct {
	Shop                 *merchant.Shop
	SKUID, SKU           string
	Available, Threshold int
	Low, Empty           bool
	Lots                 []lotRow
	LotOptions, Reasons  []option
	Adjust, ThresholdF   *web.Form
}

// adjustReasons are the reasons of an adjustment a shop may choose.
var adjustReasons = []string{inventory.ReasonCount, inventory.ReasonDamage, inventory.ReasonExpired, inventory.ReasonOther}

// renderLots shows the lots of SKU {sku} with the adjustment form af and
// the threshold form tf (nil for fresh ones).
func (u *ui) renderLots(w http.ResponseWriter, r *http.Request, status int, af, tf *web.Form) {
	ctx, p := r.Context(), web.Principal(r)
	locale := i18n.FromContext(ctx)
	shopID, skuID := r.PathValue("id"), r.PathValue("sku")
	empty := r.URL.Query().Get("empty") == "1"
	st, err := u.a.Inventory.Lots(ctx, p, shopID, skuID, inventory.LotFilter{Empty: empty, Page: merchant.Page{Limit: 500}})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	_, names, err := u.warehouseOptions(r, shopID, "")
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	sh, err := u.shopByID(r, shopID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	skus, err := u.shopSKUs(r, sh.ID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if af == nil {
		af = web.NewForm(map[string]string{"reason": inventory.ReasonCount})
	}
	if tf == nil {
		tf = web.NewForm(map[string]string{"threshold": strconv.Itoa(st.Threshold)})
	}
	d := &lotsData{Shop: sh, SKUID: st.SKUID, SKU: skus.label(st.SKUID), Available: st.Available, Threshold: st.Threshold,
		Low: st.Threshold > 0 && st.Available < st.Threshold, Empty: empty, Adjust: af, ThresholdF: tf}
	for _, l := range st.Lots {
		wh := names[l.WarehouseID]
		d.Lots = append(d.Lots, lotRow{Lot: l, Warehouse: wh})
		d.LotOptions = append(d.LotOptions, option{Value: l.ID, On: af.Get("lot_id") == l.ID,
			Label: string(l.ReceivedOn) + " · " + wh + " · " + i18n.T(locale, "ui.stock.on_hand_n", l.OnHand)})
	}
	for _, rs := range adjustReasons {
		d.Reasons = append(d.Reasons, option{Value: rs, Label: i18n.T(locale, "ui.stock.reason_"+rs), On: af.Get("reason") == rs})
	}
	pages.Render(w, r, status, "lots", u.shopPage(r, sh, "ui.lots.title", nil, d))
}

func (u *ui) lotsPage(w http.ResponseWriter, r *http.Request) {
	u.renderLots(w, r, http.StatusOK, nil, nil)
}

// adjustLot corrects a lot's units on hand (fields lot_id, delta, reason,
// note) and shows the SKU's lots again.
func (u *ui) adjustLot(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	shopID, skuID := r.PathValue("id"), r.PathValue("sku")
	f := web.FormOf(r)
	bad := map[string]string{}
	in := inventory.AdjustInput{LotID: f.Get("lot_id"), Delta: formInt(f, bad, "delta"), Reason: f.Get("reason"), Note: f.Get("note")}
	// The lot must be one of this SKU's.
	st, err := u.a.Inventory.Lots(ctx, p, shopID, skuID, inventory.LotFilter{Empty: true, Page: merchant.Page{Limit: 500}})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	ofSKU := false
	for _, l := range st.Lots {
		ofSKU = ofSKU || l.ID == strings.TrimSpace(in.LotID)
	}
	if !ofSKU && strings.TrimSpace(in.LotID) != "" {
		var fe core.FieldErrors
		fe.Add("lot_id", "ui.stock.lot_unknown")
		err = fe.Err()
	} else {
		_, err = u.a.Inventory.Adjust(ctx, p, shopID, in)
	}
	if err != nil {
		status, ok := f.Fail(r, err)
		if !ok || core.ErrorCode(err) == core.NotFound || core.ErrorCode(err) == core.Forbidden {
			httpx.Error(w, r, err)
			return
		}
		withBad(r, f, bad)
		u.renderLots(w, r, status, f, nil)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "ui.stock.flash_adjusted")
	web.Redirect(w, r, "/merchant/shops/", shopID, "/stock/", skuID)
}

// setThreshold sets the SKU's low-stock threshold (field threshold).
func (u *ui) setThreshold(w http.ResponseWriter, r *http.Request) {
	shopID, skuID := r.PathValue("id"), r.PathValue("sku")
	f := web.FormOf(r)
	bad := map[string]string{}
	n := formInt(f, bad, "threshold")
	if strings.TrimSpace(f.Get("threshold")) == "" {
		bad["threshold"] = "field.required"
		n = -1
	}
	if n > int64(inventory.MaxQuantity) || n < -1 {
		n = -1
	}
	if err := u.a.Inventory.SetThreshold(r.Context(), web.Principal(r), shopID, skuID, int(n)); err != nil {
		status, ok := f.Fail(r, err)
		if !ok || core.ErrorCode(err) == core.NotFound || core.ErrorCode(err) == core.Forbidden {
			httpx.Error(w, r, err)
			return
		}
		withBad(r, f, bad)
		u.renderLots(w, r, status, nil, f)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "ui.stock.flash_threshold")
	web.Redirect(w, r, "/merchant/shops/", shopID, "/stock/", skuID)
}
