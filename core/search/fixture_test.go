package search_test

import (
	"context"
	"os"
	"strings"
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

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// market is a tenant with regions, the default category tree, shops and
// products, indexed.
type market struct {
	t        testing.TB
	d        *db.DB
	svc      *search.Service
	tenant   *tenants.Tenant
	ctx      context.Context
	regions  map[string]string // code → id
	cats     map[string]string // code → id
	shops    map[string]string // name → id
	products map[string]string // name → id
	seq      int
}

// newTenant provisions a bare tenant with two cities, the default
// category tree and a flagship store.
func newTenant(t testing.TB, d *db.DB) *market {
	t.Helper()
	ctx := context.Background()
	p := &tenants.Provisioner{BaseDomain: "localhost"}
	tn, err := p.Create(ctx, d, tenants.CreateInput{Slug: "se-" + strings.ReplaceAll(tenants.NewID()[24:], "-", ""), Name: "网上供销社"})
	if err != nil {
		t.Fatal(err)
	}
	m := &market{t: t, d: d, svc: search.New(d), tenant: tn, ctx: tenants.WithTenant(ctx, tn),
		regions: map[string]string{}, cats: map[string]string{}, shops: map[string]string{}, products: map[string]string{}}
	m.tx(func(ctx context.Context, tx bun.IDB) error {
		for _, r := range []struct{ code, name, parent string }{
			{"changsha", "长沙市", ""}, {"yuelu", "岳麓区", "changsha"}, {"furong", "芙蓉区", "changsha"},
			{"wangcheng", "望城区", "changsha"}, {"zhuzhou", "株洲市", ""}, {"hetang", "荷塘区", "zhuzhou"},
		} {
			reg, err := tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: r.code, Name: r.name, ParentID: m.regions[r.parent]})
			if err != nil {
				return err
			}
			m.regions[r.code] = reg.ID
		}
		if err := catalog.CreateTree(ctx, tx, nil, catalog.DefaultTree); err != nil {
			return err
		}
		var cs []*catalog.Category
		if err := db.Select(ctx, tx, &cs).Scan(ctx); err != nil {
			return err
		}
		for _, c := range cs {
			m.cats[c.Code] = c.ID
		}
		return nil
	})
	m.shop("官方旗舰店", "", merchant.ShopActive)
	return m
}

func (m *market) tx(fn func(ctx context.Context, tx bun.IDB) error) {
	m.t.Helper()
	if err := m.d.RunInTx(m.ctx, fn); err != nil {
		m.t.Fatal(err)
	}
}

// shop adds a shop in region code ("" for the flagship store).
func (m *market) shop(name, region, status string) string {
	m.t.Helper()
	now := time.Now().UTC()
	sh := &merchant.Shop{TenantID: m.tenant.ID, ID: tenants.NewID(), Slug: "s" + strings.ReplaceAll(tenants.NewID()[24:], "-", ""),
		Name: name, IsFlagship: region == "", Status: status, CreatedAt: now, UpdatedAt: now}
	if region != "" {
		id := m.regions[region]
		sh.RegionID = &id
	}
	m.tx(func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.NewInsert().Model(sh).Exec(ctx)
		return err
	})
	m.shops[name] = sh.ID
	return sh.ID
}

// item is a product of the fixture catalog.
type item struct {
	name, cat, shop string
	price, sales    int64
	subtitle        string
	origin          string
	certs           []string
	attrs           map[string]string
	desc            string
	status          string // default active
}

