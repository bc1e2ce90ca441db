package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/cmd/jishi-load/loadplan"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/pluginhost"
	"github.com/jishi-dev/jishi/core/pluginhost/pluginhosttest"
	"github.com/jishi-dev/jishi/seeds"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// benchMarket is the demo marketplace changsha-coop served over loopback
// with cmd/jishi-load to load it, and a client for the setup requests.
type benchMarket struct {
	b      *testing.B
	a      *app.App
	load   *loadGenerator
	client *http.Client
	tenant *tenants.Tenant
	ctx    context.Context
	admin  string // session token
	region string // 岳麓区
	point  string // a pickup point there
}

const benchCSRF = "bench-csrf-token-0123456789abcdef0123"

func newBenchMarket(b *testing.B) *benchMarket {
	b.Helper()
	return newBenchMarketWith(b, app.Config{})
}

// newBenchMarketWith is newBenchMarket on an app configured with cfg (its
// plugins, when cfg.PluginDir is set, run and are stopped at the end).
func newBenchMarketWith(b *testing.B, cfg app.Config) *benchMarket {
	b.Helper()
	if os.Getenv("JISHI_TEST_POSTGRES") == "" {
		b.Skip("set JISHI_TEST_POSTGRES to benchmark checkout on PostgreSQL")
	}
	a := seededWith(b, dbtest.Postgres(b), cfg)
	ctx := context.Background()
	t, err := tenants.BySlug(ctx, a.DB.DB, "changsha-coop")
	if err != nil {
		b.Fatal(err)
	}
	m := &benchMarket{b: b, a: a, tenant: t, ctx: tenants.WithTenant(ctx, t)}
	m.load = serveLoad(b, a)
	m.client = &http.Client{Timeout: time.Minute}
	if m.admin, _, err = a.Identity.Login(m.ctx, "admin@changsha-coop.local", seeds.DemoPassword); err != nil {
		b.Fatal(err)
	}
	err = a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT id FROM regions WHERE tenant_id = ? AND code = 'yuelu'", t.ID).Scan(ctx, &m.region)
	})
	if err != nil {
		b.Fatal(err)
	}
	var pt struct{ ID string }
	m.want(m.admin, http.StatusCreated, "POST", "/api/v1/admin/pickup-points", map[string]any{"name": "压测自提点 " + tenants.NewID()[24:],
		"address": "麓山路 9 号", "region_id": m.region, "hours": "08:00–20:00", "phone": "0731-88886666"}, &pt)
	m.point = pt.ID
	return m
}

// signed answers the headers of a JSON request as the account holding
// session token, with the CSRF cookie and header.
func signed(token string) map[string]string {
	return map[string]string{"Content-Type": "application/json", "X-CSRF-Token": benchCSRF,
		"Cookie": identity.SessionCookie + "=" + token + "; jishi_csrf=" + benchCSRF}
}

// want sends a setup request (JSON body) as the account holding session
// token from the test process, fails unless it answers status, and
// decodes the answer into out unless out is nil.
func (m *benchMarket) want(token string, status int, method, path string, body, out any) {
	m.b.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, m.load.srv.URL+path, rd)
	req.Host = benchHost
	for k, v := range signed(token) {
		req.Header.Set(k, v)
	}
	resp, err := m.client.Do(req)
	if err != nil {
		m.b.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != status {
		m.b.Fatalf("%s %s: want %d, got %d: %s %v", method, path, status, resp.StatusCode, b, err)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			m.b.Fatal(err)
		}
	}
}

// checkouts answers n checkout requests for cmd/jishi-load, the ith by
// the shopper holding tokens[i%len(tokens)] with the cart bodies[i%len(bodies)],
// each under its own idempotency key.
func checkouts(n int, tokens []string, bodies ...any) []loadplan.Request {
	js := make([]string, len(bodies))
	for i, body := range bodies {
		b, _ := json.Marshal(body)
		js[i] = string(b)
	}
	run := tenants.NewID()[24:]
	reqs := make([]loadplan.Request, n)
	for i := range reqs {
		h := signed(tokens[i%len(tokens)])
		h["Idempotency-Key"] = run + "-" + strconv.Itoa(i)
		reqs[i] = loadplan.Request{Method: "POST", Path: "/api/v1/checkout", Headers: h, Body: js[i%len(js)]}
	}
	return reqs
}

