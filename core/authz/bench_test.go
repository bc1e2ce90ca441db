package authz_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/tenants"
)

// BenchmarkCheck measures Check on a loaded tenant. "warm" repeats
// decisions already cached; "uncached" asks about more distinct
// (user, shop) pairs than the decision cache holds, so every check goes
// through casbin, with shops owners in a tenant of the given size.
func BenchmarkCheck(b *testing.B) {
	d := dbtest.SQLite(b)
	f := newFixture(b, d)
	T := f.tn.ID
	admin, manager, owner, shopper := f.user(), f.user(), f.user(), f.user()
	f.assign(admin, authz.TenantAdmin, authz.TenantDomain(T))
	f.assign(manager, authz.RegionManager, authz.RegionDomain(T, "east"))
	f.assign(owner, authz.MerchantOwner, authz.ShopDomain(T, "", "s1"))
	platform := &identity.Principal{Kind: identity.KindPlatform, UserID: tenants.NewID()}
	shop := authz.ShopDomain(T, "east", "s1")
	for _, c := range []struct {
		name string
		p    *identity.Principal
		perm string
	}{
		{"warm/tenant_admin", admin, "shop:profile"},
		{"warm/region_manager", manager, "shop:manage"},
		{"warm/merchant_owner", owner, "shop:profile"},
		{"warm/denied", owner, "shop:manage"},
		{"warm/implicit_shopper", shopper, "account:self"},
		{"warm/platform", platform, "shop:manage"},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			_ = f.e.Check(ctx, c.p, shop, c.perm)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_ = f.e.Check(ctx, c.p, shop, c.perm)
				}
			})
		})
	}

	// A tenant with many shops, one owner each.
	const shops = 2000
	owners := make([]*identity.Principal, shops)
	now := time.Now().UTC()
	err := d.RunInTx(ctxOf(f.tn), func(ctx context.Context, tx bun.IDB) error {
		for i := range owners {
			id := tenants.NewID()
			owners[i] = &identity.Principal{Kind: identity.KindTenant, UserID: id, TenantID: T}
			if _, err := tx.ExecContext(ctx, `INSERT INTO users (tenant_id, id, email, name, password_hash, created_at, updated_at)
				VALUES (?, ?, ?, 'x', 'x', ?, ?)`, T, id, id+"@example.com", now, now); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO role_assignments (tenant_id, id, user_id, role, domain, created_at)
				VALUES (?, ?, ?, ?, ?, ?)`, T, tenants.NewID(), id, authz.MerchantOwner, authz.ShopDomain(T, "", fmt.Sprint("shop", i)), now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := f.e.Reload(context.Background(), T); err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("uncached/%d_shops", shops), func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			// 2000 owners × 7 shops: more distinct questions than the
			// cache keeps.
			o := owners[i%shops]
			_ = f.e.Check(ctx, o, authz.ShopDomain(T, "east", fmt.Sprint("shop", (i/shops)%7)), "shop:profile")
		}
	})
}
