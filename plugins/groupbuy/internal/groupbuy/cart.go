package groupbuy

import (
	"context"
	"fmt"
	"strconv"
	"time"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
	"github.com/uptrace/bun"
)

// Adjustment codes.
const (
	CodeGroupPrice   = "groupbuy.group-price"
	CodeLeaderPrice  = "groupbuy.leader-price"
	CodeInviteRebate = "groupbuy.invite-rebate"
)

// cartCampaign is what AdjustCart reads of a campaign.
type cartCampaign struct {
	ID              string    `bun:"id"`
	SkuID           string    `bun:"sku_id"`
	Status          string    `bun:"status"`
	StartsAt        time.Time `bun:"starts_at"`
	EndsAt          time.Time `bun:"ends_at"`
	GroupPriceFen   int64     `bun:"group_price_fen"`
	LeaderPriceFen  int64     `bun:"leader_price_fen"`
	PerShopperLimit int64     `bun:"per_shopper_limit"`
	Quota           int64     `bun:"quota"`
	Sold            int64     `bun:"sold"`
	PendingQty      int64     `bun:"pending_qty"`
	SoloAllowed     bool      `bun:"solo_allowed"`
}

func (c *cartCampaign) live(now time.Time) bool {
	return c.Status == CampaignActive && !now.Before(c.StartsAt) && now.Before(c.EndsAt)
}

// cartGroup is a group a cart line asks to join, as its members show it.
type cartGroup struct {
	status     string
	campaignID string
	size       int
	seats      int // pending and paid members
	joined     bool
}

