package fulfil

import (
	"time"

	"github.com/uptrace/bun"
)

// The delivery methods.
const (
	MethodCourier   = "courier"   // 快递配送: fee by weight and region
	MethodExpress   = "express"   // 限时送: within the hour by day, before 08:00 by night
	MethodScheduled = "scheduled" // 定时送: a slot the shop offers
	MethodPickup    = "pickup"    // 到店自提: at a pickup point (社区服务中心)
)

// Methods lists the methods in the order they are offered.
var Methods = []string{MethodCourier, MethodExpress, MethodScheduled, MethodPickup}

// MethodNames are the methods' names as shoppers read them.
var MethodNames = map[string]string{
	MethodCourier:   "快递配送",
	MethodExpress:   "限时送",
	MethodScheduled: "定时送",
	MethodPickup:    "到店自提",
}

// Settings are a shop's delivery methods and fees. A shop that has never
// saved any has DefaultSettings (Configured false).
type Settings struct {
	ShopID     string     `json:"shop_id"`
	Configured bool       `json:"configured"`
	Courier    Courier    `json:"courier"`
	Express    Express    `json:"express"`
	Scheduled  Scheduled  `json:"scheduled"`
	Pickup     Pickup     `json:"pickup"`
	UpdatedAt  *time.Time `json:"updated_at,omitempty"`
}

// Courier is the courier method (快递配送): BaseFen for the first kg and
// PerKgFen for each further kg begun, by default; Rules set other fees
// for regions (a city's rule applies to its districts, a district's own
// rule wins).
type Courier struct {
	Enabled  bool          `json:"enabled"`
	BaseFen  int64         `json:"base_fen"`
	PerKgFen int64         `json:"per_kg_fen"`
	Rules    []CourierRule `json:"rules"`
}

// CourierRule is the courier fee of a shop in one region.
type CourierRule struct {
	bun.BaseModel `bun:"table:shop_courier_rules,alias:cr"`

	TenantID string `bun:"tenant_id,pk" json:"-"`
	ShopID   string `bun:"shop_id,pk" json:"-"`
	RegionID string `bun:"region_id,pk" json:"region_id"`
	BaseFen  int64  `bun:"base_fen,notnull" json:"base_fen"`
	PerKgFen int64  `bun:"per_kg_fen,notnull" json:"per_kg_fen"`
}

// Express is 限时送 at a flat fee, offered where a warehouse serving the
// region has every item in stock.
type Express struct {
	Enabled bool  `json:"enabled"`
	FeeFen  int64 `json:"fee_fen"`
}

// Scheduled is 定时送 at a flat fee, in the shop's slots that start within
// the next Days days.
type Scheduled struct {
	Enabled bool  `json:"enabled"`
	FeeFen  int64 `json:"fee_fen"`
	Days    int   `json:"days"`
}

// Pickup is 到店自提 at the tenant's pickup points; always free.
type Pickup struct {
	Enabled bool `json:"enabled"`
}

// shopDelivery is the stored row of Settings.
type shopDelivery struct {
	bun.BaseModel `bun:"table:shop_delivery,alias:sd"`

	TenantID         string    `bun:"tenant_id,pk"`
	ShopID           string    `bun:"shop_id,pk"`
	CourierEnabled   bool      `bun:"courier_enabled,notnull"`
	CourierBaseFen   int64     `bun:"courier_base_fen,notnull"`
	CourierPerKgFen  int64     `bun:"courier_per_kg_fen,notnull"`
	ExpressEnabled   bool      `bun:"express_enabled,notnull"`
	ExpressFeeFen    int64     `bun:"express_fee_fen,notnull"`
	ScheduledEnabled bool      `bun:"scheduled_enabled,notnull"`
	ScheduledFeeFen  int64     `bun:"scheduled_fee_fen,notnull"`
	ScheduledDays    int       `bun:"scheduled_days,notnull"`
	PickupEnabled    bool      `bun:"pickup_enabled,notnull"`
	UpdatedBy        *string   `bun:"updated_by"`
	UpdatedAt        time.Time `bun:"updated_at,notnull"`
}

