package adminui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/web"
	"github.com/jishi-dev/jishi/tenants"
)

// registerOrders mounts the merchant console's orders: a shop's order
// list (status and date filter, paged), one order with its lines,
// discounts, delivery, events and holds, the buttons of the transitions
// the state machine allows, and the refund form. Every route is a
// Resource route: the order service checks order:manage (order:refund for
// refunds) in the shop's domain.
func (u *ui) registerOrders(rt *httpx.Router) {
	h := func(method, path, perm string, fn http.HandlerFunc) {
		rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: method, Path: path, Perm: perm, Resource: true, Handler: fn})
	}
	h("GET", "/merchant/shops/{id}/orders", order.PermManage, u.orderList)
	h("GET", "/merchant/shops/{id}/orders/{order}", order.PermManage, u.orderPage)
	h("POST", "/merchant/shops/{id}/orders/{order}/transition", order.PermManage, u.orderTransition)
	h("POST", "/merchant/shops/{id}/orders/{order}/refund", order.PermRefund, u.orderRefund)
}

// shopPage is a merchant console page of shop sh titled by key.
func (u *ui) shopPage(r *http.Request, sh *merchant.Shop, key string, f *web.Form, data any) *web.Page {
	c, _ := web.Console(r.Context(), u.a, web.Principal(r))
	return &web.Page{Title: title(r, key) + " · " + sh.Name, Area: web.AreaMerchant, Console: c.Any(),
		ThemeColor: sh.ThemeColor, Form: f, Data: data}
}

// shopByID loads shop id for a page once a service has authorised the
// caller for it.
func (u *ui) shopByID(r *http.Request, id string) (*merchant.Shop, error) {
	return u.a.Merchants.ShopByID(r.Context(), id)
}

// orderStatusLabel is status in locale.
func orderStatusLabel(locale, status string) string { return i18n.T(locale, "ui.order_status."+status) }

// orderBadge is the badge style of an order status.
func orderBadge(status string) string {
	switch status {
	case order.StatusPaid:
		return "pending"
	case order.StatusAccepted, order.StatusPacked:
		return "submitted"
	case order.StatusShipped, order.StatusReadyForPickup:
		return "changes_requested"
	case order.StatusDelivered, order.StatusPickedUp, order.StatusCompleted:
		return "active"
	}
	return "closed"
}

// fmtTime formats t in the tenant's zone ("" for nil or zero).
func fmtTime(r *http.Request, t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(tenants.MustFromContext(r.Context()).Location()).Format("2006-01-02 15:04")
}

// localize rewrites the order service's state errors so that their
// arguments (statuses, delivery methods) read in the request's language:
// "订单当前状态为 已付款，不能改为 已发货" rather than the codes.
func localize(r *http.Request, err error) error {
	var e *core.Error
	if !errors.As(err, &e) {
		return err
	}
	locale := i18n.FromContext(r.Context())
	args := make([]any, len(e.Args))
	copy(args, e.Args)
	word := func(i int, prefix string) {
		if s, ok := args[i].(string); ok && i18n.Has(i18n.ZH, prefix+s) {
			args[i] = i18n.T(locale, prefix+s)
		}
	}
	switch {
	case e.Message == "order.error.transition" && len(args) == 2:
		word(0, "ui.order_status.")
		word(1, "ui.order_status.")
	case e.Message == "order.error.method" && len(args) == 2:
		word(0, "ui.order_method.")
		word(1, "ui.order_status.")
	case e.Message == "order.error.hold_state" && len(args) == 1:
		word(0, "ui.order_status.")
	default:
		return err
	}
	c := *e
	c.Args = args
	return &c
}

// orderRow is one order of the list.
type orderRow struct {
	*order.Order
	Placed, StatusLabel, Badge, Payment, Method, Items, Total string
}

// lineSummary is "小白菜 500g ×2；…".
func lineSummary(o *order.Order) string {
	var parts []string
	for _, l := range o.Lines {
		s := l.Name
		if l.Spec != "" {
			s += " " + l.Spec
		}
		parts = append(parts, s+" ×"+strconv.Itoa(l.Qty))
	}
	return strings.Join(parts, "；")
}

// orderListData is a shop's order list.
type orderListData struct {
	Shop     *merchant.Shop
	Status   string
	From, To string
	Statuses []option
	Rows     []orderRow
	Pager    pager
}

