package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/billing/billingtest"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/invoicing"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/payment"
	"github.com/jishi-dev/jishi/core/server"
	"github.com/jishi-dev/jishi/core/stripepay"
	"github.com/jishi-dev/jishi/core/stripepay/stripetest"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// logBuffer captures every log line of the test (the default logger), for
// the check that no secret is ever logged.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func captureLogs(t *testing.T) *logBuffer {
	lb := &logBuffer{}
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(old) })
	return lb
}

// stripeMarket is a checkout market whose app talks to stripe-mock with
// the platform's test keys.
type stripeMarket struct {
	*checkoutMarket
	logs *logBuffer
}

func newStripeMarket(t *testing.T, d *db.DB, shops int) *stripeMarket {
	t.Helper()
	logs := captureLogs(t)
	a, err := app.NewWithDB(context.Background(), app.Config{FastHashing: true, DataDir: t.TempDir(), Stripe: stripepay.Config{
		SecretKey: stripetest.SecretKey, PublishableKey: stripetest.PublishableKey, WebhookSecret: stripetest.WebhookSecret,
		APIBase: stripetest.URL(t),
	}}, d)
	if err != nil {
		t.Fatal(err)
	}
	m := &stripeMarket{checkoutMarket: newCheckoutMarketOn(t, a, server.New(a), shops, 50), logs: logs}
	return m
}

// webhook posts payload signed at at with secret and answers the status
// and body.
func (m *stripeMarket) webhook(payload []byte, secret string, at time.Time) (int, string) {
	m.t.Helper()
	r := httptest.NewRequest("POST", "/t/"+m.tenant.Slug+"/webhooks/stripe", bytes.NewReader(payload))
	r.Host = "localhost"
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Stripe-Signature", stripetest.Sign(payload, secret, at))
	w := httptest.NewRecorder()
	m.h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

// event posts a fresh event signed now and wants it accepted.
func (m *stripeMarket) event(typ string, obj any) string {
	m.t.Helper()
	id := "evt_" + strings.ReplaceAll(tenants.NewID(), "-", "")
	if code, body := m.webhook(stripetest.Event(id, typ, obj), stripetest.WebhookSecret, time.Now()); code != http.StatusOK {
		m.t.Fatalf("webhook %s: %d %s", typ, code, body)
	}
	return id
}

// processed waits until event id was processed and answers its result.
func (m *stripeMarket) processed(id string) string {
	m.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		e := new(stripepay.Event)
		err := m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
			return tx.NewSelect().Model(e).Where("tenant_id = ?", m.tenant.ID).Where("id = ?", id).Scan(ctx)
		})
		if err == nil && e.ProcessedAt != nil {
			return e.Result
		}
		time.Sleep(50 * time.Millisecond)
	}
	m.t.Fatalf("event %s not processed", id)
	return ""
}

// waitFor polls cond (read in a transaction of the tenant) until it holds.
func (m *stripeMarket) waitFor(what string, cond func(ctx context.Context, tx bun.IDB) (bool, error)) {
	m.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var ok bool
		err := m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
			ok, err = cond(ctx, tx)
			return err
		})
		if err != nil {
			m.t.Fatal(err)
		}
		if ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	m.t.Fatalf("timed out waiting for %s", what)
}

func (m *stripeMarket) intentOfGroup(group string) *stripepay.Intent {
	m.t.Helper()
	it := new(stripepay.Intent)
	err := m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
		pm, err := m.a.Payments.ForGroup(ctx, tx, group)
		if err != nil {
			return err
		}
		return tx.NewSelect().Model(it).Where("tenant_id = ?", m.tenant.ID).Where("payment_id = ?", pm.ID).Scan(ctx)
	})
	if err != nil {
		m.t.Fatal(err)
	}
	return it
}

func (m *checkoutMarket) balance(a billing.Account) int64 {
	m.t.Helper()
	var n int64
	err := m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		n, err = m.a.Billing.Balance(ctx, tx, a)
		return err
	})
	if err != nil {
		m.t.Fatal(err)
	}
	return n
}

func (m *stripeMarket) transfers(shopID string) []*stripepay.Transfer {
	m.t.Helper()
	var out []*stripepay.Transfer
	err := m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		out, err = m.a.Stripe.TransfersOf(ctx, tx, shopID, 100)
		return err
	})
	if err != nil {
		m.t.Fatal(err)
	}
	return out
}

// intentObject is a PaymentIntent as Stripe sends it in events.
func intentObject(it *stripepay.Intent, tenantID string, amount int64, charge string) map[string]any {
	return map[string]any{"id": it.ID, "object": "payment_intent", "amount": amount, "amount_received": amount,
		"currency": it.Currency, "status": "succeeded", "latest_charge": charge,
		"metadata": map[string]string{"tenant_id": tenantID, "kind": it.Kind}}
}

// accountObject is a Connect account as account.updated sends it.
func accountObject(id string, ready bool) map[string]any {
	status := "inactive"
	if ready {
		status = "active"
	}
	return map[string]any{"id": id, "object": "account", "type": "express", "details_submitted": ready,
		"charges_enabled": ready, "payouts_enabled": ready, "capabilities": map[string]string{"transfers": status}}
}

