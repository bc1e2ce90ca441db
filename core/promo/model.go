package promo

import (
	"time"

	"github.com/uptrace/bun"
)

// Customer group kinds.
const (
	GroupVIP       = "vip"       // 会员
	GroupWholesale = "wholesale" // 授权代理 (B2B agents): may have tier prices
	GroupOther     = "other"
)

// CustomerGroup is a set of the tenant's shoppers that shops' price lists
// can name.
type CustomerGroup struct {
	bun.BaseModel `bun:"table:customer_groups,alias:cg"`

	TenantID    string    `bun:"tenant_id,pk" json:"-"`
	ID          string    `bun:"id,pk" json:"id"`
	Name        string    `bun:"name,notnull" json:"name"`
	Kind        string    `bun:"kind,notnull" json:"kind"`
	Description string    `bun:"description,notnull" json:"description"`
	CreatedAt   time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at,notnull" json:"updated_at"`

	Members int `bun:"-" json:"members"` // how many users belong to it
}

// Member is one user of a customer group.
type Member struct {
	bun.BaseModel `bun:"table:customer_group_members,alias:gm"`

	TenantID  string    `bun:"tenant_id,pk" json:"-"`
	GroupID   string    `bun:"group_id,pk" json:"group_id"`
	UserID    string    `bun:"user_id,pk" json:"user_id"`
	AddedBy   *string   `bun:"added_by" json:"added_by,omitempty"`
	CreatedAt time.Time `bun:"created_at,notnull" json:"created_at"`

	Name  string `bun:"-" json:"name"`
	Login string `bun:"-" json:"login"` // e-mail or phone
}

// PriceList is a shop's prices for one customer group.
type PriceList struct {
	bun.BaseModel `bun:"table:price_lists,alias:pl"`

	TenantID  string    `bun:"tenant_id,pk" json:"-"`
	ID        string    `bun:"id,pk" json:"id"`
	ShopID    string    `bun:"shop_id,notnull" json:"shop_id"`
	GroupID   string    `bun:"group_id,notnull" json:"group_id"`
	Name      string    `bun:"name,notnull" json:"name"`
	Active    bool      `bun:"active,notnull" json:"active"`
	CreatedAt time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt time.Time `bun:"updated_at,notnull" json:"updated_at"`

	Entries []*PriceEntry `bun:"-" json:"entries"`
}

// PriceEntry is one price of a price list: the member price of a SKU
// (MinQty 1) or a tier price from MinQty units on.
type PriceEntry struct {
	bun.BaseModel `bun:"table:price_list_entries,alias:pe"`

	TenantID    string `bun:"tenant_id,pk" json:"-"`
	PriceListID string `bun:"price_list_id,pk" json:"-"`
	SKUID       string `bun:"sku_id,pk" json:"sku_id"`
	MinQty      int    `bun:"min_qty,pk" json:"min_qty"`
	PriceFen    int64  `bun:"price_fen,notnull" json:"price_fen"`
}

// Label is how the price shows: "member" or "tier".
func (e *PriceEntry) Label() string {
	if e.MinQty > 1 {
		return LabelTier
	}
	return LabelMember
}

// Promotion kinds.
const (
	KindThreshold    = "threshold"     // 满减 tiers
	KindAddon        = "addon"         // 满X换购
	KindFreeShipping = "free_shipping" // 满X包邮, 单品包邮
)

// Allocation and applied kinds besides the promotion kinds.
const KindCoupon = "coupon"

// Price labels.
const (
	LabelMember = "member"
	LabelTier   = "tier"
	LabelFlash  = "flash"
)

// Who pays for a discount.
const (
	FundedByShop     = "shop"
	FundedByPlatform = "platform"
)

// Tier is one step of a 满减: MinFen spent takes OffFen off.
type Tier struct {
	MinFen int64 `json:"min_fen"`
	OffFen int64 `json:"off_fen"`
}

// Promotion is a shop's (ShopID set; funded by the shop) or the tenant's
// (ShopID nil; funded by the platform, across shops) promotion, active in
// [StartsAt, EndsAt) while Active.
type Promotion struct {
	bun.BaseModel `bun:"table:promotions,alias:pr"`

	TenantID string    `bun:"tenant_id,pk" json:"-"`
	ID       string    `bun:"id,pk" json:"id"`
	ShopID   *string   `bun:"shop_id" json:"shop_id,omitempty"`
	Kind     string    `bun:"kind,notnull" json:"kind"`
	Name     string    `bun:"name,notnull" json:"name"`
	StartsAt time.Time `bun:"starts_at,notnull" json:"starts_at"`
	EndsAt   time.Time `bun:"ends_at,notnull" json:"ends_at"`
	Active   bool      `bun:"active,notnull" json:"active"`
	// Tiers of a threshold promotion, by MinFen ascending.
	Tiers []Tier `bun:"tiers,type:jsonb,notnull" json:"tiers"`
	// ThresholdFen: the spend that unlocks an addon, or free shipping
	// (0 with ProductID for 单品包邮).
	ThresholdFen int64 `bun:"threshold_fen,notnull" json:"threshold_fen"`
	// SKUID and PriceFen: the addon SKU and the price of one unit of it.
	SKUID    *string `bun:"sku_id" json:"sku_id,omitempty"`
	PriceFen int64   `bun:"price_fen,notnull" json:"price_fen"`
	// ProductID: free shipping when the basket holds this product.
	ProductID *string   `bun:"product_id" json:"product_id,omitempty"`
	CreatedAt time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt time.Time `bun:"updated_at,notnull" json:"updated_at"`
}