// orderFilter reads ?status=, ?from= and ?to= (YYYY-MM-DD in the tenant's
// zone, to inclusive); a bad date is Invalid on its field.
func orderFilter(r *http.Request) (order.Filter, error) {
	q := r.URL.Query()
	var f order.Filter
	for _, s := range order.Statuses {
		if q.Get("status") == s {
			f.Status = s
		}
	}
	loc := tenants.MustFromContext(r.Context()).Location()
	var fe core.FieldErrors
	if v := strings.TrimSpace(q.Get("from")); v != "" {
		d, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			fe.Add("from", "field.invalid")
		}
		f.From = d
	}
	if v := strings.TrimSpace(q.Get("to")); v != "" {
		d, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			fe.Add("to", "field.invalid")
		}
		f.To = d.AddDate(0, 0, 1)
	}
	return f, fe.Err()
}

func (u *ui) orderList(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	locale := i18n.FromContext(ctx)
	shopID := r.PathValue("id")
	f, err := orderFilter(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	n, win := pageWindow(r)
	f.Page = win
	os, err := u.a.Orders.ShopOrders(ctx, p, shopID, f)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	sh, err := u.shopByID(r, shopID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d := &orderListData{Shop: sh, Status: f.Status, From: r.URL.Query().Get("from"), To: r.URL.Query().Get("to")}
	d.Statuses = append(d.Statuses, option{Value: "", Label: i18n.T(locale, "ui.all"), On: f.Status == ""})
	for _, s := range order.Statuses {
		d.Statuses = append(d.Statuses, option{Value: s, Label: orderStatusLabel(locale, s), On: f.Status == s})
	}
	os, d.Pager = newPager(r, "/merchant/shops/"+sh.ID+"/orders", n, os)
	for _, o := range os {
		d.Rows = append(d.Rows, orderRow{Order: o, Placed: fmtTime(r, &o.PlacedAt), StatusLabel: orderStatusLabel(locale, o.Status),
			Badge: orderBadge(o.Status), Payment: i18n.T(locale, "ui.payment_status."+o.PaymentStatus),
			Method: i18n.T(locale, "ui.order_method."+o.DeliveryMethod), Items: lineSummary(o), Total: yuan(o.TotalFen)})
	}
	pages.Render(w, r, http.StatusOK, "orders", u.shopPage(r, sh, "ui.orders.title", nil, d))
}

// orderAction is a transition button of the order page.
type orderAction struct {
	To, Label string
}

// lineRow is one line of the order page with its refund input.
type lineRow struct {
	*order.Line
	Unit, Subtotal, Discount, Total, Refunded string
	Remaining                                 int
	// Input is the name of the line's refund quantity input.
	Input     string
	Discounts []discountRow
}

// discountRow is one discount allocated to a line.
type discountRow struct {
	Label, Amount, Funder string
}

// eventRow is one entry of the order's timeline.
type eventRow struct {
	At, Text, Actor, Note string
}

// holdRow is one hold of the order.
type holdRow struct {
	*order.Hold
	Placed, Released string
}

// refundRow is one refund of the order.
type refundRow struct {
	*order.Refund
	At, Amount, Lines string
}

// orderPageData is one order of a shop.
type orderPageData struct {
	Shop                                               *merchant.Shop
	Order                                              *order.Order
	StatusLabel, Badge, Payment, Method, Placed, Point string
	Subtotal, Discount, Shipping, ShipDiscount, Total  string
	Refunded, Refundable, Promise                      string
	Lines                                              []lineRow
	Events                                             []eventRow
	Holds                                              []holdRow
	Standing                                           []string
	Refunds                                            []refundRow
	Actions                                            []orderAction
	Ship, Cancel, CanRefund                            bool
	Transition, Refund                                 *web.Form
	ShippedLabel, DeliveredLabel                       string
}

// eventText describes an event: a transition, or a hold, release, refund
// recorded on it.
func eventText(locale string, e *order.Event) (string, string) {
	note := e.Note
	switch {
	case strings.HasPrefix(note, "hold:"):
		name, reason, _ := strings.Cut(strings.TrimPrefix(note, "hold:"), " ")
		return i18n.T(locale, "ui.order.event_hold", name), reason
	case strings.HasPrefix(note, "release:"):
		return i18n.T(locale, "ui.order.event_release", strings.TrimPrefix(note, "release:")), ""
	case strings.HasPrefix(note, "refund ") && strings.HasSuffix(note, " fen"):
		fs := strings.Fields(note)
		if len(fs) == 4 {
			if fen, err := strconv.ParseInt(fs[2], 10, 64); err == nil {
				return i18n.T(locale, "ui.order.event_refund", yuan(fen)), ""
			}
		}
	}
	if e.From == e.To {
		return i18n.T(locale, "ui.order.event_note"), note
	}
	if e.From == "" {
		return orderStatusLabel(locale, e.To), note
	}
	return orderStatusLabel(locale, e.From) + " → " + orderStatusLabel(locale, e.To), note
}

// refundable reports whether o may still be refunded by its shop.
func refundable(o *order.Order) bool {
	if o.Status == order.StatusCancelled {
		return false
	}
	switch o.PaymentStatus {
	case order.PaymentPaid, order.PaymentDue, order.PaymentPartiallyRefunded:
		return true
	}
	return false
}

// renderOrder shows order {order} of shop {id} with the transition form
// tf and the refund form rf (nil for fresh ones).
func (u *ui) renderOrder(w http.ResponseWriter, r *http.Request, status int, tf, rf *web.Form) {
	ctx, p := r.Context(), web.Principal(r)
	locale := i18n.FromContext(ctx)
	o, err := u.a.Orders.ShopOrder(ctx, p, r.PathValue("id"), r.PathValue("order"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	sh, err := u.shopByID(r, o.ShopID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if tf == nil {
		tf = &web.Form{}
	}
	if rf == nil {
		rf = web.NewForm(map[string]string{"restock": "1"})
	}
	d := &orderPageData{Shop: sh, Order: o, StatusLabel: orderStatusLabel(locale, o.Status), Badge: orderBadge(o.Status),
		Payment: i18n.T(locale, "ui.payment_status."+o.PaymentStatus), Method: i18n.T(locale, "ui.order_method."+o.DeliveryMethod),
		Placed: fmtTime(r, &o.PlacedAt), Subtotal: yuan(o.SubtotalFen), Discount: yuan(o.DiscountFen), Shipping: yuan(o.ShippingFen),
		ShipDiscount: yuan(o.ShippingDiscountFen), Total: yuan(o.TotalFen), Refunded: yuan(o.RefundedFen),
		Refundable: yuan(o.TotalFen - o.RefundedFen), Transition: tf, Refund: rf,
		CanRefund: refundable(o) && u.a.Authz.Allowed(ctx, p, sh.AuthzDomain(), order.PermRefund)}
	d.Promise = o.PromiseText
	if o.PromiseLatest != nil {
		d.Promise = strings.TrimSpace(d.Promise + " " + i18n.T(locale, "ui.order.promise_latest", fmtTime(r, o.PromiseLatest)))
	}
	if o.PickupPointID != nil {
		d.Point = *o.PickupPointID
		if pts, err := u.a.Fulfil.PublicPickupPoints(ctx, ""); err == nil {
			for _, pt := range pts {
				if pt.ID == *o.PickupPointID {
					d.Point = pt.Name + " · " + pt.Address
				}
			}
		}
	}
	d.ShippedLabel, d.DeliveredLabel = fmtTime(r, o.ShippedAt), fmtTime(r, o.DeliveredAt)
	for _, l := range o.Lines {
		row := lineRow{Line: l, Unit: yuan(l.UnitFen), Subtotal: yuan(l.SubtotalFen), Discount: yuan(l.DiscountFen),
			Total: yuan(l.TotalFen), Refunded: yuan(l.RefundedFen), Remaining: l.Qty - l.RefundedQty, Input: "qty_" + l.ID}
		for _, ds := range l.Discounts {
			row.Discounts = append(row.Discounts, discountRow{Label: ds.Label, Amount: yuan(ds.AmountFen),
				Funder: i18n.T(locale, "ui.order.funded_"+ds.FundedBy)})
		}
		d.Lines = append(d.Lines, row)
	}
	for _, e := range o.Events {
		text, note := eventText(locale, e)
		d.Events = append(d.Events, eventRow{At: fmtTime(r, &e.At), Text: text, Note: note,
			Actor: i18n.T(locale, "ui.order_actor."+e.ActorRole)})
	}
	for _, hd := range o.Holds {
		d.Holds = append(d.Holds, holdRow{Hold: hd, Placed: fmtTime(r, &hd.PlacedAt), Released: fmtTime(r, hd.ReleasedAt)})
		if hd.ReleasedAt == nil {
			d.Standing = append(d.Standing, hd.Name)
		}
	}
	for _, rf := range o.Refunds {
		var parts []string
		for _, rl := range rf.Lines {
			for _, l := range o.Lines {
				if l.ID == rl.LineID {
					parts = append(parts, l.Name+" ×"+strconv.Itoa(rl.Qty))
				}
			}
		}
		if rf.ShippingFen > 0 {
			parts = append(parts, i18n.T(locale, "ui.order.shipping")+" "+yuan(rf.ShippingFen))
		}
		d.Refunds = append(d.Refunds, refundRow{Refund: rf, At: fmtTime(r, &rf.CreatedAt), Amount: yuan(rf.AmountFen),
			Lines: strings.Join(parts, "；")})
	}
	pickup := o.DeliveryMethod == order.MethodPickup
	for _, to := range []string{order.StatusAccepted, order.StatusPacked, order.StatusReadyForPickup, order.StatusDelivered, order.StatusCompleted} {
		if !order.CanMove(o.Status, to) || to == order.StatusReadyForPickup && !pickup || to == order.StatusDelivered && pickup {
			continue
		}
		d.Actions = append(d.Actions, orderAction{To: to, Label: i18n.T(locale, "ui.order.to_"+to)})
	}
	d.Ship = order.CanMove(o.Status, order.StatusShipped) && !pickup
	d.Cancel = order.CanMove(o.Status, order.StatusCancelled)
	pages.Render(w, r, status, "order", u.shopPage(r, sh, "ui.order.title", nil, d))
}

func (u *ui) orderPage(w http.ResponseWriter, r *http.Request) {
	u.renderOrder(w, r, http.StatusOK, nil, nil)
}

// failOrder shows the order again with err on form f (the transition
// form, or the refund form when refund is set); bad holds the form's own
// messages (keys) by field.
func (u *ui) failOrder(w http.ResponseWriter, r *http.Request, f *web.Form, refund bool, bad map[string]string, err error) {
	err = localize(r, err)
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
	if refund {
		u.renderOrder(w, r, status, nil, f)
		return
	}
	u.renderOrder(w, r, status, f, nil)
}

// orderTransition moves the order on (fields to, courier, tracking_no,
// note) and goes back to the order; a refusal shows the order with the
// reason.
func (u *ui) orderTransition(w http.ResponseWriter, r *http.Request) {
	f := web.FormOf(r)
	in := order.TransitionInput{To: f.Get("to"), Courier: f.Get("courier"), TrackingNo: f.Get("tracking_no"), Note: f.Get("note")}
	shopID, id := r.PathValue("id"), r.PathValue("order")
	if _, err := u.a.Orders.Transition(r.Context(), web.Principal(r), shopID, id, in); err != nil {
		u.failOrder(w, r, f, false, nil, err)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "ui.order.flash_moved")
	web.Redirect(w, r, "/merchant/shops/", shopID, "/orders/", id)
}

// orderRefund refunds the whole order (field whole) or the units entered
// per line (qty_{line id}), with restock and reason, and goes back to the
// order; a refusal shows the errors next to the fields and refunds
// nothing.
func (u *ui) orderRefund(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	shopID, id := r.PathValue("id"), r.PathValue("order")
	f := web.FormOf(r)
	in := order.RefundInput{Whole: f.Get("whole") != "", Restock: f.Get("restock") != "", Reason: f.Get("reason")}
	bad := map[string]string{}
	if !in.Whole {
		// The line ids come from the order, not from the form.
		o, err := u.a.Orders.ShopOrder(ctx, p, shopID, id)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		for _, l := range o.Lines {
			name := "qty_" + l.ID
			s := strings.TrimSpace(f.Get(name))
			if s == "" || s == "0" {
				continue
			}
			q, err := strconv.Atoi(s)
			if err != nil {
				bad[name] = "order.field.integer"
				q = -1
			}
			in.Lines = append(in.Lines, order.RefundLineInput{LineID: l.ID, Qty: q})
		}
	}
	if _, err := u.a.Orders.Refund(ctx, p, shopID, id, in); err != nil {
		var e *core.Error
		if errors.As(err, &e) && len(e.Fields) > 0 {
			// The service names lines by position; the form by line id.
			fields := map[string]string{}
			for k, v := range e.Fields {
				i, _, ok := strings.Cut(strings.TrimPrefix(k, "lines."), ".")
				n, convErr := strconv.Atoi(i)
				if strings.HasPrefix(k, "lines.") && ok && convErr == nil && n >= 0 && n < len(in.Lines) {
					fields["qty_"+in.Lines[n].LineID] = v
				} else {
					fields[k] = v
				}
			}
			c := *e
			c.Fields = fields
			err = &c
		}
		u.failOrder(w, r, f, true, bad, err)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "ui.order.flash_refunded")
	web.Redirect(w, r, "/merchant/shops/", shopID, "/orders/", id, "#refunds")
}
