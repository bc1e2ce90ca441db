package storefront

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/cart"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/web"
	"github.com/uptrace/bun"
)

// cartCount is the number of units in the caller's cart, for the header's
// cart link.
func cartCount(p *web.Page) int { return p.CartCount }

// render writes a storefront page with the caller's cart count in its
// header.
func (s *site) render(w http.ResponseWriter, r *http.Request, status int, name string, p *web.Page) {
	p.CartCount = s.cartUnits(r)
	pages.Render(w, r, status, name, p)
}

// cartUnits counts the units in the cart of r. A visitor without a cart
// costs nothing; a failure is logged and counts 0 (the count is a part of
// the header, not the page).
func (s *site) cartUnits(r *http.Request) int {
	ref := cart.RefOf(r)
	if ref.UserID == "" && ref.Token == "" {
		return 0
	}
	var c *cart.Cart
	err := s.a.DB.RunInReadTx(r.Context(), func(ctx context.Context, tx bun.IDB) (err error) {
		c, err = s.a.Cart.Load(ctx, tx, ref)
		return err
	})
	if err != nil {
		slog.ErrorContext(r.Context(), "cart count", "err", err, "request_id", httpx.RequestID(r.Context()))
		return 0
	}
	n := 0
	for _, l := range c.Lines {
		n += l.Qty
	}
	return n
}

// yuan formats fen as "¥12.80".
func yuan(fen int64) string { return "¥" + catalog.FormatYuan(fen) }

// priceLabelText is the name of a price label (会员价, 批发价, 限时特卖).
func priceLabelText(locale, label string) string {
	if label == "" {
		return ""
	}
	return i18n.T(locale, "sf.price_label."+label)
}

// cartData is the cart page.
type cartData struct {
	Shops   []cartShopView
	Lines   int
	Units   int
	Total   string
	Regions []regionOption
	Region  string
	// Orderable: every line can be ordered as it stands.
	Orderable bool
	Changed   bool
	// Errors are the form's errors that name no line (sku_id, qty of an
	// addition, region_id).
	Errors []string
}

// cartShopView is one shop's lines.
type cartShopView struct {
	ShopID, Name, Slug string
	Subtotal           string
	Lines              []cartLineView
}

// cartLineView is one line as the page shows it.
type cartLineView struct {
	*cart.ViewLine
	Unit, List, Subtotal string
	Label                string // 会员价, 批发价, 限时特卖
	Discounted           bool
	OK                   bool
	StateText            string
	// Max is the largest quantity the line may hold (purchase limit or
	// cart.MaxQty).
	Max int
	// QtyField names the line's quantity field in the form's errors.
	QtyField string
}

// cartPage is /cart: the lines grouped by shop, their prices now and what
// changed since the shopper last saw them.
func (s *site) cartPage(w http.ResponseWriter, r *http.Request) {
	ref, err := s.a.Cart.Request(w, r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	s.showCart(w, r, http.StatusOK, ref, nil)
}

// showCart renders the cart of ref with form f (a failed change) and
// status. The region is the cart's, else the one the shopper chose on
// other pages.
func (s *site) showCart(w http.ResponseWriter, r *http.Request, status int, ref cart.Ref, f *web.Form) {
	ctx := r.Context()
	locale := i18n.FromContext(ctx)
	regions, err := s.regionOptions(ctx)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	var c *cart.Cart
	err = s.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		c, err = s.a.Cart.Load(ctx, tx, ref)
		return err
	})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	region := c.RegionID
	if region == "" {
		region, _ = shopperRegion(r)
	}
	if !slices.ContainsFunc(regions, func(o regionOption) bool { return o.ID == region }) {
		region = ""
	}
	v, err := s.a.Cart.View(ctx, ref, region)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d := &cartData{Lines: v.Lines, Units: v.Units, Total: yuan(v.TotalFen), Regions: regions, Region: v.RegionID,
		Orderable: v.Orderable, Changed: v.Changed}
	for _, g := range v.Shops {
		sv := cartShopView{ShopID: g.ShopID, Name: g.Name, Slug: g.Slug, Subtotal: yuan(g.SubtotalFen)}
		for _, l := range g.Lines {
			lv := cartLineView{ViewLine: l, Unit: yuan(l.UnitFen), List: yuan(l.ListFen), Subtotal: yuan(l.SubtotalFen),
				Label: priceLabelText(locale, l.PriceLabel), Discounted: l.ListFen > l.UnitFen, OK: l.State == cart.StateOK,
				Max: cart.MaxQty, QtyField: "qty." + l.ID}
			if l.PurchaseLimit > 0 && l.PurchaseLimit < lv.Max {
				lv.Max = l.PurchaseLimit
			}
			switch l.State {
			case cart.StateOK:
			case cart.StateShort:
				lv.StateText = i18n.T(locale, "sf.cart.state.short", l.Available)
			case cart.StateOverLimit:
				lv.StateText = i18n.T(locale, "sf.cart.state.over_limit", l.PurchaseLimit)
			default:
				lv.StateText = i18n.T(locale, "sf.cart.state."+l.State)
			}
			sv.Lines = append(sv.Lines, lv)
		}
		d.Shops = append(d.Shops, sv)
	}
	if f != nil {
		for k, msg := range f.Errors {
			if !strings.HasPrefix(k, "qty.") {
				d.Errors = append(d.Errors, msg)
			}
		}
		slices.Sort(d.Errors)
	}
	s.render(w, r, status, "cart", &web.Page{
		Title: i18n.T(locale, "sf.cart.title"), Area: web.AreaStorefront, Nav: "cart", Console: s.console(r), Form: f, Data: d,
	})
}

