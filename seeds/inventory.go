package seeds

import (
	"context"
	"fmt"
	"time"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// The demo stock. Every tenant has its main cold warehouse (冷库) serving
// the whole city and a sub-warehouse in each district serving that
// district; a few shops keep their own stock. Every SKU gets one lot of
// 30–50 units (the seed plans' "keep 30–50 units of main items on hand"),
// received in the last three days, good for as long as its category keeps
// (greens four days, rice a year), with its traceability: producer, base,
// and for produce the sowing, fertiliser, pesticide and harvest dates,
// and the residue test "合格". A few SKUs carry a threshold above their
// stock, so the merchants' alert lists are not empty, and one lot of
// greens has expired (its SKU has a fresh lot too).

// shopStock is how a demo shop keeps stock.
type shopStock struct {
	Producer string // who grows or makes it
	// Warehouse is the name of the shop's own warehouse; "" keeps stock in
	// the tenant's warehouses.
	Warehouse string
}

var demoStock = map[string]shopStock{
	"yuelu-veg":      {Producer: "岳麓蔬菜基地 王场长"},
	"wangcheng-rice": {Producer: "望城稻香合作社 李经理", Warehouse: "望城稻香自有仓"},
	"xiangguo-fruit": {Producer: "湘果鲜果园 张老板"},
	"xiangcha-honey": {Producer: "湘茶蜂蜜 刘掌柜", Warehouse: "湘茶蜂蜜自有仓"},
	"flagship":       {Producer: "供销社直采"},
	"yanling-peach":  {Producer: "炎陵黄桃园 陈老板"},
	"zhuzhou-grain":  {Producer: "株洲粮油店 黄经理", Warehouse: "株洲粮油自有仓"},
}

// shelfLife is how a category keeps: days from receipt to best-before;
// for produce also the days from sowing to harvest and from harvest to
// receipt. Cold categories go to the cold main warehouse.
type shelfLife struct {
	Days            int
	Grow, SinceHarv int // 0 Grow: not produce (no growing dates)
	Cold            bool
}

var shelfLives = map[string]shelfLife{
	"vegetables":         {Days: 4, Grow: 45, SinceHarv: 1, Cold: true},
	"mushrooms":          {Days: 5, Grow: 30, SinceHarv: 1, Cold: true},
	"strawberries":       {Days: 4, Grow: 120, SinceHarv: 1, Cold: true},
	"melons":             {Days: 10, Grow: 150, SinceHarv: 2, Cold: true},
	"apples":             {Days: 30, Grow: 180, SinceHarv: 20, Cold: true},
	"poultry":            {Days: 20, Cold: true},
	"meal-kits":          {Days: 3, Cold: true},
	"rice":               {Days: 365, Grow: 150, SinceHarv: 90},
	"grains":             {Days: 365, Grow: 150, SinceHarv: 90},
	"camellia-oil":       {Days: 540},
	"cooking-oil":        {Days: 540},
	"tea":                {Days: 540, Grow: 60, SinceHarv: 30},
	"honey":              {Days: 730},
	"local-specialty":    {Days: 270},
	"monthly-delivery":   {Days: 30},
	"pickup-cards":       {Days: 365},
	"stored-value-cards": {Days: 365},
}

// lowStockEvery: every this many-th active product's first SKU gets a
// threshold above its stock (a main item the shop wants 60 of on hand).
const (
	lowStockEvery     = 40
	lowStockThreshold = 60
)

// loadInventory creates tenant t's warehouses and receives the demo lots
// of products, each shop's in one transaction. It does nothing when t
// has warehouses already.
func loadInventory(ctx context.Context, a *app.App, t *tenants.Tenant, ts tenantSeed, users map[string]*identity.User,
	regions map[string]string, products []seededProduct) error {
	var n int64
	err := a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		n, err = db.Select(ctx, tx, (*inventory.Warehouse)(nil)).Count(ctx)
		return err
	})
	if err != nil || n > 0 {
		return err
	}
	admin := principal(t, users[ts.user("tenant_admin").Email])
	main, err := a.Inventory.CreateWarehouse(ctx, admin, inventory.WarehouseInput{
		Kind: inventory.KindMain, Name: ts.City.Name + "冷库（总仓）", RegionID: regions[ts.City.Code], Cold: true,
		Address: ts.City.Name + "供销物流园",
	})
	if err != nil {
		return fmt.Errorf("main warehouse: %w", err)
	}
	district := map[string]string{} // region id → warehouse id
	for _, d := range ts.Districts {
		w, err := a.Inventory.CreateWarehouse(ctx, admin, inventory.WarehouseInput{
			Kind: inventory.KindDistrict, Name: d.Name + "分仓", RegionID: regions[d.Code], Address: d.Name + "供销社配送站",
		})
		if err != nil {
			return fmt.Errorf("warehouse of %s: %w", d.Code, err)
		}
		district[regions[d.Code]] = w.ID
	}

	type shopLots struct {
		shop  *merchant.Shop
		owner *identity.Principal
		own   string // the shop's warehouse
		lots  []inventory.LotInput
		low   []string // SKUs to set a high threshold on
	}
	byShop := map[string]*shopLots{}
	var order []*shopLots
	today := inventory.DateOf(time.Now().In(t.Location()))
	expiredDone := false
	for i, sp := range products {
		sl := byShop[sp.Product.ShopID]
		if sl == nil {
			sh, err := a.Merchants.ShopByID(ctx, sp.Product.ShopID)
			if err != nil {
				return fmt.Errorf("shop of %s: %w", sp.Product.Name, err)
			}
			sl = &shopLots{shop: sh, owner: admin}
			for _, ss := range ts.Shops {
				if ss.Slug == sh.Slug {
					sl.owner = principal(t, users[ss.Owner])
				}
			}
			if name := demoStock[sh.Slug].Warehouse; name != "" {
				// A shop's own warehouse ships across the city.
				w, err := a.Inventory.CreateShopWarehouse(ctx, sl.owner, sh.ID, inventory.WarehouseInput{
					Name: name, Address: sh.Name + "仓库", ServesRegionIDs: []string{regions[ts.City.Code]},
				})
				if err != nil {
					return fmt.Errorf("warehouse of %s: %w", sh.Slug, err)
				}
				sl.own = w.ID
			}
			byShop[sh.ID] = sl
			order = append(order, sl)
		}
		life, ok := shelfLives[sp.Seed.Category]
		if !ok {
			life = shelfLife{Days: 180}
		}
		// A shop's own warehouse if it has one; else its district's
		// sub-warehouse, except that every other cold product (and
		// everything of shops without a district) is kept in the main
		// cold warehouse, which serves the whole city.
		wh := sl.own
		if wh == "" && sl.shop.RegionID != nil && (!life.Cold || i%2 == 1) {
			wh = district[*sl.shop.RegionID]
		}
		if wh == "" {
			wh = main.ID
		}
		for j, k := range sp.Product.SKUs {
			v := i*3 + j
			received := today.AddDays(-(1 + v%3))
			in := inventory.LotInput{
				SKUID: k.ID, WarehouseID: wh, Quantity: int64(30 + (v*7)%21),
				ReceivedOn: string(received), BestBefore: string(received.AddDays(life.Days)),
				Producer: demoStock[sl.shop.Slug].Producer, Base: sp.Product.Origin + "生产基地",
				ResidueTest: "合格",
			}
			if sp.Seed.Supplier {
				in.Producer = supplierName
			}
			if life.Grow > 0 {
				harvested := received.AddDays(-life.SinceHarv)
				sown := harvested.AddDays(-life.Grow)
				in.SownOn, in.HarvestedOn = string(sown), string(harvested)
				in.FertilisedOn, in.PesticideOn = string(sown.AddDays(life.Grow/4)), string(sown.AddDays(life.Grow/2))
			}
			sl.lots = append(sl.lots, in)
			if !expiredDone && sp.Seed.Category == "vegetables" && j == 0 {
				// An older lot of the same greens, past its best-before
				// and not yet taken out: the alert list shows it expired.
				old := in
				old.Quantity = 6
				old.ReceivedOn, old.BestBefore = string(today.AddDays(-6)), string(today.AddDays(-1))
				old.HarvestedOn = string(today.AddDays(-7))
				old.Note = "过期待处理"
				sl.lots = append(sl.lots, old)
				expiredDone = true
			}
		}
		if i%lowStockEvery == lowStockEvery/2 && sp.Product.Status == catalog.ProductActive && len(sp.Product.SKUs) > 0 {
			sl.low = append(sl.low, sp.Product.SKUs[0].ID)
		}
	}
	for _, sl := range order {
		if _, err := a.Inventory.ReceiveLots(ctx, sl.owner, sl.shop.ID, sl.lots); err != nil {
			return fmt.Errorf("receive lots of %s: %w", sl.shop.Slug, err)
		}
		for _, k := range sl.low {
			if err := a.Inventory.SetThreshold(ctx, sl.owner, sl.shop.ID, k, lowStockThreshold); err != nil {
				return fmt.Errorf("threshold in %s: %w", sl.shop.Slug, err)
			}
		}
	}
	return nil
}
