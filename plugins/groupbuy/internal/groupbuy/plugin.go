// Package groupbuy is the group-buying plugin (拼团): shops run campaigns
// that sell one SKU at a group price; a shopper opens a group by buying at
// the leader price, friends join at the group price, and the orders ship
// only once enough members have paid before the group expires — otherwise
// they are cancelled and refunded.
//
// The host does checkout, holds, event delivery, the HTTP proxy and slot
// rendering; this package answers the plugin protocol (AdjustCart,
// HandleEvent, RunJob, HandleHTTP, SlotContent, ValidateConfig) and keeps
// its own tables (campaigns, groups, members, processed events, rebate
// coupons, monthly campaign usage), every row and query scoped by tenant.
//
// Host calls that follow a state change (releasing holds, cancelling and
// refunding orders, recording usage) are recorded as due in the same
// transaction as the change and made after it commits; a member's call is
// marked done only when the host has answered, and whatever is still due is
// made again by the next event or job run, with the same idempotency key.
// A failed call makes HandleEvent and RunJob return UNAVAILABLE, so the
// host retries.
package groupbuy

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"time"
	_ "time/tzdata" // Asia/Shanghai on machines without a zoneinfo database

	"github.com/jishi-dev/jishi/plugins/sdk"
	"github.com/jishi-dev/jishi/plugins/sdk/store"
	"github.com/uptrace/bun"
)

// Options adjust a Plugin; the zero value is production's.
type Options struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Zone is the tenant's time zone for months, days and form times;
	// Asia/Shanghai when nil (the protocol does not carry the tenant's zone).
	Zone *time.Location
}

// Plugin serves the group-buying hooks. Create it with New.
type Plugin struct {
	sdk.Unimplemented

	st      *store.Store
	now     func() time.Time
	zone    *time.Location
	configs *sdk.Instances[*Settings]

	pages                   *template.Template
	storefrontMux, adminMux *http.ServeMux

	hot hotCache // per shop, for carts without group-buy lines
}

// New returns the plugin serving from st, whose migrations (package
// plugins/groupbuy/migrations) are applied.
func New(st *store.Store, opts Options) *Plugin {
	p := &Plugin{st: st, now: opts.Now, zone: opts.Zone}
	if p.now == nil {
		p.now = time.Now
	}
	if p.zone == nil {
		p.zone = shanghai
	}
	p.configs = sdk.NewInstances(10_000, buildSettings)
	p.parseTemplates()
	p.buildMuxes()
	return p
}

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

// clock returns now in UTC at the database's precision (microseconds), so
// times read back compare equal to times written.
func (p *Plugin) clock() time.Time { return p.now().UTC().Truncate(time.Microsecond) }

// tx runs fn in a transaction of the plugin's store.
func (p *Plugin) tx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return p.st.Tx(ctx, fn)
}

// Health reports NOT_SERVING while the database cannot be reached.
func (p *Plugin) Health(ctx context.Context) error {
	if err := p.st.DB.PingContext(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	return nil
}
