package order

import "time"

// SetNow replaces the service's clock (tests of the sweep and the returns
// window).
func SetNow(s *Service, now func() time.Time) { s.now = now }

// Share is share, for the rounding table test.
var Share = share
