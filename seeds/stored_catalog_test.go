package seeds_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/seeds"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// TestCatalogLoaded: after Load the demo products are in the database
// (at least 200 in changsha-coop), with 1–3 SKUs each, and the
// flagship's supplier items name the approved supplier. The PostgreSQL
// database is shared by the package and TestLoad (which runs first: this
// file sorts after seeds_test.go) needs it empty, so the demo data is
// loaded here only when it is not there yet.
func TestCatalogLoaded(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		a, err := app.NewWithDB(ctx, app.Config{FastHashing: true, DataDir: t.TempDir()}, d)
		if err != nil {
			t.Fatal(err)
		}
		if need, err := seeds.Needed(ctx, a); err != nil {
			t.Fatal(err)
		} else if need {
			if _, err := seeds.Load(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		for _, slug := range []string{"changsha-coop", "zhuzhou-coop"} {
			tn, err := tenants.BySlug(ctx, d.DB, slug)
			if err != nil {
				t.Fatal(err)
			}
			tctx := tenants.WithTenant(ctx, tn)
			var products, skus, supplied int64
			err = d.RunInReadTx(tctx, func(ctx context.Context, tx bun.IDB) (err error) {
				if products, err = tx.NewSelect().Table("products").Where("tenant_id = ?", tn.ID).Count(ctx); err != nil {
					return err
				}
				if supplied, err = tx.NewSelect().Table("products").Where("tenant_id = ? AND supplier_id IS NOT NULL", tn.ID).Count(ctx); err != nil {
					return err
				}
				skus, err = tx.NewSelect().Table("skus").Where("tenant_id = ?", tn.ID).Count(ctx)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			min := map[string]int64{"changsha-coop": 200, "zhuzhou-coop": 20}[slug]
			if products < min || skus < products || skus > 3*products {
				t.Errorf("%s: %d products, %d SKUs", slug, products, skus)
			}
			if slug == "changsha-coop" && supplied == 0 {
				t.Errorf("%s: no supplier products", slug)
			}
			list, _, err := a.Catalog.ShopProducts(tctx, map[string]string{"changsha-coop": "xiangguo-fruit", "zhuzhou-coop": "yanling-peach"}[slug],
				catalog.PublicFilter{Query: "黄桃"})
			if err != nil || len(list) == 0 || !strings.Contains(list[0].Name, "黄桃") {
				t.Errorf("%s: 黄桃 not found: %v %d", slug, err, len(list))
			}
		}
	})
}