// shoppers creates n shopper accounts and answers their session tokens.
func (m *benchMarket) shoppers(n int) []string {
	m.b.Helper()
	tokens := make([]string, n)
	tag := tenants.NewID()[24:]
	for i := range tokens {
		email := fmt.Sprintf("bench-%s-%d@example.com", tag, i)
		err := m.a.DB.RunInTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
			_, err := m.a.Identity.CreateUser(ctx, tx, identity.UserInput{Email: email, Name: "压测会员" + strconv.Itoa(i), Password: "bench password 2026"})
			return err
		})
		if err != nil {
			m.b.Fatal(err)
		}
		if tokens[i], _, err = m.a.Identity.Login(m.ctx, email, "bench password 2026"); err != nil {
			m.b.Fatal(err)
		}
	}
	return tokens
}

// stockedSKUs picks perShop active SKUs of each of shops open shops and
// receives units of each into the tenant's main warehouse (which serves
// the whole city).
func (m *benchMarket) stockedSKUs(shops, perShop, units int) map[string][]string {
	m.b.Helper()
	var rows []struct {
		ShopID string `bun:"shop_id"`
		SKUID  string `bun:"sku_id"`
	}
	var main string
	err := m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
		if err := tx.NewRaw(`SELECT k.shop_id, k.id AS sku_id FROM skus k
			JOIN products p ON p.tenant_id = k.tenant_id AND p.id = k.product_id
			JOIN shops s ON s.tenant_id = k.tenant_id AND s.id = k.shop_id
			WHERE k.tenant_id = ? AND k.status = 'active' AND p.status = 'active' AND s.status = 'active'
			ORDER BY k.shop_id, k.id`, m.tenant.ID).Scan(ctx, &rows); err != nil {
			return err
		}
		return tx.NewRaw("SELECT id FROM warehouses WHERE tenant_id = ? AND kind = 'main'", m.tenant.ID).Scan(ctx, &main)
	})
	if err != nil {
		m.b.Fatal(err)
	}
	out := map[string][]string{}
	for _, r := range rows {
		if len(out[r.ShopID]) < perShop && (len(out) < shops || out[r.ShopID] != nil) {
			out[r.ShopID] = append(out[r.ShopID], r.SKUID)
		}
	}
	for shop, skus := range out {
		for _, sku := range skus {
			m.want(m.admin, http.StatusCreated, "POST", "/api/v1/merchant/shops/"+shop+"/lots", map[string]any{"sku_id": sku,
				"warehouse_id": main, "quantity": units, "best_before": time.Now().AddDate(0, 0, 30).Format("2006-01-02"),
				"producer": "压测基地"}, nil)
		}
	}
	return out
}

// BenchmarkCheckout places checkouts of three-shop, six-line carts with a
// platform 满减 running, picked up at a pickup point and paid on pickup,
// through the real HTTP stack on PostgreSQL from 32 concurrent shoppers
// (clients of a second process, cmd/jishi-load, over loopback), and
// reports checkouts per second and the latency percentiles. The carts are
// 256 different ones over up to forty stocked SKUs of each of three shops
// (a marketplace's checkouts spread over its catalog; BenchmarkFlashSale
// is the one-SKU case). Each checkout is one transaction: quote again, write
// three orders with their discount allocations, take the payment, post
// the ledger, and last reserve and commit six lines first in first out.
func BenchmarkCheckout(b *testing.B) {
	benchCheckout(b, newBenchMarket(b))
}

// BenchmarkCheckoutGroupBuy is BenchmarkCheckout with the group-buy plugin
// (plugins/groupbuy, a real process) switched on for the marketplace and
// every region, and the job queue delivering order events to it: every
// shop's lines pass through its AdjustCart in the checkout, and every
// order's placed and paid events reach it. None of the lines is a group
// buy, as most of a marketplace's are not (goal: at most 15% fewer
// checkouts per second than BenchmarkCheckout).
func BenchmarkCheckoutGroupBuy(b *testing.B) {
	dir := pluginhosttest.Install(b, map[string]string{"groupbuy": "plugins/groupbuy"})
	m := newBenchMarketWith(b, app.Config{PluginDir: dir})
	deadline := time.Now().Add(30 * time.Second)
	for !slices.ContainsFunc(m.a.Plugins.Supervisor.Status(), func(s pluginhost.Status) bool {
		return s.Name == "groupbuy" && s.State == pluginhost.StateRunning
	}) {
		if time.Now().After(deadline) {
			b.Fatalf("groupbuy not running: %+v", m.a.Plugins.Supervisor.Status())
		}
		time.Sleep(10 * time.Millisecond)
	}
	on := true
	actor := pluginhost.Actor{ID: "bench"}
	if err := m.a.Plugins.Switches.SetEnabled(m.ctx, "groupbuy", pluginhost.LevelTenant, "", &on, actor); err != nil {
		b.Fatal(err)
	}
	var regions []*tenants.Region
	err := m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		regions, err = tenants.Regions(ctx, tx)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range regions {
		if err := m.a.Plugins.Switches.SetEnabled(m.ctx, "groupbuy", pluginhost.LevelRegion, r.ID, &on, actor); err != nil {
			b.Fatal(err)
		}
	}
	benchCheckout(b, m)
}

