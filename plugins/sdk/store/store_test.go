package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/uptrace/bun"

	"github.com/jishi-dev/jishi/plugins/sdk/sdktest"
	"github.com/jishi-dev/jishi/plugins/sdk/store"
)

const campaignsSQL = `CREATE TABLE campaigns (
  tenant_id TEXT NOT NULL,
  id        TEXT NOT NULL,
  shop_id   TEXT NOT NULL,
  size      INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX campaigns_shop ON campaigns (tenant_id, shop_id);
`

const membersSQL = `CREATE TABLE members (
  tenant_id   TEXT NOT NULL,
  campaign_id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, campaign_id, customer_id),
  FOREIGN KEY (tenant_id, campaign_id) REFERENCES campaigns (tenant_id, id)
);
`

// migrations returns a migration set with the same files for both
// dialects; extra maps names ("0003_x.up.sql") to SQL.
func migrations(extra map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	files := map[string]string{"0001_campaigns.up.sql": campaignsSQL, "0002_members.up.sql": membersSQL}
	for name, sql := range extra {
		files[name] = sql
	}
	for name, sql := range files {
		fsys["pg/"+name] = &fstest.MapFile{Data: []byte(sql)}
		fsys["sqlite/"+name] = &fstest.MapFile{Data: []byte(sql)}
	}
	return fsys
}

type campaign struct {
	bun.BaseModel `bun:"table:campaigns,alias:c"`

	TenantID string `bun:"tenant_id,pk"`
	ID       string `bun:"id,pk"`
	ShopID   string `bun:"shop_id"`
	Size     int64  `bun:"size"`
}

type member struct {
	bun.BaseModel `bun:"table:members,alias:m"`

	TenantID   string `bun:"tenant_id,pk"`
	CampaignID string `bun:"campaign_id,pk"`
	CustomerID string `bun:"customer_id,pk"`
}

// forEachDriver runs fn with the plugin environment (JISHI_PLUGIN_DB_*)
// naming a fresh database of each driver, PostgreSQL when
// JISHI_TEST_POSTGRES is set.
func forEachDriver(t *testing.T, fn func(t *testing.T, driver, dsn string)) {
	for _, driver := range []string{store.SQLite, store.Postgres} {
		t.Run(driver, func(t *testing.T) {
			env := sdktest.StoreEnv(t, driver)
			var dsn string
			for _, kv := range env {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
				if k == store.DSNEnv {
					dsn = v
				}
			}
			fn(t, driver, dsn)
		})
	}
}

func open(t *testing.T, fsys fstest.MapFS) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), fsys)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func applied(t *testing.T, s *store.Store) []string {
	t.Helper()
	var names []string
	if err := s.DB.NewSelect().Table("bun_migrations").Column("name").Order("name").Scan(context.Background(), &names); err != nil {
		t.Fatal(err)
	}
	return names
}

func TestOpenMigrates(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver, _ string) {
		ctx := context.Background()
		s := open(t, migrations(nil))
		if s.Driver != driver || s.Postgres() != (driver == store.Postgres) {
			t.Fatalf("Driver = %q, Postgres() = %v", s.Driver, s.Postgres())
		}
		if got := applied(t, s); fmt.Sprint(got) != "[0001 0002]" {
			t.Fatalf("applied = %v", got)
		}
		if s.Postgres() {
			var schema string
			if err := s.DB.QueryRowContext(ctx, `SELECT table_schema FROM information_schema.tables WHERE table_name = 'campaigns'`).Scan(&schema); err != nil || schema != "plugin_test" {
				t.Fatalf("campaigns is in schema %q (%v), want the plugin's schema plugin_test", schema, err)
			}
		}
		rows := []campaign{{TenantID: "t1", ID: "c1", ShopID: "s1", Size: 3}, {TenantID: "t2", ID: "c1", ShopID: "s9", Size: 5}}
		if _, err := s.DB.NewInsert().Model(&rows).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		s.Close()

		// A second Open applies nothing: the files create tables without
		// IF NOT EXISTS, so running them again would fail.
		s = open(t, migrations(nil))
		if got := applied(t, s); fmt.Sprint(got) != "[0001 0002]" {
			t.Fatalf("applied after a second Open = %v", got)
		}
		var got []campaign
		if err := store.Scoped(s.DB.NewSelect().Model(&got), "t2").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ShopID != "s9" {
			t.Fatalf("rows of t2 = %+v", got)
		}
		s.Close()

		// A new migration is applied alone, in a group of its own.
		s = open(t, migrations(map[string]string{"0003_campaign_ends.up.sql": "ALTER TABLE campaigns ADD COLUMN ends_at TIMESTAMP;"}))
		if got := applied(t, s); fmt.Sprint(got) != "[0001 0002 0003]" {
			t.Fatalf("applied = %v", got)
		}
		var groups int
		if err := s.DB.QueryRowContext(ctx, "SELECT COUNT(DISTINCT group_id) FROM bun_migrations").Scan(&groups); err != nil || groups != 2 {
			t.Fatalf("migration groups = %d (%v), want 2", groups, err)
		}
	})
}

