package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/dispatch"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/tenants"
)

func init() { registrations = append(registrations, registerDispatch) }

// riskHours reads ?hours= (default dispatch.DefaultRiskHours); anything
// but a whole number is a field error (the service checks the range).
func riskHours(r *http.Request) (int, error) {
	v := r.URL.Query().Get("hours")
	if v == "" {
		return dispatch.DefaultRiskHours, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		var fe core.FieldErrors
		fe.Add("hours", "dispatch.field.hours")
		return 0, fe.Err()
	}
	return n, nil
}

// decodeShip decodes a ship request; a value of the wrong type is a field
// error on that field rather than a malformed request.
func decodeShip(r *http.Request, v any) error {
	err := httpx.Decode(r, v)
	var ute *json.UnmarshalTypeError
	if err != nil && errors.As(err, &ute) && ute.Field != "" {
		var fe core.FieldErrors
		fe.Add(ute.Field, "field.invalid")
		return fe.Err()
	}
	return err
}

// registerDispatch mounts the daily dispatch of a shop (the day's batch,
// its CSV, pick list, batch mark-as-shipped and the shop's at-risk list;
// order:manage checked in the shop's domain) and the tenant-wide at-risk
// list for customer service (order:manage in the tenant's domain).
func registerDispatch(rt *httpx.Router, a *app.App) {
	shop := func(method, path string, h http.HandlerFunc) {
		rt.Handle(httpx.Route{Method: method, Path: path, Perm: dispatch.PermManage, Resource: true, Handler: h})
	}
	base := "/api/v1/merchant/shops/{id}/dispatch"
	shop("GET", base, func(w http.ResponseWriter, r *http.Request) {
		b, err := a.Dispatch.Batch(r.Context(), principal(r), r.PathValue("id"), r.URL.Query().Get("date"))
		reply(w, r, http.StatusOK, b, err)
	})
	shop("GET", base+"/orders.csv", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		b, err := a.Dispatch.Batch(ctx, principal(r), r.PathValue("id"), r.URL.Query().Get("date"))
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		var buf bytes.Buffer
		if err := dispatch.WriteCSV(&buf, b, i18n.FromContext(ctx), tenants.MustFromContext(ctx).Location()); err != nil {
			httpx.Error(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="dispatch-`+b.Date+`.csv"`)
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(buf.Bytes())
	})
	shop("GET", base+"/pick-list", func(w http.ResponseWriter, r *http.Request) {
		pl, err := a.Dispatch.PickList(r.Context(), principal(r), r.PathValue("id"), r.URL.Query().Get("date"))
		reply(w, r, http.StatusOK, pl, err)
	})
	shop("POST", base+"/ship", func(w http.ResponseWriter, r *http.Request) {
		var in dispatch.ShipInput
		if err := decodeShip(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		rep, err := a.Dispatch.Ship(r.Context(), principal(r), r.PathValue("id"), in)
		if err == nil {
			rep.Localize(r.Context(), i18n.FromContext(r.Context()))
		}
		reply(w, r, http.StatusOK, rep, err)
	})
	shop("GET", base+"/at-risk", func(w http.ResponseWriter, r *http.Request) {
		hours, err := riskHours(r)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		l, err := a.Dispatch.ShopAtRisk(r.Context(), principal(r), r.PathValue("id"), hours)
		reply(w, r, http.StatusOK, l, err)
	})
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/admin/at-risk", Perm: dispatch.PermManage, Handler: func(w http.ResponseWriter, r *http.Request) {
		hours, err := riskHours(r)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		l, err := a.Dispatch.AtRisk(r.Context(), principal(r), hours)
		reply(w, r, http.StatusOK, l, err)
	}})
}
