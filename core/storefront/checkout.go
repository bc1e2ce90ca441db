package storefront

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/cart"
	"github.com/jishi-dev/jishi/core/checkout"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/payment"
	"github.com/jishi-dev/jishi/core/promo"
	"github.com/jishi-dev/jishi/core/web"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// maxFormShops bounds the shops.{i}.* fields read from a checkout form
// (a cart holds at most cart.MaxLines lines, so at most as many shops).
const maxFormShops = cart.MaxLines

// The checkout form's actions.
const (
	actionQuote = "quote"
	actionPlace = "place"
)

// checkoutData is the checkout page.
type checkoutData struct {
	Regions []regionOption
	Region  string
	// NeedRegion: no region chosen yet, so nothing can be quoted.
	NeedRegion bool
	// Blocked: the cart cannot be checked out as it stands (a line out of
	// stock, over its limit or no longer sold); the page sends the
	// shopper back to the cart.
	Blocked bool
	Shops   []*checkoutShopView
	Applied []appliedView
	// Totals of the quote shown.
	Subtotal, Discount, Shipping, ShippingDiscount, Total string
	HasDiscount, HasShippingDiscount                      bool
	TotalFen                                              int64
	Complete                                              bool
	// Key is the idempotency key of the place button, new with every
	// rendering of the page.
	Key string
	// Balance is the shopper's 惠农通 balance; Short when it does not
	// cover the total.
	Balance string
	Short   bool
	// Stripe: the marketplace takes card, Alipay and WeChat Pay through
	// Stripe; Methods names them.
	Stripe  bool
	Methods string
	// Changed is the note shown when the total changed since the shopper
	// confirmed it.
	Changed string
	// Errors are the form's errors that belong to no field shown.
	Errors []string
	// Buy are the hidden fields of a buy-now checkout (one SKU, with the
	// attributes a plugin's page set), which buys that line instead of
	// the cart.
	Buy []hiddenField
}

// checkoutShopView is one shop's part of the checkout.
type checkoutShopView struct {
	Index              int
	ShopID, Name, Slug string
	// Field is the prefix of the shop's fields: "shops.0".
	Field   string
	Lines   []checkoutLineView
	Options []optionView
	Applied []appliedView
	Offers  []string
	// Promise is what the chosen delivery promises, once it is priced.
	Promise                                                                    string
	Subtotal, Discount, Shipping, ShippingDiscount, Total                      string
	HasDiscount, HasShippingDiscount                                           bool
	MethodError, SlotError, PointError                                         string
	MethodField, SlotField, PointField, ShopField, SlotSelectID, PointSelectID string
}

// optionView is one delivery method a shop offers.
type optionView struct {
	Method, Name, Fee, Promise string
	Checked                    bool
	Slots                      []choiceView
	Points                     []choiceView
}

// choiceView is a slot or pickup point to choose.
type choiceView struct {
	ID, Label string
	Selected  bool
	Disabled  bool
}

// checkoutLineView is one line of a shop.
type checkoutLineView struct {
	Name, Spec                   string
	Qty                          int
	Unit, Label, Subtotal, Total string
	Discounts                    []appliedView
	Error                        string
	HasDiscount                  bool
	DiscountText                 string
}

// appliedView is a discount: its label and amount.
type appliedView struct {
	Kind, Label, Amount string
}

// checkoutPage is GET /checkout: the signed-in shopper's cart quoted for
// their region, each shop with its delivery options (the first one
// chosen), the contact fields filled from the account, 货到付款 chosen.
func (s *site) checkoutPage(w http.ResponseWriter, r *http.Request) {
	if _, err := s.a.Cart.Request(w, r); err != nil { // a visitor's cart left in the browser joins first
		httpx.Error(w, r, err)
		return
	}
	f := web.NewForm(map[string]string{"provider": payment.ProviderOffline})
	ctx := r.Context()
	p := web.Principal(r)
	var c *cart.Cart
	err := s.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var err error
		if c, err = s.a.Cart.Load(ctx, tx, cart.Ref{UserID: p.UserID}); err != nil {
			return err
		}
		u, err := s.a.Identity.UserByID(ctx, tx, p.UserID)
		if err != nil {
			return err
		}
		f.Values.Set("recipient", u.Name)
		if u.Phone != nil {
			f.Values.Set("phone", *u.Phone)
		}
		return nil
	})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	buyNow(f, r.URL.Query())
	if len(c.Lines) == 0 && f.Get("buy.sku") == "" {
		web.SetFlash(w, web.FlashInfo, "sf.checkout.flash.cart_empty")
		web.Redirect(w, r, "/cart")
		return
	}
	region := c.RegionID
	if region == "" {
		region, _ = shopperRegion(r)
	}
	f.Values.Set("region_id", region)
	s.checkout(w, r, f, "")
}

