package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/cart"
	"github.com/jishi-dev/jishi/core/httpx"
)

func init() { registrations = append(registrations, registerCart) }

// decodeCart decodes a JSON body like httpx.Decode, but a value of the
// wrong type (a fractional, huge or quoted quantity) is a field error on
// that field rather than a malformed request.
func decodeCart(r *http.Request, v any) error {
	err := httpx.Decode(r, v)
	var ute *json.UnmarshalTypeError
	if err != nil && errors.As(err, &ute) && ute.Field != "" {
		var fe core.FieldErrors
		key := "field.invalid"
		switch ute.Type.Kind() {
		case reflect.Int, reflect.Int64:
			key = "cart.field.qty_range"
		}
		fe.Add(ute.Field, key)
		return fe.Err()
	}
	return err
}

// registerCart mounts the shopper's cart: public routes (an anonymous
// visitor's cart lives behind the jishi_cart cookie) that serve signed-in
// shoppers their own cart. Unsafe ones pass the server's CSRF check like
// every cookie-authenticated request (the X-CSRF-Token header must echo
// the jishi_csrf cookie), so another site cannot change a visitor's cart.
//
//	GET    /api/v1/cart?region=      the cart as shown (cart.View)
//	POST   /api/v1/cart/lines        {sku_id, qty} → 201 and the cart
//	PATCH  /api/v1/cart/lines/{id}   {qty} → the cart
//	DELETE /api/v1/cart/lines/{id}   → 204
//	DELETE /api/v1/cart              → 204 (every line)
//	PUT    /api/v1/cart/region       {region_id} → the cart
func registerCart(rt *httpx.Router, a *app.App) {
	handle := func(method, path string, h func(w http.ResponseWriter, r *http.Request, ref cart.Ref)) {
		rt.Handle(httpx.Route{Method: method, Path: path, Public: true, MaxBody: 4 << 10,
			Handler: func(w http.ResponseWriter, r *http.Request) {
				ref, err := a.Cart.Request(w, r)
				if err != nil {
					httpx.Error(w, r, err)
					return
				}
				h(w, r, ref)
			}})
	}
	// show answers with the cart after a change; a visitor's new cart
	// sends its cookie first.
	show := func(w http.ResponseWriter, r *http.Request, status int, ref cart.Ref, err error) {
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		if ref.Issued {
			a.Cart.SetCookie(w, ref.Token)
		}
		v, err := a.Cart.View(r.Context(), ref, "")
		reply(w, r, status, v, err)
	}

	handle("GET", "/api/v1/cart", func(w http.ResponseWriter, r *http.Request, ref cart.Ref) {
		v, err := a.Cart.View(r.Context(), ref, r.URL.Query().Get("region"))
		reply(w, r, http.StatusOK, v, err)
	})
	handle("POST", "/api/v1/cart/lines", func(w http.ResponseWriter, r *http.Request, ref cart.Ref) {
		var in cart.AddInput
		if err := decodeCart(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		ref, err := a.Cart.Add(r.Context(), ref, in)
		show(w, r, http.StatusCreated, ref, err)
	})
	handle("PATCH", "/api/v1/cart/lines/{id}", func(w http.ResponseWriter, r *http.Request, ref cart.Ref) {
		var in struct {
			Qty int `json:"qty"`
		}
		if err := decodeCart(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		show(w, r, http.StatusOK, ref, a.Cart.SetQty(r.Context(), ref, r.PathValue("id"), in.Qty))
	})
	handle("DELETE", "/api/v1/cart/lines/{id}", func(w http.ResponseWriter, r *http.Request, ref cart.Ref) {
		reply(w, r, http.StatusNoContent, nil, a.Cart.Remove(r.Context(), ref, r.PathValue("id")))
	})
	handle("DELETE", "/api/v1/cart", func(w http.ResponseWriter, r *http.Request, ref cart.Ref) {
		reply(w, r, http.StatusNoContent, nil, a.Cart.Empty(r.Context(), ref))
	})
	handle("PUT", "/api/v1/cart/region", func(w http.ResponseWriter, r *http.Request, ref cart.Ref) {
		var in struct {
			RegionID string `json:"region_id"`
		}
		if err := decodeCart(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		ref, err := a.Cart.SetRegion(r.Context(), ref, in.RegionID)
		show(w, r, http.StatusOK, ref, err)
	})
}