// TestHTTPStripeCheckoutConnect is the story: three shops (one connected,
// one connected then suspended, one not connected) sold in one checkout
// paid by Stripe; the webhook settles it; the connected shop's share is
// transferred; a refund of one line reverses its share; the unconnected
// shop's share accrues and is paid out once it connects. The ledger
// balances at every step; no secret reaches the logs or the API.
func TestHTTPStripeCheckoutConnect(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := newStripeMarket(t, d, 3)
		if err := m.a.StartJobs(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = m.a.StopJobs(context.Background()) })
		s0, s1, s2 := m.shops[0], m.shops[1], m.shops[2]

		// Onboarding: shops 0 and 1 get Express accounts and links.
		accounts := map[string]string{}
		for _, c := range []*checkoutShop{s0, s1} {
			var link struct {
				URL string `json:"url"`
			}
			c.owner.want(http.StatusOK, "POST", "/api/v1/merchant/shops/"+c.shop.ID+"/stripe/onboarding", nil, &link)
			if !strings.HasPrefix(link.URL, "http") {
				t.Fatalf("onboarding link %q", link.URL)
			}
			var view struct {
				Offered bool               `json:"offered"`
				Usable  bool               `json:"usable"`
				Account *stripepay.Account `json:"account"`
			}
			c.owner.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+c.shop.ID+"/stripe", nil, &view)
			if !view.Offered || view.Usable || view.Account == nil || !strings.HasPrefix(view.Account.AccountID, "acct_") {
				t.Fatalf("account view %+v", view)
			}
			accounts[c.shop.ID] = view.Account.AccountID
			// Another shop's owner, and another tenant's id, see nothing.
			s2.owner.want(http.StatusNotFound, "GET", "/api/v1/merchant/shops/"+c.shop.ID+"/stripe", nil, nil)
			s2.owner.want(http.StatusNotFound, "POST", "/api/v1/merchant/shops/"+c.shop.ID+"/stripe/onboarding", nil, nil)
		}
		// Stripe tells us they finished onboarding.
		for _, c := range []*checkoutShop{s0, s1} {
			if r := m.processed(m.event("account.updated", accountObject(accounts[c.shop.ID], true))); r != "applied" {
				t.Fatalf("account.updated: %s", r)
			}
		}
		// An account we do not know changes nothing.
		if r := m.processed(m.event("account.updated", accountObject("acct_unknown123", true))); r != "ignored: unknown account" {
			t.Fatalf("unknown account: %s", r)
		}

		// The shopper pays three shops by card.
		buyer := m.user("buyer", "", "")
		for _, c := range m.shops {
			buyer.want(http.StatusCreated, "POST", "/api/v1/cart/lines", map[string]any{"sku_id": c.sku, "qty": 4}, nil)
		}
		body := m.pickupAll(nil, nil)
		body["provider"] = "stripe"
		var q quoteOut
		buyer.want(http.StatusOK, "POST", "/api/v1/checkout/quote", body, &q)
		body["expected_total_fen"] = q.TotalFen
		code, b, _ := buyer.place("stripe-1", body)
		var placed placedOut
		if code != http.StatusCreated || json.Unmarshal(b, &placed) != nil || placed.Payment != "pending" {
			t.Fatalf("place: %d %s", code, b)
		}
		for _, o := range placed.Group.Orders {
			if o.Status != order.StatusPendingPayment {
				t.Fatalf("order before the webhook: %s", o.Status)
			}
		}
		group := placed.Group.ID
		var co stripepay.Checkout
		buyer.want(http.StatusOK, "GET", "/api/v1/me/checkouts/"+group+"/stripe", nil, &co)
		if co.ClientSecret == "" || co.PublishableKey != stripetest.PublishableKey || co.AmountFen != q.TotalFen || co.Status != "pending" {
			t.Fatalf("client secret view %+v", co)
		}
		m.user("other", "", "").want(http.StatusNotFound, "GET", "/api/v1/me/checkouts/"+group+"/stripe", nil, nil)
		it := m.intentOfGroup(group)
		if it.AmountFen != q.TotalFen || it.Currency != "cny" {
			t.Fatalf("intent %+v", it)
		}
		billingtest.AssertBalanced(t, d)

		// Shop 1 is suspended before the money arrives: no transfer for it.
		m.admin.want(http.StatusOK, "POST", "/api/v1/admin/shops/"+s1.shop.ID+"/suspend", map[string]string{"reason": "资质复查"}, nil)

		// A tampered amount does not settle anything.
		if r := m.processed(m.event("payment_intent.succeeded", intentObject(it, m.tenant.ID, it.AmountFen-100, "ch_1"))); r != "ignored: amount mismatch" {
			t.Fatalf("tampered amount: %s", r)
		}
		// The payment succeeds; delivered twice, and once under another id.
		succeeded := stripetest.Event("evt_paid_"+strings.ReplaceAll(group, "-", ""), "payment_intent.succeeded", intentObject(it, m.tenant.ID, it.AmountFen, "ch_paid1"))
		for range 2 {
			if code, body := m.webhook(succeeded, stripetest.WebhookSecret, time.Now()); code != http.StatusOK {
				t.Fatalf("succeeded: %d %s", code, body)
			}
		}
		if r := m.processed("evt_paid_" + strings.ReplaceAll(group, "-", "")); r != "applied: paid" {
			t.Fatalf("succeeded: %s", r)
		}
		if r := m.processed(m.event("payment_intent.succeeded", intentObject(it, m.tenant.ID, it.AmountFen, "ch_paid1"))); r != "ignored: intent already succeeded" {
			t.Fatalf("second success: %s", r)
		}
		var mine []order.Order
		buyer.want(http.StatusOK, "GET", "/api/v1/me/orders", nil, &struct {
			Orders *[]order.Order `json:"orders"`
		}{&mine})
		for _, o := range mine {
			if o.GroupID == group && (o.Status != order.StatusPaid || o.PaymentStatus != "paid") {
				t.Fatalf("order after the webhook %+v", o)
			}
		}
		// Shop 0's share goes to its account; shop 1 (suspended) and shop 2
		// (no account) accrue theirs.
		var share0 int64
		m.waitFor("shop 0's transfer", func(ctx context.Context, tx bun.IDB) (bool, error) {
			ts, err := m.a.Stripe.TransfersOf(ctx, tx, s0.shop.ID, 10)
			if len(ts) == 1 {
				share0 = ts[0].AmountFen
			}
			return len(ts) == 1, err
		})
		// Payout leaves shop 0 owed nothing; the others are owed their share.
		if n := m.balance(billing.ShopPayable(s0.shop.ID)); n != 0 {
			t.Fatalf("shop 0 payable after its transfer: %d", n)
		}
		if share0 <= 0 || share0 >= 2000 {
			t.Fatalf("shop 0's share %d (its order is 20 yuan less commission)", share0)
		}
		time.Sleep(300 * time.Millisecond) // the other transfer jobs ran (and skipped)
		if len(m.transfers(s1.shop.ID)) != 0 || len(m.transfers(s2.shop.ID)) != 0 {
			t.Fatal("a suspended or unconnected shop got a transfer")
		}
		if m.balance(billing.ShopPayable(s1.shop.ID)) != -share0 || m.balance(billing.ShopPayable(s2.shop.ID)) != -share0 {
			t.Fatal("the other shops' shares did not accrue")
		}
		billingtest.AssertBalanced(t, d)

		// A refund of one unit of shop 0's line: the money goes back to the
		// card and the shop's share of it comes back from its transfer.
		var o0 order.Order
		for _, o := range mine {
			if o.ShopID == s0.shop.ID && o.GroupID == group {
				o0 = o
			}
		}
		base := "/api/v1/merchant/shops/" + s0.shop.ID + "/orders/" + o0.ID
		var got order.Order
		s0.owner.want(http.StatusOK, "GET", base, nil, &got)
		line := got.Lines[0].ID
		// Two refunds of the whole line at once: exactly one succeeds.
		var wg sync.WaitGroup
		codes := make([]int, 2)
		bodies := make([][]byte, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], bodies[i] = s0.owner.do("POST", base+"/refunds", map[string]any{"lines": []map[string]any{{"line_id": line, "qty": 4}}, "reason": "坏了"})
			}()
		}
		wg.Wait()
		ok := 0
		for _, c := range codes {
			if c == http.StatusCreated {
				ok++
			} else if c != http.StatusConflict {
				t.Fatalf("concurrent refund answered %d", c)
			}
		}
		if ok != 1 {
			t.Fatalf("concurrent refunds: %v %s %s, want exactly one success", codes, bodies[0], bodies[1])
		}
		// The refund reaches Stripe after its transaction committed.
		m.waitFor("the refund sent to Stripe", func(ctx context.Context, tx bun.IDB) (bool, error) {
			var rs []*stripepay.Refund
			err := tx.NewSelect().Model(&rs).Where("tenant_id = ?", m.tenant.ID).Where("intent_id = ?", it.ID).Scan(ctx)
			return len(rs) == 1 && strings.HasPrefix(rs[0].RefundID, "re_") && rs[0].AmountFen == 2000, err
		})
		m.waitFor("the reversal", func(ctx context.Context, tx bun.IDB) (bool, error) {
			ts, err := m.a.Stripe.TransfersOf(ctx, tx, s0.shop.ID, 10)
			return len(ts) == 1 && ts[0].ReversedFen == share0, err
		})
		if n := m.balance(billing.ShopPayable(s0.shop.ID)); n != 0 {
			t.Fatalf("shop 0 payable after the reversal: %d", n)
		}
		// A refund whose transaction rolls back never reaches Stripe.
		boom := errors.New("boom")
		err := m.a.DB.RunInTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
			pm, err := m.a.Payments.ForGroup(ctx, tx, group)
			if err != nil {
				return err
			}
			for _, pt := range pm.Parts {
				if pt.ShopID == s2.shop.ID {
					if _, err := m.a.Payments.Refund(ctx, tx, pm.ID, pt.OrderRef, 100, "rolled-back-refund"); err != nil {
						return err
					}
				}
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("rolled-back refund: %v", err)
		}
		m.waitFor("no trace of the rolled-back refund", func(ctx context.Context, tx bun.IDB) (bool, error) {
			rows, err := tx.NewSelect().Model((*stripepay.Refund)(nil)).Where("tenant_id = ?", m.tenant.ID).Where("ref = ?", "rolled-back-refund").Count(ctx)
			if err != nil {
				return false, err
			}
			jobs, err := tx.NewSelect().Table("river_job").Where("kind = ?", "stripe.refund").
				Where("CAST(args AS text) LIKE ?", "%rolled-back-refund%").Count(ctx)
			return rows == 0 && jobs == 0, err
		})
		// Nothing more can be refunded on that order.
		s0.owner.want(http.StatusConflict, "POST", base+"/refunds", map[string]any{"lines": []map[string]any{{"line_id": line, "qty": 1}}, "reason": "又坏了"}, nil)
		// Stripe confirms the refund; a transfer.reversed of what we already
		// recorded changes nothing.
		if r := m.processed(m.event("charge.refunded", map[string]any{"id": "ch_paid1", "object": "charge", "payment_intent": it.ID,
			"amount": it.AmountFen, "amount_refunded": 2000, "metadata": map[string]string{"tenant_id": m.tenant.ID}})); r != "applied" {
			t.Fatalf("charge.refunded: %s", r)
		}
		tr := m.transfers(s0.shop.ID)[0]
		if r := m.processed(m.event("transfer.reversed", map[string]any{"id": tr.TransferID, "object": "transfer", "amount": tr.AmountFen,
			"amount_reversed": share0, "metadata": map[string]string{"tenant_id": m.tenant.ID}})); r != "applied" {
			t.Fatalf("transfer.reversed: %s", r)
		}
		if n := m.balance(billing.ShopPayable(s0.shop.ID)); n != 0 {
			t.Fatalf("a repeated reversal moved money: payable %d", n)
		}
		billingtest.AssertBalanced(t, d)

		// Shop 2 connects: what accrued is paid out in one transfer.
		var link struct {
			URL string `json:"url"`
		}
		s2.owner.want(http.StatusOK, "POST", "/api/v1/merchant/shops/"+s2.shop.ID+"/stripe/onboarding", nil, &link)
		var view struct {
			Account *stripepay.Account `json:"account"`
		}
		s2.owner.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+s2.shop.ID+"/stripe", nil, &view)
		m.processed(m.event("account.updated", accountObject(view.Account.AccountID, true)))
		m.waitFor("shop 2's accrued payout", func(ctx context.Context, tx bun.IDB) (bool, error) {
			ts, err := m.a.Stripe.TransfersOf(ctx, tx, s2.shop.ID, 10)
			return len(ts) == 1 && ts[0].AmountFen == share0, err
		})
		if n := m.balance(billing.ShopPayable(s2.shop.ID)); n != 0 {
			t.Fatalf("shop 2 payable after its payout: %d", n)
		}
		// The suspended shop still accrues.
		m.admin.want(http.StatusConflict, "POST", "/api/v1/admin/shops/"+s1.shop.ID+"/stripe/payout", nil, nil)
		m.admin.want(http.StatusNotFound, "POST", "/api/v1/admin/shops/"+tenants.NewID()+"/stripe/payout", nil, nil)
		if m.balance(billing.ShopPayable(s1.shop.ID)) != -share0 {
			t.Fatal("the suspended shop's share moved")
		}
		billingtest.AssertBalanced(t, d)

		// Stripe's money: what the shopper paid, less the refund and the
		// transfers still standing, is the platform's.
		clearing := m.balance(billing.TenderClearing("stripe"))
		if want := it.AmountFen - 2000 - share0; clearing != want {
			t.Fatalf("stripe clearing %d, want %d", clearing, want)
		}

		// Secrets: not in any answer, not in the logs.
		var sv map[string]any
		m.admin.want(http.StatusOK, "GET", "/api/v1/admin/stripe/settings", nil, &sv)
		raw, _ := json.Marshal(sv)
		for _, secret := range []string{stripetest.SecretKey, stripetest.WebhookSecret} {
			if strings.Contains(string(raw), secret) || strings.Contains(m.logs.String(), secret) {
				t.Fatalf("secret %q shown or logged", secret[:8])
			}
		}
		if !strings.Contains(string(raw), "••••") {
			t.Fatalf("settings view %s", raw)
		}
	})
}

