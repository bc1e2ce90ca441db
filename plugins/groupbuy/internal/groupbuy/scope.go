package groupbuy

import (
	"github.com/jishi-dev/jishi/plugins/sdk"
	"github.com/uptrace/bun"
)

// inScope restricts q, a select on one table with shop_id and region_id
// columns, to the shops t admits: the call's shop, or on a tenant-wide call
// the shops the plugin is active for — the SQL form of sdk.Tenant.ActiveFor,
// which callers still apply to the rows read.
func inScope(q *bun.SelectQuery, t *sdk.Tenant) *bun.SelectQuery {
	if t.ShopID != "" {
		return q.Where("shop_id = ?", t.ShopID)
	}
	if len(t.ActiveRegionIDs) == 0 && len(t.EnabledShopIDs) == 0 {
		return q.Where("1 = 0")
	}
	if len(t.DisabledShopIDs) > 0 {
		q = q.Where("shop_id NOT IN (?)", bun.List(t.DisabledShopIDs))
	}
	return q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		if len(t.ActiveRegionIDs) > 0 {
			q = q.WhereOr("region_id IN (?)", bun.List(t.ActiveRegionIDs))
		}
		if len(t.EnabledShopIDs) > 0 {
			q = q.WhereOr("shop_id IN (?)", bun.List(t.EnabledShopIDs))
		}
		return q
	})
}
