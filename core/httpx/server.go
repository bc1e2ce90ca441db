package httpx

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/prometheus/client_golang/prometheus"
)

// Authenticator finds the principal of a request (session cookie or
// bearer token). It returns (nil, nil) for an anonymous request, and an
// Unauthenticated error for credentials that are present but invalid
// where that must stop the request (a bad bearer token).
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request) (*identity.Principal, error)
}

// Authorizer decides whether principal p holds perm in domain. It returns
// nil when allowed and a Forbidden error otherwise.
type Authorizer interface {
	Check(ctx context.Context, p *identity.Principal, domain, perm string) error
}

// Server is the http.Handler of the whole application.
type Server struct {
	Router   *Router
	Resolver *tenants.Resolver
	Auth     Authenticator
	Authz    Authorizer
	// Secure marks cookies Secure (set when serving behind TLS).
	Secure bool
	// NotFoundPage renders the page for a host that matches no tenant.
	Metrics *Metrics
}

// NewServer returns the application handler for s's router, resolver,
// authenticator and authoriser.
func NewServer(s *Server) *Server {
	s.Router.check = s.authorize
	return s
}

// CSRFCookie is the cookie holding the browser's CSRF token; forms carry
// it as the csrf_token field, scripts as the X-CSRF-Token header.
const CSRFCookie = "jishi_csrf"

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyResolution
	keyCSRF
	keyPattern
)

// RequestID returns the request id in ctx.
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(keyRequestID).(string)
	return s
}

// ResolutionFrom returns the tenant resolution of the request in ctx.
func ResolutionFrom(ctx context.Context) tenants.Resolution {
	r, _ := ctx.Value(keyResolution).(tenants.Resolution)
	return r
}

