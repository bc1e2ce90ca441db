package merchant

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Application statuses. Submitted and ChangesRequested are open: an
// applicant has at most one open application, and an open application
// holds its slug.
const (
	ApplicationSubmitted        = "submitted"
	ApplicationChangesRequested = "changes_requested"
	ApplicationApproved         = "approved"
	ApplicationRejected         = "rejected"
	ApplicationWithdrawn        = "withdrawn"
)

// Application is a merchant's request to sell on the marketplace: either
// with a shop of its own (Slug becomes the shop's subdomain) or, with
// ViaFlagship, through the tenant's flagship store.
type Application struct {
	bun.BaseModel `bun:"table:merchant_applications,alias:a"`

	TenantID    string `bun:"tenant_id,pk" json:"-"`
	ID          string `bun:"id,pk" json:"id"`
	ApplicantID string `bun:"applicant_id,notnull" json:"applicant_id"`
	ShopName    string `bun:"shop_name,notnull" json:"shop_name"`
	// Slug is the shop's subdomain; empty when ViaFlagship.
	Slug         string `bun:"slug,nullzero" json:"slug"`
	ContactName  string `bun:"contact_name,notnull" json:"contact_name"`
	ContactPhone string `bun:"contact_phone,notnull" json:"contact_phone"`
	ContactEmail string `bun:"contact_email,notnull" json:"contact_email"`
	// LicenceNo is the business licence number (营业执照号), upper case.
	LicenceNo string `bun:"licence_no,notnull" json:"licence_no"`
	// MainCategories are codes of MainCategories.
	MainCategories   CategoryCodes `bun:"main_categories,type:text,notnull" json:"main_categories"`
	RegionID         string        `bun:"region_id,notnull" json:"region_id"`
	ExpectedProducts int           `bun:"expected_products,notnull" json:"expected_products"`
	// ViaFlagship: the applicant sells through the flagship store instead
	// of opening a shop.
	ViaFlagship bool   `bun:"via_flagship,notnull" json:"via_flagship"`
	Status      string `bun:"status,notnull" json:"status"`
	// ReviewNote is the rejection reason or the changes asked for; the
	// applicant sees it.
	ReviewNote string     `bun:"review_note,notnull" json:"review_note"`
	ReviewedBy *string    `bun:"reviewed_by" json:"reviewed_by,omitempty"`
	ReviewedAt *time.Time `bun:"reviewed_at" json:"reviewed_at,omitempty"`
	// ShopID is the shop approval opened.
	ShopID    *string   `bun:"shop_id" json:"shop_id,omitempty"`
	CreatedAt time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt time.Time `bun:"updated_at,notnull" json:"updated_at"`
}

// Open reports whether the application still awaits a decision (submitted
// or changes requested).
func (a *Application) Open() bool {
	return a.Status == ApplicationSubmitted || a.Status == ApplicationChangesRequested
}

// ApplicationInput is what an applicant submits (and resubmits).
type ApplicationInput struct {
	ShopName     string `json:"shop_name"`
	Slug         string `json:"slug"`
	ContactName  string `json:"contact_name"`
	ContactPhone string `json:"contact_phone"`
	ContactEmail string `json:"contact_email"`
	LicenceNo    string `json:"licence_no"`
	// MainCategories: 1–5 codes of MainCategories.
	MainCategories   []string `json:"main_categories"`
	RegionID         string   `json:"region_id"`
	ExpectedProducts int      `json:"expected_products"`
	ViaFlagship      bool     `json:"via_flagship"`
}

// ApplicationFilter narrows the review queue.
type ApplicationFilter struct {
	Status   string // one of the Application statuses; "" for all
	RegionID string
	Page
}

// Page is a window of a list: at most Limit items (0: all) after skipping
// Offset.
type Page struct {
	Limit, Offset int
}

// apply limits q to the page.
func (pg Page) apply(q *bun.SelectQuery) *bun.SelectQuery {
	if pg.Offset > 0 {
		q = q.Offset(int64(pg.Offset))
	}
	if pg.Limit > 0 {
		q = q.Limit(int64(pg.Limit))
	}
	return q
}

// CategoryCodes is a list of top-level category codes, stored as a JSON
// array in a text column.
type CategoryCodes []string

// Value implements driver.Valuer.
func (c CategoryCodes) Value() (driver.Value, error) {
	if c == nil {
		c = CategoryCodes{}
	}
	b, err := json.Marshal([]string(c))
	return string(b), err
}

// Scan implements sql.Scanner.
func (c *CategoryCodes) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*c = CategoryCodes{}
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("merchant: cannot scan %T into CategoryCodes", src)
	}
	var out []string
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Errorf("merchant: main_categories: %w", err)
	}
	*c = out
	return nil
}

