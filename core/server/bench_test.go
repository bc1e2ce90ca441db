package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/search/searchbench"
	"github.com/jishi-dev/jishi/core/server"
	"github.com/jishi-dev/jishi/seeds"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// seeded returns an App on d holding the demo marketplaces, seeding them
// unless d holds them already.
func seeded(b *testing.B, d *db.DB) *app.App {
	b.Helper()
	a, err := app.NewWithDB(context.Background(), app.Config{FastHashing: true, DataDir: b.TempDir()}, d)
	if err != nil {
		b.Fatal(err)
	}
	need, err := seeds.Needed(context.Background(), a)
	if err != nil {
		b.Fatal(err)
	}
	if need { // the package's PostgreSQL database is shared by its benchmarks
		if _, err := seeds.Load(context.Background(), a); err != nil {
			b.Fatal(err)
		}
	}
	return a
}

// benchDB is PostgreSQL when JISHI_TEST_POSTGRES is set, SQLite otherwise.
func benchDB(b *testing.B) *db.DB {
	if os.Getenv("JISHI_TEST_POSTGRES") != "" {
		return dbtest.Postgres(b)
	}
	return dbtest.SQLite(b)
}

// BenchmarkRequestPipeline measures what every request pays before its
// handler runs, with warm caches: resolving the tenant from the Host
// header, looking up the session from its cookie, and the authorisation
// decision (a region manager asking to review applications in a district).
func BenchmarkRequestPipeline(b *testing.B) {
	ctx := context.Background()
	a := seeded(b, benchDB(b))
	t, err := tenants.BySlug(ctx, a.DB.DB, "changsha-coop")
	if err != nil {
		b.Fatal(err)
	}
	tctx := tenants.WithTenant(ctx, t)
	token, u, err := a.Identity.Login(tctx, "yuelu@changsha-coop.local", seeds.DemoPassword)
	if err != nil {
		b.Fatal(err)
	}
	var as []authz.Assignment
	err = a.DB.RunInReadTx(tctx, func(ctx context.Context, tx bun.IDB) (err error) {
		as, err = a.Authz.Assignments(ctx, tx, u.ID)
		return err
	})
	if err != nil || len(as) != 1 {
		b.Fatalf("assignments of the region manager: %v, %v", as, err)
	}
	domain := as[0].Domain // t/{tenant}/r/{岳麓区}
	req := httptest.NewRequest("GET", "http://changsha-coop.localhost/admin", nil)
	req.AddCookie(&http.Cookie{Name: identity.SessionCookie, Value: token})
	step := func() error {
		res, err := a.Resolver.Resolve(ctx, "changsha-coop.localhost:8080", "/admin/applications")
		if err != nil {
			return err
		}
		rctx := tenants.WithTenant(ctx, res.Tenant)
		p, err := a.Identity.Authenticate(rctx, req)
		if err != nil {
			return err
		}
		return a.Authz.Check(rctx, p, domain, merchant.PermReview)
	}
	if err := step(); err != nil { // warms the caches, and must pass
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := step(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStorefrontHome loads the storefront home of the demo
// marketplace over HTTP on loopback from 64 concurrent clients and reports
// requests per second and the 99th-percentile latency. It needs
// PostgreSQL (JISHI_TEST_POSTGRES): that is the production figure.
func BenchmarkStorefrontHome(b *testing.B) {
	if os.Getenv("JISHI_TEST_POSTGRES") == "" {
		b.Skip("set JISHI_TEST_POSTGRES to benchmark the storefront on PostgreSQL")
	}
	a := seeded(b, dbtest.Postgres(b))
	srv := httptest.NewServer(server.New(a))
	defer srv.Close()
	const clients = 64
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients}, Timeout: 10 * time.Second}
	get := func() (time.Duration, error) {
		req, _ := http.NewRequest("GET", srv.URL+"/", nil)
		req.Host = "changsha-coop.localhost"
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != 200 {
			b.Fatalf("GET / answered %d", resp.StatusCode)
		}
		return time.Since(start), err
	}
	for range clients { // open the connections and warm the caches
		if _, err := get(); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				d, err := get()
				if err != nil {
					failed.Store(err)
					return
				}
				lat[i] = d
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
}

// BenchmarkSearchHTTP runs storefront searches with filters (category
// subtree, delivery region, price range, in stock, sort) over 50,000
// products added to the demo marketplace, through the real HTTP stack on
// PostgreSQL (JISHI_TEST_POSTGRES), from 64 concurrent clients over
// loopback, and reports requests per second and the latency percentiles.
func BenchmarkSearchHTTP(b *testing.B) {
	if os.Getenv("JISHI_TEST_POSTGRES") == "" {
		b.Skip("set JISHI_TEST_POSTGRES to benchmark search on PostgreSQL")
	}
	ctx := context.Background()
	d := dbtest.Postgres(b)
	a := seeded(b, d)
	t, err := tenants.BySlug(ctx, a.DB.DB, "changsha-coop")
	if err != nil {
		b.Fatal(err)
	}
	tctx := tenants.WithTenant(ctx, t)
	var shops []string
	ids := map[string]string{} // category and region codes → ids
	err = a.DB.RunInReadTx(tctx, func(ctx context.Context, tx bun.IDB) error {
		if err := tx.NewRaw("SELECT id FROM shops WHERE tenant_id = ? AND status = 'active' ORDER BY id", t.ID).Scan(ctx, &shops); err != nil {
			return err
		}
		var rows []struct{ Code, ID string }
		if err := tx.NewRaw("SELECT code, id FROM categories WHERE tenant_id = ? UNION ALL SELECT code, id FROM regions WHERE tenant_id = ?",
			t.ID, t.ID).Scan(ctx, &rows); err != nil {
			return err
		}
		for _, r := range rows {
			ids[r.Code] = r.ID
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var docs int
	_ = a.DB.RunInReadTx(tctx, func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT count(*) FROM search_docs WHERE tenant_id = ?", t.ID).Scan(ctx, &docs)
	})
	if docs < searchbenchProducts { // the package's database is shared by its benchmarks
		start := time.Now()
		if err := searchbench.Generate(tctx, a.DB, a.Search, shops, searchbenchProducts, 1); err != nil {
			b.Fatal(err)
		}
		analyzeAsOwner(b, d)
		b.Logf("generated and indexed %d products in %v", searchbenchProducts, time.Since(start).Round(time.Millisecond))
	}
	var queries []string
	for _, q := range []url.Values{
		{"q": {"草莓"}, "category": {ids["fruit"]}, "region": {ids["yuelu"]}, "price_min": {"1000"}, "price_max": {"10000"}, "in_stock": {"true"}, "sort": {"sales"}},
		{"q": {"dami"}, "category": {ids["grain-oil"]}, "in_stock": {"true"}},
		{"q": {"有机"}, "region": {ids["furong"]}, "sort": {"price_asc"}, "in_stock": {"true"}},
		{"category": {ids["vegetables"]}, "in_stock": {"true"}, "sort": {"sales"}},
		{"q": {"cm"}, "price_max": {"5000"}, "in_stock": {"true"}},
		{"q": {"长沙 茶油"}, "region": {ids["wangcheng"]}, "in_stock": {"true"}},
		{"q": {"honey"}, "sort": {"price_desc"}, "price_min": {"2000"}},
		{"category": {ids["tea"]}, "region": {ids["kaifu"]}, "sort": {"newest"}, "limit": {"40"}},
	} {
		queries = append(queries, q.Encode())
	}
	srv := httptest.NewServer(server.New(a))
	defer srv.Close()
	const clients = 64
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients}, Timeout: time.Minute} // a figure, however bad, rather than a failure on a busy machine
	get := func(i int) (time.Duration, error) {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/search?"+queries[i%len(queries)], nil)
		req.Host = "changsha-coop.localhost"
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != 200 {
			b.Fatalf("GET /api/v1/search?%s answered %d", queries[i%len(queries)], resp.StatusCode)
		}
		return time.Since(start), err
	}
	for i := range clients { // open the connections, warm the caches, check every query
		if _, err := get(i); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				d, err := get(int(i))
				if err != nil {
					failed.Store(err)
					return
				}
				lat[i] = d
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
}

// searchbenchProducts is the size of BenchmarkSearchHTTP's catalog.
const searchbenchProducts = 50000

// analyzeAsOwner refreshes the planner's statistics as the tables' owner
// (the serving role may not), as autovacuum would after a bulk load.
func analyzeAsOwner(b *testing.B, d *db.DB) {
	var name string
	if err := d.QueryRowContext(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
		b.Fatal(err)
	}
	u, err := dbtest.WithDatabase(dbtest.PostgresURL(b), name, "")
	if err != nil {
		b.Fatal(err)
	}
	owner, err := db.Open(context.Background(), u, "")
	if err != nil {
		b.Fatal(err)
	}
	defer owner.Close()
	if _, err := owner.ExecContext(context.Background(), "VACUUM ANALYZE"); err != nil {
		b.Fatal(err)
	}
}
