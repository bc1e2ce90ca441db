package storefront_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/payment"
	"github.com/jishi-dev/jishi/core/stripepay"
	"github.com/jishi-dev/jishi/core/stripepay/stripetest"
	"github.com/jishi-dev/jishi/core/web/webtest"
	"github.com/uptrace/bun"
)

// TestStripePages: with Stripe configured the checkout offers it, placing
// lands on the group page with Stripe's payment form under a policy that
// lets Stripe.js run; the balance page tops up by card and redeems card
// codes. Without Stripe, neither is offered.
func TestStripePages(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.NewWith(t, d, app.Config{Stripe: stripepay.Config{SecretKey: stripetest.SecretKey,
			PublishableKey: stripetest.PublishableKey, WebhookSecret: stripetest.WebhookSecret, APIBase: stripetest.URL(t)}})
		m := newShoppingMarket(t, e, "网上供销社", "yuelu-veg")
		b, acc := m.User("钱先生", "", "")
		// The tenant offers all three methods (on the platform's keys).
		if _, err := m.App.Stripe.Save(m.Ctx, stripepay.SettingsInput{Methods: []string{"card", "alipay", "wechat_pay"}}); err != nil {
			t.Fatal(err)
		}
		webtest.Want(t, b.Post("/cart/lines", url.Values{"sku_id": {m.sku}, "qty": {"2"}}), http.StatusSeeOther, "add")
		webtest.Want(t, b.Post("/cart/region", url.Values{"region_id": {m.Yuelu.ID}}), http.StatusSeeOther, "region")
		r := webtest.Want(t, b.Get("/checkout"), 200, "checkout")
		webtest.Contains(t, r, "checkout", `name="provider" value="stripe"`, "银行卡、支付宝、微信支付")
		key := find(t, r, keyRE)
		form := url.Values{"region_id": {m.Yuelu.ID}, "shops.0.shop_id": {m.shop.ID}, "shops.0.method": {"pickup"},
			"shops.0.pickup_point_id": {m.point.ID}, "recipient": {"钱先生"}, "phone": {"13800138000"}, "provider": {"stripe"},
			"action": {"place"}, "idempotency_key": {key}, "expected_total_fen": {"1000"}}
		r = webtest.Want(t, b.Post("/checkout", form), http.StatusSeeOther, "place")
		r = webtest.Want(t, b.Get(strings.TrimPrefix(r.Location(), "/t/"+m.Tenant.Slug)), 200, "group")
		webtest.Contains(t, r, "group", `id="stripe-pay"`, `data-key="`+stripetest.PublishableKey+`"`, `data-secret="pi_`,
			`src="https://js.stripe.com/v3/"`, "stripe-pay.js")
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self' https://js.stripe.com") {
			t.Fatalf("group page policy %q", csp)
		}
		// Other pages keep the strict policy.
		r = webtest.Want(t, b.Get("/account"), 200, "account")
		if csp := r.Header.Get("Content-Security-Policy"); strings.Contains(csp, "stripe") {
			t.Fatalf("account page policy %q", csp)
		}

		// Top-up by card: a bad amount is a field error, a good one shows
		// Stripe's form for the intent.
		r = webtest.Want(t, b.Get("/account/balance"), 200, "balance")
		webtest.Contains(t, r, "balance", `id="topup-form"`, `id="redeem-form"`)
		tk := find(t, r, keyRE)
		r = webtest.Want(t, b.Post("/account/balance/topup", url.Values{"amount": {"-5"}, "idempotency_key": {tk}}), http.StatusBadRequest, "bad top-up")
		webtest.Contains(t, r, "bad top-up", "1 元到 5000 元之间")
		r = webtest.Want(t, b.Post("/account/balance/topup", url.Values{"amount": {"88.50"}, "idempotency_key": {tk}}), 200, "top-up")
		webtest.Contains(t, r, "top-up", `id="stripe-pay"`, "¥88.50", `data-secret="pi_`)
		var n int64
		err := m.App.DB.RunInReadTx(m.Ctx, func(ctx context.Context, tx bun.IDB) (err error) {
			n, err = tx.NewSelect().Model((*stripepay.Intent)(nil)).Where("user_id = ?", acc.ID).Where("kind = 'topup'").Where("amount_fen = 8850").Count(ctx)
			return err
		})
		if err != nil || n != 1 {
			t.Fatalf("top-up intents %d %v", n, err)
		}

		// A card code redeemed on the page.
		var cards []*payment.IssuedCard
		err = m.App.DB.RunInTx(m.Ctx, func(ctx context.Context, tx bun.IDB) (err error) {
			cards, err = m.App.Payments.IssueCards(ctx, tx, payment.IssueInput{Reference: "page", Count: 1, AmountFen: 2000, Funded: payment.FundedGift})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		r = webtest.Want(t, b.Post("/account/balance/redeem", url.Values{"code": {"NOPE"}}), http.StatusBadRequest, "bad code")
		webtest.Contains(t, r, "bad code", "卡密无效")
		webtest.Want(t, b.Post("/account/balance/redeem", url.Values{"code": {cards[0].Code}}), http.StatusSeeOther, "redeem")
		webtest.Contains(t, webtest.Want(t, b.Get("/account/balance"), 200, "after"), "after", `id="balance" class="price">¥20.00`)
	})
}

func TestNoStripeOffered(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := newShoppingMarket(t, e, "网上供销社", "yuelu-veg")
		b, _ := m.User("孙女士", "", "")
		webtest.Want(t, b.Post("/cart/lines", url.Values{"sku_id": {m.sku}, "qty": {"2"}}), http.StatusSeeOther, "add")
		webtest.Want(t, b.Post("/cart/region", url.Values{"region_id": {m.Yuelu.ID}}), http.StatusSeeOther, "region")
		r := webtest.Want(t, b.Get("/checkout"), 200, "checkout")
		if strings.Contains(string(r.Body), `value="stripe"`) {
			t.Fatal("Stripe offered without keys")
		}
		r = webtest.Want(t, b.Get("/account/balance"), 200, "balance")
		if strings.Contains(string(r.Body), `id="topup-form"`) || !strings.Contains(string(r.Body), `id="redeem-form"`) {
			t.Fatal("balance page forms without Stripe")
		}
	})
}
