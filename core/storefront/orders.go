package storefront

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/payment"
	"github.com/jishi-dev/jishi/core/stripepay"
	"github.com/jishi-dev/jishi/core/web"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// ordersPerPage is the length of a page of the shopper's orders.
const ordersPerPage = 20

// maxOrdersPage bounds ?page= (anything else is page 1).
const maxOrdersPage = 500

// orderView is an order as the shopper's pages show it.
type orderView struct {
	*order.Order
	ShopName, ShopSlug                                              string
	StatusText, PaymentText, MethodText                             string
	Subtotal, Discount, Shipping, ShippingDiscount, Total, Refunded string
	HasDiscount, HasShippingDiscount, HasRefund                     bool
	Pickup                                                          bool
	Point                                                           *fulfil.PickupPoint
	Lines                                                           []orderLineView
	Events                                                          []eventView
	Refunds                                                         []refundView
	// CanCancel: the shopper may still cancel (awaiting payment, or paid
	// and not yet accepted by the shop).
	CanCancel bool
	Units     int
}

type orderLineView struct {
	*order.Line
	Unit, Label, Subtotal, Discount, Total, Refunded string
	Discounts                                        []appliedView
}

type eventView struct {
	At              time.Time
	To, Actor, Note string
}

type refundView struct {
	At             time.Time
	Amount, Reason string
	Whole          bool
}

// shopNames finds the names and slugs of shops by id: from the home
// page's list, else one by one.
func (s *site) shopNames(ctx context.Context, ids []string) map[string]*merchant.Shop {
	out := map[string]*merchant.Shop{}
	if t, ok := tenants.FromContext(ctx); ok {
		if shops, _, err := s.homeContent(ctx, t); err == nil {
			for _, sh := range shops {
				out[sh.ID] = sh
			}
		}
	}
	for _, id := range ids {
		if out[id] != nil {
			continue
		}
		if sh, err := s.a.Merchants.ShopByID(ctx, id); err == nil {
			out[id] = sh
		}
	}
	return out
}

// pickupPoints are the tenant's active pickup points by id.
func (s *site) pickupPoints(ctx context.Context) map[string]*fulfil.PickupPoint {
	out := map[string]*fulfil.PickupPoint{}
	pts, err := s.a.Fulfil.PublicPickupPoints(ctx, "")
	if err != nil {
		return out
	}
	for _, p := range pts {
		out[p.ID] = p
	}
	return out
}

// viewOrder builds the view of o.
func viewOrder(locale string, o *order.Order, shops map[string]*merchant.Shop, points map[string]*fulfil.PickupPoint) *orderView {
	v := &orderView{Order: o,
		StatusText: i18n.T(locale, "sf.order.status."+o.Status), PaymentText: i18n.T(locale, "sf.order.payment."+o.PaymentStatus),
		MethodText: i18n.T(locale, "sf.method."+o.DeliveryMethod),
		Subtotal:   yuan(o.SubtotalFen), Discount: yuan(o.DiscountFen), Shipping: yuan(o.ShippingFen),
		ShippingDiscount: yuan(o.ShippingDiscountFen), Total: yuan(o.TotalFen), Refunded: yuan(o.RefundedFen),
		HasDiscount: o.DiscountFen > 0, HasShippingDiscount: o.ShippingDiscountFen > 0, HasRefund: o.RefundedFen > 0,
		Pickup:    o.DeliveryMethod == order.MethodPickup,
		CanCancel: o.Status == order.StatusPendingPayment || o.Status == order.StatusPaid,
	}
	if sh := shops[o.ShopID]; sh != nil {
		v.ShopName, v.ShopSlug = sh.Name, sh.Slug
	}
	if o.PickupPointID != nil {
		v.Point = points[*o.PickupPointID]
	}
	for _, l := range o.Lines {
		lv := orderLineView{Line: l, Unit: yuan(l.UnitFen), Label: priceLabelText(locale, l.PriceLabel),
			Subtotal: yuan(l.SubtotalFen), Discount: yuan(l.DiscountFen), Total: yuan(l.TotalFen), Refunded: yuan(l.RefundedFen)}
		for _, d := range l.Discounts {
			lv.Discounts = append(lv.Discounts, appliedView{Kind: d.Kind, Label: d.Label, Amount: yuan(d.AmountFen)})
		}
		v.Lines = append(v.Lines, lv)
		v.Units += l.Qty
	}
	for _, e := range o.Events {
		v.Events = append(v.Events, eventView{At: e.At, To: i18n.T(locale, "sf.order.status."+e.To),
			Actor: i18n.T(locale, "sf.order.actor."+e.ActorRole), Note: e.Note})
	}
	for _, rf := range o.Refunds {
		v.Refunds = append(v.Refunds, refundView{At: rf.CreatedAt, Amount: yuan(rf.AmountFen), Reason: rf.Reason, Whole: rf.Whole})
	}
	return v
}

// ordersData is the shopper's order list.
type ordersData struct {
	Orders     []*orderView
	Page       int
	Prev, Next string
}

// ordersPage is GET /orders?page=: the shopper's orders, newest first,
// ordersPerPage a page.
func (s *site) ordersPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	locale := i18n.FromContext(ctx)
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page < 1 || page > maxOrdersPage {
		page = 1
	}
	os, err := s.a.Orders.MyOrders(ctx, web.Principal(r), order.Filter{
		Page: merchant.Page{Limit: ordersPerPage + 1, Offset: (page - 1) * ordersPerPage}})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d := &ordersData{Page: page}
	if len(os) > ordersPerPage {
		os = os[:ordersPerPage]
		d.Next = web.Link(r, "/orders?page=", strconv.Itoa(page+1))
	}
	if page > 1 {
		d.Prev = web.Link(r, "/orders?page=", strconv.Itoa(page-1))
	}
	ids := make([]string, len(os))
	for i, o := range os {
		ids[i] = o.ShopID
	}
	shops := s.shopNames(ctx, ids)
	for _, o := range os {
		d.Orders = append(d.Orders, viewOrder(locale, o, shops, nil))
	}
	s.render(w, r, http.StatusOK, "orders", &web.Page{
		Title: i18n.T(locale, "sf.orders.title"), Area: web.AreaStorefront, Nav: "account", Console: s.console(r), Data: d,
	})
}

