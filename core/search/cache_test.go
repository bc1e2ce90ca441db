package search_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/search"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// keeping gives m a Service that keeps results for ttl.
func (m *market) keeping(ttl time.Duration) {
	m.svc = &search.Service{DB: m.d, CacheTTL: ttl}
}

// renameDoc renames product id's index entry behind the Service's back,
// as another process would.
func (m *market) renameDoc(id, name string) {
	m.t.Helper()
	m.tx(func(ctx context.Context, tx bun.IDB) error {
		_, err := db.Update(ctx, tx, (*search.Doc)(nil)).Set("name = ?", name).Where("d.product_id = ?", id).Exec(ctx)
		return err
	})
}

// renameProduct renames product id and reindexes it in one transaction,
// as the catalog does.
func (m *market) renameProduct(ctx context.Context, tx bun.IDB, id, name string) error {
	if _, err := db.Update(ctx, tx, (*catalog.Product)(nil)).Set("name = ?", name).Where("p.id = ?", id).Exec(ctx); err != nil {
		return err
	}
	return m.svc.IndexProduct(ctx, tx, id)
}

// TestCacheFollowsIndexChanges: results are kept, and every change to the
// index through the Service shows in the next search; a rolled-back one
// never does.
func TestCacheFollowsIndexChanges(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := catalogFixture(t, d)
		m.keeping(time.Hour)
		id := m.products["奶油草莓"]
		strawberries := search.Query{Text: "草莓", Limit: 50}
		if got := names(m.search(strawberries)); !slices.Contains(got, "奶油草莓") {
			t.Fatalf("草莓: %v", got)
		}

		// Kept: a write the Service does not see does not show.
		m.renameDoc(id, "奶油草莓（改）")
		if got := names(m.search(strawberries)); !slices.Contains(got, "奶油草莓") {
			t.Errorf("kept result not used: %v", got)
		}

		// A change through the Service shows at once.
		m.tx(func(ctx context.Context, tx bun.IDB) error { return m.renameProduct(ctx, tx, id, "奶油白草莓") })
		if got := names(m.search(strawberries)); !slices.Contains(got, "奶油白草莓") || slices.Contains(got, "奶油草莓") {
			t.Errorf("after IndexProduct: %v", got)
		}

		// A search while the change is under way sees the index before it
		// and is not kept past the commit.
		m.tx(func(ctx context.Context, tx bun.IDB) error {
			if err := m.renameProduct(ctx, tx, id, "奶油红草莓"); err != nil {
				return err
			}
			res, err := m.svc.Search(m.ctx, strawberries) // outside the transaction
			if err != nil {
				return err
			}
			if got := names(res); !slices.Contains(got, "奶油白草莓") {
				t.Errorf("during the change: %v", got)
			}
			return nil
		})
		if got := names(m.search(strawberries)); !slices.Contains(got, "奶油红草莓") {
			t.Errorf("after the commit: %v", got)
		}

		// A rolled-back change leaves the results as they were.
		err := m.d.RunInTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
			if err := m.renameProduct(ctx, tx, id, "榴莲"); err != nil {
				return err
			}
			return core.Errorf(core.Conflict, "error.conflict")
		})
		if core.ErrorCode(err) != core.Conflict {
			t.Fatal(err)
		}
		if got := names(m.search(search.Query{Text: "榴莲"})); len(got) != 0 {
			t.Errorf("rolled-back change found: %v", got)
		}
		if got := names(m.search(strawberries)); !slices.Contains(got, "奶油红草莓") {
			t.Errorf("after the rollback: %v", got)
		}

		// Stock, covers and shops.
		inStock := search.Query{Text: "草莓", InStock: true, Limit: 50}
		if got := names(m.search(inStock)); !slices.Contains(got, "奶油红草莓") {
			t.Fatalf("in stock: %v", got)
		}
		m.tx(func(ctx context.Context, tx bun.IDB) error { return m.svc.SetInStock(ctx, tx, id, false) })
		if got := names(m.search(inStock)); slices.Contains(got, "奶油红草莓") {
			t.Errorf("sold out still in stock: %v", got)
		}
		m.tx(func(ctx context.Context, tx bun.IDB) error { return m.svc.SetCover(ctx, tx, id, "p/new.jpg") })
		for _, h := range m.search(strawberries).Products {
			if h.ID == id && h.CoverPath != "p/new.jpg" {
				t.Errorf("cover: %q", h.CoverPath)
			}
		}
		shop := m.shops["芙蓉果园"]
		m.tx(func(ctx context.Context, tx bun.IDB) error {
			if _, err := db.Update(ctx, tx, (*merchant.Shop)(nil)).Set("status = ?", merchant.ShopSuspended).Where("s.id = ?", shop).Exec(ctx); err != nil {
				return err
			}
			return m.svc.IndexShop(ctx, tx, shop)
		})
		res := m.search(strawberries)
		if got := names(res); slices.Contains(got, "有机草莓") || slices.Contains(got, "奶油红草莓") {
			t.Errorf("suspended shop's products: %v", got)
		}
		for _, f := range res.Facets.Shops {
			if f.ID == shop {
				t.Errorf("suspended shop in the facets: %+v", f)
			}
		}
		m.renameDoc(m.products["长沙草莓"], "长沙草莓（改）")
		if err := m.svc.Reindex(m.ctx); err != nil {
			t.Fatal(err)
		}
		if got := names(m.search(strawberries)); !slices.Contains(got, "长沙草莓") {
			t.Errorf("after Reindex: %v", got)
		}
	})
}

