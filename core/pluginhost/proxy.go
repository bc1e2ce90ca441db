package pluginhost

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/textproto"
	"strings"
	"sync"
	"time"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
)

// MaxRouteBody is the largest request body proxied to a plugin route.
const MaxRouteBody = 1 << 20

// defaultRouteDeadline bounds a HandleHTTP call whose manifest declares no
// deadline.
const defaultRouteDeadline = 5 * time.Second

// Errors of ServeRoute.
var (
	ErrNoRoute      = errors.New("no such plugin route")
	ErrForbidden    = errors.New("the route's permission is not held")
	ErrBodyTooLarge = errors.New("request body too large")
)

// RouteRequest is one request for a plugin route, after the host has
// resolved the tenant and authenticated the caller.
type RouteRequest struct {
	Plugin string
	Area   pluginv1.RouteArea
	// Mount is the URL prefix the plugin's routes are served under; Path is
	// the rest ("/campaigns/1").
	Mount, Path string
	// Base is the URL prefix of the tenant's pages ("" or "/t/{slug}").
	Base     string
	Call     Call
	Identity *pluginv1.Identity
	// Can reports whether the caller holds a route's permission.
	Can  func(permission string) bool
	CSRF string
}

// RouteResponse is the plugin's answer, with headers filtered. Page is set
// when the plugin answered an HTML fragment for the host's layout.
type RouteResponse struct {
	Status int
	Header http.Header
	Body   []byte
	Page   bool
	Title  string
}

// passHeaders are the response headers a plugin may set.
var passHeaders = []string{"Content-Type", "Cache-Control", "Location", "Etag", "Last-Modified", "Content-Language"}

