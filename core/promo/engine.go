package promo

import (
	"math/bits"
	"slices"
	"strconv"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/i18n"
)

// Line is one line of a basket, as the caller (the cart, checkout) read it
// from the catalog.
type Line struct {
	Key        string `json:"key"` // the caller's id of the line
	ShopID     string `json:"shop_id"`
	ProductID  string `json:"product_id"`
	SKUID      string `json:"sku_id"`
	CategoryID string `json:"category_id"`
	Qty        int    `json:"qty"`
	// UnitFen is the SKU's catalog price, ListFen its list price (0: the
	// catalog price); the discount floor is a share of the list price.
	UnitFen int64 `json:"unit_fen"`
	ListFen int64 `json:"list_fen"`
}

// Basket is what Price prices.
type Basket struct {
	UserID      string           `json:"user_id"` // "" for an anonymous shopper
	Lines       []Line           `json:"lines"`
	Coupons     []string         `json:"coupons"`      // codes the shopper entered
	ShippingFen map[string]int64 `json:"shipping_fen"` // per shop, from fulfil
	At          time.Time        `json:"at"`           // zero: now
}

// Allocation is the part of one discount that falls on one line.
type Allocation struct {
	PromotionID string `json:"promotion_id,omitempty"`
	CouponID    string `json:"coupon_id,omitempty"`
	Kind        string `json:"kind"` // threshold, addon or coupon
	Label       string `json:"label"`
	AmountFen   int64  `json:"amount_fen"`
	FundedBy    string `json:"funded_by"` // shop or platform
}

// Applied is a discount as a whole (in a ShopResult: the shop's share),
// for display; shipping discounts have Kind free_shipping.
type Applied struct {
	PromotionID string `json:"promotion_id,omitempty"`
	CouponID    string `json:"coupon_id,omitempty"`
	Kind        string `json:"kind"`
	Label       string `json:"label"`
	AmountFen   int64  `json:"amount_fen"`
	FundedBy    string `json:"funded_by"`
}

// Offer is a promotion the shop's lines qualify for or come close to:
// a 满X换购 add-on that may be added, the next 满减 tier, or free
// shipping, with how much more to spend (差X元).
type Offer struct {
	Kind         string `json:"kind"` // addon, threshold or free_shipping
	PromotionID  string `json:"promotion_id"`
	Label        string `json:"label"`
	SKUID        string `json:"sku_id,omitempty"`    // addon: the SKU offered
	PriceFen     int64  `json:"price_fen,omitempty"` // addon: its price
	ThresholdFen int64  `json:"threshold_fen"`
	OffFen       int64  `json:"off_fen,omitempty"` // threshold: the tier's discount
	ShortFen     int64  `json:"short_fen"`         // how much more to spend; 0 when Qualified
	Qualified    bool   `json:"qualified"`
}

// LineResult is one priced line.
type LineResult struct {
	Key         string       `json:"key"`
	SKUID       string       `json:"sku_id"`
	Qty         int          `json:"qty"`
	UnitFen     int64        `json:"unit_fen"`                // after member, tier or flash price
	PriceLabel  string       `json:"price_label"`             // member, tier, flash or ""
	FlashSaleID string       `json:"flash_sale_id,omitempty"` // when PriceLabel is flash
	SubtotalFen int64        `json:"subtotal_fen"`            // UnitFen × Qty
	DiscountFen int64        `json:"discount_fen"`            // sum of Allocations
	Allocations []Allocation `json:"allocations"`
	TotalFen    int64        `json:"total_fen"` // SubtotalFen − DiscountFen
	// Addon marks a 满X换购 line: exempt from the discount floor and from
	// later discounts.
	Addon bool `json:"addon,omitempty"`
}

// ShopResult sums a shop's lines.
type ShopResult struct {
	ShopID              string    `json:"shop_id"`
	SubtotalFen         int64     `json:"subtotal_fen"`
	DiscountFen         int64     `json:"discount_fen"`
	ShippingFen         int64     `json:"shipping_fen"`
	ShippingDiscountFen int64     `json:"shipping_discount_fen"`
	TotalFen            int64     `json:"total_fen"` // lines' totals + shipping − shipping discount
	Applied             []Applied `json:"applied"`
	Offers              []Offer   `json:"offers"`
}

