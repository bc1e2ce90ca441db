package groupbuy

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/encoding/protojson"
)

// HandleEvent applies an order event to the groups of the order's
// group-buy lines:
//
//   - order.placed makes each such line a pending member: of a new group it
//     leads (no groupbuy.group), or of the group it joins — of a new one it
//     leads when that group is no longer open to it (closed, full, joined
//     already), as a shopper racing others to the last seat would expect.
//     An invite rebate the order qualifies for is reserved for it.
//   - order.paid makes the members paid (creating them first when the
//     placed event has not arrived): the leader's payment opens the group
//     for fill_hours, the group_size-th paid member fills it (holds
//     released, inviters rewarded); a member of a group that has closed in
//     the meantime is refunded. The reserved rebate is marked used.
//   - order.cancelled makes the members leave: a leader hands over to the
//     next paid member by position, or the group is cancelled when none is
//     left. A rebate reserved or used by the order is given back.
//
// The effects and the event id are written in one transaction, so a second
// delivery changes nothing. Host calls the effects need are made after the
// commit; when one fails HandleEvent answers UNAVAILABLE and the retry
// (or any later event or job run) makes the calls still due.
func (p *Plugin) HandleEvent(ctx context.Context, t *sdk.Tenant, req *pluginv1.HandleEventRequest) (*pluginv1.HandleEventResponse, error) {
	ev := req.GetEvent()
	switch ev.GetType() {
	case EventOrderPlaced, EventOrderPaid, EventOrderCancelled:
	default:
		return &pluginv1.HandleEventResponse{}, nil
	}
	if ev.GetId() == "" {
		return nil, sdk.Invalid("groupbuy: event without an id")
	}
	var o pluginv1.Order
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(ev.GetPayloadJson(), &o); err != nil {
		return nil, sdk.Invalid("groupbuy: %s %s: payload is not an order: %v", ev.GetType(), ev.GetId(), err)
	}
	if t.ShopID != "" && o.GetShopId() != "" && o.GetShopId() != t.ShopID {
		return nil, sdk.Invalid("groupbuy: %s %s: order %s is of shop %s, the call is for shop %s", ev.GetType(), ev.GetId(), o.GetId(), o.GetShopId(), t.ShopID)
	}
	s, err := p.settings(t)
	if err != nil {
		return nil, err
	}
	now := p.clock()
	var issued []Coupon
	err = p.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewInsert().Model(&processedEvent{TenantID: t.ID, EventID: ev.GetId(), EventType: ev.GetType(), ProcessedAt: now}).
			On("CONFLICT DO NOTHING").Exec(ctx)
		if err != nil {
			return fmt.Errorf("record event: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // delivered before: its effects are in place
		}
		switch ev.GetType() {
		case EventOrderPlaced:
			return p.orderPlaced(ctx, tx, t, &o, now)
		case EventOrderPaid:
			issued, err = p.orderPaid(ctx, tx, t, s, &o, now)
			return err
		default:
			return p.orderCancelled(ctx, tx, t, &o, now)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("groupbuy: %s %s of order %s: %w", ev.GetType(), ev.GetId(), o.GetId(), err)
	}
	p.notifyRebates(ctx, t, issued)
	if err := p.settle(ctx, t); err != nil {
		return nil, sdk.Unavailable("groupbuy: %s %s: %v", ev.GetType(), ev.GetId(), err)
	}
	return &pluginv1.HandleEventResponse{}, nil
}

// orderLine is an order's group-buy lines of one campaign, merged.
type orderLine struct {
	campaignID, groupID, inviter, skuID string
	qty, unitFen, totalFen              int64
	attrs                               map[string]string
}

// groupBuyLines returns the order's lines that carry groupbuy.campaign,
// merged per campaign in order of first appearance.
func groupBuyLines(o *pluginv1.Order) []*orderLine {
	var out []*orderLine
	by := map[string]*orderLine{}
	for _, l := range o.GetLines() {
		id := l.GetAttributes()[AttrCampaign]
		if id == "" {
			continue
		}
		ol := by[id]
		if ol == nil {
			ol = &orderLine{campaignID: id, groupID: l.GetAttributes()[AttrGroup], inviter: l.GetAttributes()[AttrInviter],
				skuID: l.GetSkuId(), unitFen: l.GetUnitPriceFen(), attrs: map[string]string{}}
			by[id] = ol
			out = append(out, ol)
		}
		ol.qty += int64(max(0, l.GetQuantity()))
		ol.totalFen += l.GetTotalFen()
		for k, v := range l.GetAttributes() {
			ol.attrs[k] = v
		}
	}
	return out
}

// groupBuyHold picks the hold the host placed for the plugin among the
// order's holds: one whose id names the plugin, else the first.
func groupBuyHold(o *pluginv1.Order) string {
	for _, h := range o.GetHoldIds() {
		if strings.Contains(h, Name) {
			return h
		}
	}
	if len(o.GetHoldIds()) > 0 {
		return o.GetHoldIds()[0]
	}
	return ""
}

// orderPlaced makes the order's group-buy lines members and reserves the
// rebate coupon the order qualifies for.
func (p *Plugin) orderPlaced(ctx context.Context, tx bun.Tx, t *sdk.Tenant, o *pluginv1.Order, now time.Time) error {
	if _, err := p.ensureMembers(ctx, tx, t, o, now); err != nil {
		return err
	}
	return p.reserveCoupon(ctx, tx, t, o)
}

// reserveCoupon reserves for the order the coupon AdjustCart applied to
// it. The order does not say which adjustments it got, so the choice is
// made again the same way: the shopper's best unused coupon of the shop
// whose minimum spend the order's line totals reach.
func (p *Plugin) reserveCoupon(ctx context.Context, tx bun.Tx, t *sdk.Tenant, o *pluginv1.Order) error {
	if o.GetCustomerId() == "" {
		return nil
	}
	var sum int64
	for _, l := range o.GetLines() {
		sum += l.GetTotalFen()
	}
	if sum <= 0 {
		return nil
	}
	c, err := p.bestCoupon(ctx, tx, t, o.GetCustomerId(), sum)
	if err != nil || c == nil {
		return err
	}
	_, err = tx.NewUpdate().Table("groupbuy_coupons").Set("pending_order_id = ?", o.GetId()).
		Where("tenant_id = ?", t.ID).Where("id = ?", c.ID).Where("pending_order_id = ''").Where("used_order_id = ''").Exec(ctx)
	if err != nil {
		return fmt.Errorf("reserve coupon %s: %w", c.ID, err)
	}
	return nil
}

// ensureMembers returns the order's members, first creating those its
// group-buy lines do not have yet.
func (p *Plugin) ensureMembers(ctx context.Context, tx bun.Tx, t *sdk.Tenant, o *pluginv1.Order, now time.Time) ([]*Member, error) {
	var have []*Member
	if err := tx.NewSelect().Model(&have).Where("tenant_id = ?", t.ID).Where("order_id = ?", o.GetId()).Scan(ctx); err != nil {
		return nil, fmt.Errorf("members of order: %w", err)
	}
	byCampaign := make(map[string]*Member, len(have))
	for _, m := range have {
		byCampaign[m.CampaignID] = m
	}
	hold := groupBuyHold(o)
	for _, ol := range groupBuyLines(o) {
		if m := byCampaign[ol.campaignID]; m != nil {
			if m.HoldID == "" && hold != "" {
				m.HoldID = hold
				if _, err := tx.NewUpdate().Model(m).Column("hold_id").WherePK().Exec(ctx); err != nil {
					return nil, fmt.Errorf("member %s: hold: %w", m.ID, err)
				}
			}
			continue
		}
		if o.GetCustomerId() == "" || ol.qty <= 0 {
			continue
		}
		c := new(Campaign)
		err := tx.NewSelect().Model(c).Where("tenant_id = ?", t.ID).Where("id = ?", ol.campaignID).Where("shop_id = ?", shopOf(t, o)).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			t.Logger().Warn("order line names an unknown campaign", "order", o.GetId(), "campaign", ol.campaignID)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("campaign %s: %w", ol.campaignID, err)
		}
		m, err := p.join(ctx, tx, t, c, o, ol, hold, now)
		if err != nil {
			return nil, err
		}
		byCampaign[c.ID] = m
		have = append(have, m)
	}
	slices.SortFunc(have, func(a, b *Member) int { return cmp.Compare(a.GroupID, b.GroupID) })
	return have, nil
}

