package groupbuy

import (
	"time"

	"github.com/uptrace/bun"
)

// Campaign states.
const (
	CampaignPendingApproval = "pending_approval"
	CampaignActive          = "active"
	CampaignPaused          = "paused"
	CampaignRejected        = "rejected"
	CampaignEnded           = "ended"
)

// Group states.
const (
	GroupPending   = "pending"   // the leader has ordered and not paid
	GroupOpen      = "open"      // the leader has paid; others may join until expires_at
	GroupSucceeded = "succeeded" // enough members paid: their holds are released
	GroupFailed    = "failed"    // expired short of members: paid orders are refunded
	GroupCancelled = "cancelled" // the leader never paid, or left alone
)

// Member states.
const (
	MemberPending  = "pending"
	MemberPaid     = "paid"
	MemberLeft     = "left"
	MemberRefunded = "refunded"
)

// Member roles.
const (
	RoleLeader = "leader"
	RoleMember = "member"
)

// Host calls a member may still need.
const (
	actionNone    = ""
	actionRelease = "release" // ReleaseOrderHold: the group succeeded
	actionCancel  = "cancel"  // CancelOrder without refund: an unpaid order of a group that closed
	actionRefund  = "refund"  // CancelOrder with refund: a paid order of a group that failed
)

// Campaign is one SKU of one shop sold at a group price for a window.
type Campaign struct {
	bun.BaseModel `bun:"table:groupbuy_campaigns"`

	TenantID          string    `bun:"tenant_id,pk" json:"-"`
	ID                string    `bun:"id,pk" json:"id"`
	ShopID            string    `bun:"shop_id" json:"shop_id"`
	RegionID          string    `bun:"region_id" json:"region_id"`
	ProductID         string    `bun:"product_id" json:"product_id"`
	SkuID             string    `bun:"sku_id" json:"sku_id"`
	Title             string    `bun:"title" json:"title"`
	ImageURL          string    `bun:"image_url" json:"image_url,omitempty"`
	GroupPriceFen     int64     `bun:"group_price_fen" json:"group_price_fen"`
	LeaderPriceFen    int64     `bun:"leader_price_fen" json:"leader_price_fen"`
	RegularPriceFen   int64     `bun:"regular_price_fen" json:"regular_price_fen"`
	GroupSize         int       `bun:"group_size" json:"group_size"`
	FillHours         int       `bun:"fill_hours" json:"fill_hours"`
	StartsAt          time.Time `bun:"starts_at" json:"starts_at"`
	EndsAt            time.Time `bun:"ends_at" json:"ends_at"`
	PerShopperLimit   int       `bun:"per_shopper_limit" json:"per_shopper_limit"`
	Quota             int64     `bun:"quota" json:"quota"`
	Sold              int64     `bun:"sold" json:"sold"`
	PendingQty        int64     `bun:"pending_qty" json:"pending_qty"`
	SoloAllowed       bool      `bun:"solo_allowed" json:"solo_allowed"`
	VirtualSuccessPct int       `bun:"virtual_success_pct" json:"virtual_success_pct"`
	DailySpecial      bool      `bun:"daily_special" json:"daily_special"`
	WeeklyDeal        bool      `bun:"weekly_deal" json:"weekly_deal"`
	Status            string    `bun:"status" json:"status"`
	UsageMonth        string    `bun:"usage_month" json:"usage_month"`
	Billable          bool      `bun:"billable" json:"billable"`
	UsageRecordedAt   time.Time `bun:"usage_recorded_at,nullzero" json:"-"`
	UsageLeaseUntil   time.Time `bun:"usage_lease_until,nullzero" json:"-"`
	CreatedAt         time.Time `bun:"created_at" json:"created_at"`
	CreatedBy         string    `bun:"created_by" json:"created_by"`
	UpdatedAt         time.Time `bun:"updated_at" json:"updated_at"`
}

// Remaining is how many units may still be ordered: the quota less what
// is paid and what is ordered and not paid yet.
func (c *Campaign) Remaining() int64 { return max(0, c.Quota-c.Sold-c.PendingQty) }

// Live reports whether shoppers may order in the campaign at now: active
// and within its window.
func (c *Campaign) Live(now time.Time) bool {
	return c.Status == CampaignActive && !now.Before(c.StartsAt) && now.Before(c.EndsAt)
}

