// Package db opens Jishi's database — PostgreSQL through bun on pgx, or the
// embedded SQLite file through bun's sqliteshim (modernc, no cgo) — runs
// its embedded migrations, and holds the one transaction helper and the
// tenant-scoped query helpers every store uses.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	_ "time/tzdata" // Asia/Shanghai on machines without a zoneinfo database

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"

	"github.com/jishi-dev/jishi/tenants"
)

// Dialect names the database flavour.
type Dialect string

// The two supported dialects.
const (
	Postgres Dialect = "pg"
	SQLite   Dialect = "sqlite"
)

// DB is Jishi's database handle.
type DB struct {
	*bun.DB
	Engine Dialect
	// Location is where the data lives: the SQLite file path, or the
	// PostgreSQL URL without its password.
	Location string
	// url is the PostgreSQL URL with its password, for processes this
	// server starts (plugins) and connections of their own.
	url string
	// writer queues this process's SQLite write transactions (RunInTx) in
	// Go, first come first served, instead of leaving them to SQLite's
	// busy handler, which polls with sleeps of up to 100 ms: under
	// concurrent writers that polling, not the work, made the slowest
	// requests. nil on PostgreSQL.
	writer chan struct{}
}

// writerWait is how long a write transaction waits for its turn in the
// queue before it begins anyway (SQLite's busy timeout then applies): a
// transaction begun while this goroutine holds another one's turn (which
// SQLite could not serve either) must not wait forever.
const writerWait = 10 * time.Second

type writerTurnKey struct{}

// writerTurn waits for this transaction's turn to write and answers the
// function that ends it; ctx already holding a turn (a transaction inside
// another) waits for none.
func (d *DB) writerTurn(ctx context.Context) (context.Context, func()) {
	if d.writer == nil || ctx.Value(writerTurnKey{}) != nil {
		return ctx, func() {}
	}
	t := time.NewTimer(writerWait)
	defer t.Stop()
	select {
	case d.writer <- struct{}{}:
		var once sync.Once
		return context.WithValue(ctx, writerTurnKey{}, true), func() { once.Do(func() { <-d.writer }) }
	case <-ctx.Done():
		return ctx, func() {}
	case <-t.C:
		return ctx, func() {}
	}
}

// URL returns the PostgreSQL URL the database was opened with, password
// included; "" on SQLite. Never log it.
func (d *DB) URL() string { return d.url }

// Open connects to the database named by dsn: "postgres://…" (or
// "postgresql://…") for PostgreSQL; "" or "sqlite:PATH" for the embedded
// SQLite file, which defaults to dataDir/jishi.db.
func Open(ctx context.Context, dsn, dataDir string) (*DB, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		// bun writes every value into the SQL text, so no two statements
		// share a text: preparing each one (pgx's default) costs a round
		// trip and a plan cache entry for nothing. The simple protocol
		// sends each statement once.
		cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
		sqldb := stdlib.OpenDB(*cfg)
		sqldb.SetMaxOpenConns(32)
		sqldb.SetMaxIdleConns(32)
		sqldb.SetConnMaxIdleTime(5 * time.Minute)
		d := &DB{DB: bun.NewDB(sqldb, pgdialect.New()), Engine: Postgres, Location: redact(dsn), url: dsn}
		if err := d.PingContext(ctx); err != nil {
			d.Close()
			return nil, fmt.Errorf("connect postgres %s: %w", d.Location, err)
		}
		return d, nil
	case dsn == "" || strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			if dataDir == "" {
				dataDir = "data"
			}
			path = filepath.Join(dataDir, "jishi.db")
		}
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("create data directory: %w", err)
			}
		}
		// WAL lets readers run beside the one writer; _txlock=immediate
		// takes the write lock when a transaction begins, so concurrent
		// writers wait on the busy timeout instead of failing with
		// "database is locked" half way through.
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
		sqldb, err := sql.Open(sqliteshim.ShimName, "file:"+path+"?"+q.Encode())
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", path, err)
		}
		sqldb.SetMaxOpenConns(8)
		d := &DB{DB: bun.NewDB(sqldb, sqlitedialect.New()), Engine: SQLite, Location: path, writer: make(chan struct{}, 1)}
		if err := d.PingContext(ctx); err != nil {
			d.Close()
			return nil, fmt.Errorf("open sqlite %s: %w", path, err)
		}
		return d, nil
	}
	return nil, fmt.Errorf("unsupported database URL %q: want postgres://… or sqlite:PATH", redact(dsn))
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

// TxFunc is the body of a transaction (an alias, so interfaces elsewhere
// can name the plain func type).
type TxFunc = func(ctx context.Context, tx bun.IDB) error

type afterCommitKey struct{}

// RunInTx runs fn in a transaction and commits when it returns nil. When
// ctx carries a tenant, the transaction is bound to it: on PostgreSQL
// app.tenant_id is set for the transaction, so row-level security admits
// that tenant's rows only. Functions registered with AfterCommit inside fn
// run after a successful commit.
func (d *DB) RunInTx(ctx context.Context, fn TxFunc) error {
	ctx, committed := WithAfterCommit(ctx)
	rollbacks := new([]func())
	ctx = context.WithValue(ctx, afterRollbackKey{}, rollbacks)
	ctx, done := d.writerTurn(ctx)
	err := d.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := d.bindTenant(ctx, tx); err != nil {
			return err
		}
		return fn(ctx, tx)
	})
	done()
	if err != nil {
		for _, f := range *rollbacks {
			f()
		}
		return err
	}
	committed()
	return nil
}

