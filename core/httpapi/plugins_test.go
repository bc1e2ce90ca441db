package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/billing/billingtest"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/pluginhost"
	"github.com/jishi-dev/jishi/core/pluginhost/pluginhosttest"
	"github.com/jishi-dev/jishi/core/server"
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/uptrace/bun"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// pluginMarket is a checkout market whose server runs the test plugin
// "faulty" (core/pluginhost/testdata/faulty) as a real process, with fast
// restarts.
type pluginMarket struct {
	*checkoutMarket
	actor pluginhost.Actor
	name  string // the plugin the tests drive
}

func newPluginMarket(t *testing.T, d *db.DB, shops int) *pluginMarket {
	t.Helper()
	return newPluginMarketWith(t, d, shops, "faulty", map[string]string{"faulty": "core/pluginhost/testdata/faulty"})
}

// newPluginMarketWith runs the plugins of pkgs and waits for plugin name.
func newPluginMarketWith(t *testing.T, d *db.DB, shops int, name string, pkgs map[string]string) *pluginMarket {
	t.Helper()
	dir := pluginhosttest.Install(t, pkgs)
	a, err := app.NewWithDB(context.Background(), app.Config{FastHashing: true, DataDir: t.TempDir(), PluginDir: dir}, d)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.StartPlugins(ctx)
	t.Cleanup(func() { cancel(); a.StopPlugins() })
	m := &pluginMarket{checkoutMarket: newCheckoutMarketOn(t, a, server.New(a), shops, 100), actor: pluginhost.Actor{ID: "test", Name: "测试"}, name: name}
	m.waitRunning()
	return m
}

func (m *pluginMarket) waitRunning() pluginhost.Status {
	m.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		for _, st := range m.a.Plugins.Supervisor.Status() {
			if st.Name == m.name && st.State == pluginhost.StateRunning {
				return st
			}
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("plugin %s not running: %+v", m.name, m.a.Plugins.Supervisor.Status())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// moveShop puts shop in region (the demo's shops all open in Yuelu).
func (m *pluginMarket) moveShop(shopID, regionID string) {
	m.t.Helper()
	err := m.a.DB.RunInTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.NewUpdate().Table("shops").Set("region_id = ?", regionID).
			Where("tenant_id = ? AND id = ?", m.tenant.ID, shopID).Exec(ctx)
		return err
	})
	if err != nil {
		m.t.Fatal(err)
	}
}

func on(b bool) *bool { return &b }

// enable switches faulty on for the tenant and the given regions, with cfg.
func (m *pluginMarket) enable(cfg string, regions ...string) {
	m.t.Helper()
	sw := m.a.Plugins.Switches
	if err := sw.SetEnabled(m.ctx, "faulty", pluginhost.LevelTenant, "", on(true), m.actor); err != nil {
		m.t.Fatal(err)
	}
	for _, r := range regions {
		if err := sw.SetEnabled(m.ctx, "faulty", pluginhost.LevelRegion, r, on(true), m.actor); err != nil {
			m.t.Fatal(err)
		}
	}
	m.configure(cfg)
}

func (m *pluginMarket) configure(cfg string) {
	m.t.Helper()
	if err := m.a.Plugins.Switches.SetConfig(m.ctx, "faulty", "", []byte(cfg), m.actor); err != nil {
		m.t.Fatal(err)
	}
}

// quote quotes one line of each shop (attrs on the first) for pickup.
func (m *pluginMarket) quote(b *shopper, attrs map[string]string) (int, quoteOut, []byte) {
	m.t.Helper()
	var lines []map[string]any
	for i, c := range m.shops {
		l := map[string]any{"sku_id": c.sku, "qty": 1}
		if i == 0 && attrs != nil {
			l["attributes"] = attrs
		}
		lines = append(lines, l)
	}
	var q quoteOut
	code, body := b.do("POST", "/api/v1/checkout/quote", m.pickupAll(lines, nil))
	if code == http.StatusOK {
		if err := json.Unmarshal(body, &q); err != nil {
			m.t.Fatal(err)
		}
	}
	return code, q, body
}

