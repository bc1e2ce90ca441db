package tenants_test

import (
	"context"
	"os"
	"testing"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func TestProvisionAndResolve(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		p := &tenants.Provisioner{BaseDomain: "localhost"}
		slug := "ts-" + tenants.NewID()[24:]
		tn, err := p.Create(ctx, d, tenants.CreateInput{Slug: slug, Name: "测试", Domains: []string{"Shop.Example.COM"}})
		if err != nil {
			t.Fatal(err)
		}
		if tn.TimeZone != "Asia/Shanghai" || tn.Currency != "CNY" || tn.Settings.MinProductsForOwnShop != 10 {
			t.Fatalf("defaults not applied: %+v", tn)
		}
		// width- and case-insensitive duplicate
		_, err = p.Create(ctx, d, tenants.CreateInput{Slug: toFullWidth(slug), Name: "dup"})
		if ce := core.ErrorCode(err); ce != core.Invalid {
			t.Fatalf("duplicate slug: got %v", err)
		}
		r := &tenants.Resolver{DB: d.DB, PlatformHosts: []string{"localhost"}}
		for _, c := range []struct{ host, path, shop, rel string }{
			{"localhost:8080", "/t/" + slug + "/api/v1/regions", "", "/api/v1/regions"},
			{"localhost", "/t/" + slug + "/s/veg/", "veg", "/s/veg/"},
			{slug + ".localhost:8080", "/x", "", "/x"},
			{"veg." + slug + ".localhost", "/p", "veg", "/s/veg/p"},
			{"shop.example.com", "/", "", "/"},
		} {
			res, err := r.Resolve(ctx, c.host, c.path)
			if err != nil {
				t.Fatalf("%s%s: %v", c.host, c.path, err)
			}
			if res.Tenant == nil || res.Tenant.ID != tn.ID || res.Shop != c.shop || res.Path != c.rel {
				t.Fatalf("%s%s: got %+v", c.host, c.path, res)
			}
		}
		if _, err := r.Resolve(ctx, "nosuch.example.org", "/"); !core.IsNotFound(err) {
			t.Fatalf("unknown host: %v", err)
		}
		if _, err := r.Resolve(ctx, "localhost", "/t/nosuch/"); !core.IsNotFound(err) {
			t.Fatalf("unknown slug: %v", err)
		}
		// regions in the tenant's transaction
		tctx := tenants.WithTenant(ctx, tn)
		err = d.RunInTx(tctx, func(ctx context.Context, tx bun.IDB) error {
			city, err := tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "changsha", Name: "长沙市"})
			if err != nil {
				return err
			}
			_, err = tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "yuelu", Name: "岳麓区", ParentID: city.ID})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var tree []*tenants.Region
		_ = d.RunInReadTx(tctx, func(ctx context.Context, tx bun.IDB) error {
			tree, err = tenants.Regions(ctx, tx)
			return err
		})
		if err != nil || len(tree) != 1 || len(tree[0].Children) != 1 || tree[0].Children[0].Name != "岳麓区" {
			t.Fatalf("region tree: %v %+v", err, tree)
		}
	})
}

func toFullWidth(s string) string {
	var out []rune
	for _, r := range s {
		if r >= '!' && r <= '~' {
			r += 0xFEE0
		}
		out = append(out, r)
	}
	return string(out)
}