type afterRollbackKey struct{}

// AfterRollback registers f to run when the transaction running in ctx
// (RunInTx) does not commit: what it did outside the database (money
// taken by a payment provider) is undone there. Outside RunInTx it does
// nothing.
func AfterRollback(ctx context.Context, f func()) {
	if p, ok := ctx.Value(afterRollbackKey{}).(*[]func()); ok {
		*p = append(*p, f)
	}
}

// WithAfterCommit returns ctx collecting the functions AfterCommit
// registers, and the function that runs them: for a transaction begun
// outside RunInTx (e.g. on a dedicated connection), to be called after
// its commit.
func WithAfterCommit(ctx context.Context) (context.Context, func()) {
	after := new([]func())
	return context.WithValue(ctx, afterCommitKey{}, after), func() {
		for _, f := range *after {
			f()
		}
	}
}

// RunInReadTx runs fn for reads. On PostgreSQL it is a read-only
// transaction bound to the tenant in ctx (row-level security needs one);
// on SQLite it runs on the pool without a transaction, so readers do not
// queue behind the single writer.
func (d *DB) RunInReadTx(ctx context.Context, fn TxFunc) error {
	if d.Engine == SQLite {
		return fn(ctx, d.DB)
	}
	return d.DB.RunInTx(ctx, &sql.TxOptions{ReadOnly: true}, func(ctx context.Context, tx bun.Tx) error {
		if err := d.bindTenant(ctx, tx); err != nil {
			return err
		}
		return fn(ctx, tx)
	})
}

func (d *DB) bindTenant(ctx context.Context, tx bun.Tx) error {
	if d.Engine != Postgres {
		return nil
	}
	t, ok := tenants.FromContext(ctx)
	if !ok {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "SELECT set_config('app.tenant_id', ?, true)", t.ID); err != nil {
		return fmt.Errorf("bind transaction to tenant: %w", err)
	}
	return nil
}

// AfterCommit registers f to run after the transaction running in ctx
// commits. Outside RunInTx it runs f at once.
func AfterCommit(ctx context.Context, f func()) {
	if p, ok := ctx.Value(afterCommitKey{}).(*[]func()); ok {
		*p = append(*p, f)
		return
	}
	f()
}

// TenantID returns the id of the tenant in ctx; it panics when there is
// none, because tenant-scoped code without a tenant is a bug.
func TenantID(ctx context.Context) string { return tenants.ID(ctx) }

// Select starts a SELECT of model scoped to the tenant in ctx. It is the
// one way stores read tenant tables.
func Select(ctx context.Context, idb bun.IDB, model any) *bun.SelectQuery {
	return idb.NewSelect().Model(model).Where("?TableAlias.tenant_id = ?", TenantID(ctx))
}

// Update starts an UPDATE of model scoped to the tenant in ctx.
func Update(ctx context.Context, idb bun.IDB, model any) *bun.UpdateQuery {
	return idb.NewUpdate().Model(model).Where("?TableAlias.tenant_id = ?", TenantID(ctx))
}

// Delete starts a DELETE of model scoped to the tenant in ctx.
func Delete(ctx context.Context, idb bun.IDB, model any) *bun.DeleteQuery {
	return idb.NewDelete().Model(model).Where("?TableAlias.tenant_id = ?", TenantID(ctx))
}

// NotFound maps sql.ErrNoRows to err (usually a core NotFound error) and
// passes any other error through.
func NotFound(err error, notFound error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return notFound
	}
	return err
}

// IsUniqueViolation reports whether err is a unique-constraint violation on
// either dialect.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "SQLSTATE 23505") || strings.Contains(s, "UNIQUE constraint failed") ||
		strings.Contains(s, "duplicate key value")
}

// BypassesRLS reports whether the connection's PostgreSQL role skips
// row-level security (a superuser, or a role with BYPASSRLS), in which
// case the database no longer backs up tenant isolation. Always false on
// SQLite, which has no row-level security.
func (d *DB) BypassesRLS(ctx context.Context) (bool, error) {
	if d.Engine != Postgres {
		return false, nil
	}
	var bypass bool
	err := d.DB.QueryRowContext(ctx, `SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user`).Scan(&bypass)
	return bypass, err
}

var roleName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// GrantServingRole prepares PostgreSQL role for serving Jishi: it creates
// the role when missing (LOGIN NOSUPERUSER NOBYPASSRLS, so row-level
// security applies to it; set its password yourself) and grants it
// reading and writing every table and sequence of the public schema, but
// not owning or altering them, and creating schemas in the database (the
// plugins' own schemas, plugin_{name}, which it then owns). d must be
// connected as the tables' owner,
// after migrating; run it again after each migration that adds tables
// (`jishi migrate -grant ROLE` does both).
func (d *DB) GrantServingRole(ctx context.Context, role string) error {
	if d.Engine != Postgres {
		return fmt.Errorf("grant %s: only PostgreSQL has roles", role)
	}
	if !roleName.MatchString(role) {
		return fmt.Errorf("grant %q: a role name is lower-case letters, digits and _", role)
	}
	stmts := []string{
		`DO $$ BEGIN
		   CREATE ROLE ` + role + ` LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
		 EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`,
		`GRANT USAGE ON SCHEMA public TO ` + role,
		`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ` + role,
		`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ` + role,
		// Plugins keep their data in schemas of their own (plugin_{name}),
		// which the server creates when it starts them.
		`DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO ` + role + `', current_database()); END $$`,
	}
	for _, s := range stmts {
		if _, err := d.DB.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("grant %s: %w", role, err)
		}
	}
	return nil
}
