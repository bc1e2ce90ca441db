package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/tenants"
)

func init() { registrations = append(registrations, registerOrders) }

// decodeOrder decodes a JSON body like httpx.Decode, but a value of the
// wrong type (a fractional, quoted or overflowing quantity) is a field
// error on that field rather than a malformed request.
func decodeOrder(r *http.Request, v any) error {
	err := httpx.Decode(r, v)
	var ute *json.UnmarshalTypeError
	if err != nil && errors.As(err, &ute) && ute.Field != "" {
		var fe core.FieldErrors
		key := "field.invalid"
		switch ute.Type.Kind() {
		case reflect.Int, reflect.Int64:
			key = "order.field.integer"
		}
		fe.Add(ute.Field, key)
		return fe.Err()
	}
	return err
}

// orderFilter reads ?status=, ?from= and ?to= (YYYY-MM-DD in the tenant's
// zone; to is inclusive) and the page.
func orderFilter(r *http.Request) (order.Filter, error) {
	var f order.Filter
	pg, err := page(r)
	if err != nil {
		return f, err
	}
	f.Page = fetch(pg)
	if f.Status, err = statusFilter(r, order.Statuses...); err != nil {
		return f, err
	}
	loc := tenants.MustFromContext(r.Context()).Location()
	var fe core.FieldErrors
	if v := r.URL.Query().Get("from"); v != "" {
		d, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			fe.Add("from", "field.invalid")
		}
		f.From = d
	}
	if v := r.URL.Query().Get("to"); v != "" {
		d, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			fe.Add("to", "field.invalid")
		}
		f.To = d.AddDate(0, 0, 1)
	}
	return f, fe.Err()
}

// replyOrderErr sets Retry-After from a throttled error before answering.
func replyOrderErr(w http.ResponseWriter, r *http.Request, err error) {
	var ra *order.RetryAfter
	if errors.As(err, &ra) {
		w.Header().Set("Retry-After", strconv.Itoa(int(ra.Wait.Seconds())+1))
	}
	httpx.Error(w, r, err)
}

// registerOrders mounts the order API: the shopper's own orders, the
// merchant console's (checked in the shop's domain), the tenant admin's
// list, the pickup point's queue and handover (checked by PickupAuth),
// and the public order lookup.
func registerOrders(rt *httpx.Router, a *app.App) {
	list := func(w http.ResponseWriter, r *http.Request, get func(order.Filter) ([]*order.Order, error)) {
		f, err := orderFilter(r)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		os, err := get(f)
		pg := f.Page
		pg.Limit--
		paged(w, r, "orders", pg, os, err)
	}

	// The shopper.
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/me/orders", Perm: httpx.PermSignedIn, Handler: func(w http.ResponseWriter, r *http.Request) {
		list(w, r, func(f order.Filter) ([]*order.Order, error) { return a.Orders.MyOrders(r.Context(), principal(r), f) })
	}})
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/me/orders/{id}", Perm: httpx.PermSignedIn, Handler: func(w http.ResponseWriter, r *http.Request) {
		o, err := a.Orders.MyOrder(r.Context(), principal(r), r.PathValue("id"))
		reply(w, r, http.StatusOK, o, err)
	}})
	rt.Handle(httpx.Route{Method: "POST", Path: "/api/v1/me/orders/{id}/cancel", Perm: httpx.PermSignedIn, Handler: func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Reason string `json:"reason"`
		}
		if err := decodeOptional(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		o, err := a.Orders.CancelMine(r.Context(), principal(r), r.PathValue("id"), in.Reason)
		reply(w, r, http.StatusOK, o, err)
	}})

	// The merchant console.
	shop := func(method, path, perm string, h http.HandlerFunc) {
		rt.Handle(httpx.Route{Method: method, Path: path, Perm: perm, Resource: true, Handler: h})
	}
	shop("GET", "/api/v1/merchant/shops/{id}/orders", order.PermManage, func(w http.ResponseWriter, r *http.Request) {
		list(w, r, func(f order.Filter) ([]*order.Order, error) {
			return a.Orders.ShopOrders(r.Context(), principal(r), r.PathValue("id"), f)
		})
	})
	shop("GET", "/api/v1/merchant/shops/{id}/orders/{order}", order.PermManage, func(w http.ResponseWriter, r *http.Request) {
		o, err := a.Orders.ShopOrder(r.Context(), principal(r), r.PathValue("id"), r.PathValue("order"))
		reply(w, r, http.StatusOK, o, err)
	})
	shop("POST", "/api/v1/merchant/shops/{id}/orders/{order}/transitions", order.PermManage, func(w http.ResponseWriter, r *http.Request) {
		var in order.TransitionInput
		if err := decodeOrder(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		o, err := a.Orders.Transition(r.Context(), principal(r), r.PathValue("id"), r.PathValue("order"), in)
		reply(w, r, http.StatusOK, o, err)
	})
	shop("POST", "/api/v1/merchant/shops/{id}/orders/{order}/refunds", order.PermRefund, func(w http.ResponseWriter, r *http.Request) {
		var in order.RefundInput
		if err := decodeOrder(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		rf, err := a.Orders.Refund(r.Context(), principal(r), r.PathValue("id"), r.PathValue("order"), in)
		reply(w, r, http.StatusCreated, rf, err)
	})

	// The tenant admin.
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/admin/orders", Perm: order.PermManage, Handler: func(w http.ResponseWriter, r *http.Request) {
		list(w, r, func(f order.Filter) ([]*order.Order, error) { return a.Orders.AllOrders(r.Context(), principal(r), f) })
	}})

	// The pickup point.
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/pickup/points/{id}/orders", Perm: "pickup:view", Resource: true,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			pg, err := page(r)
			if err != nil {
				httpx.Error(w, r, err)
				return
			}
			os, err := a.Orders.PointOrders(r.Context(), principal(r), r.PathValue("id"), fetch(pg))
			paged(w, r, "orders", pg, os, err)
		}})
	rt.Handle(httpx.Route{Method: "POST", Path: "/api/v1/pickup/points/{id}/handover", Perm: "pickup:handover", Resource: true,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var in order.HandoverInput
			if err := decodeOrder(r, &in); err != nil {
				httpx.Error(w, r, err)
				return
			}
			o, err := a.Orders.Handover(r.Context(), principal(r), r.PathValue("id"), in)
			if err != nil {
				replyOrderErr(w, r, err)
				return
			}
			httpx.JSON(w, http.StatusOK, o)
		}})

	// Anyone: 订单查询.
	rt.Handle(httpx.Route{Method: "POST", Path: "/api/v1/orders/lookup", Public: true, MaxBody: 4 << 10,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var in struct {
				Number     string `json:"number"`
				PhoneLast4 string `json:"phone_last4"`
			}
			if err := decodeOrder(r, &in); err != nil {
				httpx.Error(w, r, err)
				return
			}
			res, err := a.Orders.Lookup(r.Context(), identity.ClientIP(r), in.Number, in.PhoneLast4)
			if err != nil {
				replyOrderErr(w, r, err)
				return
			}
			httpx.JSON(w, http.StatusOK, res)
		}})
}