// add inserts items (each with one SKU, and a dearer second one) and
// indexes them through IndexProduct, as the catalog's hook does. Later
// items are newer.
func (m *market) add(items ...item) {
	m.t.Helper()
	base := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	m.tx(func(ctx context.Context, tx bun.IDB) error {
		for _, it := range items {
			m.seq++
			at := base.Add(time.Duration(m.seq) * time.Minute)
			status := it.status
			if status == "" {
				status = catalog.ProductActive
			}
			pr := &catalog.Product{TenantID: m.tenant.ID, ID: tenants.NewID(), ShopID: m.shops[it.shop], CategoryID: m.cats[it.cat],
				Name: it.name, Subtitle: it.subtitle, Description: it.desc, Status: status, Origin: it.origin,
				Certifications: append([]string{}, it.certs...), Attributes: map[string]string{}, SalesCount: it.sales,
				CoverPath: "p/" + it.name + ".jpg", CreatedAt: at, UpdatedAt: at}
			for k, v := range it.attrs {
				pr.Attributes[k] = v
			}
			if pr.ShopID == "" || pr.CategoryID == "" {
				m.t.Fatalf("item %s: unknown shop %q or category %q", it.name, it.shop, it.cat)
			}
			if _, err := tx.NewInsert().Model(pr).Exec(ctx); err != nil {
				return err
			}
			for i, f := range []int64{1, 3} {
				k := &catalog.SKU{TenantID: m.tenant.ID, ID: tenants.NewID(), ProductID: pr.ID, ShopID: pr.ShopID,
					Code: "K" + strings.ReplaceAll(pr.ID[24:], "-", "") + string(rune('A'+i)), Spec: []string{"500g", "1.5kg"}[i],
					PriceFen: it.price * f, ListPriceFen: it.price * f * 12 / 10, Status: catalog.SKUActive, Sort: i, CreatedAt: at, UpdatedAt: at}
				if _, err := tx.NewInsert().Model(k).Exec(ctx); err != nil {
					return err
				}
			}
			if err := m.svc.IndexProduct(ctx, tx, pr.ID); err != nil {
				return err
			}
			m.products[it.name] = pr.ID
		}
		return nil
	})
}