// TestCacheExpires: what the Service does not see shows after CacheTTL.
func TestCacheExpires(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := catalogFixture(t, d)
		m.keeping(200 * time.Millisecond)
		q := search.Query{Text: "香菇"}
		if got := names(m.search(q)); !slices.Contains(got, "香菇") {
			t.Fatalf("香菇: %v", got)
		}
		m.renameDoc(m.products["香菇"], "花菇 香菇")
		deadline := time.Now().Add(5 * time.Second)
		for !slices.Contains(names(m.search(q)), "花菇 香菇") {
			if time.Now().After(deadline) {
				t.Fatal("a change behind the Service's back never showed")
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// TestCachePerTenant: one Service serving two tenants never answers one
// with the other's kept results, and one tenant's changes leave the
// other's kept results alone.
func TestCachePerTenant(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a := catalogFixture(t, d)
		a.keeping(time.Hour)
		b := newTenant(t, d)
		b.shop("外地果园", "yuelu", merchant.ShopActive)
		b.add(item{name: "外地草莓", cat: "strawberries", shop: "外地果园", price: 100, sales: 99999})
		b.svc = a.svc // new to both tenants: nothing tells their results apart but the tenant

		for _, q := range []search.Query{{Text: "草莓"}, {Text: "caomei", Sort: search.SortSales}, {}, {InStock: true, Limit: 5}} {
			ra, rb := a.search(q), b.search(q)
			if got := names(rb); !slices.Equal(got, []string{"外地草莓"}) {
				t.Errorf("%+v: B after A: %v", q, got)
			}
			if got := names(ra); len(got) == 0 || slices.Contains(got, "外地草莓") {
				t.Errorf("%+v: A: %v", q, got)
			}
			if len(rb.Facets.Shops) != 1 || rb.Facets.Shops[0].ID != b.shops["外地果园"] {
				t.Errorf("%+v: B's shop facets: %+v", q, rb.Facets.Shops)
			}
			if got := names(a.search(q)); !slices.Equal(got, names(ra)) {
				t.Errorf("%+v: A after B: %v", q, got)
			}
		}
		// B's change makes B's results stale, not A's.
		a.renameDoc(a.products["有机草莓"], "有机草莓（改）")
		b.tx(func(ctx context.Context, tx bun.IDB) error {
			return b.renameProduct(ctx, tx, b.products["外地草莓"], "外地白草莓")
		})
		if got := names(b.search(search.Query{Text: "草莓"})); !slices.Equal(got, []string{"外地白草莓"}) {
			t.Errorf("B after its change: %v", got)
		}
		if got := names(a.search(search.Query{Text: "草莓"})); !slices.Contains(got, "有机草莓") {
			t.Errorf("A's kept result dropped by B's change: %v", got)
		}
	})
}

// TestCacheCopiesAndLocales: each caller gets a result of its own, with
// the category facets named in its locale; categories and regions created
// after a search are known at once.
func TestCacheCopiesAndLocales(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := catalogFixture(t, d)
		m.keeping(time.Hour)
		q := search.Query{Text: "草莓"}
		res := m.search(q)
		first := res.Products[0].Name
		res.Products[0].Name = "changed"
		res.Facets.Categories[0].Name = "changed"
		res.Facets.Shops[0].Count = -1
		res = m.search(q)
		if res.Products[0].Name != first || res.Facets.Categories[0].Name != "新鲜水果" || res.Facets.Shops[0].Count < 1 {
			t.Errorf("a caller's changes leaked into the kept result: %+v", res)
		}
		en, err := m.svc.Search(i18n.WithLocale(m.ctx, "en"), q)
		if err != nil {
			t.Fatal(err)
		}
		if en.Facets.Categories[0].Name != "Fresh fruit" {
			t.Errorf("en facets: %+v", en.Facets.Categories)
		}

		// A region created after a search is known to the next one.
		if got := m.search(search.Query{RegionID: m.regions["yuelu"]}); len(got.Products) == 0 {
			t.Fatal("nothing delivers to 岳麓区")
		}
		var tianxin string
		m.tx(func(ctx context.Context, tx bun.IDB) error {
			r, err := tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "tianxin", Name: "天心区", ParentID: m.regions["changsha"]})
			if r != nil {
				tianxin = r.ID
			}
			return err
		})
		got := names(m.search(search.Query{Text: "草莓", RegionID: tianxin}))
		if !slices.Contains(got, "长沙草莓") {
			t.Errorf("new district of 长沙: %v", got)
		}
	})
}

// TestCacheConcurrent: searches running beside changes never keep a result
// past the change that made it stale.
func TestCacheConcurrent(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := catalogFixture(t, d)
		m.keeping(time.Hour)
		id := m.products["奶油草莓"]
		queries := []search.Query{{Text: "草莓"}, {Text: "caomei", Sort: search.SortSales}, {Text: "草莓", InStock: true}, {}}
		stop := make(chan struct{})
		errs := make(chan error, 4)
		for g := 0; g < 4; g++ {
			go func() {
				for i := g; ; i++ {
					select {
					case <-stop:
						errs <- nil
						return
					default:
					}
					if _, err := m.svc.Search(m.ctx, queries[i%len(queries)]); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
	rename:
		for i := 0; i < 10; i++ {
			name := "奶油草莓" + string(rune('A'+i))
			err := m.d.RunInTx(m.ctx, func(ctx context.Context, tx bun.IDB) error { return m.renameProduct(ctx, tx, id, name) })
			if err != nil {
				t.Error(err)
				break
			}
			for _, q := range queries[:3] {
				res, err := m.svc.Search(m.ctx, q)
				if err != nil || !slices.Contains(names(res), name) {
					t.Errorf("%+v after renaming to %s: %v %v", q, name, res, err)
					break rename
				}
			}
		}
		close(stop)
		for g := 0; g < 4; g++ {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	})
}
