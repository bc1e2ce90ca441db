package groupbuy

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"
)

//go:embed templates/*.html
var templateFiles embed.FS

// httpCall is one proxied request being answered.
type httpCall struct {
	t        *sdk.Tenant
	req      *pluginv1.HandleHTTPRequest
	r        *http.Request
	status   int
	header   http.Header
	body     bytes.Buffer
	wantJSON bool
}

type callKey struct{}

// HandleHTTP answers the manifest's routes (see routes): HTML fragments the
// host places in its layout ("X-Jishi-Layout: page", title in
// "X-Jishi-Title"), or JSON when the request accepts application/json.
// Campaigns and groups of another tenant, or of a shop the call does not
// admit, answer 404.
func (p *Plugin) HandleHTTP(ctx context.Context, t *sdk.Tenant, req *pluginv1.HandleHTTPRequest) (*pluginv1.HandleHTTPResponse, error) {
	r, err := http.NewRequestWithContext(ctx, req.GetMethod(), "/", bytes.NewReader(req.GetBody()))
	if err != nil {
		return nil, sdk.Invalid("groupbuy: request %s %s: %v", req.GetMethod(), req.GetPath(), err)
	}
	// The path as it is, never parsed as a URL ("//x" is a path here).
	r.URL = &url.URL{Path: req.GetPath(), RawQuery: req.GetRawQuery()}
	r.RequestURI = r.URL.RequestURI()
	for _, h := range req.GetHeaders() {
		for _, v := range h.GetValues() {
			r.Header.Add(h.GetName(), v)
		}
	}
	c := &httpCall{t: t, req: req, header: http.Header{}, wantJSON: strings.Contains(r.Header.Get("Accept"), "application/json")}
	r = r.WithContext(context.WithValue(ctx, callKey{}, c))
	mux := p.storefrontMux
	if req.GetArea() == pluginv1.RouteArea_ROUTE_AREA_ADMIN {
		mux = p.adminMux
	}
	w := &muxWriter{header: http.Header{}}
	mux.ServeHTTP(w, r)
	if c.status == 0 && w.status != 0 {
		// The mux answered by itself (a redirect to a cleaned path, 405).
		c.status, c.header = w.status, w.header
		c.body.Write(w.body.Bytes())
		if loc := c.header.Get("Location"); strings.HasPrefix(loc, "/") {
			c.header.Set("Location", req.GetMount()+loc)
		}
	}
	resp := &pluginv1.HandleHTTPResponse{Status: int32(c.status), Body: c.body.Bytes()}
	if resp.Status == 0 {
		resp.Status = http.StatusOK
	}
	for name, values := range c.header {
		resp.Headers = append(resp.Headers, &pluginv1.Header{Name: name, Values: values})
	}
	return resp, nil
}

// muxWriter is the ResponseWriter the muxes see. Handlers answer through
// their httpCall; it keeps what the mux itself answers.
type muxWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *muxWriter) Header() http.Header { return w.header }

