package sdk

import "slices"

// ActiveFor reports whether the plugin may act for the shop shopID in the
// region regionID while serving t.
//
// A call for one shop (t.ShopID set) admits that shop alone. A tenant-wide
// call (a job, a tenant-wide page) carries where the plugin is active: a
// shop switched off is refused, a shop switched on is admitted wherever it
// is, and any other shop is admitted when its region is one the plugin is
// active in. A tenant-wide job therefore checks ActiveFor before it touches
// an order or a product of a shop.
func (t *Tenant) ActiveFor(regionID, shopID string) bool {
	if t.ShopID != "" {
		return shopID == t.ShopID
	}
	if shopID != "" {
		if slices.Contains(t.DisabledShopIDs, shopID) {
			return false
		}
		if slices.Contains(t.EnabledShopIDs, shopID) {
			return true
		}
	}
	return regionID != "" && slices.Contains(t.ActiveRegionIDs, regionID)
}
