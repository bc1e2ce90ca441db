package seeds

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/invoicing"
	"github.com/jishi-dev/jishi/core/promo"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// The demo shopping setup of a marketplace: a community pickup point in
// every district (社区服务中心), 限时送 and 定时送 slots for the vegetable
// base (yuelu-veg), a platform-funded 满100减10 across shops, a shop coupon
// VEG5 (满50减5) and a marketplace coupon XINREN10 (满100减10), a flash
// sale on the first fruit, a VIP group holding the demo shopper with
// member prices in the rice shop, and a wholesale group holding the demo
// agent with tier prices there. Promotions run for 90 days from seeding.

// Demo coupon codes.
const (
	ShopCoupon   = "VEG5"
	TenantCoupon = "XINREN10"
)

// loadShopping sets up t's pickup points, delivery methods, promotions and
// customer groups. It does nothing when t has pickup points already.
func loadShopping(ctx context.Context, a *app.App, t *tenants.Tenant, ts tenantSeed, users map[string]*identity.User,
	regions map[string]string, products []seededProduct) error {
	var n int64
	err := a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		n, err = db.Select(ctx, tx, (*fulfil.PickupPoint)(nil)).Count(ctx)
		return err
	})
	if err != nil || n > 0 {
		return err
	}
	admin := principal(t, users[ts.user("tenant_admin").Email])
	var points []string
	for i, d := range ts.Districts {
		pt, err := a.Fulfil.CreatePickupPoint(ctx, admin, fulfil.PickupPointInput{
			Name: d.Name + "社区服务中心", Address: fmt.Sprintf("%s%s 供销社区店 %d 号", ts.City.Name, d.Name, i+1),
			RegionID: regions[d.Code], Hours: "08:00–21:00", Phone: fmt.Sprintf("0731-8866%04d", i+1),
		})
		if err != nil {
			return fmt.Errorf("pickup point in %s: %w", d.Code, err)
		}
		points = append(points, pt.ID)
	}
	if err := loadBilling(ctx, a, t, admin, points, products); err != nil {
		return err
	}

	now := time.Now().In(t.Location())
	window := promo.Window{StartsAt: now.Add(-time.Hour).Format(time.RFC3339), EndsAt: now.AddDate(0, 0, 90).Format(time.RFC3339)}
	if _, err := a.Promo.CreatePromotion(ctx, admin, "", promo.PromotionInput{Kind: "threshold", Name: "满100减10（平台补贴）",
		Window: window, Tiers: []promo.Tier{{MinFen: 10000, OffFen: 1000}}}); err != nil {
		return fmt.Errorf("platform 满减: %w", err)
	}
	if _, err := a.Promo.CreateCoupon(ctx, admin, "", promo.CouponInput{Code: TenantCoupon, Name: "新人券 满100减10",
		Window: window, MinSpendFen: 10000, AmountOffFen: 1000, PerUserLimit: 1}); err != nil {
		return fmt.Errorf("marketplace coupon: %w", err)
	}

	byShop := map[string][]*catalog.Product{}
	for _, sp := range products {
		if sp.Product.Status == catalog.ProductActive && len(sp.Product.SKUs) > 0 {
			byShop[sp.Product.ShopID] = append(byShop[sp.Product.ShopID], sp.Product)
		}
	}
	var vipID, agentID string
	for _, us := range ts.Users {
		switch us.Role {
		case "shopper":
			if vipID == "" {
				vipID = users[us.Email].ID
			}
		case "wholesale_agent":
			agentID = users[us.Email].ID
		}
	}
	var vip, wholesale *promo.CustomerGroup
	if vipID != "" {
		if vip, err = a.Promo.CreateGroup(ctx, admin, promo.GroupInput{Name: "供销通会员", Kind: promo.GroupVIP,
			Description: "付费会员，享会员价"}); err != nil {
			return fmt.Errorf("VIP group: %w", err)
		}
		if _, err := a.Promo.AddMember(ctx, admin, vip.ID, promo.MemberInput{UserID: vipID}); err != nil {
			return fmt.Errorf("VIP member: %w", err)
		}
	}
	if agentID != "" {
		if wholesale, err = a.Promo.CreateGroup(ctx, admin, promo.GroupInput{Name: "授权代理", Kind: promo.GroupWholesale,
			Description: "B2B 分销，享批发阶梯价"}); err != nil {
			return fmt.Errorf("wholesale group: %w", err)
		}
		if _, err := a.Promo.AddMember(ctx, admin, wholesale.ID, promo.MemberInput{UserID: agentID}); err != nil {
			return fmt.Errorf("wholesale member: %w", err)
		}
	}

	floor := t.Settings.Floor()
	atLeastFloor := func(k *catalog.SKU, pct int) int64 {
		list := max(k.ListPriceFen, k.PriceFen)
		low := (list*int64(floor) + 99) / 100
		return max(low, k.PriceFen*int64(pct)/100)
	}
	for _, ss := range ts.Shops {
		sh, err := a.Merchants.ShopBySlug(ctx, ss.Slug)
		if err != nil {
			continue // a pending application has no shop
		}
		ps := byShop[sh.ID]
		switch {
		case strings.HasSuffix(ss.Slug, "-veg"):
			set, err := a.Fulfil.ShopSettings(ctx, admin, sh.ID)
			if err != nil {
				return err
			}
			set.Express = fulfil.Express{Enabled: true, FeeFen: 600}
			set.Scheduled = fulfil.Scheduled{Enabled: true, FeeFen: 300, Days: 7}
			if _, err := a.Fulfil.SetSettings(ctx, admin, sh.ID, *set); err != nil {
				return fmt.Errorf("delivery of %s: %w", ss.Slug, err)
			}
			tomorrow := now.AddDate(0, 0, 1).Format("2006-01-02")
			for _, span := range [][2]string{{"09:00", "11:00"}, {"15:00", "17:00"}, {"18:00", "20:00"}} {
				if _, err := a.Fulfil.CreateSlots(ctx, admin, sh.ID, fulfil.SlotInput{Date: tomorrow, Start: span[0], End: span[1],
					Capacity: 20, Days: 7}); err != nil {
					return fmt.Errorf("slots of %s: %w", ss.Slug, err)
				}
			}
			if _, err := a.Promo.CreateCoupon(ctx, admin, sh.ID, promo.CouponInput{Code: ShopCoupon, Name: "满50减5",
				Window: window, MinSpendFen: 5000, AmountOffFen: 500}); err != nil {
				return fmt.Errorf("shop coupon: %w", err)
			}
		case strings.HasSuffix(ss.Slug, "-fruit") && len(ps) > 0:
			k := ps[0].SKUs[0]
			if _, err := a.Promo.CreateFlashSale(ctx, admin, sh.ID, promo.FlashSaleInput{SKUID: k.ID, Name: "限时特卖 " + ps[0].Name,
				Window: window, PriceFen: atLeastFloor(k, 85), QtyCap: 20, PerUserLimit: 2}); err != nil {
				return fmt.Errorf("flash sale: %w", err)
			}
		case strings.HasSuffix(ss.Slug, "-rice") || strings.HasSuffix(ss.Slug, "-grain"):
			var member, tiers []promo.PriceEntryInput
			for i, p := range ps {
				if i == 5 {
					break
				}
				k := p.SKUs[0]
				member = append(member, promo.PriceEntryInput{SKUID: k.ID, MinQty: 1, PriceFen: atLeastFloor(k, 95)})
				tiers = append(tiers, promo.PriceEntryInput{SKUID: k.ID, MinQty: 10, PriceFen: atLeastFloor(k, 90)},
					promo.PriceEntryInput{SKUID: k.ID, MinQty: 50, PriceFen: atLeastFloor(k, 85)})
			}
			if vip != nil && len(member) > 0 {
				if _, err := a.Promo.CreatePriceList(ctx, admin, sh.ID, promo.PriceListInput{GroupID: vip.ID, Name: "会员价", Entries: member}); err != nil {
					return fmt.Errorf("member prices of %s: %w", ss.Slug, err)
				}
			}
			if wholesale != nil && len(tiers) > 0 {
				if _, err := a.Promo.CreatePriceList(ctx, admin, sh.ID, promo.PriceListInput{GroupID: wholesale.ID, Name: "批发阶梯价", Entries: tiers}); err != nil {
					return fmt.Errorf("tier prices of %s: %w", ss.Slug, err)
				}
			}
		}
	}
	return nil
}

