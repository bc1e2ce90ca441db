// Package authz decides who may do what where: casbin RBAC with domains.
//
// Roles are defined once, as templates without a domain (roles.csv: role,
// object, action; a permission is "object:action"). Users get roles per
// domain through assignments stored in the tenant table role_assignments.
// Domains nest: "platform"; "t/{tenant}"; "t/{tenant}/r/{region}";
// "t/{tenant}/r/{region}/s/{shop}". An assignment in domain D holds in every
// request domain that contains all of D's key/value pairs (see Covers), so a
// tenant admin's "t/T" covers T's regions and shops, a region manager's
// "t/T/r/R" covers R's shops, and a shop owner's "t/T/s/S" covers the shop
// wherever its region is.
//
// Two roles are implicit and never stored: every platform account is
// platform_admin everywhere, and every tenant account is shopper in its
// own tenant. A tenant account never passes a check on a domain of another
// tenant, whatever is stored.
package authz

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
)

// The role templates.
const (
	PlatformAdmin  = "platform_admin"
	TenantAdmin    = "tenant_admin"
	RegionManager  = "region_manager"
	MerchantOwner  = "merchant_owner"
	MerchantStaff  = "merchant_staff"
	PickupOperator = "pickup_operator"
	Shopper        = "shopper"
)

// ReloadAfter is how long a tenant's assignments are trusted before the
// next check reloads them from the database.
const ReloadAfter = 60 * time.Second

// retryReload is how soon a failed reload is tried again.
const retryReload = 5 * time.Second

// maxCachedDecisions bounds the decision cache of one tenant; when it is
// full it starts again empty.
const maxCachedDecisions = 8192

var (
	errForbidden       = core.Errorf(core.Forbidden, "error.forbidden")
	errUnauthenticated = core.Errorf(core.Unauthenticated, "error.unauthenticated")
)

// Enforcer holds the casbin enforcer: one per server process, built once
// with the model and the role templates. A tenant's assignments are loaded
// on its first check and kept up to date incrementally: Assign and Unassign
// change the in-memory policy after their transaction commits. Other
// server instances learn of a change when they reload the tenant, which
// each does ReloadAfter its last load (and on restart), until changes are
// broadcast with LISTEN/NOTIFY.
//
// Decisions are cached per tenant; any change to a tenant's assignments
// clears its cache. The casbin role manager is an index of each user's
// assignments (rolemanager.go) that asks Covers about them.
type Enforcer struct {
	adapter *Adapter
	now     func() time.Time

	mu      sync.RWMutex // guards ce, loaded and gen
	ce      *casbin.Enforcer
	loaded  map[string]*tenantPolicy
	gen     map[string]uint64 // bumped by every committed change of a tenant
	gatesMu sync.Mutex
	gates   map[string]*sync.Mutex // one load at a time per tenant
}

// tenantPolicy is what the enforcer holds of one tenant.
type tenantPolicy struct {
	loadedAt time.Time
	rules    map[[3]string]bool // the grouping rules in the casbin model
	mu       sync.Mutex
	cache    map[string]bool // decisions: subject \x00 domain \x00 perm
}

// New builds the enforcer: the embedded model and role templates; no
// tenant's assignments are read yet.
func New(ctx context.Context, d *db.DB) (*Enforcer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("authz model: %w", err)
	}
	a := NewAdapter(d)
	ce, err := casbin.NewEnforcer(m, a)
	if err != nil {
		return nil, fmt.Errorf("authz enforcer: %w", err)
	}
	ce.EnableAutoSave(false) // assignments are written in the caller's transaction
	ce.EnableLog(false)
	ce.SetRoleManager(newRoleIndex())
	ce.AddNamedDomainMatchingFunc("g", "covers", Covers)
	if err := ce.BuildRoleLinks(); err != nil { // hands the model the role manager
		return nil, fmt.Errorf("authz role links: %w", err)
	}
	return &Enforcer{
		adapter: a, now: time.Now, ce: ce,
		loaded: map[string]*tenantPolicy{}, gen: map[string]uint64{}, gates: map[string]*sync.Mutex{},
	}, nil
}

