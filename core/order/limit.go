package order

import (
	"sync"
	"time"
)

// limiter counts events per key in fixed windows, in memory, like
// identity's throttle: per process, so N server instances give a client up
// to N times the budget, which is acceptable for a brake on guessing.
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

// blocked returns how long key stays locked at now (0: not locked).
func (l *limiter) blocked(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.m[key]; b != nil && now.Before(b.lockedUntil) {
		return b.lockedUntil.Sub(now)
	}
	return 0
}

// count records one event for key at now.
func (l *limiter) count(key string, now time.Time) {
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

// sweep drops buckets whose window and lock have passed; l.mu is held.
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.m {
		if now.Sub(b.start) >= l.window && !now.Before(b.lockedUntil) {
			delete(l.m, k)
		}
	}
	if len(l.m) >= limiterMaxKeys {
		l.m = map[string]*bucket{}
	}
}