func (w *muxWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

func (w *muxWriter) WriteHeader(status int) { w.status = status }

// routeHandler answers one route.
type routeHandler func(ctx context.Context, c *httpCall) error

// buildMuxes registers the handlers of the manifest's routes.
func (p *Plugin) buildMuxes() {
	handle := func(mux *http.ServeMux, pattern string, h routeHandler) {
		mux.HandleFunc(pattern, func(_ http.ResponseWriter, r *http.Request) {
			c := r.Context().Value(callKey{}).(*httpCall)
			c.r = r
			if err := h(r.Context(), c); err != nil {
				p.fail(c, err)
			}
		})
	}
	sf := http.NewServeMux()
	handle(sf, "GET /today", p.today)
	handle(sf, "GET /campaigns/{id}", p.campaignPage)
	handle(sf, "GET /groups/{id}", p.groupPage)
	handle(sf, "/", func(context.Context, *httpCall) error { return errNotFound })

	ad := http.NewServeMux()
	handle(ad, "GET /campaigns", p.adminCampaigns)
	handle(ad, "GET /campaigns/new", p.adminNewCampaign)
	handle(ad, "POST /campaigns", p.adminCreateCampaign)
	handle(ad, "GET /campaigns/{id}", p.adminCampaign)
	handle(ad, "POST /campaigns/{id}/pause", p.adminChange("pause"))
	handle(ad, "POST /campaigns/{id}/resume", p.adminChange("resume"))
	handle(ad, "GET /approvals", p.approvals)
	handle(ad, "POST /campaigns/{id}/approve", p.adminChange("approve"))
	handle(ad, "POST /campaigns/{id}/reject", p.adminChange("reject"))
	handle(ad, "/", func(context.Context, *httpCall) error { return errNotFound })

	p.storefrontMux, p.adminMux = sf, ad
}

// base is what every page template gets.
type base struct {
	L     string // locale
	Mount string
	CSRF  string
}

func (c *httpCall) base() base {
	return base{L: c.t.Locale, Mount: c.req.GetMount(), CSRF: c.req.GetCsrfToken()}
}

// html answers the template name as a page fragment titled by the message
// key title.
func (p *Plugin) html(c *httpCall, status int, titleKey, name string, data any) error {
	var buf bytes.Buffer
	if err := p.pages.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	c.status = status
	c.header.Set("Content-Type", "text/html; charset=utf-8")
	c.header.Set("X-Jishi-Layout", "page")
	c.header.Set("X-Jishi-Title", text(c.t.Locale, titleKey))
	c.body.Reset()
	c.body.Write(buf.Bytes())
	return nil
}

// json answers v as JSON.
func (c *httpCall) json(status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.status = status
	c.header.Set("Content-Type", "application/json; charset=utf-8")
	c.body.Reset()
	c.body.Write(b)
	return nil
}

// redirect answers 303 See Other to path below the mount.
func (c *httpCall) redirect(path string) error {
	c.status = http.StatusSeeOther
	c.header.Set("Location", c.req.GetMount()+path)
	return nil
}

// jsonError is the JSON body of an error.
type jsonError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// fail answers err: 404 for errNotFound, 409 for errState, 500 for
// anything else (logged, never shown).
func (p *Plugin) fail(c *httpCall, err error) {
	status, code, key := http.StatusInternalServerError, "internal", "groupbuy.error.internal"
	switch {
	case errors.Is(err, errNotFound):
		status, code, key = http.StatusNotFound, "not_found", "groupbuy.error.not_found"
	case errors.Is(err, errState):
		status, code, key = http.StatusConflict, "conflict", "groupbuy.campaign.state"
	case errors.Is(err, errShopRequired):
		status, code, key = http.StatusNotFound, "not_found", "groupbuy.error.shop_required"
	case grpcstatus.Code(err) == codes.Unavailable || grpcstatus.Code(err) == codes.DeadlineExceeded:
		status, code = http.StatusServiceUnavailable, "unavailable"
		c.t.Logger().Warn("groupbuy page unavailable", "method", c.req.GetMethod(), "path", c.req.GetPath(), "error", err)
	default:
		c.t.Logger().Error("groupbuy page failed", "method", c.req.GetMethod(), "path", c.req.GetPath(), "error", err)
	}
	msg := text(c.t.Locale, key)
	if c.wantJSON {
		var e jsonError
		e.Error.Code, e.Error.Message = code, msg
		_ = c.json(status, e)
		return
	}
	if err := p.html(c, status, key, "message.html", struct {
		base
		Message string
	}{c.base(), msg}); err != nil {
		c.status = status
		c.header.Set("Content-Type", "text/plain; charset=utf-8")
		c.body.Reset()
		c.body.WriteString(msg)
	}
}

// errShopRequired answers a shop-console page called without a shop.
var errShopRequired = errors.New("shop console page without a shop")

// parseTemplates parses the page templates with the plugin's functions.
func (p *Plugin) parseTemplates() {
	funcs := template.FuncMap{
		"t": func(locale, key string, kv ...any) string {
			ss := make([]string, len(kv))
			for i, v := range kv {
				ss[i] = toString(v)
			}
			return text(locale, key, ss...)
		},
		"yuan": yuan,
		"when": func(tm time.Time) string {
			if tm.IsZero() {
				return ""
			}
			return tm.In(p.zone).Format("2006-01-02 15:04")
		},
		"rfc3339": func(tm time.Time) string { return tm.UTC().Format(time.RFC3339) },
		"formtime": func(tm time.Time) string {
			if tm.IsZero() {
				return ""
			}
			return tm.In(p.zone).Format(formTime)
		},
		"seq": func(n int) []int { return make([]int, max(0, n)) },
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				m[toString(kv[i])] = kv[i+1]
			}
			return m
		},
	}
	p.pages = template.Must(template.New("groupbuy").Funcs(funcs).ParseFS(templateFiles, "templates/*.html"))
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return itoa(int64(x))
	case int64:
		return itoa(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
