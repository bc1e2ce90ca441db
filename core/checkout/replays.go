package checkout

import (
	"context"
	"sync"
	"time"

	"github.com/jishi-dev/jishi/core/order"
)

// replayWait is how long the first attempt turned away by the gate waits
// for others to share its replay lookup; replayBatch is the most keys
// one lookup asks for.
const (
	replayWait  = 2 * time.Millisecond
	replayBatch = 500
)

// replays looks up, for the attempts the gate turned away, whether each
// is the replay of a checkout placed earlier — many at once: when ten
// thousand shoppers want the last units of a flash sale, the losers'
// lookups take a few statements instead of one transaction each, and the
// losers are answered in milliseconds.
type replays struct {
	mu      sync.Mutex
	pending map[string]*replayLookup // by tenant
	// find reads the groups of refs in the tenant of ctx.
	find func(ctx context.Context, refs []order.KeyRef) (map[order.KeyRef]*order.Group, error)
}

type replayLookup struct {
	refs  []order.KeyRef
	done  chan struct{}
	found map[order.KeyRef]*order.Group
	err   error
}

// lookup answers the group placed with ref in tenant (ctx's), nil when
// there is none.
func (r *replays) lookup(ctx context.Context, tenant string, ref order.KeyRef) (*order.Group, error) {
	r.mu.Lock()
	if r.pending == nil {
		r.pending = map[string]*replayLookup{}
	}
	l := r.pending[tenant]
	if l == nil {
		l = &replayLookup{done: make(chan struct{})}
		r.pending[tenant] = l
		go r.run(context.WithoutCancel(ctx), tenant, l)
	}
	l.refs = append(l.refs, ref)
	if len(l.refs) >= replayBatch {
		delete(r.pending, tenant) // full: the next attempt starts another
	}
	r.mu.Unlock()
	select {
	case <-l.done:
		return l.found[ref], l.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (r *replays) run(ctx context.Context, tenant string, l *replayLookup) {
	time.Sleep(replayWait)
	r.mu.Lock()
	if r.pending[tenant] == l {
		delete(r.pending, tenant)
	}
	refs := l.refs
	r.mu.Unlock()
	l.found, l.err = r.find(ctx, refs)
	close(l.done)
}