// TestHTTPStripeWebhookAbuse: bad signature, old timestamp, replayed body,
// another tenant's event, unknown types: rejected or ignored, nothing
// changed; the webhook answers without a session.
func TestHTTPStripeWebhookAbuse(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := newStripeMarket(t, d, 1)
		events := func() int { return m.count("stripe_events") }
		payload := stripetest.Event("evt_abuse_1", "payment_intent.succeeded", map[string]any{"id": "pi_nothing", "object": "payment_intent",
			"amount": 100, "currency": "cny", "metadata": map[string]string{"tenant_id": m.tenant.ID}})
		if code, _ := m.webhook(payload, "whsec_someoneelse0123456789", time.Now()); code != http.StatusBadRequest {
			t.Fatalf("bad signature: %d", code)
		}
		if code, _ := m.webhook(payload, stripetest.WebhookSecret, time.Now().Add(-301*time.Second)); code != http.StatusBadRequest {
			t.Fatalf("old timestamp: %d", code)
		}
		// A body changed after signing.
		r := httptest.NewRequest("POST", "/t/"+m.tenant.Slug+"/webhooks/stripe", bytes.NewReader(bytes.Replace(payload, []byte(`"amount":100`), []byte(`"amount":999`), 1)))
		r.Host = "localhost"
		r.Header.Set("Stripe-Signature", stripetest.Sign(payload, stripetest.WebhookSecret, time.Now()))
		w := httptest.NewRecorder()
		m.h.ServeHTTP(w, r)
		if w.Code != http.StatusBadRequest {
			t.Fatalf("altered body: %d", w.Code)
		}
		if n := events(); n != 0 {
			t.Fatalf("rejected deliveries stored %d events", n)
		}
		// Accepted once; the same body replayed later is acknowledged, not stored again.
		for i := range 3 {
			code, body := m.webhook(payload, stripetest.WebhookSecret, time.Now())
			if code != http.StatusOK || strings.Contains(body, `"new":true`) != (i == 0) {
				t.Fatalf("delivery %d: %d %s", i, code, body)
			}
		}
		if n := events(); n != 1 {
			t.Fatalf("stored %d events, want 1", n)
		}
		// Another tenant's object: acknowledged, not stored.
		other := stripetest.Event("evt_abuse_2", "payment_intent.succeeded", map[string]any{"id": "pi_x", "object": "payment_intent",
			"amount": 100, "currency": "cny", "metadata": map[string]string{"tenant_id": tenants.NewID()}})
		if code, body := m.webhook(other, stripetest.WebhookSecret, time.Now()); code != http.StatusOK || !strings.Contains(body, `"new":false`) {
			t.Fatalf("another tenant's event: %d %s", code, body)
		}
		// Processing: an unknown intent and an unknown type are ignored.
		if err := m.a.Stripe.Process(m.ctx, "evt_abuse_1"); err != nil {
			t.Fatal(err)
		}
		unknown := stripetest.Event("evt_abuse_3", "customer.created", map[string]any{"id": "cus_1", "object": "customer"})
		if code, _ := m.webhook(unknown, stripetest.WebhookSecret, time.Now()); code != http.StatusOK {
			t.Fatalf("unknown type: %d", code)
		}
		if err := m.a.Stripe.Process(m.ctx, "evt_abuse_3"); err != nil {
			t.Fatal(err)
		}
		results := map[string]string{}
		err := m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
			var es []*stripepay.Event
			if err := tx.NewSelect().Model(&es).Where("tenant_id = ?", m.tenant.ID).Scan(ctx); err != nil {
				return err
			}
			for _, e := range es {
				results[e.ID] = e.Result
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if results["evt_abuse_1"] != "ignored: unknown intent" || results["evt_abuse_3"] != "ignored: type not handled" {
			t.Fatalf("results %v", results)
		}
		// Processing an event twice does nothing the second time.
		if err := m.a.Stripe.Process(m.ctx, "evt_abuse_1"); err != nil {
			t.Fatal(err)
		}
		billingtest.AssertBalanced(t, d)
	})
}