func shopOf(t *sdk.Tenant, o *pluginv1.Order) string {
	if t.ShopID != "" {
		return t.ShopID
	}
	return o.GetShopId()
}

// join makes the order's line a pending member: of the group it names when
// that group is open, has a free seat and does not have the shopper yet,
// else the leader of a new group.
func (p *Plugin) join(ctx context.Context, tx bun.Tx, t *sdk.Tenant, c *Campaign, o *pluginv1.Order, ol *orderLine, hold string, now time.Time) (*Member, error) {
	var g *Group
	if ol.groupID != "" {
		found, err := p.lockGroup(ctx, tx, t.ID, ol.groupID, false)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		if err == nil && found.CampaignID == c.ID && found.Status == GroupOpen {
			var seats, mine int
			err := tx.NewRaw(`SELECT count(*), coalesce(sum(CASE WHEN customer_id = ? THEN 1 ELSE 0 END), 0)
				FROM groupbuy_members WHERE tenant_id = ? AND group_id = ? AND status IN ('pending', 'paid')`,
				o.GetCustomerId(), t.ID, found.ID).Scan(ctx, &seats, &mine)
			if err != nil {
				return nil, fmt.Errorf("seats of group %s: %w", found.ID, err)
			}
			if seats < found.GroupSize && mine == 0 {
				g = found
			}
		}
	}
	m := &Member{
		TenantID: t.ID, ID: newID(), CampaignID: c.ID, ShopID: c.ShopID, RegionID: c.RegionID,
		CustomerID: o.GetCustomerId(), OrderID: o.GetId(), SkuID: ol.skuID, Quantity: ol.qty,
		UnitPriceFen: ol.unitFen, TotalFen: ol.totalFen, Status: MemberPending, HoldID: hold, JoinedAt: now,
	}
	if ol.inviter != o.GetCustomerId() {
		m.InvitedBy = ol.inviter
	}
	if attrs, err := json.Marshal(ol.attrs); err == nil {
		m.LineAttrs = string(attrs)
	}
	if g == nil {
		g = &Group{
			TenantID: t.ID, ID: newID(), ShopID: c.ShopID, RegionID: c.RegionID, CampaignID: c.ID, Status: GroupPending,
			LeaderCustomerID: o.GetCustomerId(), GroupSize: c.GroupSize, OpenedAt: now,
		}
		if _, err := tx.NewInsert().Model(g).Exec(ctx); err != nil {
			return nil, fmt.Errorf("open group: %w", err)
		}
		m.GroupID, m.Role, m.Position = g.ID, RoleLeader, 1
	} else {
		var last int
		if err := tx.NewRaw("SELECT coalesce(max(position), 0) FROM groupbuy_members WHERE tenant_id = ? AND group_id = ?", t.ID, g.ID).Scan(ctx, &last); err != nil {
			return nil, fmt.Errorf("positions of group %s: %w", g.ID, err)
		}
		m.GroupID, m.Role, m.Position = g.ID, RoleMember, last+1
	}
	if _, err := tx.NewInsert().Model(m).Exec(ctx); err != nil {
		return nil, fmt.Errorf("join group %s: %w", g.ID, err)
	}
	return m, addCounts(ctx, tx, t.ID, c.ID, 0, m.Quantity, now)
}

