package promo

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"
)

// PriceQuery asks for the display price of a SKU at a quantity, given its
// catalog price and list price.
type PriceQuery struct {
	SKUID    string `json:"sku_id"`
	Qty      int    `json:"qty"`
	PriceFen int64  `json:"price_fen"`
	ListFen  int64  `json:"list_fen"`
}

// Price is the unit price a shopper sees and why ("member", "tier",
// "flash" or "" for the catalog price).
type Price struct {
	UnitFen int64  `json:"unit_fen"`
	Label   string `json:"label"`
	// FlashSaleID and EndsAt: the flash sale giving the price.
	FlashSaleID string     `json:"flash_sale_id,omitempty"`
	EndsAt      *time.Time `json:"ends_at,omitempty"`
}

// NormalizeCode folds a coupon code to its key: full-width characters
// become ASCII, letters upper case, surrounding space trimmed; so
// "vip-10", "VIP-10" and "ＶＩＰ－１０" are one code.
func NormalizeCode(s string) string { return strings.ToUpper(strings.TrimSpace(norm.NFKC.String(s))) }

// groupsOf returns the customer groups userID belongs to.
func groupsOf(ctx context.Context, idb bun.IDB, userID string) ([]string, error) {
	if userID == "" || !validID(userID) {
		return nil, nil
	}
	var ids []string
	if err := db.Select(ctx, idb, (*Member)(nil)).Column("gm.group_id").Where("gm.user_id = ?", userID).Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("read groups of user: %w", err)
	}
	return ids, nil
}

// entriesFor reads the member and tier prices of skus in the active
// price lists of groups.
func entriesFor(ctx context.Context, idb bun.IDB, groups, skus []string) ([]*PriceEntry, error) {
	var out []*PriceEntry
	if len(groups) == 0 || len(skus) == 0 {
		return out, nil
	}
	err := db.Select(ctx, idb, &out).
		Join("JOIN price_lists AS pl ON pl.tenant_id = pe.tenant_id AND pl.id = pe.price_list_id").
		Where("pl.active = ?", true).Where("pl.group_id IN (?)", bun.List(groups)).
		Where("pe.sku_id IN (?)", bun.List(skus)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("read price lists: %w", err)
	}
	return out, nil
}

