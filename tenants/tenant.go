// Package tenants holds the marketplaces (tenants) a Jishi deployment
// hosts, their regions and domains, resolution of a request to its tenant,
// and provisioning. It imports only the leaf packages of core (errors,
// i18n, validate); core imports it, never the reverse.
package tenants

import (
	"time"

	"github.com/uptrace/bun"
)

// Tenant is one marketplace, such as 网上供销社·长沙. The tenants table is
// global (it is what every tenant table refers to).
type Tenant struct {
	bun.BaseModel `bun:"table:tenants"`

	ID            string    `bun:"id,pk" json:"id"`
	Slug          string    `bun:"slug,notnull" json:"slug"`
	Name          string    `bun:"name,notnull" json:"name"`
	TimeZone      string    `bun:"time_zone,notnull" json:"time_zone"`
	Currency      string    `bun:"currency,notnull" json:"currency"`
	DefaultLocale string    `bun:"default_locale,notnull" json:"default_locale"`
	Settings      Settings  `bun:"settings,type:jsonb,notnull" json:"settings"`
	Status        string    `bun:"status,notnull" json:"status"`
	CreatedAt     time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at,notnull" json:"updated_at"`

	Domains []string `bun:"-" json:"domains"`
}

// Tenant statuses.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
)

// Location returns the tenant's time zone, falling back to Asia/Shanghai.
func (t *Tenant) Location() *time.Location {
	if loc, err := time.LoadLocation(t.TimeZone); err == nil {
		return loc
	}
	loc, _ := time.LoadLocation(DefaultTimeZone)
	return loc
}

// Defaults of a new tenant.
const (
	DefaultTimeZone = "Asia/Shanghai"
	DefaultCurrency = "CNY"
	DefaultLocale   = "zh-CN"
)

// Settings are a tenant's adjustable rules.
type Settings struct {
	// MinProductsForOwnShop: an applicant expecting fewer products is
	// offered listing through the flagship store instead (the seed's rule:
	// 10).
	MinProductsForOwnShop int `json:"min_products_for_own_shop"`
	// DiscountFloorPercent: outside a big-promotion window no price may
	// fall below this share of list price (the seed's 不低于7折: 70).
	DiscountFloorPercent int `json:"discount_floor_percent"`
	// ServiceHours is shown in the customer-service centre.
	ServiceHours string `json:"service_hours"`
	// ContactEmail is shown on every storefront page.
	ContactEmail string `json:"contact_email"`
	// Announcement is the marketplace notice on the storefront home
	// (empty for none).
	Announcement string `json:"announcement,omitempty"`

	// BigPromotions are the tenant-declared big-promotion windows (大促)
	// during which the discount floor does not apply.
	BigPromotions []PromoWindow `json:"big_promotions,omitempty"`
	// CommissionBP is the platform commission in basis points of a shop
	// order's net sales (500 = 5%); per-category and per-shop overrides
	// live with the ledger. 0 in stored settings means the default.
	CommissionBP int `json:"commission_bp,omitempty"`
	// DispatchCutoff is the daily dispatch cut-off, "HH:MM" in the
	// tenant's zone (the seed's 14:00). "" means the default.
	DispatchCutoff string `json:"dispatch_cutoff,omitempty"`
	// UnpaidCancelMinutes: an order still awaiting payment this long after
	// checkout cancels itself and releases its stock (0 = the default).
	UnpaidCancelMinutes int `json:"unpaid_cancel_minutes,omitempty"`
	// ReturnDays is the default returns window of shops (7天无理由退货;
	// 0 = the default).
	ReturnDays int `json:"return_days,omitempty"`
}

// PromoWindow is a big-promotion window, [Start, End).
type PromoWindow struct {
	Name  string    `json:"name"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Defaults of the settings that older stored settings may lack.
const (
	DefaultCommissionBP        = 500
	DefaultDispatchCutoff      = "14:00"
	DefaultUnpaidCancelMinutes = 30
	DefaultReturnDays          = 7
	DefaultDiscountFloor       = 70
)

// Commission returns the commission rate in basis points.
func (s Settings) Commission() int {
	if s.CommissionBP <= 0 {
		return DefaultCommissionBP
	}
	return s.CommissionBP
}

// Cutoff returns the dispatch cut-off as "HH:MM".
func (s Settings) Cutoff() string {
	if s.DispatchCutoff == "" {
		return DefaultDispatchCutoff
	}
	return s.DispatchCutoff
}

// UnpaidCancelAfter returns how long an unpaid order waits before it
// cancels itself.
func (s Settings) UnpaidCancelAfter() time.Duration {
	m := s.UnpaidCancelMinutes
	if m <= 0 {
		m = DefaultUnpaidCancelMinutes
	}
	return time.Duration(m) * time.Minute
}

// Returns returns the returns window in days.
func (s Settings) Returns() int {
	if s.ReturnDays <= 0 {
		return DefaultReturnDays
	}
	return s.ReturnDays
}

// Floor returns the discount floor in percent of list price.
func (s Settings) Floor() int {
	if s.DiscountFloorPercent <= 0 || s.DiscountFloorPercent > 100 {
		return DefaultDiscountFloor
	}
	return s.DiscountFloorPercent
}

// InBigPromotion reports whether t falls in a big-promotion window.
func (s Settings) InBigPromotion(t time.Time) bool {
	for _, w := range s.BigPromotions {
		if !t.Before(w.Start) && t.Before(w.End) {
			return true
		}
	}
	return false
}

// DefaultSettings returns the settings a new tenant starts with.
func DefaultSettings() Settings {
	return Settings{
		MinProductsForOwnShop: 10,
		DiscountFloorPercent:  DefaultDiscountFloor,
		ServiceHours:          "08:00–23:00",
		CommissionBP:          DefaultCommissionBP,
		DispatchCutoff:        DefaultDispatchCutoff,
		UnpaidCancelMinutes:   DefaultUnpaidCancelMinutes,
		ReturnDays:            DefaultReturnDays,
	}
}

// Domain maps a host name to a tenant. The tenant_domains table is global:
// it is read before any tenant is known.
type Domain struct {
	bun.BaseModel `bun:"table:tenant_domains"`

	Domain    string    `bun:"domain,pk"`
	TenantID  string    `bun:"tenant_id,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
}

// Region is a node of a tenant's region tree: a city with its districts
// (区). Regions scope plugins, warehouses, pickup points and region
// managers.
type Region struct {
	bun.BaseModel `bun:"table:regions"`

	TenantID  string    `bun:"tenant_id,pk" json:"-"`
	ID        string    `bun:"id,pk" json:"id"`
	ParentID  *string   `bun:"parent_id" json:"parent_id,omitempty"`
	Code      string    `bun:"code,notnull" json:"code"`
	Name      string    `bun:"name,notnull" json:"name"`
	Level     string    `bun:"level,notnull" json:"level"`
	Sort      int       `bun:"sort,notnull" json:"sort"`
	CreatedAt time.Time `bun:"created_at,notnull" json:"created_at"`

	Children []*Region `bun:"-" json:"children,omitempty"`
}

// Region levels.
const (
	LevelCity     = "city"
	LevelDistrict = "district"
)
