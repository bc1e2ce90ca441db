package authz_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/casbin/casbin/v2/model"
	defaultrolemanager "github.com/casbin/casbin/v2/rbac/default-role-manager"
	"github.com/uptrace/bun"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/tenants"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// fixture is one tenant with an enforcer over its database.
type fixture struct {
	t  testing.TB
	d  *db.DB
	e  *authz.Enforcer
	tn *tenants.Tenant
}

func newFixture(t testing.TB, d *db.DB) *fixture {
	t.Helper()
	e, err := authz.New(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, d: d, e: e, tn: newTenant(t, d)}
}

func newTenant(t testing.TB, d *db.DB) *tenants.Tenant {
	t.Helper()
	p := &tenants.Provisioner{}
	tn, err := p.Create(context.Background(), d, tenants.CreateInput{Slug: "az-" + tenants.NewID()[24:], Name: "权限测试"})
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

// ctx returns a context carrying tenant tn.
func ctxOf(tn *tenants.Tenant) context.Context {
	return tenants.WithTenant(context.Background(), tn)
}

// addUser inserts a user of tn directly (the identity service is not
// needed to test authorisation) and returns its principal.
func addUser(t testing.TB, d *db.DB, tn *tenants.Tenant) *identity.Principal {
	t.Helper()
	id := tenants.NewID()
	now := time.Now().UTC()
	err := d.RunInTx(ctxOf(tn), func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (tenant_id, id, email, name, password_hash, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'active', ?, ?)`, tn.ID, id, id+"@example.com", "测试用户", "x", now, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return &identity.Principal{Kind: identity.KindTenant, UserID: id, TenantID: tn.ID, Name: "测试用户"}
}

func (f *fixture) user() *identity.Principal { return addUser(f.t, f.d, f.tn) }

func (f *fixture) assign(p *identity.Principal, role, domain string) {
	f.t.Helper()
	err := f.d.RunInTx(ctxOf(f.tn), func(ctx context.Context, tx bun.IDB) error {
		return f.e.Assign(ctx, tx, p.UserID, role, domain)
	})
	if err != nil {
		f.t.Fatalf("assign %s in %s: %v", role, domain, err)
	}
}

func (f *fixture) unassign(p *identity.Principal, role, domain string) {
	f.t.Helper()
	err := f.d.RunInTx(ctxOf(f.tn), func(ctx context.Context, tx bun.IDB) error {
		return f.e.Unassign(ctx, tx, p.UserID, role, domain)
	})
	if err != nil {
		f.t.Fatalf("unassign %s in %s: %v", role, domain, err)
	}
}

// check is one expected decision.
type check struct {
	domain, perm string
	allow        bool
}

func expect(t testing.TB, e *authz.Enforcer, p *identity.Principal, cs []check) {
	t.Helper()
	for _, c := range cs {
		err := e.Check(context.Background(), p, c.domain, c.perm)
		if c.allow && err != nil {
			t.Errorf("%s %s in %s: want allowed, got %v", p.Subject(), c.perm, c.domain, err)
		}
		if !c.allow && core.ErrorCode(err) != core.Forbidden {
			t.Errorf("%s %s in %s: want forbidden, got %v", p.Subject(), c.perm, c.domain, err)
		}
		if got := e.Allowed(context.Background(), p, c.domain, c.perm); got != c.allow {
			t.Errorf("Allowed(%s %s in %s) = %v", p.Subject(), c.perm, c.domain, got)
		}
	}
}

func TestRoleTemplates(t *testing.T) {
	want := map[string][]string{
		authz.PlatformAdmin: {"*:*", "tenant:create", "tenant:list"},
		authz.TenantAdmin: {"application:list", "application:review", "audit:read", "customer:manage", "fulfil:manage", "ledger:read",
			"order:manage", "order:refund", "pickup:manage", "pickup:view", "price:manage", "product:manage", "promo:manage", "promo:platform",
			"region:manage", "role:assign", "shop:list", "shop:manage", "shop:profile", "shop:staff", "shop:view", "staff:manage", "stock:manage", "tenant:settings"},
		authz.RegionManager: {"application:list", "application:review", "shop:list", "shop:manage", "shop:view"},
		authz.MerchantOwner: {"fulfil:manage", "ledger:read", "order:manage", "order:refund", "price:manage", "product:manage", "promo:manage",
			"shop:profile", "shop:staff", "shop:view", "stock:manage"},
		authz.MerchantStaff:  {"order:manage", "product:manage", "shop:view", "stock:manage"},
		authz.PickupOperator: {"pickup:handover", "pickup:view"},
		authz.Shopper:        {"account:self", "application:apply"},
	}
	if got := authz.Roles(); len(got) != len(want) {
		t.Fatalf("Roles() = %v, want the %d templates", got, len(want))
	}
	for _, role := range authz.Roles() {
		if got := authz.RolePermissions(role); !slices.Equal(got, want[role]) {
			t.Errorf("%s grants %v, want %v", role, got, want[role])
		}
	}
}

func TestKnownAndPermissions(t *testing.T) {
	perms := authz.Permissions()
	if !slices.IsSorted(perms) {
		t.Errorf("Permissions() not sorted: %v", perms)
	}
	for _, p := range []string{"shop:view", "application:apply", "pickup:handover", "tenant:list", "tenant:create", "audit:read", "account:self"} {
		if !authz.Known(p) || !slices.Contains(perms, p) {
			t.Errorf("%s: want known and listed", p)
		}
	}
	for _, p := range []string{"shop:fly", "shop", "*:*", "shop:*", "", ":view", "signed_in"} {
		if authz.Known(p) {
			t.Errorf("%q: want unknown", p)
		}
	}
	if slices.Contains(perms, "*:*") {
		t.Errorf("Permissions() lists the wildcard")
	}
	if len(perms) != 29 {
		t.Errorf("Permissions() = %d permissions %v, want 29", len(perms), perms)
	}
}

func TestCovers(t *testing.T) {
	for _, c := range []struct {
		req, pattern string
		want         bool
	}{
		{"t/T", "t/T", true},
		{"t/T/r/R", "t/T", true},
		{"t/T/r/R/s/S", "t/T", true},
		{"t/T/r/R/s/S", "t/T/r/R", true},
		{"t/T/r/R/s/S", "t/T/s/S", true}, // shop assignments ignore the region
		{"t/T/r/R2/s/S", "t/T/s/S", true},
		{"t/T/s/S", "t/T/r/R/s/S", false}, // the argument order matters
		{"t/T", "t/T/r/R", false},
		{"t/T/r/R2", "t/T/r/R", false},
		{"t/T/r/R/s/S2", "t/T/s/S", false},
		{"t/T2", "t/T", false},
		{"t/TT", "t/T", false},
		{"t/T", "t/TT", false},
		{"t/T2/r/R/s/S", "t/T/s/S", false},
		{"platform", "t/T", false},
		{"t/T", "platform", false},
		{"platform", "platform", true},
		{"anything", "*", true},
		{"t/T", "", false},
	} {
		if got := authz.Covers(c.req, c.pattern); got != c.want {
			t.Errorf("Covers(%q, %q) = %v, want %v", c.req, c.pattern, got, c.want)
		}
	}
}

// TestCoversInCasbinDomainManager registers Covers with casbin's own
// domain manager, which calls the matching function as fn(request domain,
// stored domain): the shop owner's "t/T/s/S" must hold in the request
// domain "t/T/r/R/s/S" and not the other way round.
func TestCoversInCasbinDomainManager(t *testing.T) {
	rm := defaultrolemanager.NewRoleManager(10)
	rm.AddDomainMatchingFunc("covers", authz.Covers)
	_ = rm.AddLink("user:owner", authz.MerchantOwner, "t/T/s/S")
	_ = rm.AddLink("user:admin", authz.TenantAdmin, "t/T")
	_ = rm.AddLink("user:full", authz.MerchantStaff, "t/T/r/R/s/S")
	for _, c := range []struct {
		user, role, domain string
		want               bool
	}{
		{"user:owner", authz.MerchantOwner, "t/T/r/R/s/S", true},
		{"user:owner", authz.MerchantOwner, "t/T/r/R2/s/S", true},
		{"user:owner", authz.MerchantOwner, "t/T/r/R/s/S2", false},
		{"user:admin", authz.TenantAdmin, "t/T/r/R/s/S", true},
		{"user:admin", authz.TenantAdmin, "t/T2/r/R/s/S", false},
		{"user:full", authz.MerchantStaff, "t/T/s/S", false},
	} {
		if got, _ := rm.HasLink(c.user, c.role, c.domain); got != c.want {
			t.Errorf("%s %s in %s: casbin says %v, want %v", c.user, c.role, c.domain, got, c.want)
		}
	}
}

func TestTenantAdmin(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		other := newTenant(t, d)
		admin := f.user()
		f.assign(admin, authz.TenantAdmin, authz.TenantDomain(f.tn.ID))
		T, O := f.tn.ID, other.ID
		expect(t, f.e, admin, []check{
			{authz.TenantDomain(T), "tenant:settings", true},
			{authz.TenantDomain(T), "role:assign", true},
			{authz.RegionDomain(T, "r1"), "application:review", true},
			{authz.ShopDomain(T, "r1", "s1"), "shop:profile", true},
			{authz.ShopDomain(T, "r1", "s1"), "pickup:handover", false}, // not a tenant admin's
			{authz.TenantDomain(T), "tenant:create", false},             // platform only
			{authz.TenantDomain(O), "tenant:settings", false},
			{authz.RegionDomain(O, "r1"), "application:review", false},
			{authz.ShopDomain(O, "r1", "s1"), "shop:view", false},
			{"platform", "tenant:list", false},
			{"*", "shop:view", false},
			{"t/" + T + "/x/y", "shop:view", false}, // malformed
		})
		// A stored assignment that names another tenant's domain can never
		// come to be: Assign refuses it.
		err := d.RunInTx(ctxOf(f.tn), func(ctx context.Context, tx bun.IDB) error {
			return f.e.Assign(ctx, tx, admin.UserID, authz.TenantAdmin, authz.TenantDomain(O))
		})
		if core.ErrorCode(err) != core.Invalid {
			t.Fatalf("assign in another tenant's domain: %v", err)
		}
	})
}

func TestRegionManager(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		T := f.tn.ID
		rm := f.user()
		f.assign(rm, authz.RegionManager, authz.RegionDomain(T, "east"))
		expect(t, f.e, rm, []check{
			{authz.RegionDomain(T, "east"), "application:review", true},
			{authz.RegionDomain(T, "east"), "application:list", true},
			{authz.ShopDomain(T, "east", "s1"), "shop:manage", true},
			{authz.ShopDomain(T, "east", "s1"), "shop:profile", false},
			{authz.RegionDomain(T, "west"), "application:review", false},
			{authz.ShopDomain(T, "west", "s2"), "shop:view", false},
			{authz.TenantDomain(T), "application:review", false}, // the region does not cover the tenant
			{authz.TenantDomain(T), "tenant:settings", false},
			{authz.RegionDomain(T, "east"), "region:manage", false},
			{authz.RegionDomain(T, "east"), "role:assign", false},
		})
	})
}

func TestMerchantOwnerAndStaff(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		T := f.tn.ID
		owner, staff := f.user(), f.user()
		f.assign(owner, authz.MerchantOwner, authz.ShopDomain(T, "", "s1"))
		f.assign(staff, authz.MerchantStaff, authz.ShopDomain(T, "", "s1"))
		expect(t, f.e, owner, []check{
			{authz.ShopDomain(T, "east", "s1"), "shop:profile", true},
			{authz.ShopDomain(T, "east", "s1"), "shop:staff", true},
			{authz.ShopDomain(T, "west", "s1"), "shop:profile", true}, // the shop moved region
			{authz.ShopDomain(T, "east", "s2"), "shop:view", false},
			{authz.RegionDomain(T, "east"), "shop:view", false},
			{authz.TenantDomain(T), "shop:view", false},
			{authz.ShopDomain(T, "east", "s1"), "shop:manage", false},
		})
		expect(t, f.e, staff, []check{
			{authz.ShopDomain(T, "east", "s1"), "shop:view", true},
			{authz.ShopDomain(T, "east", "s1"), "shop:profile", false},
			{authz.ShopDomain(T, "east", "s1"), "shop:staff", false},
			{authz.ShopDomain(T, "east", "s2"), "shop:view", false},
		})
		roles, err := f.e.RolesOf(context.Background(), owner, authz.ShopDomain(T, "east", "s1"))
		if err != nil || !slices.Equal(roles, []string{authz.MerchantOwner, authz.Shopper}) {
			t.Fatalf("RolesOf owner in shop = %v, %v", roles, err)
		}
		roles, err = f.e.RolesOf(context.Background(), owner, authz.ShopDomain(T, "east", "s2"))
		if err != nil || !slices.Equal(roles, []string{authz.Shopper}) {
			t.Fatalf("RolesOf owner in another shop = %v, %v", roles, err)
		}
	})
}

func TestImplicitRoles(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		other := newTenant(t, d)
		T, O := f.tn.ID, other.ID
		shopper := f.user()
		expect(t, f.e, shopper, []check{
			{authz.TenantDomain(T), "application:apply", true},
			{authz.TenantDomain(T), "account:self", true},
			{authz.ShopDomain(T, "r", "s"), "account:self", true},
			{authz.TenantDomain(T), "shop:view", false},
			{authz.TenantDomain(O), "account:self", false},
			{authz.TenantDomain(O), "application:apply", false},
			{"platform", "account:self", false},
		})
		// Another tenant's user holding tenant_admin at home gets nothing here.
		stranger := addUser(t, d, other)
		err := d.RunInTx(ctxOf(other), func(ctx context.Context, tx bun.IDB) error {
			return f.e.Assign(ctx, tx, stranger.UserID, authz.TenantAdmin, authz.TenantDomain(O))
		})
		if err != nil {
			t.Fatal(err)
		}
		expect(t, f.e, stranger, []check{
			{authz.TenantDomain(O), "tenant:settings", true},
			{authz.TenantDomain(T), "tenant:settings", false},
			{authz.ShopDomain(T, "r", "s"), "shop:view", false},
		})
		// A principal claiming another tenant's id is judged by its claim:
		// it never reaches T's assignments.
		forged := *stranger
		forged.TenantID = T
		expect(t, f.e, &forged, []check{{authz.TenantDomain(T), "tenant:settings", false}})

		platform := &identity.Principal{Kind: identity.KindPlatform, UserID: tenants.NewID()}
		expect(t, f.e, platform, []check{
			{"platform", "tenant:create", true},
			{"platform", "tenant:list", true},
			{authz.TenantDomain(T), "tenant:settings", true},
			{authz.ShopDomain(O, "r", "s"), "shop:profile", true},
			{authz.TenantDomain(T), "anything:at_all", true},
			{authz.TenantDomain(T), "not-a-permission", false},
		})
		roles, err := f.e.RolesOf(context.Background(), platform, authz.TenantDomain(T))
		if err != nil || !slices.Equal(roles, []string{authz.PlatformAdmin}) {
			t.Fatalf("RolesOf platform = %v, %v", roles, err)
		}
		roles, err = f.e.RolesOf(context.Background(), shopper, authz.TenantDomain(O))
		if err != nil || len(roles) != 0 {
			t.Fatalf("RolesOf in another tenant = %v, %v", roles, err)
		}
		if err := f.e.Check(context.Background(), nil, authz.TenantDomain(T), "account:self"); core.ErrorCode(err) != core.Unauthenticated {
			t.Fatalf("nil principal: %v", err)
		}
	})
}

func TestRolledBackAssignmentGrantsNothing(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		T := f.tn.ID
		u := f.user()
		dom := authz.TenantDomain(T)
		expect(t, f.e, u, []check{{dom, "tenant:settings", false}}) // loads the tenant
		boom := errors.New("approval failed later")
		err := d.RunInTx(ctxOf(f.tn), func(ctx context.Context, tx bun.IDB) error {
			if err := f.e.Assign(ctx, tx, u.UserID, authz.TenantAdmin, dom); err != nil {
				return err
			}
			// Inside the transaction, before commit, nothing is granted yet.
			if f.e.Allowed(ctx, u, dom, "tenant:settings") {
				t.Error("granted before commit")
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		expect(t, f.e, u, []check{{dom, "tenant:settings", false}})
		// A fresh enforcer (another instance, or a restart) sees no row either.
		e2, err := authz.New(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		expect(t, e2, u, []check{{dom, "tenant:settings", false}})

		// Committed, the same assignment applies at once on this instance.
		f.assign(u, authz.TenantAdmin, dom)
		expect(t, f.e, u, []check{{dom, "tenant:settings", true}})
	})
}

func TestUnassignAndListing(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		T := f.tn.ID
		u, v := f.user(), f.user()
		tdom, rdom := authz.TenantDomain(T), authz.RegionDomain(T, "east")
		f.assign(u, authz.TenantAdmin, tdom)
		f.assign(u, authz.TenantAdmin, tdom) // again: no-op
		f.assign(u, authz.TenantAdmin, rdom)
		f.assign(u, authz.RegionManager, rdom)
		f.assign(v, authz.RegionManager, rdom)
		expect(t, f.e, u, []check{{tdom, "tenant:settings", true}, {rdom, "tenant:settings", true}})

		var as []authz.Assignment
		var users []string
		err := d.RunInReadTx(ctxOf(f.tn), func(ctx context.Context, tx bun.IDB) (err error) {
			if as, err = f.e.Assignments(ctx, tx, u.UserID); err != nil {
				return err
			}
			users, err = f.e.UsersWithRole(ctx, tx, authz.RegionManager, authz.ShopDomain(T, "east", "s1"))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(as) != 3 || as[0].Domain != tdom || as[1].Domain != rdom || as[1].Role != authz.RegionManager {
			t.Fatalf("assignments: %+v", as)
		}
		want := []string{u.UserID, v.UserID}
		slices.Sort(want)
		if !slices.Equal(users, want) {
			t.Fatalf("UsersWithRole = %v, want %v", users, want)
		}

		// Withdrawing the tenant-wide role keeps the one held in the region.
		f.unassign(u, authz.TenantAdmin, tdom)
		expect(t, f.e, u, []check{
			{tdom, "tenant:settings", false},
			{rdom, "tenant:settings", true},
			{authz.ShopDomain(T, "east", "s1"), "shop:staff", true},
			{authz.RegionDomain(T, "west"), "shop:staff", false},
		})
		f.unassign(u, authz.TenantAdmin, rdom)
		f.unassign(u, authz.TenantAdmin, rdom) // again: no-op
		expect(t, f.e, u, []check{{rdom, "tenant:settings", false}, {rdom, "application:review", true}})

		// A fresh enforcer agrees with the incremental one.
		e2, err := authz.New(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		expect(t, e2, u, []check{{tdom, "tenant:settings", false}, {rdom, "tenant:settings", false}, {rdom, "application:review", true}})
	})
}

func TestAssignValidation(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		other := newTenant(t, d)
		T := f.tn.ID
		u := f.user()
		stranger := addUser(t, d, other)
		for _, c := range []struct {
			name               string
			user, role, domain string
			code               core.Code
		}{
			{"unknown role", u.UserID, "wizard", authz.TenantDomain(T), core.Invalid},
			{"implicit shopper", u.UserID, authz.Shopper, authz.TenantDomain(T), core.Invalid},
			{"platform admin", u.UserID, authz.PlatformAdmin, authz.TenantDomain(T), core.Invalid},
			{"platform domain", u.UserID, authz.TenantAdmin, "platform", core.Invalid},
			{"wildcard domain", u.UserID, authz.TenantAdmin, "*", core.Invalid},
			{"other tenant's domain", u.UserID, authz.TenantAdmin, authz.TenantDomain(other.ID), core.Invalid},
			{"malformed domain", u.UserID, authz.TenantAdmin, "t/" + T + "/q/1", core.Invalid},
			{"unknown user", tenants.NewID(), authz.TenantAdmin, authz.TenantDomain(T), core.NotFound},
			{"not a uuid", "bob", authz.TenantAdmin, authz.TenantDomain(T), core.NotFound},
			{"other tenant's user", stranger.UserID, authz.TenantAdmin, authz.TenantDomain(T), core.NotFound},
		} {
			err := d.RunInTx(ctxOf(f.tn), func(ctx context.Context, tx bun.IDB) error {
				return f.e.Assign(ctx, tx, c.user, c.role, c.domain)
			})
			if got := core.ErrorCode(err); got != c.code {
				t.Errorf("%s: got %v, want %s", c.name, err, c.code)
			}
		}
		err := d.RunInReadTx(ctxOf(f.tn), func(ctx context.Context, tx bun.IDB) error {
			n, err := tx.NewSelect().Table("role_assignments").Where("tenant_id = ?", T).Count(ctx)
			if n != 0 {
				t.Errorf("bad input wrote %d assignments", n)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestOtherInstancesCatchUp(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		dom := authz.TenantDomain(f.tn.ID)
		u := f.user()
		e2, err := authz.New(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		authz.SetClock(e2, func() time.Time { return now })
		expect(t, e2, u, []check{{dom, "tenant:settings", false}}) // e2 loads the tenant
		f.assign(u, authz.TenantAdmin, dom)                        // through f.e
		expect(t, e2, u, []check{{dom, "tenant:settings", false}}) // e2 has not reloaded yet
		now = now.Add(authz.ReloadAfter + time.Second)
		expect(t, e2, u, []check{{dom, "tenant:settings", true}})

		f.unassign(u, authz.TenantAdmin, dom)
		expect(t, e2, u, []check{{dom, "tenant:settings", true}})
		if err := e2.Reload(context.Background(), f.tn.ID); err != nil {
			t.Fatal(err)
		}
		expect(t, e2, u, []check{{dom, "tenant:settings", false}})
	})
}

func TestProvisionAdmin(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e, err := authz.New(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		var admin *identity.Principal
		p := &tenants.Provisioner{}
		p.AddStep("first admin", func(ctx context.Context, tx bun.IDB, tn *tenants.Tenant, in tenants.CreateInput) error {
			id := tenants.NewID()
			now := time.Now().UTC()
			if _, err := tx.ExecContext(ctx, `INSERT INTO users (tenant_id, id, email, name, password_hash, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, tn.ID, id, "admin@example.com", "管理员", "x", now, now); err != nil {
				return err
			}
			admin = &identity.Principal{Kind: identity.KindTenant, UserID: id, TenantID: tn.ID}
			return e.ProvisionAdmin(ctx, tx, tn, id)
		})
		tn, err := p.Create(context.Background(), d, tenants.CreateInput{Slug: "az-" + tenants.NewID()[24:], Name: "开通"})
		if err != nil {
			t.Fatal(err)
		}
		expect(t, e, admin, []check{
			{authz.TenantDomain(tn.ID), "role:assign", true},
			{authz.ShopDomain(tn.ID, "r", "s"), "shop:staff", true},
		})
	})
}

