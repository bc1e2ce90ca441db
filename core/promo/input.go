package promo

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/validate"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Input limits.
const (
	NameMax          = 40
	DescriptionMax   = 200
	MaxTiers         = 5
	MaxEntries       = 500
	MaxPerUserLimit  = 9999
	MaxTotalLimit    = 1_000_000
	MaxFlashCap      = 1_000_000
	MaxPromotionDays = 366
)

// Window is when a promotion, coupon or flash sale runs: [starts_at,
// ends_at), RFC 3339 times ("2026-11-11T00:00:00+08:00").
type Window struct {
	StartsAt string `json:"starts_at"`
	EndsAt   string `json:"ends_at"`
}

// check parses the window into start and end.
func (w Window) check(fe *core.FieldErrors) (start, end time.Time) {
	parse := func(field, s string) time.Time {
		s = strings.TrimSpace(s)
		if s == "" {
			fe.Add(field, "field.required")
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			fe.Add(field, "promo.field.time_invalid")
			return time.Time{}
		}
		return t.UTC()
	}
	start, end = parse("starts_at", w.StartsAt), parse("ends_at", w.EndsAt)
	if !start.IsZero() && !end.IsZero() {
		switch {
		case !end.After(start):
			fe.Add("ends_at", "promo.field.ends_before_starts")
		case end.Sub(start) > MaxPromotionDays*24*time.Hour:
			fe.Add("ends_at", "promo.field.window_too_long")
		}
	}
	return start, end
}

// fen checks that v is an amount in [lo, MaxFen].
func fen(fe *core.FieldErrors, field string, v, lo int64) {
	if v < lo || v > MaxFen {
		key := "promo.field.amount_range"
		if lo > 0 {
			key = "promo.field.amount_positive"
		}
		fe.Add(field, key)
	}
}

// optional trims an optional id.
func optional(fe *core.FieldErrors, field, id string) string {
	id = strings.TrimSpace(id)
	if id != "" && !validID(id) {
		fe.Add(field, "field.invalid")
	}
	return id
}

// shopSKU reads SKU id of shop shopID; nil when it is not one.
func shopSKU(ctx context.Context, tx bun.IDB, id, shopID string) (*sku, error) {
	if !validID(id) {
		return nil, nil
	}
	k := new(sku)
	err := db.Select(ctx, tx, k).Where("k.id = ?", id).Where("k.shop_id = ?", shopID).Scan(ctx)
	if err = db.NotFound(err, errNotFound); err != nil {
		if core.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("read sku: %w", err)
	}
	return k, nil
}

// priceFloor records a field error when priceFen is below the floor for
// k's list price, naming the lowest allowed price in yuan.
func priceFloor(ctx context.Context, fe *core.FieldErrors, field string, k *sku, priceFen int64, floor int) {
	if low := floorUnit(k.list(), floor); floor > 0 && priceFen < low {
		fe.Add(field, i18n.T(i18n.FromContext(ctx), "promo.field.price_floor", floor, Yuan(low)))
	}
}

// PromotionInput describes a promotion. Kind threshold takes Tiers (满减:
// at least MinFen spent, OffFen off; up to 5, both increasing); addon
// takes ThresholdFen, SKUID and PriceFen (满X换购: one unit of the SKU at
// PriceFen once ThresholdFen is spent; exempt from the discount floor);
// free_shipping takes ThresholdFen (满X包邮) or ProductID (单品包邮). The
// tenant's promotions are thresholds only.
type PromotionInput struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	Window
	// Active defaults to true.
	Active       *bool  `json:"active"`
	Tiers        []Tier `json:"tiers"`
	ThresholdFen int64  `json:"threshold_fen"`
	SKUID        string `json:"sku_id"`
	PriceFen     int64  `json:"price_fen"`
	ProductID    string `json:"product_id"`
}

