package checkout

import (
	"sync"
	"time"
)

// SoldOutTTL is how long a SKU found without stock is answered "out of
// stock" without asking the database. During a flash sale the thousands
// of attempts after the last unit then cost nothing; a SKU restocked (or
// a cancelled order's units returned) sells again within this time.
const SoldOutTTL = time.Second

// soldOut remembers, per instance, the SKUs (of a tenant, for a region)
// last found without a sellable unit.
type soldOut struct {
	mu sync.Mutex
	m  map[string]time.Time // tenant|region|sku → until
}

func soldOutKey(tenant, region, sku string) string { return tenant + "|" + region + "|" + sku }

func (s *soldOut) mark(tenant, region, sku string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]time.Time{}
	}
	if len(s.m) > 10000 { // forget the expired ones now and then
		for k, until := range s.m {
			if now.After(until) {
				delete(s.m, k)
			}
		}
	}
	s.m[soldOutKey(tenant, region, sku)] = now.Add(SoldOutTTL)
}

func (s *soldOut) has(tenant, region, sku string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	until, ok := s.m[soldOutKey(tenant, region, sku)]
	return ok && now.Before(until)
}
