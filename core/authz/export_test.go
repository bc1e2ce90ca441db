package authz

import "time"

// SetClock replaces the clock e uses to age tenants' assignments.
func SetClock(e *Enforcer, now func() time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = now
}
