// Package jobs is Jishi's job queue: River (github.com/riverqueue/river)
// on the application's own database — PostgreSQL through River's
// database/sql driver, SQLite through its SQLite driver — so that a job is
// enqueued in the same transaction as the rows that ask for it, and runs
// only once that transaction commits.
//
// River's tables are created by River's own migrator, which core/db runs
// after Jishi's migrations (`jishi migrate` and app start).
//
// Services register a handler per kind of job while the app is built
// (Handle), enqueue jobs inside their transactions (Enqueue), and the
// server process works them between Start and Stop. Several server
// processes may work the same queue: River locks each job it fetches
// (FOR UPDATE SKIP LOCKED on PostgreSQL).
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"

	"github.com/jishi-dev/jishi/core/db"
)

// Args are a job's arguments: a struct that is stored as JSON, and whose
// Kind names the handler that works it ("catalog.import").
type Args interface {
	Kind() string
}

// Job is one run of a job handed to a handler.
type Job[T Args] struct {
	ID int64
	// Attempt counts runs from 1; MaxAttempts is the last one, after which
	// a failing job is given up (a handler records the failure for its
	// users on that attempt).
	Attempt, MaxAttempts int
	Args                 T
}

// LastAttempt reports whether this run is the job's last chance.
func (j Job[T]) LastAttempt() bool { return j.Attempt >= j.MaxAttempts }

// Config tunes the queue of one process.
type Config struct {
	// Workers is how many jobs this process works at once (default 4 on
	// PostgreSQL, 2 on SQLite, whose one writer they share).
	Workers int
	// PollInterval is how often an idle worker looks for new jobs
	// (default 1s). River's database/sql and SQLite drivers cannot
	// LISTEN, so jobs are found by polling.
	PollInterval time.Duration
	// Logger receives River's warnings and errors (default slog's, at warn
	// level and above).
	Logger *slog.Logger
}

// Opts are per-job options of Enqueue; the zero value takes the defaults.
type Opts struct {
	// MaxAttempts bounds runs of a failing job (default 3).
	MaxAttempts int
	// At schedules the job for later; zero runs it as soon as possible.
	At time.Time
}

// DefaultMaxAttempts is how often a failing job runs unless Opts say
// otherwise.
const DefaultMaxAttempts = 3

// Service is the job queue on the app's database.
type Service struct {
	db      *db.DB
	cfg     Config
	driver  riverdriver.Driver[*sql.Tx]
	workers *river.Workers
	insert  *river.Client[*sql.Tx] // insert-only: works before Start and without handlers

	mu      sync.Mutex
	kinds   map[string]bool
	running *river.Client[*sql.Tx]
}

// New returns the queue on d. It needs River's tables (d.Migrate makes
// them).
func New(d *db.DB, cfg Config) (*Service, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
		if d.Engine == db.SQLite {
			cfg.Workers = 2
		}
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(levelAtLeast{slog.Default().Handler(), slog.LevelWarn})
	}
	s := &Service{db: d, cfg: cfg, driver: Driver(d), workers: river.NewWorkers(), kinds: map[string]bool{}}
	var err error
	s.insert, err = river.NewClient(s.driver, &river.Config{Logger: cfg.Logger, MaxAttempts: DefaultMaxAttempts})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return s, nil
}

// Driver returns River's driver for d: database/sql on PostgreSQL (the
// app's pgx pool, so a job is inserted in the app's own transactions),
// SQLite's on SQLite.
func Driver(d *db.DB) riverdriver.Driver[*sql.Tx] {
	if d.Engine == db.Postgres {
		return riverdatabasesql.New(d.DB.DB)
	}
	return riversqlite.New(d.DB.DB)
}

// Handle registers fn as the handler of jobs with args of type T. Register
// every handler before Start; registering a kind twice panics.
func Handle[T Args](s *Service, fn func(ctx context.Context, j Job[T]) error) {
	kind := (*new(T)).Kind()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kinds[kind] {
		panic("jobs: a handler for " + kind + " is already registered")
	}
	if s.running != nil {
		panic("jobs: Handle(" + kind + ") after Start")
	}
	s.kinds[kind] = true
	river.AddWorker(s.workers, river.WorkFunc(func(ctx context.Context, j *river.Job[T]) error {
		return fn(ctx, Job[T]{ID: j.ID, Attempt: j.Attempt, MaxAttempts: j.MaxAttempts, Args: j.Args})
	}))
}

