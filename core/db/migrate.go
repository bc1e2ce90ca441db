package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strings"

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
// those it applied. It is idempotent: a second run applies nothing.
func (d *DB) Migrate(ctx context.Context) ([]string, error) {
	ms, err := Migrations(d.Engine)
	if err != nil {
		return nil, err
	}
	m := migrate.NewMigrator(d.DB, ms)
	// Up to date: nothing to create or lock, so a serving role without
	// the right to create tables (see GrantServingRole) starts fine.
	if st, err := m.MigrationsWithStatus(ctx); err == nil && len(st.Unapplied()) == 0 {
		return nil, nil
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
	return names, nil
}