// Shop statuses. A shop moves pending → active ⇄ suspended, and any
// status → closed, which is final.
const (
	ShopPending   = "pending"
	ShopActive    = "active"
	ShopSuspended = "suspended"
	ShopClosed    = "closed"
)

// FlagshipSlug is the slug of every tenant's flagship store (官方旗舰店);
// validate reserves it, so no applicant can take it.
const FlagshipSlug = "flagship"

// Shop is a storefront of the marketplace: a merchant's own shop, or the
// tenant's flagship store.
type Shop struct {
	bun.BaseModel `bun:"table:shops,alias:s"`

	TenantID string `bun:"tenant_id,pk" json:"-"`
	ID       string `bun:"id,pk" json:"id"`
	Slug     string `bun:"slug,notnull" json:"slug"`
	Name     string `bun:"name,notnull" json:"name"`
	// RegionID is the shop's district; nil for the flagship store.
	RegionID *string `bun:"region_id" json:"region_id,omitempty"`
	// OwnerID is the merchant who applied; nil for the flagship store.
	OwnerID         *string `bun:"owner_id" json:"owner_id,omitempty"`
	IsFlagship      bool    `bun:"is_flagship,notnull" json:"is_flagship"`
	Status          string  `bun:"status,notnull" json:"status"`
	LogoPath        string  `bun:"logo_path,notnull" json:"logo_path"`
	BannerPath      string  `bun:"banner_path,notnull" json:"banner_path"`
	Description     string  `bun:"description,notnull" json:"description"`
	ServicePromises string  `bun:"service_promises,notnull" json:"service_promises"`
	ReturnsPolicy   string  `bun:"returns_policy,notnull" json:"returns_policy"`
	ContactPhone    string  `bun:"contact_phone,notnull" json:"contact_phone"`
	ContactEmail    string  `bun:"contact_email,notnull" json:"contact_email"`
	// ThemeColor is "#rrggbb" (lower case) or "" for the default.
	ThemeColor   string `bun:"theme_color,notnull" json:"theme_color"`
	Announcement string `bun:"announcement,notnull" json:"announcement"`
	// ReturnDays is the shop's returns window (无理由退货) in days, 0 to
	// ReturnDaysMax, 0 for none; nil for the tenant's default (see
	// ReturnsWindow).
	ReturnDays *int `bun:"return_days" json:"return_days"`
	// SuspendedReason says why the shop was suspended or closed.
	SuspendedReason string    `bun:"suspended_reason,notnull" json:"suspended_reason"`
	CreatedAt       time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt       time.Time `bun:"updated_at,notnull" json:"updated_at"`

	// Host is the shop's storefront host, {slug}.{tenant domain}; filled
	// on every read.
	Host string `bun:"-" json:"host"`
}

// Selling reports whether the shop sells: only active shops do. A
// suspended shop's storefront still shows, says so, and sells nothing.
func (s *Shop) Selling() bool { return s.Status == ShopActive }

// AuthzDomain is the shop's authorisation domain,
// "t/{tenant}/r/{region}/s/{shop}" ("t/{tenant}/s/{shop}" for the flagship
// store), for Check calls: region managers match the region part, owners
// and staff the shop part.
func (s *Shop) AuthzDomain() string {
	region := ""
	if s.RegionID != nil {
		region = *s.RegionID
	}
	return authz.ShopDomain(s.TenantID, region, s.ID)
}

// OwnerDomain is the domain shop roles are assigned in,
// "t/{tenant}/s/{shop}": without the region, so it covers AuthzDomain
// wherever the shop's region is.
func OwnerDomain(tenantID, shopID string) string { return authz.ShopDomain(tenantID, "", shopID) }

// PublicShop is what shoppers see of a shop: no owner, no internal notes.
type PublicShop struct {
	ID              string  `json:"id"`
	Slug            string  `json:"slug"`
	Name            string  `json:"name"`
	Host            string  `json:"host"`
	RegionID        *string `json:"region_id,omitempty"`
	IsFlagship      bool    `json:"is_flagship"`
	Status          string  `json:"status"`
	Selling         bool    `json:"selling"`
	LogoPath        string  `json:"logo_path"`
	BannerPath      string  `json:"banner_path"`
	Description     string  `json:"description"`
	ServicePromises string  `json:"service_promises"`
	ReturnsPolicy   string  `json:"returns_policy"`
	ContactPhone    string  `json:"contact_phone"`
	ContactEmail    string  `json:"contact_email"`
	ThemeColor      string  `json:"theme_color"`
	Announcement    string  `json:"announcement"`
}

// Public returns the shopper's view of s.
func (s *Shop) Public() PublicShop {
	return PublicShop{
		ID: s.ID, Slug: s.Slug, Name: s.Name, Host: s.Host, RegionID: s.RegionID, IsFlagship: s.IsFlagship,
		Status: s.Status, Selling: s.Selling(), LogoPath: s.LogoPath, BannerPath: s.BannerPath,
		Description: s.Description, ServicePromises: s.ServicePromises, ReturnsPolicy: s.ReturnsPolicy,
		ContactPhone: s.ContactPhone, ContactEmail: s.ContactEmail, ThemeColor: s.ThemeColor,
		Announcement: s.Announcement,
	}
}