// checkoutPost is POST /checkout: action=quote re-quotes the form;
// action=place places the order with the page's idempotency key and the
// total the shopper saw (expected_total_fen), then sends the browser to
// the checkout group's page. The same key placed twice (a double click, a
// resubmission) lands on the same group.
func (s *site) checkoutPost(w http.ResponseWriter, r *http.Request) {
	f := web.FormOf(r)
	action := f.Get("action")
	if action != actionPlace {
		action = actionQuote
	}
	s.checkout(w, r, f, action)
}

// checkout quotes (and with action place, places) the form f and shows
// the page.
func (s *site) checkout(w http.ResponseWriter, r *http.Request, f *web.Form, action string) {
	ctx := r.Context()
	locale := i18n.FromContext(ctx)
	p := web.Principal(r)
	regions, err := s.regionOptions(ctx)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d := &checkoutData{Regions: regions, Key: tenants.NewID()}
	buy := buyLines(f)
	for k, vs := range f.Values {
		if strings.HasPrefix(k, "buy.") && len(vs) > 0 && buy != nil {
			d.Buy = append(d.Buy, hiddenField{k, vs[0]})
		}
	}
	slices.SortFunc(d.Buy, func(a, b hiddenField) int { return strings.Compare(a.Name, b.Name) })
	status := http.StatusOK

	// The region: the form's (on the first view, the cart's or the one
	// chosen on other pages).
	region := strings.TrimSpace(f.Get("region_id"))
	posted := region != "" && action != ""
	known := slices.ContainsFunc(regions, func(o regionOption) bool { return o.ID == region })
	if !known {
		if posted {
			status = http.StatusBadRequest
			setFieldError(f, "region_id", i18n.T(locale, "checkout.field.unknown_region"))
		} else if action == actionPlace {
			status = http.StatusBadRequest
			setFieldError(f, "region_id", i18n.T(locale, "field.required"))
		}
		region = ""
	}
	f.Values.Set("region_id", region)
	d.Region = region
	if region == "" {
		d.NeedRegion = true
		s.renderCheckout(w, r, status, f, d)
		return
	}

	if action == actionPlace {
		// Placed as posted, before anything else: a second post of the
		// same page (its cart is gone by then) replays the first.
		in, shopIDs := placeInput(f)
		in.Lines = buy
		placed, err := s.a.Checkout.Place(ctx, p, f.Get("idempotency_key"), in)
		if err == nil {
			web.SetFlash(w, web.FlashSuccess, "sf.checkout.flash.placed")
			web.Redirect(w, r, "/orders/group/", placed.Group.ID)
			return
		}
		st, ok := f.Fail(r, err)
		if !ok {
			httpx.Error(w, r, err)
			return
		}
		status = st
		if _, changed := f.Errors["expected_total_fen"]; changed && core.ErrorCode(err) == core.Conflict {
			d.Changed = f.Message
			f.Message = ""
			delete(f.Errors, "expected_total_fen")
		}
		byShopID(f, shopIDs)
	}

	// The cart's shops and what each offers to the region.
	bare, err := s.a.Checkout.Quote(ctx, p, checkout.Input{RegionID: region, Lines: buy})
	if err != nil {
		if e := (*core.Error)(nil); errors.As(err, &e) && e.Message == "checkout.error.cart_empty" {
			web.SetFlash(w, web.FlashInfo, "sf.checkout.flash.cart_empty")
			web.Redirect(w, r, "/cart")
			return
		}
		st, ok := f.Fail(r, err)
		if !ok {
			httpx.Error(w, r, err)
			return
		}
		// The cart's lines cannot be checked out as they stand.
		d.Blocked = true
		s.lineErrors(ctx, p, f, d, nil)
		s.renderCheckout(w, r, st, f, d)
		return
	}

	in, formIdx := checkoutInput(f, bare)
	in.Lines = buy
	q, err := s.a.Checkout.Quote(ctx, p, in)
	if err != nil {
		// Priced without what was refused (contact fields, coupons), the
		// page still shows the shops' delivery and totals.
		lax := in
		lax.Recipient, lax.Phone, lax.Address, lax.Coupons = "", "", "", nil
		q2, err2 := s.a.Checkout.Quote(ctx, p, lax)
		if status == http.StatusOK {
			st, ok := f.Fail(r, err)
			if !ok {
				httpx.Error(w, r, err)
				return
			}
			status = st
		}
		q = bare
		if err2 == nil {
			q = q2
		}
	}
	remapErrors(f, bare, formIdx)
	s.lineErrors(ctx, p, f, d, q)
	d.fill(locale, q, f)
	if b, err := s.a.Payments.Balance.Mine(ctx, p); err == nil {
		d.Balance = yuan(b.BalanceFen)
		d.Short = b.BalanceFen < q.TotalFen
		d.Stripe, d.Methods = s.stripeMethods(ctx)
	} else {
		httpx.Error(w, r, err)
		return
	}
	s.renderCheckout(w, r, status, f, d)
}