// orderPaid makes the order's pending members paid and settles their
// groups; it returns the rebate coupons issued.
func (p *Plugin) orderPaid(ctx context.Context, tx bun.Tx, t *sdk.Tenant, s *Settings, o *pluginv1.Order, now time.Time) ([]Coupon, error) {
	ms, err := p.ensureMembers(ctx, tx, t, o, now)
	if err != nil {
		return nil, err
	}
	var issued []Coupon
	for _, m := range ms {
		g, err := p.lockGroup(ctx, tx, t.ID, m.GroupID, false)
		if err != nil {
			return nil, err
		}
		// Read again under the group's lock: a job may have closed the group.
		if err := tx.NewSelect().Model(m).WherePK().Scan(ctx); err != nil {
			return nil, fmt.Errorf("member %s: %w", m.ID, err)
		}
		if m.Status != MemberPending {
			continue
		}
		m.Status, m.PaidAt = MemberPaid, now
		if err := addCounts(ctx, tx, t.ID, m.CampaignID, m.Quantity, -m.Quantity, now); err != nil {
			return nil, err
		}
		switch g.Status {
		case GroupPending:
			if m.Role == RoleLeader {
				c, err := p.campaign(ctx, tx, t.ID, g.CampaignID)
				if err != nil {
					return nil, err
				}
				g.Status, g.ExpiresAt = GroupOpen, now.Add(time.Duration(c.FillHours)*time.Hour)
				if _, err := tx.NewUpdate().Model(g).Column("status", "expires_at").WherePK().Exec(ctx); err != nil {
					return nil, fmt.Errorf("open group %s: %w", g.ID, err)
				}
			}
		case GroupSucceeded:
			// A late payer of a group that filled without them still gets the deal.
			m.setAction(actionRelease, "release", g.ID)
		case GroupFailed, GroupCancelled:
			m.Status, m.LeftAt = MemberRefunded, now
			m.setAction(actionRefund, "refund", g.ID)
			if err := addCounts(ctx, tx, t.ID, m.CampaignID, -m.Quantity, 0, now); err != nil {
				return nil, err
			}
		}
		if _, err := tx.NewUpdate().Model(m).Column("status", "paid_at", "left_at", "action", "action_key").WherePK().Exec(ctx); err != nil {
			return nil, fmt.Errorf("member %s paid: %w", m.ID, err)
		}
		if g.Status == GroupOpen {
			var paid int
			if err := tx.NewRaw("SELECT count(*) FROM groupbuy_members WHERE tenant_id = ? AND group_id = ? AND status = 'paid'", t.ID, g.ID).Scan(ctx, &paid); err != nil {
				return nil, fmt.Errorf("paid members of group %s: %w", g.ID, err)
			}
			if paid >= g.GroupSize {
				cs, err := p.succeed(ctx, tx, t, s, g, now)
				if err != nil {
					return nil, err
				}
				issued = append(issued, cs...)
			}
		}
	}
	_, err = tx.NewUpdate().Table("groupbuy_coupons").Set("used_order_id = pending_order_id").Set("used_at = ?", now).
		Where("tenant_id = ?", t.ID).Where("pending_order_id = ?", o.GetId()).Where("used_order_id = ''").Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("use coupon: %w", err)
	}
	return issued, nil
}

