package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/jishi-dev/jishi/tenants"
)

// Host runs the installed plugins for every tenant: it decides which
// plugins a call reaches (activation), calls them under their deadlines
// with a circuit breaker each, and applies their failure policies.
type Host struct {
	Supervisor *Supervisor
	Switches   *Switches
	Signer     *Signer
	Logger     *slog.Logger
	// CapabilityTTL is how long a capability is accepted after the call it
	// was issued for began [2m].
	CapabilityTTL time.Duration
	// MaxDeadline caps any hook's declared deadline [5s].
	MaxDeadline time.Duration
	// Breaker tunes the circuit breakers [5 failures, 5s open].
	BreakerFailures int
	BreakerOpen     time.Duration
	Now             func() time.Time

	breakers sync.Map // plugin name → *breaker
	caps     sync.Map // capKey → capEntry
}

func (h *Host) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Host) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// Call names whom a hook call serves.
type Call struct {
	Tenant    *tenants.Tenant
	RegionID  string
	ShopID    string
	RequestID string
	Locale    string
}

// PluginError says which plugin failed a call and why; a fail-closed hook
// returns it to the operation it is part of.
type PluginError struct {
	Plugin string
	Hook   string
	Err    error
}

func (e *PluginError) Error() string {
	return fmt.Sprintf("plugin %s: %s: %v", e.Plugin, e.Hook, e.Err)
}
func (e *PluginError) Unwrap() error { return e.Err }

// ErrCircuitOpen is the error of a call the circuit breaker did not let
// through.
var ErrCircuitOpen = errors.New("circuit open after repeated failures")

// hookSpec returns plugin's spec of hook from its manifest, nil when the
// plugin does not declare it.
func hookSpec(m *pluginv1.Manifest, hook pluginv1.HookName) *pluginv1.HookSpec {
	for _, h := range m.GetHooks() {
		if h.GetName() == hook {
			return h
		}
	}
	return nil
}

// deadline is how long one call of spec may take.
func (h *Host) deadline(spec *pluginv1.HookSpec, def time.Duration) time.Duration {
	d := def
	if spec != nil && spec.GetDeadlineMs() > 0 {
		d = time.Duration(spec.GetDeadlineMs()) * time.Millisecond
	}
	maxD := h.MaxDeadline
	if maxD <= 0 {
		maxD = 5 * time.Second
	}
	return min(d, maxD)
}

// failClosed reports the effective failure policy of spec (tenders fail
// closed unless declared otherwise; everything else fails open).
func failClosed(spec *pluginv1.HookSpec) bool {
	switch spec.GetFailurePolicy() {
	case pluginv1.FailurePolicy_FAILURE_POLICY_FAIL_CLOSED:
		return true
	case pluginv1.FailurePolicy_FAILURE_POLICY_FAIL_OPEN:
		return false
	}
	return spec.GetName() == pluginv1.HookName_HOOK_NAME_TENDER
}

// tenantContext builds the TenantContext of a call to plugin with its
// capability, valid from now for CapabilityTTL past the deadline.
func (h *Host) tenantContext(plugin string, m *pluginv1.Manifest, r *Resolved, c Call, hook string, deadline time.Time) *pluginv1.TenantContext {
	ttl := h.CapabilityTTL
	if ttl <= 0 {
		ttl = 2 * time.Minute
	}
	exp := deadline.Add(ttl)
	tc := &pluginv1.TenantContext{
		TenantId: c.Tenant.ID, TenantSlug: c.Tenant.Slug, RegionId: c.RegionID, ShopId: c.ShopID,
		ConfigJson: r.Config(c.ShopID), ConfigVersion: r.Version, RequestId: c.RequestID,
		Deadline: timestamppb.New(deadline), Locale: c.Locale, CapabilityExpiresAt: timestamppb.New(exp),
		TimeZone: c.Tenant.TimeZone,
	}
	if tc.Locale == "" {
		tc.Locale = c.Tenant.DefaultLocale
	}
	if c.ShopID == "" {
		tc.ActiveRegionIds, tc.EnabledShopIds, tc.DisabledShopIds = r.Scope()
	}
	if h.Signer != nil {
		tc.Capability, exp = h.capability(plugin, m, c, deadline, ttl)
		tc.CapabilityExpiresAt = timestamppb.New(exp)
	}
	return tc
}

// capability returns a capability for calls to plugin serving c, valid at
// least ttl/2 past deadline. Tokens are the same for every call with the
// same plugin, manifest scopes, tenant, region and shop, so one is signed
// and reused until half its life is gone.
func (h *Host) capability(plugin string, m *pluginv1.Manifest, c Call, deadline time.Time, ttl time.Duration) (string, time.Time) {
	key := capKey{plugin: plugin, manifest: m, tenant: c.Tenant.ID, region: c.RegionID, shop: c.ShopID}
	if v, ok := h.caps.Load(key); ok {
		e := v.(capEntry)
		if e.expires.Sub(deadline) > ttl/2 {
			return e.token, e.expires
		}
	}
	exp := deadline.Add(ttl)
	tok := h.Signer.Issue(Capability{Plugin: plugin, TenantID: c.Tenant.ID, RegionID: c.RegionID, ShopID: c.ShopID,
		Scopes: m.GetHostScopes(), Expires: exp.Unix()})
	h.caps.Store(key, capEntry{token: tok, expires: time.Unix(exp.Unix(), 0)})
	return tok, exp
}

type capKey struct {
	plugin               string
	manifest             *pluginv1.Manifest
	tenant, region, shop string
}

