package jobs_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river/rivermigrate"
	"github.com/uptrace/bun"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/jobs"
	"github.com/jishi-dev/jishi/tenants"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// echo is a test job; Token tells runs of different tests apart, since
// tests on PostgreSQL share one database (and so one queue).
type echo struct {
	Token string `json:"token"`
	Fail  bool   `json:"fail"`
}

func (echo) Kind() string { return "test.echo" }

// recorder collects the tokens of the jobs its handler ran.
type recorder struct {
	mu   sync.Mutex
	runs map[string][]int // token → attempts seen
}

func (r *recorder) handle(ctx context.Context, j jobs.Job[echo]) error {
	r.mu.Lock()
	r.runs[j.Args.Token] = append(r.runs[j.Args.Token], j.Attempt)
	r.mu.Unlock()
	if j.Args.Fail {
		return errors.New("asked to fail")
	}
	return nil
}

func (r *recorder) attempts(token string) []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.runs[token]...)
}

func start(t *testing.T, d *db.DB) (*jobs.Service, *recorder) {
	t.Helper()
	s, err := jobs.New(d, jobs.Config{PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{runs: map[string][]int{}}
	jobs.Handle(s, rec.handle)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	return s, rec
}

// waitState polls job id until it reaches state or the deadline passes.
func waitState(t *testing.T, s *jobs.Service, id int64, state string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var got string
	var err error
	for time.Now().Before(deadline) {
		if got, err = s.State(context.Background(), id); err == nil && got == state {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("job %d: want state %s, got %q (%v)", id, state, got, err)
}

// TestEnqueueInTransaction: a job enqueued in a committed transaction
// runs once; one enqueued in a rolled-back transaction never exists and
// never runs; a job enqueued outside a transaction runs too.
func TestEnqueueInTransaction(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		s, rec := start(t, d)
		ctx := context.Background()
		committed, rolledBack, direct := tenants.NewID(), tenants.NewID(), tenants.NewID()

		var committedID, rolledBackID int64
		err := d.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
			committedID, err = s.Enqueue(ctx, tx, echo{Token: committed}, nil)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		errRollback := errors.New("roll back")
		err = d.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
			if rolledBackID, err = s.Enqueue(ctx, tx, echo{Token: rolledBack}, nil); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatal(err)
		}
		// (Before anything else is inserted: SQLite may reuse the id.)
		if _, err := s.State(ctx, rolledBackID); !errors.Is(err, jobs.ErrNoJob) {
			t.Fatalf("rolled-back job %d: want ErrNoJob, got %v", rolledBackID, err)
		}
		directID, err := s.Enqueue(ctx, d.DB, echo{Token: direct}, nil)
		if err != nil {
			t.Fatal(err)
		}

		waitState(t, s, committedID, "completed")
		waitState(t, s, directID, "completed")
		// Give a wrongly inserted job time to be fetched before looking.
		time.Sleep(300 * time.Millisecond)
		if got := rec.attempts(committed); len(got) != 1 || got[0] != 1 {
			t.Fatalf("committed job ran %v", got)
		}
		if got := rec.attempts(direct); len(got) != 1 {
			t.Fatalf("direct job ran %v", got)
		}
		if got := rec.attempts(rolledBack); len(got) != 0 {
			t.Fatalf("rolled-back job ran %v", got)
		}
	})
}

// TestFailingJobIsRetriedThenDiscarded: a failing job runs MaxAttempts
// times (River's backoff is long, so the test asks for one attempt) and
// ends discarded.
func TestFailingJobIsDiscarded(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		s, rec := start(t, d)
		token := tenants.NewID()
		id, err := s.Enqueue(context.Background(), d.DB, echo{Token: token, Fail: true}, &jobs.Opts{MaxAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		waitState(t, s, id, "discarded")
		if got := rec.attempts(token); len(got) != 1 || got[0] != 1 {
			t.Fatalf("failing job ran %v", got)
		}
	})
}

// TestScheduledJobWaits: a job scheduled for later is not run before its
// time.
func TestScheduledJobWaits(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		s, rec := start(t, d)
		token := tenants.NewID()
		id, err := s.Enqueue(context.Background(), d.DB, echo{Token: token}, &jobs.Opts{At: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		if st, err := s.State(context.Background(), id); err != nil || st != "scheduled" {
			t.Fatalf("state %q %v", st, err)
		}
		if got := rec.attempts(token); len(got) != 0 {
			t.Fatalf("scheduled job ran %v", got)
		}
	})
}

// TestRiverSchemaIsCurrent: db.Migrate leaves River's migrator nothing to
// apply, on both dialects.
func TestRiverSchemaIsCurrent(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m, err := rivermigrate.New(jobs.Driver(d), nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := m.Validate(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK {
			t.Fatalf("River's schema is behind: %v", res.Messages)
		}
	})
}

// TestStartWithoutHandlers: a queue without handlers starts and stops
// without working anything, and Stop without Start is harmless.
func TestStartWithoutHandlers(t *testing.T) {
	d := dbtest.SQLite(t)
	s, err := jobs.New(d, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}
