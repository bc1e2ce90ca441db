package order

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Order statuses: pending_payment → paid → accepted → packed → shipped |
// ready_for_pickup → delivered | picked_up → completed; cancelled from
// pending_payment, paid, accepted and packed.
const (
	StatusPendingPayment = "pending_payment"
	StatusPaid           = "paid"
	StatusAccepted       = "accepted"
	StatusPacked         = "packed"
	StatusShipped        = "shipped"
	StatusReadyForPickup = "ready_for_pickup"
	StatusDelivered      = "delivered"
	StatusPickedUp       = "picked_up"
	StatusCompleted      = "completed"
	StatusCancelled      = "cancelled"
)

// Statuses lists every order status, in the order of the state machine.
var Statuses = []string{StatusPendingPayment, StatusPaid, StatusAccepted, StatusPacked, StatusShipped,
	StatusReadyForPickup, StatusDelivered, StatusPickedUp, StatusCompleted, StatusCancelled}

// Payment statuses. Due is an offline payment (on pickup or delivery) not
// collected yet; Void is a due payment whose order was cancelled or
// wholly refunded, so nothing will be collected.
const (
	PaymentUnpaid            = "unpaid"
	PaymentDue               = "due"
	PaymentPaid              = "paid"
	PaymentPartiallyRefunded = "partially_refunded"
	PaymentRefunded          = "refunded"
	PaymentVoid              = "void"
)

// Group statuses.
const (
	GroupPendingPayment = "pending_payment"
	GroupPaid           = "paid"
	GroupCancelled      = "cancelled"
)

// Delivery methods (as core/fulfil names them).
const (
	MethodCourier   = "courier"
	MethodExpress   = "express"   // 限时送
	MethodScheduled = "scheduled" // 定时送
	MethodPickup    = "pickup"
)

// Actor roles recorded on events and refunds.
const (
	RoleShopper = "shopper"
	RoleShop    = "shop"
	RoleAdmin   = "admin"
	RolePickup  = "pickup"
	RoleSystem  = "system"
)

// Who funds a discount.
const (
	FundedByShop     = "shop"
	FundedByPlatform = "platform"
)

// Group is one checkout: one payment over one order per shop.
type Group struct {
	bun.BaseModel `bun:"table:checkout_groups,alias:g"`

	TenantID            string    `bun:"tenant_id,pk" json:"-"`
	ID                  string    `bun:"id,pk" json:"id"`
	Number              string    `bun:"number,notnull" json:"number"`
	UserID              string    `bun:"user_id,notnull" json:"user_id"`
	Provider            string    `bun:"provider,notnull" json:"provider"`
	Status              string    `bun:"status,notnull" json:"status"`
	SubtotalFen         int64     `bun:"subtotal_fen,notnull" json:"subtotal_fen"`
	DiscountFen         int64     `bun:"discount_fen,notnull" json:"discount_fen"`
	ShippingFen         int64     `bun:"shipping_fen,notnull" json:"shipping_fen"`
	ShippingDiscountFen int64     `bun:"shipping_discount_fen,notnull" json:"shipping_discount_fen"`
	TotalFen            int64     `bun:"total_fen,notnull" json:"total_fen"`
	RedemptionOwner     string    `bun:"redemption_owner,notnull" json:"-"`
	IdempotencyKey      string    `bun:"idempotency_key,notnull" json:"-"`
	RequestHash         string    `bun:"request_hash,notnull" json:"-"`
	Response            string    `bun:"response,notnull" json:"-"`
	CreatedAt           time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt           time.Time `bun:"updated_at,notnull" json:"updated_at"`

	Orders []*Order `bun:"-" json:"orders"`
}

