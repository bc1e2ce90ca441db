package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/uptrace/bun"
)

func init() { registrations = append(registrations, registerFulfil) }

// decodeFulfil decodes a JSON body like httpx.Decode, but a value of the
// wrong type (a fractional, quoted or out-of-range fee or capacity) is a
// field error on that field rather than a malformed request.
func decodeFulfil(r *http.Request, v any) error {
	err := httpx.Decode(r, v)
	var ute *json.UnmarshalTypeError
	if err != nil && errors.As(err, &ute) && ute.Field != "" {
		var fe core.FieldErrors
		key := "field.invalid"
		switch ute.Type.Kind() {
		case reflect.Int, reflect.Int64:
			key = "fulfil.field.integer"
		}
		fe.Add(ute.Field, key)
		return fe.Err()
	}
	return err
}

// renameField moves a field error from one name to another (a service's
// "region_id" is the query's "region").
func renameField(err error, from, to string) error {
	var ce *core.Error
	if errors.As(err, &ce) && ce.Fields[from] != "" {
		f := map[string]string{}
		for k, v := range ce.Fields {
			f[k] = v
		}
		f[to] = f[from]
		delete(f, from)
		return &core.Error{Code: ce.Code, Message: ce.Message, Args: ce.Args, Fields: f, Err: ce.Err}
	}
	return err
}