// Enqueue adds a job with args inside tx, the caller's transaction: the
// job becomes visible to workers when tx commits, and vanishes if it rolls
// back. tx may also be the database itself (no transaction: the job is
// committed at once). It returns the job's id.
func (s *Service) Enqueue(ctx context.Context, tx bun.IDB, args Args, o *Opts) (int64, error) {
	opts := &river.InsertOpts{MaxAttempts: DefaultMaxAttempts}
	if o != nil {
		if o.MaxAttempts > 0 {
			opts.MaxAttempts = o.MaxAttempts
		}
		opts.ScheduledAt = o.At
	}
	var err error
	var id int64
	switch t := tx.(type) {
	case bun.Tx:
		id, err = s.insertTx(ctx, t.Tx, args, opts)
	case *bun.Tx:
		id, err = s.insertTx(ctx, t.Tx, args, opts)
	case *bun.DB:
		var res *rivertype.JobInsertResult
		if res, err = s.insert.Insert(ctx, args, opts); err == nil {
			id = res.Job.ID
		}
	default:
		return 0, fmt.Errorf("jobs: enqueue %s: unsupported handle %T", args.Kind(), tx)
	}
	if err != nil {
		return 0, fmt.Errorf("jobs: enqueue %s: %w", args.Kind(), err)
	}
	return id, nil
}

// EnqueueMany adds jobs with args inside tx in one statement, each with
// the options o (see Enqueue). tx must be a bun transaction.
func (s *Service) EnqueueMany(ctx context.Context, tx bun.IDB, args []Args, o *Opts) error {
	if len(args) == 0 {
		return nil
	}
	opts := &river.InsertOpts{MaxAttempts: DefaultMaxAttempts}
	if o != nil {
		if o.MaxAttempts > 0 {
			opts.MaxAttempts = o.MaxAttempts
		}
		opts.ScheduledAt = o.At
	}
	params := make([]river.InsertManyParams, len(args))
	for i, a := range args {
		params[i] = river.InsertManyParams{Args: a, InsertOpts: opts}
	}
	var sqlTx *sql.Tx
	switch t := tx.(type) {
	case bun.Tx:
		sqlTx = t.Tx
	case *bun.Tx:
		sqlTx = t.Tx
	default:
		return fmt.Errorf("jobs: enqueue %d jobs: a transaction is required, not %T", len(args), tx)
	}
	if _, err := s.insert.InsertManyTx(ctx, sqlTx, params); err != nil {
		return fmt.Errorf("jobs: enqueue %d jobs: %w", len(args), err)
	}
	return nil
}

func (s *Service) insertTx(ctx context.Context, tx *sql.Tx, args Args, opts *river.InsertOpts) (int64, error) {
	res, err := s.insert.InsertTx(ctx, tx, args, opts)
	if err != nil {
		return 0, err
	}
	return res.Job.ID, nil
}

// State returns the River state of job id ("available", "running",
// "completed", "retryable", "discarded", …). Returns an error wrapping
// ErrNoJob when there is no such job.
func (s *Service) State(ctx context.Context, id int64) (string, error) {
	j, err := s.insert.JobGet(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return "", fmt.Errorf("jobs: job %d: %w", id, ErrNoJob)
	}
	if err != nil {
		return "", fmt.Errorf("jobs: job %d: %w", id, err)
	}
	return string(j.State), nil
}

// ErrNoJob is wrapped by State for a job id that does not exist.
var ErrNoJob = errors.New("no such job")

// Start begins working jobs in the background until Stop. Without any
// registered handler it does nothing. Calling it twice is harmless.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running != nil || len(s.kinds) == 0 {
		return nil
	}
	c, err := river.NewClient(s.driver, &river.Config{
		Logger:            s.cfg.Logger,
		MaxAttempts:       DefaultMaxAttempts,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: s.cfg.Workers}},
		Workers:           s.workers,
		FetchPollInterval: s.cfg.PollInterval,
		FetchCooldown:     min(s.cfg.PollInterval, 100*time.Millisecond),
		PollOnly:          true,
	})
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	// River's services outlive the caller's context (a request or a
	// start-up deadline); Stop ends them.
	if err := c.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	s.running = c
	return nil
}

// Stop stops fetching jobs and waits for the running ones to finish,
// until ctx is done; then it cancels what still runs and waits for it to
// return. Stop without Start does nothing.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	c := s.running
	s.running = nil
	s.mu.Unlock()
	if c == nil {
		return nil
	}
	err := c.Stop(ctx)
	if err != nil && ctx.Err() != nil {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = c.StopAndCancel(cctx)
	}
	if err != nil {
		return fmt.Errorf("jobs: stop: %w", err)
	}
	return nil
}

// levelAtLeast passes on records at min or above.
type levelAtLeast struct {
	slog.Handler
	min slog.Level
}

func (h levelAtLeast) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelAtLeast) WithAttrs(as []slog.Attr) slog.Handler {
	return levelAtLeast{h.Handler.WithAttrs(as), h.min}
}

func (h levelAtLeast) WithGroup(name string) slog.Handler {
	return levelAtLeast{h.Handler.WithGroup(name), h.min}
}
