package seeds_test

import (
	"context"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/search"
	"github.com/jishi-dev/jishi/seeds"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// TestStockLoaded: after Load every demo marketplace has its main cold
// warehouse serving the city, a sub-warehouse per district, and some
// shops their own; every SKU has a lot of 30–50 units with its
// traceability; some SKUs are under their threshold and one lot has
// expired, so the merchants' alert lists show both; the search index
// says every findable product is in stock; a second Load adds nothing.
// (The PostgreSQL database is shared with TestLoad, which runs first.)
func TestStockLoaded(t *testing.T) {
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
		lotCount := func() int {
			total := 0
			for _, slug := range []string{"changsha-coop", "zhuzhou-coop"} {
				tn, err := tenants.BySlug(ctx, d.DB, slug)
				if err != nil {
					t.Fatal(err)
				}
				var n int
				err = d.RunInReadTx(tenants.WithTenant(ctx, tn), func(ctx context.Context, tx bun.IDB) error {
					return tx.NewSelect().Table("lots").ColumnExpr("count(*)").Where("tenant_id = ?", tn.ID).Scan(ctx, &n)
				})
				if err != nil {
					t.Fatal(err)
				}
				total += n
			}
			return total
		}
		lots := lotCount()
		if lots < 250 {
			t.Fatalf("%d lots seeded", lots)
		}
		for _, c := range []struct {
			slug, admin string
			districts   int
			shops       []string // slugs of shops with a warehouse of their own
			owner, shop string   // a shop whose alerts show a low SKU
		}{
			{"changsha-coop", "admin@changsha-coop.local", 6, []string{"wangcheng-rice", "xiangcha-honey"}, "veg@changsha-coop.local", "yuelu-veg"},
			{"zhuzhou-coop", "admin@zhuzhou-coop.local", 5, []string{"zhuzhou-grain"}, "", ""},
		} {
			tn, err := tenants.BySlug(ctx, d.DB, c.slug)
			if err != nil {
				t.Fatal(err)
			}
			tctx := tenants.WithTenant(ctx, tn)
			admin := principalOf(t, a, tctx, c.admin)
			ws, err := a.Inventory.Warehouses(tctx, admin)
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]int{}
			for _, w := range ws {
				kinds[w.Kind]++
				if w.Kind == inventory.KindMain && (!w.Cold || len(w.ServesRegionIDs) != 1) {
					t.Errorf("%s main warehouse: %+v", c.slug, w)
				}
			}
			if kinds[inventory.KindMain] != 1 || kinds[inventory.KindDistrict] != c.districts || kinds[inventory.KindShop] != len(c.shops) {
				t.Errorf("%s warehouses: %v", c.slug, kinds)
			}

			// Every SKU has stock: one lot of 30–50, plus the expired one.
			var rows []struct {
				SKUID string `bun:"sku_id"`
				Lots  int    `bun:"lots"`
				Qty   int    `bun:"qty"`
			}
			var lotRows []*inventory.Lot
			err = d.RunInReadTx(tctx, func(ctx context.Context, tx bun.IDB) error {
				if err := tx.NewRaw(`SELECT k.id AS sku_id, COUNT(l.id) AS lots, COALESCE(MIN(l.qty_received), 0) AS qty
					FROM skus AS k LEFT JOIN lots AS l ON l.tenant_id = k.tenant_id AND l.sku_id = k.id
					WHERE k.tenant_id = ? GROUP BY k.id`, tn.ID).Scan(ctx, &rows); err != nil {
					return err
				}
				return tx.NewSelect().Model(&lotRows).Where("tenant_id = ?", tn.ID).Scan(ctx)
			})
			if err != nil {
				t.Fatal(err)
			}
			expired := 0
			today := inventory.DateOf(time.Now().In(tn.Location()))
			for _, l := range lotRows {
				if l.Producer == "" || l.Base == "" || l.ResidueTest != "合格" || l.ReceivedOn.Before(today.AddDays(-7)) || today.Before(l.ReceivedOn) {
					t.Errorf("%s lot %s: %+v", c.slug, l.ID, l)
				}
				if l.BestBefore.Before(today) {
					expired++
					continue
				}
				if l.QtyReceived < 30 || l.QtyReceived > 50 {
					t.Errorf("%s lot %s: %d units", c.slug, l.ID, l.QtyReceived)
				}
			}
			if expired != 1 {
				t.Errorf("%s: %d expired lots, want 1", c.slug, expired)
			}
			for _, r := range rows {
				if r.Lots < 1 {
					t.Errorf("%s SKU %s has no lot", c.slug, r.SKUID)
				}
			}
			withDates := 0
			for _, l := range lotRows {
				if l.SownOn != "" && l.HarvestedOn != "" && l.FertilisedOn != "" && l.PesticideOn != "" {
					withDates++
				}
			}
			if withDates == 0 {
				t.Errorf("%s: no lot with growing dates", c.slug)
			}

			// Search: every findable product in stock.
			all, err := a.Search.Search(tctx, search.Query{Limit: search.MaxLimit})
			if err != nil {
				t.Fatal(err)
			}
			in, err := a.Search.Search(tctx, search.Query{Limit: search.MaxLimit, InStock: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(all.Products) == 0 || len(in.Products) != len(all.Products) {
				t.Errorf("%s: %d products found, %d in stock", c.slug, len(all.Products), len(in.Products))
			}

			if c.shop == "" {
				continue
			}
			sh, err := a.Merchants.ShopBySlug(tctx, c.shop)
			if err != nil {
				t.Fatal(err)
			}
			al, err := a.Inventory.Alerts(tctx, principalOf(t, a, tctx, c.owner), sh.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(al.LowStock) == 0 || len(al.Expiring) == 0 || !al.Expiring[0].Expired {
				t.Errorf("%s alerts: %d low, %d expiring", c.shop, len(al.LowStock), len(al.Expiring))
			}
		}
		if _, err := seeds.Load(ctx, a); err == nil {
			t.Error("a second Load succeeded")
		}
		if n := lotCount(); n != lots {
			t.Errorf("a second Load: %d lots, was %d", n, lots)
		}
	})
}
