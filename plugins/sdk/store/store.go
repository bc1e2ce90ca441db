// Package store is a plugin's own database: the SQLite file or PostgreSQL
// schema the host gives the plugin process, opened through bun the way the
// core opens its own, with the plugin's embedded migrations applied.
//
// The host names the database in the plugin's environment:
// JISHI_PLUGIN_DB_DRIVER is "sqlite" or "postgres", and JISHI_PLUGIN_DB_DSN
// is the SQLite file's path or a PostgreSQL URL whose search_path names the
// plugin's own schema (created by the host). A plugin opens it once in main,
// before sdk.Serve, and fails to start when it cannot:
//
//	//go:embed migrations
//	var migrationFiles embed.FS
//
//	func main() {
//		migrations, _ := fs.Sub(migrationFiles, "migrations")
//		st, err := store.Open(context.Background(), migrations)
//		if err != nil {
//			sdk.Logger().Error("open store", "error", err)
//			os.Exit(1)
//		}
//		defer st.Close()
//		sdk.Serve(manifest, &plugin{store: st})
//	}
//
// Migrations are SQL files, numbered and forward-only, one history per
// dialect, named as the core names its own: pg/0001_groups.up.sql and
// sqlite/0001_groups.up.sql. A file named NNNN_what.tx.up.sql runs in one
// transaction.
//
// One process serves every tenant, so the plugin's tables hold every
// tenant's rows side by side, and nothing in the database keeps them apart:
// every table has a tenant_id column (leading its primary key or indexes),
// every query filters on it, and the tenant id comes from the *sdk.Tenant of
// the call being served, never from a request's body. Scoped adds the
// filter to a select.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
	"github.com/uptrace/bun/migrate"

	"github.com/jishi-dev/jishi/plugins/sdk"
)

// The environment variables in which the host names the plugin's database.
const (
	// DriverEnv holds "sqlite" or "postgres".
	DriverEnv = "JISHI_PLUGIN_DB_DRIVER"
	// DSNEnv holds the SQLite file's path, or a PostgreSQL URL whose
	// search_path names the plugin's schema.
	DSNEnv = "JISHI_PLUGIN_DB_DSN"
)

// The drivers, as DriverEnv names them.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Store is a plugin's open database.
type Store struct {
	// DB is the bun handle; it is safe for concurrent use.
	DB *bun.DB
	// Driver is SQLite or Postgres.
	Driver string
}

// Open opens the database the host named in DriverEnv and DSNEnv and applies
// the migrations not yet applied (see OpenDSN). It fails, naming the
// variable, when either is unset.
func Open(ctx context.Context, migrations fs.FS) (*Store, error) {
	driver := os.Getenv(DriverEnv)
	if driver == "" {
		return nil, fmt.Errorf("plugin store: %s is not set: the host sets it (%s or %s) when it starts the plugin", DriverEnv, SQLite, Postgres)
	}
	dsn := os.Getenv(DSNEnv)
	if dsn == "" {
		return nil, fmt.Errorf("plugin store: %s is not set: the host sets it when it starts the plugin", DSNEnv)
	}
	return OpenDSN(ctx, driver, dsn, migrations)
}

// OpenDSN opens the database — driver SQLite with dsn a file path (its
// directory is created when missing), or Postgres with dsn a pgx URL —
// and applies the migrations of the driver's directory in migrations
// (pg/ or sqlite/) that are not yet applied. nil migrations applies none.
//
// Migrating takes bun's migration lock, waiting up to half a minute for
// another process that holds it; a second Open applies nothing. A
// migration is recorded as applied only when it succeeds, so after a
// failure the next Open runs the failed one again.
//
// On PostgreSQL the search_path must name an existing schema other than
// public: a plugin's tables never mix with the core's.
func OpenDSN(ctx context.Context, driver, dsn string, migrations fs.FS) (*Store, error) {
	var s *Store
	var err error
	switch driver {
	case SQLite:
		s, err = openSQLite(ctx, dsn)
	case Postgres:
		s, err = openPostgres(ctx, dsn)
	default:
		return nil, fmt.Errorf("plugin store: unknown driver %q: want %s or %s", driver, SQLite, Postgres)
	}
	if err != nil {
		return nil, err
	}
	if migrations != nil {
		if err := s.migrate(ctx, migrations); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

func openSQLite(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("plugin store: empty SQLite file path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("plugin store: create the directory of %s: %w", path, err)
	}
	// As in the core: WAL lets readers run beside the one writer, and
	// _txlock=immediate takes the write lock when a transaction begins, so
	// concurrent writers wait on the busy timeout instead of failing with
	// "database is locked" half way through.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	sqldb, err := sql.Open(sqliteshim.ShimName, "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("plugin store: open sqlite %s: %w", path, err)
	}
	sqldb.SetMaxOpenConns(8)
	s := &Store{DB: bun.NewDB(sqldb, sqlitedialect.New()), Driver: SQLite}
	if err := s.DB.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("plugin store: open sqlite %s: %w", path, err)
	}
	return s, nil
}

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("plugin store: postgres %s: %w", redact(dsn), err)
	}
	// As in the core: bun writes values into the SQL text, so preparing
	// each statement would cost a round trip for nothing.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	sqldb := stdlib.OpenDB(*cfg)
	// Smaller than the core's pool: every plugin process shares the
	// server's connections with the core.
	sqldb.SetMaxOpenConns(8)
	sqldb.SetMaxIdleConns(8)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{DB: bun.NewDB(sqldb, pgdialect.New()), Driver: Postgres}
	var schema sql.NullString
	if err := s.DB.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		s.Close()
		return nil, fmt.Errorf("plugin store: connect postgres %s: %w", redact(dsn), err)
	}
	switch {
	case !schema.Valid:
		s.Close()
		return nil, fmt.Errorf("plugin store: postgres %s: no schema on the search_path exists: the host creates the plugin's schema and names it in search_path", redact(dsn))
	case schema.String == "public":
		s.Close()
		return nil, fmt.Errorf("plugin store: postgres %s: the search_path leads to the public schema: name the plugin's own schema (search_path=plugin_…)", redact(dsn))
	}
	return s, nil
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Close closes the database.
func (s *Store) Close() error { return s.DB.Close() }