// flashFor reads the flash sales of skus running at at, with what userID
// bought of each.
func flashFor(ctx context.Context, idb bun.IDB, skus []string, userID string, at time.Time) ([]*FlashSale, error) {
	var out []*FlashSale
	if len(skus) == 0 {
		return out, nil
	}
	err := db.Select(ctx, idb, &out).Where("fs.sku_id IN (?)", bun.List(skus)).Where("fs.active = ?", true).
		Where("fs.starts_at <= ?", at.UTC()).Where("fs.ends_at > ?", at.UTC()).Order("fs.price_fen", "fs.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("read flash sales: %w", err)
	}
	if userID == "" || !validID(userID) {
		return out, nil
	}
	for _, f := range out {
		if f.PerUserLimit == 0 {
			continue
		}
		if f.UserBought, err = flashBought(ctx, idb, f.ID, userID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func flashBought(ctx context.Context, idb bun.IDB, flashID, userID string) (int, error) {
	var n int
	err := db.Select(ctx, idb, (*flashUnits)(nil)).ColumnExpr("COALESCE(SUM(fu.qty), 0)").
		Where("fu.flash_sale_id = ?", flashID).Where("fu.user_id = ?", userID).Where("fu.released_at IS NULL").Scan(ctx, &n)
	if err != nil {
		return 0, fmt.Errorf("count flash units of user: %w", err)
	}
	return n, nil
}

func couponUses(ctx context.Context, idb bun.IDB, couponID, userID string) (int, error) {
	n, err := db.Select(ctx, idb, (*redemption)(nil)).Where("rd.coupon_id = ?", couponID).
		Where("rd.user_id = ?", userID).Where("rd.released_at IS NULL").Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count coupon uses of user: %w", err)
	}
	return int(n), nil
}

// Price prices basket b for the shopper b.UserID at b.At (zero: now): see
// Compute for the order of the discounts and the floor. It reads only.
//
// Returns Invalid with field errors for a bad basket and for coupons
// ("coupons.{i}", saying why: unknown — also another tenant's code —,
// disabled, expired, not yet valid, used up, per-user limit reached,
// minimum spend not met and by how much, or not combinable); Conflict
// with "lines.{i}.qty" and the units left when a flash sale cannot cover
// a line.
func (s *Service) Price(ctx context.Context, idb bun.IDB, b Basket) (*Result, error) {
	t := tenants.MustFromContext(ctx)
	if b.At.IsZero() {
		b.At = s.now()
	}
	locale := i18n.FromContext(ctx)
	if err := checkBasket(b, len(b.Coupons)); err != nil {
		return nil, err
	}
	var skus, shops []string
	seenSKU, seenShop := map[string]bool{}, map[string]bool{}
	var fe core.FieldErrors
	for i, l := range b.Lines {
		if !validID(l.SKUID) {
			fe.Add("lines."+strconv.Itoa(i)+".sku_id", "field.invalid")
		} else if !seenSKU[l.SKUID] {
			seenSKU[l.SKUID] = true
			skus = append(skus, l.SKUID)
		}
		if !validID(l.ShopID) {
			fe.Add("lines."+strconv.Itoa(i)+".shop_id", "field.invalid")
		} else if !seenShop[l.ShopID] {
			seenShop[l.ShopID] = true
			shops = append(shops, l.ShopID)
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	r := Rules{Floor: floorAt(t, b.At), Locale: locale}
	groups, err := groupsOf(ctx, idb, b.UserID)
	if err != nil {
		return nil, err
	}
	if r.Entries, err = entriesFor(ctx, idb, groups, skus); err != nil {
		return nil, err
	}
	if r.Flash, err = flashFor(ctx, idb, skus, b.UserID, b.At); err != nil {
		return nil, err
	}
	at := b.At.UTC()
	err = db.Select(ctx, idb, &r.Promotions).Where("pr.active = ?", true).
		Where("pr.starts_at <= ?", at).Where("pr.ends_at > ?", at).
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("pr.shop_id IN (?)", bun.List(shops)).WhereOr("pr.shop_id IS NULL")
		}).Order("pr.created_at", "pr.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("read promotions: %w", err)
	}
	if r.Coupons, err = s.coupons(ctx, idb, b, locale); err != nil {
		return nil, err
	}
	return Compute(b, r)
}

// coupons loads the coupons of b.Coupons and checks that each is known,
// enabled, valid at b.At, not used up, and within the shopper's limit.
func (s *Service) coupons(ctx context.Context, idb bun.IDB, b Basket, locale string) ([]*Coupon, error) {
	out := make([]*Coupon, len(b.Coupons))
	var fe core.FieldErrors
	for i, code := range b.Coupons {
		f := "coupons." + strconv.Itoa(i)
		key := NormalizeCode(code)
		c := new(Coupon)
		if key == "" {
			fe.Add(f, "promo.field.coupon_unknown")
			continue
		}
		if err := db.Select(ctx, idb, c).Where("cp.code_key = ?", key).Scan(ctx); err != nil {
			if err = db.NotFound(err, errNotFound); core.IsNotFound(err) {
				fe.Add(f, "promo.field.coupon_unknown")
				continue
			}
			return nil, fmt.Errorf("read coupon: %w", err)
		}
		switch {
		case !c.Active:
			fe.Add(f, "promo.field.coupon_disabled")
		case b.At.Before(c.StartsAt):
			fe.Add(f, i18n.T(locale, "promo.field.coupon_not_yet", c.StartsAt.In(tenants.MustFromContext(ctx).Location()).Format("2006-01-02 15:04")))
		case !b.At.Before(c.EndsAt):
			fe.Add(f, "promo.field.coupon_expired")
		case c.TotalLimit > 0 && c.UsedCount >= c.TotalLimit:
			fe.Add(f, "promo.field.coupon_used_up")
		}
		if _, bad := fe[f]; bad {
			continue
		}
		if c.PerUserLimit > 0 && b.UserID != "" {
			n, err := couponUses(ctx, idb, c.ID, b.UserID)
			if err != nil {
				return nil, err
			}
			if n >= c.PerUserLimit {
				fe.Add(f, "promo.field.coupon_user_limit")
				continue
			}
		}
		out[i] = c
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Prices returns the unit price userID ("" for an anonymous shopper) sees
// for each queried SKU, keyed by SKU id: the lowest of the catalog price,
// the shopper's member price, a tier price for the quantity and a running
// flash sale's price with units left for the quantity, never below the
// discount floor (unless the catalog price is). Anonymous shoppers get the
// catalog or the flash price. Bad queries (unknown ids, quantities outside
// 1–9999, negative prices) are left at their catalog price.
func (s *Service) Prices(ctx context.Context, idb bun.IDB, userID string, q []PriceQuery) (map[string]Price, error) {
	t := tenants.MustFromContext(ctx)
	now := s.now()
	out := make(map[string]Price, len(q))
	var skus []string
	for _, x := range q {
		if validID(x.SKUID) {
			skus = append(skus, x.SKUID)
		}
	}
	groups, err := groupsOf(ctx, idb, userID)
	if err != nil {
		return nil, err
	}
	entries, err := entriesFor(ctx, idb, groups, skus)
	if err != nil {
		return nil, err
	}
	flash, err := flashFor(ctx, idb, skus, userID, now)
	if err != nil {
		return nil, err
	}
	floor := floorAt(t, now)
	for _, x := range q {
		p := Price{UnitFen: x.PriceFen}
		if x.Qty < 1 || x.Qty > MaxQty || x.PriceFen < 0 || x.PriceFen > MaxFen || x.ListFen < 0 || x.ListFen > MaxFen {
			out[x.SKUID] = p
			continue
		}
		low := min(x.PriceFen, floorUnit(max(x.ListFen, x.PriceFen), floor))
		for _, e := range entries {
			if e.SKUID == x.SKUID && e.MinQty <= x.Qty && max(e.PriceFen, low) < p.UnitFen {
				p = Price{UnitFen: max(e.PriceFen, low), Label: e.Label()}
			}
		}
		for _, f := range flash {
			n := f.Left()
			if f.PerUserLimit > 0 && userID != "" {
				n = min(n, f.PerUserLimit-f.UserBought)
			}
			if f.SKUID == x.SKUID && n >= x.Qty && max(f.PriceFen, low) < p.UnitFen {
				ends := f.EndsAt
				p = Price{UnitFen: max(f.PriceFen, low), Label: LabelFlash, FlashSaleID: f.ID, EndsAt: &ends}
			}
		}
		out[x.SKUID] = p
	}
	return out, nil
}

// Redeem records, for checkout owner, one use of every coupon r applied
// and the flash-sale units of its lines, inside the caller's transaction
// (r must come from Price in that transaction: validity windows are
// checked there, the caps here).
// Each count is a conditional UPDATE, so racing checkouts cannot exceed a
// coupon's total limit or a flash sale's cap; per-user limits are checked
// after the row is locked.
//
// Returns Conflict with field "coupons" when a coupon is used up or
// disabled meanwhile, or the shopper reached its per-user limit; Conflict
// with "lines.{i}.qty" and the units left when a flash sale cannot cover
// a line; Invalid without an owner, or without a shopper where a per-user
// limit applies. The caller rolls back on error.
func (s *Service) Redeem(ctx context.Context, tx bun.IDB, r *Result, userID, owner string) error {
	owner = strings.TrimSpace(owner)
	if owner == "" || len(owner) > 200 {
		var fe core.FieldErrors
		fe.Add("owner", "field.required")
		return fe.Err()
	}
	locale := i18n.FromContext(ctx)
	var uid *string
	if userID != "" {
		if !validID(userID) {
			var fe core.FieldErrors
			fe.Add("user_id", "field.invalid")
			return fe.Err()
		}
		uid = &userID
	}
	now := time.Now().UTC()
	tid := db.TenantID(ctx)
	amounts := map[string]int64{}
	for _, l := range r.Lines {
		for _, a := range l.Allocations {
			if a.CouponID != "" {
				amounts[a.CouponID] += a.AmountFen
			}
		}
	}
	for _, id := range r.CouponIDs {
		res, err := db.Update(ctx, tx, (*Coupon)(nil)).Set("used_count = used_count + 1").Set("updated_at = ?", now).
			Where("cp.id = ?", id).Where("cp.active = ?", true).
			Where("(cp.total_limit = 0 OR cp.used_count < cp.total_limit)").Exec(ctx)
		if err != nil {
			return fmt.Errorf("count coupon %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return &core.Error{Code: core.Conflict, Message: "promo.error.coupon_gone", Fields: map[string]string{"coupons": "promo.field.coupon_used_up"}}
		}
		c := new(Coupon)
		if err := db.Select(ctx, tx, c).Where("cp.id = ?", id).Scan(ctx); err != nil {
			return fmt.Errorf("read coupon %s: %w", id, err)
		}
		if c.PerUserLimit > 0 {
			if uid == nil {
				var fe core.FieldErrors
				fe.Add("user_id", "field.required")
				return fe.Err()
			}
			n, err := couponUses(ctx, tx, id, userID)
			if err != nil {
				return err
			}
			if n >= c.PerUserLimit {
				return &core.Error{Code: core.Conflict, Message: "promo.error.coupon_gone", Fields: map[string]string{"coupons": "promo.field.coupon_user_limit"}}
			}
		}
		rd := &redemption{TenantID: tid, ID: tenants.NewID(), CouponID: id, UserID: uid, Owner: owner, AmountFen: amounts[id], CreatedAt: now}
		if _, err := tx.NewInsert().Model(rd).Exec(ctx); err != nil {
			return fmt.Errorf("record coupon use: %w", err)
		}
	}
	for i, l := range r.Lines {
		if l.FlashSaleID == "" {
			continue
		}
		f := "lines." + strconv.Itoa(i) + ".qty"
		res, err := db.Update(ctx, tx, (*FlashSale)(nil)).Set("sold = sold + ?", l.Qty).Set("updated_at = ?", now).
			Where("fs.id = ?", l.FlashSaleID).Where("fs.sold + ? <= fs.qty_cap", l.Qty).Exec(ctx)
		if err != nil {
			return fmt.Errorf("count flash sale %s: %w", l.FlashSaleID, err)
		}
		fs := new(FlashSale)
		if err := db.Select(ctx, tx, fs).Where("fs.id = ?", l.FlashSaleID).Scan(ctx); err != nil {
			return fmt.Errorf("read flash sale %s: %w", l.FlashSaleID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return &core.Error{Code: core.Conflict, Message: "promo.error.flash_short",
				Fields: map[string]string{f: i18n.T(locale, "promo.field.flash_left", fs.Left())}}
		}
		if fs.PerUserLimit > 0 {
			if uid == nil {
				var fe core.FieldErrors
				fe.Add("user_id", "field.required")
				return fe.Err()
			}
			n, err := flashBought(ctx, tx, fs.ID, userID)
			if err != nil {
				return err
			}
			if n+l.Qty > fs.PerUserLimit {
				return &core.Error{Code: core.Conflict, Message: "promo.error.flash_short",
					Fields: map[string]string{f: i18n.T(locale, "promo.field.flash_left", max(0, fs.PerUserLimit-n))}}
			}
		}
		u := &flashUnits{TenantID: tid, ID: tenants.NewID(), FlashSaleID: fs.ID, UserID: uid, Owner: owner, Qty: l.Qty, CreatedAt: now}
		if _, err := tx.NewInsert().Model(u).Exec(ctx); err != nil {
			return fmt.Errorf("record flash units: %w", err)
		}
	}
	return nil
}

// Unredeem gives back what Redeem recorded for owner (the order was
// cancelled): coupon uses and flash-sale units. A second call does
// nothing.
func (s *Service) Unredeem(ctx context.Context, tx bun.IDB, owner string) error {
	now := time.Now().UTC()
	var rds []redemption
	if err := db.Select(ctx, tx, &rds).Where("rd.owner = ?", owner).Where("rd.released_at IS NULL").Scan(ctx); err != nil {
		return fmt.Errorf("read coupon uses of %s: %w", owner, err)
	}
	for _, rd := range rds {
		res, err := db.Update(ctx, tx, (*redemption)(nil)).Set("released_at = ?", now).
			Where("rd.id = ?", rd.ID).Where("rd.released_at IS NULL").Exec(ctx)
		if err != nil {
			return fmt.Errorf("release coupon use: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			continue
		}
		if _, err := db.Update(ctx, tx, (*Coupon)(nil)).Set("used_count = used_count - 1").Set("updated_at = ?", now).
			Where("cp.id = ?", rd.CouponID).Where("cp.used_count > 0").Exec(ctx); err != nil {
			return fmt.Errorf("give back coupon use: %w", err)
		}
	}
	var us []flashUnits
	if err := db.Select(ctx, tx, &us).Where("fu.owner = ?", owner).Where("fu.released_at IS NULL").Scan(ctx); err != nil {
		return fmt.Errorf("read flash units of %s: %w", owner, err)
	}
	for _, u := range us {
		res, err := db.Update(ctx, tx, (*flashUnits)(nil)).Set("released_at = ?", now).
			Where("fu.id = ?", u.ID).Where("fu.released_at IS NULL").Exec(ctx)
		if err != nil {
			return fmt.Errorf("release flash units: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			continue
		}
		if _, err := db.Update(ctx, tx, (*FlashSale)(nil)).Set("sold = sold - ?", u.Qty).Set("updated_at = ?", now).
			Where("fs.id = ?", u.FlashSaleID).Where("fs.sold >= ?", u.Qty).Exec(ctx); err != nil {
			return fmt.Errorf("give back flash units: %w", err)
		}
	}
	return nil
}