// registerFulfil mounts delivery and pickup: the merchant console's
// delivery methods, fees and slots (checked in the shop's domain); the
// tenant admin's pickup points and their operators (in the tenant's
// domain); the pickup console's points (in each point's domain); and the
// storefront's delivery options and pickup points (public).
func registerFulfil(rt *httpx.Router, a *app.App) {
	f := a.Fulfil
	shop := func(method, path string, h http.HandlerFunc) {
		rt.Handle(httpx.Route{Method: method, Path: path, Perm: fulfil.PermManage, Resource: true, Handler: h})
	}
	admin := func(method, path string, h http.HandlerFunc) {
		rt.Handle(httpx.Route{Method: method, Path: path, Perm: fulfil.PermPickupManage, Handler: h})
	}

	shop("GET", "/api/v1/merchant/shops/{id}/delivery", func(w http.ResponseWriter, r *http.Request) {
		st, err := f.ShopSettings(r.Context(), principal(r), r.PathValue("id"))
		reply(w, r, http.StatusOK, st, err)
	})
	shop("PUT", "/api/v1/merchant/shops/{id}/delivery", func(w http.ResponseWriter, r *http.Request) {
		var in fulfil.Settings
		if err := decodeFulfil(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		st, err := f.SetSettings(r.Context(), principal(r), r.PathValue("id"), in)
		reply(w, r, http.StatusOK, st, err)
	})
	shop("GET", "/api/v1/merchant/shops/{id}/delivery-slots", func(w http.ResponseWriter, r *http.Request) {
		sl, err := f.Slots(r.Context(), principal(r), r.PathValue("id"))
		reply(w, r, http.StatusOK, map[string]any{"slots": sl}, err)
	})
	shop("POST", "/api/v1/merchant/shops/{id}/delivery-slots", func(w http.ResponseWriter, r *http.Request) {
		var in fulfil.SlotInput
		if err := decodeFulfil(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		sl, err := f.CreateSlots(r.Context(), principal(r), r.PathValue("id"), in)
		reply(w, r, http.StatusCreated, map[string]any{"slots": sl}, err)
	})
	shop("PUT", "/api/v1/merchant/shops/{id}/delivery-slots/{slot}", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Capacity *int `json:"capacity"`
		}
		if err := decodeFulfil(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		if in.Capacity == nil {
			var fe core.FieldErrors
			fe.Add("capacity", "field.required")
			httpx.Error(w, r, fe.Err())
			return
		}
		sl, err := f.SetSlotCapacity(r.Context(), principal(r), r.PathValue("id"), r.PathValue("slot"), *in.Capacity)
		reply(w, r, http.StatusOK, sl, err)
	})
	shop("DELETE", "/api/v1/merchant/shops/{id}/delivery-slots/{slot}", func(w http.ResponseWriter, r *http.Request) {
		err := f.DeleteSlot(r.Context(), principal(r), r.PathValue("id"), r.PathValue("slot"))
		reply(w, r, http.StatusNoContent, nil, err)
	})

	// Tenant admin: pickup points and their operators.
	admin("GET", "/api/v1/admin/pickup-points", func(w http.ResponseWriter, r *http.Request) {
		pts, err := f.PickupPoints(r.Context(), principal(r))
		reply(w, r, http.StatusOK, map[string]any{"pickup_points": pts}, err)
	})
	admin("POST", "/api/v1/admin/pickup-points", func(w http.ResponseWriter, r *http.Request) {
		var in fulfil.PickupPointInput
		if err := decodeFulfil(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		pt, err := f.CreatePickupPoint(r.Context(), principal(r), in)
		reply(w, r, http.StatusCreated, pt, err)
	})
	admin("GET", "/api/v1/admin/pickup-points/{id}", func(w http.ResponseWriter, r *http.Request) {
		pt, err := f.PickupPoint(r.Context(), principal(r), r.PathValue("id"))
		reply(w, r, http.StatusOK, pt, err)
	})
	admin("PUT", "/api/v1/admin/pickup-points/{id}", func(w http.ResponseWriter, r *http.Request) {
		var in fulfil.PickupPointInput
		if err := decodeFulfil(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		pt, err := f.UpdatePickupPoint(r.Context(), principal(r), r.PathValue("id"), in)
		reply(w, r, http.StatusOK, pt, err)
	})
	admin("GET", "/api/v1/admin/pickup-points/{id}/operators", func(w http.ResponseWriter, r *http.Request) {
		ops, err := f.Operators(r.Context(), principal(r), r.PathValue("id"))
		reply(w, r, http.StatusOK, map[string]any{"operators": ops}, err)
	})
	admin("POST", "/api/v1/admin/pickup-points/{id}/operators", func(w http.ResponseWriter, r *http.Request) {
		var in fulfil.OperatorInput
		if err := decodeFulfil(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		op, err := f.AddOperator(r.Context(), principal(r), r.PathValue("id"), in)
		reply(w, r, http.StatusCreated, op, err)
	})
	admin("DELETE", "/api/v1/admin/pickup-points/{id}/operators/{user}", func(w http.ResponseWriter, r *http.Request) {
		err := f.RemoveOperator(r.Context(), principal(r), r.PathValue("id"), r.PathValue("user"))
		reply(w, r, http.StatusNoContent, nil, err)
	})

	// The pickup console: the points the caller operates (or, as a tenant
	// admin, oversees); checked per point.
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/pickup/points", Perm: fulfil.PermPickupView, Resource: true,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			pts, err := f.OperatedPoints(r.Context(), principal(r))
			reply(w, r, http.StatusOK, map[string]any{"pickup_points": pts}, err)
		}})

	// Shoppers: what a shop offers to a region, and the pickup points.
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/shops/{slug}/delivery-options", Public: true,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			var fe core.FieldErrors
			region := strings.TrimSpace(q.Get("region"))
			if region == "" {
				fe.Add("region", "field.required")
			}
			var skus []string
			for _, v := range q["sku"] {
				for _, id := range strings.Split(v, ",") {
					if id = strings.TrimSpace(id); id != "" {
						skus = append(skus, id)
					}
				}
			}
			weight := 0
			if v := q.Get("weight_g"); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil {
					fe.Add("weight_g", "fulfil.field.weight_range")
				}
				weight = n
			}
			if err := fe.Err(); err != nil {
				httpx.Error(w, r, err)
				return
			}
			sh, err := a.Merchants.StorefrontShop(r.Context(), r.PathValue("slug"))
			if err != nil {
				httpx.Error(w, r, err)
				return
			}
			var opts []fulfil.Option
			err = a.DB.RunInReadTx(r.Context(), func(ctx context.Context, tx bun.IDB) (err error) {
				opts, err = f.Options(ctx, tx, fulfil.Request{ShopID: sh.ID, RegionID: region, SKUIDs: skus, WeightG: weight}, f.Clock())
				return err
			})
			if err != nil {
				httpx.Error(w, r, renameField(renameField(err, "region_id", "region"), "sku_ids", "sku"))
				return
			}
			promises := make([]fulfil.MethodPromise, 0, len(opts))
			for _, o := range opts {
				promises = append(promises, fulfil.MethodPromise{Method: o.Method, Name: o.Name, FeeFen: o.FeeFen, Promise: o.Promise})
			}
			httpx.JSON(w, http.StatusOK, map[string]any{"shop_id": sh.ID, "region_id": region, "options": opts, "promises": promises})
		}})
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/pickup-points", Public: true,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			pts, err := f.PublicPickupPoints(r.Context(), r.URL.Query().Get("region"))
			reply(w, r, http.StatusOK, map[string]any{"pickup_points": pts}, err)
		}})
}