func TestOpenBadMigration(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver, _ string) {
		ctx := context.Background()
		bad := migrations(map[string]string{"0003_broken.up.sql": "CREATE TABLE broken (id TEXT NOT NULL"})
		for i := range 2 { // the failed migration is not recorded: the next start runs it again
			_, err := store.Open(ctx, bad)
			dir := map[string]string{store.SQLite: "sqlite", store.Postgres: "pg"}[driver]
			if err == nil || !strings.Contains(err.Error(), dir+"/0003_broken") {
				t.Fatalf("Open %d with a broken migration: %v, want an error naming %s/0003_broken", i+1, err, dir)
			}
		}
		s := open(t, migrations(map[string]string{"0003_broken.up.sql": "CREATE TABLE broken (id TEXT NOT NULL);"}))
		if got := applied(t, s); fmt.Sprint(got) != "[0001 0002 0003]" {
			t.Fatalf("applied after the fix = %v", got)
		}
		var n int
		if err := s.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM bun_migration_locks").Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d migration locks left (%v), want 0", n, err)
		}
	})
}

func TestOpenWaitsForMigrationLock(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver, _ string) {
		ctx := context.Background()
		s := open(t, migrations(nil))
		if _, err := s.DB.ExecContext(ctx, "INSERT INTO bun_migration_locks (table_name) VALUES ('bun_migrations')"); err != nil {
			t.Fatal(err)
		}
		defer store.SetLockWait(300 * time.Millisecond)()
		more := migrations(map[string]string{"0003_more.up.sql": "CREATE TABLE more (id TEXT);"})
		if _, err := store.Open(ctx, more); err == nil || !strings.Contains(err.Error(), "bun_migration_locks") {
			t.Fatalf("Open with the lock held: %v, want an error naming bun_migration_locks", err)
		}
		// Released while a start waits: it goes on.
		go func() {
			time.Sleep(100 * time.Millisecond)
			s.DB.ExecContext(ctx, "DELETE FROM bun_migration_locks")
		}()
		if _, err := store.Open(ctx, more); err != nil {
			t.Fatalf("Open after the lock is released: %v", err)
		}
		if got := applied(t, s); fmt.Sprint(got) != "[0001 0002 0003]" {
			t.Fatalf("applied = %v", got)
		}
	})
}

func TestConcurrentOpensMigrateOnce(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver, _ string) {
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				s, err := store.Open(context.Background(), migrations(nil))
				if err == nil {
					s.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		s := open(t, migrations(nil))
		var n int
		if err := s.DB.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM bun_migrations").Scan(&n); err != nil || n != 2 {
			t.Fatalf("bun_migrations has %d rows (%v), want 2", n, err)
		}
	})
}