func (m *pluginMarket) placeLines(b *shopper, key string, attrs map[string]string) (int, []byte) {
	m.t.Helper()
	code, q, body := m.quote(b, attrs)
	if code != http.StatusOK {
		return code, body
	}
	var lines []map[string]any
	for i, c := range m.shops {
		l := map[string]any{"sku_id": c.sku, "qty": 1}
		if i == 0 && attrs != nil {
			l["attributes"] = attrs
		}
		lines = append(lines, l)
	}
	code, body, _ = b.place(key, m.pickupAll(lines, &q.TotalFen))
	return code, body
}

func usage(t *testing.T, m *pluginMarket, metric string) int {
	t.Helper()
	var n int
	err := m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
		c, err := tx.NewSelect().Table("plugin_usage").Where("tenant_id = ? AND metric = ?", m.tenant.ID, metric).Count(ctx)
		n = int(c)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPluginAdjustsCheckoutWhereActive: the plugin's discount reaches the
// quote, the order's lines and the ledger only for shops of regions where
// it is switched on; its hold is placed with the order; a line carrying
// its attributes in a shop where it is off is refused; a refusal of the
// plugin is a field error and writes nothing.
func TestPluginAdjustsCheckoutWhereActive(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := newPluginMarket(t, d, 2)
		// Shop 1 moves to Furong; the plugin is on for Yuelu only.
		m.moveShop(m.shops[1].shop.ID, m.furong.ID)
		m.enable(`{"mode":"ok","discount_fen":123}`, m.yuelu.ID)
		b := m.user("buyer", "", "")

		code, q, body := m.quote(b, nil)
		if code != http.StatusOK {
			t.Fatalf("quote: %d %s", code, body)
		}
		if q.DiscountFen != 123 || q.Shops[0].Lines[0].DiscountFen != 123 || q.Shops[1].Lines[0].DiscountFen != 0 {
			t.Fatalf("discount only on the Yuelu shop's line expected: %+v", q)
		}

		code, body = m.placeLines(b, "k-hold", map[string]string{"faulty.hold": "1"})
		if code != http.StatusCreated {
			t.Fatalf("place: %d %s", code, body)
		}
		var placed placedOut
		json.Unmarshal(body, &placed) //nolint:errcheck
		var held *order.Order
		for _, o := range placed.Group.Orders {
			var full *order.Order
			err := m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
				full, err = m.a.Orders.Order(ctx, tx, o.ID)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if full.ShopID == m.shops[0].shop.ID {
				held = full
			}
		}
		if held == nil || len(held.Holds) != 1 || held.Holds[0].Name != "faulty" || held.Lines[0].Attributes["faulty.hold"] != "1" {
			t.Fatalf("order of the Yuelu shop: want a hold by faulty and the line's attributes, got %+v", held)
		}
		var kinds []string
		for _, dsc := range held.Lines[0].Discounts {
			kinds = append(kinds, dsc.Kind+":"+fmt.Sprint(dsc.AmountFen))
		}
		if strings.Join(kinds, ",") != "plugin:123" {
			t.Fatalf("line discounts %v, want plugin:123", kinds)
		}
		billingtest.AssertBalanced(t, d)

		// Switched off for Yuelu: no discount, and a line carrying the
		// plugin's attributes is refused with the line named.
		if err := m.a.Plugins.Switches.SetEnabled(m.ctx, "faulty", pluginhost.LevelRegion, m.yuelu.ID, on(false), m.actor); err != nil {
			t.Fatal(err)
		}
		if code, q, _ := m.quote(b, nil); code != http.StatusOK || q.DiscountFen != 0 {
			t.Fatalf("after switching Yuelu off: %d discount %d", code, q.DiscountFen)
		}
		code, _, body = m.quote(b, map[string]string{"faulty.hold": "1"})
		if code != http.StatusServiceUnavailable || !strings.Contains(string(body), `"lines.0.sku_id"`) {
			t.Fatalf("attributes of an inactive plugin: %d %s", code, body)
		}
		// A shop override switches it back on for shop 0 alone.
		if err := m.a.Plugins.Switches.SetEnabled(m.ctx, "faulty", pluginhost.LevelShop, m.shops[0].shop.ID, on(true), m.actor); err != nil {
			t.Fatal(err)
		}
		if code, q, _ := m.quote(b, nil); code != http.StatusOK || q.DiscountFen != 123 {
			t.Fatalf("shop override on: %d discount %d", code, q.DiscountFen)
		}
		// The plugin refuses a line: 400 naming it, nothing written.
		before := m.count("orders")
		code, body = m.placeLines(b, "k-refuse", map[string]string{"faulty.refuse": "1"})
		if code != http.StatusBadRequest || !strings.Contains(string(body), "faulty refuses this line") {
			t.Fatalf("refused line: %d %s", code, body)
		}
		if m.count("orders") != before {
			t.Fatal("a refused checkout wrote orders")
		}
		// Every change is in the audit log, newest first.
		entries, err := m.a.Plugins.Switches.Audit(m.ctx, "faulty", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 5 || entries[0].Level != pluginhost.LevelShop || entries[0].OldValue != "inherit" || entries[0].NewValue != "on" || entries[0].ActorName != "测试" {
			t.Fatalf("audit: %+v", entries[0])
		}
	})
}

