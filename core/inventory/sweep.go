package inventory

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Sweeper does the periodic stock chores of a server process: releasing
// expired reservations (ReleaseExpired) and, once a day per tenant,
// telling the stock hooks about products whose last sellable units sat in
// lots that have expired since. Sweep is safe to call from one goroutine
// at a time; several server instances may each run their own.
type Sweeper struct {
	s       *Service
	mu      sync.Mutex
	checked map[string]Date // tenant id → the day its expired lots were last looked at
}

// NewSweeper returns a sweeper of s.
func (s *Service) NewSweeper() *Sweeper { return &Sweeper{s: s, checked: map[string]Date{}} }

// Swept counts what one Sweep did.
type Swept struct {
	Released int // reservations released because they expired
	Expired  int // products whose stock was looked at again because lots of theirs expired
}

// firstLook is how many days back the first sweep of a tenant looks for
// expired lots (the process may have been down over several midnights).
const firstLook = 7

// Sweep runs the chores once, as of now: for the tenant in ctx, or for
// every tenant when ctx carries none.
func (w *Sweeper) Sweep(ctx context.Context, now time.Time) (Swept, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out Swept
	var err error
	if out.Released, err = w.s.ReleaseExpired(ctx, now); err != nil {
		return out, err
	}
	if len(w.s.onStock) == 0 {
		return out, nil
	}
	ts := []*tenants.Tenant{}
	if t, ok := tenants.FromContext(ctx); ok {
		ts = append(ts, t)
	} else if ts, err = tenants.List(ctx, w.s.DB.DB); err != nil {
		return out, err
	}
	for _, t := range ts {
		today := DateOf(now.In(t.Location()))
		last, ok := w.checked[t.ID]
		if ok && last == today {
			continue
		}
		from := today.AddDays(-firstLook)
		if ok && from.Before(last) {
			from = last // lots with an earlier best-before were expired then
		}
		n, err := w.s.expiredLots(tenants.WithTenant(ctx, t), from, today)
		if err != nil {
			return out, fmt.Errorf("expired lots of %s: %w", t.Slug, err)
		}
		out.Expired += n
		w.checked[t.ID] = today
	}
	return out, nil
}

// expiredLots tells the stock hooks, in one transaction, the stock of
// every product with unreserved units in lots whose best-before is in
// [from, today): those lots stopped being sellable since from. It reports
// the current state whether it changed or not (the hooks' writes are
// idempotent), and returns how many products it reported.
func (s *Service) expiredLots(ctx context.Context, from, today Date) (int, error) {
	n := 0
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var skuIDs []string
		err := db.Select(ctx, tx, (*Lot)(nil)).ColumnExpr("DISTINCT l.sku_id").
			Where("l.best_before >= ?", from).Where("l.best_before < ?", today).Where("l.on_hand > l.reserved").
			OrderExpr("l.sku_id").Scan(ctx, &skuIDs)
		if err != nil || len(skuIDs) == 0 {
			return err
		}
		watch, err := s.watchStock(ctx, tx, skuIDs, true)
		if err != nil || watch == nil {
			return err
		}
		watch.always = true
		n = len(watch.products)
		return s.report(ctx, tx, watch)
	})
	return n, err
}