// benchCheckout runs the checkout load of BenchmarkCheckout on m, with the
// job queue working (as jishi serve does).
func benchCheckout(b *testing.B, m *benchMarket) {
	clients := 32
	if n, err := strconv.Atoi(os.Getenv("JISHI_BENCH_CLIENTS")); err == nil && n > 0 {
		clients = n
	}
	if err := m.a.StartJobs(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		m.a.StopJobs(ctx) //nolint:errcheck
	})
	skus := m.stockedSKUs(3, 40, 1_000_000)
	start, end := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().Add(24*time.Hour).UTC().Format(time.RFC3339)
	m.want(m.admin, http.StatusCreated, "POST", "/api/v1/admin/promotions", map[string]any{"kind": "threshold", "name": "压测满减",
		"starts_at": start, "ends_at": end, "tiers": []map[string]any{{"min_fen": 1000, "off_fen": 100}}}, nil)
	tokens := m.shoppers(clients)
	var shopIDs []string
	for shop := range skus {
		shopIDs = append(shopIDs, shop)
	}
	slices.Sort(shopIDs)
	rng := rand.New(rand.NewPCG(7, 2026))
	carts := make([]any, 256)
	for c := range carts {
		body := map[string]any{"region_id": m.region, "recipient": "王小明", "phone": "13800138000", "provider": "offline"}
		var lines, shops []map[string]any
		for _, shop := range shopIDs {
			shops = append(shops, map[string]any{"shop_id": shop, "method": "pickup", "pickup_point_id": m.point})
			for _, k := range rng.Perm(len(skus[shop]))[:2] {
				lines = append(lines, map[string]any{"sku_id": skus[shop][k], "qty": 1 + rng.IntN(2)})
			}
		}
		body["lines"], body["shops"] = lines, shops
		var q struct {
			TotalFen    int64 `json:"total_fen"`
			DiscountFen int64 `json:"discount_fen"`
		}
		m.want(tokens[0], http.StatusOK, "POST", "/api/v1/checkout/quote", body, &q)
		if q.DiscountFen == 0 || len(lines) != 6 {
			b.Fatalf("quote %+v for %d lines", q, len(lines))
		}
		body["expected_total_fen"] = q.TotalFen
		carts[c] = body
	}

	rep := m.load.run(loadplan.Plan{Concurrency: clients, Expect: []int{http.StatusCreated}, Requests: checkouts(b.N, tokens, carts...)})
	reportRate(b, rep, "checkouts/s")
}