// TestHTTPStripeTopUp: a shopper tops up the stored balance by card, pays
// with it, gets a refund back on it; bad amounts are field errors.
func TestHTTPStripeTopUp(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := newStripeMarket(t, d, 1)
		buyer := m.user("saver", "", "")
		for _, bad := range []string{`{"amount_fen":-500}`, `{"amount_fen":0}`, `{"amount_fen":99}`, `{"amount_fen":500001}`, `{"amount_fen":1.5}`, `{}`} {
			code, body := buyer.send("POST", "/api/v1/me/balance/topups", []byte(bad), "application/json")
			if code != http.StatusBadRequest || !strings.Contains(string(body), `"amount_fen"`) {
				t.Fatalf("%s: %d %s", bad, code, body)
			}
		}
		if n := m.count("stripe_intents"); n != 0 {
			t.Fatalf("refused top-ups wrote %d intents", n)
		}
		topUp := func(key string, fen int64) stripepay.Checkout {
			body, _ := json.Marshal(map[string]int64{"amount_fen": fen})
			r := httptest.NewRequest("POST", buyer.base+"/api/v1/me/balance/topups", bytes.NewReader(body))
			r.Host = "localhost"
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Idempotency-Key", key)
			for k, v := range buyer.cookies {
				r.AddCookie(&http.Cookie{Name: k, Value: v})
			}
			r.Header.Set("X-CSRF-Token", buyer.cookies["jishi_csrf"])
			w := httptest.NewRecorder()
			m.h.ServeHTTP(w, r)
			var co stripepay.Checkout
			if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &co) != nil {
				t.Fatalf("top-up: %d %s", w.Code, w.Body)
			}
			return co
		}
		co := topUp("topup-1", 10000)
		if co.ClientSecret == "" || co.AmountFen != 10000 {
			t.Fatalf("top-up %+v", co)
		}
		var it stripepay.Intent
		err := m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
			return tx.NewSelect().Model(&it).Where("tenant_id = ?", m.tenant.ID).Where("id = ?", co.IntentID).Scan(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
		m.user("nosy", "", "").want(http.StatusNotFound, "GET", "/api/v1/me/balance/topups/"+co.IntentID, nil, nil)
		if r := processNow(t, m, m.event("payment_intent.succeeded", intentObject(&it, m.tenant.ID, 10000, "ch_top"))); r != "applied: topped up" {
			t.Fatalf("top-up webhook: %s", r)
		}
		var bal payment.CustomerBalance
		buyer.want(http.StatusOK, "GET", "/api/v1/me/balance", nil, &bal)
		if bal.BalanceFen != 10000 {
			t.Fatalf("balance after top-up %+v", bal)
		}
		if m.balance(billing.TenderClearing("stripe")) != 10000 || m.balance(billing.CustomerBalance(buyer.userID)) != -10000 {
			t.Fatal("top-up not in the ledger")
		}
		// Pay with the balance; the balance never goes negative.
		c := m.shops[0]
		body := m.pickupAll([]map[string]any{{"sku_id": c.sku, "qty": 3}}, nil)
		body["provider"] = "balance"
		var q quoteOut
		buyer.want(http.StatusOK, "POST", "/api/v1/checkout/quote", body, &q)
		body["expected_total_fen"] = q.TotalFen
		if code, b, _ := buyer.place("bal-1", body); code != http.StatusCreated {
			t.Fatalf("pay by balance: %d %s", code, b)
		}
		buyer.want(http.StatusOK, "GET", "/api/v1/me/balance", nil, &bal)
		if bal.BalanceFen != 10000-q.TotalFen {
			t.Fatalf("balance after paying %d", bal.BalanceFen)
		}
		big := m.pickupAll([]map[string]any{{"sku_id": c.sku, "qty": 40}}, nil)
		big["provider"] = "balance"
		buyer.want(http.StatusOK, "POST", "/api/v1/checkout/quote", big, &q)
		big["expected_total_fen"] = q.TotalFen
		if code, b, _ := buyer.place("bal-2", big); code != http.StatusConflict {
			t.Fatalf("overdraw: %d %s", code, b)
		}
		buyer.want(http.StatusOK, "GET", "/api/v1/me/balance", nil, &bal)
		if bal.BalanceFen < 0 {
			t.Fatal("balance went negative")
		}
		billingtest.AssertBalanced(t, d)

	})
}

