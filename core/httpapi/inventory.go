package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strconv"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/inventory"
)

func init() { registrations = append(registrations, registerInventory) }

// decodeFields decodes a JSON body like httpx.Decode, but a value of the
// wrong type (a fractional or quoted quantity) is a field error on that
// field rather than a malformed request.
func decodeFields(r *http.Request, v any) error {
	err := httpx.Decode(r, v)
	var ute *json.UnmarshalTypeError
	if err != nil && errors.As(err, &ute) && ute.Field != "" {
		var fe core.FieldErrors
		key := "field.invalid"
		switch ute.Type.Kind() {
		case reflect.Int, reflect.Int64:
			key = "inventory.field.integer"
		}
		fe.Add(ute.Field, key)
		return fe.Err()
	}
	return err
}

// registerInventory mounts the stock API: the merchant console's
// (warehouses a shop may use, receiving lots, a SKU's lots, adjustments,
// thresholds and alerts; checked in the shop's domain) and the tenant
// admin's warehouses (checked in the tenant's domain).
func registerInventory(rt *httpx.Router, a *app.App) {
	shop := func(method, path string, h http.HandlerFunc) {
		rt.Handle(httpx.Route{Method: method, Path: path, Perm: inventory.PermManage, Resource: true, Handler: h})
	}
	admin := func(method, path string, h http.HandlerFunc) {
		rt.Handle(httpx.Route{Method: method, Path: path, Perm: inventory.PermManage, Handler: h})
	}

	shop("GET", "/api/v1/merchant/shops/{id}/warehouses", func(w http.ResponseWriter, r *http.Request) {
		ws, err := a.Inventory.ShopWarehouses(r.Context(), principal(r), r.PathValue("id"))
		reply(w, r, http.StatusOK, map[string]any{"warehouses": ws}, err)
	})
	shop("POST", "/api/v1/merchant/shops/{id}/warehouses", func(w http.ResponseWriter, r *http.Request) {
		var in inventory.WarehouseInput
		if err := decodeFields(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		wh, err := a.Inventory.CreateShopWarehouse(r.Context(), principal(r), r.PathValue("id"), in)
		reply(w, r, http.StatusCreated, wh, err)
	})
	shop("POST", "/api/v1/merchant/shops/{id}/lots", func(w http.ResponseWriter, r *http.Request) {
		var in inventory.LotInput
		if err := decodeFields(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		l, err := a.Inventory.Receive(r.Context(), principal(r), r.PathValue("id"), in)
		reply(w, r, http.StatusCreated, l, err)
	})
	shop("GET", "/api/v1/merchant/shops/{id}/skus/{sku}/lots", func(w http.ResponseWriter, r *http.Request) {
		pg, err := page(r)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		empty, err := boolParam(r, "empty")
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		st, err := a.Inventory.Lots(r.Context(), principal(r), r.PathValue("id"), r.PathValue("sku"),
			inventory.LotFilter{Empty: empty, Page: fetch(pg)})
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		lots, more := st.Lots, len(st.Lots) > pg.Limit
		if more {
			lots = lots[:pg.Limit]
		}
		httpx.JSON(w, http.StatusOK, map[string]any{
			"sku_id": st.SKUID, "available": st.Available, "threshold": st.Threshold,
			"lots": lots, "limit": pg.Limit, "offset": pg.Offset, "has_more": more,
		})
	})
	shop("PUT", "/api/v1/merchant/shops/{id}/skus/{sku}/threshold", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Threshold *int `json:"threshold"`
		}
		if err := decodeFields(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		if in.Threshold == nil {
			var fe core.FieldErrors
			fe.Add("threshold", "field.required")
			httpx.Error(w, r, fe.Err())
			return
		}
		err := a.Inventory.SetThreshold(r.Context(), principal(r), r.PathValue("id"), r.PathValue("sku"), *in.Threshold)
		reply(w, r, http.StatusOK, map[string]any{"sku_id": r.PathValue("sku"), "threshold": *in.Threshold}, err)
	})
	shop("POST", "/api/v1/merchant/shops/{id}/adjustments", func(w http.ResponseWriter, r *http.Request) {
		var in inventory.AdjustInput
		if err := decodeFields(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		l, err := a.Inventory.Adjust(r.Context(), principal(r), r.PathValue("id"), in)
		reply(w, r, http.StatusOK, l, err)
	})
	shop("GET", "/api/v1/merchant/shops/{id}/lots/{lot}/movements", func(w http.ResponseWriter, r *http.Request) {
		ms, err := a.Inventory.Movements(r.Context(), principal(r), r.PathValue("id"), r.PathValue("lot"))
		reply(w, r, http.StatusOK, map[string]any{"movements": ms}, err)
	})
	shop("GET", "/api/v1/merchant/shops/{id}/stock-alerts", func(w http.ResponseWriter, r *http.Request) {
		days := inventory.DefaultAlertDays
		if v := r.URL.Query().Get("days"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				var fe core.FieldErrors
				fe.Add("days", "inventory.field.days_range")
				httpx.Error(w, r, fe.Err())
				return
			}
			days = n
		}
		al, err := a.Inventory.Alerts(r.Context(), principal(r), r.PathValue("id"), days)
		reply(w, r, http.StatusOK, al, err)
	})

	// Tenant admin: the main and district warehouses.
	admin("GET", "/api/v1/admin/warehouses", func(w http.ResponseWriter, r *http.Request) {
		ws, err := a.Inventory.Warehouses(r.Context(), principal(r))
		reply(w, r, http.StatusOK, map[string]any{"warehouses": ws}, err)
	})
	admin("POST", "/api/v1/admin/warehouses", func(w http.ResponseWriter, r *http.Request) {
		var in inventory.WarehouseInput
		if err := decodeFields(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		wh, err := a.Inventory.CreateWarehouse(r.Context(), principal(r), in)
		reply(w, r, http.StatusCreated, wh, err)
	})
}

// boolParam reads ?name= as a boolean ("", "false", "0": false; "true",
// "1": true); anything else is a field error.
func boolParam(r *http.Request, name string) (bool, error) {
	switch r.URL.Query().Get(name) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	var fe core.FieldErrors
	fe.Add(name, "field.invalid")
	return false, fe.Err()
}
