package order

import "time"

// SetNow replaces the service's clock (tests of the sweep and the returns
// window).
func SetNow(s *Service, now func() time.Time) { s.now = now }

// Share is share, for the rounding table test.
var Share = share

// SetDraw replaces how the service draws the digits of new numbers (the
// retry on a number taken).
func SetDraw(s *Service, draw func(n int) (string, error)) { s.draw = draw }

// Digits is the service's default draw.
var Digits = digits
