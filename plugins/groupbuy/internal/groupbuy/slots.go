package groupbuy

import (
	"context"
	"fmt"
	"strconv"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// slotCacheSeconds is how long the host may keep a slot's answer.
const slotCacheSeconds = 5

// SlotContent fills the product page's slots when the product has a live
// campaign in a shop the call admits (the lowest group price among
// several): product.badge with "3人团", product.price with the group price
// against the regular one, a link to the campaign and its end. Other
// products get nothing.
func (p *Plugin) SlotContent(ctx context.Context, t *sdk.Tenant, req *pluginv1.SlotContentRequest) (*pluginv1.SlotContentResponse, error) {
	resp := &pluginv1.SlotContentResponse{CacheSeconds: slotCacheSeconds}
	if req.GetProductId() == "" {
		return resp, nil
	}
	now := p.clock()
	var cs []Campaign
	q := p.st.DB.NewSelect().Model(&cs).
		Column("id", "shop_id", "region_id", "group_price_fen", "regular_price_fen", "group_size", "ends_at").
		Where("tenant_id = ?", t.ID).Where("product_id = ?", req.GetProductId()).Where("status = ?", CampaignActive).
		Where("starts_at <= ?", now).Where("ends_at > ?", now).OrderExpr("group_price_fen, ends_at, id").Limit(10)
	if err := inScope(q, t).Scan(ctx); err != nil {
		return nil, fmt.Errorf("groupbuy: campaigns of product %s: %w", req.GetProductId(), err)
	}
	for i := range cs {
		c := &cs[i]
		if !t.ActiveFor(c.RegionID, c.ShopID) {
			continue
		}
		item := &pluginv1.SlotItem{}
		switch req.GetSlot() {
		case SlotBadge:
			item.Badge = text(t.Locale, "groupbuy.badge", "size", strconv.Itoa(c.GroupSize))
		case SlotPrice:
			item.Title = text(t.Locale, "groupbuy.price.title")
			item.PriceFen = &c.GroupPriceFen
			item.OriginalPriceFen = &c.RegularPriceFen
			item.Link = "/p/" + Name + "/campaigns/" + c.ID
			item.EndsAt = timestamppb.New(c.EndsAt)
		default:
			return resp, nil
		}
		resp.Items = []*pluginv1.SlotItem{item}
		break
	}
	return resp, nil
}
