package store

import "time"

// SetLockWait sets how long Open waits for the migration lock until the
// test ends.
func SetLockWait(d time.Duration) (restore func()) {
	old := lockWait
	lockWait = d
	return func() { lockWait = old }
}
