package sdktest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jishi-dev/jishi/plugins/sdk/store"
)

// PostgresEnv names the environment variable holding the URL of a
// PostgreSQL server on which tests may create and drop databases
// ("postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable").
const PostgresEnv = "JISHI_TEST_POSTGRES"

// pluginSchema is the schema test databases give the plugin, as the host
// gives each plugin a schema of its own.
const pluginSchema = "plugin_test"

// Store opens a fresh SQLite store in t.TempDir() with migrations applied
// (see store.OpenDSN); it is closed when the test ends.
func Store(t testing.TB, migrations fs.FS) *store.Store {
	t.Helper()
	return open(t, store.SQLite, filepath.Join(t.TempDir(), "plugin.db"), migrations)
}

// Stores opens a fresh store with migrations applied on each available
// database, keyed by driver: store.SQLite always, and store.Postgres when
// JISHI_TEST_POSTGRES names a server — a new database of its own, with the
// plugin's tables in the schema plugin_test, dropped when the test ends.
// Under CI=true an unset JISHI_TEST_POSTGRES fails the test.
func Stores(t testing.TB, migrations fs.FS) map[string]*store.Store {
	t.Helper()
	stores := map[string]*store.Store{store.SQLite: Store(t, migrations)}
	if admin, ok := postgresURL(t); ok {
		stores[store.Postgres] = open(t, store.Postgres, postgresDatabase(t, admin), migrations)
	}
	return stores
}

// StoreEnv returns the environment that gives a spawned plugin a fresh
// database of driver (store.SQLite or store.Postgres), for SpawnEnv: a new
// SQLite file in t.TempDir(), or a new PostgreSQL database with the schema
// plugin_test on the search_path, dropped when the test ends. The plugin
// migrates it itself in store.Open. For store.Postgres it skips the test
// when JISHI_TEST_POSTGRES is unset (fails it under CI=true).
func StoreEnv(t testing.TB, driver string) []string {
	t.Helper()
	var dsn string
	switch driver {
	case store.SQLite:
		dsn = filepath.Join(t.TempDir(), "plugin.db")
	case store.Postgres:
		admin, ok := postgresURL(t)
		if !ok {
			t.Skipf("PostgreSQL tests skipped: set %s=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable to run them", PostgresEnv)
		}
		dsn = postgresDatabase(t, admin)
	default:
		t.Fatalf("sdktest: unknown store driver %q: want %s or %s", driver, store.SQLite, store.Postgres)
	}
	return []string{store.DriverEnv + "=" + driver, store.DSNEnv + "=" + dsn}
}

func open(t testing.TB, driver, dsn string, migrations fs.FS) *store.Store {
	t.Helper()
	s, err := store.OpenDSN(context.Background(), driver, dsn, migrations)
	if err != nil {
		t.Fatalf("sdktest: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// postgresURL returns JISHI_TEST_POSTGRES and whether it is set; under
// CI=true an unset one fails the test.
func postgresURL(t testing.TB) (string, bool) {
	t.Helper()
	u := os.Getenv(PostgresEnv)
	if u == "" && os.Getenv("CI") == "true" {
		t.Fatalf("sdktest: %s is not set; CI must run every test on PostgreSQL too", PostgresEnv)
	}
	return u, u != ""
}

// postgresDatabase creates a database with a unique name on the server at
// admin, creates the plugin's schema in it, and returns the URL a plugin
// connects with (search_path set to the schema). The database is dropped
// when the test ends, whoever is still connected.
func postgresDatabase(t testing.TB, admin string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "jishi_plugin_t_" + hex.EncodeToString(b)
	exec := func(dsn, stmt string) error {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		_, err = db.Exec(stmt)
		return err
	}
	if err := exec(admin, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("sdktest: create test database: %v", err)
	}
	t.Cleanup(func() {
		if err := exec(admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("sdktest: drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("sdktest: %s: %v", PostgresEnv, err)
	}
	u.Path = "/" + name
	if err := exec(u.String(), "CREATE SCHEMA "+pluginSchema); err != nil {
		t.Fatalf("sdktest: create schema %s: %v", pluginSchema, err)
	}
	q := u.Query()
	q.Set("search_path", pluginSchema)
	u.RawQuery = q.Encode()
	return u.String()
}