// Check implements httpx.Authorizer: nil when p holds perm ("object:action")
// in domain. Returns Unauthenticated when p is nil, Forbidden when p does
// not hold perm there (always for a tenant account and a domain of another
// tenant or the platform), and an internal error when the tenant's
// assignments cannot be loaded.
func (e *Enforcer) Check(ctx context.Context, p *identity.Principal, domain, perm string) error {
	if p == nil {
		return errUnauthenticated
	}
	obj, act, ok := strings.Cut(perm, ":")
	if !ok || obj == "" || act == "" {
		return errForbidden
	}
	if p.Kind == identity.KindPlatform {
		return nil // implicitly platform_admin everywhere
	}
	if p.Kind != identity.KindTenant || p.TenantID == "" || tenantOf(domain) != p.TenantID {
		return errForbidden
	}
	if grants(Shopper, obj, act) {
		return nil // implicitly shopper in its own tenant
	}
	if p.UserID == "" {
		return errForbidden
	}
	tp, err := e.tenant(ctx, p.TenantID)
	if err != nil {
		return err
	}
	sub := p.Subject()
	key := sub + "\x00" + domain + "\x00" + perm
	tp.mu.Lock()
	allow, hit := tp.cache[key]
	tp.mu.Unlock()
	if !hit {
		e.mu.RLock()
		allow, err = e.ce.Enforce(sub, domain, obj, act)
		if err == nil {
			// Stored under e.mu so that a change clearing the cache cannot
			// slip between this decision and its caching.
			tp.mu.Lock()
			if len(tp.cache) >= maxCachedDecisions {
				clear(tp.cache)
			}
			tp.cache[key] = allow
			tp.mu.Unlock()
		}
		e.mu.RUnlock()
		if err != nil {
			return fmt.Errorf("authorise %s %s in %s: %w", sub, perm, domain, err)
		}
	}
	if !allow {
		return errForbidden
	}
	return nil
}

// Allowed is Check as a boolean.
func (e *Enforcer) Allowed(ctx context.Context, p *identity.Principal, domain, perm string) bool {
	return e.Check(ctx, p, domain, perm) == nil
}