func TestTx(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver, _ string) {
		ctx := context.Background()
		s := open(t, migrations(nil))
		refused := errors.New("refused")
		err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.NewInsert().Model(&campaign{TenantID: "t1", ID: "gone", ShopID: "s1", Size: 2}).Exec(ctx); err != nil {
				return err
			}
			return refused
		})
		if !errors.Is(err, refused) {
			t.Fatalf("Tx = %v, want the function's error", err)
		}
		err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			_, err := tx.NewInsert().Model(&campaign{TenantID: "t1", ID: "kept", ShopID: "s1", Size: 2}).Exec(ctx)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		if err := store.Scoped(s.DB.NewSelect().Model((*campaign)(nil)).Column("id"), "t1").Scan(ctx, &ids); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ids) != "[kept]" {
			t.Fatalf("ids = %v, want the committed row only", ids)
		}
		// Foreign keys hold on both dialects.
		if _, err := s.DB.NewInsert().Model(&member{TenantID: "t1", CampaignID: "none", CustomerID: "u1"}).Exec(ctx); err == nil {
			t.Fatal("a member of a missing campaign was stored: foreign keys are off")
		}
	})
}

func TestScopedWithoutTenantFails(t *testing.T) {
	s := sdktest.Store(t, migrations(nil))
	var rows []campaign
	err := store.Scoped(s.DB.NewSelect().Model(&rows), "").Scan(context.Background())
	if err == nil || !strings.Contains(err.Error(), "tenant") {
		t.Fatalf("Scan = %v, want an error about the missing tenant", err)
	}
}

func TestSQLiteSettings(t *testing.T) {
	s := sdktest.Store(t, migrations(nil))
	ctx := context.Background()
	for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000"} {
		var got string
		if err := s.DB.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil || got != want {
			t.Errorf("PRAGMA %s = %q (%v), want %q", pragma, got, err, want)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("driver unset", func(t *testing.T) {
		t.Setenv(store.DriverEnv, "")
		t.Setenv(store.DSNEnv, "x")
		if _, err := store.Open(ctx, nil); err == nil || !strings.Contains(err.Error(), store.DriverEnv) {
			t.Fatalf("Open = %v, want an error naming %s", err, store.DriverEnv)
		}
	})
	t.Run("dsn unset", func(t *testing.T) {
		t.Setenv(store.DriverEnv, store.SQLite)
		t.Setenv(store.DSNEnv, "")
		if _, err := store.Open(ctx, nil); err == nil || !strings.Contains(err.Error(), store.DSNEnv) {
			t.Fatalf("Open = %v, want an error naming %s", err, store.DSNEnv)
		}
	})
	file := func(t *testing.T) string { return t.TempDir() + "/p.db" }
	tests := []struct {
		name, driver string
		fsys         fstest.MapFS
		want         string
	}{
		{"unknown driver", "mysql", nil, `unknown driver "mysql"`},
		{"no directory for the dialect", store.SQLite, fstest.MapFS{"pg/0001_a.up.sql": {Data: []byte("SELECT 1")}}, "no sqlite directory"},
		{"embedded root not stripped", store.SQLite, fstest.MapFS{"migrations/sqlite/0001_a.up.sql": {Data: []byte("SELECT 1")}}, "no sqlite directory"},
		{"file not named .up.sql", store.SQLite, fstest.MapFS{"sqlite/0001_a.sql": {Data: []byte("SELECT 1")}}, "0001_a.sql: name it NNNN_what.up.sql"},
		{"file without a number", store.SQLite, fstest.MapFS{"sqlite/init.up.sql": {Data: []byte("SELECT 1")}}, "init.up.sql"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := store.OpenDSN(ctx, tt.driver, file(t), tt.fsys)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("OpenDSN = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	t.Run("no migrations", func(t *testing.T) {
		s, err := store.OpenDSN(ctx, store.SQLite, file(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	})
}

func TestPostgresNeedsThePluginSchema(t *testing.T) {
	env := sdktest.StoreEnv(t, store.Postgres)
	_, dsn, _ := strings.Cut(env[1], "=")
	ctx := context.Background()
	for _, tt := range []struct{ searchPath, want string }{
		{"public", "public schema"},
		{"plugin_missing", "no schema on the search_path exists"},
	} {
		bad := strings.Replace(dsn, "search_path=plugin_test", "search_path="+tt.searchPath, 1)
		if _, err := store.OpenDSN(ctx, store.Postgres, bad, migrations(nil)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("search_path=%s: OpenDSN = %v, want an error containing %q", tt.searchPath, err, tt.want)
		}
	}
}
