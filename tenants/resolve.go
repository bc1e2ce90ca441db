package tenants

import (
	"context"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/uptrace/bun"
)

// Resolution is what a request's host and path say about where it goes.
type Resolution struct {
	// Tenant is the marketplace, or nil for the platform host.
	Tenant *Tenant
	// Shop is the slug of the shop whose storefront was addressed, if any.
	Shop string
	// Base is the prefix that turns a tenant-relative path into a link:
	// "/t/{slug}" on development paths, "" on a tenant's own host, and
	// "//{tenant host}" on a shop's subdomain.
	Base string
	// Path is the tenant-relative path the tenant's routes see. A shop
	// storefront's pages live under /s/{shop}/.
	Path string
	// ShopHost is true when the shop was named by its subdomain.
	ShopHost bool
}

// Resolver maps a request's Host header and path to its tenant, caching
// lookups for TTL. The tenants and tenant_domains tables are global, so it
// reads without a tenant.
type Resolver struct {
	DB bun.IDB
	// PlatformHosts are hosts that belong to no tenant (the platform
	// console, and development paths /t/{tenant}/…). IP addresses always
	// count as platform hosts.
	PlatformHosts []string
	TTL           time.Duration

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	t   *Tenant
	exp time.Time
}

const maxCached = 10000

// Invalidate drops every cached lookup; call it after tenants or domains
// change.
func (r *Resolver) Invalidate() {
	r.mu.Lock()
	r.cache = nil
	r.mu.Unlock()
}

// Resolve returns where host and path lead. Returns NotFound when the host
// is neither a platform host nor a tenant's (or a shop's under a tenant's)
// domain, or when /t/{slug} names no tenant: the caller answers 404 and
// never shows another tenant's content.
func (r *Resolver) Resolve(ctx context.Context, host, path string) (Resolution, error) {
	host = strings.ToLower(host)
	port := ""
	if h, p, err := net.SplitHostPort(host); err == nil {
		host, port = h, ":"+p
	}
	host = strings.TrimSuffix(host, ".")
	if r.isPlatformHost(host) {
		if rest, ok := strings.CutPrefix(path, "/t/"); ok {
			slug, tail, _ := strings.Cut(rest, "/")
			t, err := r.lookup(ctx, "slug:"+slug, func() (*Tenant, error) { return BySlug(ctx, r.DB, slug) })
			if err != nil {
				return Resolution{}, err
			}
			res := Resolution{Tenant: t, Base: "/t/" + t.Slug, Path: "/" + tail}
			res.Shop = shopOf(res.Path)
			return res, nil
		}
		return Resolution{Path: path}, nil
	}
	t, err := r.lookup(ctx, "dom:"+host, func() (*Tenant, error) { return ByDomain(ctx, r.DB, host) })
	if err == nil {
		return Resolution{Tenant: t, Path: path, Shop: shopOf(path)}, nil
	}
	if !core.IsNotFound(err) {
		return Resolution{}, err
	}
	label, parent, ok := strings.Cut(host, ".")
	if !ok || label == "" {
		return Resolution{}, err
	}
	t, err = r.lookup(ctx, "dom:"+parent, func() (*Tenant, error) { return ByDomain(ctx, r.DB, parent) })
	if err != nil {
		return Resolution{}, err
	}
	return Resolution{Tenant: t, Shop: label, Path: "/s/" + label + path, ShopHost: true, Base: "//" + parent + port}, nil
}

func shopOf(path string) string {
	if rest, ok := strings.CutPrefix(path, "/s/"); ok {
		shop, _, _ := strings.Cut(rest, "/")
		return shop
	}
	return ""
}

func (r *Resolver) isPlatformHost(host string) bool {
	if net.ParseIP(host) != nil {
		return true
	}
	for _, h := range r.PlatformHosts {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return len(r.PlatformHosts) == 0 && host == "localhost"
}

func (r *Resolver) lookup(ctx context.Context, key string, load func() (*Tenant, error)) (*Tenant, error) {
	now := time.Now()
	r.mu.Lock()
	c, ok := r.cache[key]
	r.mu.Unlock()
	if ok && now.Before(c.exp) {
		if c.t == nil {
			return nil, errNotFound
		}
		return c.t, nil
	}
	t, err := load()
	if err != nil && !core.IsNotFound(err) {
		return nil, err
	}
	ttl := r.TTL
	if ttl == 0 {
		ttl = 30 * time.Second
	}
	if t == nil {
		ttl = min(ttl, 5*time.Second)
	}
	r.mu.Lock()
	if r.cache == nil || len(r.cache) >= maxCached {
		r.cache = map[string]cached{}
	}
	r.cache[key] = cached{t: t, exp: now.Add(ttl)}
	r.mu.Unlock()
	if t == nil {
		return nil, errNotFound
	}
	return t, nil
}