func (s *site) renderCheckout(w http.ResponseWriter, r *http.Request, status int, f *web.Form, d *checkoutData) {
	d.Errors = append(d.Errors, unshownErrors(f, d)...)
	s.render(w, r, status, "checkout", &web.Page{
		Title: i18n.T(i18n.FromContext(r.Context()), "sf.checkout.title"), Area: web.AreaStorefront, Nav: "cart",
		Console: s.console(r), Form: f, Data: d,
	})
}

// setFieldError records msg on field name of f.
func setFieldError(f *web.Form, name, msg string) {
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	f.Errors[name] = msg
}

// parseFen reads a whole number of fen; nil for anything else (the
// service then asks for it).
func parseFen(v string) *int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return nil
	}
	return &n
}

// splitCoupons reads the coupon field: codes separated by spaces or
// commas (half- or full-width).
func splitCoupons(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool {
		return r == ',' || r == '，' || r == '、' || r == ';' || r == '；' || r == ' ' || r == '\t' || r == '　'
	})
}

// placeInput reads the form as posted into a place request (the cart's
// lines): the same page posted twice is the same request. shopIDs[k] is
// the shop of the request's choice k.
func placeInput(f *web.Form) (in checkout.Input, shopIDs []string) {
	in = checkout.Input{
		RegionID: f.Get("region_id"), Recipient: f.Get("recipient"), Phone: f.Get("phone"), Address: f.Get("address"),
		Provider: f.Get("provider"), Coupons: splitCoupons(f.Get("coupon")), ExpectedTotalFen: parseFen(f.Get("expected_total_fen")),
	}
	for i := 0; i < maxFormShops; i++ {
		pre := "shops." + strconv.Itoa(i) + "."
		if _, ok := f.Values[pre+"shop_id"]; !ok {
			break
		}
		c := checkout.ShopChoice{ShopID: f.Get(pre + "shop_id"), Method: f.Get(pre + "method")}
		switch c.Method {
		case "":
			continue
		case fulfil.MethodScheduled:
			c.SlotID = f.Get(pre + "slot_id")
		case fulfil.MethodPickup:
			c.PickupPointID = f.Get(pre + "pickup_point_id")
		}
		in.Shops = append(in.Shops, c)
		shopIDs = append(shopIDs, c.ShopID)
	}
	return in, shopIDs
}

// byShopID renames the errors on a place request's choices
// ("shops.{k}.…") after their shop ("shops.{shop id}.…"), which
// remapErrors turns into the shop's index on the page.
func byShopID(f *web.Form, shopIDs []string) {
	for k, msg := range f.Errors {
		rest, ok := strings.CutPrefix(k, "shops.")
		if !ok {
			continue
		}
		idx, field, _ := strings.Cut(rest, ".")
		if n, err := strconv.Atoi(idx); err == nil && n >= 0 && n < len(shopIDs) {
			delete(f.Errors, k)
			f.Errors["shops."+shopIDs[n]+"."+field] = msg
		}
	}
}

