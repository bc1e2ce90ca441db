package httpapi

import (
	"context"
	"io"
	"net/http"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/payment"
	"github.com/jishi-dev/jishi/core/stripepay"
	"github.com/uptrace/bun"
)

func init() { registrations = append(registrations, registerStripe) }

// MaxWebhookBody caps a Stripe webhook delivery.
const MaxWebhookBody = 512 << 10

// registerStripe mounts Stripe: the webhook (public, verified by its
// signature), the shopper's client secret of a pending checkout and
// balance top-ups, the tenant's Stripe settings (tenant:settings), and a
// shop's Connect account (shop:staff in the shop's domain to onboard,
// shop:view to see it).
func registerStripe(rt *httpx.Router, a *app.App) {
	rt.Handle(httpx.Route{Method: "POST", Path: "/webhooks/stripe", Public: true, Signed: true, MaxBody: MaxWebhookBody,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				httpx.Error(w, r, &core.Error{Code: core.Invalid, Message: "error.bad_request", Err: err})
				return
			}
			fresh, err := a.Stripe.Receive(r.Context(), body, r.Header.Get("Stripe-Signature"))
			reply(w, r, http.StatusOK, map[string]bool{"received": true, "new": fresh}, err)
		}})

	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/me/checkouts/{group}/stripe", Perm: httpx.PermSignedIn,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var out *stripepay.Checkout
			err := a.DB.RunInReadTx(r.Context(), func(ctx context.Context, tx bun.IDB) error {
				pm, err := a.Payments.ForGroup(ctx, tx, r.PathValue("group"))
				if err != nil {
					return err
				}
				out, err = a.Stripe.ClientSecret(ctx, tx, principal(r).UserID, pm.ID)
				return err
			})
			reply(w, r, http.StatusOK, out, err)
		}})
	rt.Handle(httpx.Route{Method: "POST", Path: "/api/v1/me/balance/topups", Perm: httpx.PermSignedIn,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var in struct {
				AmountFen *int64 `json:"amount_fen"`
			}
			if err := decodeLedger(r, &in); err != nil {
				httpx.Error(w, r, err)
				return
			}
			if in.AmountFen == nil {
				httpx.Error(w, r, ledgerRequired("amount_fen"))
				return
			}
			out, err := a.Stripe.TopUp(r.Context(), principal(r).UserID, *in.AmountFen, r.Header.Get("Idempotency-Key"))
			reply(w, r, http.StatusCreated, out, err)
		}})
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/me/balance/topups/{id}", Perm: httpx.PermSignedIn,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var out *stripepay.Checkout
			err := a.DB.RunInReadTx(r.Context(), func(ctx context.Context, tx bun.IDB) error {
				var err error
				out, err = a.Stripe.TopUpOf(ctx, tx, principal(r).UserID, r.PathValue("id"))
				return err
			})
			reply(w, r, http.StatusOK, out, err)
		}})

	rt.Handle(httpx.Route{Method: "POST", Path: "/api/v1/me/balance/redeem", Perm: httpx.PermSignedIn,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var in struct {
				Code string `json:"code"`
			}
			if err := httpx.Decode(r, &in); err != nil {
				httpx.Error(w, r, err)
				return
			}
			b, err := a.Payments.Balance.Redeem(r.Context(), principal(r), in.Code)
			reply(w, r, http.StatusOK, b, err)
		}})
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/admin/stored-value", Perm: payment.PermCustomerManage,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			f, err := a.Payments.Balance.FloatOf(r.Context(), principal(r))
			reply(w, r, http.StatusOK, f, err)
		}})
	rt.Handle(httpx.Route{Method: "POST", Path: "/api/v1/admin/stored-value/cards", Perm: payment.PermCustomerManage,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var in payment.IssueInput
			if err := decodeLedger(r, &in); err != nil {
				httpx.Error(w, r, err)
				return
			}
			in.Issuer, in.ActorID = "", principal(r).UserID // the tenant issues its own cards; plugins through their API
			var out []*payment.IssuedCard
			err := a.DB.RunInTx(r.Context(), func(ctx context.Context, tx bun.IDB) error {
				var err error
				out, err = a.Payments.IssueCards(ctx, tx, in)
				return err
			})
			reply(w, r, http.StatusCreated, map[string]any{"cards": out}, err)
		}})

	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/admin/stripe/settings", Perm: billing.PermSettings,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var out *stripepay.SettingsView
			err := a.DB.RunInReadTx(r.Context(), func(ctx context.Context, tx bun.IDB) error {
				var err error
				out, err = a.Stripe.View(ctx, tx)
				return err
			})
			reply(w, r, http.StatusOK, out, err)
		}})
	rt.Handle(httpx.Route{Method: "PUT", Path: "/api/v1/admin/stripe/settings", Perm: billing.PermSettings,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var in stripepay.SettingsInput
			if err := httpx.Decode(r, &in); err != nil {
				httpx.Error(w, r, err)
				return
			}
			out, err := a.Stripe.Save(r.Context(), in)
			reply(w, r, http.StatusOK, out, err)
		}})

	shopRoute := func(method, path, perm string, h func(w http.ResponseWriter, r *http.Request, sh *merchant.Shop)) {
		rt.Handle(httpx.Route{Method: method, Path: path, Perm: perm, Resource: true,
			Handler: func(w http.ResponseWriter, r *http.Request) {
				sh, err := stripeShop(r, a, perm)
				if err != nil {
					httpx.Error(w, r, err)
					return
				}
				h(w, r, sh)
			}})
	}
	shopRoute("GET", "/api/v1/merchant/shops/{id}/stripe", merchant.PermViewShop, func(w http.ResponseWriter, r *http.Request, sh *merchant.Shop) {
		out, err := stripeAccountView(r.Context(), a, sh.ID)
		reply(w, r, http.StatusOK, out, err)
	})
	shopRoute("POST", "/api/v1/merchant/shops/{id}/stripe/onboarding", merchant.PermStaff, func(w http.ResponseWriter, r *http.Request, sh *merchant.Shop) {
		base := a.Config.PublicURL + "/merchant/shops/" + sh.ID + "/payouts"
		email := ""
		if p := principal(r); p != nil {
			email = p.Email
		}
		url, err := a.Stripe.Onboard(r.Context(), sh.ID, email, base+"?stripe=return", base+"?stripe=refresh")
		reply(w, r, http.StatusOK, map[string]string{"url": url}, err)
	})
	shopRoute("POST", "/api/v1/merchant/shops/{id}/stripe/refresh", merchant.PermStaff, func(w http.ResponseWriter, r *http.Request, sh *merchant.Shop) {
		if _, err := a.Stripe.Refresh(r.Context(), sh.ID); err != nil {
			httpx.Error(w, r, err)
			return
		}
		out, err := stripeAccountView(r.Context(), a, sh.ID)
		reply(w, r, http.StatusOK, out, err)
	})
	rt.Handle(httpx.Route{Method: "POST", Path: "/api/v1/admin/shops/{id}/stripe/payout", Perm: billing.PermSettings,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			if _, err := a.Merchants.ShopByID(r.Context(), r.PathValue("id")); err != nil {
				httpx.Error(w, r, err)
				return
			}
			reply(w, r, http.StatusAccepted, map[string]bool{"queued": true}, a.Stripe.PayOutAccrued(r.Context(), r.PathValue("id")))
		}})
}