// orderPage is GET /orders/{id}: one of the shopper's orders with its
// timeline, lines and discounts, delivery (pickup point and code),
// payment and refunds, and the cancel button while the shopper may
// cancel. Another shopper's order, and any other id, is 404.
func (s *site) orderPage(w http.ResponseWriter, r *http.Request) {
	s.showOrder(w, r, http.StatusOK, r.PathValue("id"), nil)
}

func (s *site) showOrder(w http.ResponseWriter, r *http.Request, status int, id string, f *web.Form) {
	ctx := r.Context()
	locale := i18n.FromContext(ctx)
	o, err := s.a.Orders.MyOrder(ctx, web.Principal(r), id)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	v := viewOrder(locale, o, s.shopNames(ctx, []string{o.ShopID}), s.pickupPoints(ctx))
	s.render(w, r, status, "order", &web.Page{
		Title: i18n.T(locale, "sf.order.title", o.Number), Area: web.AreaStorefront, Nav: "account", Console: s.console(r),
		Form: f, Data: v,
	})
}

// cancelOrder is POST /orders/{id}/cancel {reason}: the shopper cancels
// their order while it awaits payment or the shop has not accepted it;
// stock, slot, coupons and money go back. Too late: the order page again
// with the reason (409).
func (s *site) cancelOrder(w http.ResponseWriter, r *http.Request) {
	f := web.FormOf(r)
	id := r.PathValue("id")
	if _, err := s.a.Orders.CancelMine(r.Context(), web.Principal(r), id, f.Get("reason")); err != nil {
		if core.IsNotFound(err) {
			httpx.Error(w, r, err)
			return
		}
		status, ok := f.Fail(r, err)
		if !ok {
			httpx.Error(w, r, err)
			return
		}
		s.showOrder(w, r, status, id, f)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "sf.order.flash.cancelled")
	web.Redirect(w, r, "/orders/", id)
}

// groupData is a checkout group's page.
type groupData struct {
	Number, Total, Provider string
	Orders                  []*orderView
	// Stripe lets the shopper confirm the payment while it is pending
	// through Stripe (nil otherwise); Paying: pending, waiting for Stripe.
	Stripe *stripePay
	Paying bool
}

// groupPage is GET /orders/group/{id}: the orders of one checkout (where
// placing lands), each with its number, shop, promise and pickup code.
// Another shopper's group is 404.
func (s *site) groupPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	locale := i18n.FromContext(ctx)
	p := web.Principal(r)
	var g *order.Group
	err := s.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		g, err = s.a.Orders.Group(ctx, tx, r.PathValue("id"))
		return err
	})
	if err == nil && g.UserID != p.UserID {
		err = errNotFound
	}
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d := &groupData{Number: g.Number, Total: yuan(g.TotalFen), Provider: i18n.T(locale, "sf.provider."+g.Provider)}
	if g.Provider == stripepay.ProviderName && g.Status == order.GroupPendingPayment {
		d.Paying = true
		if d.Stripe = s.groupStripe(ctx, p.UserID, g.ID); d.Stripe != nil {
			d.Stripe.Return = absolute(r, web.Link(r, "/orders/group/", g.ID))
			allowStripe(w)
		}
	}
	ids := make([]string, len(g.Orders))
	for i, o := range g.Orders {
		ids[i] = o.ShopID
	}
	shops, points := s.shopNames(ctx, ids), s.pickupPoints(ctx)
	for _, o := range g.Orders {
		d.Orders = append(d.Orders, viewOrder(locale, o, shops, points))
	}
	s.render(w, r, http.StatusOK, "group", &web.Page{
		Title: i18n.T(locale, "sf.group.title"), Area: web.AreaStorefront, Nav: "account", Console: s.console(r), Data: d,
	})
}

// balanceData is the balance page.
type balanceData struct {
	Balance   string
	UpdatedAt time.Time
	// Stripe: top-ups by card are offered; Key is the top-up form's
	// idempotency key, new with every rendering.
	Stripe bool
	Key    string
	// Pay confirms a top-up started on this page.
	Pay *stripePay
}

func (s *site) balancePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	b, err := s.a.Payments.Balance.Mine(ctx, web.Principal(r))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	s.renderBalance(w, r, http.StatusOK, nil, nil, b)
}

// renderBalance renders the balance page with form f (nil: empty) and, when
// pay is set, the confirmation of a top-up.
func (s *site) renderBalance(w http.ResponseWriter, r *http.Request, status int, f *web.Form, pay *stripePay, b *payment.CustomerBalance) {
	ctx := r.Context()
	d := &balanceData{Balance: yuan(b.BalanceFen), UpdatedAt: b.UpdatedAt, Key: tenants.NewID(), Pay: pay}
	d.Stripe, _ = s.stripeMethods(ctx)
	if pay != nil {
		allowStripe(w)
	}
	if f == nil {
		f = web.NewForm(nil)
	}
	s.render(w, r, status, "balance", &web.Page{
		Title: i18n.T(i18n.FromContext(ctx), "sf.balance.title"), Area: web.AreaStorefront, Nav: "account",
		Console: s.console(r), Data: d, Form: f,
	})
}