// dropRequestHeaders are never passed to a plugin.
var dropRequestHeaders = map[string]bool{
	"Cookie": true, "Authorization": true, "Proxy-Authorization": true, "X-Csrf-Token": true,
	"Connection": true, "Keep-Alive": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

type routeTable struct {
	manifest *pluginv1.Manifest
	muxes    map[pluginv1.RouteArea]*http.ServeMux
	specs    map[pluginv1.RouteArea]map[string]*pluginv1.RouteSpec
}

var routeTables sync.Map // plugin name → *routeTable

// routes returns the route table of m, built once per manifest.
func routes(name string, m *pluginv1.Manifest) *routeTable {
	if v, ok := routeTables.Load(name); ok && v.(*routeTable).manifest == m {
		return v.(*routeTable)
	}
	rt := &routeTable{manifest: m, muxes: map[pluginv1.RouteArea]*http.ServeMux{}, specs: map[pluginv1.RouteArea]map[string]*pluginv1.RouteSpec{}}
	for _, r := range m.GetRoutes() {
		a := r.GetArea()
		if rt.muxes[a] == nil {
			rt.muxes[a] = http.NewServeMux()
			rt.specs[a] = map[string]*pluginv1.RouteSpec{}
		}
		pattern := strings.ToUpper(r.GetMethod()) + " " + r.GetPath()
		func() {
			defer func() { _ = recover() }() // a bad or repeated pattern is left out
			rt.muxes[a].HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
			rt.specs[a][pattern] = r
		}()
	}
	routeTables.Store(name, rt)
	return rt
}

// ServeRoute proxies r to rr.Plugin's route, when the plugin is active for
// the call's shop (tenant-wide routes: anywhere in the tenant), declares a
// route of the area matching the method and path, and the caller holds its
// permission. Cookies and credentials are not passed on; the caller's
// identity is. It returns ErrNoRoute, ErrForbidden, ErrBodyTooLarge, or an
// UnavailableError when the plugin cannot answer.
func (h *Host) ServeRoute(ctx context.Context, rr RouteRequest, r *http.Request) (*RouteResponse, error) {
	res, err := h.Resolved(ctx, rr.Call.Tenant.ID, rr.Plugin)
	if err != nil {
		return nil, err
	}
	active := res.ActiveFor(rr.Call.RegionID, rr.Call.ShopID)
	if rr.Call.ShopID == "" {
		active = res.ActiveAnywhere()
	}
	if !active || h.Supervisor == nil {
		return nil, ErrNoRoute
	}
	m := h.Supervisor.LastManifest(rr.Plugin)
	if m == nil {
		return nil, &UnavailableError{Plugin: rr.Plugin, Err: errors.New("not started")}
	}
	rt := routes(rr.Plugin, m)
	mux := rt.muxes[rr.Area]
	if mux == nil {
		return nil, ErrNoRoute
	}
	probe, _ := http.NewRequestWithContext(ctx, r.Method, rr.Path, nil)
	if probe == nil {
		return nil, ErrNoRoute
	}
	_, pattern := mux.Handler(probe)
	spec := rt.specs[rr.Area][pattern]
	if spec == nil {
		return nil, ErrNoRoute
	}
	if p := spec.GetPermission(); p != "" && (rr.Can == nil || !rr.Can(p)) {
		return nil, ErrForbidden
	}
	var body []byte
	if r.PostForm != nil && r.MultipartForm == nil {
		// The host has parsed the form already (its CSRF check reads the
		// token from it), which consumed the body: pass the form on.
		body = []byte(r.PostForm.Encode())
	} else if r.Body != nil {
		var err error
		if body, err = io.ReadAll(io.LimitReader(r.Body, MaxRouteBody+1)); err != nil {
			return nil, err
		}
	}
	if len(body) > MaxRouteBody {
		return nil, ErrBodyTooLarge
	}
	var headers []*pluginv1.Header
	for k, vs := range r.Header {
		k = textproto.CanonicalMIMEHeaderKey(k)
		if dropRequestHeaders[k] {
			continue
		}
		headers = append(headers, &pluginv1.Header{Name: k, Values: vs})
	}
	client, err := h.Supervisor.Client(rr.Plugin)
	if err != nil {
		return nil, &UnavailableError{Plugin: rr.Plugin, Err: err}
	}
	m, err = h.Supervisor.Manifest(rr.Plugin)
	if err != nil {
		return nil, &UnavailableError{Plugin: rr.Plugin, Err: err}
	}
	hs := hookSpec(m, pluginv1.HookName_HOOK_NAME_HANDLE_HTTP)
	tg := target{name: rr.Plugin, client: client, manifest: m, resolved: res, spec: hs}
	var out *pluginv1.HandleHTTPResponse
	err = h.invoke(ctx, tg, defaultRouteDeadline, func(ctx context.Context) error {
		dl, _ := ctx.Deadline()
		var err error
		out, err = client.HandleHTTP(ctx, &pluginv1.HandleHTTPRequest{
			Tenant: h.tenantContext(rr.Plugin, m, res, rr.Call, "handle_http", dl),
			Method: r.Method, Path: rr.Path, Route: spec.GetPath(), RawQuery: r.URL.RawQuery,
			Headers: headers, Body: body, Identity: rr.Identity, Area: rr.Area, CsrfToken: rr.CSRF, Mount: rr.Mount, Base: rr.Base,
		})
		return err
	})
	if err != nil {
		return nil, &UnavailableError{Plugin: rr.Plugin, Err: err}
	}
	resp := &RouteResponse{Status: int(out.GetStatus()), Header: http.Header{}, Body: out.GetBody()}
	if resp.Status == 0 {
		resp.Status = http.StatusOK
	}
	if resp.Status < 100 || resp.Status > 599 {
		return nil, &UnavailableError{Plugin: rr.Plugin, Err: errors.New("answered an invalid HTTP status")}
	}
	for _, hd := range out.GetHeaders() {
		name := textproto.CanonicalMIMEHeaderKey(hd.GetName())
		switch name {
		case "X-Jishi-Layout":
			resp.Page = len(hd.GetValues()) > 0 && hd.GetValues()[0] == "page"
			continue
		case "X-Jishi-Title":
			if len(hd.GetValues()) > 0 {
				resp.Title = hd.GetValues()[0]
			}
			continue
		case "Location":
			// Only paths on this host: a plugin cannot send users elsewhere.
			if v := hd.GetValues(); len(v) == 0 || !strings.HasPrefix(v[0], "/") || strings.HasPrefix(v[0], "//") || strings.HasPrefix(v[0], "/\\") {
				continue
			}
		}
		for _, p := range passHeaders {
			if p == name {
				resp.Header[name] = hd.GetValues()
			}
		}
	}
	if resp.Page && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		resp.Page = false
	}
	return resp, nil
}