// Result is a priced basket.
type Result struct {
	Lines               []LineResult `json:"lines"` // in the order of Basket.Lines
	Shops               []ShopResult `json:"shops"` // in order of first appearance
	SubtotalFen         int64        `json:"subtotal_fen"`
	DiscountFen         int64        `json:"discount_fen"`
	ShippingFen         int64        `json:"shipping_fen"`
	ShippingDiscountFen int64        `json:"shipping_discount_fen"`
	TotalFen            int64        `json:"total_fen"`
	// Applied lists every discount in the basket with its whole amount.
	Applied []Applied `json:"applied"`
	// CouponIDs are the coupons that took something off (Redeem counts
	// them); an entered coupon the discount floor left nothing to take
	// is not among them.
	CouponIDs []string `json:"coupon_ids"`
	// FloorPercent is the discount floor that held (0 in a big-promotion
	// window).
	FloorPercent int `json:"floor_percent"`
}

// Rules are the promotions loaded for a basket: everything Compute needs
// besides the basket.
type Rules struct {
	// Floor is the discount floor in percent of list price; 0 when none
	// applies (a big-promotion window).
	Floor int
	// Entries are the member and tier prices of the shopper's groups.
	Entries []*PriceEntry
	// Flash are the running flash sales of the basket's SKUs, UserBought
	// filled.
	Flash []*FlashSale
	// Promotions are the running promotions of the basket's shops and of
	// the tenant.
	Promotions []*Promotion
	// Coupons are the coupons of Basket.Coupons, index by index, already
	// checked for validity, use and per-user limits.
	Coupons []*Coupon
	// Locale renders field messages that carry amounts.
	Locale string
}

// Limits of a basket.
const (
	MaxLines   = 500
	MaxQty     = 9999
	MaxCoupons = 10
	MaxFen     = 100_000_000_000 // catalog.MaxPriceFen: 10亿元
)

func fieldText(locale, key string, args ...any) string { return i18n.T(locale, key, args...) }

// Yuan formats fen as yuan with two decimals ("12.80").
func Yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return sign + strconv.FormatInt(fen/100, 10) + "." + strconv.FormatInt(fen%100/10, 10) + strconv.FormatInt(fen%10, 10)
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// floorUnit is the lowest unit price the floor allows for list price
// list, or 0 without a floor.
func floorUnit(list int64, floor int) int64 {
	if floor <= 0 {
		return 0
	}
	return ceilDiv(list*int64(floor), 100)
}

// lineState is a line being priced.
type lineState struct {
	in    *Line
	res   *LineResult
	shop  int
	floor int64 // the lowest total discounts may leave
}

func (l *lineState) amount() int64 { return l.res.SubtotalFen - l.res.DiscountFen }

// headroom is how much more discount the line can take.
func (l *lineState) headroom() int64 {
	if l.res.Addon {
		return 0
	}
	return max(0, l.amount()-l.floor)
}

func (l *lineState) add(a Allocation) {
	if a.AmountFen == 0 {
		return
	}
	l.res.Allocations = append(l.res.Allocations, a)
	l.res.DiscountFen += a.AmountFen
}

type shopState struct {
	res   *ShopResult
	lines []*lineState
}

// eligible is the spend of the shop's lines that later discounts may
// touch (add-on lines are out).
func (s *shopState) eligible() int64 {
	var n int64
	for _, l := range s.lines {
		if !l.res.Addon {
			n += l.amount()
		}
	}
	return n
}

func (s *shopState) headroom() int64 {
	var n int64
	for _, l := range s.lines {
		n += l.headroom()
	}
	return n
}

// spread allocates amount over the shop's lines pro rata by their amounts
// (largest remainder, capped by each line's headroom) and returns what
// was allocated.
func (s *shopState) spread(amount int64, a Allocation) int64 {
	weights := make([]int64, len(s.lines))
	caps := make([]int64, len(s.lines))
	for i, l := range s.lines {
		if !l.res.Addon {
			weights[i] = l.amount()
		}
		caps[i] = l.headroom()
	}
	shares := allocate(amount, weights, caps)
	var total int64
	for i, l := range s.lines {
		x := a
		x.AmountFen = shares[i]
		l.add(x)
		total += shares[i]
	}
	return total
}

func (s *shopState) applied(a Applied) {
	if a.AmountFen > 0 {
		s.res.Applied = append(s.res.Applied, a)
	}
}