// TestPluginFaultsFailOpen: a plugin that sleeps past its deadline, answers
// garbage or fails leaves the checkout working without its discount, in
// bounded time; a line that needs it is refused instead; after repeated
// failures the breaker stops calling it.
func TestPluginFaultsFailOpen(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := newPluginMarket(t, d, 1)
		m.enable(`{"mode":"sleep"}`, m.yuelu.ID)
		b := m.user("buyer", "", "")
		start := time.Now()
		code, q, body := m.quote(b, nil)
		if code != http.StatusOK || q.DiscountFen != 0 {
			t.Fatalf("sleeping plugin: %d %s", code, body)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("a sleeping plugin held the quote %s", took)
		}
		if code, _, _ := m.quote(b, map[string]string{"faulty.hold": "1"}); code != http.StatusServiceUnavailable {
			t.Fatalf("a line needing the sleeping plugin: %d, want 503", code)
		}
		for _, mode := range []string{"garbage", "error"} {
			m.configure(`{"mode":"` + mode + `"}`)
			if code, q, body := m.quote(b, nil); code != http.StatusOK || q.DiscountFen != 0 {
				t.Fatalf("%s: %d %s", mode, code, body)
			}
		}
		// Five failures in a row open the breaker: the next call is skipped.
		for range 4 {
			m.quote(b, nil)
		}
		if !m.a.Plugins.Host.BreakerOpenFor("faulty") {
			t.Fatal("breaker still closed after repeated failures")
		}
		// The host itself is fine: the plugin is running, the shop sells.
		if st := m.waitRunning(); !st.Healthy {
			t.Fatalf("plugin reported unhealthy: %+v", st)
		}
		if code, body := m.placeLines(b, "k-open", nil); code != http.StatusCreated {
			t.Fatalf("place with a failing plugin: %d %s", code, body)
		}
	})
}

// TestPluginKilledDuringCheckouts: killing the plugin during a storm of
// checkouts that need it leaves no checkout hanging past the budget and
// none half written (each is placed with its hold, or refused with
// nothing written), and the plugin is back and serving within seconds.
func TestPluginKilledDuringCheckouts(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := newPluginMarket(t, d, 1)
		m.enable(`{"mode":"ok","discount_fen":50}`, m.yuelu.ID)
		buyers := make([]*shopper, 8)
		for i := range buyers {
			buyers[i] = m.user(fmt.Sprintf("b%d", i), "", "")
		}
		pid := m.waitRunning().PID
		var wg sync.WaitGroup
		var mu sync.Mutex
		placed, refused := 0, 0
		var slowest time.Duration
		for i, b := range buyers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 0; k < 4; k++ {
					start := time.Now()
					code, body := m.placeLines(b, fmt.Sprintf("storm-%d-%d", i, k), map[string]string{"faulty.hold": "1"})
					took := time.Since(start)
					mu.Lock()
					slowest = max(slowest, took)
					switch code {
					case http.StatusCreated:
						placed++
					case http.StatusServiceUnavailable:
						refused++
					default:
						t.Errorf("storm checkout: %d %s", code, body)
					}
					mu.Unlock()
				}
			}()
		}
		time.Sleep(50 * time.Millisecond)
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if slowest > 5*time.Second {
			t.Errorf("a checkout took %s while the plugin died", slowest)
		}
		// Every placed order of the shop is held by the plugin: nothing
		// went through without the plugin's answer.
		var unheld int
		err := m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
			n, err := tx.NewSelect().TableExpr("orders AS o").Where("o.tenant_id = ?", m.tenant.ID).
				Where("NOT EXISTS (SELECT 1 FROM order_holds h WHERE h.tenant_id = o.tenant_id AND h.order_id = o.id AND h.name = 'faulty')").Count(ctx)
			unheld = int(n)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if unheld != 0 || m.count("orders") != placed {
			t.Fatalf("%d orders without the plugin's hold; %d orders for %d placed (%d refused)", unheld, m.count("orders"), placed, refused)
		}
		billingtest.AssertBalanced(t, d)
		// Back within seconds, in a new process, and serving.
		deadline := time.Now().Add(10 * time.Second)
		for {
			st := m.waitRunning()
			if st.PID != pid {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("plugin not restarted")
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(5100 * time.Millisecond) // the breaker's open time
		if code, body := m.placeLines(buyers[0], "after", map[string]string{"faulty.hold": "1"}); code != http.StatusCreated {
			t.Fatalf("after restart: %d %s", code, body)
		}
	})
}