// BenchmarkFlashSale sends 10,000 checkout attempts at once (2,000
// shoppers, five each, from a second process, cmd/jishi-load, over 512
// loopback connections) for one SKU with 500 units in stock and a flash
// sale capped at 500, and reports how long it took to sell out, the
// orders made (exactly 500, in as many checkout groups), and the latency
// of the answers to the losers (waiting for a connection included).
func BenchmarkFlashSale(b *testing.B) {
	const attempts, shoppers, units, conns = 10_000, 2_000, 500, 512
	m := newBenchMarket(b)
	skus := m.stockedSKUs(1, 1, units)
	var shop, sku string
	for s, ks := range skus {
		shop, sku = s, ks[0]
	}
	// Only the new lot's 500 units may sell: write off what the seed put there.
	var avail int
	err := m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		avail, err = m.a.Inventory.Available(ctx, sku)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if avail > units {
		var lots []struct{ ID string }
		_ = m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
			return tx.NewRaw("SELECT id FROM lots WHERE tenant_id = ? AND sku_id = ? AND on_hand - reserved > 0 AND qty_received <> ?",
				m.tenant.ID, sku, units).Scan(ctx, &lots)
		})
		for _, l := range lots {
			m.want(m.admin, http.StatusOK, "GET", "/api/v1/merchant/shops/"+shop+"/lots/"+l.ID+"/movements", nil, nil)
			var stock struct {
				Lots []struct {
					ID       string `json:"id"`
					OnHand   int    `json:"on_hand"`
					Reserved int    `json:"reserved"`
				} `json:"lots"`
			}
			m.want(m.admin, http.StatusOK, "GET", "/api/v1/merchant/shops/"+shop+"/skus/"+sku+"/lots", nil, &stock)
			for _, x := range stock.Lots {
				if x.ID == l.ID && x.OnHand-x.Reserved > 0 {
					m.want(m.admin, http.StatusOK, "POST", "/api/v1/merchant/shops/"+shop+"/adjustments", map[string]any{"lot_id": l.ID,
						"delta": -(x.OnHand - x.Reserved), "reason": "other", "note": "压测：只留秒杀批次"}, nil)
				}
			}
		}
	}
	start, end := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().Add(24*time.Hour).UTC().Format(time.RFC3339)
	var price struct {
		Skus []struct {
			ID       string `json:"id"`
			PriceFen int64  `json:"price_fen"`
			ListFen  int64  `json:"list_price_fen"`
		} `json:"skus"`
	}
	var productID string
	_ = m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT product_id FROM skus WHERE tenant_id = ? AND id = ?", m.tenant.ID, sku).Scan(ctx, &productID)
	})
	m.want(m.admin, http.StatusOK, "GET", "/api/v1/products/"+productID, nil, &price)
	var flashPrice int64
	for _, k := range price.Skus {
		if k.ID == sku {
			flashPrice = max(k.PriceFen*9/10, (max(k.ListFen, k.PriceFen)*7+9)/10)
		}
	}
	m.want(m.admin, http.StatusCreated, "POST", "/api/v1/merchant/shops/"+shop+"/flash-sales", map[string]any{"sku_id": sku,
		"name": "压测秒杀", "starts_at": start, "ends_at": end, "price_fen": flashPrice, "qty_cap": units}, nil)
	tokens := m.shoppers(shoppers)
	body := map[string]any{"region_id": m.region, "recipient": "王小明", "phone": "13800138000", "provider": "offline",
		"lines":              []map[string]any{{"sku_id": sku, "qty": 1}},
		"shops":              []map[string]any{{"shop_id": shop, "method": "pickup", "pickup_point_id": m.point}},
		"expected_total_fen": flashPrice}

	for n := 0; n < b.N; n++ {
		// A figure, however bad, rather than a failure on a busy machine:
		// an attempt given up by its client could still win on the server.
		rep := m.load.run(loadplan.Plan{Concurrency: attempts, Connections: conns, StartTogether: true, TimeoutMS: 10 * 60_000,
			Expect:      []int{http.StatusCreated, http.StatusConflict, http.StatusBadRequest},
			KeepBodyFor: []int{http.StatusCreated}, Requests: checkouts(attempts, tokens, body)})
		groups := map[string]bool{}
		var soldOut int64 // µs
		var losers []int64
		for _, r := range rep.Results {
			if r.Status != http.StatusCreated {
				losers = append(losers, r.Latency)
				continue
			}
			var placed struct {
				Group struct{ ID string } `json:"group"`
			}
			if err := json.Unmarshal([]byte(r.Body), &placed); err != nil || placed.Group.ID == "" {
				b.Fatalf("checkout answered 201 %s: %v", r.Body, err)
			}
			groups[placed.Group.ID] = true
			soldOut = max(soldOut, r.EndUS)
		}
		var left int
		_ = m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
			left, err = m.a.Inventory.Available(ctx, sku)
			return err
		})
		won := len(rep.Results) - len(losers)
		if won != units || len(groups) != units || left != 0 {
			b.Fatalf("flash sale: %d orders (%d checkout groups), %d left; want %d and 0", won, len(groups), left, units)
		}
		b.ReportMetric(float64(soldOut)/1e6, "sold_out_s")
		b.ReportMetric(float64(won), "orders")
		reportPercentiles(b, "losers_", losers)
	}
}
