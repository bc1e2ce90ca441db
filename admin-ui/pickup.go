package adminui

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/web"
)

// registerPickup mounts the pickup-point console: the points the caller
// operates (tenant admins see every point), a point's incoming orders
// (paid, accepted, packed, and ready for pickup first), and the handover
// form. The routes are Resource routes: the fulfil service decides who
// operates which point, the order service checks it again on every call.
func (u *ui) registerPickup(rt *httpx.Router) {
	h := func(method, path, perm string, fn http.HandlerFunc) {
		rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: method, Path: path, Perm: perm, Resource: true, Handler: fn})
	}
	h("GET", "/pickup", fulfil.PermPickupView, u.pickupHome)
	h("GET", "/pickup/points/{id}", fulfil.PermPickupView, u.pickupPoint)
	h("POST", "/pickup/points/{id}/handover", fulfil.PermPickupHandover, u.handover)
	h("GET", "/pickup/points/{id}/invoices", fulfil.PermPickupView, u.pointInvoiceList)
	h("GET", "/pickup/points/{id}/invoices/{invoice}", fulfil.PermPickupView, u.pointInvoicePage)
}

// pickupPage is a page of the pickup console.
func (u *ui) pickupPage(r *http.Request, titleText string, f *web.Form, data any) *web.Page {
	c, _ := web.Console(r.Context(), u.a, web.Principal(r))
	return &web.Page{Title: titleText, Area: web.AreaMerchant, Console: c.Any(), Form: f, Data: data}
}

// pickupHomeData lists the points of the caller.
type pickupHomeData struct {
	Points []fulfil.OperatedPoint
}

func (u *ui) pickupHome(w http.ResponseWriter, r *http.Request) {
	pts, err := u.a.Fulfil.OperatedPoints(r.Context(), web.Principal(r))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	pages.Render(w, r, http.StatusOK, "pickup", u.pickupPage(r, title(r, "ui.pickup.title"), nil, &pickupHomeData{Points: pts}))
}

// pickupRow is an order expected at the point.
type pickupRow struct {
	*order.PickupOrder
	StatusLabel, Badge, Placed, Ready, Due string
	Items                                  string
}

// handoverResult is a successful handover: which order, who, when.
type handoverResult struct {
	Number, Recipient, By, At string
}

// pointData is one point's console.
type pointData struct {
	Point    *fulfil.OperatedPoint
	Rows     []pickupRow
	Ready    int
	Pager    pager
	Result   *handoverResult
	Handover bool
}

// renderPoint shows point {id} with its orders, the handover form f and
// the result of a handover.
func (u *ui) renderPoint(w http.ResponseWriter, r *http.Request, status int, f *web.Form, res *handoverResult) {
	ctx, p := r.Context(), web.Principal(r)
	locale := i18n.FromContext(ctx)
	id := r.PathValue("id")
	n, win := pageWindow(r)
	os, err := u.a.Orders.PointOrders(ctx, p, id, win)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	pts, err := u.a.Fulfil.OperatedPoints(ctx, p)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d := &pointData{Result: res}
	for i := range pts {
		if pts[i].ID == id {
			d.Point = &pts[i]
		}
	}
	if d.Point == nil {
		httpx.Error(w, r, errNotFound)
		return
	}
	d.Handover = d.Point.Handover
	os, d.Pager = newPager(r, "/pickup/points/"+id, n, os)
	for _, o := range os {
		row := pickupRow{PickupOrder: o, StatusLabel: orderStatusLabel(locale, o.Status), Badge: orderBadge(o.Status),
			Placed: fmtTime(r, &o.PlacedAt), Ready: fmtTime(r, o.ReadyAt)}
		if o.DueFen > 0 {
			row.Due = yuan(o.DueFen)
		}
		for i, l := range o.Lines {
			if i > 0 {
				row.Items += "；"
			}
			row.Items += l.Name + " " + l.Spec + " ×" + strconv.Itoa(l.Qty)
		}
		if o.Status == order.StatusReadyForPickup {
			d.Ready++
		}
		d.Rows = append(d.Rows, row)
	}
	if f == nil {
		f = &web.Form{}
	}
	pages.Render(w, r, status, "pickup_orders", u.pickupPage(r, d.Point.Name, f, d))
}

func (u *ui) pickupPoint(w http.ResponseWriter, r *http.Request) {
	u.renderPoint(w, r, http.StatusOK, nil, nil)
}

// handover hands an order over (fields number, pickup_code, name) and
// shows the point again with who handed it over and when; a wrong code or
// name, or a number not waiting at this point, is refused next to the
// form and nothing is written.
func (u *ui) handover(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	id := r.PathValue("id")
	// Whether the caller may hand over here at all is the page's answer
	// (404 or 403), not the form's.
	if err := u.a.Fulfil.CanOperate(ctx, p, id); err != nil {
		httpx.Error(w, r, err)
		return
	}
	f := web.FormOf(r)
	o, err := u.a.Orders.Handover(ctx, p, id, order.HandoverInput{Number: f.Get("number"), PickupCode: f.Get("pickup_code"), Name: f.Get("name")})
	if err != nil {
		if core.IsNotFound(err) {
			var fe core.FieldErrors
			fe.Add("number", "ui.pickup.number_unknown")
			err = &core.Error{Code: core.Invalid, Message: "ui.pickup.refused", Fields: map[string]string(fe)}
		}
		var ra *order.RetryAfter
		if errors.As(err, &ra) {
			w.Header().Set("Retry-After", strconv.Itoa(int(ra.Wait.Seconds())+1))
		}
		status, ok := f.Fail(r, localize(r, err))
		if !ok || core.ErrorCode(err) == core.Forbidden {
			httpx.Error(w, r, err)
			return
		}
		u.renderPoint(w, r, status, f, nil)
		return
	}
	res := &handoverResult{Number: o.Number, Recipient: o.Recipient, By: p.Name, At: fmtTime(r, o.PickedUpAt)}
	u.renderPoint(w, r, http.StatusOK, &web.Form{}, res)
}
