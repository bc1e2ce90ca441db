package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/payment"
)

func init() { registrations = append(registrations, registerBilling) }

// decodeLedger decodes a JSON body like httpx.Decode, but a value of the
// wrong type (a fractional, quoted or out-of-range amount or rate) is a
// field error on that field rather than a malformed request.
func decodeLedger(r *http.Request, v any) error {
	err := httpx.Decode(r, v)
	var ute *json.UnmarshalTypeError
	if err != nil && errors.As(err, &ute) && ute.Field != "" {
		var fe core.FieldErrors
		fe.Add(ute.Field, "billing.field.integer")
		return fe.Err()
	}
	return err
}

// ledgerRequired answers a field error when a required number is missing.
func ledgerRequired(field string) error {
	var fe core.FieldErrors
	fe.Add(field, "field.required")
	return fe.Err()
}

// registerBilling mounts the ledger and balance API: a shop's statement
// (ledger:read in the shop's domain), the tenant's ledger summary
// (ledger:read) and commission overrides (tenant:settings), crediting a
// shopper's balance (customer:manage), and the shopper's own balance.
func registerBilling(rt *httpx.Router, a *app.App) {
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/merchant/shops/{id}/statement", Perm: billing.PermLedgerRead, Resource: true,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			pg, err := page(r)
			if err != nil {
				httpx.Error(w, r, err)
				return
			}
			st, err := a.Billing.ShopStatement(r.Context(), principal(r), r.PathValue("id"), fetch(pg))
			if err != nil {
				httpx.Error(w, r, err)
				return
			}
			lines, more := st.Lines, len(st.Lines) > pg.Limit
			if more {
				lines = lines[:pg.Limit]
			}
			httpx.JSON(w, http.StatusOK, map[string]any{
				"shop_id": st.ShopID, "owed_fen": st.OwedFen, "receivable_fen": st.ReceivableFen,
				"lines": lines, "limit": pg.Limit, "offset": pg.Offset, "has_more": more,
			})
		}})
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/admin/ledger/summary", Perm: billing.PermLedgerRead,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			s, err := a.Billing.Summary(r.Context(), principal(r))
			reply(w, r, http.StatusOK, s, err)
		}})

	settings := func(method, path string, h http.HandlerFunc) {
		rt.Handle(httpx.Route{Method: method, Path: path, Perm: billing.PermSettings, Handler: h})
	}
	settings("GET", "/api/v1/admin/commission-rates", func(w http.ResponseWriter, r *http.Request) {
		rs, err := a.Billing.CommissionRates(r.Context(), principal(r))
		reply(w, r, http.StatusOK, rs, err)
	})
	settings("PUT", "/api/v1/admin/commission-rates/{scope}/{target}", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			RateBP *int `json:"rate_bp"`
		}
		if err := decodeLedger(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		if in.RateBP == nil {
			httpx.Error(w, r, ledgerRequired("rate_bp"))
			return
		}
		cr, err := a.Billing.SetCommissionRate(r.Context(), principal(r), r.PathValue("scope"), r.PathValue("target"), *in.RateBP)
		reply(w, r, http.StatusOK, cr, err)
	})
	settings("DELETE", "/api/v1/admin/commission-rates/{scope}/{target}", func(w http.ResponseWriter, r *http.Request) {
		err := a.Billing.DeleteCommissionRate(r.Context(), principal(r), r.PathValue("scope"), r.PathValue("target"))
		reply(w, r, http.StatusNoContent, nil, err)
	})

	rt.Handle(httpx.Route{Method: "POST", Path: "/api/v1/admin/customers/{user}/balance-credits", Perm: payment.PermCustomerManage,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var in struct {
				AmountFen *int64 `json:"amount_fen"`
				Reason    string `json:"reason"`
			}
			if err := decodeLedger(r, &in); err != nil {
				httpx.Error(w, r, err)
				return
			}
			if in.AmountFen == nil {
				httpx.Error(w, r, ledgerRequired("amount_fen"))
				return
			}
			b, err := a.Payments.Balance.CreditCustomer(r.Context(), principal(r), r.PathValue("user"), *in.AmountFen, in.Reason)
			reply(w, r, http.StatusCreated, b, err)
		}})
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/me/balance", Perm: httpx.PermSignedIn,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			b, err := a.Payments.Balance.Mine(r.Context(), principal(r))
			reply(w, r, http.StatusOK, b, err)
		}})
}
