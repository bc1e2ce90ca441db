package search_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/search"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// benchProducts is the size of the generated catalog.
const benchProducts = 50000

var (
	benchOnce   sync.Once
	benchMarket *market
	benchSetup  time.Duration
)

// benchCatalog generates benchProducts products (names from origin ×
// quality × produce word lists) in 40 shops over the default category
// tree, inserted in bulk, then indexed with Reindex. Built once per run.
func benchCatalog(b *testing.B) *market {
	benchOnce.Do(func() {
		start := time.Now()
		d := dbtest.Postgres(b)
		m := newTenant(b, d)
		regions := []string{"yuelu", "furong", "wangcheng", "hetang"}
		var shopIDs []string
		for i := 0; i < 40; i++ {
			shopIDs = append(shopIDs, m.shop(fmt.Sprintf("第%d农场", i+1), regions[i%len(regions)], merchant.ShopActive))
		}
		shopIDs = append(shopIDs, m.shops["官方旗舰店"])
		type kind struct{ cat, word string }
		kinds := []kind{
			{"strawberries", "草莓"}, {"fruit", "黄桃"}, {"fruit", "冰糖橙"}, {"rice", "大米"}, {"rice", "香米"},
			{"grains", "小米"}, {"grains", "糙米"}, {"camellia-oil", "茶油"}, {"cooking-oil", "菜籽油"},
			{"honey", "蜂蜜"}, {"tea", "黑茶"}, {"tea", "绿茶"}, {"tea", "毛尖"}, {"mushrooms", "香菇"},
			{"mushrooms", "平菇"}, {"vegetables", "白菜"}, {"vegetables", "辣椒"}, {"poultry", "鸡蛋"},
			{"meat", "腊肉"}, {"meat", "猪肉"}, {"apples", "苹果"}, {"melons", "西瓜"}, {"local-specialty", "湘莲"},
		}
		origins := []string{"长沙", "炎陵", "麻阳", "东北", "望城", "安化", "古丈", "宁乡", "浏阳", "湘潭", "株洲", "岳阳", "常德", "郴州", "永州", "怀化"}
		quals := []string{"有机", "精选", "农家", "野生", "特级", "新鲜", "手工", "生态", "", ""}
		rng := rand.New(rand.NewPCG(1, 2))
		base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		var prs []*catalog.Product
		var skus []*catalog.SKU
		flush := func(ctx context.Context, tx bun.IDB) error {
			if len(prs) == 0 {
				return nil
			}
			if _, err := tx.NewInsert().Model(&prs).Exec(ctx); err != nil {
				return err
			}
			if _, err := tx.NewInsert().Model(&skus).Exec(ctx); err != nil {
				return err
			}
			prs, skus = prs[:0], skus[:0]
			return nil
		}
		m.tx(func(ctx context.Context, tx bun.IDB) error {
			for i := 0; i < benchProducts; i++ {
				k := kinds[rng.IntN(len(kinds))]
				o := origins[rng.IntN(len(origins))]
				q := quals[rng.IntN(len(quals))]
				at := base.Add(time.Duration(i) * time.Minute)
				shop := shopIDs[rng.IntN(len(shopIDs))]
				pr := &catalog.Product{TenantID: m.tenant.ID, ID: tenants.NewID(), ShopID: shop, CategoryID: m.cats[k.cat],
					Name: o + q + k.word, Subtitle: q + "直供 " + fmt.Sprint(rng.IntN(5)+1) + "kg", Origin: o,
					Description: "产地直发，" + o + "的" + k.word + "。", Status: catalog.ProductActive,
					Certifications: []string{}, Attributes: map[string]string{}, SalesCount: int64(rng.IntN(5000)),
					CreatedAt: at, UpdatedAt: at}
				prs = append(prs, pr)
				price := int64(100 + rng.IntN(20000))
				skus = append(skus, &catalog.SKU{TenantID: m.tenant.ID, ID: tenants.NewID(), ProductID: pr.ID, ShopID: shop,
					Code: "B" + strings.ReplaceAll(pr.ID, "-", ""), Spec: "500g", PriceFen: price, ListPriceFen: price * 12 / 10,
					Status: catalog.SKUActive, CreatedAt: at, UpdatedAt: at})
				if len(prs) == 1000 {
					if err := flush(ctx, tx); err != nil {
						return err
					}
				}
			}
			return flush(ctx, tx)
		})
		if err := m.svc.Reindex(m.ctx); err != nil {
			b.Fatal(err)
		}
		analyze(b, d)
		benchMarket, benchSetup = m, time.Since(start)
		var docs, toks int
		_ = d.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
			_ = tx.NewRaw("SELECT count(*) FROM search_docs WHERE tenant_id = ?", m.tenant.ID).Scan(ctx, &docs)
			return tx.NewRaw("SELECT count(*) FROM search_tokens WHERE tenant_id = ?", m.tenant.ID).Scan(ctx, &toks)
		})
		b.Logf("generated and indexed %d products (%d tokens) in %v", docs, toks, benchSetup.Round(time.Millisecond))
	})
	if benchMarket == nil {
		b.Fatal("no benchmark catalog")
	}
	benchMarket.t = b
	return benchMarket
}

// BenchmarkSearch runs typical storefront searches over a 50,000-product
// catalog on PostgreSQL (JISHI_TEST_POSTGRES; skipped otherwise), each
// against the database (a Service that keeps nothing); kept-filters is
// the filters search answered from a Service's kept results.
func BenchmarkSearch(b *testing.B) {
	dbtest.PostgresURL(b)
	m := benchCatalog(b)
	filters := search.Query{Text: "大米", CategoryID: m.cats["grain-oil"], RegionID: m.regions["yuelu"],
		PriceMin: ptr(1000), PriceMax: ptr(10000), InStock: true, Sort: search.SortSales}
	cases := []struct {
		name string
		q    search.Query
	}{
		{"chinese", search.Query{Text: "草莓"}},
		{"chinese-long", search.Query{Text: "长沙有机草莓"}},
		{"pinyin", search.Query{Text: "caomei"}},
		{"pinyin-prefix", search.Query{Text: "caom"}},
		{"initials", search.Query{Text: "hc"}},
		{"mixed", search.Query{Text: "有机 dami"}},
		{"english", search.Query{Text: "honey"}},
		{"filters", filters},
		{"browse-category", search.Query{CategoryID: m.cats["fruit"], Sort: search.SortPriceAsc}},
		{"browse-newest", search.Query{}},
		{"deep-page", search.Query{Text: "茶", Offset: 1000, Limit: 50}},
	}
	uncached := &search.Service{DB: m.d}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := uncached.Search(m.ctx, c.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("kept-filters", func(b *testing.B) {
		kept := search.New(m.d)
		for b.Loop() {
			if _, err := kept.Search(m.ctx, filters); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// analyze refreshes the planner's statistics as the tables' owner (the
// serving role may not), as autovacuum would after a bulk load.
func analyze(b *testing.B, d *db.DB) {
	var name string
	if err := d.QueryRowContext(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
		b.Fatal(err)
	}
	u, err := dbtest.WithDatabase(dbtest.PostgresURL(b), name, "")
	if err != nil {
		b.Fatal(err)
	}
	owner, err := db.Open(context.Background(), u, "")
	if err != nil {
		b.Fatal(err)
	}
	defer owner.Close()
	if _, err := owner.ExecContext(context.Background(), "VACUUM ANALYZE"); err != nil {
		b.Fatal(err)
	}
}