// RolesOf returns, for display, the roles p holds in domain: stored
// assignments whose domain covers it, plus the implicit ones
// (platform_admin for platform accounts; shopper for accounts of the
// domain's tenant), ordered from the most to the least powerful. A tenant
// account holds no role in another tenant's domain.
func (e *Enforcer) RolesOf(ctx context.Context, p *identity.Principal, domain string) ([]string, error) {
	if p == nil {
		return nil, errUnauthenticated
	}
	if p.Kind == identity.KindPlatform {
		return []string{PlatformAdmin}, nil
	}
	if p.Kind != identity.KindTenant || p.TenantID == "" || tenantOf(domain) != p.TenantID {
		return nil, nil
	}
	held := []string{Shopper}
	if p.UserID != "" {
		if _, err := e.tenant(ctx, p.TenantID); err != nil {
			return nil, err
		}
		e.mu.RLock()
		stored := e.ce.GetRolesForUserInDomain(p.Subject(), domain)
		e.mu.RUnlock()
		held = append(held, stored...)
	}
	var out []string
	for _, r := range roles {
		if slices.Contains(held, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// Reload reads tenant tenantID's assignments again now, whatever their
// age, and applies the differences. A change broadcast by another server
// instance (LISTEN/NOTIFY, once it exists) calls it.
func (e *Enforcer) Reload(ctx context.Context, tenantID string) error {
	gate := e.gate(tenantID)
	gate.Lock()
	defer gate.Unlock()
	return e.load(ctx, tenantID)
}

// tenant returns the policy of tenant tid, loading its assignments on
// first use and again when they are older than ReloadAfter.
func (e *Enforcer) tenant(ctx context.Context, tid string) (*tenantPolicy, error) {
	if tp, fresh := e.fresh(tid); fresh {
		return tp, nil
	}
	gate := e.gate(tid)
	gate.Lock()
	defer gate.Unlock()
	tp, fresh := e.fresh(tid)
	if fresh {
		return tp, nil // another check loaded it meanwhile
	}
	if err := e.load(ctx, tid); err != nil {
		if tp != nil {
			// Keep deciding on what we have, and retry in a few seconds
			// rather than on every check.
			slog.Warn("authz: reloading role assignments failed", "tenant", tid, "err", err)
			e.mu.Lock()
			tp.loadedAt = e.now().Add(retryReload - ReloadAfter)
			e.mu.Unlock()
			return tp, nil
		}
		return nil, err
	}
	e.mu.RLock()
	tp = e.loaded[tid]
	e.mu.RUnlock()
	return tp, nil
}

// fresh returns the policy of tenant tid, if loaded, and whether it is
// younger than ReloadAfter.
func (e *Enforcer) fresh(tid string) (*tenantPolicy, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	tp := e.loaded[tid]
	return tp, tp != nil && e.now().Sub(tp.loadedAt) < ReloadAfter
}

func (e *Enforcer) gate(tid string) *sync.Mutex {
	e.gatesMu.Lock()
	defer e.gatesMu.Unlock()
	g := e.gates[tid]
	if g == nil {
		g = &sync.Mutex{}
		e.gates[tid] = g
	}
	return g
}

// load reads tenant tid's assignments and brings the in-memory policy in
// line with them, changing only what differs. A change committed while
// reading makes it read again, so that a stale read cannot undo it.
func (e *Enforcer) load(ctx context.Context, tid string) error {
	for attempt := 0; ; attempt++ {
		e.mu.RLock()
		gen0 := e.gen[tid]
		e.mu.RUnlock()
		rules, err := e.adapter.tenantRules(ctx, tid)
		if err != nil {
			return err
		}
		e.mu.Lock()
		if e.gen[tid] != gen0 && attempt < 3 {
			e.mu.Unlock()
			continue
		}
		err = e.replace(tid, rules)
		if err == nil && e.gen[tid] != gen0 {
			// Still racing with changes: use this, but read again soon.
			e.loaded[tid].loadedAt = time.Time{}
		}
		e.mu.Unlock()
		return err
	}
}

// replace makes rules the grouping rules of tenant tid. e.mu must be held
// for writing.
func (e *Enforcer) replace(tid string, rules [][]string) error {
	tp := e.loaded[tid]
	if tp == nil {
		tp = &tenantPolicy{rules: map[[3]string]bool{}, cache: map[string]bool{}}
	}
	want := make(map[[3]string]bool, len(rules))
	var add [][]string
	for _, r := range rules {
		k := [3]string{r[0], r[1], r[2]}
		want[k] = true
		if !tp.rules[k] {
			add = append(add, r)
		}
	}
	var remove [][3]string
	for k := range tp.rules {
		if !want[k] {
			remove = append(remove, k)
		}
	}
	if err := e.removeRules(tp, remove); err != nil {
		return err
	}
	if len(add) > 0 {
		if _, err := e.ce.AddNamedGroupingPoliciesEx("g", add); err != nil {
			return fmt.Errorf("load role assignments of tenant %s: %w", tid, err)
		}
		for _, r := range add {
			tp.rules[[3]string{r[0], r[1], r[2]}] = true
		}
	}
	tp.loadedAt = e.now()
	tp.mu.Lock()
	clear(tp.cache)
	tp.mu.Unlock()
	e.loaded[tid] = tp
	return nil
}

// removeRules takes grouping rules out of the model. e.mu must be held
// for writing.
func (e *Enforcer) removeRules(tp *tenantPolicy, remove [][3]string) error {
	if len(remove) == 0 {
		return nil
	}
	rules := make([][]string, len(remove))
	for i, k := range remove {
		rules[i] = []string{k[0], k[1], k[2]}
		delete(tp.rules, k)
	}
	if _, err := e.ce.RemoveNamedGroupingPolicies("g", rules); err != nil {
		return fmt.Errorf("withdraw role assignments: %w", err)
	}
	return nil
}

// apply records a committed change of tenant tid: the rule is added
// (add) or withdrawn, in memory, when the tenant is loaded.
func (e *Enforcer) apply(tid string, rule []string, add bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.gen[tid]++
	tp := e.loaded[tid]
	if tp == nil {
		return // loaded with the change on its first check
	}
	k := [3]string{rule[0], rule[1], rule[2]}
	var err error
	switch {
	case add && !tp.rules[k]:
		if _, err = e.ce.AddNamedGroupingPolicy("g", rule); err == nil {
			tp.rules[k] = true
		}
	case !add && tp.rules[k]:
		err = e.removeRules(tp, [][3]string{k})
	}
	tp.mu.Lock()
	clear(tp.cache)
	tp.mu.Unlock()
	if err != nil {
		// The database has the change; read it again on the next check.
		slog.Error("authz: applying a role assignment failed; reloading the tenant", "tenant", tid, "err", err)
		tp.loadedAt = time.Time{}
	}
}
