// Package httpx is Jishi's HTTP plumbing: the router on which every route
// declares the permission it needs, the middleware chain (request ids,
// logging, metrics, tenant resolution, locale, authentication, CSRF,
// authorisation) and the one JSON error shape.
package httpx

import (
	"net/http"
	"sort"
	"strings"
)

// Area says which hosts a route answers on.
type Area string

// The areas.
const (
	// AreaAny routes answer on every host before tenant resolution:
	// health, readiness, metrics and static assets.
	AreaAny Area = "any"
	// AreaPlatform routes answer on platform hosts (the SaaS console).
	AreaPlatform Area = "platform"
	// AreaTenant routes answer on a tenant's hosts and dev paths
	// /t/{tenant}/…, with tenant-relative paths.
	AreaTenant Area = "tenant"
)

// Permission names that are not casbin objects.
const (
	// PermSignedIn admits any authenticated principal of the request's
	// tenant (or any platform account on the platform area).
	PermSignedIn = "signed_in"
)

// Route is one registered endpoint.
type Route struct {
	Area   Area
	Method string
	// Path is a net/http ServeMux pattern path ("/api/v1/shops/{id}").
	Path string
	// Perm is the permission the caller needs ("merchant.application:review"),
	// or PermSignedIn. Empty only when Public.
	Perm string
	// Public routes need no authentication.
	Public bool
	// Resource routes need a principal, and the handler checks Perm
	// against the domain of the resource it loads (a shop, a region),
	// because only the handler knows it. Others are checked in the
	// tenant's (or the platform's) domain before the handler runs.
	Resource bool
	// Signed routes are public routes whose requests prove themselves (a
	// webhook's signature over its body): no CSRF check, and the handler
	// must not act on the caller's cookies. Only with Public.
	Signed bool
	// MaxBody caps the request body in bytes (default 1 MiB).
	MaxBody int64
	Handler http.HandlerFunc
}

// Pattern is the ServeMux pattern of the route.
func (r Route) Pattern() string { return r.Method + " " + r.Path }

// Router collects routes for the three areas.
type Router struct {
	routes []Route
	muxes  map[Area]*http.ServeMux
	check  func(r *http.Request, rt Route) error
}

// NewRouter returns an empty router. check authorises a request for a
// route before its handler runs; Server supplies it.
func NewRouter() *Router {
	return &Router{muxes: map[Area]*http.ServeMux{
		AreaAny: http.NewServeMux(), AreaPlatform: http.NewServeMux(), AreaTenant: http.NewServeMux(),
	}}
}

// Handle registers rt. It panics on a route that is neither public nor
// names a permission, so an unguarded route cannot be registered.
func (rt *Router) Handle(r Route) {
	if r.Perm == "" && !r.Public {
		panic("httpx: route " + r.Pattern() + " declares no permission")
	}
	if r.Area == "" {
		r.Area = AreaTenant
	}
	if r.MaxBody == 0 {
		r.MaxBody = 1 << 20
	}
	rt.routes = append(rt.routes, r)
	route := r
	rt.muxes[r.Area].HandleFunc(r.Pattern(), func(w http.ResponseWriter, req *http.Request) {
		if p, ok := req.Context().Value(keyPattern).(*string); ok {
			*p = route.Pattern()
		}
		if req.Body != nil {
			req.Body = http.MaxBytesReader(w, req.Body, route.MaxBody)
		}
		if rt.check != nil {
			if err := rt.check(req, route); err != nil {
				Error(w, req, err)
				return
			}
		}
		route.Handler(w, req)
	})
}

// Routes returns every registered route, sorted by area, path and method.
func (rt *Router) Routes() []Route {
	out := append([]Route(nil), rt.routes...)
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Area != b.Area {
			return a.Area < b.Area
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Method < b.Method
	})
	return out
}

// IsAPI reports whether a tenant-relative or platform path is a JSON API
// path (errors are JSON there and HTML elsewhere).
func IsAPI(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == "/healthz" || path == "/readyz"
}