// AdjustCart prices one shop's lines. A line carrying groupbuy.campaign
// gets the group price (or, opening a new group, the leader price) as a
// line discount and a hold, or a field error "/lines/{line_id}" saying why
// it cannot (guest, campaign not live, SKU mismatch, group closed or full
// or already joined, per-shopper limit, quota). A line without it whose
// SKU is in a live campaign that is not sold alone is refused. The
// shopper's best unused invite rebate the shop's subtotal reaches is taken
// off the order.
//
// It makes at most two indexed queries: the campaigns the lines name with
// the live group-only campaigns of their SKUs, and (for a signed-in
// shopper) the members that count for the groups and limits with the
// shopper's rebate coupons.
func (p *Plugin) AdjustCart(ctx context.Context, t *sdk.Tenant, req *pluginv1.AdjustCartRequest) (*pluginv1.AdjustCartResponse, error) {
	resp := &pluginv1.AdjustCartResponse{}
	lines := req.GetLines()
	if len(lines) == 0 || t.ShopID == "" {
		return resp, nil
	}
	now := p.clock()
	db := p.st.DB

	skus := make([]string, 0, len(lines))
	var campaignIDs, groupIDs []string
	for _, l := range lines {
		skus = append(skus, l.GetSkuId())
		if id := l.GetAttributes()[AttrCampaign]; id != "" {
			campaignIDs = append(campaignIDs, id)
			if g := l.GetAttributes()[AttrGroup]; g != "" {
				groupIDs = append(groupIDs, g)
			}
		}
	}

	// A cart without group-buy lines (most carts) is answered from the
	// shop's summary: no query unless the shopper holds a rebate coupon.
	if len(campaignIDs) == 0 {
		sum, err := p.summary(ctx, t, now)
		if err != nil {
			return nil, err
		}
		for _, l := range lines {
			if sum.soloOnly[l.GetSkuId()] {
				resp.Errors = append(resp.Errors, fieldError(t, "/lines/"+l.GetLineId(), "groupbuy.cart.solo_not_allowed"))
			}
		}
		if len(resp.Errors) > 0 || req.GetCustomerId() == "" || !sum.holders[req.GetCustomerId()] {
			return resp, nil
		}
	}

	// The campaigns the lines name, and the live group-only campaigns of
	// their SKUs (the only ones that refuse a line without attributes).
	var camps []cartCampaign
	const cols = "SELECT id, sku_id, status, starts_at, ends_at, group_price_fen, leader_price_fen, per_shopper_limit, quota, sold, pending_qty, solo_allowed FROM groupbuy_campaigns"
	query := cols + " WHERE tenant_id = ? AND shop_id = ? AND sku_id IN (?) AND status = ? AND solo_allowed = ? AND starts_at <= ? AND ends_at > ?"
	args := []any{t.ID, t.ShopID, bun.List(skus), CampaignActive, false, now, now}
	if len(campaignIDs) > 0 {
		query += " UNION ALL " + cols + " WHERE tenant_id = ? AND shop_id = ? AND id IN (?)"
		args = append(args, t.ID, t.ShopID, bun.List(campaignIDs))
	}
	if err := db.NewRaw(query, args...).Scan(ctx, &camps); err != nil {
		return nil, fmt.Errorf("adjust cart: campaigns: %w", err)
	}
	byID := make(map[string]*cartCampaign, len(camps))
	soloRefused := map[string]bool{} // SKU → a live campaign sells it in groups only
	for i := range camps {
		c := &camps[i]
		byID[c.ID] = c
		if !c.SoloAllowed && c.live(now) {
			soloRefused[c.SkuID] = true
		}
	}

	customer := req.GetCustomerId()
	used := map[string]int64{} // campaign → the shopper's pending and paid units
	groups := map[string]*cartGroup{}
	var coupons []Coupon
	if customer != "" {
		rows, err := p.shopperRows(ctx, t, customer, campaignIDs, groupIDs)
		if err != nil {
			return nil, err
		}
		seen := make(map[string]bool, len(rows))
		for _, r := range rows {
			if r.Kind == "coupon" {
				coupons = append(coupons, Coupon{ID: r.ID, AmountFen: r.AmountFen, MinSpendFen: r.MinSpendFen, CreatedAt: r.CreatedAt})
				continue
			}
			if seen[r.ID] {
				continue
			}
			seen[r.ID] = true
			if r.CustomerID == customer {
				used[r.CampaignID] += r.Quantity
			}
			g := groups[r.GroupID]
			if g == nil {
				g = &cartGroup{status: r.GroupStatus, campaignID: r.CampaignID, size: r.GroupSize}
				groups[r.GroupID] = g
			}
			g.seats++
			if r.CustomerID == customer {
				g.joined = true
			}
		}
	}

	type bucket struct {
		amount int64
		allocs []*pluginv1.LineAllocation
	}
	var groupPrice, leaderPrice bucket
	inCart := map[string]bool{}
	lineErr := func(l *pluginv1.CartLine, key string, kv ...string) {
		resp.Errors = append(resp.Errors, fieldError(t, "/lines/"+l.GetLineId(), key, kv...))
	}
	for _, l := range lines {
		id := l.GetAttributes()[AttrCampaign]
		if id == "" {
			if soloRefused[l.GetSkuId()] {
				lineErr(l, "groupbuy.cart.solo_not_allowed")
			}
			continue
		}
		c := byID[id]
		gid := l.GetAttributes()[AttrGroup]
		qty := int64(l.GetQuantity())
		switch {
		case customer == "":
			lineErr(l, "groupbuy.cart.guest")
			continue
		case c == nil || c.Status != CampaignActive && c.Status != CampaignEnded:
			lineErr(l, "groupbuy.cart.campaign_unavailable")
			continue
		case c.Status == CampaignEnded || !now.Before(c.EndsAt):
			lineErr(l, "groupbuy.cart.ended")
			continue
		case now.Before(c.StartsAt):
			lineErr(l, "groupbuy.cart.not_started")
			continue
		case c.SkuID != l.GetSkuId():
			lineErr(l, "groupbuy.cart.sku_mismatch")
			continue
		case inCart[id]:
			lineErr(l, "groupbuy.cart.duplicate")
			continue
		}
		inCart[id] = true
		if gid != "" {
			g := groups[gid]
			switch {
			case g == nil || g.status != GroupOpen || g.campaignID != id:
				lineErr(l, "groupbuy.cart.group_unavailable")
				continue
			case g.joined:
				lineErr(l, "groupbuy.cart.already_joined")
				continue
			case g.seats >= g.size:
				lineErr(l, "groupbuy.cart.group_full")
				continue
			}
		}
		if used[id]+qty > c.PerShopperLimit {
			lineErr(l, "groupbuy.cart.limit", "limit", strconv.FormatInt(c.PerShopperLimit, 10))
			continue
		}
		left := c.Quota - c.Sold - c.PendingQty
		if left <= 0 {
			lineErr(l, "groupbuy.cart.sold_out")
			continue
		}
		if qty > left {
			lineErr(l, "groupbuy.cart.quota", "left", strconv.FormatInt(left, 10))
			continue
		}

		price, b := c.GroupPriceFen, &groupPrice
		if gid == "" {
			price, b = c.LeaderPriceFen, &leaderPrice
		}
		// Never a fee when the shop's own price is already lower, and never
		// more off than the line costs.
		off := min(0, (price-l.GetUnitPriceFen())*qty)
		off = max(off, -max(0, l.GetSubtotalFen()))
		if off < 0 {
			b.amount += off
			b.allocs = append(b.allocs, &pluginv1.LineAllocation{LineId: l.GetLineId(), AmountFen: off})
		}
		resp.Holds = append(resp.Holds, &pluginv1.LineHold{LineId: l.GetLineId(), Reason: text(t.Locale, "groupbuy.hold.reason")})
	}

	subtotal := req.GetSubtotalFen()
	for _, b := range []struct {
		code, label string
		bucket
	}{{CodeLeaderPrice, "groupbuy.adjustment.leader_price", leaderPrice}, {CodeGroupPrice, "groupbuy.adjustment.group_price", groupPrice}} {
		if b.amount < 0 {
			resp.Adjustments = append(resp.Adjustments, &pluginv1.Adjustment{
				Code: b.code, Label: text(t.Locale, b.label), AmountFen: b.amount, Allocations: b.allocs,
			})
			subtotal += b.amount
		}
	}

	if c := pickCoupon(coupons, subtotal); c != nil && customer != "" {
		off := min(c.AmountFen, subtotal)
		resp.Adjustments = append(resp.Adjustments, &pluginv1.Adjustment{
			Code: CodeInviteRebate, Label: text(t.Locale, "groupbuy.adjustment.invite_rebate", "amount", yuan(off)), AmountFen: -off,
		})
	}
	return resp, nil
}