// loadBilling puts the pickup points on the franchise plan (the seed's
// 12,800 yuan a year, invoiced in the month the plan year starts: this
// one) and gives every shop with products the onboarding gift pack.
func loadBilling(ctx context.Context, a *app.App, t *tenants.Tenant, admin *identity.Principal, points []string, products []seededProduct) error {
	plans, err := a.Invoicing.Plans(ctx, admin)
	if err != nil {
		return fmt.Errorf("plans: %w", err)
	}
	franchise := ""
	for _, p := range plans {
		if p.Code == invoicing.PlanFranchise {
			franchise = p.ID
		}
	}
	start := invoicing.PeriodOf(time.Now(), t.Location()).FirstDay()
	for _, id := range points {
		if _, err := a.Invoicing.Assign(ctx, admin, invoicing.AssignInput{OwnerID: id, PlanID: franchise, StartsOn: start}); err != nil {
			return fmt.Errorf("franchise plan of pickup point %s: %w", id, err)
		}
	}
	flagship, err := a.Merchants.FlagshipShop(ctx)
	if err != nil {
		return err
	}
	granted := map[string]bool{flagship.ID: true}
	for _, sp := range products {
		if id := sp.Product.ShopID; !granted[id] {
			granted[id] = true
			if _, err := a.Invoicing.GrantOnboardingPack(ctx, admin, id); err != nil {
				return fmt.Errorf("gift pack of shop %s: %w", id, err)
			}
		}
	}
	return nil
}