// Slot is a dated window of a shop's scheduled delivery with its
// capacity (orders) and the units booked.
type Slot struct {
	bun.BaseModel `bun:"table:delivery_slots,alias:ds"`

	TenantID  string    `bun:"tenant_id,pk" json:"-"`
	ID        string    `bun:"id,pk" json:"id"`
	ShopID    string    `bun:"shop_id,notnull" json:"shop_id"`
	StartsAt  time.Time `bun:"starts_at,notnull" json:"starts_at"`
	EndsAt    time.Time `bun:"ends_at,notnull" json:"ends_at"`
	Capacity  int       `bun:"capacity,notnull" json:"capacity"`
	Booked    int       `bun:"booked,notnull" json:"booked"`
	CreatedAt time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt time.Time `bun:"updated_at,notnull" json:"updated_at"`

	// Filled on every read, in the tenant's zone.
	Remaining int    `bun:"-" json:"remaining"`
	Date      string `bun:"-" json:"date"`  // 2026-03-01
	Start     string `bun:"-" json:"start"` // 09:00
	End       string `bun:"-" json:"end"`   // 11:00
}

// SlotInput creates the slot Start–End (HH:MM, tenant's zone) on Date
// (YYYY-MM-DD) and, with Days > 1, the same window on each of the
// following Days-1 days.
type SlotInput struct {
	Date     string `json:"date"`
	Start    string `json:"start"`
	End      string `json:"end"`
	Capacity int    `json:"capacity"`
	Days     int    `json:"days"` // 0 or 1: that day only
}

// PickupPoint is a place of the tenant where shoppers collect orders
// (社区服务中心).
type PickupPoint struct {
	bun.BaseModel `bun:"table:pickup_points,alias:pp"`

	TenantID  string    `bun:"tenant_id,pk" json:"-"`
	ID        string    `bun:"id,pk" json:"id"`
	Name      string    `bun:"name,notnull" json:"name"`
	Address   string    `bun:"address,notnull" json:"address"`
	RegionID  string    `bun:"region_id,notnull" json:"region_id"`
	Hours     string    `bun:"hours,notnull" json:"hours"`
	Phone     string    `bun:"phone,notnull" json:"phone"`
	Active    bool      `bun:"active,notnull" json:"active"`
	CreatedAt time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt time.Time `bun:"updated_at,notnull" json:"updated_at"`
}

// AuthzDomain is the point's authorisation domain, "t/T/r/R/pp/P", in
// which operators and tenant admins are checked.
func (p *PickupPoint) AuthzDomain() string {
	return pointDomain(p.TenantID, p.RegionID, p.ID)
}

// PickupPointInput is what a tenant admin submits for a pickup point.
// Active nil means true for a new point and unchanged for an update.
type PickupPointInput struct {
	Name     string `json:"name"`
	Address  string `json:"address"`
	RegionID string `json:"region_id"`
	Hours    string `json:"hours"`
	Phone    string `json:"phone"`
	Active   *bool  `json:"active"`
}

// Operator is an account operating a pickup point.
type Operator struct {
	bun.BaseModel `bun:"table:pickup_point_operators,alias:po"`

	TenantID  string    `bun:"tenant_id,pk" json:"-"`
	PointID   string    `bun:"point_id,pk" json:"point_id"`
	UserID    string    `bun:"user_id,pk" json:"user_id"`
	CreatedBy *string   `bun:"created_by" json:"created_by,omitempty"`
	CreatedAt time.Time `bun:"created_at,notnull" json:"created_at"`

	Name  string `bun:"user_name,scanonly" json:"name"`
	Email string `bun:"user_email,scanonly" json:"email,omitempty"`
	Phone string `bun:"user_phone,scanonly" json:"phone,omitempty"`
}

// OperatorInput names the account to make an operator: by id, or by its
// e-mail address or phone number (Login).
type OperatorInput struct {
	UserID string `json:"user_id"`
	Login  string `json:"login"`
}