// formQty reads a quantity field: a whole number, "" meaning 1. Anything
// else is the cart's quantity error on field.
func formQty(v, field string) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		var fe core.FieldErrors
		fe.Add(field, "cart.field.qty_range")
		return 0, fe.Err()
	}
	return n, nil
}

// cartFailed shows the cart again with err on the form, or the error page
// for errors that are not the shopper's to fix (and NotFound: a line of
// another cart).
func (s *site) cartFailed(w http.ResponseWriter, r *http.Request, ref cart.Ref, f *web.Form, err error) {
	if core.IsNotFound(err) {
		httpx.Error(w, r, err)
		return
	}
	status, ok := f.Fail(r, err)
	if !ok {
		httpx.Error(w, r, err)
		return
	}
	s.showCart(w, r, status, ref, f)
}

// addToCart is POST /cart/lines {sku_id, qty}: the product page's
// add-to-cart form. A visitor's first addition creates the cart and its
// cookie. Back to the cart with a message; a refused addition (unknown or
// unsold SKU, bad quantity, over the limit) shows the cart with the
// reason.
func (s *site) addToCart(w http.ResponseWriter, r *http.Request) {
	f := web.FormOf(r)
	ref, err := s.a.Cart.Request(w, r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	qty, err := formQty(f.Get("qty"), "qty")
	if err == nil {
		ref, err = s.a.Cart.Add(r.Context(), ref, cart.AddInput{SKUID: f.Get("sku_id"), Qty: qty})
	}
	if err != nil {
		s.cartFailed(w, r, ref, f, err)
		return
	}
	if ref.Issued {
		s.a.Cart.SetCookie(w, ref.Token)
	}
	web.SetFlash(w, web.FlashSuccess, "sf.cart.flash.added")
	web.Redirect(w, r, "/cart")
}

// setCartQty is POST /cart/lines/{id} {qty}.
func (s *site) setCartQty(w http.ResponseWriter, r *http.Request) {
	f := web.FormOf(r)
	ref, err := s.a.Cart.Request(w, r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	id := r.PathValue("id")
	qty, err := formQty(f.Get("qty"), "qty")
	if err == nil {
		err = s.a.Cart.SetQty(r.Context(), ref, id, qty)
	}
	if err != nil {
		if status, ok := f.Fail(r, err); ok && !core.IsNotFound(err) {
			// The quantity's error goes next to the line's field.
			if msg, ok := f.Errors["qty"]; ok {
				delete(f.Errors, "qty")
				f.Errors["qty."+id] = msg
			}
			s.showCart(w, r, status, ref, f)
			return
		}
		httpx.Error(w, r, err)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "sf.cart.flash.updated")
	web.Redirect(w, r, "/cart")
}

// removeCartLine is POST /cart/lines/{id}/remove.
func (s *site) removeCartLine(w http.ResponseWriter, r *http.Request) {
	ref, err := s.a.Cart.Request(w, r)
	if err == nil {
		err = s.a.Cart.Remove(r.Context(), ref, r.PathValue("id"))
	}
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "sf.cart.flash.removed")
	web.Redirect(w, r, "/cart")
}

// emptyCart is POST /cart/empty: every line goes.
func (s *site) emptyCart(w http.ResponseWriter, r *http.Request) {
	ref, err := s.a.Cart.Request(w, r)
	if err == nil {
		err = s.a.Cart.Empty(r.Context(), ref)
	}
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "sf.cart.flash.emptied")
	web.Redirect(w, r, "/cart")
}

// setCartRegion is POST /cart/region {region_id}: availability is shown
// for that region (remembered for the product pages too); "" clears it.
func (s *site) setCartRegion(w http.ResponseWriter, r *http.Request) {
	f := web.FormOf(r)
	ref, err := s.a.Cart.Request(w, r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	region := strings.TrimSpace(f.Get("region_id"))
	ref, err = s.a.Cart.SetRegion(r.Context(), ref, region)
	if err != nil {
		s.cartFailed(w, r, ref, f, err)
		return
	}
	if ref.Issued {
		s.a.Cart.SetCookie(w, ref.Token)
	}
	s.setRegionCookie(w, region)
	web.SetFlash(w, web.FlashSuccess, "sf.cart.flash.region")
	web.Redirect(w, r, "/cart")
}