// TestPluginEventsJobsAndCallbacks: order events reach the plugin once
// committed (it records each at the host, keyed by event id, through the
// callback API); delivering the same event again changes nothing; a
// scheduled job runs once per tenant per tick however many instances
// look; a capability of another tenant, another plugin, forged or
// expired is refused.
func TestPluginEventsJobsAndCallbacks(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := newPluginMarket(t, d, 1)
		m.enable(`{"mode":"ok"}`, m.yuelu.ID)
		if err := m.a.StartJobs(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			m.a.StopJobs(ctx) //nolint:errcheck
		})
		b := m.user("buyer", "", "")
		if code, body := m.placeLines(b, "ev", nil); code != http.StatusCreated {
			t.Fatalf("place: %d %s", code, body)
		}
		// order.placed and order.paid (pay on pickup counts as paid).
		deadline := time.Now().Add(15 * time.Second)
		for usage(t, m, "faulty.event") < 2 {
			if time.Now().After(deadline) {
				t.Fatalf("events delivered: %d, want 2", usage(t, m, "faulty.event"))
			}
			time.Sleep(50 * time.Millisecond)
		}
		// The same event again: the plugin's effect is keyed by the event
		// id, so nothing changes.
		var orderID string
		err := m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
			return tx.NewSelect().TableExpr("orders").Column("id").Where("tenant_id = ?", m.tenant.ID).Limit(1).Scan(ctx, &orderID)
		})
		if err != nil {
			t.Fatal(err)
		}
		args := pluginhost.DeliverArgs{Plugin: "faulty", TenantID: m.tenant.ID, ShopID: m.shops[0].shop.ID, RegionID: m.yuelu.ID,
			EventID: "same-event", Type: "order.paid", OrderID: orderID, At: time.Now()}
		for i := 1; i <= 3; i++ {
			if err := m.a.Plugins.Outbox.Deliver(m.ctx, args, i); err != nil {
				t.Fatal(err)
			}
		}
		if n := usage(t, m, "faulty.event"); n != 3 {
			t.Fatalf("after three deliveries of one event: %d recorded, want 3", n)
		}

		// Two schedulers (two server instances) at the same tick: one run.
		s2 := &pluginhost.Scheduler{Host: m.a.Plugins.Host}
		var wg sync.WaitGroup
		runs := make([]int, 2)
		for i, s := range []*pluginhost.Scheduler{m.a.Plugins.Scheduler, s2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := s.RunDue(context.Background())
				if err != nil {
					t.Error(err)
				}
				runs[i] = n
			}()
		}
		wg.Wait()
		// The server's own scheduler looks too: whichever claims the tick
		// runs it, once (on PostgreSQL other tests' tenants may be due as
		// well, so the runs are counted at this tenant).
		deadline = time.Now().Add(10 * time.Second)
		for usage(t, m, "faulty.job") == 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		_ = runs
		for _, s := range []*pluginhost.Scheduler{m.a.Plugins.Scheduler, s2} {
			if _, err := s.RunDue(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		// Every tick claimed for this tenant ran exactly once (a minute may
		// turn meanwhile: then two ticks ran, once each).
		claimed := func() int {
			var n int
			err := m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
				c, err := tx.NewSelect().Table("plugin_job_ticks").Where("tenant_id = ? AND plugin = 'faulty'", m.tenant.ID).Count(ctx)
				n = int(c)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		deadline = time.Now().Add(10 * time.Second)
		for usage(t, m, "faulty.job") != claimed() && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n, ticks := usage(t, m, "faulty.job"), claimed(); ticks < 1 || n != ticks {
			t.Fatalf("%d runs recorded for %d ticks of this tenant; want one run per tick", n, ticks)
		}

		// Callbacks: capabilities are checked.
		target, err := m.a.Plugins.Callbacks.Target("faulty")
		if err != nil {
			t.Fatal(err)
		}
		conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		host := pluginv1.NewHostCallbackClient(conn)
		signer := m.a.Plugins.Host.Signer
		exp := time.Now().Add(time.Minute).Unix()
		good := signer.Issue(pluginhost.Capability{Plugin: "faulty", TenantID: m.tenant.ID, ShopID: m.shops[0].shop.ID,
			Scopes: []string{"orders:read"}, Expires: exp})
		res, err := host.GetOrders(m.ctx, &pluginv1.GetOrdersRequest{Capability: good, OrderIds: []string{orderID}})
		if err != nil || len(res.GetOrders()) != 1 || res.GetOrders()[0].GetId() != orderID {
			t.Fatalf("own order: %v %v", res, err)
		}
		// E-mail to the shop's staff goes to its owner's address.
		mailer := signer.Issue(pluginhost.Capability{Plugin: "faulty", TenantID: m.tenant.ID, ShopID: m.shops[0].shop.ID,
			Scopes: []string{"email:send"}, Expires: exp})
		if _, err := host.SendEmail(m.ctx, &pluginv1.SendEmailRequest{Capability: mailer, Recipient: &pluginv1.SendEmailRequest_ShopStaff{ShopStaff: true},
			Subject: "拼团已成团", Text: "三人团已满", IdempotencyKey: "mail-1"}); err != nil {
			t.Fatalf("e-mail to the shop's staff: %v", err)
		}
		var to string
		err = m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
			return tx.NewSelect().TableExpr("mail_outbox").Column("recipient").Where("tenant_id = ? AND subject = ?", m.tenant.ID, "拼团已成团").Scan(ctx, &to)
		})
		if err != nil || to != m.shops[0].owner.email {
			t.Fatalf("mail to %q (%v), want the owner %s", to, err, m.shops[0].owner.email)
		}
		// CreateOrder: the customer's order through the checkout, with the
		// last order's delivery; the same key answers the same order.
		creator := signer.Issue(pluginhost.Capability{Plugin: "faulty", TenantID: m.tenant.ID, ShopID: m.shops[0].shop.ID,
			Scopes: []string{"orders:create"}, Expires: exp})
		create := func(key string, price int64) (*pluginv1.CreateOrderResponse, error) {
			return host.CreateOrder(m.ctx, &pluginv1.CreateOrderRequest{Capability: creator, CustomerId: b.userID, IdempotencyKey: key,
				Lines: []*pluginv1.CreateOrderLine{{SkuId: m.shops[0].sku, Quantity: 2, UnitPriceFen: price}}})
		}
		first, err := create("renewal-1", 0)
		if err != nil || first.GetOrder().GetCustomerId() != b.userID || first.GetOrder().GetShopId() != m.shops[0].shop.ID || len(first.GetOrder().GetLines()) != 1 {
			t.Fatalf("create order: %v %v", first, err)
		}
		again, err := create("renewal-1", 0)
		if err != nil || again.GetOrder().GetId() != first.GetOrder().GetId() {
			t.Fatalf("the same key again: %v %v (want order %s)", again, err, first.GetOrder().GetId())
		}
		if _, err := create("renewal-2", 1); status.Code(err) != codes.InvalidArgument {
			t.Fatalf("a price other than the catalog's: %v", err)
		}
		// IssueStoredValue: cards in the plugin's name, codes once; the same
		// batch again and bad counts are refused; a shopper redeems one.
		issuer := signer.Issue(pluginhost.Capability{Plugin: "faulty", TenantID: m.tenant.ID, Scopes: []string{"stored_value:issue"}, Expires: exp})
		cards, err := host.IssueStoredValue(m.ctx, &pluginv1.IssueStoredValueRequest{Capability: issuer, Reference: "gift-order-1",
			Count: 2, AmountFen: 3000, Tender: "cash"})
		if err != nil || len(cards.GetCards()) != 2 || len(cards.GetCards()[0].GetCode()) != 16 {
			t.Fatalf("issue stored value: %v %v", cards, err)
		}
		if _, err := host.IssueStoredValue(m.ctx, &pluginv1.IssueStoredValueRequest{Capability: issuer, Reference: "gift-order-1",
			Count: 2, AmountFen: 3000, Tender: "cash"}); status.Code(err) != codes.FailedPrecondition {
			t.Fatalf("the same batch again: %v", err)
		}
		if _, err := host.IssueStoredValue(m.ctx, &pluginv1.IssueStoredValueRequest{Capability: issuer, Reference: "gift-order-2",
			Count: 0, AmountFen: 3000, Gift: true}); status.Code(err) != codes.InvalidArgument {
			t.Fatalf("no cards: %v", err)
		}
		b.want(http.StatusOK, "POST", "/api/v1/me/balance/redeem", map[string]string{"code": cards.GetCards()[0].GetCode()}, nil)
		if n := m.balance(billing.StoredValue("faulty")); n != -3000 {
			t.Fatalf("the plugin's stored-value liability %d, want -3000", n)
		}
		billingtest.AssertBalanced(t, m.a.DB)
		other := newMarket(t, m.a, m.h)
		foreign := signer.Issue(pluginhost.Capability{Plugin: "faulty", TenantID: other.tenant.ID, Scopes: []string{"orders:read"}, Expires: exp})
		if res, err := host.GetOrders(m.ctx, &pluginv1.GetOrdersRequest{Capability: foreign, OrderIds: []string{orderID}}); err != nil || len(res.GetOrders()) != 0 {
			t.Fatalf("another tenant's capability read the order: %v %v", res, err)
		}
		foreignCreate := signer.Issue(pluginhost.Capability{Plugin: "faulty", TenantID: other.tenant.ID, Scopes: []string{"orders:create"}, Expires: exp})
		if _, err := host.CreateOrder(m.ctx, &pluginv1.CreateOrderRequest{Capability: foreignCreate, CustomerId: b.userID, IdempotencyKey: "x",
			Lines: []*pluginv1.CreateOrderLine{{SkuId: m.shops[0].sku, Quantity: 1}}}); status.Code(err) != codes.NotFound {
			t.Fatalf("another tenant's capability created an order for this tenant's customer: %v", err)
		}
		for name, tok := range map[string]string{
			"expired":        signer.Issue(pluginhost.Capability{Plugin: "faulty", TenantID: m.tenant.ID, Scopes: []string{"orders:read"}, Expires: time.Now().Unix() - 1}),
			"another plugin": signer.Issue(pluginhost.Capability{Plugin: "hello", TenantID: m.tenant.ID, Scopes: []string{"orders:read"}, Expires: exp}),
			"forged":         good[:len(good)-4] + "AAAA",
			"undeclared":     signer.Issue(pluginhost.Capability{Plugin: "faulty", TenantID: m.tenant.ID, Scopes: []string{"orders:cancel"}, Expires: exp}),
		} {
			var err error
			if name == "undeclared" {
				_, err = host.CancelOrder(m.ctx, &pluginv1.CancelOrderRequest{Capability: tok, OrderId: orderID})
			} else {
				_, err = host.GetOrders(m.ctx, &pluginv1.GetOrdersRequest{Capability: tok, OrderIds: []string{orderID}})
			}
			if status.Code(err) != codes.PermissionDenied {
				t.Errorf("%s capability: %v, want PermissionDenied", name, err)
			}
		}
	})
}