// Postgres reports whether the store is on PostgreSQL, for the few
// statements that differ between the dialects.
func (s *Store) Postgres() bool { return s.Driver == Postgres }

// Tx runs fn in a transaction and commits when it returns nil; an error or
// a panic rolls it back. On SQLite the transaction takes the write lock when
// it begins, and waits for another writer up to the busy timeout (ten
// seconds), as the core's do; there is no retry beyond that.
func (s *Store) Tx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return s.DB.RunInTx(ctx, nil, fn)
}

// Scoped restricts q, a select with a model, to the rows of tenant tenantID
// (tenant_id of the model's table). An empty tenantID is a bug: the query
// then fails instead of running.
func Scoped(q *bun.SelectQuery, tenantID string) *bun.SelectQuery {
	if tenantID == "" {
		return q.Err(errors.New("plugin store: query without a tenant id"))
	}
	return q.Where("?TableAlias.tenant_id = ?", tenantID)
}

// lockWait is how long Open waits for another process's migration lock.
var lockWait = 30 * time.Second

// migrate applies the driver's migrations not yet applied.
func (s *Store) migrate(ctx context.Context, migrations fs.FS) error {
	dir := "sqlite"
	if s.Postgres() {
		dir = "pg"
	}
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return fmt.Errorf("plugin store: migrations: no %s directory (want pg/*.sql and sqlite/*.sql at the root; fs.Sub an embedded directory): %w", dir, err)
	}
	var ups int
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir() || !strings.HasSuffix(name, ".sql"):
		case strings.HasSuffix(name, ".up.sql"):
			ups++
		case !strings.HasSuffix(name, ".down.sql"):
			return fmt.Errorf("plugin store: migration %s/%s: name it NNNN_what.up.sql", dir, name)
		}
	}
	if ups == 0 {
		return nil
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return fmt.Errorf("plugin store: migrations: %w", err)
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(sub); err != nil {
		return fmt.Errorf("plugin store: migrations in %s: %w", dir, err)
	}
	m := migrate.NewMigrator(s.DB, ms, migrate.WithMarkAppliedOnSuccess(true))
	if st, err := m.MigrationsWithStatus(ctx); err == nil && len(st.Unapplied()) == 0 {
		return nil
	}
	if err := lock(ctx, m); err != nil {
		return err
	}
	defer m.Unlock(context.WithoutCancel(ctx)) //nolint:errcheck
	g, err := m.Migrate(ctx)
	if err != nil {
		if g != nil && len(g.Migrations) > 0 {
			failed := g.Migrations[len(g.Migrations)-1]
			return fmt.Errorf("plugin store: migration %s failed (those before it are applied; the next start runs it again): %w",
				path.Join(dir, failed.Name+"_"+failed.Comment), err)
		}
		return fmt.Errorf("plugin store: migrate %s: %w", dir, err)
	}
	if len(g.Migrations) == 0 { // another process applied them while this one waited
		return nil
	}
	names := make([]string, 0, len(g.Migrations))
	for _, x := range g.Migrations {
		names = append(names, x.Name+"_"+x.Comment)
	}
	sdk.Logger().Info("applied migrations", "driver", s.Driver, "migrations", names)
	return nil
}

// lock creates bun's migration tables and takes its lock, waiting up to
// lockWait for a process that holds it.
func lock(ctx context.Context, m *migrate.Migrator) error {
	deadline := time.Now().Add(lockWait)
	for {
		// Creating the tables is retried too: two processes creating them
		// at once can collide on PostgreSQL.
		err := m.Init(ctx)
		if err == nil {
			if err = m.Lock(ctx); err == nil {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("plugin store: take the migration lock: waited %s; if no other process is migrating, one stopped while it did: delete its row from bun_migration_locks: %w", lockWait, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("plugin store: take the migration lock: %w (%w)", ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
