// Package server mounts every route of Jishi on one router and returns the
// application's http.Handler. cmd/jishi serves it; tests drive it through
// httptest.
package server

import (
	adminui "github.com/jishi-dev/jishi/admin-ui"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/httpapi"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/pluginweb"
	"github.com/jishi-dev/jishi/core/storefront"
	"github.com/jishi-dev/jishi/core/web"
)

// New registers the JSON API, the storefront and the consoles on a new
// router and returns the server.
func New(a *app.App) *httpx.Server {
	rt := httpx.NewRouter()
	httpapi.Register(rt, a)
	for _, register := range extra {
		register(rt, a)
	}
	return httpx.NewServer(&httpx.Server{
		Router:   rt,
		Resolver: a.Resolver,
		Auth:     a.Identity,
		Authz:    a.Authz,
		Secure:   a.Config.Secure,
		Metrics:  httpx.NewMetrics(a.Registry),
	})
}

// extra lists the web shells' registrations (storefront, admin-ui).
var extra = []func(*httpx.Router, *app.App){web.Register, storefront.Register, adminui.Register, pluginweb.Register}
