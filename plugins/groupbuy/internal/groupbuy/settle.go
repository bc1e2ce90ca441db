package groupbuy

import (
	"context"
	"errors"
	"fmt"
	"time"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// leaseFor is how long a claimed host call is left to its caller before
// another event or run may make it again (after a crash mid-call).
const leaseFor = time.Minute

// settleBatch bounds the host calls one event or run makes.
const settleBatch = 200

// dueRef names a row with a host call due and where it belongs.
type dueRef struct {
	ID       string `bun:"id"`
	ShopID   string `bun:"shop_id"`
	RegionID string `bun:"region_id"`
}

// settle makes the host calls still due for the shops t admits: releasing
// holds and cancelling orders of members, recording usage of billable
// campaigns. Each row is claimed for leaseFor first (so two callers never
// make the same call at once), marked done only once the host has
// answered, and released at once when the call fails, for the next event or
// run to make again with the same idempotency key. It returns the failures.
func (p *Plugin) settle(ctx context.Context, t *sdk.Tenant) error {
	return errors.Join(p.settleMembers(ctx, t), p.settleUsage(ctx, t))
}

// admitted returns the ids of refs t may act for.
func admitted(t *sdk.Tenant, refs []dueRef) []string {
	ids := make([]string, 0, len(refs))
	for _, r := range refs {
		if t.ActiveFor(r.RegionID, r.ShopID) {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

func (p *Plugin) settleMembers(ctx context.Context, t *sdk.Tenant) error {
	db := p.st.DB
	now := p.clock()
	var refs []dueRef
	q := db.NewSelect().Table("groupbuy_members").Column("id", "shop_id", "region_id").
		Where("tenant_id = ?", t.ID).Where("action <> ''").Where("action_done_at IS NULL").
		Where("(action_lease_until IS NULL OR action_lease_until < ?)", now).Limit(settleBatch)
	if err := inScope(q, t).Scan(ctx, &refs); err != nil {
		return fmt.Errorf("host calls due: %w", err)
	}
	ids := admitted(t, refs)
	if len(ids) == 0 {
		return nil
	}
	var claimed []*Member
	err := db.NewRaw(`UPDATE groupbuy_members SET action_lease_until = ?
		WHERE tenant_id = ? AND id IN (?) AND action <> '' AND action_done_at IS NULL
		  AND (action_lease_until IS NULL OR action_lease_until < ?)
		RETURNING id, tenant_id, group_id, order_id, hold_id, action, action_key`,
		now.Add(leaseFor), t.ID, bun.List(ids), now).Scan(ctx, &claimed)
	if err != nil {
		return fmt.Errorf("claim host calls: %w", err)
	}
	host := sdk.Host(t)
	var errs []error
	for _, m := range claimed {
		var callErr error
		switch m.Action {
		case actionRelease:
			_, callErr = host.ReleaseOrderHold(ctx, &pluginv1.ReleaseOrderHoldRequest{HoldId: m.HoldID, IdempotencyKey: m.ActionKey})
		case actionCancel, actionRefund:
			reason := "groupbuy.cancel.expired"
			if m.Action == actionCancel {
				reason = "groupbuy.cancel.closed"
			}
			_, callErr = host.CancelOrder(ctx, &pluginv1.CancelOrderRequest{
				OrderId: m.OrderID, Reason: text(t.Locale, reason), Refund: true, IdempotencyKey: m.ActionKey,
			})
		}
		done := p.clock()
		upd := db.NewUpdate().Table("groupbuy_members").Set("action_lease_until = NULL").
			Where("tenant_id = ?", t.ID).Where("id = ?", m.ID)
		if callErr == nil {
			upd = upd.Set("action_done_at = ?", done)
		} else {
			errs = append(errs, fmt.Errorf("%s order %s of group %s: %w", m.Action, m.OrderID, m.GroupID, callErr))
		}
		if _, err := upd.Exec(context.WithoutCancel(ctx)); err != nil {
			errs = append(errs, fmt.Errorf("record %s of order %s: %w", m.Action, m.OrderID, err))
		}
	}
	return errors.Join(errs...)
}

// settleUsage records usage of billable campaigns that have been active.
// A rejected campaign is never billed.
func (p *Plugin) settleUsage(ctx context.Context, t *sdk.Tenant) error {
	db := p.st.DB
	now := p.clock()
	var refs []dueRef
	q := db.NewSelect().Table("groupbuy_campaigns").Column("id", "shop_id", "region_id").
		Where("tenant_id = ?", t.ID).Where("billable = ?", true).Where("usage_recorded_at IS NULL").
		Where("status IN ('active', 'paused', 'ended')").
		Where("(usage_lease_until IS NULL OR usage_lease_until < ?)", now).Limit(settleBatch)
	if err := inScope(q, t).Scan(ctx, &refs); err != nil {
		return fmt.Errorf("usage due: %w", err)
	}
	ids := admitted(t, refs)
	if len(ids) == 0 {
		return nil
	}
	var claimed []*Campaign
	err := db.NewRaw(`UPDATE groupbuy_campaigns SET usage_lease_until = ?
		WHERE tenant_id = ? AND id IN (?) AND usage_recorded_at IS NULL
		  AND (usage_lease_until IS NULL OR usage_lease_until < ?)
		RETURNING id, tenant_id, created_at`,
		now.Add(leaseFor), t.ID, bun.List(ids), now).Scan(ctx, &claimed)
	if err != nil {
		return fmt.Errorf("claim usage: %w", err)
	}
	host := sdk.Host(t)
	var errs []error
	for _, c := range claimed {
		_, callErr := host.RecordUsage(ctx, &pluginv1.RecordUsageRequest{
			Metric: "groupbuy.campaign", Quantity: 1, OccurredAt: timestamppb.New(c.CreatedAt), IdempotencyKey: "campaign-" + c.ID,
		})
		upd := db.NewUpdate().Table("groupbuy_campaigns").Set("usage_lease_until = NULL").
			Where("tenant_id = ?", t.ID).Where("id = ?", c.ID)
		if callErr == nil {
			upd = upd.Set("usage_recorded_at = ?", p.clock())
		} else {
			errs = append(errs, fmt.Errorf("record usage of campaign %s: %w", c.ID, callErr))
		}
		if _, err := upd.Exec(context.WithoutCancel(ctx)); err != nil {
			errs = append(errs, fmt.Errorf("record usage of campaign %s: %w", c.ID, err))
		}
	}
	return errors.Join(errs...)
}

// notifyRebates e-mails each new coupon's owner, best effort: a failure is
// logged, the coupon stays valid.
func (p *Plugin) notifyRebates(ctx context.Context, t *sdk.Tenant, coupons []Coupon) {
	if len(coupons) == 0 {
		return
	}
	host := sdk.Host(t)
	for _, c := range coupons {
		_, err := host.SendEmail(ctx, &pluginv1.SendEmailRequest{
			Recipient: &pluginv1.SendEmailRequest_CustomerId{CustomerId: c.CustomerID},
			Subject:   text(t.Locale, "groupbuy.email.rebate.subject"),
			Text: text(t.Locale, "groupbuy.email.rebate.text",
				"amount", yuan(c.AmountFen), "code", c.Code, "min_spend", yuan(c.MinSpendFen)),
			IdempotencyKey: "rebate-" + c.ID,
		})
		if err != nil {
			t.Logger().Warn("rebate e-mail not sent", "coupon", c.ID, "customer", c.CustomerID, "error", err)
		}
	}
}
