package pluginhost

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/jishi-dev/jishi/core/db"
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/tenants"
)

// JobTick is one claimed tick of a plugin's scheduled job for a tenant.
type JobTick struct {
	bun.BaseModel `bun:"table:plugin_job_ticks,alias:pj"`

	TenantID   string     `bun:"tenant_id,pk" json:"-"`
	Plugin     string     `bun:"plugin,pk" json:"plugin"`
	Job        string     `bun:"job,pk" json:"job"`
	Tick       time.Time  `bun:"tick,pk" json:"tick"`
	ClaimedAt  time.Time  `bun:"claimed_at,notnull" json:"claimed_at"`
	FinishedAt *time.Time `bun:"finished_at" json:"finished_at,omitempty"`
	Summary    string     `bun:"summary,notnull" json:"summary"`
	Error      string     `bun:"error,notnull" json:"error,omitempty"`
}

// Scheduler runs the plugins' scheduled jobs: every Poll it looks for
// ticks that are due, and for each running plugin, job and tenant where the
// plugin is active claims the tick with an insert that only one server
// instance can win, then runs it. A tick missed while no instance ran is
// not made up; the next one runs.
type Scheduler struct {
	Host *Host
	// Poll is how often due ticks are looked for [5s].
	Poll time.Duration
	Now  func() time.Time
	// Parallel bounds the job runs at once [4].
	Parallel int
}

func (s *Scheduler) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Run runs the scheduler until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	poll := s.Poll
	if poll <= 0 {
		poll = 5 * time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if _, err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
			s.Host.logger().Warn("plugin jobs", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// tickOf is the start of the interval now falls in.
func tickOf(now time.Time, every time.Duration) time.Time {
	return now.UTC().Truncate(every)
}

// RunDue claims and runs every tick due now; it returns how many runs this
// instance made.
func (s *Scheduler) RunDue(ctx context.Context) (int, error) {
	sup := s.Host.Supervisor
	if sup == nil {
		return 0, nil
	}
	type run struct {
		t    *tenants.Tenant
		tg   target
		job  *pluginv1.JobSpec
		tick time.Time
	}
	var runs []run
	var ts []*tenants.Tenant
	for _, name := range sup.Names() {
		m, err := sup.Manifest(name)
		if err != nil || len(m.GetJobs()) == 0 {
			continue
		}
		spec := hookSpec(m, pluginv1.HookName_HOOK_NAME_RUN_JOB)
		client, err := sup.Client(name)
		if spec == nil || err != nil {
			continue
		}
		if ts == nil {
			if ts, err = tenants.List(ctx, s.Host.Switches.DB.DB); err != nil {
				return 0, err
			}
		}
		for _, t := range ts {
			r, err := s.Host.Switches.Resolve(ctx, t.ID, name)
			if err != nil {
				return 0, err
			}
			if !r.ActiveAnywhere() {
				continue
			}
			for _, j := range m.GetJobs() {
				every := j.GetInterval().AsDuration()
				if every < time.Minute {
					every = time.Minute
				}
				tick := tickOf(s.now(), every)
				won, err := s.claim(ctx, t.ID, name, j.GetName(), tick)
				if err != nil {
					return 0, err
				}
				if won {
					runs = append(runs, run{t, target{name: name, client: client, manifest: m, resolved: r, spec: spec}, j, tick})
				}
			}
		}
	}
	par := s.Parallel
	if par <= 0 {
		par = 4
	}
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for _, r := range runs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			s.runOne(ctx, r.t, r.tg, r.job, r.tick)
		}()
	}
	wg.Wait()
	return len(runs), nil
}

// claim inserts the tick; only the instance whose insert lands runs it.
func (s *Scheduler) claim(ctx context.Context, tenantID, plugin, job string, tick time.Time) (bool, error) {
	row := &JobTick{TenantID: tenantID, Plugin: plugin, Job: job, Tick: tick, ClaimedAt: s.now().UTC()}
	var won bool
	ctx = tenants.WithTenant(ctx, &tenants.Tenant{ID: tenantID})
	err := s.Host.Switches.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		res, err := tx.NewInsert().Model(row).On("CONFLICT DO NOTHING").Exec(ctx)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		won = n == 1
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("claim job %s/%s tick %s: %w", plugin, job, tick.Format(time.RFC3339), err)
	}
	return won, nil
}

func (s *Scheduler) runOne(ctx context.Context, t *tenants.Tenant, tg target, job *pluginv1.JobSpec, tick time.Time) {
	ctx = tenants.WithTenant(ctx, t)
	def := time.Duration(job.GetDeadlineMs()) * time.Millisecond
	if def <= 0 {
		def = time.Minute
	}
	spec := tg.spec
	tg.spec = &pluginv1.HookSpec{Name: spec.GetName(), DeadlineMs: uint32(def / time.Millisecond), FailurePolicy: spec.GetFailurePolicy()}
	call := Call{Tenant: t, RequestID: "job-" + uuid.NewString()[:8]}
	var summary string
	err := s.Host.invoke(ctx, tg, def, func(ctx context.Context) error {
		dl, _ := ctx.Deadline()
		res, err := tg.client.RunJob(ctx, &pluginv1.RunJobRequest{
			Tenant:  s.Host.tenantContext(tg.name, tg.manifest, tg.resolved, call, "run_job", dl),
			JobName: job.GetName(), RunId: fmt.Sprintf("%s/%s/%s/%d", tg.name, job.GetName(), t.ID, tick.Unix()),
			ScheduledAt: timestamppb.New(tick),
		})
		if err == nil {
			summary = res.GetSummary()
		}
		return err
	})
	now := s.now().UTC()
	msg := ""
	if err != nil {
		msg = err.Error()
		s.Host.logger().Warn("plugin job failed", "plugin", tg.name, "job", job.GetName(), "tenant", t.Slug, "error", err)
	}
	_ = s.Host.Switches.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		_, err := db.Update(ctx, tx, (*JobTick)(nil)).Set("finished_at = ?", now).Set("summary = ?", summary).Set("error = ?", msg).
			Where("plugin = ? AND job = ? AND tick = ?", tg.name, job.GetName(), tick).Exec(ctx)
		return err
	})
}

// LastRuns returns the tenant's last job runs of plugin, newest first.
func (s *Scheduler) LastRuns(ctx context.Context, plugin string, limit int64) ([]*JobTick, error) {
	var out []*JobTick
	err := s.Host.Switches.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		return db.Select(ctx, tx, &out).Where("plugin = ?", plugin).OrderExpr("tick DESC").Limit(limit).Scan(ctx)
	})
	return out, err
}