// processNow processes event id at once (no job queue running).
func processNow(t *testing.T, m *stripeMarket, id string) string {
	t.Helper()
	if err := m.a.Stripe.Process(m.ctx, id); err != nil {
		t.Fatal(err)
	}
	return m.processed(id)
}

// TestHTTPStoredValueCards: the tenant issues stored-value cards (codes
// shown once), shoppers redeem them into the balance once each (two at
// once: one wins), a wrong or foreign code is a field error, and the
// float adds balances and unredeemed cards, as the ledger does.
func TestHTTPStoredValueCards(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := newCheckoutMarket(t, d, 1, 10)
		for _, bad := range []struct{ body, field string }{
			{`{"reference":"b1","count":0,"amount_fen":5000,"funded":"gift"}`, "count"},
			{`{"reference":"b1","count":2,"amount_fen":-5000,"funded":"gift"}`, "amount_fen"},
			{`{"reference":"b1","count":2,"amount_fen":5000,"funded":"stolen"}`, "funded"},
			{`{"reference":"b1","count":2,"amount_fen":5000,"funded":"sold","tender":"balance"}`, "tender"},
			{`{"count":2,"amount_fen":5000,"funded":"gift"}`, "reference"},
		} {
			code, body := m.admin.send("POST", "/api/v1/admin/stored-value/cards", []byte(bad.body), "application/json")
			if code != http.StatusBadRequest || !strings.Contains(string(body), `"`+bad.field+`"`) {
				t.Fatalf("%s: %d %s", bad.body, code, body)
			}
		}
		var batch struct {
			Cards []struct {
				ID        string `json:"id"`
				Code      string `json:"code"`
				AmountFen int64  `json:"amount_fen"`
			} `json:"cards"`
		}
		m.admin.want(http.StatusCreated, "POST", "/api/v1/admin/stored-value/cards", map[string]any{"reference": "开业充值卡", "count": 3,
			"amount_fen": 5000, "funded": "sold", "tender": "cash"}, &batch)
		if len(batch.Cards) != 3 || len(batch.Cards[0].Code) != 16 {
			t.Fatalf("batch %+v", batch)
		}
		m.admin.want(http.StatusConflict, "POST", "/api/v1/admin/stored-value/cards", map[string]any{"reference": "开业充值卡", "count": 3,
			"amount_fen": 5000, "funded": "sold", "tender": "cash"}, nil)
		buyer, other := m.user("card-buyer", "", ""), m.user("card-other", "", "")
		code := batch.Cards[0].Code
		typed := strings.ToLower(code[:4] + "-" + code[4:8] + " " + code[8:])
		var bal payment.CustomerBalance
		buyer.want(http.StatusOK, "POST", "/api/v1/me/balance/redeem", map[string]string{"code": typed}, &bal)
		if bal.BalanceFen != 5000 {
			t.Fatalf("balance after redeeming %+v", bal)
		}
		for _, c := range []string{code, "0000000000000000", "short"} {
			if code, body := other.do("POST", "/api/v1/me/balance/redeem", map[string]string{"code": c}); code != http.StatusBadRequest || !strings.Contains(string(body), `"code"`) {
				t.Fatalf("redeem %q: %d %s", c, code, body)
			}
		}
		// Two shoppers redeem the same code at once: one gets it.
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i, s := range []*shopper{buyer, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], _ = s.do("POST", "/api/v1/me/balance/redeem", map[string]string{"code": batch.Cards[1].Code})
			}()
		}
		wg.Wait()
		if !(codes[0] == http.StatusOK) != (codes[1] == http.StatusOK) {
			t.Fatalf("concurrent redemptions answered %v", codes)
		}
		// Another tenant's shopper cannot use this tenant's code.
		m2 := newCheckoutMarketOn(t, m.a, m.h, 0, 0)
		stranger := m2.user("stranger", "", "")
		if code, _ := stranger.do("POST", "/api/v1/me/balance/redeem", map[string]string{"code": batch.Cards[2].Code}); code != http.StatusBadRequest {
			t.Fatalf("another tenant's code: %d", code)
		}
		var f payment.Float
		m.admin.want(http.StatusOK, "GET", "/api/v1/admin/stored-value", nil, &f)
		if f.BalancesFen != 10000 || f.CardsFen != 5000 || f.FloatFen != 15000 || f.LedgerBalances != f.BalancesFen || f.CardsIssued != 1 || f.CardsRedeemed != 2 {
			t.Fatalf("float %+v", f)
		}
		m2.admin.want(http.StatusOK, "GET", "/api/v1/admin/stored-value", nil, &f)
		if f.FloatFen != 0 {
			t.Fatalf("another tenant sees a float %+v", f)
		}
		buyer.want(http.StatusForbidden, "GET", "/api/v1/admin/stored-value", nil, nil)
		if n := m.balance(billing.StoredValue("")); n != -5000 {
			t.Fatalf("stored_value liability %d, want -5000", n)
		}
		billingtest.AssertBalanced(t, d)
	})
}

