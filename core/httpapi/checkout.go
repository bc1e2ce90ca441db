package httpapi

import (
	"net/http"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/checkout"
	"github.com/jishi-dev/jishi/core/httpx"
)

func init() { registrations = append(registrations, registerCheckout) }

// registerCheckout mounts quote and place for signed-in shoppers. Place
// needs an Idempotency-Key header; a replay answers the first answer with
// the same status.
func registerCheckout(rt *httpx.Router, a *app.App) {
	rt.Handle(httpx.Route{Method: "POST", Path: "/api/v1/checkout/quote", Perm: httpx.PermSignedIn,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var in checkout.Input
			if err := decodeFields(r, &in); err != nil {
				httpx.Error(w, r, err)
				return
			}
			q, err := a.Checkout.Quote(r.Context(), principal(r), in)
			reply(w, r, http.StatusOK, q, err)
		}})
	rt.Handle(httpx.Route{Method: "POST", Path: "/api/v1/checkout", Perm: httpx.PermSignedIn,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var in checkout.Input
			if err := decodeFields(r, &in); err != nil {
				httpx.Error(w, r, err)
				return
			}
			out, err := a.Checkout.Place(r.Context(), principal(r), r.Header.Get("Idempotency-Key"), in)
			if err == nil && out.Replayed {
				w.Header().Set("Idempotent-Replayed", "true")
			}
			reply(w, r, http.StatusCreated, out, err)
		}})
}
