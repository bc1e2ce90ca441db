// Command benchdoc runs Jishi's benchmarks and writes their figures, the
// machine they ran on and the exact command to docs/BENCHMARKS.md
// (`make bench`).
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// suite is what make bench runs: package, benchmark pattern, benchtime.
var suite = []struct{ pkg, pattern, benchtime string }{
	{"./core/server/", "BenchmarkRequestPipeline", "2s"},
	{"./core/authz/", "BenchmarkCheck", "2s"},
	{"./core/server/", "BenchmarkStorefrontHome", "20000x"},
	{"./core/search/", "BenchmarkSearch", "1s"},
	{"./core/server/", "BenchmarkSearchHTTP", "10000x"},
	{"./core/server/", "BenchmarkCheckout", "2000x"},
	{"./core/server/", "BenchmarkFlashSale", "1x"},
	{"./core/pluginhost/", "BenchmarkAdjustCartHook", "20000x"},
	{"./core/pluginhost/", "BenchmarkPluginStart", "1x"},
	{"./core/server/", "BenchmarkCheckoutGroupBuy", "2000x"},
	{"./core/server/", "BenchmarkStripeWebhook", "10000x"},
	{"./core/invoicing/", "BenchmarkMonthEndInvoicing", "1x"},
}

func main() {
	out := flag.String("out", "docs/BENCHMARKS.md", "markdown file to write")
	flag.Parse()
	var cmds []string
	var results bytes.Buffer
	loadBefore := loadAvg()
	for _, s := range suite {
		args := []string{"test", "-run", "^$", "-bench", "^" + s.pattern + "$", "-benchtime", s.benchtime, "-benchmem", "-count", "1", "-timeout", "30m", s.pkg}
		cmd := "go " + strings.Join(args, " ")
		cmds = append(cmds, cmd)
		fmt.Fprintln(os.Stderr, "$", cmd)
		c := exec.Command("go", args...)
		c.Env = append(os.Environ(), "CGO_ENABLED=0")
		var buf bytes.Buffer
		c.Stdout = io.MultiWriter(&buf, os.Stderr)
		c.Stderr = os.Stderr
		if err := c.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "benchdoc:", err)
			os.Exit(1)
		}
		sc := bufio.NewScanner(&buf)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "Benchmark") {
				results.WriteString(sc.Text() + "\n")
			}
		}
	}
	var md strings.Builder
	md.WriteString("# Benchmarks\n\n")
	md.WriteString("Written by `make bench` (cmd/benchdoc); do not edit the figures by hand.\n\n")
	fmt.Fprintf(&md, "- date: %s\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&md, "- machine: %s, %d cores, %s memory, %s/%s\n", cpuModel(), runtime.NumCPU(), memTotal(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&md, "- load average (1 min) before and after the run: %s, %s — figures from a busy machine are low\n", loadBefore, loadAvg())
	fmt.Fprintf(&md, "- Go: %s\n", goVersion())
	fmt.Fprintf(&md, "- PostgreSQL: %s (JISHI_TEST_POSTGRES, loopback)\n\n", pgLabel())
	md.WriteString("## Commands\n\n```sh\nmake bench   # runs, from the repository root:\n")
	for _, c := range cmds {
		md.WriteString(c + "\n")
	}
	md.WriteString("```\n\n## Results\n\n```\n")
	md.WriteString(results.String())
	md.WriteString("```\n\n")
	md.WriteString(goals)
	if err := os.WriteFile(*out, []byte(md.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "benchdoc:", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "wrote", *out)
}

const goals = `## What they measure, and the goals

The HTTP benchmarks keep the server (httptest, real TCP on loopback) and
its PostgreSQL pool in the test process and generate the load from a
second process, cmd/jishi-load, which the benchmark builds and runs with
a JSON plan; their figures come from its report. The server, PostgreSQL
and the load generator share the machine's two cores, as the goals say.

- **BenchmarkRequestPipeline** (core/server): tenant resolution from the
  Host header + session lookup from the cookie + the casbin decision (the
  demo region manager of 岳麓区 asking to review applications there), with
  warm caches, as the middleware does them for every request, on the seeded
  demo data. Goal: under 20 µs per request (ns/op < 20000).
- **BenchmarkCheck** (core/authz): one casbin decision per role, warm;
  and a cold load of a tenant's policy with 2,000 shops.
- **BenchmarkStorefrontHome** (core/server): GET of the tenant storefront
  home of the seeded changsha-coop (open shops + category tree, rendered
  in zh-CN) through the real HTTP stack on PostgreSQL, from 64 concurrent
  clients of a second process (cmd/jishi-load, built by the benchmark)
  over loopback, after a warm-up of one request per client; reports
  requests/s, p50 and p99 latency. The shops and categories of the
  home are kept in memory per tenant for up to 3 s (a write through the
  same server shows at once), so most requests cost template rendering
  only; without that cache the same run measured about 1,600 req/s at
  p99 120 ms, the database round trips of two read transactions being the
  difference. Goal: ≥ 2,000 req/s at p99 < 50 ms on the 2-core machine.
  (The run of 2026-11-27 measured it while code was being compiled on the
  same two cores; run alone right after: 2,599 req/s at p99 90 ms.)
- **BenchmarkSearch** (core/search): one search at a time through
  search.Service over a generated catalog of 50,000 products in 41 shops
  on PostgreSQL, with the result cache off: Chinese, pinyin (full,
  prefix, initials), mixed and English words, filters, browsing a
  category, the newest page and a deep page; ns/op is the latency of one
  search against the database (one statement: the match set is found
  once and the page and both facet counts are taken from it; categories
  and regions come from a per-tenant copy). The kept-filters case is the
  same search answered from the 3-second result cache.
- **BenchmarkSearchHTTP** (core/server): GET /api/v1/search with filters
  (category subtree, delivery region, price range, in stock, sort; eight
  queries in turn) over 50,000 products added to the seeded
  changsha-coop, through the real HTTP stack on PostgreSQL, from 64
  concurrent clients of a second process (cmd/jishi-load) over loopback;
  reports requests/s, p50 and p99. Goal: ≥ 1,000 req/s at p99 < 50 ms on
  the 2-core machine. Met when this was written (4,000–13,000 req/s at a
  p99 of 20–56 ms depending on what else the machine ran; before the
  search work: 27–36 req/s at a p99 of seconds). Most requests are
  answered from the per-tenant result cache (3 s; a change through the
  catalog or stock shows in the next search, other writers within 3 s);
  a miss costs one statement of 5–21 ms (BenchmarkSearch).
- **BenchmarkCheckout** (core/server): POST /api/v1/checkout of
  three-shop, six-line carts (256 carts over the stocked SKUs of three
  demo shops) with a platform 满减 running, pickup at a pickup point, paid
  on pickup, through the real HTTP stack on PostgreSQL from 32 shoppers,
  clients of a second process (cmd/jishi-load) over loopback, each
  checkout under its own idempotency key; reports checkouts/s, p50 and
  p99. Goal: ≥ 150 checkouts/s at p99 < 150 ms. Missed when this was
  written: 36–49 checkouts/s at a p99 of 1.9–3 s (from 23.6/s at a p99 of
  5.6 s before this round of work). Done: a checkout is one transaction
  of about 50 statements instead of 134 (the stock of all shops taken in
  one UPDATE and sold in the same step; the shops, delivery settings,
  SKUs and pickup point read once; orders, events, ledger entries and
  postings written as one multi-row statement each; regions kept in
  memory; the replay check inside the transaction); the tables a
  checkout writes keep no foreign keys to shared parent rows (the tenant,
  shops, regions, pickup point, lots: their KEY SHARE locks became
  MultiXacts and every checkout queued on LWLock:MultiXactMemberBuffer);
  the lots are locked only for their UPDATE and the commit (allocation on
  an unlocked read, with a locked retry when another checkout took the
  units). Sampling pg_stat_activity now shows no lock waits: the two
  cores are busy, PostgreSQL executing the statements and the server
  building them. Why it is still short: about 20 ms of CPU per checkout
  on two cores shared by the server, PostgreSQL and the load generator.
  What would close it: fewer statements still (the quote's reads of
  SKUs, stock and promotions made once and shared with the place step;
  the payment, group status and stored answer in fewer writes), prepared
  statements for the fixed-shape queries instead of bun building each
  one, and on the hardware side PostgreSQL on its own cores (the goal
  counts server, database and load on two).
- **BenchmarkFlashSale** (core/server): 10,000 checkout attempts at once
  (2,000 shoppers, five each) from a second process (cmd/jishi-load: all
  its clients released together from a barrier, over 512 loopback
  connections) for one SKU with 500 units in stock and a flash sale
  capped at 500; reports the orders made (exactly 500 in as many checkout
  groups, and none left in stock: the benchmark fails otherwise), the
  time until the last unit sold, and the losers' latency (the wait for a
  connection included). Goals: exactly 500 orders (met: conditional
  updates on the lot and the flash-sale counter), sold out in under 10 s
  (about met: 10.1–15 s when this was written, from 11.4 s) and the
  losers answered with p99 under 300 ms (missed: about 10 s). Done: a
  gate per instance (core/checkout gate.go) admits buy-now attempts by a
  count of the units left, so only about 500 attempts reach the
  database; the others are answered from memory after a replay lookup
  that up to 500 of them share (one statement). Why the losers still
  wait: the 500 admitted attempts are full checkouts (above), about 40 a
  second on this machine, and while they run they hold nearly all of the
  load generator's 512 connections, so the losers queue for a connection
  on the client side; the server answers a loser in well under a
  millisecond of CPU once it has the request. What would close it: the
  checkout cost above (sold out in 500 / rate seconds), and admitting
  fewer attempts at a time than there are units (a queue per SKU that
  hands out the next units as checkouts finish), so that the connections
  are not all held by waiting winners.
- **BenchmarkAdjustCartHook** (core/pluginhost): one AdjustCart round trip
  through the host as the checkout makes it — the tenant's plugin
  switches resolved (cached), the capability (cached per plugin, tenant
  and shop), the call to the real plugins/hello process over go-plugin's
  gRPC, the answer checked and applied; reports p50 and p99 in
  microseconds. Goal: p50 < 150 µs, p99 < 1 ms. When this was written:
  p50 about 220 µs, p99 about 820 µs (p99 met, p50 missed). A bare gRPC
  call to the same process (no host code at all) measured p50 190–200 µs,
  p99 680–760 µs on this two-vCPU machine: the host adds about 25 µs; the
  rest is the round trip between two processes (futex wake-ups of
  grpc-go's reader and writer goroutines on both sides). Done: tokens and
  settings JSON cached, no goroutine for a single plugin, a fixed pool of
  stream workers in the SDK's gRPC server.
- **BenchmarkPluginStart** (core/pluginhost): each real plugin started as
  the server starts it (handshake, Describe; group buying with its SQLite
  store migrated), five times; reports the median time to serving and the
  median resident memory (VmRSS) of the idle process two seconds later.
  Goals: under 300 ms and under 40 MB (met when written: hello about
  45 ms and 13 MB, groupbuy about 80 ms and 22 MB).
- **BenchmarkCheckoutGroupBuy** (core/server): BenchmarkCheckout with the
  group-buy plugin running as a real process, switched on for the
  marketplace and every region, and the job queue working: every shop's
  lines go through its AdjustCart inside the checkout (three calls at once
  per checkout), and order events reach it only for orders it took part in
  (own_orders_only). Goal: no more than 15% fewer checkouts/s than
  BenchmarkCheckout in the same run of make bench. Met when this was
  written: 52.9 vs 49.6 checkouts/s in one make bench run (the two are
  within the noise of each other), 50.2 vs 56.6 (11% fewer) in a run of
  the two alone; 25% fewer before group buying answered carts without
  group-buy lines from a per-shop summary and took only the events of
  orders it took part in.
`

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			if _, v, ok := strings.Cut(l, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown CPU"
}

// loadAvg is the 1-minute load average, or "unknown".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "unknown"
}

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	var kb int64
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "MemTotal:") {
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(l, "MemTotal:")), "%d", &kb)
		}
	}
	return fmt.Sprintf("%.0f GiB", float64(kb)/1024/1024)
}

func goVersion() string {
	out, err := exec.Command("go", "version").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimSpace(string(out))
}

func pgLabel() string {
	u := os.Getenv("JISHI_TEST_POSTGRES")
	if u == "" {
		return "not set (PostgreSQL benchmarks skipped)"
	}
	out, err := exec.Command("psql", u, "-tAc", "show server_version").Output()
	if err != nil {
		return "server at " + u
	}
	return "server " + strings.TrimSpace(string(out))
}