// TestHTTPStripeInvoices: a month's invoice of a shop with a Stripe
// account, after its payable settled what it could, is billed through
// Stripe Billing (a job creates the Stripe invoice); Stripe's invoice.paid
// marks it paid (twice: once), and the ledger balances.
func TestHTTPStripeInvoices(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := newStripeMarket(t, d, 2)
		if err := m.a.StartJobs(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = m.a.StopJobs(context.Background()) })
		s0, s1 := m.shops[0], m.shops[1]
		for _, c := range []*checkoutShop{s0, s1} {
			c.owner.want(http.StatusOK, "POST", "/api/v1/merchant/shops/"+c.shop.ID+"/stripe/onboarding", nil, nil)
		}
		loc := m.tenant.Location()
		period := invoicing.PeriodOf(time.Now(), loc)
		var pro invoicing.Plan
		m.admin.want(http.StatusCreated, "POST", "/api/v1/admin/billing/plans", map[string]any{"code": "pro", "name": "专业版",
			"owner_kind": "shop", "interval": "monthly", "fee_fen": 9900, "revenue_source": "plan"}, &pro)
		for _, c := range []*checkoutShop{s0, s1} {
			m.admin.want(http.StatusCreated, "POST", "/api/v1/admin/billing/assignments",
				map[string]any{"owner_id": c.shop.ID, "plan_id": pro.ID, "starts_on": period.FirstDay()}, nil)
		}
		_, end := period.Bounds(loc)
		m.a.Invoicing.SetClock(func() time.Time { return end.Add(time.Hour) })
		defer m.a.Invoicing.SetClock(time.Now)
		var res invoicing.RunResult
		m.admin.want(http.StatusOK, "POST", "/api/v1/admin/invoices/generate", map[string]any{"period": period.String(), "issue": true}, &res)
		if res.Issued != 2 || res.Collected != 2 {
			t.Fatalf("generate %+v: want 2 issued and handed to Stripe", res)
		}
		var list struct {
			Invoices []*invoicing.Invoice `json:"invoices"`
		}
		m.admin.want(http.StatusOK, "GET", "/api/v1/admin/invoices?period="+period.String(), nil, &list)
		var inv0, inv1 *invoicing.Invoice
		for _, inv := range list.Invoices {
			switch inv.OwnerID {
			case s0.shop.ID:
				inv0 = inv
			case s1.shop.ID:
				inv1 = inv
			}
		}
		if inv0 == nil || inv1 == nil || inv1.CollectorRef == "" {
			t.Fatalf("invoices %+v %+v", inv0, inv1)
		}
		// The job creates the Stripe invoice and remembers it.
		var stripeID string
		m.waitFor("the Stripe invoice", func(ctx context.Context, tx bun.IDB) (bool, error) {
			var ref string
			err := tx.NewSelect().Table("invoices").Column("collector_ref").Where("tenant_id = ? AND id = ?", m.tenant.ID, inv0.ID).Scan(ctx, &ref)
			stripeID = strings.TrimPrefix(ref, "stripe:")
			return strings.HasPrefix(ref, "stripe:in_"), err
		})
		paid := map[string]any{"id": stripeID, "object": "invoice", "status": "paid", "amount_paid": inv0.DueFen,
			"metadata": map[string]string{"tenant_id": m.tenant.ID, "invoice_id": inv0.ID}}
		if r := m.processed(m.event("invoice.paid", paid)); r != "applied" {
			t.Fatalf("invoice.paid: %s", r)
		}
		if r := m.processed(m.event("invoice.paid", paid)); !strings.HasPrefix(r, "ignored") && r != "applied" {
			t.Fatalf("invoice.paid again: %s", r)
		}
		var got invoicing.Invoice
		m.admin.want(http.StatusOK, "GET", "/api/v1/admin/invoices/"+inv0.ID, nil, &got)
		if got.Status != "paid" || got.PaidFen != inv0.DueFen || got.PaidMethod != "stripe" {
			t.Fatalf("invoice after invoice.paid %+v", got)
		}
		if n := m.balance(billing.TenderClearing("stripe")); n != inv0.DueFen {
			t.Fatalf("stripe clearing %d, want %d", n, inv0.DueFen)
		}
		// Voiding shop 1's invoice voids its Stripe invoice too.
		m.waitFor("shop 1's Stripe invoice", func(ctx context.Context, tx bun.IDB) (bool, error) {
			var ref string
			err := tx.NewSelect().Table("invoices").Column("collector_ref").Where("tenant_id = ? AND id = ?", m.tenant.ID, inv1.ID).Scan(ctx, &ref)
			return strings.HasPrefix(ref, "stripe:in_"), err
		})
		m.admin.want(http.StatusOK, "POST", "/api/v1/admin/invoices/"+inv1.ID+"/void", map[string]string{"reason": "店铺已退出"}, nil)
		m.waitFor("the Stripe invoice voided", func(ctx context.Context, tx bun.IDB) (bool, error) {
			n, err := tx.NewSelect().Table("river_job").Where("kind = ?", "stripe.void_invoice").Where("state = 'completed'").
				Where("CAST(args AS text) LIKE ?", "%"+inv1.ID+"%").Count(ctx)
			return n == 1, err
		})
		// Another tenant's invoice id in the metadata: nothing happens.
		other := map[string]any{"id": "in_other", "object": "invoice", "metadata": map[string]string{"tenant_id": m.tenant.ID, "invoice_id": tenants.NewID()}}
		if r := m.processed(m.event("invoice.paid", other)); !strings.HasPrefix(r, "ignored") {
			t.Fatalf("unknown invoice: %s", r)
		}
		billingtest.AssertBalanced(t, d)
	})
}

