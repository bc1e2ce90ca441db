package checkout

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable time for the gate.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newTestGate is a gate over a stock of units that counts its reads.
func newTestGate(units *atomic.Int64, reads *atomic.Int64, c *clock) *gate {
	return &gate{now: c.now, read: func(_ context.Context, _ string, skus []string) (map[string]int, error) {
		reads.Add(1)
		time.Sleep(5 * time.Millisecond) // a database round trip: others wait for it
		return map[string]int{skus[0]: int(units.Load())}, nil
	}}
}

func TestGateAdmitsAsManyAsThereAreUnits(t *testing.T) {
	var units, reads atomic.Int64
	units.Store(10)
	c := &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	g := newTestGate(&units, &reads, c)
	ctx := context.Background()

	var admitted atomic.Int64
	var wg sync.WaitGroup
	tickets := make(chan *ticket, 100)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tk, sku := g.admit(ctx, "t1", "r1", map[string]int{"sku": 1}, []string{"sku"}); tk != nil {
				admitted.Add(1)
				tickets <- tk
			} else if sku != "sku" {
				t.Errorf("turned away for %q", sku)
			}
		}()
	}
	wg.Wait()
	close(tickets)
	if admitted.Load() != 10 || reads.Load() != 1 {
		t.Fatalf("admitted %d with %d reads; want 10 with one read", admitted.Load(), reads.Load())
	}
	// Three attempts fail (their units come back), seven sell.
	i := 0
	for tk := range tickets {
		tk.done(i >= 3)
		i++
	}
	units.Store(3)
	var last []*ticket
	for range 3 {
		tk, _ := g.admit(ctx, "t1", "r1", map[string]int{"sku": 1}, []string{"sku"})
		if tk == nil {
			t.Fatal("a returned unit was not offered again")
		}
		last = append(last, tk)
	}
	if tk, _ := g.admit(ctx, "t1", "r1", map[string]int{"sku": 1}, []string{"sku"}); tk != nil || reads.Load() != 1 {
		t.Fatalf("admitted beyond the units left (reads %d)", reads.Load())
	}
	// Another tenant's (or region's) SKU of the same id has its own count.
	if tk, _ := g.admit(ctx, "t2", "r1", map[string]int{"sku": 2}, []string{"sku"}); tk == nil || reads.Load() != 2 {
		t.Fatalf("another tenant's SKU shares the count (reads %d)", reads.Load())
	}
	// A restock shows once the count is SoldOutTTL old.
	units.Store(5)
	if tk, _ := g.admit(ctx, "t1", "r1", map[string]int{"sku": 1}, []string{"sku"}); tk != nil {
		t.Fatal("a fresh count was not trusted")
	}
	// Units held by attempts in flight are not counted as left.
	c.add(SoldOutTTL)
	if tk, _ := g.admit(ctx, "t1", "r1", map[string]int{"sku": 5}, []string{"sku"}); tk != nil || reads.Load() != 3 {
		t.Fatalf("units in flight counted as left (reads %d)", reads.Load())
	}
	for _, tk := range last {
		tk.done(true)
	}
	c.add(SoldOutTTL)
	if tk, _ := g.admit(ctx, "t1", "r1", map[string]int{"sku": 5}, []string{"sku"}); tk == nil || reads.Load() != 4 {
		t.Fatalf("the restock was not read (reads %d)", reads.Load())
	}
}

func TestGateSeveralSKUsTakeAllOrNothing(t *testing.T) {
	var units, reads atomic.Int64
	units.Store(2)
	c := &clock{t: time.Now()}
	g := newTestGate(&units, &reads, c)
	ctx := context.Background()
	if tk, sku := g.admit(ctx, "t", "r", map[string]int{"a": 1, "b": 3}, []string{"a", "b"}); tk != nil || sku != "b" {
		t.Fatalf("admitted %v, turned away for %q", tk != nil, sku)
	}
	// a's unit was given back: two are left.
	if tk, _ := g.admit(ctx, "t", "r", map[string]int{"a": 2}, []string{"a"}); tk == nil {
		t.Fatal("a's unit was kept by a turned-away attempt")
	}
}

func TestGateSoldOutAndReadErrors(t *testing.T) {
	c := &clock{t: time.Now()}
	fail := true
	g := &gate{now: c.now, read: func(context.Context, string, []string) (map[string]int, error) {
		if fail {
			return nil, errors.New("database away")
		}
		return map[string]int{"s": 4}, nil
	}}
	ctx := context.Background()
	// A count that cannot be read admits: the database decides.
	tk, _ := g.admit(ctx, "t", "r", map[string]int{"s": 1}, []string{"s"})
	if tk == nil {
		t.Fatal("a failed count turned the attempt away")
	}
	fail = false
	// A checkout found it sold out while tk was in flight: nobody else is
	// admitted, even after tk fails and gives its unit back.
	g.soldOut("t", "r", "s")
	tk.done(false)
	if tk, _ := g.admit(ctx, "t", "r", map[string]int{"s": 1}, []string{"s"}); tk != nil {
		t.Fatal("admitted after sold out")
	}
	c.add(SoldOutTTL)
	if tk, _ := g.admit(ctx, "t", "r", map[string]int{"s": 4}, []string{"s"}); tk == nil {
		t.Fatal("not admitted after the count was read again")
	}
}
