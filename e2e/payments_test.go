package e2e

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/server"
	"github.com/jishi-dev/jishi/core/stripepay"
	"github.com/jishi-dev/jishi/core/stripepay/stripetest"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// TestStripeCheckoutInBrowser: on the demo data with Stripe on (the
// platform's test keys, stripe-mock behind them), a shopper pays a plain
// checkout "online": the order page shows Stripe's payment form under a
// policy that lets only Stripe's script in (Stripe.js itself cannot load
// here, so the page says the form could not load and keeps the button
// off), the orders wait for payment; Stripe's webhook (signed as Stripe
// signs) arrives and the page shows them paid. The tenant admin's payments
// page shows Stripe on, and the vegetable base's owner the payouts page.
func TestStripeCheckoutInBrowser(t *testing.T) {
	needChromium(t)
	artifacts := artifactsDir(t)
	ctx := context.Background()
	dir := t.TempDir()
	a, err := app.New(ctx, app.Config{DatabaseURL: "sqlite:" + filepath.Join(dir, "jishi.db"), DataDir: dir, FastHashing: true, Migrate: true,
		Stripe: stripepay.Config{SecretKey: stripetest.SecretKey, PublishableKey: stripetest.PublishableKey,
			WebhookSecret: stripetest.WebhookSecret, APIBase: stripetest.URL(t)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if err := a.StartJobs(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.StopJobs(context.Background()) })
	mk := demoMarket(t, a)
	tctx := tenants.WithTenant(ctx, mk.tenant)
	regionIDs := regionsByName(t, a, tctx)
	ts := httptest.NewServer(server.New(a))
	t.Cleanup(ts.Close)
	base := ts.URL + "/t/" + mk.tenant.Slug
	b, tab := startChromium(t, dir, artifacts)

	sh := tab()
	b.desktop(sh)
	b.signIn(sh, base, "shopper@changsha-coop.local", "/")
	b.cucumbersToCheckout(sh, base, regionIDs[district], 2, "card buyer")
	b.wantText(sh, ".providers", "在线支付")
	b.step(sh, "pay online", tap(`input[name="provider"][value="stripe"]`))
	b.submit(sh, "requote", tap("#requote"))
	b.step(sh, "quoted", chromedp.WaitVisible(chromedp.ID("applied-discounts")))
	order := b.placeOrder(sh, "card buyer")
	b.step(sh, "stripe form", chromedp.WaitVisible(chromedp.ID("stripe-section")), chromedp.WaitVisible(chromedp.ID("stripe-error")))
	b.wantText(sh, "#stripe-error", "支付组件未能加载")
	if !b.eval(sh, `document.getElementById("stripe-submit").disabled`) {
		t.Error("the pay button is on without Stripe.js")
	}
	if !strings.HasPrefix(b.evalString(sh, `document.getElementById("stripe-pay").dataset.secret`), "pi_") {
		t.Error("no client secret on the page")
	}
	b.shot(sh, "p1-order-awaiting-card")

	// Stripe says the money arrived.
	var it stripepay.Intent
	err = a.DB.RunInReadTx(tctx, func(ctx context.Context, tx bun.IDB) error {
		return tx.NewSelect().Model(&it).Where("tenant_id = ?", mk.tenant.ID).Where("kind = 'checkout'").Order("created_at DESC").Limit(1).Scan(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	payload := stripetest.Event("evt_e2e_paid", "payment_intent.succeeded", map[string]any{"id": it.ID, "object": "payment_intent",
		"amount": it.AmountFen, "amount_received": it.AmountFen, "currency": it.Currency, "status": "succeeded", "latest_charge": "ch_e2e",
		"metadata": map[string]string{"tenant_id": mk.tenant.ID, "kind": "checkout"}})
	req, _ := http.NewRequest("POST", base+"/webhooks/stripe", bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", stripetest.Sign(payload, stripetest.WebhookSecret, time.Now()))
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("webhook: %v %v", res, err)
	}
	res.Body.Close()
	b.waitPage(sh, "the order paid", base+"/orders/"+order.ID, `document.body.textContent.includes("已付款")`)
	b.shot(sh, "p2-order-paid")

	adm := tab()
	b.desktop(adm)
	b.signIn(adm, base, mk.adminLogin, "/admin")
	b.submit(adm, "open payments", tap("#nav-payments"))
	b.step(adm, "payments page", chromedp.WaitVisible(chromedp.ID("stripe-form")))
	b.wantText(adm, "#stripe-offered", "已开通 Stripe 在线支付")
	b.shot(adm, "p3-payments-console")

	own := tab()
	b.desktop(own)
	veg, err := a.Merchants.ShopBySlug(tctx, "yuelu-veg")
	if err != nil {
		t.Fatal(err)
	}
	b.signIn(own, base, "veg@changsha-coop.local", "/merchant/shops/"+veg.ID)
	b.submit(own, "open payouts", tap("#shop-payouts"))
	b.step(own, "payouts page", chromedp.WaitVisible(chromedp.ID("onboard-form")))
	b.wantText(own, "main", "开通 Stripe 收款")
	b.shot(own, "p4-payouts")
}