// TestHTTPStripeFailuresAndLatePayment: a declined attempt is recorded
// for the shopper (the intent stays payable); a payment arriving after
// the shopper cancelled is not booked but given back; a refund made at
// Stripe outside the marketplace is flagged for the tenant.
func TestHTTPStripeFailuresAndLatePayment(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := newStripeMarket(t, d, 1)
		c := m.shops[0]
		buyer := m.user("late-buyer", "", "")
		body := m.pickupAll([]map[string]any{{"sku_id": c.sku, "qty": 2}}, nil)
		body["provider"] = "stripe"
		var q quoteOut
		buyer.want(http.StatusOK, "POST", "/api/v1/checkout/quote", body, &q)
		body["expected_total_fen"] = q.TotalFen
		code, b, _ := buyer.place("late-1", body)
		var placed placedOut
		if code != http.StatusCreated || json.Unmarshal(b, &placed) != nil {
			t.Fatalf("place: %d %s", code, b)
		}
		group := placed.Group.ID
		it := m.intentOfGroup(group)
		failed := intentObject(it, m.tenant.ID, it.AmountFen, "")
		failed["status"] = "requires_payment_method"
		failed["last_payment_error"] = map[string]any{"type": "card_error", "code": "card_declined", "message": "Your card was declined."}
		if r := processNow(t, m, m.event("payment_intent.payment_failed", failed)); r != "recorded: attempt failed" {
			t.Fatalf("payment_failed: %s", r)
		}
		var co stripepay.Checkout
		buyer.want(http.StatusOK, "GET", "/api/v1/me/checkouts/"+group+"/stripe", nil, &co)
		if co.Status != "pending" || co.LastError != "Your card was declined." || co.ClientSecret == "" {
			t.Fatalf("after a declined attempt %+v", co)
		}
		// The shopper gives up; the money arrives anyway.
		buyer.want(http.StatusOK, "POST", "/api/v1/me/orders/"+placed.Group.Orders[0].ID+"/cancel", map[string]string{"reason": "不要了"}, nil)
		if r := processNow(t, m, m.event("payment_intent.succeeded", intentObject(it, m.tenant.ID, it.AmountFen, "ch_late"))); r != "applied: paid after cancellation, refunding" {
			t.Fatalf("late payment: %s", r)
		}
		err := m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
			pm, err := m.a.Payments.ForGroup(ctx, tx, group)
			if err != nil {
				return err
			}
			if pm.Status != payment.StatusFailed {
				t.Errorf("payment of a cancelled checkout is %s", pm.Status)
			}
			var jobs int64
			jobs, err = tx.NewSelect().Table("river_job").Where("kind = ?", "stripe.late_refund").
				Where("CAST(args AS text) LIKE ?", "%"+it.ID+"%").Count(ctx)
			if jobs != 1 {
				t.Errorf("late refund jobs %d, want 1", jobs)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := m.balance(billing.TenderClearing("stripe")); n != 0 {
			t.Fatalf("a cancelled checkout's payment was booked: %d", n)
		}
		// A refund made in Stripe's dashboard is reported.
		if r := processNow(t, m, m.event("charge.refunded", map[string]any{"id": "ch_late", "object": "charge", "payment_intent": it.ID,
			"amount": it.AmountFen, "amount_refunded": 500, "metadata": map[string]string{}})); !strings.HasPrefix(r, "attention: ") {
			t.Fatalf("charge.refunded outside the marketplace: %s", r)
		}
		billingtest.AssertBalanced(t, d)
	})
}

