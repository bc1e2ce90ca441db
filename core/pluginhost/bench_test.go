//go:build unix

package pluginhost_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/pluginhost"
	"github.com/jishi-dev/jishi/core/pluginhost/pluginhosttest"
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/tenants"
)

// BenchmarkAdjustCartHook measures one AdjustCart round trip through the
// host as a checkout makes it: the tenant's switches resolved (cached), a
// capability signed, the call to the real plugin process (plugins/hello,
// over go-plugin's gRPC), its answer checked and applied. Reports the
// 50th and 99th percentiles in microseconds (goal: p50 < 150 µs, p99 <
// 1 ms).
func BenchmarkAdjustCartHook(b *testing.B) {
	d := dbtest.SQLite(b)
	dir := pluginhosttest.Install(b, map[string]string{"hello": "plugins/hello"})
	a, err := app.NewWithDB(context.Background(), app.Config{FastHashing: true, DataDir: b.TempDir(), PluginDir: dir}, d)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.StartPlugins(ctx)
	b.Cleanup(func() { cancel(); a.StopPlugins() })
	t, err := a.Provisioner.Create(ctx, a.DB, tenants.CreateInput{Slug: "bench-hook", Name: "压测"})
	if err != nil {
		b.Fatal(err)
	}
	tctx := tenants.WithTenant(ctx, t)
	waitState(b, a.Plugins.Supervisor, "hello", pluginhost.StateRunning)
	on := true
	actor := pluginhost.Actor{ID: "bench"}
	sw := a.Plugins.Switches
	if err := sw.SetEnabled(tctx, "hello", pluginhost.LevelTenant, "", &on, actor); err != nil {
		b.Fatal(err)
	}
	if err := sw.SetEnabled(tctx, "hello", pluginhost.LevelRegion, "region-1", &on, actor); err != nil {
		b.Fatal(err)
	}
	if err := sw.SetConfig(tctx, "hello", "", []byte(`{"threshold_fen":1000,"off_fen":100}`), actor); err != nil {
		b.Fatal(err)
	}
	req := pluginhost.CartRequest{Call: pluginhost.Call{Tenant: t, RequestID: "bench"}, CustomerID: "c", Currency: "CNY",
		Shops: []pluginhost.CartShop{{ShopID: "shop-1", RegionID: "region-1", Lines: []*pluginv1.CartLine{
			{LineId: "0", ShopId: "shop-1", SkuId: "a", Quantity: 2, UnitPriceFen: 500, SubtotalFen: 1000},
			{LineId: "1", ShopId: "shop-1", SkuId: "b", Quantity: 1, UnitPriceFen: 800, SubtotalFen: 800},
		}}}}
	for range 200 { // warm: connection, caches, the plugin's instance
		if _, err := a.Plugins.Host.AdjustCart(tctx, req); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		res, err := a.Plugins.Host.AdjustCart(tctx, req)
		lat = append(lat, time.Since(start))
		if err != nil || len(res.Discounts) != 2 {
			b.Fatalf("adjust: %v %+v", err, res)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1000, "p50_µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1000, "p99_µs")
}

// BenchmarkPluginStart starts each real plugin (plugins/hello,
// plugins/groupbuy with its SQLite store) the way the server does and
// reports the time from start to serving (handshake and Describe done) and
// the resident memory of the idle process two seconds later, both as the
// median of five starts (goals: under 300 ms, under 40 MB).
func BenchmarkPluginStart(b *testing.B) {
	for _, name := range []string{"hello", "groupbuy"} {
		b.Run(name, func(b *testing.B) {
			dir := pluginhosttest.Install(b, map[string]string{name: "plugins/" + name})
			var starts []time.Duration
			var rss []float64
			for b.Loop() {
				for range 5 {
					cat, err := pluginhost.Scan(dir)
					if err != nil {
						b.Fatal(err)
					}
					data := b.TempDir()
					sup := pluginhost.NewSupervisor(cat, pluginhost.Config{Env: func(string) ([]string, error) {
						return []string{"JISHI_PLUGIN_DB_DRIVER=sqlite", "JISHI_PLUGIN_DB_DSN=" + filepath.Join(data, name+".db")}, nil
					}})
					start := time.Now()
					sup.Start(context.Background())
					st := waitState(b, sup, name, pluginhost.StateRunning)
					starts = append(starts, time.Since(start))
					time.Sleep(2 * time.Second)
					rss = append(rss, residentMB(b, st.PID))
					sup.Stop()
				}
			}
			slices.Sort(starts)
			slices.Sort(rss)
			b.ReportMetric(float64(starts[len(starts)/2].Microseconds())/1000, "start_ms")
			b.ReportMetric(rss[len(rss)/2], "idle_rss_MB")
		})
	}
}

func waitState(b testing.TB, s *pluginhost.Supervisor, name string, want pluginhost.State) pluginhost.Status {
	b.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, st := range s.Status() {
			if st.Name == name && st.State == want {
				return st
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("plugin %s not %s: %+v", name, want, s.Status())
		}
		time.Sleep(time.Millisecond)
	}
}

// residentMB reads VmRSS of pid from /proc.
func residentMB(b testing.TB, pid int) float64 {
	b.Helper()
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
