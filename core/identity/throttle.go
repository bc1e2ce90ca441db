package identity

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/uptrace/bun"
)

// ipFailures failed sign-ins from one client IP at one tenant (or at the
// platform) within FailureWindow block further sign-ins from there for the
// rest of the window. It is well above MaxFailedLogins so that one shared
// address (an office, a carrier's NAT) does not lock out its neighbours.
const ipFailures = 20

// limiter counts failures per key in fixed windows, in memory. It is per
// process: with N server instances a client gets up to N times the budget,
// which is acceptable for a brake on guessing (the per-account lock, kept
// in the database, is the real limit).
type limiter struct {
	max    int
	window time.Duration
	lock   time.Duration

	mu sync.Mutex
	m  map[string]*bucket
}

type bucket struct {
	count       int
	start       time.Time
	lockedUntil time.Time
}

const limiterMaxKeys = 100000

func newLimiter(max int, window, lock time.Duration) *limiter {
	return &limiter{max: max, window: window, lock: lock, m: map[string]*bucket{}}
}

// blocked reports whether key is locked at now.
func (l *limiter) blocked(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.m[key]
	return b != nil && now.Before(b.lockedUntil)
}

// fail records a failure for key at now.
func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.m[key]
	if b == nil {
		if len(l.m) >= limiterMaxKeys {
			l.sweep(now)
		}
		b = &bucket{start: now}
		l.m[key] = b
	}
	if now.Sub(b.start) >= l.window {
		b.count, b.start = 0, now
	}
	b.count++
	if b.count >= l.max {
		b.lockedUntil = now.Add(l.lock)
	}
}

// reset forgets key (after a successful sign-in).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	delete(l.m, key)
	l.mu.Unlock()
}

// sweep drops buckets whose window and lock have passed; l.mu is held.
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.m {
		if now.Sub(b.start) >= l.window && !now.Before(b.lockedUntil) {
			delete(l.m, k)
		}
	}
	if len(l.m) >= limiterMaxKeys {
		l.m = map[string]*bucket{} // under attack from everywhere: start over
	}
}

// recordFailure counts one failed sign-in on the account that q's WHERE
// names, in one statement so concurrent failures all count: a failure
// more than FailureWindow after the first of the current run starts a new
// run; the MaxFailedLogins-th failure of a run locks the account for
// LockDuration.
func recordFailure(ctx context.Context, q *bun.UpdateQuery, now time.Time) error {
	windowStart := now.Add(-FailureWindow)
	_, err := q.
		Set("failed_logins = CASE WHEN failed_since IS NULL OR failed_since < ? THEN 1 ELSE failed_logins + 1 END", windowStart).
		Set("failed_since = CASE WHEN failed_since IS NULL OR failed_since < ? THEN ? ELSE failed_since END", windowStart, now).
		Set("locked_until = CASE WHEN failed_since IS NOT NULL AND failed_since >= ? AND failed_logins + 1 >= ? THEN ? ELSE locked_until END",
			windowStart, MaxFailedLogins, now.Add(LockDuration)).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("record failed sign-in: %w", err)
	}
	return nil
}

// recordSuccess clears the failure count of the account q's WHERE names
// and notes the sign-in.
func recordSuccess(q *bun.UpdateQuery, now time.Time) *bun.UpdateQuery {
	return q.Set("failed_logins = 0").Set("failed_since = NULL").Set("locked_until = NULL").Set("last_login_at = ?", now)
}

// act counts one registration or reset request (kind) from the client in
// ctx at the tenant in ctx; it returns errTooMany, counting nothing, once
// the client has used its MaxActsPerIP for this window.
func (s *Service) act(ctx context.Context, kind string) error {
	key := kind + "|" + db.TenantID(ctx) + "|" + clientFrom(ctx).ip
	now := time.Now()
	if s.acts.blocked(key, now) {
		return errTooMany
	}
	s.acts.fail(key, now)
	return nil
}
