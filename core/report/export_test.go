package report

import "time"

// SetNow makes s read the clock from now (for the period's defaults).
func (s *Service) SetNow(now func() time.Time) { s.now = now }
