// Package searchbench generates a large catalog for search benchmarks:
// products named from origin × quality × produce word lists over the
// default category tree, spread over given shops, inserted in bulk and
// indexed with search.Service.Reindex. It is for benchmarks only.
package searchbench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/search"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// kind is a product word and the category code it belongs to.
type kind struct{ cat, word string }

var (
	kinds = []kind{
		{"strawberries", "草莓"}, {"fruit", "黄桃"}, {"fruit", "冰糖橙"}, {"rice", "大米"}, {"rice", "香米"},
		{"grains", "小米"}, {"grains", "糙米"}, {"camellia-oil", "茶油"}, {"cooking-oil", "菜籽油"},
		{"honey", "蜂蜜"}, {"tea", "黑茶"}, {"tea", "绿茶"}, {"tea", "毛尖"}, {"mushrooms", "香菇"},
		{"mushrooms", "平菇"}, {"vegetables", "白菜"}, {"vegetables", "辣椒"}, {"poultry", "鸡蛋"},
		{"meat", "腊肉"}, {"meat", "猪肉"}, {"apples", "苹果"}, {"melons", "西瓜"}, {"local-specialty", "湘莲"},
	}
	origins = []string{"长沙", "炎陵", "麻阳", "东北", "望城", "安化", "古丈", "宁乡", "浏阳", "湘潭", "株洲", "岳阳", "常德", "郴州", "永州", "怀化"}
	quals   = []string{"有机", "精选", "农家", "野生", "特级", "新鲜", "手工", "生态", "", ""}
)

// OutOfStockPct is the share of generated products marked out of stock
// in the index, so that the in-stock filter has work to do.
const OutOfStockPct = 10

// Generate adds n products of one SKU each to the tenant in ctx, spread
// over shopIDs, created a minute apart with random sales and prices
// (1 to 201 yuan), and rebuilds the tenant's index. The same seed makes
// the same catalog.
func Generate(ctx context.Context, d *db.DB, svc *search.Service, shopIDs []string, n int, seed uint64) error {
	if len(shopIDs) == 0 {
		return fmt.Errorf("searchbench: no shops")
	}
	tenant := db.TenantID(ctx)
	cats := map[string]string{}
	err := d.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var cs []*catalog.Category
		if err := db.Select(ctx, tx, &cs).Scan(ctx); err != nil {
			return err
		}
		for _, c := range cs {
			cats[c.Code] = c.ID
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("searchbench: categories: %w", err)
	}
	for _, k := range kinds {
		if cats[k.cat] == "" {
			return fmt.Errorf("searchbench: no category %s", k.cat)
		}
	}
	rng := rand.New(rand.NewPCG(seed, seed+1))
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []string
	const batch = 1000
	for start := 0; start < n; start += batch {
		var prs []*catalog.Product
		var skus []*catalog.SKU
		for i := start; i < min(start+batch, n); i++ {
			k := kinds[rng.IntN(len(kinds))]
			o := origins[rng.IntN(len(origins))]
			q := quals[rng.IntN(len(quals))]
			at := base.Add(time.Duration(i) * time.Minute)
			shop := shopIDs[rng.IntN(len(shopIDs))]
			pr := &catalog.Product{TenantID: tenant, ID: tenants.NewID(), ShopID: shop, CategoryID: cats[k.cat],
				Name: o + q + k.word, Subtitle: q + "直供 " + fmt.Sprint(rng.IntN(5)+1) + "kg", Origin: o,
				Description: "产地直发，" + o + "的" + k.word + "。", Status: catalog.ProductActive,
				Certifications: []string{}, Attributes: map[string]string{}, SalesCount: int64(rng.IntN(5000)),
				CreatedAt: at, UpdatedAt: at}
			prs = append(prs, pr)
			price := int64(100 + rng.IntN(20000))
			skus = append(skus, &catalog.SKU{TenantID: tenant, ID: tenants.NewID(), ProductID: pr.ID, ShopID: shop,
				Code: "B" + strings.ReplaceAll(pr.ID, "-", ""), Spec: "500g", PriceFen: price, ListPriceFen: price * 12 / 10,
				Status: catalog.SKUActive, CreatedAt: at, UpdatedAt: at})
			if rng.IntN(100) < OutOfStockPct {
				out = append(out, pr.ID)
			}
		}
		err := d.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			if _, err := tx.NewInsert().Model(&prs).Exec(ctx); err != nil {
				return err
			}
			_, err := tx.NewInsert().Model(&skus).Exec(ctx)
			return err
		})
		if err != nil {
			return fmt.Errorf("searchbench: insert products: %w", err)
		}
	}
	if err := svc.Reindex(ctx); err != nil {
		return err
	}
	return d.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		for i := 0; i < len(out); i += batch {
			_, err := db.Update(ctx, tx, (*search.Doc)(nil)).Set("in_stock = ?", false).
				Where("d.product_id IN (?)", bun.List(out[i:min(i+batch, len(out))])).Exec(ctx)
			if err != nil {
				return fmt.Errorf("searchbench: stock flags: %w", err)
			}
		}
		return nil
	})
}