// TestHTTPStripeReach: every Stripe endpoint with an id answers 404 for
// another tenant's (and another shop's) id, and the settings refuse bad
// keys field by field, writing nothing; one tenant's keys are not
// another's.
func TestHTTPStripeReach(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := newStripeMarket(t, d, 2)
		s0, s1 := m.shops[0], m.shops[1]
		away := newCheckoutMarketOn(t, m.a, m.h, 1, 5)
		s0.owner.want(http.StatusOK, "POST", "/api/v1/merchant/shops/"+s0.shop.ID+"/stripe/onboarding", nil, nil)
		var view struct {
			Account *stripepay.Account `json:"account"`
		}
		s0.owner.want(http.StatusOK, "POST", "/api/v1/merchant/shops/"+s0.shop.ID+"/stripe/refresh", nil, &view)
		if view.Account == nil || view.Account.ShopID != s0.shop.ID {
			t.Fatalf("refresh %+v", view)
		}
		for _, path := range []string{"/stripe", "/stripe/onboarding", "/stripe/refresh"} {
			method := "POST"
			if path == "/stripe" {
				method = "GET"
			}
			s1.owner.want(http.StatusNotFound, method, "/api/v1/merchant/shops/"+s0.shop.ID+path, nil, nil)
			away.shops[0].owner.want(http.StatusNotFound, method, "/api/v1/merchant/shops/"+s0.shop.ID+path, nil, nil)
		}
		away.admin.want(http.StatusNotFound, "POST", "/api/v1/admin/shops/"+s0.shop.ID+"/stripe/payout", nil, nil)

		// A checkout's client secret: not for another tenant's shopper.
		buyer := m.user("reach-buyer", "", "")
		body := m.pickupAll([]map[string]any{{"sku_id": s0.sku, "qty": 1}}, nil)
		body["provider"] = "stripe"
		body["shops"] = []map[string]any{{"shop_id": s0.shop.ID, "method": "pickup", "pickup_point_id": m.point.ID}}
		var q quoteOut
		buyer.want(http.StatusOK, "POST", "/api/v1/checkout/quote", body, &q)
		body["expected_total_fen"] = q.TotalFen
		code, b, _ := buyer.place("reach-1", body)
		var placed placedOut
		if code != http.StatusCreated || json.Unmarshal(b, &placed) != nil {
			t.Fatalf("place: %d %s", code, b)
		}
		away.user("away-buyer", "", "").want(http.StatusNotFound, "GET", "/api/v1/me/checkouts/"+placed.Group.ID+"/stripe", nil, nil)
		it := m.intentOfGroup(placed.Group.ID)
		away.user("away-saver", "", "").want(http.StatusNotFound, "GET", "/api/v1/me/balance/topups/"+it.ID, nil, nil)

		// Settings: bad keys are field errors and change nothing.
		var e apiError
		m.admin.want(http.StatusBadRequest, "PUT", "/api/v1/admin/stripe/settings", map[string]any{"secret_key": "pk_live_notasecret1",
			"publishable_key": "sk_live_notpublic12", "webhook_secret": "secret", "methods": []string{"cash"}, "country": "China"}, &e)
		for _, f := range []string{"secret_key", "publishable_key", "webhook_secret", "methods", "country"} {
			if e.Error.Fields[f] == "" {
				t.Errorf("no error on %s: %+v", f, e)
			}
		}
		m.admin.want(http.StatusOK, "PUT", "/api/v1/admin/stripe/settings", map[string]any{"secret_key": "sk_test_tenantown12345",
			"publishable_key": "pk_test_tenantown12345", "methods": []string{"card", "wechat_pay"}}, nil)
		var mine, theirs stripepay.SettingsView
		m.admin.want(http.StatusOK, "GET", "/api/v1/admin/stripe/settings", nil, &mine)
		away.admin.want(http.StatusOK, "GET", "/api/v1/admin/stripe/settings", nil, &theirs)
		if !mine.Own || mine.SecretKey != "sk_test_••••2345" || len(mine.Methods) != 2 || theirs.Own || theirs.PublishableKey != stripetest.PublishableKey {
			t.Fatalf("settings: mine %+v, the other tenant's %+v", mine, theirs)
		}
		s0.owner.want(http.StatusForbidden, "PUT", "/api/v1/admin/stripe/settings", map[string]any{"methods": []string{"card"}}, nil)
	})
}