// ShopHost returns the storefront host of the shop with slug in tenant t:
// {slug}.{tenant domain}, preferring the tenant's platform domain
// ({tenant slug}.{base domain}); "" when the tenant has no domain.
func ShopHost(t *tenants.Tenant, slug string) string {
	if t == nil || len(t.Domains) == 0 {
		return ""
	}
	d := t.Domains[0]
	for _, x := range t.Domains {
		if strings.HasPrefix(x, t.Slug+".") {
			d = x
			break
		}
	}
	return slug + "." + d
}

// ShopFilter narrows a shop list.
type ShopFilter struct {
	Status   string // one of the Shop statuses; "" for all
	RegionID string
	// Query matches the shop's name or slug (substring, case-insensitive).
	Query string
	Page
}

// ProfileInput is what a shop owner edits on the shop's profile.
type ProfileInput struct {
	Name            string `json:"name"`
	Description     string `json:"description"`
	ServicePromises string `json:"service_promises"`
	ReturnsPolicy   string `json:"returns_policy"`
	ContactPhone    string `json:"contact_phone"`
	ContactEmail    string `json:"contact_email"`
	ThemeColor      string `json:"theme_color"`
	Announcement    string `json:"announcement"`
	// ReturnDays is the shop's returns window in days (0 to
	// ReturnDaysMax; 0: no returns without reason); null or absent for
	// the tenant's default.
	ReturnDays *int `json:"return_days"`
}

// StaffMember is one person working for a shop: its owner(s) and staff.
type StaffMember struct {
	bun.BaseModel `bun:"table:shop_staff,alias:ss"`

	TenantID  string    `bun:"tenant_id,pk" json:"-"`
	ID        string    `bun:"id,pk" json:"id"`
	ShopID    string    `bun:"shop_id,notnull" json:"shop_id"`
	UserID    string    `bun:"user_id,notnull" json:"user_id"`
	Role      string    `bun:"role,notnull" json:"role"` // authz.MerchantOwner or authz.MerchantStaff
	CreatedAt time.Time `bun:"created_at,notnull" json:"created_at"`

	// The account's name, e-mail and phone.
	Name  string `bun:"user_name,scanonly" json:"name"`
	Email string `bun:"user_email,scanonly" json:"email,omitempty"`
	Phone string `bun:"user_phone,scanonly" json:"phone,omitempty"`
}

// Invitation asks someone, named by e-mail or phone, to join a shop's
// staff. The token that accepts it is shown once to the inviter and stored
// only as a hash.
type Invitation struct {
	bun.BaseModel `bun:"table:shop_invitations,alias:i"`

	TenantID   string     `bun:"tenant_id,pk" json:"-"`
	ID         string     `bun:"id,pk" json:"id"`
	ShopID     string     `bun:"shop_id,notnull" json:"shop_id"`
	Email      string     `bun:"email,notnull" json:"email,omitempty"`
	Phone      string     `bun:"phone,notnull" json:"phone,omitempty"`
	Role       string     `bun:"role,notnull" json:"role"`
	TokenHash  string     `bun:"token_hash,notnull" json:"-"`
	InvitedBy  string     `bun:"invited_by,notnull" json:"invited_by"`
	ExpiresAt  time.Time  `bun:"expires_at,notnull" json:"expires_at"`
	AcceptedAt *time.Time `bun:"accepted_at" json:"accepted_at,omitempty"`
	AcceptedBy *string    `bun:"accepted_by" json:"accepted_by,omitempty"`
	CreatedAt  time.Time  `bun:"created_at,notnull" json:"created_at"`
}

// InviteInput names the person to invite (e-mail or phone, at least one)
// and the role they get.
type InviteInput struct {
	Email string `json:"email"`
	Phone string `json:"phone"`
	Role  string `json:"role"` // authz.MerchantStaff (default) or authz.MerchantOwner
}

// InvitationTTL is how long an invitation can be accepted.
const InvitationTTL = 7 * 24 * time.Hour

// FlagshipSupplier records an approved applicant who sells through the
// tenant's flagship store.
type FlagshipSupplier struct {
	bun.BaseModel `bun:"table:flagship_suppliers,alias:fs"`

	TenantID      string    `bun:"tenant_id,pk" json:"-"`
	ID            string    `bun:"id,pk" json:"id"`
	UserID        string    `bun:"user_id,notnull" json:"user_id"`
	ApplicationID string    `bun:"application_id,notnull" json:"application_id"`
	CreatedAt     time.Time `bun:"created_at,notnull" json:"created_at"`
}
