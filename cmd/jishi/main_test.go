package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// jishi runs the command with args and returns what it printed.
func jishi(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errs bytes.Buffer
	err := run(context.Background(), args, &out, &errs)
	return out.String(), err
}

func must(t *testing.T, args ...string) string {
	t.Helper()
	out, err := jishi(t, args...)
	if err != nil {
		t.Fatalf("jishi %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func wantIn(t *testing.T, what, out string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(out, s) {
			t.Errorf("%s: output lacks %q:\n%s", what, s, out)
		}
	}
}

// TestCommandsOnSQLite walks the administration commands over one SQLite
// file: migrate (twice), seed (twice), tenant create (good and bad),
// tenant list, user create-admin (bad and good).
func TestCommandsOnSQLite(t *testing.T) {
	dir := t.TempDir()
	dbf := "-database=sqlite:" + filepath.Join(dir, "jishi.db")
	for range 2 {
		wantIn(t, "migrate", must(t, "migrate", dbf), "is up to date", "sqlite")
	}
	if _, err := jishi(t, "migrate", dbf, "-grant", "jishi_app"); err == nil {
		t.Error("migrate -grant on SQLite succeeded")
	}
	out := must(t, "seed", dbf)
	wantIn(t, "seed", out, "Demo logins", "admin@jishi.local", "admin@changsha-coop.local", "jishi-demo-2026", "/t/changsha-coop/admin")
	wantIn(t, "seed again", must(t, "seed", dbf), "already holds tenants", "Demo logins")

	out = must(t, "tenant", "create", dbf, "-slug", "xiangtan-coop", "-name", "网上供销社·湘潭", "-domain", "market.xiangtan.example",
		"-admin-email", "admin@xiangtan.example", "-admin-password", "xiangtan-2026")
	wantIn(t, "tenant create", out, "created tenant xiangtan-coop", "xiangtan-coop.localhost", "market.xiangtan.example")
	for _, bad := range [][]string{
		{"-slug", "admin", "-name", "x"},
		{"-slug", "ＸＩＡＮＧＴＡＮ-coop", "-name", "x"},
		{"-slug", "ok-slug", "-name", ""},
		{"-slug", "ok-slug", "-name", "x", "-admin-email", "not-an-address", "-admin-password", "long-enough"},
	} {
		out, err := jishi(t, append([]string{"tenant", "create", dbf}, bad...)...)
		if err == nil {
			t.Errorf("tenant create %v succeeded: %s", bad, out)
		}
	}
	out = must(t, "tenant", "list", dbf)
	wantIn(t, "tenant list", out, "changsha-coop", "zhuzhou-coop", "xiangtan-coop")
	if n := strings.Count(out, "\n"); n != 4 {
		t.Errorf("tenant list: %d lines, want a header and 3 tenants:\n%s", n, out)
	}

	if _, err := jishi(t, "user", "create-admin", dbf, "-email", "ops@example.com", "-password", "short"); err == nil {
		t.Error("create-admin with a short password succeeded")
	}
	wantIn(t, "create-admin", must(t, "user", "create-admin", dbf, "-email", "ops@example.com", "-password", "long-enough-1"), "platform admin ops@example.com is ready")

	for _, bad := range [][]string{{}, {"nosuch"}, {"tenant"}, {"tenant", "delete"}, {"user"}} {
		if _, err := jishi(t, bad...); err == nil {
			t.Errorf("jishi %v succeeded", bad)
		}
	}
}

