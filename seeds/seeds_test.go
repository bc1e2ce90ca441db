package seeds_test

import (
	"context"
	"os"
	"testing"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/seeds"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func TestLoad(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		a, err := app.NewWithDB(ctx, app.Config{FastHashing: true, DataDir: t.TempDir()}, d)
		if err != nil {
			t.Fatal(err)
		}
		if need, err := seeds.Needed(ctx, a); err != nil || !need {
			t.Fatalf("Needed on an empty database = %v, %v; want true", need, err)
		}
		if l := seeds.Logins(a); l != nil {
			t.Fatalf("Logins before seeding = %v; want none", l)
		}
		logins, err := seeds.Load(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if need, err := seeds.Needed(ctx, a); err != nil || need {
			t.Fatalf("Needed after seeding = %v, %v; want false", need, err)
		}

		// Every printed login signs in with the printed password, in its
		// own marketplace and not in the other.
		roles := map[string]bool{}
		for _, l := range logins {
			roles[l.Role] = true
			if l.Role == "platform_admin" {
				if _, err := a.Identity.PlatformLogin(ctx, l.Login, l.Password); err != nil {
					t.Errorf("platform admin %s: %v", l.Login, err)
				}
				continue
			}
			for _, slug := range []string{"changsha-coop", "zhuzhou-coop"} {
				tn, err := tenants.BySlug(ctx, d.DB, slug)
				if err != nil {
					t.Fatal(err)
				}
				_, _, err = a.Identity.Login(tenants.WithTenant(ctx, tn), l.Login, l.Password)
				if own := slug == l.Tenant; own != (err == nil) {
					t.Errorf("%s (%s) signing in to %s: %v", l.Login, l.Role, slug, err)
				}
			}
		}
		for _, r := range []string{"platform_admin", "tenant_admin", "region_manager", "merchant_owner", "merchant_staff", "pickup_operator", "shopper"} {
			if !roles[r] {
				t.Errorf("no demo login for %s", r)
			}
		}

		cs, err := tenants.BySlug(ctx, d.DB, "changsha-coop")
		if err != nil {
			t.Fatal(err)
		}
		if cs.Name != "网上供销社·长沙" || cs.TimeZone != "Asia/Shanghai" || cs.Currency != "CNY" {
			t.Errorf("changsha-coop = %+v", cs)
		}
		cctx := tenants.WithTenant(ctx, cs)
		var regions []*tenants.Region
		var cats []*catalog.Category
		err = d.RunInReadTx(cctx, func(ctx context.Context, tx bun.IDB) error {
			if regions, err = tenants.Regions(ctx, tx); err != nil {
				return err
			}
			cats, err = catalog.Tree(ctx, tx)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		tree := regions
		if len(tree) != 1 || tree[0].Name != "长沙市" || len(tree[0].Children) != 6 {
			t.Fatalf("changsha-coop regions: %d roots, want 长沙市 with 6 districts", len(tree))
		}
		if len(cats) != len(catalog.DefaultTree) || cats[0].Name != "生鲜食材" || len(cats[0].Children) == 0 {
			t.Errorf("changsha-coop categories: %d roots, want the default tree", len(cats))
		}

		shops, err := a.Merchants.Shops(cctx, merchant.ShopFilter{})
		if err != nil {
			t.Fatal(err)
		}
		slugs := map[string]*merchant.Shop{}
		for _, s := range shops {
			slugs[s.Slug] = s
		}
		for _, want := range []string{merchant.FlagshipSlug, "yuelu-veg", "wangcheng-rice", "xiangguo-fruit", "xiangcha-honey"} {
			if s := slugs[want]; s == nil || s.Status != merchant.ShopActive {
				t.Errorf("changsha-coop shop %s missing or not active", want)
			}
		}
		if slugs["yanling-peach"] != nil || slugs["tianxin-mushroom"] != nil {
			t.Error("changsha-coop lists another marketplace's shop or a pending application")
		}
		if s := slugs["yuelu-veg"]; s != nil && (s.Description == "" || s.ThemeColor != "#2e7d32") {
			t.Errorf("yuelu-veg profile not filled in: %+v", s)
		}

		// The tenant admin sees the pending application and may review it;
		// the region manager of 岳麓区 may not review one in 天心区.
		admin := principalOf(t, a, cctx, "admin@changsha-coop.local")
		pending, err := a.Merchants.Applications(cctx, admin, merchant.ApplicationFilter{Status: merchant.ApplicationSubmitted})
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) != 1 || pending[0].Slug != "tianxin-mushroom" {
			t.Fatalf("pending applications = %d, want tianxin-mushroom", len(pending))
		}
		yuelu := principalOf(t, a, cctx, "yuelu@changsha-coop.local")
		if a.Authz.Allowed(cctx, yuelu, authz.RegionDomain(cs.ID, pending[0].RegionID), merchant.PermReview) {
			t.Error("岳麓区 manager may review a 天心区 application")
		}
		if !a.Authz.Allowed(cctx, admin, authz.RegionDomain(cs.ID, pending[0].RegionID), merchant.PermReview) {
			t.Error("tenant admin may not review the pending application")
		}
		// The approval journey of the demo works on the seeded data.
		if _, err := a.Merchants.Approve(cctx, admin, pending[0].ID); err != nil {
			t.Fatalf("approve the pending application: %v", err)
		}
		staff := principalOf(t, a, cctx, "veg-staff@changsha-coop.local")
		if mine, err := a.Merchants.MyShops(cctx, staff); err != nil || len(mine) != 1 || mine[0].Slug != "yuelu-veg" {
			t.Errorf("staff's shops = %v, %v; want yuelu-veg", mine, err)
		}

		// Loading twice refuses: the slugs are taken, nothing is doubled.
		if _, err := seeds.Load(ctx, a); err == nil {
			t.Error("a second Load succeeded")
		}
		ts, err := tenants.List(ctx, d.DB)
		if err != nil || len(ts) != 2 {
			t.Errorf("tenants after a second Load = %d, %v; want 2", len(ts), err)
		}
	})
}

func principalOf(t *testing.T, a *app.App, ctx context.Context, login string) *identity.Principal {
	t.Helper()
	var u *identity.User
	err := a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		u, err = a.Identity.UserByLogin(ctx, tx, login)
		return err
	})
	if err != nil {
		t.Fatalf("user %s: %v", login, err)
	}
	return &identity.Principal{Kind: identity.KindTenant, UserID: u.ID, TenantID: tenants.ID(ctx), Name: u.Name}
}
