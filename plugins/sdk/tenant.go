package sdk

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
)

// Tenant is the TenantContext of one call, decoded: who the call is for and
// the plugin's settings resolved for that tenant, region and shop.
type Tenant struct {
	// ID is the tenant (marketplace operator); never empty.
	ID string
	// Slug is the tenant's URL slug, for links and logs.
	Slug string
	// RegionID is the region of the shop concerned; empty for tenant-wide calls.
	RegionID string
	// ShopID is the shop concerned; empty for tenant-wide calls.
	ShopID string
	// Config is the plugin's settings for this tenant, region and shop, a JSON
	// object valid against the manifest's settings schema ("{}" when unset).
	Config json.RawMessage
	// ConfigVersion grows whenever an admin changes the settings.
	ConfigVersion int64
	// RequestID is the host request this call serves, for logs.
	RequestID string
	// Capability is the token to present on host callbacks made while
	// serving this call; it is opaque.
	Capability string
	// CapabilityExpiresAt is when the capability stops being accepted.
	CapabilityExpiresAt time.Time
	// Deadline is when the host stops waiting; the context's deadline is
	// authoritative.
	Deadline time.Time
	// Locale is the BCP 47 tag for text shown to people ("zh-CN", "en").
	Locale string
	// TimeZone is the tenant's IANA time zone ("Asia/Shanghai"); Location
	// loads it.
	TimeZone string
	// ActiveRegionIDs are the regions the plugin is switched on for; sent on
	// tenant-wide calls only. See ActiveFor.
	ActiveRegionIDs []string
	// EnabledShopIDs are shops switched on in a region where the plugin is
	// not active; sent on tenant-wide calls only.
	EnabledShopIDs []string
	// DisabledShopIDs are shops switched off in a region where the plugin is
	// active; sent on tenant-wide calls only.
	DisabledShopIDs []string
}

// NewTenant decodes a TenantContext. It returns an error when tc is missing
// or names no tenant: a call that serves no tenant is a host bug.
func NewTenant(tc *pluginv1.TenantContext) (*Tenant, error) {
	if tc == nil || tc.GetTenantId() == "" {
		return nil, fmt.Errorf("tenant context: no tenant id")
	}
	t := &Tenant{
		ID:            tc.GetTenantId(),
		Slug:          tc.GetTenantSlug(),
		RegionID:      tc.GetRegionId(),
		ShopID:        tc.GetShopId(),
		Config:        json.RawMessage(tc.GetConfigJson()),
		ConfigVersion: tc.GetConfigVersion(),
		RequestID:     tc.GetRequestId(),
		Capability:    tc.GetCapability(),
		Locale:        tc.GetLocale(),
		TimeZone:      tc.GetTimeZone(),

		ActiveRegionIDs: tc.GetActiveRegionIds(),
		EnabledShopIDs:  tc.GetEnabledShopIds(),
		DisabledShopIDs: tc.GetDisabledShopIds(),
	}
	if len(t.Config) == 0 {
		t.Config = json.RawMessage("{}")
	}
	if ts := tc.GetCapabilityExpiresAt(); ts != nil {
		t.CapabilityExpiresAt = ts.AsTime()
	}
	if ts := tc.GetDeadline(); ts != nil {
		t.Deadline = ts.AsTime()
	}
	return t, nil
}

// DecodeConfig unmarshals the tenant's settings into v.
func (t *Tenant) DecodeConfig(v any) error {
	if err := json.Unmarshal(t.Config, v); err != nil {
		return fmt.Errorf("decode config of tenant %s (version %d): %w", t.ID, t.ConfigVersion, err)
	}
	return nil
}

// Logger returns the plugin's logger with the tenant, shop and request id
// attached.
func (t *Tenant) Logger() hclog.Logger {
	return Logger().With("tenant", t.ID, "region", t.RegionID, "shop", t.ShopID, "request_id", t.RequestID)
}

// Location returns the tenant's time zone, or fallback when the host sent
// none or an unknown one.
func (t *Tenant) Location(fallback *time.Location) *time.Location {
	if t.TimeZone != "" {
		if loc, err := time.LoadLocation(t.TimeZone); err == nil {
			return loc
		}
	}
	return fallback
}