// orderCancelled makes the order's members leave their groups.
func (p *Plugin) orderCancelled(ctx context.Context, tx bun.Tx, t *sdk.Tenant, o *pluginv1.Order, now time.Time) error {
	var ms []*Member
	if err := tx.NewSelect().Model(&ms).Where("tenant_id = ?", t.ID).Where("order_id = ?", o.GetId()).Order("group_id").Scan(ctx); err != nil {
		return fmt.Errorf("members of order: %w", err)
	}
	for _, m := range ms {
		g, err := p.lockGroup(ctx, tx, t.ID, m.GroupID, false)
		if err != nil {
			return err
		}
		if err := tx.NewSelect().Model(m).WherePK().Scan(ctx); err != nil {
			return fmt.Errorf("member %s: %w", m.ID, err)
		}
		if err := p.leave(ctx, tx, t, g, m, now); err != nil {
			return err
		}
	}
	if _, err := tx.NewUpdate().Table("groupbuy_coupons").Set("pending_order_id = ''").
		Where("tenant_id = ?", t.ID).Where("pending_order_id = ?", o.GetId()).Where("used_order_id = ''").Exec(ctx); err != nil {
		return fmt.Errorf("free coupon: %w", err)
	}
	// A cancelled order gives its rebate back.
	if _, err := tx.NewUpdate().Table("groupbuy_coupons").Set("used_order_id = ''").Set("pending_order_id = ''").Set("used_at = NULL").
		Where("tenant_id = ?", t.ID).Where("used_order_id = ?", o.GetId()).Exec(ctx); err != nil {
		return fmt.Errorf("give coupon back: %w", err)
	}
	return nil
}