// checkPromotion validates in for shop shopID ("" for the tenant) and
// returns the promotion's fields.
func checkPromotion(ctx context.Context, tx bun.IDB, in PromotionInput, shopID string) (*Promotion, error) {
	var fe core.FieldErrors
	t := tenants.MustFromContext(ctx)
	locale := i18n.FromContext(ctx)
	p := &Promotion{Kind: strings.TrimSpace(in.Kind), Active: in.Active == nil || *in.Active, Tiers: []Tier{}}
	p.Name = validate.Text(&fe, "name", in.Name, 1, NameMax)
	p.StartsAt, p.EndsAt = in.Window.check(&fe)
	floor := floorFor(t, p.StartsAt, p.EndsAt)
	switch p.Kind {
	case KindThreshold, KindAddon, KindFreeShipping:
		if shopID == "" && p.Kind != KindThreshold {
			fe.Add("kind", "promo.field.kind_tenant")
		}
	default:
		fe.Add("kind", "promo.field.kind_invalid")
	}
	skuID := optional(&fe, "sku_id", in.SKUID)
	productID := optional(&fe, "product_id", in.ProductID)
	switch p.Kind {
	case KindThreshold:
		if len(in.Tiers) == 0 || len(in.Tiers) > MaxTiers {
			fe.Add("tiers", "promo.field.tiers_count")
		}
		for i, x := range in.Tiers {
			f := "tiers." + strconv.Itoa(i) + "."
			fen(&fe, f+"min_fen", x.MinFen, 1)
			fen(&fe, f+"off_fen", x.OffFen, 1)
			switch {
			case fe[f+"min_fen"] != "" || fe[f+"off_fen"] != "":
			case x.OffFen >= x.MinFen:
				fe.Add(f+"off_fen", "promo.field.off_below_min")
			case i > 0 && (x.MinFen <= in.Tiers[i-1].MinFen || x.OffFen <= in.Tiers[i-1].OffFen):
				fe.Add(f+"min_fen", "promo.field.tiers_order")
			case floor > 0 && x.OffFen*100 > x.MinFen*int64(100-floor):
				fe.Add(f+"off_fen", i18n.T(locale, "promo.field.tier_floor", floor, Yuan(x.MinFen), Yuan(x.MinFen*int64(100-floor)/100)))
			}
			p.Tiers = append(p.Tiers, x)
		}
	case KindAddon:
		fen(&fe, "threshold_fen", in.ThresholdFen, 1)
		fen(&fe, "price_fen", in.PriceFen, 0)
		p.ThresholdFen, p.PriceFen = in.ThresholdFen, in.PriceFen
		if skuID == "" {
			fe.Add("sku_id", "field.required")
		} else if fe["sku_id"] == "" {
			k, err := shopSKU(ctx, tx, skuID, shopID)
			if err != nil {
				return nil, err
			}
			switch {
			case k == nil:
				fe.Add("sku_id", "promo.field.sku_invalid")
			case fe["price_fen"] == "" && in.PriceFen >= k.PriceFen:
				fe.Add("price_fen", i18n.T(locale, "promo.field.addon_price", Yuan(k.PriceFen)))
			}
			p.SKUID = &skuID
		}
	case KindFreeShipping:
		switch {
		case productID != "" && in.ThresholdFen != 0:
			fe.Add("product_id", "promo.field.product_or_threshold")
		case productID != "":
			if fe["product_id"] == "" {
				n, err := db.Select(ctx, tx, (*product)(nil)).Where("p.id = ?", productID).Where("p.shop_id = ?", shopID).Count(ctx)
				if err != nil {
					return nil, fmt.Errorf("read product: %w", err)
				}
				if n == 0 {
					fe.Add("product_id", "promo.field.product_invalid")
				}
			}
			p.ProductID = &productID
		default:
			fen(&fe, "threshold_fen", in.ThresholdFen, 1)
			p.ThresholdFen = in.ThresholdFen
		}
	}
	if shopID != "" {
		p.ShopID = &shopID
	}
	return p, fe.Err()
}