// catalogFixture builds the quality-test market: 43 products (4 of them
// never findable) in 6 shops across two cities.
func catalogFixture(t testing.TB, d *db.DB) *market {
	m := newTenant(t, d)
	m.shop("岳麓农场", "yuelu", merchant.ShopActive)
	m.shop("芙蓉果园", "furong", merchant.ShopActive)
	m.shop("望城米业", "wangcheng", merchant.ShopActive)
	m.shop("株洲山货", "hetang", merchant.ShopActive)
	m.shop("停业小店", "yuelu", merchant.ShopSuspended)
	const flag = "官方旗舰店"
	organic := []string{catalog.CertOrganic}
	m.add(
		item{name: "有机草莓", cat: "strawberries", shop: "芙蓉果园", price: 3990, sales: 900, origin: "长沙", certs: organic,
			subtitle: "当季现摘 红颜品种", desc: "酸甜多汁，冷链配送。"},
		item{name: "草莓干", cat: "local-specialty", shop: "岳麓农场", price: 1990, sales: 300, subtitle: "低温烘焙 无添加"},
		item{name: "长沙草莓", cat: "strawberries", shop: "岳麓农场", price: 2990, sales: 500, origin: "长沙"},
		item{name: "奶油草莓", cat: "strawberries", shop: "芙蓉果园", price: 4590, sales: 120},
		item{name: "炎陵黄桃", cat: "fruit", shop: flag, price: 5980, sales: 800, origin: "炎陵", certs: []string{catalog.CertGeo}},
		item{name: "黄桃罐头", cat: "local-specialty", shop: "株洲山货", price: 1280, sales: 200},
		item{name: "麻阳冰糖橙", cat: "fruit", shop: flag, price: 4990, sales: 700, origin: "麻阳"},
		item{name: "东北大米", cat: "rice", shop: "望城米业", price: 5990, sales: 1500, attrs: map[string]string{"品种": "稻花香"}, subtitle: "5kg 真空包装"},
		item{name: "望城香米", cat: "rice", shop: "望城米业", price: 4590, sales: 600, origin: "望城"},
		item{name: "有机糙米", cat: "grains", shop: "望城米业", price: 3290, sales: 150, certs: organic},
		item{name: "小米", cat: "grains", shop: "株洲山货", price: 1590, sales: 100},
		item{name: "茶油", cat: "camellia-oil", shop: flag, price: 12800, sales: 400, subtitle: "冷榨一级 农家自榨"},
		item{name: "野山茶油", cat: "camellia-oil", shop: "株洲山货", price: 16800, sales: 80},
		item{name: "菜籽油", cat: "cooking-oil", shop: "岳麓农场", price: 6990, sales: 300},
		item{name: "土蜂蜜", cat: "honey", shop: "岳麓农场", price: 6800, sales: 350, desc: "山里的百花蜜"},
		item{name: "百花蜂蜜", cat: "honey", shop: flag, price: 5800, sales: 200},
		item{name: "安化黑茶", cat: "tea", shop: flag, price: 19800, sales: 450, origin: "安化", certs: []string{catalog.CertGeo}},
		item{name: "古丈毛尖", cat: "tea", shop: "株洲山货", price: 15800, sales: 120, origin: "古丈"},
		item{name: "黑茶茯砖", cat: "tea", shop: "岳麓农场", price: 8800, sales: 90},
		item{name: "香菇", cat: "mushrooms", shop: "岳麓农场", price: 2590, sales: 400},
		item{name: "平菇", cat: "mushrooms", shop: "岳麓农场", price: 990, sales: 250},
		item{name: "干香菇", cat: "mushrooms", shop: "株洲山货", price: 3990, sales: 180},
		item{name: "小白菜", cat: "vegetables", shop: "岳麓农场", price: 390, sales: 800},
		item{name: "大白菜", cat: "vegetables", shop: "芙蓉果园", price: 290, sales: 600},
		item{name: "红菜苔", cat: "vegetables", shop: "岳麓农场", price: 590, sales: 300},
		item{name: "土鸡蛋", cat: "poultry", shop: "岳麓农场", price: 2590, sales: 1000},
		item{name: "宁乡花猪肉", cat: "meat", shop: flag, price: 4980, sales: 500, origin: "宁乡"},
		item{name: "麻鸭", cat: "poultry", shop: "株洲山货", price: 8800, sales: 60},
		item{name: "富士苹果", cat: "apples", shop: "芙蓉果园", price: 3590, sales: 700},
		item{name: "冰糖心苹果", cat: "apples", shop: "芙蓉果园", price: 4590, sales: 300},
		item{name: "麒麟西瓜", cat: "melons", shop: "芙蓉果园", price: 2990, sales: 400},
		item{name: "湘莲", cat: "local-specialty", shop: flag, price: 6800, sales: 220, origin: "湘潭"},
		item{name: "剁辣椒", cat: "local-specialty", shop: "岳麓农场", price: 1590, sales: 900},
		item{name: "腊肉", cat: "meat", shop: "株洲山货", price: 8800, sales: 300},
		item{name: "蔬菜套餐", cat: "meal-kits", shop: "岳麓农场", price: 9900, sales: 50},
		item{name: "提货卡 200元", cat: "pickup-cards", shop: flag, price: 20000, sales: 30},
		item{name: "长沙臭豆腐", cat: "local-specialty", shop: "芙蓉果园", price: 1990, sales: 450, origin: "长沙"},
		item{name: "Organic Blueberry 蓝莓", cat: "fruit", shop: "芙蓉果园", price: 5990, sales: 100},
		item{name: "五常稻花香大米", cat: "rice", shop: "株洲山货", price: 8990, sales: 90, origin: "五常"},
		// Never findable.
		item{name: "草莓预售", cat: "strawberries", shop: "芙蓉果园", price: 100, sales: 5000, status: catalog.ProductDraft},
		item{name: "归档草莓", cat: "strawberries", shop: "芙蓉果园", price: 100, sales: 5000, status: catalog.ProductArchived},
		item{name: "停业草莓", cat: "strawberries", shop: "停业小店", price: 100, sales: 5000},
		item{name: "停业大米", cat: "rice", shop: "停业小店", price: 100, sales: 5000},
	)
	return m
}

// findable is how many products of catalogFixture can be found.
const findable = 39