// checkoutInput reads the form into a checkout request for the shops of
// bare (the cart's, in its order): each shop's posted choice
// (shops.{i}.shop_id names the shop, so a form rendered before the cart
// changed still applies), or for a shop without one its first option.
// The form's values are rewritten to the shops' order; formIdx maps the
// index of a request's choice to the shop's index on the page.
func checkoutInput(f *web.Form, bare *checkout.Quote) (checkout.Input, []int) {
	posted := map[string]checkout.ShopChoice{}
	for i := 0; i < maxFormShops; i++ {
		pre := "shops." + strconv.Itoa(i) + "."
		id, ok := f.Values[pre+"shop_id"]
		if !ok {
			break
		}
		c := checkout.ShopChoice{ShopID: strings.TrimSpace(strings.Join(id, "")), Method: f.Get(pre + "method"),
			SlotID: f.Get(pre + "slot_id"), PickupPointID: f.Get(pre + "pickup_point_id")}
		posted[c.ShopID] = c
		for _, k := range []string{"shop_id", "method", "slot_id", "pickup_point_id"} {
			f.Values.Del(pre + k)
		}
	}
	in := checkout.Input{
		RegionID: f.Get("region_id"), Recipient: f.Get("recipient"), Phone: f.Get("phone"), Address: f.Get("address"),
		Provider: f.Get("provider"), Coupons: splitCoupons(f.Get("coupon")),
	}
	var formIdx []int
	for i, sq := range bare.Shops {
		c := posted[sq.ShopID]
		c.ShopID = sq.ShopID
		if c.Method == "" && len(sq.Options) > 0 {
			c.Method = sq.Options[0].Method
		}
		if k := slices.IndexFunc(sq.Options, func(o fulfil.Option) bool { return o.Method == c.Method }); k >= 0 {
			o := sq.Options[k]
			if c.Method == fulfil.MethodScheduled && c.SlotID == "" {
				if j := slices.IndexFunc(o.Slots, func(sl *fulfil.Slot) bool { return sl.Remaining > 0 }); j >= 0 {
					c.SlotID = o.Slots[j].ID
				}
			}
			if c.Method == fulfil.MethodPickup && c.PickupPointID == "" && len(o.PickupPoints) > 0 {
				c.PickupPointID = o.PickupPoints[0].ID
			}
		}
		pre := "shops." + strconv.Itoa(i) + "."
		f.Values.Set(pre+"shop_id", c.ShopID)
		f.Values.Set(pre+"method", c.Method)
		f.Values.Set(pre+"slot_id", c.SlotID)
		f.Values.Set(pre+"pickup_point_id", c.PickupPointID)
		if c.Method == "" {
			continue // the shop offers nothing to the region: the service says so
		}
		if c.Method != fulfil.MethodScheduled {
			c.SlotID = ""
		}
		if c.Method != fulfil.MethodPickup {
			c.PickupPointID = ""
		}
		in.Shops = append(in.Shops, c)
		formIdx = append(formIdx, i)
	}
	return in, formIdx
}

// remapErrors renames the service's field errors to the page's fields:
// a request choice's index to the shop's index on the page (and a shop id
// to its index), every coupon to the coupon field.
func remapErrors(f *web.Form, bare *checkout.Quote, formIdx []int) {
	if len(f.Errors) == 0 {
		return
	}
	out := make(map[string]string, len(f.Errors))
	for k, msg := range f.Errors {
		switch {
		case strings.HasPrefix(k, "shops."):
			rest := strings.TrimPrefix(k, "shops.")
			key, field, _ := strings.Cut(rest, ".")
			if n, err := strconv.Atoi(key); err == nil {
				if n >= 0 && n < len(formIdx) {
					k = "shops." + strconv.Itoa(formIdx[n]) + "." + field
				}
			} else if i := slices.IndexFunc(bare.Shops, func(sq *checkout.ShopQuote) bool { return sq.ShopID == key }); i >= 0 {
				k = "shops." + strconv.Itoa(i) + "." + field
			}
		case k == "coupons" || strings.HasPrefix(k, "coupons."):
			k = "coupon"
		}
		out[k] = msg
	}
	f.Errors = out
}