// allocate splits total over items pro rata by weights, in whole fen by
// the largest-remainder method (ties to the earlier item), never giving
// item i more than caps[i]: what a capped item cannot take is spread
// over the others. The shares sum to min(total, Σ caps of items with a
// weight).
func allocate(total int64, weights, caps []int64) []int64 {
	out := make([]int64, len(weights))
	open := make([]int, 0, len(weights))
	for i := range weights {
		if weights[i] > 0 && caps[i] > 0 {
			open = append(open, i)
		}
	}
	remaining := total
	for remaining > 0 && len(open) > 0 {
		var sum uint64
		for _, i := range open {
			sum += uint64(weights[i])
		}
		type part struct {
			i   int
			rem uint64
		}
		parts := make([]part, len(open))
		share := make([]int64, len(weights))
		var given int64
		for k, i := range open {
			hi, lo := bits.Mul64(uint64(remaining), uint64(weights[i]))
			q, r := bits.Div64(hi, lo, sum)
			share[i] = int64(q)
			given += int64(q)
			parts[k] = part{i, r}
		}
		slices.SortStableFunc(parts, func(a, b part) int {
			switch {
			case a.rem > b.rem:
				return -1
			case a.rem < b.rem:
				return 1
			}
			return a.i - b.i
		})
		for k := 0; given < remaining; k++ {
			share[parts[k].i]++
			given++
		}
		remaining = 0
		next := open[:0]
		for _, i := range open {
			room := caps[i] - out[i]
			if share[i] >= room {
				out[i] += room
				remaining += share[i] - room
				continue
			}
			out[i] += share[i]
			next = append(next, i)
		}
		open = next
	}
	return out
}