var codeRE = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]{2,31}$`)

// CouponInput describes a coupon: a code unique in the tenant whatever its
// case; AmountOffFen, or PercentOff (1–99) with an optional cap MaxOffFen;
// the spend in its scope it needs (MinSpendFen); limits per shopper and
// in all (0: none).
type CouponInput struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Window
	Active       *bool `json:"active"`
	MinSpendFen  int64 `json:"min_spend_fen"`
	AmountOffFen int64 `json:"amount_off_fen"`
	PercentOff   int   `json:"percent_off"`
	MaxOffFen    int64 `json:"max_off_fen"`
	PerUserLimit int   `json:"per_user_limit"`
	TotalLimit   int   `json:"total_limit"`
}

// checkCoupon validates in; self is the coupon being updated (nil on
// create).
func checkCoupon(ctx context.Context, tx bun.IDB, in CouponInput, shopID string, self *Coupon) (*Coupon, error) {
	var fe core.FieldErrors
	t := tenants.MustFromContext(ctx)
	locale := i18n.FromContext(ctx)
	c := &Coupon{Active: in.Active == nil || *in.Active}
	c.Code = NormalizeCode(in.Code)
	c.CodeKey = c.Code
	switch {
	case c.Code == "":
		fe.Add("code", "field.required")
	case !codeRE.MatchString(c.Code):
		fe.Add("code", "promo.field.code_invalid")
	}
	c.Name = validate.Text(&fe, "name", in.Name, 1, NameMax)
	c.StartsAt, c.EndsAt = in.Window.check(&fe)
	fen(&fe, "min_spend_fen", in.MinSpendFen, 0)
	c.MinSpendFen = in.MinSpendFen
	switch {
	case in.AmountOffFen != 0 && in.PercentOff != 0, in.AmountOffFen == 0 && in.PercentOff == 0:
		fe.Add("amount_off_fen", "promo.field.amount_or_percent")
	case in.AmountOffFen != 0:
		fen(&fe, "amount_off_fen", in.AmountOffFen, 1)
		if in.MaxOffFen != 0 {
			fe.Add("max_off_fen", "promo.field.cap_percent_only")
		}
	default:
		if in.PercentOff < 1 || in.PercentOff > 99 {
			fe.Add("percent_off", "promo.field.percent_range")
		}
		fen(&fe, "max_off_fen", in.MaxOffFen, 0)
	}
	c.AmountOffFen, c.PercentOff, c.MaxOffFen = in.AmountOffFen, in.PercentOff, in.MaxOffFen
	if floor := floorFor(t, c.StartsAt, c.EndsAt); floor > 0 {
		if fe["amount_off_fen"] == "" && fe["min_spend_fen"] == "" && c.AmountOffFen*100 > c.MinSpendFen*int64(100-floor) {
			fe.Add("amount_off_fen", i18n.T(locale, "promo.field.coupon_floor", floor, Yuan(c.MinSpendFen), Yuan(c.MinSpendFen*int64(100-floor)/100)))
		}
		if fe["percent_off"] == "" && c.PercentOff > 100-floor {
			fe.Add("percent_off", i18n.T(locale, "promo.field.percent_floor", floor, 100-floor))
		}
	}
	if in.PerUserLimit < 0 || in.PerUserLimit > MaxPerUserLimit {
		fe.Add("per_user_limit", "promo.field.per_user_range")
	}
	if in.TotalLimit < 0 || in.TotalLimit > MaxTotalLimit {
		fe.Add("total_limit", "promo.field.total_range")
	} else if self != nil && in.TotalLimit > 0 && in.TotalLimit < self.UsedCount {
		fe.Add("total_limit", i18n.T(locale, "promo.field.total_below_used", self.UsedCount))
	}
	c.PerUserLimit, c.TotalLimit = in.PerUserLimit, in.TotalLimit
	if fe["code"] == "" {
		q := db.Select(ctx, tx, (*Coupon)(nil)).Where("cp.code_key = ?", c.CodeKey)
		if self != nil {
			q = q.Where("cp.id <> ?", self.ID)
		}
		taken, err := q.Exists(ctx)
		if err != nil {
			return nil, fmt.Errorf("look up coupon code: %w", err)
		}
		if taken {
			fe.Add("code", "promo.field.code_taken")
		}
	}
	if shopID != "" {
		c.ShopID = &shopID
	}
	return c, fe.Err()
}

// FlashSaleInput describes a flash sale of one of the shop's SKUs.
type FlashSaleInput struct {
	SKUID string `json:"sku_id"`
	Name  string `json:"name"`
	Window
	Active       *bool `json:"active"`
	PriceFen     int64 `json:"price_fen"`
	QtyCap       int   `json:"qty_cap"`
	PerUserLimit int   `json:"per_user_limit"`
}

func checkFlashSale(ctx context.Context, tx bun.IDB, in FlashSaleInput, shopID string, self *FlashSale) (*FlashSale, error) {
	var fe core.FieldErrors
	t := tenants.MustFromContext(ctx)
	locale := i18n.FromContext(ctx)
	f := &FlashSale{ShopID: shopID, Active: in.Active == nil || *in.Active}
	f.Name = validate.Text(&fe, "name", in.Name, 1, NameMax)
	f.StartsAt, f.EndsAt = in.Window.check(&fe)
	fen(&fe, "price_fen", in.PriceFen, 1)
	f.PriceFen = in.PriceFen
	if in.QtyCap < 1 || in.QtyCap > MaxFlashCap {
		fe.Add("qty_cap", "promo.field.cap_range")
	} else if self != nil && in.QtyCap < self.Sold {
		fe.Add("qty_cap", i18n.T(locale, "promo.field.cap_below_sold", self.Sold))
	}
	f.QtyCap = in.QtyCap
	if in.PerUserLimit < 0 || in.PerUserLimit > MaxPerUserLimit {
		fe.Add("per_user_limit", "promo.field.per_user_range")
	}
	f.PerUserLimit = in.PerUserLimit
	f.SKUID = strings.TrimSpace(in.SKUID)
	if f.SKUID == "" {
		fe.Add("sku_id", "field.required")
	} else {
		k, err := shopSKU(ctx, tx, f.SKUID, shopID)
		if err != nil {
			return nil, err
		}
		switch {
		case k == nil:
			fe.Add("sku_id", "promo.field.sku_invalid")
		case fe["price_fen"] != "":
		case f.PriceFen >= k.PriceFen:
			fe.Add("price_fen", i18n.T(locale, "promo.field.flash_not_lower", Yuan(k.PriceFen)))
		default:
			priceFloor(ctx, &fe, "price_fen", k, f.PriceFen, floorFor(t, f.StartsAt, f.EndsAt))
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if f.Active {
		q := db.Select(ctx, tx, (*FlashSale)(nil)).Where("fs.sku_id = ?", f.SKUID).Where("fs.active = ?", true).
			Where("fs.starts_at < ?", f.EndsAt).Where("fs.ends_at > ?", f.StartsAt)
		if self != nil {
			q = q.Where("fs.id <> ?", self.ID)
		}
		overlap, err := q.Exists(ctx)
		if err != nil {
			return nil, fmt.Errorf("look up flash sales: %w", err)
		}
		if overlap {
			fe.Add("starts_at", "promo.field.flash_overlap")
		}
	}
	return f, fe.Err()
}

// PriceListInput describes a shop's prices for a customer group: member
// prices (MinQty 1 or 0) and, for a wholesale group, tier prices from a
// minimum quantity. Update replaces the entries.
type PriceListInput struct {
	GroupID string            `json:"group_id"`
	Name    string            `json:"name"`
	Active  *bool             `json:"active"`
	Entries []PriceEntryInput `json:"entries"`
}

// PriceEntryInput is one price of a PriceListInput.
type PriceEntryInput struct {
	SKUID    string `json:"sku_id"`
	MinQty   int    `json:"min_qty"`
	PriceFen int64  `json:"price_fen"`
}

func checkPriceList(ctx context.Context, tx bun.IDB, in PriceListInput, shopID string, self *PriceList) (*PriceList, error) {
	var fe core.FieldErrors
	t := tenants.MustFromContext(ctx)
	pl := &PriceList{ShopID: shopID, Active: in.Active == nil || *in.Active, Entries: []*PriceEntry{}}
	pl.Name = validate.Text(&fe, "name", in.Name, 1, NameMax)
	pl.GroupID = strings.TrimSpace(in.GroupID)
	var g *CustomerGroup
	if pl.GroupID == "" {
		fe.Add("group_id", "field.required")
	} else {
		var err error
		if g, err = loadGroup(ctx, tx, pl.GroupID); core.IsNotFound(err) {
			fe.Add("group_id", "promo.field.group_invalid")
		} else if err != nil {
			return nil, err
		} else {
			q := db.Select(ctx, tx, (*PriceList)(nil)).Where("pl.shop_id = ?", shopID).Where("pl.group_id = ?", pl.GroupID)
			if self != nil {
				q = q.Where("pl.id <> ?", self.ID)
			}
			taken, err := q.Exists(ctx)
			if err != nil {
				return nil, fmt.Errorf("look up price lists: %w", err)
			}
			if taken {
				fe.Add("group_id", "promo.field.group_has_list")
			}
		}
	}
	if len(in.Entries) > MaxEntries {
		fe.Add("entries", "promo.field.entries_count")
		return nil, fe.Err()
	}
	floor := t.Settings.Floor()
	seen := map[string]bool{}
	skus := map[string]*sku{}
	for i, x := range in.Entries {
		f := "entries." + strconv.Itoa(i) + "."
		e := &PriceEntry{SKUID: strings.TrimSpace(x.SKUID), MinQty: max(x.MinQty, 1), PriceFen: x.PriceFen}
		if x.MinQty < 0 || x.MinQty > MaxQty {
			fe.Add(f+"min_qty", "promo.field.qty_range")
		} else if e.MinQty > 1 && g != nil && g.Kind != GroupWholesale {
			fe.Add(f+"min_qty", "promo.field.tier_wholesale")
		}
		fen(&fe, f+"price_fen", x.PriceFen, 1)
		k, ok := skus[e.SKUID]
		if !ok {
			var err error
			if k, err = shopSKU(ctx, tx, e.SKUID, shopID); err != nil {
				return nil, err
			}
			skus[e.SKUID] = k
		}
		switch {
		case k == nil:
			fe.Add(f+"sku_id", "promo.field.sku_invalid")
		case seen[e.SKUID+"/"+strconv.Itoa(e.MinQty)]:
			fe.Add(f+"min_qty", "promo.field.entry_duplicate")
		case fe[f+"price_fen"] == "":
			priceFloor(ctx, &fe, f+"price_fen", k, e.PriceFen, floor)
		}
		seen[e.SKUID+"/"+strconv.Itoa(e.MinQty)] = true
		pl.Entries = append(pl.Entries, e)
	}
	return pl, fe.Err()
}

// GroupInput describes a customer group.
type GroupInput struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"` // vip, wholesale or other
	Description string `json:"description"`
}

func checkGroup(ctx context.Context, tx bun.IDB, in GroupInput, self *CustomerGroup) (*CustomerGroup, error) {
	var fe core.FieldErrors
	g := &CustomerGroup{Kind: strings.TrimSpace(in.Kind)}
	g.Name = validate.Text(&fe, "name", in.Name, 1, NameMax)
	g.Description = validate.Text(&fe, "description", in.Description, 0, DescriptionMax)
	switch g.Kind {
	case GroupVIP, GroupWholesale, GroupOther:
	default:
		fe.Add("kind", "promo.field.group_kind")
	}
	if fe["name"] == "" {
		q := db.Select(ctx, tx, (*CustomerGroup)(nil)).Where("cg.name = ?", g.Name)
		if self != nil {
			q = q.Where("cg.id <> ?", self.ID)
		}
		taken, err := q.Exists(ctx)
		if err != nil {
			return nil, fmt.Errorf("look up group name: %w", err)
		}
		if taken {
			fe.Add("name", "promo.field.name_taken")
		}
	}
	return g, fe.Err()
}