// CSRFToken returns the CSRF token to embed in forms of this request.
func CSRFToken(ctx context.Context) string {
	s, _ := ctx.Value(keyCSRF).(string)
	return s
}

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func newID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ServeHTTP runs the middleware chain and dispatches to the area's mux.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var pattern string
	rid := r.Header.Get("X-Request-ID")
	if !requestIDRE.MatchString(rid) {
		rid = newID(8)
	}
	w.Header().Set("X-Request-ID", rid)
	ctx := context.WithValue(r.Context(), keyRequestID, rid)
	ctx = context.WithValue(ctx, keyPattern, &pattern)
	sw := &statusWriter{ResponseWriter: w, status: 200}
	r = r.WithContext(ctx)
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			slog.ErrorContext(ctx, "panic", "panic", v, "request_id", rid, "path", r.URL.Path)
			if !sw.wrote {
				Error(sw, r, core.Errorf(core.Internal, "error.internal"))
			}
		}
		s.observe(r, pattern, sw, start)
	}()
	s.serve(sw, r)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	// Health, metrics and static assets answer on every host.
	if h, pat := s.Router.muxes[AreaAny].Handler(r); pat != "" && !isNotFoundPattern(pat) {
		h.ServeHTTP(w, r)
		return
	}
	res, err := s.Resolver.Resolve(ctx, r.Host, r.URL.Path)
	if err != nil {
		ctx = i18n.WithLocale(ctx, i18n.FromRequest(r, ""))
		Error(w, r.WithContext(ctx), err)
		return
	}
	ctx = context.WithValue(ctx, keyResolution, res)
	fallback := ""
	if res.Tenant != nil {
		ctx = tenants.WithTenant(ctx, res.Tenant)
		fallback = res.Tenant.DefaultLocale
	}
	ctx = i18n.WithLocale(ctx, i18n.FromRequest(r, fallback))
	if l := r.URL.Query().Get("lang"); i18n.Normalize(l) != "" {
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: i18n.Normalize(l), Path: "/", MaxAge: 365 * 86400, SameSite: http.SameSiteLaxMode, Secure: s.Secure})
	}

	// CSRF token: one random value per browser, in a cookie and in every
	// form; unsafe requests that rely on cookies must echo it.
	token := ""
	if c, err := r.Cookie(CSRFCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 64 {
		token = c.Value
	} else {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		token = base64.RawURLEncoding.EncodeToString(b)
		http.SetCookie(w, &http.Cookie{Name: CSRFCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.Secure})
	}
	ctx = context.WithValue(ctx, keyCSRF, token)

	// Rewrite to the tenant-relative path before anything reads r.URL.
	r = r.WithContext(ctx)
	if res.Tenant != nil {
		u := *r.URL
		u.Path, u.RawPath = res.Path, ""
		r.URL = &u
	}

	p, err := s.Auth.Authenticate(ctx, r)
	if err != nil {
		Error(w, r, err)
		return
	}
	if p != nil {
		// A tenant session answers only on its own tenant; a platform
		// session only on platform hosts.
		if (res.Tenant == nil) != (p.Kind == identity.KindPlatform) || (res.Tenant != nil && p.TenantID != res.Tenant.ID) {
			p = nil
		}
	}
	if p != nil {
		ctx = identity.WithPrincipal(ctx, p)
		r = r.WithContext(ctx)
	}
	area := AreaPlatform
	if res.Tenant != nil {
		area = AreaTenant
	}
	s.Router.muxes[area].ServeHTTP(w, r)
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

func (s *Server) csrfOK(r *http.Request, cookieToken string) bool {
	c, err := r.Cookie(CSRFCookie)
	if err != nil || c.Value != cookieToken {
		return false
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		ct := r.Header.Get("Content-Type")
		if len(ct) >= 33 && ct[:33] == "application/x-www-form-urlencoded" || len(ct) >= 19 && ct[:19] == "multipart/form-data" {
			got = r.FormValue("csrf_token")
		}
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(cookieToken)) == 1
}

// Domain returns the authorisation domain of the request's tenant:
// "t/{tenantID}", or "platform" on platform hosts.
func Domain(ctx context.Context) string {
	if t, ok := tenants.FromContext(ctx); ok {
		return "t/" + t.ID
	}
	return "platform"
}

// authorize runs once the route is known and its body limit is in place:
// the CSRF check of unsafe requests that rely on cookies (it may read a
// form body, so it must not run before the limit), then the route's
// permission.
func (s *Server) authorize(r *http.Request, rt Route) error {
	p, ok := identity.PrincipalFrom(r.Context())
	if unsafeMethod(r.Method) && (!ok || p.TokenID == "") && !(rt.Public && rt.Signed) {
		if !s.csrfOK(r, CSRFToken(r.Context())) {
			return core.Errorf(core.Forbidden, "error.csrf")
		}
	}
	if rt.Public {
		return nil
	}
	if !ok {
		return core.Errorf(core.Unauthenticated, "error.unauthenticated")
	}
	if rt.Perm == PermSignedIn || rt.Resource {
		return nil
	}
	return s.Authz.Check(r.Context(), p, Domain(r.Context()), rt.Perm)
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Metrics are the Prometheus collectors of the HTTP layer.
type Metrics struct {
	Requests *prometheus.CounterVec
	Duration *prometheus.HistogramVec
}

// NewMetrics registers the HTTP collectors with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jishi_http_requests_total", Help: "HTTP requests by route pattern and status.",
		}, []string{"pattern", "status"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "jishi_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"pattern"}),
	}
	reg.MustRegister(m.Requests, m.Duration)
	return m
}

func (s *Server) observe(r *http.Request, pattern string, w *statusWriter, start time.Time) {
	d := time.Since(start)
	if pattern == "" {
		pattern = "unmatched"
	}
	if s.Metrics != nil {
		s.Metrics.Requests.WithLabelValues(pattern, strconv.Itoa(w.status)).Inc()
		s.Metrics.Duration.WithLabelValues(pattern).Observe(d.Seconds())
	}
	lvl := slog.LevelDebug
	if w.status >= 500 {
		lvl = slog.LevelError
	}
	slog.Log(r.Context(), lvl, "http", "method", r.Method, "host", r.Host, "path", r.URL.Path,
		"status", w.status, "duration_ms", d.Milliseconds(), "request_id", RequestID(r.Context()))
}

// isNotFoundPattern: ServeMux.Handler reports "" for no match.
func isNotFoundPattern(p string) bool { return p == "" }