// lineErrors moves the errors on the cart's lines ("lines.{i}.qty", in
// the cart's order) to the lines shown, naming the product in the list
// above the form when the line is not shown.
func (s *site) lineErrors(ctx context.Context, p *identity.Principal, f *web.Form, d *checkoutData, q *checkout.Quote) {
	var keys []string
	for k := range f.Errors {
		if strings.HasPrefix(k, "lines.") {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return
	}
	var c *cart.Cart
	err := s.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		c, err = s.a.Cart.Load(ctx, tx, cart.Ref{UserID: p.UserID})
		return err
	})
	if err != nil {
		c = &cart.Cart{}
	}
	names := map[string]string{}
	if q != nil {
		for _, sq := range q.Shops {
			for _, l := range sq.Lines {
				names[l.SKUID] = strings.TrimSpace(l.Name + " " + l.Spec)
			}
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		msg := f.Errors[k]
		delete(f.Errors, k)
		idx, _, _ := strings.Cut(strings.TrimPrefix(k, "lines."), ".")
		n, err := strconv.Atoi(idx)
		if err == nil && n >= 0 && n < len(c.Lines) {
			if q != nil {
				f.Errors["line."+c.Lines[n].SKUID] = msg
				continue
			}
			if name := names[c.Lines[n].SKUID]; name != "" {
				msg = name + "：" + msg
			}
		}
		d.Errors = append(d.Errors, msg)
	}
}

// fill builds the page from quote q and form f.
func (d *checkoutData) fill(locale string, q *checkout.Quote, f *web.Form) {
	d.Subtotal, d.Discount, d.Shipping = yuan(q.SubtotalFen), yuan(q.DiscountFen), yuan(q.ShippingFen)
	d.ShippingDiscount, d.Total, d.TotalFen = yuan(q.ShippingDiscountFen), yuan(q.TotalFen), q.TotalFen
	d.HasDiscount, d.HasShippingDiscount, d.Complete = q.DiscountFen > 0, q.ShippingDiscountFen > 0, q.Complete
	d.Applied = appliedViews(q.Applied)
	free := i18n.T(locale, "sf.product.free")
	for i, sq := range q.Shops {
		pre := "shops." + strconv.Itoa(i) + "."
		sv := &checkoutShopView{Index: i, ShopID: sq.ShopID, Name: sq.ShopName, Slug: sq.ShopSlug, Field: "shops." + strconv.Itoa(i),
			Subtotal: yuan(sq.SubtotalFen), Discount: yuan(sq.DiscountFen), Shipping: yuan(sq.ShippingFen),
			ShippingDiscount: yuan(sq.ShippingDiscountFen), Total: yuan(sq.TotalFen),
			HasDiscount: sq.DiscountFen > 0, HasShippingDiscount: sq.ShippingDiscountFen > 0,
			Applied:     appliedViews(sq.Applied),
			MethodField: pre + "method", SlotField: pre + "slot_id", PointField: pre + "pickup_point_id", ShopField: pre + "shop_id",
			SlotSelectID: "slot-" + strconv.Itoa(i), PointSelectID: "point-" + strconv.Itoa(i),
			MethodError: f.Error(pre + "method"), SlotError: f.Error(pre + "slot_id"), PointError: f.Error(pre + "pickup_point_id"),
		}
		if sq.ShippingFen == 0 && sq.Delivery != nil {
			sv.Shipping = free
		}
		if sq.Delivery != nil {
			sv.Promise = sq.Delivery.Promise.Text
		}
		for _, o := range sq.Offers {
			if !o.Qualified && o.ShortFen > 0 {
				sv.Offers = append(sv.Offers, i18n.T(locale, "sf.checkout.offer_short", o.Label, yuan(o.ShortFen)))
			}
		}
		method, slot, point := f.Get(pre+"method"), f.Get(pre+"slot_id"), f.Get(pre+"pickup_point_id")
		for _, o := range sq.Options {
			ov := optionView{Method: o.Method, Name: i18n.T(locale, "sf.method."+o.Method), Promise: o.Promise.Text,
				Fee: free, Checked: o.Method == method}
			if o.FeeFen > 0 {
				ov.Fee = yuan(o.FeeFen)
			}
			for _, sl := range o.Slots {
				ov.Slots = append(ov.Slots, choiceView{ID: sl.ID, Selected: sl.ID == slot, Disabled: sl.Remaining <= 0,
					Label: i18n.T(locale, "sf.checkout.slot", sl.Date, sl.Start, sl.End, sl.Remaining)})
			}
			for _, pt := range o.PickupPoints {
				label := pt.Name + " · " + pt.Address
				if pt.Hours != "" {
					label += " · " + pt.Hours
				}
				ov.Points = append(ov.Points, choiceView{ID: pt.ID, Label: label, Selected: pt.ID == point})
			}
			sv.Options = append(sv.Options, ov)
		}
		for _, l := range sq.Lines {
			lv := checkoutLineView{Name: l.Name, Spec: l.Spec, Qty: l.Qty, Unit: yuan(l.UnitFen),
				Label: priceLabelText(locale, l.PriceLabel), Subtotal: yuan(l.SubtotalFen), Total: yuan(l.TotalFen),
				Discounts: allocationViews(l.Allocations), HasDiscount: l.DiscountFen > 0, DiscountText: yuan(l.DiscountFen),
				Error: f.Error("line." + l.SKUID)}
			sv.Lines = append(sv.Lines, lv)
		}
		d.Shops = append(d.Shops, sv)
	}
}