// leave takes a pending or paid member out of its group (g, locked): a
// leader hands over to the next paid member by position, and a group with
// none left is cancelled along with its unpaid members' orders.
func (p *Plugin) leave(ctx context.Context, tx bun.Tx, t *sdk.Tenant, g *Group, m *Member, now time.Time) error {
	switch m.Status {
	case MemberPending:
		if err := addCounts(ctx, tx, t.ID, m.CampaignID, 0, -m.Quantity, now); err != nil {
			return err
		}
	case MemberPaid:
		if err := addCounts(ctx, tx, t.ID, m.CampaignID, -m.Quantity, 0, now); err != nil {
			return err
		}
	default:
		return nil
	}
	wasLeader := m.Role == RoleLeader
	m.Status, m.LeftAt = MemberLeft, now
	if wasLeader && (g.Status == GroupPending || g.Status == GroupOpen) {
		next := new(Member)
		err := tx.NewSelect().Model(next).Where("tenant_id = ?", t.ID).Where("group_id = ?", g.ID).
			Where("status = ?", MemberPaid).Where("id <> ?", m.ID).Order("position").Limit(1).Scan(ctx)
		switch {
		case err == nil:
			m.Role = RoleMember
			next.Role = RoleLeader
			g.LeaderCustomerID = next.CustomerID
			if _, err := tx.NewUpdate().Model(next).Column("role").WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("new leader of group %s: %w", g.ID, err)
			}
			if _, err := tx.NewUpdate().Model(g).Column("leader_customer_id").WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("new leader of group %s: %w", g.ID, err)
			}
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.NewUpdate().Model(m).Column("status", "left_at").WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("member %s leaves: %w", m.ID, err)
			}
			return p.closeGroup(ctx, tx, t, g, GroupCancelled, now)
		default:
			return fmt.Errorf("next leader of group %s: %w", g.ID, err)
		}
	}
	if _, err := tx.NewUpdate().Model(m).Column("status", "left_at", "role").WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("member %s leaves: %w", m.ID, err)
	}
	return nil
}

