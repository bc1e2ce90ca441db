package server_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/cmd/jishi-load/loadplan"
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
	return seededWith(b, d, app.Config{})
}

// seededWith is seeded with cfg; plugins of cfg.PluginDir are started.
func seededWith(b *testing.B, d *db.DB, cfg app.Config) *app.App {
	b.Helper()
	if cfg.PluginDir != "" {
		// The supervisor's start-up lines would land inside the
		// benchmark's result line; warnings and errors still show.
		slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	}
	cfg.FastHashing, cfg.DataDir = true, b.TempDir()
	a, err := app.NewWithDB(context.Background(), cfg, d)
	if err != nil {
		b.Fatal(err)
	}
	if cfg.PluginDir != "" {
		ctx, cancel := context.WithCancel(context.Background())
		a.StartPlugins(ctx)
		b.Cleanup(func() { cancel(); a.StopPlugins() })
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
// marketplace over HTTP on loopback from 64 concurrent clients of a second
// process (cmd/jishi-load) and reports requests per second and the 50th
// and 99th-percentile latency. It needs PostgreSQL (JISHI_TEST_POSTGRES):
// that is the production figure.
func BenchmarkStorefrontHome(b *testing.B) {
	if os.Getenv("JISHI_TEST_POSTGRES") == "" {
		b.Skip("set JISHI_TEST_POSTGRES to benchmark the storefront on PostgreSQL")
	}
	benchGets(b, seeded(b, dbtest.Postgres(b)), []string{"/"})
}

// BenchmarkSearchHTTP runs storefront searches with filters (category
// subtree, delivery region, price range, in stock, sort) over 50,000
// products added to the demo marketplace, through the real HTTP stack on
// PostgreSQL (JISHI_TEST_POSTGRES), from 64 concurrent clients of a second
// process (cmd/jishi-load) over loopback, and reports requests per second
// and the latency percentiles.
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
	var paths []string
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
		paths = append(paths, "/api/v1/search?"+q.Encode())
	}
	benchGets(b, a, paths)
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

// benchHost is the host of the demo marketplace the HTTP benchmarks load.
const benchHost = "changsha-coop.localhost"

// loadGenerator is the server under benchmark, serving on loopback TCP in
// the test process, and cmd/jishi-load built to load it from a second
// process.
type loadGenerator struct {
	b   *testing.B
	srv *httptest.Server
	bin string
}

// serveLoad serves a over loopback and builds cmd/jishi-load (with the go
// command on PATH, which go test puts first) into the benchmark's
// temporary directory. From then on the benchmark timer runs only while
// cmd/jishi-load does (see run).
func serveLoad(b *testing.B, a *app.App) *loadGenerator {
	b.Helper()
	b.StopTimer()
	b.ResetTimer()
	g := &loadGenerator{b: b, srv: httptest.NewServer(server.New(a)), bin: filepath.Join(b.TempDir(), "jishi-load")}
	b.Cleanup(g.srv.Close)
	if out, err := exec.Command("go", "build", "-o", g.bin, "github.com/jishi-dev/jishi/cmd/jishi-load").CombinedOutput(); err != nil {
		b.Fatalf("build cmd/jishi-load: %v\n%s", err, out)
	}
	return g
}

// run runs p against the server in the load generator's process and
// answers its report. The benchmark timer runs while the process does.
// Every answer (warm-up included) must have a status in p.Expect.
func (g *loadGenerator) run(p loadplan.Plan) *loadplan.Report {
	g.b.Helper()
	p.BaseURL = g.srv.URL
	if p.Headers == nil {
		p.Headers = map[string]string{"Host": benchHost}
	}
	plan, err := json.Marshal(p)
	if err != nil {
		g.b.Fatal(err)
	}
	cmd := exec.Command(g.bin)
	var out, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(plan), &out, &stderr
	g.b.StartTimer()
	err = cmd.Run()
	g.b.StopTimer()
	if err != nil {
		g.b.Fatalf("cmd/jishi-load: %v\n%s", err, stderr.Bytes())
	}
	var rep loadplan.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		g.b.Fatalf("cmd/jishi-load report: %v", err)
	}
	if n := p.Issued(); len(rep.Results) != n || len(rep.Warmup) != p.Warmup {
		g.b.Fatalf("cmd/jishi-load answered %d results and %d warm-up, want %d and %d", len(rep.Results), len(rep.Warmup), n, p.Warmup)
	}
	for _, rs := range [][]loadplan.Result{rep.Warmup, rep.Results} { // both start at the first request
		for i, r := range rs {
			if rq := p.Requests[i%len(p.Requests)]; !slices.Contains(p.Expect, r.Status) {
				g.b.Fatalf("%s %s answered %d, want one of %v: %s%s", cmp.Or(rq.Method, "GET"), rq.Path, r.Status, p.Expect, r.Error, r.Body)
			}
		}
	}
	return &rep
}

// benchGets sends b.N GETs of paths in turn to a over loopback from 64
// clients of cmd/jishi-load, after a warm-up of one request per client
// (which opens the connections, warms the caches and checks every path),
// and reports requests per second and the latency percentiles.
func benchGets(b *testing.B, a *app.App, paths []string) {
	const clients = 64
	g := serveLoad(b, a)
	reqs := make([]loadplan.Request, len(paths))
	for i, p := range paths {
		reqs[i] = loadplan.Request{Path: p}
	}
	rep := g.run(loadplan.Plan{Concurrency: clients, Total: b.N, Warmup: clients, Expect: []int{http.StatusOK}, Requests: reqs})
	reportRate(b, rep, "req/s")
}

// reportRate reports the requests of rep per second of its run as unit,
// and their latency percentiles.
func reportRate(b *testing.B, rep *loadplan.Report, unit string) {
	b.ReportMetric(float64(len(rep.Results))/(float64(rep.ElapsedUS)/1e6), unit)
	lat := make([]int64, len(rep.Results))
	for i, r := range rep.Results {
		lat[i] = r.Latency
	}
	reportPercentiles(b, "", lat)
}

// reportPercentiles reports the 99th and 50th percentiles of the
// latencies lat (microseconds) in milliseconds as prefix+"p99_ms" and
// prefix+"p50_ms".
func reportPercentiles(b *testing.B, prefix string, lat []int64) {
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100])/1000, prefix+"p99_ms")
	b.ReportMetric(float64(lat[len(lat)/2])/1000, prefix+"p50_ms")
}