func appliedViews(as []promo.Applied) []appliedView {
	out := make([]appliedView, 0, len(as))
	for _, a := range as {
		out = append(out, appliedView{Kind: a.Kind, Label: a.Label, Amount: yuan(a.AmountFen)})
	}
	return out
}

func allocationViews(as []promo.Allocation) []appliedView {
	out := make([]appliedView, 0, len(as))
	for _, a := range as {
		out = append(out, appliedView{Kind: a.Kind, Label: a.Label, Amount: yuan(a.AmountFen)})
	}
	return out
}

// shownFields are the checkout page's own fields (those whose errors
// show next to them).
var shownFields = []string{"region_id", "recipient", "phone", "address", "coupon", "provider"}

// unshownErrors are the errors of f that no field of the page shows.
func unshownErrors(f *web.Form, d *checkoutData) []string {
	var out []string
	for k, msg := range f.Errors {
		if slices.Contains(shownFields, k) {
			continue
		}
		if strings.HasPrefix(k, "line.") && !d.Blocked && len(d.Shops) > 0 {
			shown := false
			for _, sv := range d.Shops {
				for _, l := range sv.Lines {
					shown = shown || l.Error == msg
				}
			}
			if shown {
				continue
			}
		}
		if strings.HasPrefix(k, "shops.") && !d.NeedRegion {
			idx, field, _ := strings.Cut(strings.TrimPrefix(k, "shops."), ".")
			if n, err := strconv.Atoi(idx); err == nil && n < len(d.Shops) &&
				(field == "method" || field == "slot_id" || field == "pickup_point_id") {
				continue
			}
		}
		out = append(out, msg)
	}
	slices.Sort(out)
	return out
}

// buyNow copies a buy-now link's query (sku, qty, attr.{plugin}.{name})
// into the form's hidden buy.* fields.
func buyNow(f *web.Form, q url.Values) {
	sku := strings.TrimSpace(q.Get("sku"))
	if sku == "" {
		return
	}
	f.Values.Set("buy.sku", sku)
	qty := strings.TrimSpace(q.Get("qty"))
	if qty == "" {
		qty = "1"
	}
	f.Values.Set("buy.qty", qty)
	for k, vs := range q {
		if name, ok := strings.CutPrefix(k, "attr."); ok && len(vs) > 0 && len(f.Values) < 64 {
			f.Values.Set("buy.attr."+name, vs[0])
		}
	}
}

// buyLines reads the buy-now line of the form, nil when the checkout buys
// the cart. A quantity that is not a number is passed as 0 for the
// service to refuse.
func buyLines(f *web.Form) []checkout.LineInput {
	sku := f.Get("buy.sku")
	if sku == "" {
		return nil
	}
	qty, _ := strconv.Atoi(f.Get("buy.qty"))
	l := checkout.LineInput{SKUID: sku, Qty: qty}
	for k, vs := range f.Values {
		if name, ok := strings.CutPrefix(k, "buy.attr."); ok && len(vs) > 0 {
			if l.Attributes == nil {
				l.Attributes = map[string]string{}
			}
			l.Attributes[name] = vs[0]
		}
	}
	return []checkout.LineInput{l}
}
