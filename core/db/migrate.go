package db

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/uptrace/bun/migrate"
)

//go:embed migrations/pg/*.sql migrations/sqlite/*.sql
var migrationFiles embed.FS

// Migrations returns the migration set of the dialect: numbered SQL files
// embedded in the binary, one history per dialect.
func Migrations(d Dialect) (*migrate.Migrations, error) {
	sub, err := fs.Sub(migrationFiles, "migrations/"+string(d))
	if err != nil {
		return nil, err
	}
	m := migrate.NewMigrations()
	if err := m.Discover(sub); err != nil {
		return nil, fmt.Errorf("discover %s migrations: %w", d, err)
	}
	return m, nil
}

// Migrate applies every migration not yet applied and returns the names of
// those it applied. It is idempotent: a second run applies nothing. After
// Jishi's own migrations it runs River's migrator for the job queue's
// tables (core/jobs); the versions River applies are logged, not returned.
func (d *DB) Migrate(ctx context.Context) ([]string, error) {
	ms, err := Migrations(d.Engine)
	if err != nil {
		return nil, err
	}
	m := migrate.NewMigrator(d.DB, ms)
	// Up to date: nothing to create or lock, so a serving role without
	// the right to create tables (see GrantServingRole) starts fine.
	if st, err := m.MigrationsWithStatus(ctx); err == nil && len(st.Unapplied()) == 0 {
		return nil, d.migrateRiver(ctx)
	}
	if err := m.Init(ctx); err != nil {
		if d.Engine == Postgres && strings.Contains(err.Error(), "42501") {
			return nil, fmt.Errorf("the database has migrations to apply and this role may not apply them: run `jishi migrate` as the tables' owner first: %w", err)
		}
		return nil, fmt.Errorf("init migrations: %w", err)
	}
	if err := m.Lock(ctx); err != nil {
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	defer m.Unlock(ctx) //nolint:errcheck
	g, err := m.Migrate(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var names []string
	for _, x := range g.Migrations {
		names = append(names, x.Name)
	}
	return names, d.migrateRiver(ctx)
}

// migrateRiver applies River's migrations not yet applied (reading only
// when there are none, so a serving role starts fine). On PostgreSQL
// River's tables are then marked global (they have no tenant_id; see
// jishi_apply_tenant_rls).
func (d *DB) migrateRiver(ctx context.Context) error {
	var drv riverdriver.Driver[*sql.Tx] = riversqlite.New(d.DB.DB)
	if d.Engine == Postgres {
		drv = riverdatabasesql.New(d.DB.DB)
	}
	rm, err := rivermigrate.New(drv, &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	res, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	if len(res.Versions) == 0 {
		return nil
	}
	slog.InfoContext(ctx, "migrated River's job queue tables", "versions", len(res.Versions))
	if d.Engine == Postgres {
		if _, err := d.DB.ExecContext(ctx, `DO $$ DECLARE t record; BEGIN
		  FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname LIKE 'river\_%' LOOP
		    EXECUTE format('COMMENT ON TABLE %I IS %L', t.relname, 'global: River job queue (core/jobs); jobs carry their tenant in their args');
		  END LOOP; END $$`); err != nil {
			return fmt.Errorf("river migrations: mark tables global: %w", err)
		}
	}
	return nil
}