// closeGroup ends g (locked) as failed or cancelled: paid members are
// refunded and unpaid ones' orders cancelled, through host calls made
// after the commit with the idempotency key "expire-{group}-{order}".
func (p *Plugin) closeGroup(ctx context.Context, tx bun.Tx, t *sdk.Tenant, g *Group, status string, now time.Time) error {
	res, err := tx.NewUpdate().Table("groupbuy_groups").Set("status = ?", status).Set("finished_at = ?", now).
		Where("tenant_id = ?", t.ID).Where("id = ?", g.ID).Where("status IN ('pending', 'open')").Exec(ctx)
	if err != nil {
		return fmt.Errorf("close group %s: %w", g.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	g.Status, g.FinishedAt = status, now
	var ms []*Member
	if err := tx.NewSelect().Model(&ms).Where("tenant_id = ?", t.ID).Where("group_id = ?", g.ID).
		Where("status IN ('pending', 'paid')").Order("position").Scan(ctx); err != nil {
		return fmt.Errorf("members of group %s: %w", g.ID, err)
	}
	for _, m := range ms {
		if m.Status == MemberPaid {
			m.Status = MemberRefunded
			m.setAction(actionRefund, "expire", g.ID)
			if err := addCounts(ctx, tx, t.ID, m.CampaignID, -m.Quantity, 0, now); err != nil {
				return err
			}
		} else {
			m.Status = MemberLeft
			m.setAction(actionCancel, "expire", g.ID)
			if err := addCounts(ctx, tx, t.ID, m.CampaignID, 0, -m.Quantity, now); err != nil {
				return err
			}
		}
		m.LeftAt = now
		if _, err := tx.NewUpdate().Model(m).Column("status", "left_at", "action", "action_key").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("member %s: %w", m.ID, err)
		}
	}
	return nil
}

// succeed fills g (locked, open): its paid members' holds are released
// after the commit (idempotency key "release-{group}-{order}") and every
// shopper who invited one of them gets a rebate coupon, once per group.
// It returns the coupons issued.
func (p *Plugin) succeed(ctx context.Context, tx bun.Tx, t *sdk.Tenant, s *Settings, g *Group, now time.Time) ([]Coupon, error) {
	res, err := tx.NewUpdate().Table("groupbuy_groups").Set("status = ?", GroupSucceeded).Set("finished_at = ?", now).
		Where("tenant_id = ?", t.ID).Where("id = ?", g.ID).Where("status = ?", GroupOpen).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("fill group %s: %w", g.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, nil
	}
	g.Status, g.FinishedAt = GroupSucceeded, now
	var ms []*Member
	if err := tx.NewSelect().Model(&ms).Where("tenant_id = ?", t.ID).Where("group_id = ?", g.ID).
		Where("status = ?", MemberPaid).Order("position").Scan(ctx); err != nil {
		return nil, fmt.Errorf("members of group %s: %w", g.ID, err)
	}
	var issued []Coupon
	rewarded := map[string]bool{}
	for _, m := range ms {
		if m.Action == actionNone {
			m.setAction(actionRelease, "release", g.ID)
			if _, err := tx.NewUpdate().Model(m).Column("action", "action_key").WherePK().Exec(ctx); err != nil {
				return nil, fmt.Errorf("member %s: %w", m.ID, err)
			}
		}
		inviter := m.InvitedBy
		if inviter == "" || inviter == m.CustomerID || rewarded[inviter] || s.InviteRebateFen <= 0 {
			continue
		}
		rewarded[inviter] = true
		c := Coupon{
			TenantID: t.ID, ID: newID(), ShopID: g.ShopID, CustomerID: inviter, Code: couponCode(),
			AmountFen: s.InviteRebateFen, MinSpendFen: s.InviteRebateMinSpendFen, FromGroupID: g.ID, CreatedAt: now,
		}
		res, err := tx.NewInsert().Model(&c).On("CONFLICT DO NOTHING").Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("rebate coupon for %s: %w", inviter, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			issued = append(issued, c)
			p.hot.forget(t.ID, g.ShopID)
		}
	}
	return issued, nil
}

// setAction records the host call m needs; a release without a hold needs none.
func (m *Member) setAction(action, keyPrefix, groupID string) {
	if action == actionRelease && m.HoldID == "" {
		return
	}
	m.Action, m.ActionKey = action, keyPrefix+"-"+groupID+"-"+m.OrderID
}

// lockGroup reads a group, locking its row on PostgreSQL until the
// transaction ends (SQLite has one writer). With skipLocked a group another
// transaction holds is skipped as not found. It returns sql.ErrNoRows for a
// group that does not exist.
func (p *Plugin) lockGroup(ctx context.Context, tx bun.Tx, tenantID, id string, skipLocked bool) (*Group, error) {
	g := new(Group)
	q := tx.NewSelect().Model(g).Where("tenant_id = ?", tenantID).Where("id = ?", id)
	if p.st.Postgres() {
		if skipLocked {
			q = q.For("UPDATE SKIP LOCKED")
		} else {
			q = q.For("UPDATE")
		}
	}
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("group %s: %w", id, err)
	}
	return g, nil
}

// campaign reads one campaign of the tenant; sql.ErrNoRows when there is none.
func (p *Plugin) campaign(ctx context.Context, db bun.IDB, tenantID, id string) (*Campaign, error) {
	c := new(Campaign)
	if err := db.NewSelect().Model(c).Where("tenant_id = ?", tenantID).Where("id = ?", id).Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("campaign %s: %w", id, err)
	}
	return c, nil
}

// addCounts moves a campaign's paid and pending units by the deltas.
func addCounts(ctx context.Context, tx bun.Tx, tenantID, campaignID string, sold, pending int64, now time.Time) error {
	if sold == 0 && pending == 0 {
		return nil
	}
	_, err := tx.NewUpdate().Table("groupbuy_campaigns").
		Set("sold = sold + ?", sold).Set("pending_qty = pending_qty + ?", pending).Set("updated_at = ?", now).
		Where("tenant_id = ?", tenantID).Where("id = ?", campaignID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("campaign %s counts: %w", campaignID, err)
	}
	return nil
}