// Order is one shop's part of a checkout group.
type Order struct {
	bun.BaseModel `bun:"table:orders,alias:o"`

	TenantID            string     `bun:"tenant_id,pk" json:"-"`
	ID                  string     `bun:"id,pk" json:"id"`
	GroupID             string     `bun:"group_id,notnull" json:"group_id"`
	Number              string     `bun:"number,notnull" json:"number"`
	ShopID              string     `bun:"shop_id,notnull" json:"shop_id"`
	UserID              string     `bun:"user_id,notnull" json:"user_id"`
	Status              string     `bun:"status,notnull" json:"status"`
	PaymentStatus       string     `bun:"payment_status,notnull" json:"payment_status"`
	SubtotalFen         int64      `bun:"subtotal_fen,notnull" json:"subtotal_fen"`
	DiscountFen         int64      `bun:"discount_fen,notnull" json:"discount_fen"`
	ShippingFen         int64      `bun:"shipping_fen,notnull" json:"shipping_fen"`
	ShippingDiscountFen int64      `bun:"shipping_discount_fen,notnull" json:"shipping_discount_fen"`
	TotalFen            int64      `bun:"total_fen,notnull" json:"total_fen"`
	RefundedFen         int64      `bun:"refunded_fen,notnull" json:"refunded_fen"`
	ShippingRefunded    bool       `bun:"shipping_refunded,notnull" json:"shipping_refunded"`
	DeliveryMethod      string     `bun:"delivery_method,notnull" json:"delivery_method"`
	RegionID            *string    `bun:"region_id" json:"region_id,omitempty"`
	Recipient           string     `bun:"recipient,notnull" json:"recipient"`
	Phone               string     `bun:"phone,notnull" json:"phone"`
	Address             string     `bun:"address,notnull" json:"address"`
	SlotID              string     `bun:"slot_id,notnull" json:"slot_id,omitempty"`
	BookingRef          string     `bun:"booking_ref,notnull" json:"-"`
	PickupPointID       *string    `bun:"pickup_point_id" json:"pickup_point_id,omitempty"`
	PickupCode          string     `bun:"pickup_code,notnull" json:"pickup_code,omitempty"`
	PromiseText         string     `bun:"promise_text,notnull" json:"promise_text"`
	PromiseLatest       *time.Time `bun:"promise_latest" json:"promise_latest,omitempty"`
	ReservationID       *string    `bun:"reservation_id" json:"-"`
	PlacedAt            time.Time  `bun:"placed_at,notnull" json:"placed_at"`
	PaidAt              *time.Time `bun:"paid_at" json:"paid_at,omitempty"`
	AcceptedAt          *time.Time `bun:"accepted_at" json:"accepted_at,omitempty"`
	PackedAt            *time.Time `bun:"packed_at" json:"packed_at,omitempty"`
	ShippedAt           *time.Time `bun:"shipped_at" json:"shipped_at,omitempty"`
	DeliveredAt         *time.Time `bun:"delivered_at" json:"delivered_at,omitempty"`
	CompletedAt         *time.Time `bun:"completed_at" json:"completed_at,omitempty"`
	CancelledAt         *time.Time `bun:"cancelled_at" json:"cancelled_at,omitempty"`
	Courier             string     `bun:"courier,notnull" json:"courier,omitempty"`
	TrackingNo          string     `bun:"tracking_no,notnull" json:"tracking_no,omitempty"`
	CancelReason        string     `bun:"cancel_reason,notnull" json:"cancel_reason,omitempty"`
	HandedOverBy        *string    `bun:"handed_over_by" json:"handed_over_by,omitempty"`
	UpdatedAt           time.Time  `bun:"updated_at,notnull" json:"updated_at"`

	Lines  []*Line  `bun:"-" json:"lines,omitempty"`
	Events []*Event `bun:"-" json:"events,omitempty"`
	Holds  []*Hold  `bun:"-" json:"holds,omitempty"`
	// pluginsKnown: Lines and their Discounts are all in memory (an order
	// just created), so the plugins that took part in it are known.
	pluginsKnown bool
	Refunds      []*Refund `bun:"-" json:"refunds,omitempty"`
}

// ShippingNetFen is what the shopper paid for shipping: the fee less its
// discount.
func (o *Order) ShippingNetFen() int64 { return o.ShippingFen - o.ShippingDiscountFen }

// Line is one line of an order, a snapshot of the SKU as bought.
type Line struct {
	bun.BaseModel `bun:"table:order_lines,alias:ol"`

	TenantID    string  `bun:"tenant_id,pk" json:"-"`
	ID          string  `bun:"id,pk" json:"id"`
	OrderID     string  `bun:"order_id,notnull" json:"order_id"`
	Position    int     `bun:"position,notnull" json:"position"`
	SKUID       string  `bun:"sku_id,notnull" json:"sku_id"`
	ProductID   string  `bun:"product_id,notnull" json:"product_id"`
	ShopID      string  `bun:"shop_id,notnull" json:"shop_id"`
	CategoryID  *string `bun:"category_id" json:"category_id,omitempty"`
	Name        string  `bun:"name,notnull" json:"name"`
	Spec        string  `bun:"spec,notnull" json:"spec"`
	SKUCode     string  `bun:"sku_code,notnull" json:"sku_code"`
	Qty         int     `bun:"qty,notnull" json:"qty"`
	UnitFen     int64   `bun:"unit_fen,notnull" json:"unit_fen"`
	ListFen     int64   `bun:"list_fen,notnull" json:"list_fen"`
	PriceLabel  string  `bun:"price_label,notnull" json:"price_label,omitempty"`
	SubtotalFen int64   `bun:"subtotal_fen,notnull" json:"subtotal_fen"`
	DiscountFen int64   `bun:"discount_fen,notnull" json:"discount_fen"`
	TotalFen    int64   `bun:"total_fen,notnull" json:"total_fen"`
	RefundedQty int     `bun:"refunded_qty,notnull" json:"refunded_qty"`
	RefundedFen int64   `bun:"refunded_fen,notnull" json:"refunded_fen"`
	// Attributes a plugin set on the line ("groupbuy.group" → id).
	Attributes Attributes `bun:"attributes,notnull" json:"attributes,omitempty"`

	Discounts []*LineDiscount `bun:"-" json:"discounts,omitempty"`
}