// Running reports whether p is active at t.
func (p *Promotion) Running(t time.Time) bool {
	return p.Active && !t.Before(p.StartsAt) && t.Before(p.EndsAt)
}

func (p *Promotion) shop() string {
	if p.ShopID == nil {
		return ""
	}
	return *p.ShopID
}

// Coupon is a code a shopper enters: amount off (or percent off with a
// cap) from a minimum spend, in a shop (ShopID set) or across the tenant.
type Coupon struct {
	bun.BaseModel `bun:"table:coupons,alias:cp"`

	TenantID     string    `bun:"tenant_id,pk" json:"-"`
	ID           string    `bun:"id,pk" json:"id"`
	ShopID       *string   `bun:"shop_id" json:"shop_id,omitempty"`
	Code         string    `bun:"code,notnull" json:"code"`
	CodeKey      string    `bun:"code_key,notnull" json:"-"`
	Name         string    `bun:"name,notnull" json:"name"`
	StartsAt     time.Time `bun:"starts_at,notnull" json:"starts_at"`
	EndsAt       time.Time `bun:"ends_at,notnull" json:"ends_at"`
	MinSpendFen  int64     `bun:"min_spend_fen,notnull" json:"min_spend_fen"`
	AmountOffFen int64     `bun:"amount_off_fen,notnull" json:"amount_off_fen"`
	PercentOff   int       `bun:"percent_off,notnull" json:"percent_off"`
	MaxOffFen    int64     `bun:"max_off_fen,notnull" json:"max_off_fen"`
	PerUserLimit int       `bun:"per_user_limit,notnull" json:"per_user_limit"`
	TotalLimit   int       `bun:"total_limit,notnull" json:"total_limit"`
	UsedCount    int       `bun:"used_count,notnull" json:"used_count"`
	Active       bool      `bun:"active,notnull" json:"active"`
	CreatedAt    time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt    time.Time `bun:"updated_at,notnull" json:"updated_at"`
}

// off is what c takes off base (the spend in its scope): the amount, or
// the percentage rounded down and capped; never more than base.
func (c *Coupon) off(base int64) int64 {
	off := c.AmountOffFen
	if off == 0 {
		off = base * int64(c.PercentOff) / 100
		if c.MaxOffFen > 0 && off > c.MaxOffFen {
			off = c.MaxOffFen
		}
	}
	return min(off, base)
}

// redemption is one use of a coupon by a checkout.
type redemption struct {
	bun.BaseModel `bun:"table:coupon_redemptions,alias:rd"`

	TenantID   string     `bun:"tenant_id,pk"`
	ID         string     `bun:"id,pk"`
	CouponID   string     `bun:"coupon_id,notnull"`
	UserID     *string    `bun:"user_id"`
	Owner      string     `bun:"owner,notnull"`
	AmountFen  int64      `bun:"amount_fen,notnull"`
	CreatedAt  time.Time  `bun:"created_at,notnull"`
	ReleasedAt *time.Time `bun:"released_at"`
}

// FlashSale is a SKU sold at PriceFen in [StartsAt, EndsAt), QtyCap units
// in all (PerUserLimit each when not 0).
type FlashSale struct {
	bun.BaseModel `bun:"table:flash_sales,alias:fs"`

	TenantID     string    `bun:"tenant_id,pk" json:"-"`
	ID           string    `bun:"id,pk" json:"id"`
	ShopID       string    `bun:"shop_id,notnull" json:"shop_id"`
	SKUID        string    `bun:"sku_id,notnull" json:"sku_id"`
	Name         string    `bun:"name,notnull" json:"name"`
	PriceFen     int64     `bun:"price_fen,notnull" json:"price_fen"`
	StartsAt     time.Time `bun:"starts_at,notnull" json:"starts_at"`
	EndsAt       time.Time `bun:"ends_at,notnull" json:"ends_at"`
	QtyCap       int       `bun:"qty_cap,notnull" json:"qty_cap"`
	Sold         int       `bun:"sold,notnull" json:"sold"`
	PerUserLimit int       `bun:"per_user_limit,notnull" json:"per_user_limit"`
	Active       bool      `bun:"active,notnull" json:"active"`
	CreatedAt    time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt    time.Time `bun:"updated_at,notnull" json:"updated_at"`

	// UserBought is how many units the shopper being priced holds already
	// (filled when pricing; not stored).
	UserBought int `bun:"-" json:"-"`
}

// Left is how many units remain.
func (f *FlashSale) Left() int { return max(0, f.QtyCap-f.Sold) }

// Running reports whether f is active at t.
func (f *FlashSale) Running(t time.Time) bool {
	return f.Active && !t.Before(f.StartsAt) && t.Before(f.EndsAt)
}

// flashUnits are units of a flash sale bought by a checkout.
type flashUnits struct {
	bun.BaseModel `bun:"table:flash_sale_units,alias:fu"`

	TenantID    string     `bun:"tenant_id,pk"`
	ID          string     `bun:"id,pk"`
	FlashSaleID string     `bun:"flash_sale_id,notnull"`
	UserID      *string    `bun:"user_id"`
	Owner       string     `bun:"owner,notnull"`
	Qty         int        `bun:"qty,notnull"`
	CreatedAt   time.Time  `bun:"created_at,notnull"`
	ReleasedAt  *time.Time `bun:"released_at"`
}
