package invoicing

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/jobs"
	"github.com/jishi-dev/jishi/tenants"
)

// MonthEndArgs is the month-end job of one tenant and period: generate
// and issue the period's invoices. It runs shortly after the period ends
// in the tenant's time zone.
type MonthEndArgs struct {
	TenantID string `json:"tenant_id"`
	Period   string `json:"period"`
}

// Kind names the job.
func (MonthEndArgs) Kind() string { return "invoicing.month_end" }

// MonthEndDelay is how long after midnight of the first day of the next
// month the month-end job runs, so that usage of the period's last
// seconds has committed.
const MonthEndDelay = 15 * time.Minute

// monthEndAttempts bounds the runs of a failing month-end job; each run
// takes up where the last one failed (issued invoices are skipped).
const monthEndAttempts = 10

// RegisterJobs registers the month-end job's handler with the queue of
// s.Jobs (none when it is nil). Call it before the queue starts.
//
// The month-end runs form one chain per tenant: the job of period P
// first schedules the job of P+1 (claimed in invoice_runs, so that only
// one is ever enqueued per tenant and period, whatever the number of
// servers), then invoices P. EnsureSchedules (run by the job
// EnqueueSchedule adds at start-up) starts the chain of tenants that have
// none, and the provisioning step (Provision) that of new tenants.
func (s *Service) RegisterJobs() {
	if s.Jobs == nil {
		return
	}
	jobs.Handle(s.Jobs, func(ctx context.Context, j jobs.Job[MonthEndArgs]) error {
		_, err := s.RunMonthEnd(ctx, j.Args.TenantID, j.Args.Period)
		return err
	})
	jobs.Handle(s.Jobs, func(ctx context.Context, _ jobs.Job[ScheduleArgs]) error {
		return s.EnsureSchedules(ctx)
	})
}

// ScheduleArgs is the job that runs EnsureSchedules once, where the job
// queue runs (jishi serve), so that building an app (tests, commands)
// costs one insert rather than a transaction per tenant.
type ScheduleArgs struct{}

// Kind names the job.
func (ScheduleArgs) Kind() string { return "invoicing.schedule" }

// EnqueueSchedule enqueues the job that ensures every tenant's month-end
// chain (see EnsureSchedules). Without a job queue it does nothing.
func (s *Service) EnqueueSchedule(ctx context.Context) error {
	if s.Jobs == nil {
		return nil
	}
	_, err := s.Jobs.Enqueue(ctx, s.DB.DB, ScheduleArgs{}, nil)
	return err
}

// RunMonthEnd schedules the month end of the period after period, then
// generates and issues period's invoices for tenant tenantID, and records
// the run in invoice_runs.
func (s *Service) RunMonthEnd(ctx context.Context, tenantID, period string) (*RunResult, error) {
	t, err := tenants.ByID(ctx, s.DB.DB, tenantID)
	if err != nil {
		return nil, fmt.Errorf("month end of %s: %w", tenantID, err)
	}
	ctx = tenants.WithTenant(ctx, t)
	p, err := ParsePeriod(period)
	if err != nil {
		return nil, err
	}
	err = s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		return s.ScheduleMonthEnd(ctx, tx, p.Next())
	})
	if err != nil {
		return nil, fmt.Errorf("schedule month end of %s: %w", p.Next(), err)
	}
	var res *RunResult
	err = s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		res, err = s.Generate(ctx, tx, p.String(), true, "")
		if err != nil {
			return err
		}
		now := s.now().UTC()
		_, err = db.Update(ctx, tx, (*run)(nil)).Set("last_run_at = ?", now).Set("generated = ?", res.Created+res.Refreshed).
			Set("issued = ?", res.Issued).Set("error = ''").Where("ir.period = ?", p.String()).Exec(ctx)
		return err
	})
	if err != nil {
		failed := memo(err.Error())
		_ = s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			if err := s.lockRun(ctx, tx, p.String()); err != nil {
				return err
			}
			_, err := db.Update(ctx, tx, (*run)(nil)).Set("last_run_at = ?", s.now().UTC()).Set("error = ?", failed).
				Where("ir.period = ?", p.String()).Exec(ctx)
			return err
		})
		slog.ErrorContext(ctx, "month-end invoicing failed", "tenant", t.Slug, "period", p.String(), "err", err)
		return nil, err
	}
	slog.InfoContext(ctx, "month-end invoicing", "tenant", t.Slug, "period", p.String(), "created", res.Created,
		"refreshed", res.Refreshed, "issued", res.Issued, "paid", res.Paid, "collected", res.Collected)
	return res, nil
}

// ScheduleMonthEnd enqueues, in tx (bound to the tenant in ctx), the
// month-end job of period p to run MonthEndDelay after p ends in the
// tenant's time zone — unless it is scheduled already. Without a job
// queue it does nothing.
func (s *Service) ScheduleMonthEnd(ctx context.Context, tx bun.IDB, p Period) error {
	if s.Jobs == nil {
		return nil
	}
	t := tenants.MustFromContext(ctx)
	now := s.now().UTC()
	r := &run{TenantID: t.ID, Period: p.String(), CreatedAt: now}
	if _, err := tx.NewInsert().Model(r).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("run of %s: %w", p, err)
	}
	res, err := db.Update(ctx, tx, (*run)(nil)).Set("scheduled_at = ?", now).
		Where("ir.period = ?", p.String()).Where("ir.scheduled_at IS NULL").Exec(ctx)
	if err != nil {
		return fmt.Errorf("claim month end of %s: %w", p, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // another server, or an earlier start, scheduled it
	}
	_, end := p.Bounds(t.Location())
	_, err = s.Jobs.Enqueue(ctx, tx, MonthEndArgs{TenantID: t.ID, Period: p.String()},
		&jobs.Opts{At: end.Add(MonthEndDelay), MaxAttempts: monthEndAttempts})
	return err
}

// EnsureSchedules schedules the month end of the current period of every
// tenant whose chain has not reached it (a tenant created before
// invoicing existed, or a chain lost with a discarded job). Without a job
// queue it does nothing.
func (s *Service) EnsureSchedules(ctx context.Context) error {
	if s.Jobs == nil {
		return nil
	}
	ts, err := tenants.List(ctx, s.DB.DB)
	if err != nil {
		return fmt.Errorf("list tenants: %w", err)
	}
	for _, t := range ts {
		tctx := tenants.WithTenant(ctx, t)
		err := s.DB.RunInTx(tctx, func(ctx context.Context, tx bun.IDB) error {
			return s.ScheduleMonthEnd(ctx, tx, PeriodOf(s.now(), t.Location()))
		})
		if err != nil {
			return fmt.Errorf("schedule month end of %s: %w", t.Slug, err)
		}
	}
	return nil
}

// Provision is the provisioning step of a new tenant (tenants.Step): the
// default plans and the first month end.
func (s *Service) Provision(ctx context.Context, tx bun.IDB, t *tenants.Tenant, _ tenants.CreateInput) error {
	if err := s.InstallDefaults(ctx, tx); err != nil {
		return err
	}
	return s.ScheduleMonthEnd(ctx, tx, PeriodOf(s.now(), t.Location()))
}
