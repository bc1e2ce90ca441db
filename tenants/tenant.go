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
}

// DefaultSettings returns the settings a new tenant starts with.
func DefaultSettings() Settings {
	return Settings{
		MinProductsForOwnShop: 10,
		DiscountFloorPercent:  70,
		ServiceHours:          "08:00–23:00",
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