// shopperRow is a row of shopperRows: a member ("member") or a rebate
// coupon ("coupon").
type shopperRow struct {
	Kind        string    `bun:"kind"`
	ID          string    `bun:"id"`
	GroupID     string    `bun:"group_id"`
	CampaignID  string    `bun:"campaign_id"`
	CustomerID  string    `bun:"customer_id"`
	Quantity    int64     `bun:"quantity"`
	GroupStatus string    `bun:"group_status"`
	GroupSize   int       `bun:"group_size"`
	AmountFen   int64     `bun:"amount_fen"`
	MinSpendFen int64     `bun:"min_spend_fen"`
	CreatedAt   time.Time `bun:"created_at,nullzero"`
}

// shopperRows reads in one query what AdjustCart needs about the shopper:
// their pending and paid members in the campaigns the cart names, every
// pending and paid member of the groups it joins, and their unused,
// unreserved rebate coupons of the shop (at most couponsRead, largest
// first). A member of a joined group may come twice.
func (p *Plugin) shopperRows(ctx context.Context, t *sdk.Tenant, customer string, campaignIDs, groupIDs []string) ([]shopperRow, error) {
	const members = "SELECT 'member' AS kind, m.id, m.group_id, m.campaign_id, m.customer_id, m.quantity, g.status AS group_status, g.group_size," +
		" 0 AS amount_fen, 0 AS min_spend_fen, NULL AS created_at" +
		" FROM groupbuy_members AS m JOIN groupbuy_groups AS g ON g.tenant_id = m.tenant_id AND g.id = m.group_id"
	query := "SELECT * FROM (SELECT 'coupon' AS kind, id, '' AS group_id, '' AS campaign_id, customer_id, 0 AS quantity, '' AS group_status, 0 AS group_size," +
		" amount_fen, min_spend_fen, created_at FROM groupbuy_coupons" +
		" WHERE tenant_id = ? AND shop_id = ? AND customer_id = ? AND used_order_id = '' AND pending_order_id = ''" +
		" ORDER BY amount_fen DESC, created_at LIMIT ?) AS coupons"
	args := []any{t.ID, t.ShopID, customer, couponsRead}
	if len(campaignIDs) > 0 {
		query += " UNION ALL " + members + " WHERE m.tenant_id = ? AND m.customer_id = ? AND m.campaign_id IN (?) AND m.status IN ('pending', 'paid')"
		args = append(args, t.ID, customer, bun.List(campaignIDs))
	}
	if len(groupIDs) > 0 {
		query += " UNION ALL " + members + " WHERE m.tenant_id = ? AND m.group_id IN (?) AND m.status IN ('pending', 'paid')"
		args = append(args, t.ID, bun.List(groupIDs))
	}
	var rows []shopperRow
	if err := p.st.DB.NewRaw(query, args...).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("adjust cart: the shopper's groups and coupons: %w", err)
	}
	return rows, nil
}

// couponsRead bounds the rebate coupons read for one shopper and shop.
const couponsRead = 20

// pickCoupon returns the coupon a subtotal gets: the largest whose minimum
// spend it reaches, the earliest issued (then the lowest id) of equal ones;
// nil when none. AdjustCart and order.placed choose with it alike.
func pickCoupon(cs []Coupon, subtotal int64) *Coupon {
	var best *Coupon
	for i := range cs {
		c := &cs[i]
		if c.MinSpendFen > subtotal || subtotal <= 0 {
			continue
		}
		if best == nil || c.AmountFen > best.AmountFen ||
			c.AmountFen == best.AmountFen && (c.CreatedAt.Before(best.CreatedAt) || c.CreatedAt.Equal(best.CreatedAt) && c.ID < best.ID) {
			best = c
		}
	}
	return best
}

// bestCoupon returns the coupon pickCoupon chooses among the shopper's
// unused, unreserved rebate coupons of the shop, or nil.
func (p *Plugin) bestCoupon(ctx context.Context, db bun.IDB, t *sdk.Tenant, customer string, subtotal int64) (*Coupon, error) {
	var cs []Coupon
	err := db.NewSelect().Model(&cs).Column("id", "amount_fen", "min_spend_fen", "created_at").
		Where("tenant_id = ?", t.ID).Where("shop_id = ?", t.ShopID).Where("customer_id = ?", customer).
		Where("used_order_id = ''").Where("pending_order_id = ''").
		OrderExpr("amount_fen DESC, created_at").Limit(couponsRead).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("rebate coupons: %w", err)
	}
	return pickCoupon(cs, subtotal), nil
}