type capEntry struct {
	token   string
	expires time.Time
}

// target is one plugin a call goes to.
type target struct {
	name     string
	client   pluginv1.PluginClient
	manifest *pluginv1.Manifest
	resolved *Resolved
	spec     *pluginv1.HookSpec
}

// targets returns the running plugins that declare hook and are active for
// the call's shop (for tenant-wide calls: anywhere in the tenant). Plugins
// that are active and declare the hook but are not running are returned
// in down, with why.
//
// idb, when not nil, is the caller's transaction: the switches are read
// through it when they are not cached, never through a second connection
// while the caller holds one.
func (h *Host) targets(ctx context.Context, idb bun.IDB, c Call, hook pluginv1.HookName) (up []target, down map[string]error, err error) {
	if h.Supervisor == nil || len(h.Supervisor.Names()) == 0 {
		return nil, nil, nil
	}
	all, err := h.Switches.TenantIn(ctx, idb, c.Tenant.ID)
	if err != nil {
		return nil, nil, err
	}
	for _, name := range h.Supervisor.Names() {
		r := all[name]
		active := r.ActiveFor(c.RegionID, c.ShopID)
		if c.ShopID == "" {
			active = r.ActiveAnywhere()
		}
		if !active {
			continue
		}
		if r.Killed {
			continue
		}
		m := h.Supervisor.LastManifest(name)
		if m != nil && hookSpec(m, hook) == nil {
			continue
		}
		client, cerr := h.Supervisor.Client(name)
		if cerr == nil {
			m, cerr = h.Supervisor.Manifest(name)
		}
		if cerr != nil {
			if down == nil {
				down = map[string]error{}
			}
			down[name] = cerr
			continue
		}
		spec := hookSpec(m, hook)
		if spec == nil {
			continue
		}
		up = append(up, target{name: name, client: client, manifest: m, resolved: r, spec: spec})
	}
	return up, down, nil
}

// Resolved returns plugin's switches in the tenant (for pages that ask
// whether a plugin is active).
func (h *Host) Resolved(ctx context.Context, tenantID, plugin string) (*Resolved, error) {
	return h.Switches.Resolve(ctx, tenantID, plugin)
}

// invoke runs one call to plugin t under its breaker and deadline.
func (h *Host) invoke(ctx context.Context, t target, def time.Duration, fn func(ctx context.Context) error) error {
	b := h.breaker(t.name)
	if !b.allow(h.now()) {
		return ErrCircuitOpen
	}
	ctx, cancel := context.WithTimeout(ctx, h.deadline(t.spec, def))
	defer cancel()
	err := fn(ctx)
	b.record(err == nil, h.now())
	return err
}

// breaker is a plugin's circuit breaker: after BreakerFailures failures in a
// row calls are not made for BreakerOpen; then calls go through again, and
// one more failure opens it again.
type breaker struct {
	mu        sync.Mutex
	fails     int
	openUntil time.Time
	threshold int
	open      time.Duration
}

func (h *Host) breaker(name string) *breaker {
	if b, ok := h.breakers.Load(name); ok {
		return b.(*breaker)
	}
	n, o := h.BreakerFailures, h.BreakerOpen
	if n <= 0 {
		n = 5
	}
	if o <= 0 {
		o = 5 * time.Second
	}
	b, _ := h.breakers.LoadOrStore(name, &breaker{threshold: n, open: o})
	return b.(*breaker)
}

// BreakerOpen reports whether plugin's circuit is open now.
func (h *Host) BreakerOpenFor(name string) bool { return !h.breaker(name).allow(h.now()) }

func (b *breaker) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !now.Before(b.openUntil)
}

func (b *breaker) record(ok bool, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ok {
		b.fails = 0
		return
	}
	b.fails++
	if b.fails >= b.threshold {
		b.openUntil = now.Add(b.open)
		b.fails = b.threshold - 1
	}
}

// attrPlugin returns the plugin an attribute key belongs to ("groupbuy"
// for "groupbuy.group"), "" when the key has no dot.
func attrPlugin(key string) string {
	p, _, ok := strings.Cut(key, ".")
	if !ok {
		return ""
	}
	return p
}

// ConsolePage is a plugin's entry page in a console.
type ConsolePage struct {
	Plugin, Title, Path string
}

// ConsolePages returns, for each running plugin active for shop (every
// plugin active somewhere in the tenant when shop is ""), the first admin
// GET route of its manifest without path wildcards — where the console
// links to it.
func (h *Host) ConsolePages(ctx context.Context, tenant *tenants.Tenant, regionID, shopID string) []ConsolePage {
	if h.Supervisor == nil {
		return nil
	}
	all, err := h.Switches.Tenant(ctx, tenant.ID)
	if err != nil {
		return nil
	}
	var out []ConsolePage
	for _, name := range h.Supervisor.Names() {
		r := all[name]
		if shopID == "" && !r.ActiveAnywhere() || shopID != "" && !r.ActiveFor(regionID, shopID) {
			continue
		}
		m := h.Supervisor.LastManifest(name)
		for _, rt := range m.GetRoutes() {
			if rt.GetArea() == pluginv1.RouteArea_ROUTE_AREA_ADMIN && strings.EqualFold(rt.GetMethod(), "GET") && !strings.Contains(rt.GetPath(), "{") {
				title := m.GetDisplayName()
				if title == "" {
					title = name
				}
				out = append(out, ConsolePage{Plugin: name, Title: title, Path: rt.GetPath()})
				break
			}
		}
	}
	return out
}