// Compute prices basket b under rules r. It is a pure function: the same
// basket and rules always give the same result.
//
// Order: unit price (the lowest of catalog, member, tier and flash price;
// they do not stack) → 满X换购 add-ons → each shop's best 满减 tier → the
// tenant's best 满减 tier (across shops) → at most one shop coupon per
// shop, then one tenant coupon → shipping discounts. Each discount is
// spread over the lines it covers pro rata by what they cost after the
// previous steps, in whole fen (largest remainder), so the allocations
// sum to the discount exactly. Outside a big-promotion window no line
// may fall below Floor percent of its list price (add-on lines are
// exempt): a discount the floor cannot absorb is smaller accordingly.
//
// Returns Invalid with field errors for a bad basket and for coupons that
// do not apply (another coupon of the same scope, a shop not in the
// basket, minimum spend not met: the message says how much more);
// Conflict with field lines.{i}.qty when a line wants more flash-sale
// units than are left to it.
func Compute(b Basket, r Rules) (*Result, error) {
	if err := checkBasket(b, len(r.Coupons)); err != nil {
		return nil, err
	}
	res := &Result{Lines: make([]LineResult, len(b.Lines)), FloorPercent: r.Floor, CouponIDs: []string{}, Applied: []Applied{}}
	lines := make([]*lineState, len(b.Lines))
	var shops []*shopState
	shopIndex := map[string]int{}
	for i := range b.Lines {
		in := &b.Lines[i]
		k, ok := shopIndex[in.ShopID]
		if !ok {
			k = len(shops)
			shopIndex[in.ShopID] = k
			shops = append(shops, &shopState{res: &ShopResult{ShopID: in.ShopID, Applied: []Applied{}, Offers: []Offer{}}})
		}
		l := &lineState{in: in, res: &res.Lines[i], shop: k}
		lines[i] = l
		shops[k].lines = append(shops[k].lines, l)
	}

	// 1. Unit prices.
	if err := unitPrices(b, r, lines); err != nil {
		return nil, err
	}

	byKind := func(shopID, kind string) []*Promotion {
		var out []*Promotion
		for _, p := range r.Promotions {
			if p.shop() == shopID && p.Kind == kind {
				out = append(out, p)
			}
		}
		return out
	}

	// 2. 满X换购: an add-on line in a shop whose other lines reach the
	// threshold costs the add-on price for one unit.
	for _, s := range shops {
		addons := byKind(s.res.ShopID, KindAddon)
		slices.SortStableFunc(addons, func(a, b *Promotion) int { return cmpInt(a.ThresholdFen, b.ThresholdFen) })
		for _, p := range addons {
			var line *lineState
			for _, l := range s.lines {
				if !l.res.Addon && p.SKUID != nil && l.in.SKUID == *p.SKUID {
					line = l
					break
				}
			}
			var base int64
			for _, l := range s.lines {
				if l != line && !l.res.Addon {
					base += l.amount()
				}
			}
			o := Offer{Kind: KindAddon, PromotionID: p.ID, Label: p.Name, PriceFen: p.PriceFen, ThresholdFen: p.ThresholdFen,
				ShortFen: max(0, p.ThresholdFen-base), Qualified: base >= p.ThresholdFen}
			if p.SKUID != nil {
				o.SKUID = *p.SKUID
			}
			s.res.Offers = append(s.res.Offers, o)
			if line == nil || !o.Qualified {
				continue
			}
			line.res.Addon = true
			off := min(max(0, line.res.UnitFen-p.PriceFen), line.amount())
			line.add(Allocation{PromotionID: p.ID, Kind: KindAddon, Label: p.Name, AmountFen: off, FundedBy: FundedByShop})
			s.applied(Applied{PromotionID: p.ID, Kind: KindAddon, Label: p.Name, AmountFen: off, FundedBy: FundedByShop})
		}
	}

	// 3. Each shop's best 满减 tier.
	for _, s := range shops {
		base := s.eligible()
		p, t, next := bestTier(byKind(s.res.ShopID, KindThreshold), base)
		if next != nil {
			s.res.Offers = append(s.res.Offers, *next)
		}
		if p == nil {
			continue
		}
		a := Allocation{PromotionID: p.ID, Kind: KindThreshold, Label: p.Name, FundedBy: FundedByShop}
		got := s.spread(t.OffFen, a)
		s.applied(Applied{PromotionID: p.ID, Kind: KindThreshold, Label: p.Name, AmountFen: got, FundedBy: FundedByShop})
	}

	// 4. The tenant's best 满减 tier across the shops.
	var base int64
	for _, s := range shops {
		base += s.eligible()
	}
	if p, t, next := bestTier(byKind("", KindThreshold), base); p != nil || next != nil {
		if next != nil {
			for _, s := range shops {
				s.res.Offers = append(s.res.Offers, *next)
			}
		}
		if p != nil {
			spreadShops(shops, t.OffFen, Allocation{PromotionID: p.ID, Kind: KindThreshold, Label: p.Name, FundedBy: FundedByPlatform})
		}
	}

	// 5. Coupons: one per shop, then one for the tenant.
	if err := applyCoupons(b, r, shops, shopIndex, res); err != nil {
		return nil, err
	}

	// 6. Shipping.
	for _, s := range shops {
		s.res.ShippingFen = max(0, b.ShippingFen[s.res.ShopID])
		var goods int64
		for _, l := range s.lines {
			goods += l.amount()
		}
		for _, p := range byKind(s.res.ShopID, KindFreeShipping) {
			ok := false
			if p.ProductID != nil {
				for _, l := range s.lines {
					ok = ok || l.in.ProductID == *p.ProductID
				}
			} else {
				ok = goods >= p.ThresholdFen
				s.res.Offers = append(s.res.Offers, Offer{Kind: KindFreeShipping, PromotionID: p.ID, Label: p.Name,
					ThresholdFen: p.ThresholdFen, ShortFen: max(0, p.ThresholdFen-goods), Qualified: ok})
			}
			if ok && s.res.ShippingDiscountFen == 0 && s.res.ShippingFen > 0 {
				s.res.ShippingDiscountFen = s.res.ShippingFen
				s.applied(Applied{PromotionID: p.ID, Kind: KindFreeShipping, Label: p.Name, AmountFen: s.res.ShippingFen, FundedBy: FundedByShop})
			}
		}
	}

	// Totals.
	for _, l := range lines {
		l.res.TotalFen = l.res.SubtotalFen - l.res.DiscountFen
		if l.res.Allocations == nil {
			l.res.Allocations = []Allocation{}
		}
	}
	for _, s := range shops {
		for _, l := range s.lines {
			s.res.SubtotalFen += l.res.SubtotalFen
			s.res.DiscountFen += l.res.DiscountFen
		}
		s.res.TotalFen = s.res.SubtotalFen - s.res.DiscountFen + s.res.ShippingFen - s.res.ShippingDiscountFen
		res.Shops = append(res.Shops, *s.res)
		res.SubtotalFen += s.res.SubtotalFen
		res.DiscountFen += s.res.DiscountFen
		res.ShippingFen += s.res.ShippingFen
		res.ShippingDiscountFen += s.res.ShippingDiscountFen
		res.TotalFen += s.res.TotalFen
		for _, a := range s.res.Applied {
			k := slices.IndexFunc(res.Applied, func(x Applied) bool {
				return x.Kind == a.Kind && x.PromotionID == a.PromotionID && x.CouponID == a.CouponID
			})
			if k < 0 {
				res.Applied = append(res.Applied, a)
			} else {
				res.Applied[k].AmountFen += a.AmountFen
			}
		}
	}
	return res, nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// checkBasket validates the basket's shape.
func checkBasket(b Basket, loaded int) error {
	var fe core.FieldErrors
	if len(b.Lines) == 0 || len(b.Lines) > MaxLines {
		fe.Add("lines", "promo.field.lines_count")
	}
	for i, l := range b.Lines {
		f := "lines." + strconv.Itoa(i) + "."
		if l.ShopID == "" {
			fe.Add(f+"shop_id", "field.required")
		}
		if l.SKUID == "" {
			fe.Add(f+"sku_id", "field.required")
		}
		if l.Qty < 1 || l.Qty > MaxQty {
			fe.Add(f+"qty", "promo.field.qty_range")
		}
		if l.UnitFen < 0 || l.UnitFen > MaxFen {
			fe.Add(f+"unit_fen", "promo.field.amount_range")
		}
		if l.ListFen < 0 || l.ListFen > MaxFen {
			fe.Add(f+"list_fen", "promo.field.amount_range")
		}
	}
	for shop, fen := range b.ShippingFen {
		if fen < 0 || fen > MaxFen {
			fe.Add("shipping_fen."+shop, "promo.field.amount_range")
		}
	}
	if len(b.Coupons) > MaxCoupons {
		fe.Add("coupons", "promo.field.coupons_count")
	} else if loaded != len(b.Coupons) {
		fe.Add("coupons", "field.invalid")
	}
	return fe.Err()
}

// unitPrices sets each line's unit price: the lowest of the catalog
// price, the member and tier prices and a flash price with units left,
// but not below the floor (unless the catalog price already is).
func unitPrices(b Basket, r Rules, lines []*lineState) error {
	entries := map[string][]*PriceEntry{}
	for _, e := range r.Entries {
		entries[e.SKUID] = append(entries[e.SKUID], e)
	}
	flash := map[string][]*FlashSale{}
	left := map[string]int{}
	for _, f := range r.Flash {
		flash[f.SKUID] = append(flash[f.SKUID], f)
		n := f.Left()
		if f.PerUserLimit > 0 && b.UserID != "" {
			n = min(n, max(0, f.PerUserLimit-f.UserBought))
		}
		left[f.ID] = n
	}
	var short core.FieldErrors
	for i, l := range lines {
		in := l.in
		list := max(in.ListFen, in.UnitFen)
		low := min(in.UnitFen, floorUnit(list, r.Floor))
		eff := func(p int64) int64 { return max(p, low) }
		best, label := in.UnitFen, ""
		for _, e := range entries[in.SKUID] {
			if e.MinQty <= in.Qty && eff(e.PriceFen) < best {
				best, label = eff(e.PriceFen), e.Label()
			}
		}
		var fs *FlashSale
		for _, f := range flash[in.SKUID] {
			if left[f.ID] > 0 && (fs == nil || f.PriceFen < fs.PriceFen) {
				fs = f
			}
		}
		if fs != nil && eff(fs.PriceFen) < best {
			if in.Qty > left[fs.ID] {
				short.Add("lines."+strconv.Itoa(i)+".qty", fieldText(r.Locale, "promo.field.flash_left", left[fs.ID]))
			} else {
				best, label = eff(fs.PriceFen), LabelFlash
				left[fs.ID] -= in.Qty
				l.res.FlashSaleID = fs.ID
			}
		}
		l.res.Key, l.res.SKUID, l.res.Qty = in.Key, in.SKUID, in.Qty
		l.res.UnitFen, l.res.PriceLabel = best, label
		l.res.SubtotalFen = best * int64(in.Qty)
		if r.Floor > 0 {
			l.floor = min(in.UnitFen*int64(in.Qty), ceilDiv(list*int64(in.Qty)*int64(r.Floor), 100))
		}
	}
	if len(short) > 0 {
		return &core.Error{Code: core.Conflict, Message: "promo.error.flash_short", Fields: map[string]string(short)}
	}
	return nil
}

// bestTier picks, among threshold promotions ps, the tier with the
// largest discount that base reaches (ties: the first promotion), and
// the nearest tier not yet reached as an offer.
func bestTier(ps []*Promotion, base int64) (*Promotion, Tier, *Offer) {
	var best *Promotion
	var tier Tier
	var next *Offer
	for _, p := range ps {
		for _, t := range p.Tiers {
			if t.MinFen <= base {
				if t.OffFen > tier.OffFen {
					best, tier = p, t
				}
				continue
			}
			if next == nil || t.MinFen < next.ThresholdFen {
				next = &Offer{Kind: KindThreshold, PromotionID: p.ID, Label: p.Name, ThresholdFen: t.MinFen, OffFen: t.OffFen, ShortFen: t.MinFen - base}
			}
		}
	}
	if next != nil && next.OffFen <= tier.OffFen {
		next = nil // reaching it would not take more off
	}
	return best, tier, next
}

// spreadShops allocates amount over shops pro rata by their eligible
// spend (capped by their headroom), then within each shop over its lines,
// and records each shop's share.
func spreadShops(shops []*shopState, amount int64, a Allocation) int64 {
	weights := make([]int64, len(shops))
	caps := make([]int64, len(shops))
	for i, s := range shops {
		weights[i], caps[i] = s.eligible(), s.headroom()
	}
	shares := allocate(amount, weights, caps)
	var total int64
	for i, s := range shops {
		got := s.spread(shares[i], a)
		s.applied(Applied{PromotionID: a.PromotionID, CouponID: a.CouponID, Kind: a.Kind, Label: a.Label, AmountFen: got, FundedBy: a.FundedBy})
		total += got
	}
	return total
}

// applyCoupons applies the basket's coupons: each shop's, then the
// tenant's.
func applyCoupons(b Basket, r Rules, shops []*shopState, shopIndex map[string]int, res *Result) error {
	var fe core.FieldErrors
	perShop := map[int]int{} // shop index → coupon index
	tenant := -1
	seen := map[string]bool{}
	for i, c := range r.Coupons {
		f := "coupons." + strconv.Itoa(i)
		switch {
		case c == nil:
			fe.Add(f, "promo.field.coupon_unknown")
		case seen[c.ID]:
			fe.Add(f, "promo.field.coupon_duplicate")
		case c.ShopID == nil:
			if tenant >= 0 {
				fe.Add(f, "promo.field.coupon_one_tenant")
			}
			tenant = i
		default:
			k, ok := shopIndex[*c.ShopID]
			switch {
			case !ok:
				fe.Add(f, "promo.field.coupon_shop_absent")
			case perShop[k] > 0:
				fe.Add(f, "promo.field.coupon_one_per_shop")
			default:
				perShop[k] = i + 1
			}
		}
		if c != nil {
			seen[c.ID] = true
		}
	}
	if len(fe) > 0 {
		return fe.Err()
	}
	minSpend := func(i int, c *Coupon, base int64) bool {
		if base < c.MinSpendFen {
			fe.Add("coupons."+strconv.Itoa(i), fieldText(r.Locale, "promo.field.coupon_min_spend", Yuan(c.MinSpendFen), Yuan(c.MinSpendFen-base)))
			return false
		}
		return true
	}
	for k, s := range shops {
		i := perShop[k] - 1
		if i < 0 {
			continue
		}
		c := r.Coupons[i]
		base := s.eligible()
		if !minSpend(i, c, base) {
			continue
		}
		got := s.spread(c.off(base), Allocation{CouponID: c.ID, Kind: KindCoupon, Label: c.Name, FundedBy: FundedByShop})
		s.applied(Applied{CouponID: c.ID, Kind: KindCoupon, Label: c.Name, AmountFen: got, FundedBy: FundedByShop})
		if got > 0 {
			res.CouponIDs = append(res.CouponIDs, c.ID)
		}
	}
	if tenant >= 0 {
		c := r.Coupons[tenant]
		var base int64
		for _, s := range shops {
			base += s.eligible()
		}
		if minSpend(tenant, c, base) {
			got := spreadShops(shops, c.off(base), Allocation{CouponID: c.ID, Kind: KindCoupon, Label: c.Name, FundedBy: FundedByPlatform})
			if got > 0 {
				res.CouponIDs = append(res.CouponIDs, c.ID)
			}
		}
	}
	return fe.Err()
}