// Booking statuses.
const (
	BookingBooked    = "booked"
	BookingCancelled = "cancelled"
)

// Booking is the delivery booked for an order (Ref).
type Booking struct {
	bun.BaseModel `bun:"table:delivery_bookings,alias:bk"`

	TenantID        string     `bun:"tenant_id,pk" json:"-"`
	ID              string     `bun:"id,pk" json:"id"`
	Ref             string     `bun:"ref,notnull" json:"ref"`
	ShopID          string     `bun:"shop_id,notnull" json:"shop_id"`
	Method          string     `bun:"method,notnull" json:"method"`
	RegionID        *string    `bun:"region_id" json:"region_id,omitempty"`
	SlotID          *string    `bun:"slot_id" json:"slot_id,omitempty"`
	PickupPointID   *string    `bun:"pickup_point_id" json:"pickup_point_id,omitempty"`
	FeeFen          int64      `bun:"fee_fen,notnull" json:"fee_fen"`
	PromiseEarliest time.Time  `bun:"promise_earliest,notnull" json:"promise_earliest"`
	PromiseLatest   time.Time  `bun:"promise_latest,notnull" json:"promise_latest"`
	PromiseText     string     `bun:"promise_text,notnull" json:"promise_text"`
	Recipient       string     `bun:"recipient,notnull" json:"recipient"`
	Phone           string     `bun:"phone,notnull" json:"phone"`
	Address         string     `bun:"address,notnull" json:"address"`
	Status          string     `bun:"status,notnull" json:"status"`
	CreatedAt       time.Time  `bun:"created_at,notnull" json:"created_at"`
	CancelledAt     *time.Time `bun:"cancelled_at" json:"cancelled_at,omitempty"`
}

// Request is what is being delivered: the shop's items (SKUs, their total
// weight and subtotal) to a region.
type Request struct {
	ShopID      string   `json:"shop_id"`
	RegionID    string   `json:"region_id"`
	SKUIDs      []string `json:"sku_ids"`
	WeightG     int      `json:"weight_g"`
	SubtotalFen int64    `json:"subtotal_fen"` // for promotions; fulfil charges by weight
}

// Choice is the shopper's choice of delivery. RegionID defaults to the
// Request's. Recipient, Phone and Address are required for the delivery
// methods; for pickup they are optional (Phone is checked when given).
type Choice struct {
	Method        string `json:"method"`
	RegionID      string `json:"region_id"`
	SlotID        string `json:"slot_id"`
	PickupPointID string `json:"pickup_point_id"`
	Recipient     string `json:"recipient"`
	Phone         string `json:"phone"`
	Address       string `json:"address"`
}

// Promise is when a delivery arrives (or a pickup is ready), with the text
// shoppers read ("1小时内送达（预计 10:35 前）").
type Promise struct {
	Earliest time.Time `json:"earliest"`
	Latest   time.Time `json:"latest"`
	Text     string    `json:"text"`
}

// Quote is the priced delivery of a Choice.
type Quote struct {
	Method        string  `json:"method"`
	FeeFen        int64   `json:"fee_fen"`
	Promise       Promise `json:"promise"`
	RegionID      string  `json:"region_id,omitempty"`
	SlotID        string  `json:"slot_id,omitempty"`
	PickupPointID string  `json:"pickup_point_id,omitempty"`
}

// Option is a method a shop offers to a region: its fee, its promise (for
// scheduled delivery, that of the earliest slot with room), and the slots
// or pickup points to choose from.
type Option struct {
	Method       string         `json:"method"`
	Name         string         `json:"name"`
	FeeFen       int64          `json:"fee_fen"`
	Promise      Promise        `json:"promise"`
	Slots        []*Slot        `json:"slots,omitempty"`
	PickupPoints []*PickupPoint `json:"pickup_points,omitempty"`
}

// MethodPromise is the best promise of one method on a product page.
type MethodPromise struct {
	Method  string  `json:"method"`
	Name    string  `json:"name"`
	FeeFen  int64   `json:"fee_fen"`
	Promise Promise `json:"promise"`
}
