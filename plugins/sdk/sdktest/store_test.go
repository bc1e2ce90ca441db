package sdktest_test

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jishi-dev/jishi/plugins/sdk/sdktest"
	"github.com/jishi-dev/jishi/plugins/sdk/store"
)

var notes = fstest.MapFS{
	"pg/0001_notes.up.sql":     {Data: []byte("CREATE TABLE notes (tenant_id TEXT NOT NULL, body TEXT NOT NULL);")},
	"sqlite/0001_notes.up.sql": {Data: []byte("CREATE TABLE notes (tenant_id TEXT NOT NULL, body TEXT NOT NULL);")},
}

func TestStores(t *testing.T) {
	pg := os.Getenv(sdktest.PostgresEnv)
	var database string
	t.Run("open", func(t *testing.T) {
		stores := sdktest.Stores(t, notes)
		want := 1
		if pg != "" {
			want = 2
		}
		if len(stores) != want || stores[store.SQLite] == nil || (pg != "") != (stores[store.Postgres] != nil) {
			t.Fatalf("Stores = %v with %s=%q", stores, sdktest.PostgresEnv, pg)
		}
		for driver, s := range stores {
			if s.Driver != driver {
				t.Errorf("stores[%s].Driver = %s", driver, s.Driver)
			}
			if _, err := s.DB.ExecContext(context.Background(), "INSERT INTO notes (tenant_id, body) VALUES ('t1', 'hi')"); err != nil {
				t.Errorf("%s: the migrated table is missing: %v", driver, err)
			}
		}
		if s := stores[store.Postgres]; s != nil {
			if err := s.DB.QueryRowContext(context.Background(), "SELECT current_database()").Scan(&database); err != nil {
				t.Fatal(err)
			}
		}
	})
	if database == "" {
		return
	}
	admin, err := sql.Open("pgx", pg)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var n int
	if err := admin.QueryRow("SELECT COUNT(*) FROM pg_database WHERE datname = $1", database).Scan(&n); err != nil || n != 0 {
		t.Fatalf("database %s is left after the test (%d, %v)", database, n, err)
	}
}

func TestStoreEnv(t *testing.T) {
	env := sdktest.StoreEnv(t, store.SQLite)
	if len(env) != 2 || env[0] != store.DriverEnv+"=sqlite" || !strings.HasPrefix(env[1], store.DSNEnv+"=") {
		t.Fatalf("StoreEnv = %v", env)
	}
	if other := sdktest.StoreEnv(t, store.SQLite); other[1] == env[1] {
		t.Fatalf("two StoreEnv calls share the file %s", env[1])
	}
}
