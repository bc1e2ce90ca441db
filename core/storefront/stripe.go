package storefront

import (
	"context"
	"net/http"
	"strings"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/web"

	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/payment"
	"github.com/jishi-dev/jishi/core/stripepay"
	"github.com/uptrace/bun"
)

// stripeCSP is the page policy of pages that confirm a payment with
// Stripe.js: the host's scripts plus Stripe's script, frames and API, as
// Stripe documents for its Payment Element.
const stripeCSP = "default-src 'self'; script-src 'self' https://js.stripe.com; " +
	"frame-src https://js.stripe.com https://hooks.stripe.com; connect-src 'self' https://api.stripe.com; " +
	"style-src 'self' 'unsafe-inline'; img-src 'self' data: https://*.stripe.com; object-src 'none'; base-uri 'self'; " +
	"frame-ancestors 'none'"

// stripePay is what a page needs to let the shopper confirm a pending
// Stripe payment.
type stripePay struct {
	Key, Secret, Return string
	Amount              string
	LastError           string
}

// stripeMethods reports whether the tenant takes Stripe payments and
// names its methods ("银行卡、支付宝、微信支付").
func (s *site) stripeMethods(ctx context.Context) (bool, string) {
	var keys stripepay.Keys
	_ = s.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		keys, err = s.a.Stripe.KeysFor(ctx, tx)
		return err
	})
	if !keys.Usable() {
		return false, ""
	}
	locale := i18n.FromContext(ctx)
	names := make([]string, len(keys.Methods))
	for i, m := range keys.Methods {
		names[i] = i18n.T(locale, "stripe.method."+m)
	}
	return true, strings.Join(names, i18n.T(locale, "sf.list_sep"))
}

// groupStripe answers the Stripe confirmation of checkout group groupID of
// shopper userID while its payment is pending through Stripe; nil
// otherwise.
func (s *site) groupStripe(ctx context.Context, userID, groupID string) *stripePay {
	var co *stripepay.Checkout
	err := s.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		pm, err := s.a.Payments.ForGroup(ctx, tx, groupID)
		if err != nil || pm.Provider != stripepay.ProviderName || pm.Status != payment.StatusPending {
			return err
		}
		co, err = s.a.Stripe.ClientSecret(ctx, tx, userID, pm.ID)
		return err
	})
	if err != nil || co == nil || co.ClientSecret == "" {
		return nil
	}
	return &stripePay{Key: co.PublishableKey, Secret: co.ClientSecret, Amount: yuan(co.AmountFen), LastError: co.LastError}
}

// allowStripe sets the page policy that lets Stripe.js run.
func allowStripe(w http.ResponseWriter) { w.Header().Set("Content-Security-Policy", stripeCSP) }

// absolute returns the absolute address of path on the request's host.
func absolute(r *http.Request, path string) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

// redeemCard is POST /account/balance/redeem: a stored-value card's code
// onto the balance.
func (s *site) redeemCard(w http.ResponseWriter, r *http.Request) {
	f := web.FormOf(r)
	p := web.Principal(r)
	if _, err := s.a.Payments.Balance.Redeem(r.Context(), p, f.Get("code")); err != nil {
		status, ok := f.Fail(r, err)
		if !ok {
			httpx.Error(w, r, err)
			return
		}
		b, err := s.a.Payments.Balance.Mine(r.Context(), p)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		s.renderBalance(w, r, status, f, nil, b)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "sf.balance.flash.redeemed")
	web.Redirect(w, r, "/account/balance")
}

// topUp is POST /account/balance/topup: starts a top-up by card of the
// amount in yuan and shows Stripe's payment form for it.
func (s *site) topUp(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f := web.FormOf(r)
	p := web.Principal(r)
	fen, ok := catalog.ParseYuan(f.Get("amount"))
	var co *stripepay.Checkout
	var err error
	if !ok {
		var fe core.FieldErrors
		fe.Add("amount", "stripe.field.topup_range")
		err = fe.Err()
	} else {
		co, err = s.a.Stripe.TopUp(ctx, p.UserID, fen, f.Get("idempotency_key"))
	}
	b, berr := s.a.Payments.Balance.Mine(ctx, p)
	if berr != nil {
		httpx.Error(w, r, berr)
		return
	}
	if err != nil {
		status, ok := f.Fail(r, core.RenameField(err, "amount_fen", "amount"))
		if !ok {
			httpx.Error(w, r, err)
			return
		}
		s.renderBalance(w, r, status, f, nil, b)
		return
	}
	pay := &stripePay{Key: co.PublishableKey, Secret: co.ClientSecret, Amount: yuan(co.AmountFen),
		Return: absolute(r, web.Link(r, "/account/balance"))}
	s.renderBalance(w, r, http.StatusOK, f, pay, b)
}
