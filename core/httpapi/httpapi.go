// Package httpapi is Jishi's JSON API under /api/v1 (and /t/{tenant}/api/v1
// in development): one file per bounded context, every route declaring
// its permission. docs/openapi.yaml documents every route; a test keeps the
// two in step.
package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Register mounts the JSON API and the health endpoints on rt.
func Register(rt *httpx.Router, a *app.App) {
	rt.Handle(httpx.Route{Area: httpx.AreaAny, Method: "GET", Path: "/healthz", Public: true, Handler: func(w http.ResponseWriter, r *http.Request) {
		httpx.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}})
	rt.Handle(httpx.Route{Area: httpx.AreaAny, Method: "GET", Path: "/readyz", Public: true, Handler: func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := a.DB.PingContext(ctx); err != nil {
			httpx.Error(w, r, &core.Error{Code: core.Unavailable, Message: "error.unavailable", Err: err})
			return
		}
		httpx.JSON(w, http.StatusOK, map[string]string{"status": "ready", "database": string(a.DB.Engine)})
	}})
	metrics := promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{})
	rt.Handle(httpx.Route{Area: httpx.AreaAny, Method: "GET", Path: "/metrics", Public: true, Handler: metrics.ServeHTTP})
	registerTenants(rt, a)
	for _, f := range registrations {
		f(rt, a)
	}
}

// registrations are the other bounded contexts' route files; each adds
// itself in an init function, so files can be added without editing this
// one.
var registrations []func(*httpx.Router, *app.App)