// TestPluginRoutes: a storefront route answers through the host with the
// caller's cookies and credentials stripped and no Set-Cookie passed back;
// an admin route checks its permission in the shop's domain and another
// tenant's shop answers 404; a plugin switched off answers 404.
func TestPluginRoutes(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := newPluginMarket(t, d, 1)
		m.enable(`{"mode":"ok"}`, m.yuelu.ID)
		b := m.user("buyer", "", "")
		r := httptest.NewRequest("GET", b.base+"/p/faulty/echo", nil)
		r.Host = "localhost"
		r.Header.Set("X-Forwarded-For", "203.0.113.9")
		for k, v := range b.cookies {
			r.AddCookie(&http.Cookie{Name: k, Value: v})
		}
		w := httptest.NewRecorder()
		b.h.ServeHTTP(w, r)
		if w.Code != http.StatusOK || strings.Contains(strings.Join(w.Header().Values("Set-Cookie"), ";"), "stolen") {
			t.Fatalf("echo: %d %v", w.Code, w.Header())
		}
		var echo struct {
			Headers []string
			User    string
			Mount   string
		}
		json.Unmarshal(w.Body.Bytes(), &echo) //nolint:errcheck
		for _, h := range echo.Headers {
			if h == "Cookie" || h == "Authorization" || h == "X-Csrf-Token" {
				t.Fatalf("credential header %s reached the plugin", h)
			}
		}
		if echo.User != b.userID || echo.Mount != "/t/"+m.tenant.Slug+"/p/faulty" {
			t.Fatalf("identity/mount: %+v", echo)
		}
		if code, body := b.do("GET", "/p/faulty/hello", nil); code != http.StatusOK || !strings.Contains(string(body), `id="faulty-text"`) {
			t.Fatalf("page: %d %s", code, body)
		}
		// A page's CSP lets no script of the plugin's run: only the host's
		// /static/ files.
		r = httptest.NewRequest("GET", b.base+"/p/faulty/hello", nil)
		r.Host = "localhost"
		w = httptest.NewRecorder()
		b.h.ServeHTTP(w, r)
		if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src http://localhost/static/;") {
			t.Fatalf("plugin page CSP: %q", csp)
		}
		// A form posted with its CSRF token in the body reaches the plugin
		// whole (the host's CSRF check reads the form first).
		form := "csrf_token=" + b.cookies[httpx.CSRFCookie] + "&title=%E8%8D%89%E8%8E%93&group_size=3"
		r = httptest.NewRequest("POST", b.base+"/p/faulty/echo", strings.NewReader(form))
		r.Host = "localhost"
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range b.cookies {
			r.AddCookie(&http.Cookie{Name: k, Value: v})
		}
		w = httptest.NewRecorder()
		b.h.ServeHTTP(w, r)
		var posted struct{ Body string }
		json.Unmarshal(w.Body.Bytes(), &posted) //nolint:errcheck
		if w.Code != http.StatusOK || !strings.Contains(posted.Body, "group_size=3") || !strings.Contains(posted.Body, "title=%E8%8D%89%E8%8E%93") {
			t.Fatalf("form post: %d %q", w.Code, w.Body.String())
		}
		// Admin route: the shop's owner holds promo:manage; a buyer does not.
		sh := m.shops[0]
		if code, body := sh.owner.do("GET", "/merchant/shops/"+sh.shop.ID+"/p/faulty/manage", nil); code != http.StatusOK || !strings.Contains(string(body), "manage "+sh.shop.ID) {
			t.Fatalf("owner: %d %s", code, body)
		}
		if code, _ := b.do("GET", "/merchant/shops/"+sh.shop.ID+"/p/faulty/manage", nil); code != http.StatusNotFound && code != http.StatusForbidden {
			t.Fatalf("buyer on the shop's admin route: %d", code)
		}
		other := newCheckoutMarketOn(t, m.a, m.h, 1, 1)
		if code, _ := sh.owner.do("GET", "/merchant/shops/"+other.shops[0].shop.ID+"/p/faulty/manage", nil); code != http.StatusNotFound {
			t.Fatalf("another tenant's shop: %d, want 404", code)
		}
		if code, _ := b.do("GET", "/p/faulty/nowhere", nil); code != http.StatusNotFound {
			t.Fatalf("undeclared route: %d", code)
		}
		if err := m.a.Plugins.Switches.SetEnabled(m.ctx, "faulty", pluginhost.LevelTenant, "", on(false), m.actor); err != nil {
			t.Fatal(err)
		}
		if code, _ := b.do("GET", "/p/faulty/hello", nil); code != http.StatusNotFound {
			t.Fatalf("switched-off plugin's route: %d, want 404", code)
		}
	})
}