// Group is one group of shoppers buying a campaign together.
type Group struct {
	bun.BaseModel `bun:"table:groupbuy_groups"`

	TenantID         string    `bun:"tenant_id,pk" json:"-"`
	ID               string    `bun:"id,pk" json:"id"`
	ShopID           string    `bun:"shop_id" json:"shop_id"`
	RegionID         string    `bun:"region_id" json:"region_id"`
	CampaignID       string    `bun:"campaign_id" json:"campaign_id"`
	Status           string    `bun:"status" json:"status"`
	LeaderCustomerID string    `bun:"leader_customer_id" json:"leader_customer_id"`
	GroupSize        int       `bun:"group_size" json:"group_size"`
	OpenedAt         time.Time `bun:"opened_at" json:"opened_at"`
	ExpiresAt        time.Time `bun:"expires_at,nullzero" json:"expires_at,omitzero"`
	FinishedAt       time.Time `bun:"finished_at,nullzero" json:"finished_at,omitzero"`
}

// Member is one order's place in a group.
type Member struct {
	bun.BaseModel `bun:"table:groupbuy_members"`

	TenantID         string    `bun:"tenant_id,pk" json:"-"`
	ID               string    `bun:"id,pk" json:"id"`
	GroupID          string    `bun:"group_id" json:"group_id"`
	CampaignID       string    `bun:"campaign_id" json:"campaign_id"`
	ShopID           string    `bun:"shop_id" json:"-"`
	RegionID         string    `bun:"region_id" json:"-"`
	CustomerID       string    `bun:"customer_id" json:"customer_id"`
	OrderID          string    `bun:"order_id" json:"order_id"`
	SkuID            string    `bun:"sku_id" json:"sku_id"`
	Quantity         int64     `bun:"quantity" json:"quantity"`
	UnitPriceFen     int64     `bun:"unit_price_fen" json:"unit_price_fen"`
	TotalFen         int64     `bun:"total_fen" json:"total_fen"`
	LineAttrs        string    `bun:"line_attrs" json:"-"`
	Role             string    `bun:"role" json:"role"`
	Status           string    `bun:"status" json:"status"`
	InvitedBy        string    `bun:"invited_by" json:"invited_by,omitempty"`
	Position         int       `bun:"position" json:"position"`
	HoldID           string    `bun:"hold_id" json:"-"`
	JoinedAt         time.Time `bun:"joined_at" json:"joined_at"`
	PaidAt           time.Time `bun:"paid_at,nullzero" json:"paid_at,omitzero"`
	LeftAt           time.Time `bun:"left_at,nullzero" json:"left_at,omitzero"`
	Action           string    `bun:"action" json:"-"`
	ActionKey        string    `bun:"action_key" json:"-"`
	ActionDoneAt     time.Time `bun:"action_done_at,nullzero" json:"-"`
	ActionLeaseUntil time.Time `bun:"action_lease_until,nullzero" json:"-"`
}

// processedEvent marks an event whose effects are applied.
type processedEvent struct {
	bun.BaseModel `bun:"table:groupbuy_processed_events"`

	TenantID    string    `bun:"tenant_id,pk"`
	EventID     string    `bun:"event_id,pk"`
	EventType   string    `bun:"event_type"`
	ProcessedAt time.Time `bun:"processed_at"`
}

// Coupon is an invite rebate: money off a later order in the shop.
type Coupon struct {
	bun.BaseModel `bun:"table:groupbuy_coupons"`

	TenantID       string    `bun:"tenant_id,pk" json:"-"`
	ID             string    `bun:"id,pk" json:"id"`
	ShopID         string    `bun:"shop_id" json:"shop_id"`
	CustomerID     string    `bun:"customer_id" json:"customer_id"`
	Code           string    `bun:"code" json:"code"`
	AmountFen      int64     `bun:"amount_fen" json:"amount_fen"`
	MinSpendFen    int64     `bun:"min_spend_fen" json:"min_spend_fen"`
	FromGroupID    string    `bun:"from_group_id" json:"from_group_id"`
	PendingOrderID string    `bun:"pending_order_id" json:"pending_order_id,omitempty"`
	UsedOrderID    string    `bun:"used_order_id" json:"used_order_id,omitempty"`
	UsedAt         time.Time `bun:"used_at,nullzero" json:"used_at,omitzero"`
	CreatedAt      time.Time `bun:"created_at" json:"created_at"`
}

// campaignUsage counts a shop's campaigns of one month.
type campaignUsage struct {
	bun.BaseModel `bun:"table:groupbuy_campaign_usage"`

	TenantID     string `bun:"tenant_id,pk"`
	ShopID       string `bun:"shop_id,pk"`
	Month        string `bun:"month,pk"`
	IncludedUsed int    `bun:"included_used"`
	ExtraUsed    int    `bun:"extra_used"`
}