// LineDiscount is one discount allocated to a line (from core/promo).
type LineDiscount struct {
	bun.BaseModel `bun:"table:order_line_discounts,alias:od"`

	TenantID    string `bun:"tenant_id,pk" json:"-"`
	ID          string `bun:"id,pk" json:"id"`
	LineID      string `bun:"line_id,notnull" json:"line_id"`
	PromotionID string `bun:"promotion_id,notnull" json:"promotion_id,omitempty"`
	CouponID    string `bun:"coupon_id,notnull" json:"coupon_id,omitempty"`
	Kind        string `bun:"kind,notnull" json:"kind"`
	Label       string `bun:"label,notnull" json:"label"`
	AmountFen   int64  `bun:"amount_fen,notnull" json:"amount_fen"`
	FundedBy    string `bun:"funded_by,notnull" json:"funded_by"`
}

// Event is one transition of an order (or a hold placed or released, or
// a handover), with who did it and when.
type Event struct {
	bun.BaseModel `bun:"table:order_events,alias:oe"`

	TenantID  string    `bun:"tenant_id,pk" json:"-"`
	ID        string    `bun:"id,pk" json:"id"`
	OrderID   string    `bun:"order_id,notnull" json:"order_id"`
	From      string    `bun:"from_status,notnull" json:"from"`
	To        string    `bun:"to_status,notnull" json:"to"`
	ActorID   *string   `bun:"actor_id" json:"actor_id,omitempty"` // nil for the system
	ActorRole string    `bun:"actor_role,notnull" json:"actor_role"`
	Note      string    `bun:"note,notnull" json:"note,omitempty"`
	At        time.Time `bun:"at,notnull" json:"at"`
}

// Hold is a named hold on an order; while it stands (ReleasedAt nil) the
// order is not accepted, packed or shipped.
type Hold struct {
	bun.BaseModel `bun:"table:order_holds,alias:oh"`

	TenantID   string     `bun:"tenant_id,pk" json:"-"`
	ID         string     `bun:"id,pk" json:"id"`
	OrderID    string     `bun:"order_id,notnull" json:"order_id"`
	Name       string     `bun:"name,notnull" json:"name"`
	Reason     string     `bun:"reason,notnull" json:"reason"`
	PlacedAt   time.Time  `bun:"placed_at,notnull" json:"placed_at"`
	PlacedBy   string     `bun:"placed_by,notnull" json:"placed_by"`
	ReleasedAt *time.Time `bun:"released_at" json:"released_at,omitempty"`
	ReleasedBy string     `bun:"released_by,notnull" json:"released_by,omitempty"`
}

// Refund is money given back for an order: lines, and shipping when the
// last of the order is refunded.
type Refund struct {
	bun.BaseModel `bun:"table:refunds,alias:rf"`

	TenantID    string    `bun:"tenant_id,pk" json:"-"`
	ID          string    `bun:"id,pk" json:"id"`
	OrderID     string    `bun:"order_id,notnull" json:"order_id"`
	AmountFen   int64     `bun:"amount_fen,notnull" json:"amount_fen"`
	ShippingFen int64     `bun:"shipping_fen,notnull" json:"shipping_fen"`
	Whole       bool      `bun:"whole,notnull" json:"whole"`
	Restock     bool      `bun:"restock,notnull" json:"restock"`
	Reason      string    `bun:"reason,notnull" json:"reason"`
	Tender      string    `bun:"tender,notnull" json:"tender"`
	ActorID     *string   `bun:"actor_id" json:"actor_id,omitempty"`
	ActorRole   string    `bun:"actor_role,notnull" json:"actor_role"`
	CreatedAt   time.Time `bun:"created_at,notnull" json:"created_at"`

	Lines []*RefundLine `bun:"-" json:"lines"`
}

// RefundLine is the part of a refund that one line gets back.
type RefundLine struct {
	bun.BaseModel `bun:"table:refund_lines,alias:rl"`

	TenantID  string `bun:"tenant_id,pk" json:"-"`
	RefundID  string `bun:"refund_id,pk" json:"-"`
	LineID    string `bun:"line_id,pk" json:"line_id"`
	Qty       int    `bun:"qty,notnull" json:"qty"`
	AmountFen int64  `bun:"amount_fen,notnull" json:"amount_fen"`
	Restock   bool   `bun:"restock,notnull" json:"restock"`
}

// Attributes are a line's plugin attributes, stored as a JSON object
// ("{}" when there are none).
type Attributes map[string]string

// Value implements driver.Valuer.
func (a Attributes) Value() (driver.Value, error) {
	if len(a) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(map[string]string(a))
	return string(b), err
}

// Scan implements sql.Scanner.
func (a *Attributes) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*a = nil
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("order line attributes: cannot scan %T", src)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("order line attributes: %w", err)
	}
	if len(m) == 0 {
		m = nil
	}
	*a = m
	return nil
}
