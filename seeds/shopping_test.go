package seeds_test

import (
	"context"
	"testing"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/checkout"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/promo"
	"github.com/jishi-dev/jishi/seeds"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// TestShoppingLoaded: the demo marketplace has a pickup point in every
// district, the vegetable base offers 限时送 and 定时送, the VIP shopper
// sees member prices in the rice shop and the agent tier prices, and a
// quote of greens, rice and fruit collected at a pickup point gets the
// platform 满减 and the VEG5 coupon.
func TestShoppingLoaded(t *testing.T) {
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
		tn, err := tenants.BySlug(ctx, d.DB, "changsha-coop")
		if err != nil {
			t.Fatal(err)
		}
		ctx = tenants.WithTenant(ctx, tn)
		var yuelu string
		var points []*fulfil.PickupPoint
		err = d.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			if err := tx.NewRaw("SELECT id FROM regions WHERE tenant_id = ? AND code = 'yuelu'", tn.ID).Scan(ctx, &yuelu); err != nil {
				return err
			}
			return tx.NewSelect().Model(&points).Where("tenant_id = ?", tn.ID).Scan(ctx)
		})
		if err != nil || len(points) != 6 {
			t.Fatalf("pickup points %d: %v", len(points), err)
		}
		var point string
		for _, p := range points {
			if p.RegionID == yuelu {
				point = p.ID
			}
		}
		login := func(email string) *identity.Principal {
			_, u, err := a.Identity.Login(ctx, email, seeds.DemoPassword)
			if err != nil {
				t.Fatal(err)
			}
			return &identity.Principal{Kind: identity.KindTenant, TenantID: tn.ID, UserID: u.ID}
		}
		shopper, agent := login("shopper@changsha-coop.local"), login("agent@changsha-coop.local")

		sku := func(shop string) (id string, price int64) {
			t.Helper()
			sh, err := a.Merchants.ShopBySlug(ctx, shop)
			if err != nil {
				t.Fatal(err)
			}
			err = d.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
				return tx.NewRaw(`SELECT k.id, k.price_fen FROM skus k JOIN products p ON p.tenant_id = k.tenant_id AND p.id = k.product_id
					JOIN lots l ON l.tenant_id = k.tenant_id AND l.sku_id = k.id
					WHERE k.tenant_id = ? AND k.shop_id = ? AND p.status = 'active' AND l.on_hand - l.reserved >= 25 AND l.best_before > CURRENT_DATE
					ORDER BY p.created_at, k.sort LIMIT 1`, tn.ID, sh.ID).Scan(ctx, &id, &price)
			})
			if err != nil {
				t.Fatalf("sku of %s: %v", shop, err)
			}
			return id, price
		}
		rice, ricePrice := sku("wangcheng-rice")
		prices := func(p *identity.Principal, qty int) promo.Price {
			var out map[string]promo.Price
			err := d.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
				out, err = a.Promo.Prices(ctx, tx, p.UserID, []promo.PriceQuery{{SKUID: rice, Qty: qty, PriceFen: ricePrice, ListFen: ricePrice}})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return out[rice]
		}
		if p := prices(shopper, 1); p.Label != "member" || p.UnitFen >= ricePrice {
			t.Fatalf("VIP price %+v (catalog %d)", p, ricePrice)
		}
		if p := prices(agent, 10); p.Label != "tier" || p.UnitFen >= ricePrice {
			t.Fatalf("agent price for 10 %+v (catalog %d)", p, ricePrice)
		}
		if p := prices(agent, 1); p.Label != "" || p.UnitFen != ricePrice {
			t.Fatalf("agent price for 1 %+v", p)
		}

		veg, _ := sku("yuelu-veg")
		fruit, _ := sku("xiangguo-fruit")
		var shops []checkout.ShopChoice
		for _, slug := range []string{"yuelu-veg", "wangcheng-rice", "xiangguo-fruit"} {
			sh, _ := a.Merchants.ShopBySlug(ctx, slug)
			shops = append(shops, checkout.ShopChoice{ShopID: sh.ID, Method: fulfil.MethodPickup, PickupPointID: point})
		}
		q, err := a.Checkout.Quote(ctx, shopper, checkout.Input{
			RegionID: yuelu, Lines: []checkout.LineInput{{SKUID: veg, Qty: 25}, {SKUID: rice, Qty: 2}, {SKUID: fruit, Qty: 2}},
			Shops: shops, Coupons: []string{seeds.ShopCoupon}, Recipient: "周女士", Phone: "13800000009", Provider: "offline",
		})
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]bool{}
		for _, ap := range q.Applied {
			kinds[ap.Kind] = true
		}
		if !q.Complete || len(q.Shops) != 3 || q.DiscountFen == 0 || !kinds["coupon"] || !kinds["threshold"] {
			t.Fatalf("quote: complete %v, %d shops, discount %d, applied %+v", q.Complete, len(q.Shops), q.DiscountFen, q.Applied)
		}
		vegShop, _ := a.Merchants.ShopBySlug(ctx, "yuelu-veg")
		for _, sq := range q.Shops {
			if sq.ShopID != vegShop.ID {
				continue
			}
			methods := map[string]bool{}
			for _, o := range sq.Options {
				methods[o.Method] = true
			}
			if !methods[fulfil.MethodExpress] || !methods[fulfil.MethodScheduled] || !methods[fulfil.MethodPickup] {
				t.Fatalf("vegetable base offers %v", methods)
			}
		}
	})
}
