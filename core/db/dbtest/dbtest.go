// Package dbtest gives tests real databases: a fresh SQLite file per test,
// and one PostgreSQL database per test package (created on first use and
// dropped by Main) when JISHI_TEST_POSTGRES names a server.
//
// PostgreSQL databases are migrated as the server's superuser, then served
// to tests through the role jishi_app, which is NOSUPERUSER NOBYPASSRLS:
// superusers skip row-level security, so tests that connected as postgres
// would prove nothing about it.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/jishi-dev/jishi/core/db"
)

// AppRole is the PostgreSQL role tests (and production) serve as.
const AppRole = "jishi_app"

// Main runs the package's tests and drops the package's PostgreSQL
// database afterwards. Call it from TestMain: os.Exit(dbtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	pg.drop()
	return code
}

// ForEach runs fn as a subtest against each available database: "sqlite"
// always, "postgres" when JISHI_TEST_POSTGRES is set. Under CI=true an
// unset JISHI_TEST_POSTGRES fails the test instead of skipping it.
func ForEach(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite returns a migrated database in a new file under t.TempDir().
func SQLite(tb testing.TB) *db.DB {
	tb.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, "sqlite:"+filepath.Join(tb.TempDir(), "jishi.db"), "")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return d
}

// PostgresURL returns JISHI_TEST_POSTGRES, or skips tb (fails it under
// CI=true) when it is unset.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("JISHI_TEST_POSTGRES")
	if u == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatal("JISHI_TEST_POSTGRES is not set; CI must run every test on PostgreSQL too")
		}
		tb.Skip("PostgreSQL tests skipped: set JISHI_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable to run them")
	}
	return u
}

// Postgres returns the package's migrated PostgreSQL database, connected
// as AppRole. Tests in one package share it, so each test works in a
// tenant of its own.
func Postgres(tb testing.TB) *db.DB {
	tb.Helper()
	admin := PostgresURL(tb)
	d, err := pg.get(admin)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

type pgState struct {
	mu       sync.Mutex
	d        *db.DB
	err      error
	adminURL string
	name     string
}

var pg pgState

func (s *pgState) get(adminURL string) (*db.DB, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.d != nil || s.err != nil {
		return s.d, s.err
	}
	s.adminURL = adminURL
	name, err := CreateDatabase(adminURL, "jishi_t")
	if err != nil {
		s.err = err
		return nil, err
	}
	s.name = name
	s.d, s.err = OpenMigrated(adminURL, name)
	return s.d, s.err
}

func (s *pgState) drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.d != nil {
		s.d.Close()
	}
	if s.name != "" {
		_ = DropDatabase(s.adminURL, s.name)
	}
}

var nonWord = regexp.MustCompile(`[^a-z0-9_]`)

// CreateDatabase creates an empty database with a unique name starting
// with prefix on the server at adminURL and returns its name.
func CreateDatabase(adminURL, prefix string) (string, error) {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	exe := strings.ToLower(filepath.Base(os.Args[0]))
	exe = strings.TrimSuffix(exe, ".test")
	name := nonWord.ReplaceAllString(fmt.Sprintf("%s_%s_%s", prefix, exe, hex.EncodeToString(b)), "_")
	if len(name) > 60 {
		name = name[:60]
	}
	a, err := sql.Open("pgx", adminURL)
	if err != nil {
		return "", err
	}
	defer a.Close()
	if _, err := a.Exec("CREATE DATABASE " + name); err != nil {
		return "", fmt.Errorf("create test database: %w", err)
	}
	return name, nil
}

// DropDatabase drops the named database, closing its connections.
func DropDatabase(adminURL, name string) error {
	a, err := sql.Open("pgx", adminURL)
	if err != nil {
		return err
	}
	defer a.Close()
	_, err = a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	return err
}

// WithDatabase returns url u with its database (path) replaced and, when
// user is not empty, its user replaced (password dropped).
func WithDatabase(u, name, user string) (string, error) {
	p, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	p.Path = "/" + name
	if user != "" {
		p.User = url.User(user)
	}
	return p.String(), nil
}

// OpenMigrated migrates database name as the admin user, makes sure AppRole
// exists and may use the tables, and returns a handle connected as AppRole.
func OpenMigrated(adminURL, name string) (*db.DB, error) {
	ctx := context.Background()
	ownerURL, err := WithDatabase(adminURL, name, "")
	if err != nil {
		return nil, err
	}
	owner, err := db.Open(ctx, ownerURL, "")
	if err != nil {
		return nil, err
	}
	defer owner.Close()
	if _, err := owner.Migrate(ctx); err != nil {
		return nil, err
	}
	if err := GrantApp(ctx, owner); err != nil {
		return nil, err
	}
	appURL, err := WithDatabase(adminURL, name, AppRole)
	if err != nil {
		return nil, err
	}
	return db.Open(ctx, appURL, "")
}

// GrantApp creates AppRole when missing (NOSUPERUSER NOBYPASSRLS) and
// grants it the use of every table and sequence of the public schema.
func GrantApp(ctx context.Context, owner *db.DB) error { return owner.GrantServingRole(ctx, AppRole) }