func TestAdapter(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		u := f.user()
		dom := authz.RegionDomain(f.tn.ID, "east")
		a := authz.NewAdapter(d)
		if err := a.AddPolicy("g", "g", []string{u.Subject(), authz.RegionManager, dom}); err != nil {
			t.Fatal(err)
		}
		if err := a.AddPolicy("p", "p", []string{"shopper", "shop", "manage"}); err == nil {
			t.Fatal("adding a template at run time succeeded")
		}
		load := func(filter authz.Filter) (p, g [][]string) {
			t.Helper()
			m, err := model.NewModelFromString("[request_definition]\nr = sub, dom, obj, act\n[policy_definition]\np = sub, obj, act\n" +
				"[role_definition]\ng = _, _, _\n[policy_effect]\ne = some(where (p.eft == allow))\n[matchers]\nm = r.sub == p.sub\n")
			if err != nil {
				t.Fatal(err)
			}
			if err := a.LoadFilteredPolicy(m, filter); err != nil {
				t.Fatal(err)
			}
			if !a.IsFiltered() {
				t.Fatal("IsFiltered after a filtered load = false")
			}
			p, _ = m.GetPolicy("p", "p")
			g, _ = m.GetPolicy("g", "g")
			return p, g
		}
		templates := 0
		for _, r := range authz.Roles() {
			templates += len(authz.RolePermissions(r))
		}
		p, g := load(authz.Filter{TenantID: f.tn.ID})
		if len(p) != templates || len(g) != 1 || !slices.Equal(g[0], []string{u.Subject(), authz.RegionManager, dom}) {
			t.Fatalf("filtered load: %d templates, assignments %v", len(p), g)
		}
		if _, g := load(authz.Filter{TenantID: newTenant(t, d).ID}); len(g) != 0 {
			t.Fatalf("another tenant's load: %v", g)
		}
		expect(t, f.e, u, []check{{dom, "application:review", true}})
		if err := a.RemovePolicy("g", "g", []string{u.Subject(), authz.RegionManager, dom}); err != nil {
			t.Fatal(err)
		}
		if _, g := load(authz.Filter{TenantID: f.tn.ID}); len(g) != 0 {
			t.Fatalf("after RemovePolicy: %v", g)
		}
		if err := a.AddPolicy("g", "g", []string{u.Subject(), authz.RegionManager, dom}); err != nil {
			t.Fatal(err)
		}
		if err := a.RemoveFilteredPolicy("g", "g", 1, authz.RegionManager, dom); err != nil {
			t.Fatal(err)
		}
		if _, g := load(authz.Filter{TenantID: f.tn.ID}); len(g) != 0 {
			t.Fatalf("after RemoveFilteredPolicy: %v", g)
		}
	})
}

// TestConcurrentChecksAndChanges runs checks while assignments come and go
// (for the race detector), then checks the final state.
func TestConcurrentChecksAndChanges(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		T := f.tn.ID
		users := []*identity.Principal{f.user(), f.user(), f.user()}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					u := users[n%len(users)]
					_ = f.e.Check(context.Background(), u, authz.ShopDomain(T, "r", "s"), "shop:view")
					_, _ = f.e.RolesOf(context.Background(), u, authz.TenantDomain(T))
				}
			}()
		}
		for i := 0; i < 10; i++ {
			for _, u := range users {
				f.assign(u, authz.MerchantStaff, authz.ShopDomain(T, "", "s"))
			}
			for _, u := range users[1:] {
				f.unassign(u, authz.MerchantStaff, authz.ShopDomain(T, "", "s"))
			}
		}
		close(stop)
		wg.Wait()
		expect(t, f.e, users[0], []check{{authz.ShopDomain(T, "r", "s"), "shop:view", true}})
		expect(t, f.e, users[1], []check{{authz.ShopDomain(T, "r", "s"), "shop:view", false}})
		expect(t, f.e, users[2], []check{{authz.ShopDomain(T, "r", "s"), "shop:view", false}})
	})
}
