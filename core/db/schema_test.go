package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/tenants"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// violation is one breach of the tenant rules found in the catalog.
type violation struct {
	Table, Rule, Detail string
}

func (v violation) String() string {
	if v.Detail == "" {
		return v.Table + ": " + v.Rule
	}
	return v.Table + ": " + v.Rule + " (" + v.Detail + ")"
}

// The rules schemaViolations checks.
const (
	rulePK          = "tenant table's primary key must start with tenant_id"
	ruleFK          = "foreign key between tenant tables must start with tenant_id on both sides"
	ruleRLS         = "tenant table must ENABLE ROW LEVEL SECURITY"
	ruleForceRLS    = "tenant table must FORCE ROW LEVEL SECURITY"
	rulePolicy      = "tenant table needs a row-level security policy on app.tenant_id"
	ruleUndeclared  = "table without tenant_id needs a COMMENT 'global: why'"
	ruleGlobalWhy   = "global table's comment must say why after 'global:'"
	ruleTenantIDCol = "tenant table needs a tenant_id column"
)

// schemaViolations inspects the PostgreSQL catalog of schema and returns
// every breach of the tenant rules, sorted. A table is global when its
// comment starts with "global:"; bun's own tables are skipped. Every
// other table is a tenant table and must have tenant_id first in its
// primary key and in every foreign key to another tenant table (on both
// sides), and row-level security enabled, forced and with a policy on
// app.tenant_id.
func schemaViolations(ctx context.Context, q *sql.DB, schema string) ([]violation, error) {
	type table struct {
		global, hasTenantID, rls, force bool
		comment                         string
		policies, tenantPolicies        int
	}
	tables := map[string]*table{}
	rows, err := q.QueryContext(ctx, `
		SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
		       coalesce(obj_description(c.oid, 'pg_class'), ''),
		       EXISTS (SELECT 1 FROM pg_attribute a
		               WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped),
		       (SELECT count(*) FROM pg_policies p WHERE p.schemaname = n.nspname AND p.tablename = c.relname),
		       (SELECT count(*) FROM pg_policies p WHERE p.schemaname = n.nspname AND p.tablename = c.relname
		          AND p.qual LIKE '%app.tenant_id%')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname NOT LIKE 'bun\_%'`, schema)
	if err != nil {
		return nil, fmt.Errorf("read tables: %w", err)
	}
	for rows.Next() {
		var name string
		t := &table{}
		if err := rows.Scan(&name, &t.rls, &t.force, &t.comment, &t.hasTenantID, &t.policies, &t.tenantPolicies); err != nil {
			rows.Close()
			return nil, err
		}
		t.global = strings.HasPrefix(t.comment, "global:")
		tables[name] = t
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}

	var out []violation
	add := func(tbl, rule, detail string) { out = append(out, violation{tbl, rule, detail}) }
	for name, t := range tables {
		switch {
		case t.global:
			if strings.TrimSpace(strings.TrimPrefix(t.comment, "global:")) == "" {
				add(name, ruleGlobalWhy, "comment "+fmt.Sprintf("%q", t.comment))
			}
			continue
		case !t.hasTenantID && t.comment == "":
			add(name, ruleUndeclared, "no tenant_id column and no comment")
		case !t.hasTenantID:
			add(name, ruleTenantIDCol, "comment "+fmt.Sprintf("%q", t.comment)+" does not start with 'global:'")
		}
		if !t.rls {
			add(name, ruleRLS, "relrowsecurity is false")
		}
		if !t.force {
			add(name, ruleForceRLS, "relforcerowsecurity is false")
		}
		if t.tenantPolicies == 0 {
			add(name, rulePolicy, fmt.Sprintf("%d policies, none on app.tenant_id", t.policies))
		}
	}

	rows, err = q.QueryContext(ctx, `
		SELECT c.relname, con.conname, con.contype,
		       (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = con.conrelid AND a.attnum = con.conkey[1]),
		       coalesce(fc.relname, ''),
		       coalesce(obj_description(con.confrelid, 'pg_class'), ''),
		       coalesce((SELECT a.attname FROM pg_attribute a WHERE a.attrelid = con.confrelid AND a.attnum = con.confkey[1]), '')
		FROM pg_constraint con
		JOIN pg_class c ON c.oid = con.conrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		LEFT JOIN pg_class fc ON fc.oid = con.confrelid
		WHERE n.nspname = $1 AND con.contype IN ('p', 'f') AND c.relname NOT LIKE 'bun\_%'`, schema)
	if err != nil {
		return nil, fmt.Errorf("read constraints: %w", err)
	}
	hasPK := map[string]bool{}
	for rows.Next() {
		var tbl, con, typ, first, ref, refComment, refFirst string
		if err := rows.Scan(&tbl, &con, &typ, &first, &ref, &refComment, &refFirst); err != nil {
			rows.Close()
			return nil, err
		}
		t := tables[tbl]
		if t == nil || t.global {
			continue
		}
		switch typ {
		case "p":
			hasPK[tbl] = true
			if first != "tenant_id" {
				add(tbl, rulePK, fmt.Sprintf("%s starts with %s", con, first))
			}
		case "f":
			if strings.HasPrefix(refComment, "global:") {
				continue // a reference to a global table (tenants) is fine
			}
			if first != "tenant_id" || refFirst != "tenant_id" {
				add(tbl, ruleFK, fmt.Sprintf("%s: (%s, …) references %s (%s, …)", con, first, ref, refFirst))
			}
		}
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	for name, t := range tables {
		if !t.global && !hasPK[name] {
			add(name, rulePK, "no primary key")
		}
	}
	slices.SortFunc(out, func(a, b violation) int { return strings.Compare(a.String(), b.String()) })
	return out, nil
}

// freshPostgres creates an empty database of its own on the test server
// and returns it connected as the admin user (the migrating role); it is
// dropped when the test ends.
func freshPostgres(t *testing.T) *db.DB {
	t.Helper()
	admin := dbtest.PostgresURL(t)
	name, err := dbtest.CreateDatabase(admin, "jishi_schema")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := dbtest.DropDatabase(admin, name); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	u, err := dbtest.WithDatabase(admin, name, "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(context.Background(), u, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func freshSQLite(t *testing.T) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "jishi.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// TestSchemaFollowsTenantRules migrates an empty PostgreSQL database and
// checks every table of it against the tenant rules.
func TestSchemaFollowsTenantRules(t *testing.T) {
	d := freshPostgres(t)
	ctx := context.Background()
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	vs, err := schemaViolations(ctx, d.DB.DB, "public")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Errorf("%s", v)
	}
	// The check saw the tables it is meant to see.
	var n int
	if err := d.DB.DB.QueryRowContext(ctx, `SELECT count(*) FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
		WHERE ns.nspname = 'public' AND c.relkind = 'r' AND c.relname IN ('tenants', 'regions', 'role_assignments')`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("expected tables tenants, regions, role_assignments: %d, %v", n, err)
	}
}

// TestSchemaCheckCatchesViolations runs the checker on a scratch schema
// built to break each rule once, so that a silent checker cannot pass
// TestSchemaFollowsTenantRules.
func TestSchemaCheckCatchesViolations(t *testing.T) {
	d := freshPostgres(t)
	ctx := context.Background()
	for _, s := range []string{
		`CREATE SCHEMA scratch`,
		`CREATE TABLE scratch.tenants (id uuid PRIMARY KEY)`,
		`COMMENT ON TABLE scratch.tenants IS 'global: the marketplaces'`,
		// A good tenant table.
		`CREATE TABLE scratch.good (tenant_id uuid NOT NULL REFERENCES scratch.tenants (id), id uuid NOT NULL, PRIMARY KEY (tenant_id, id))`,
		`ALTER TABLE scratch.good ENABLE ROW LEVEL SECURITY`,
		`ALTER TABLE scratch.good FORCE ROW LEVEL SECURITY`,
		`CREATE POLICY tenant_isolation ON scratch.good USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)`,
		// Primary key (id); no row-level security at all.
		`CREATE TABLE scratch.bad_pk (id uuid PRIMARY KEY, tenant_id uuid NOT NULL)`,
		// Foreign key without tenant_id; security enabled but not forced,
		// and a policy that is not about the tenant.
		`CREATE TABLE scratch.bad_fk (tenant_id uuid NOT NULL, id uuid NOT NULL, good_id uuid, PRIMARY KEY (tenant_id, id),
		   FOREIGN KEY (good_id, tenant_id) REFERENCES scratch.good (id, tenant_id))`,
		`ALTER TABLE scratch.bad_fk ENABLE ROW LEVEL SECURITY`,
		`CREATE POLICY everyone ON scratch.bad_fk USING (true)`,
		// No tenant_id, and not declared global; a global one with no reason.
		`CREATE TABLE scratch.undeclared (id uuid PRIMARY KEY)`,
		`CREATE TABLE scratch.lazy_global (id uuid PRIMARY KEY)`,
		`COMMENT ON TABLE scratch.lazy_global IS 'global:'`,
	} {
		if _, err := d.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	vs, err := schemaViolations(ctx, d.DB.DB, "scratch")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, v.Table+": "+v.Rule)
	}
	want := []string{
		"bad_fk: " + ruleFK,
		"bad_fk: " + ruleForceRLS,
		"bad_fk: " + rulePolicy,
		"bad_pk: " + rulePK,
		"bad_pk: " + ruleRLS,
		"bad_pk: " + ruleForceRLS,
		"bad_pk: " + rulePolicy,
		"lazy_global: " + ruleGlobalWhy,
		"undeclared: " + ruleUndeclared,
		"undeclared: " + rulePK,
		"undeclared: " + ruleRLS,
		"undeclared: " + ruleForceRLS,
		"undeclared: " + rulePolicy,
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("violations of the scratch schema:\n got  %s\n want %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
}

// TestMigrateTwiceAppliesNothing migrates an empty database twice on each
// dialect: the first run applies every migration, the second none.
func TestMigrateTwiceAppliesNothing(t *testing.T) {
	for _, c := range []struct {
		name    string
		dialect db.Dialect
		open    func(t *testing.T) *db.DB
	}{
		{"sqlite", db.SQLite, freshSQLite},
		{"postgres", db.Postgres, freshPostgres},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := c.open(t)
			ctx := context.Background()
			ms, err := db.Migrations(c.dialect)
			if err != nil {
				t.Fatal(err)
			}
			first, err := d.Migrate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(first) == 0 || len(first) != len(ms.Sorted()) {
				t.Fatalf("first run applied %v of %d migrations", first, len(ms.Sorted()))
			}
			again, err := d.Migrate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(again) != 0 {
				t.Fatalf("second run applied %v", again)
			}
		})
	}
}

// TestDialectsDeclareTheSameTables compares the two migration histories:
// every table and column of one exists in the other.
func TestDialectsDeclareTheSameTables(t *testing.T) {
	ctx := context.Background()
	pg := freshPostgres(t)
	lite := freshSQLite(t)
	for _, d := range []*db.DB{pg, lite} {
		if _, err := d.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	columns := func(d *db.DB, query string) map[string]bool {
		rows, err := d.DB.DB.QueryContext(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]bool{}
		for rows.Next() {
			var tbl, col string
			if err := rows.Scan(&tbl, &col); err != nil {
				t.Fatal(err)
			}
			out[tbl+"."+col] = true
		}
		return out
	}
	p := columns(pg, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = 'public' AND table_name NOT LIKE 'bun\_%'`)
	s := columns(lite, `SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c
		WHERE m.type = 'table' AND m.name NOT LIKE 'bun\_%' ESCAPE '\' AND m.name NOT LIKE 'sqlite\_%' ESCAPE '\'`)
	for k := range p {
		if !s[k] {
			t.Errorf("%s: in the PostgreSQL migrations, missing from the SQLite twin", k)
		}
	}
	for k := range s {
		if !p[k] {
			t.Errorf("%s: in the SQLite migrations, missing from the PostgreSQL ones", k)
		}
	}
}

// TestRowLevelSecurityIsolatesTenants works as the application role, which
// cannot bypass row-level security: a tenant's transaction sees and writes
// its own rows only, whatever the SQL says.
func TestRowLevelSecurityIsolatesTenants(t *testing.T) {
	d := dbtest.Postgres(t)
	ctx := context.Background()
	p := &tenants.Provisioner{}
	newTenant := func() *tenants.Tenant {
		tn, err := p.Create(ctx, d, tenants.CreateInput{Slug: "rls-" + tenants.NewID()[24:], Name: "隔离测试"})
		if err != nil {
			t.Fatal(err)
		}
		return tn
	}
	a, b := newTenant(), newTenant()
	ctxA, ctxB := tenants.WithTenant(ctx, a), tenants.WithTenant(ctx, b)
	err := d.RunInTx(ctxA, func(ctx context.Context, tx bun.IDB) error {
		_, err := tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "changsha", Name: "长沙市"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	count := func(ctx context.Context) int {
		t.Helper()
		var n int
		err := d.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			return tx.QueryRowContext(ctx, "SELECT count(*) FROM regions").Scan(&n)
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(ctxA); n != 1 {
		t.Fatalf("regions: tenant A sees %d of its own rows, want 1", n)
	}
	if n := count(ctxB); n != 0 {
		t.Fatalf("regions: tenant B sees %d rows of tenant A through an unfiltered SELECT, want 0", n)
	}
	if n := count(ctx); n != 0 {
		t.Fatalf("regions: a transaction bound to no tenant sees %d rows, want 0", n)
	}

	err = d.RunInTx(ctxB, func(ctx context.Context, tx bun.IDB) error {
		res, err := tx.ExecContext(ctx, "UPDATE regions SET name = 'hijacked'")
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 0 {
			t.Errorf("regions: tenant B updated %d rows of tenant A", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = d.RunInTx(ctxB, func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO regions (tenant_id, id, code, name, level, created_at)
			VALUES (?, ?, 'planted', '植入', 'city', ?)`, a.ID, tenants.NewID(), time.Now().UTC())
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "row-level security") {
		t.Fatalf("regions: inserting a row of tenant A inside tenant B's transaction: got %v, want a row-level security violation", err)
	}
	if n := count(ctxA); n != 1 {
		t.Fatalf("regions: tenant A now has %d rows, want 1", n)
	}
}

// TestBypassesRLS: the tests' serving role is subject to row-level
// security; the superuser that migrates is not; SQLite has none.
func TestBypassesRLS(t *testing.T) {
	ctx := context.Background()
	if b, err := dbtest.SQLite(t).BypassesRLS(ctx); err != nil || b {
		t.Errorf("SQLite BypassesRLS = %v, %v", b, err)
	}
	d := dbtest.Postgres(t)
	if b, err := d.BypassesRLS(ctx); err != nil || b {
		t.Errorf("%s BypassesRLS = %v, %v; want false", dbtest.AppRole, b, err)
	}
	super, err := db.Open(ctx, dbtest.PostgresURL(t), "")
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close()
	if b, err := super.BypassesRLS(ctx); err != nil || !b {
		t.Errorf("superuser BypassesRLS = %v, %v; want true", b, err)
	}
}