// TestPluginTender: a plugin's tender is a payment provider
// ("plugin_faulty"): a checkout paid with it is authorised and captured
// (keys derived from the payment), the order paid and the ledger balanced;
// a refund goes back through the plugin; a declined tender is a field
// error and a failing one refuses the checkout (fail closed), nothing
// written either way; a tender not switched on for every shop of the
// checkout is refused.
func TestPluginTender(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := newPluginMarket(t, d, 2)
		m.enable(`{"mode":"ok","discount_fen":0,"tender":"approve"}`, m.yuelu.ID)
		b := m.user("buyer", "", "")
		pay := func(key string, shops int) (int, []byte) {
			var lines, choices []map[string]any
			for _, c := range m.shops[:shops] {
				lines = append(lines, map[string]any{"sku_id": c.sku, "qty": 1})
				choices = append(choices, map[string]any{"shop_id": c.shop.ID, "method": "pickup", "pickup_point_id": m.point.ID})
			}
			body := map[string]any{"region_id": m.yuelu.ID, "lines": lines, "shops": choices, "recipient": "王小明",
				"phone": "13800138000", "provider": "plugin_faulty"}
			var q quoteOut
			b.want(http.StatusOK, "POST", "/api/v1/checkout/quote", body, &q)
			body["expected_total_fen"] = q.TotalFen
			code, out, _ := b.place(key, body)
			return code, out
		}
		code, out := pay("tender-ok", 2)
		if code != http.StatusCreated {
			t.Fatalf("paid with the plugin's tender: %d %s", code, out)
		}
		var placed placedOut
		json.Unmarshal(out, &placed) //nolint:errcheck
		if placed.Payment != "paid" {
			t.Fatalf("payment %q, want paid", placed.Payment)
		}
		tenderCalls := func() map[string]int {
			var n map[string]int
			b.want(http.StatusOK, "GET", "/p/faulty/tenders", nil, &n)
			return n
		}
		if n := tenderCalls(); n["authorize"] != 1 || n["capture"] != 1 {
			t.Fatalf("tender calls %v: authorize and capture once each expected", n)
		}
		billingtest.AssertBalanced(t, d)

		// A refund goes back through the plugin.
		o := placed.Group.Orders[0]
		owner := m.shops[0].owner
		if o.ShopID != m.shops[0].shop.ID {
			owner = m.shops[1].owner
		}
		owner.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+o.ShopID+"/orders/"+o.ID+"/refunds",
			map[string]any{"whole": true, "restock": true, "reason": "坏果"}, nil)
		if n := tenderCalls(); n["refund"] != 1 {
			t.Fatalf("tender calls %v: the refund did not reach the plugin", n)
		}
		billingtest.AssertBalanced(t, d)

		before := m.count("orders")
		m.configure(`{"mode":"ok","discount_fen":0,"tender":"decline"}`)
		if code, out := pay("tender-declined", 2); code != http.StatusBadRequest || !strings.Contains(string(out), "faulty declines") {
			t.Fatalf("declined tender: %d %s", code, out)
		}
		m.configure(`{"mode":"ok","discount_fen":0,"tender":"fail"}`)
		if code, out := pay("tender-fails", 2); code != http.StatusServiceUnavailable {
			t.Fatalf("failing tender: %d %s", code, out)
		}
		// Authorised, then the capture fails: the checkout is refused and,
		// once its transaction has rolled back, the authorisation voided.
		m.configure(`{"mode":"ok","discount_fen":0,"tender":"fail_capture"}`)
		if code, out := pay("tender-capture-fails", 2); code != http.StatusServiceUnavailable {
			t.Fatalf("failing capture: %d %s", code, out)
		}
		if n := tenderCalls(); n["void"] != 1 || n["authorize"] != 2 {
			t.Fatalf("tender calls %v: the authorisation of the failed checkout must be voided", n)
		}
		// Not switched on for the second shop's region: refused.
		m.configure(`{"mode":"ok","discount_fen":0,"tender":"approve"}`)
		m.moveShop(m.shops[1].shop.ID, m.furong.ID)
		if code, out := pay("tender-furong", 2); code != http.StatusServiceUnavailable {
			t.Fatalf("tender for a shop where the plugin is off: %d %s", code, out)
		}
		if m.count("orders") != before || m.count("payments") != 1 {
			t.Fatalf("refused tenders wrote orders (%d → %d) or payments (%d)", before, m.count("orders"), m.count("payments"))
		}
		if code, out := pay("tender-yuelu", 1); code != http.StatusCreated {
			t.Fatalf("the Yuelu shop alone: %d %s", code, out)
		}
	})
}
