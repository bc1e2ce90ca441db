package sdk_test

import (
	"testing"
	"time"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
)

func TestActiveFor(t *testing.T) {
	// The plugin is on in north and east, off for shop n2 in north, and on
	// for shop s1 in south, where it is otherwise off.
	tenantWide := &pluginv1.TenantContext{
		TenantId:        "t1",
		ActiveRegionIds: []string{"north", "east"},
		EnabledShopIds:  []string{"s1"},
		DisabledShopIds: []string{"n2"},
	}
	shopCall := &pluginv1.TenantContext{
		TenantId:        "t1",
		RegionId:        "north",
		ShopId:          "n1",
		ActiveRegionIds: []string{"north"}, // not sent on shop calls; ignored if it were
	}
	tests := []struct {
		name         string
		tc           *pluginv1.TenantContext
		region, shop string
		want         bool
	}{
		{"tenant-wide: shop in an active region", tenantWide, "north", "n1", true},
		{"tenant-wide: another active region", tenantWide, "east", "e1", true},
		{"tenant-wide: shop switched off in an active region", tenantWide, "north", "n2", false},
		{"tenant-wide: shop switched on in an inactive region", tenantWide, "south", "s1", true},
		{"tenant-wide: other shop in an inactive region", tenantWide, "south", "s2", false},
		{"tenant-wide: switched-on shop whatever region is given", tenantWide, "", "s1", true},
		{"tenant-wide: switched-off shop even when its region is active", tenantWide, "east", "n2", false},
		{"tenant-wide: no region", tenantWide, "", "x1", false},
		{"tenant-wide: region only, active", tenantWide, "north", "", true},
		{"tenant-wide: region only, inactive", tenantWide, "south", "", false},
		{"tenant-wide: nothing active", &pluginv1.TenantContext{TenantId: "t1"}, "north", "n1", false},
		{"shop call: the call's shop", shopCall, "north", "n1", true},
		{"shop call: the call's shop, region not checked", shopCall, "south", "n1", true},
		{"shop call: another shop in the same region", shopCall, "north", "n3", false},
		{"shop call: no shop", shopCall, "north", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tn, err := sdk.NewTenant(tt.tc)
			if err != nil {
				t.Fatal(err)
			}
			if got := tn.ActiveFor(tt.region, tt.shop); got != tt.want {
				t.Errorf("ActiveFor(%q, %q) = %v, want %v", tt.region, tt.shop, got, tt.want)
			}
		})
	}
}

func TestTenantLocation(t *testing.T) {
	tn, err := sdk.NewTenant(&pluginv1.TenantContext{TenantId: "t1", TimeZone: "Asia/Urumqi"})
	if err != nil {
		t.Fatal(err)
	}
	if got := tn.Location(time.UTC); got.String() != "Asia/Urumqi" {
		t.Fatalf("location %s, want Asia/Urumqi", got)
	}
	tn.TimeZone = "Nowhere/Land"
	if got := tn.Location(time.UTC); got != time.UTC {
		t.Fatalf("unknown zone: %s, want the fallback", got)
	}
}
