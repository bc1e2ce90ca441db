package groupbuy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
	"github.com/uptrace/bun"
)

// unpaidGroupTTL is how long a group waits for its leader to pay.
const unpaidGroupTTL = time.Hour

// keepEvents is how long processed event ids are kept for deduplication.
const keepEvents = 30 * 24 * time.Hour

// jobBatch bounds the groups one run settles; the next run takes the rest.
const jobBatch = 500

// expireResult counts what one run did.
type expireResult struct{ succeeded, failed, cancelled, ended int }

// RunJob runs expire-groups for the tenant, acting only for the shops the
// call's scope admits (sdk.Tenant.ActiveFor):
//
//   - an open group past expires_at succeeds when virtual success is on and
//     its paid members reach ceil(group_size × pct / 100), else fails: its
//     paid orders are cancelled with a refund (CancelOrder, refund, key
//     "expire-{group}-{order}") and their units go back to the quota;
//   - a group whose leader has not paid within an hour is cancelled;
//   - campaigns past ends_at end.
//
// Each group is settled in its own transaction that first locks it (FOR
// UPDATE SKIP LOCKED on PostgreSQL) and checks it is still due, so two
// runs at once settle it once. Host calls still due are then made; a failed
// one makes the run answer UNAVAILABLE and is made again by the next run.
func (p *Plugin) RunJob(ctx context.Context, t *sdk.Tenant, req *pluginv1.RunJobRequest) (*pluginv1.RunJobResponse, error) {
	if req.GetJobName() != JobExpireGroups {
		return nil, sdk.Invalid("groupbuy: unknown job %q", req.GetJobName())
	}
	s, err := p.settings(t)
	if err != nil {
		return nil, err
	}
	// A run settles what is due at its tick, or now when that is later.
	now := p.clock()
	if at := req.GetScheduledAt(); at != nil && at.AsTime().After(now) {
		now = at.AsTime()
	}
	var r expireResult
	var issued []Coupon
	if r.ended, err = p.endCampaigns(ctx, t, now); err != nil {
		return nil, err
	}

	due, err := p.dueGroups(ctx, t, now)
	if err != nil {
		return nil, err
	}
	for _, id := range admitted(t, due) {
		outcome, cs, err := p.expireGroup(ctx, t, s, id, now)
		if err != nil {
			return nil, fmt.Errorf("groupbuy: expire group %s: %w", id, err)
		}
		issued = append(issued, cs...)
		switch outcome {
		case GroupSucceeded:
			r.succeeded++
		case GroupFailed:
			r.failed++
		case GroupCancelled:
			r.cancelled++
		}
	}

	if _, err := p.st.DB.NewDelete().Table("groupbuy_processed_events").
		Where("tenant_id = ?", t.ID).Where("processed_at < ?", now.Add(-keepEvents)).Exec(ctx); err != nil {
		t.Logger().Warn("old event ids not purged", "error", err)
	}
	p.notifyRebates(ctx, t, issued)
	if err := p.settle(ctx, t); err != nil {
		return nil, sdk.Unavailable("groupbuy: %v", err)
	}
	return &pluginv1.RunJobResponse{Summary: text(t.Locale, "groupbuy.job.summary",
		"succeeded", strconv.Itoa(r.succeeded), "failed", strconv.Itoa(r.failed),
		"cancelled", strconv.Itoa(r.cancelled), "ended", strconv.Itoa(r.ended))}, nil
}

// dueGroups returns the groups of the admitted shops that are open past
// their deadline, or pending past unpaidGroupTTL.
func (p *Plugin) dueGroups(ctx context.Context, t *sdk.Tenant, now time.Time) ([]dueRef, error) {
	var open, pending []dueRef
	q := p.st.DB.NewSelect().Table("groupbuy_groups").Column("id", "shop_id", "region_id").
		Where("tenant_id = ?", t.ID).Where("status = ?", GroupOpen).Where("expires_at <= ?", now).
		OrderExpr("expires_at").Limit(jobBatch)
	if err := inScope(q, t).Scan(ctx, &open); err != nil {
		return nil, fmt.Errorf("groupbuy: groups past their deadline: %w", err)
	}
	q = p.st.DB.NewSelect().Table("groupbuy_groups").Column("id", "shop_id", "region_id").
		Where("tenant_id = ?", t.ID).Where("status = ?", GroupPending).Where("opened_at <= ?", now.Add(-unpaidGroupTTL)).
		Limit(jobBatch)
	if err := inScope(q, t).Scan(ctx, &pending); err != nil {
		return nil, fmt.Errorf("groupbuy: groups waiting for their leader: %w", err)
	}
	return append(open, pending...), nil
}

// endCampaigns ends the admitted campaigns past their end.
func (p *Plugin) endCampaigns(ctx context.Context, t *sdk.Tenant, now time.Time) (int, error) {
	var due []dueRef
	q := p.st.DB.NewSelect().Table("groupbuy_campaigns").Column("id", "shop_id", "region_id").
		Where("tenant_id = ?", t.ID).Where("status IN ('pending_approval', 'active', 'paused')").
		Where("ends_at <= ?", now).Limit(jobBatch)
	err := inScope(q, t).Scan(ctx, &due)
	if err != nil {
		return 0, fmt.Errorf("groupbuy: campaigns past their end: %w", err)
	}
	ids := admitted(t, due)
	if len(ids) == 0 {
		return 0, nil
	}
	res, err := p.st.DB.NewUpdate().Table("groupbuy_campaigns").Set("status = ?", CampaignEnded).Set("updated_at = ?", now).
		Where("tenant_id = ?", t.ID).Where("id IN (?)", bun.List(ids)).
		Where("status IN ('pending_approval', 'active', 'paused')").Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("groupbuy: end campaigns: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// expireGroup settles one due group and returns its new status ("" when
// another run had it, or it is no longer due) and the coupons issued.
func (p *Plugin) expireGroup(ctx context.Context, t *sdk.Tenant, s *Settings, id string, now time.Time) (string, []Coupon, error) {
	var outcome string
	var issued []Coupon
	err := p.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		g, err := p.lockGroup(ctx, tx, t.ID, id, true)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case g.Status == GroupOpen && !g.ExpiresAt.After(now):
			c, err := p.campaign(ctx, tx, t.ID, g.CampaignID)
			if err != nil {
				return err
			}
			var paid int
			if err := tx.NewRaw("SELECT count(*) FROM groupbuy_members WHERE tenant_id = ? AND group_id = ? AND status = 'paid'",
				t.ID, g.ID).Scan(ctx, &paid); err != nil {
				return fmt.Errorf("paid members: %w", err)
			}
			if virtualSuccess(g.GroupSize, c.VirtualSuccessPct, paid) {
				outcome = GroupSucceeded
				issued, err = p.succeed(ctx, tx, t, s, g, now)
				return err
			}
			outcome = GroupFailed
			return p.closeGroup(ctx, tx, t, g, GroupFailed, now)
		case g.Status == GroupPending && !g.OpenedAt.After(now.Add(-unpaidGroupTTL)):
			outcome = GroupCancelled
			return p.closeGroup(ctx, tx, t, g, GroupCancelled, now)
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	return outcome, issued, nil
}

// virtualSuccess reports whether a group of size with paid members counts
// as filled at its deadline when pct percent of it is enough: paid must
// reach ceil(size × pct / 100), and pct 0 is off. A group of 4 at 40%
// needs 2.
func virtualSuccess(size, pct, paid int) bool {
	if pct <= 0 || paid <= 0 {
		return false
	}
	need := (size*pct + 99) / 100
	return paid >= need
}