// stripeShop loads the path's shop for p with perm in the shop's domain;
// NotFound when p may not see it.
func stripeShop(r *http.Request, a *app.App, perm string) (*merchant.Shop, error) {
	p := principal(r)
	sh, err := a.Merchants.ShopFor(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if perm != merchant.PermViewShop {
		if err := a.Authz.Check(r.Context(), p, sh.AuthzDomain(), perm); err != nil {
			return nil, err
		}
	}
	return sh, nil
}

// StripeAccount is a shop's Connect status as shown.
type StripeAccount struct {
	Offered   bool                  `json:"offered"` // the marketplace takes Stripe payments
	Account   *stripepay.Account    `json:"account"` // null until onboarding starts
	Usable    bool                  `json:"usable"`  // transfers can be made
	Transfers []*stripepay.Transfer `json:"transfers"`
	OwedFen   int64                 `json:"owed_fen"` // what the platform owes the shop (accrued)
}

func stripeAccountView(ctx context.Context, a *app.App, shopID string) (*StripeAccount, error) {
	out := &StripeAccount{}
	err := a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		out.Offered = a.Stripe.Offered(ctx, tx)
		var err error
		if out.Account, err = a.Stripe.AccountOf(ctx, tx, shopID); err != nil {
			return err
		}
		out.Usable = out.Account.Usable()
		if out.Transfers, err = a.Stripe.TransfersOf(ctx, tx, shopID, 50); err != nil {
			return err
		}
		pos, err := a.Billing.Position(ctx, tx, shopID)
		if err != nil {
			return err
		}
		out.OwedFen = pos.OwedFen
		return nil
	})
	return out, err
}