// TestMigrateGrantAndSeedOnPostgres: migrate as the owner with -grant,
// twice; then seed and list as the granted role, which row-level security
// applies to.
func TestMigrateGrantAndSeedOnPostgres(t *testing.T) {
	admin := dbtest.PostgresURL(t)
	name, err := dbtest.CreateDatabase(admin, "cmd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dbtest.DropDatabase(admin, name) })
	owner, err := dbtest.WithDatabase(admin, name, "")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		wantIn(t, "migrate -grant", must(t, "migrate", "-database", owner, "-grant", dbtest.AppRole), "is up to date", "role jishi_app may read and write")
	}
	if _, err := jishi(t, "migrate", "-database", owner, "-grant", "bad role; DROP TABLE tenants"); err == nil {
		t.Error("migrate -grant with a malformed role succeeded")
	}
	served, err := dbtest.WithDatabase(admin, name, dbtest.AppRole)
	if err != nil {
		t.Fatal(err)
	}
	wantIn(t, "seed as jishi_app", must(t, "seed", "-database", served), "Demo logins", "admin@zhuzhou-coop.local")

	// The serving role cannot migrate an empty database, and says what
	// to do instead.
	empty, err := dbtest.CreateDatabase(admin, "cmdempty")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dbtest.DropDatabase(admin, empty) })
	emptyURL, _ := dbtest.WithDatabase(admin, empty, dbtest.AppRole)
	if _, err := jishi(t, "serve", "-database", emptyURL); err == nil || !strings.Contains(err.Error(), "run `jishi migrate` as the tables' owner") {
		t.Errorf("serve as jishi_app on an unmigrated database: %v", err)
	}
	wantIn(t, "tenant list as jishi_app", must(t, "tenant", "list", "-database", served), "changsha-coop", "zhuzhou-coop")
}

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServe: serve migrates and seeds an empty data directory, prints the
// demo logins, serves the demo marketplace, and shuts down cleanly when
// its context ends.
func TestServe(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "-addr", addr, "-data-dir", dir, "-sweep-every", "200ms"}, &out, io.Discard)
	}()

	base := "http://" + addr
	var ready bool
	// The first start seeds two marketplaces (products, images, stock,
	// promotions): a few seconds normally, minutes under the race detector
	// on a busy two-core machine.
	for deadline := time.Now().Add(6 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				ready = true
				break
			}
		}
	}
	if !ready {
		t.Fatalf("serve did not become ready:\n%s", out.String())
	}
	wantIn(t, "serve", out.String(), "is serving on", "Demo logins", "admin@changsha-coop.local")
	if _, err := os.Stat(filepath.Join(dir, "jishi.db")); err != nil {
		t.Errorf("no database in the data directory: %v", err)
	}
	get := func(host, path string) (int, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, c := range []struct {
		host, path string
		code       int
		want       string
	}{
		{"", "/t/changsha-coop/", 200, "网上供销社·长沙"},
		{"changsha-coop.localhost", "/", 200, "网上供销社·长沙"},
		{"yuelu-veg.changsha-coop.localhost", "/", 200, "岳麓蔬菜基地"},
		{"", "/t/zhuzhou-coop/s/yuelu-veg/", 404, ""},
		{"nosuch.example.org", "/", 404, ""},
	} {
		code, body := get(c.host, c.path)
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("GET %s%s: %d, want %d with %q", c.host, c.path, code, c.code, c.want)
		}
	}
	expiredReservationComesBack(t, dir)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v after shutdown", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not shut down")
	}
	if _, err := http.Get(base + "/readyz"); err == nil {
		t.Error("still serving after shutdown")
	}
	fmt.Fprint(io.Discard, out.String())
}

// expiredReservationComesBack reserves a unit of a demo SKU for a second
// in the served database and waits for the server's stock sweep to
// release it.
func expiredReservationComesBack(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	a, err := app.New(ctx, app.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	tn, err := tenants.BySlug(ctx, a.DB.DB, "changsha-coop")
	if err != nil {
		t.Fatal(err)
	}
	tctx := tenants.WithTenant(ctx, tn)
	var sku string
	err = a.DB.RunInReadTx(tctx, func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT sku_id FROM lots WHERE tenant_id = ? AND on_hand > reserved AND best_before > ? ORDER BY id LIMIT 1",
			tn.ID, time.Now().In(tn.Location()).Format("2006-01-02")).Scan(ctx, &sku)
	})
	if err != nil {
		t.Fatalf("a seeded SKU in stock: %v", err)
	}
	before, err := a.Inventory.Available(tctx, sku)
	if err != nil {
		t.Fatal(err)
	}
	var r *inventory.Reservation
	err = a.DB.RunInTx(tctx, func(ctx context.Context, tx bun.IDB) (err error) {
		r, err = a.Inventory.Reserve(ctx, tx, []inventory.Line{{SKUID: sku, Qty: 1}}, "test-serve", time.Second)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := a.Inventory.Available(tctx, sku); n != before-1 {
		t.Fatalf("available after reserving 1 of %d: %d", before, n)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		got, err := a.Inventory.Reservation(tctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == inventory.ReservationExpired {
			if n, _ := a.Inventory.Available(tctx, sku); n != before {
				t.Fatalf("available after the sweep: %d, want %d", n, before)
			}
			return
		}
	}
	t.Fatal("the expired reservation was not released while serving")
}
