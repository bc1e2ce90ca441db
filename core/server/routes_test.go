package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/server"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func routes(t *testing.T) []httpx.Route {
	t.Helper()
	d := dbtest.SQLite(t)
	a, err := app.NewWithDB(context.Background(), app.Config{FastHashing: true, DataDir: t.TempDir()}, d)
	if err != nil {
		t.Fatal(err)
	}
	rs := server.New(a).Router.Routes()
	if len(rs) < 20 {
		t.Fatalf("only %d routes registered", len(rs))
	}
	return rs
}

// publicAllowlist is every route that may answer without a principal. A
// new public route must be added here on purpose.
var publicAllowlist = []string{
	// health, metrics and static assets on every host
	"any GET /healthz", "any GET /readyz", "any GET /metrics", "any GET /static/",
	// platform landing and sign-in
	"platform GET /", "platform GET /admin/login", "platform POST /admin/login",
	"platform POST /api/v1/platform/auth/login",
	// tenant: sign-in, registration, password reset
	"tenant GET /login", "tenant POST /login", "tenant GET /register", "tenant POST /register",
	"tenant GET /password-reset", "tenant POST /password-reset", "tenant GET /password-reset/confirm", "tenant POST /password-reset/confirm",
	"tenant POST /api/v1/auth/register", "tenant POST /api/v1/auth/login",
	"tenant POST /api/v1/auth/password-reset", "tenant POST /api/v1/auth/password-reset/confirm",
	// tenant: the storefront (read only) and its public JSON
	"tenant GET /", "tenant GET /s/", "tenant GET /uploads/",
	"tenant GET /api/v1/tenant", "tenant GET /api/v1/regions", "tenant GET /api/v1/categories", "tenant GET /api/v1/shops",
	// tenant: active products of shops whose storefront shows, and search
	"tenant GET /api/v1/products/{id}", "tenant GET /api/v1/shops/{slug}/products", "tenant GET /api/v1/search",
	// tenant: delivery options of a shop for a region, and pickup points
	"tenant GET /api/v1/shops/{slug}/delivery-options", "tenant GET /api/v1/pickup-points",
	// tenant: the shopper's cart (anonymous visitors' too; changes need the CSRF token)
	"tenant GET /api/v1/cart", "tenant DELETE /api/v1/cart", "tenant POST /api/v1/cart/lines",
	"tenant PATCH /api/v1/cart/lines/{id}", "tenant DELETE /api/v1/cart/lines/{id}", "tenant PUT /api/v1/cart/region",
	// tenant: order lookup by number and the phone's last four digits (throttled)
	"tenant POST /api/v1/orders/lookup", "tenant GET /orders/lookup", "tenant POST /orders/lookup",
	// tenant: storefront browsing and search pages, a shop's running promotions
	"tenant GET /c/{id}", "tenant GET /search", "tenant GET /api/v1/shops/{slug}/promotions",
	// tenant: the cart pages (anonymous visitors' too; changes need the CSRF token)
	"tenant GET /cart", "tenant POST /cart/lines", "tenant POST /cart/lines/{id}", "tenant POST /cart/lines/{id}/remove",
	"tenant POST /cart/empty", "tenant POST /cart/region",
	// tenant: Stripe's webhook, verified by its signature over the body
	"tenant POST /webhooks/stripe",
	// tenant: plugins' storefront routes; the host checks each route's own
	// permission (core/pluginweb) and unsafe methods need the CSRF token
	"tenant GET /p/{plugin}/{rest...}", "tenant POST /p/{plugin}/{rest...}", "tenant PUT /p/{plugin}/{rest...}",
	"tenant PATCH /p/{plugin}/{rest...}", "tenant DELETE /p/{plugin}/{rest...}",
}

func allowed(rt httpx.Route) bool {
	key := fmt.Sprintf("%s %s %s", rt.Area, rt.Method, rt.Path)
	for _, a := range publicAllowlist {
		if key == a {
			return true
		}
		// An entry ending in "/" (other than the root) covers its subtree
		// for the same method, reads only.
		if strings.HasSuffix(a, "/") && !strings.HasSuffix(a, " /") && strings.HasPrefix(key, a) && rt.Method == "GET" {
			return true
		}
		// "GET /api/v1/x" covers "GET /api/v1/x/{id}".
		if rt.Method == "GET" && strings.HasPrefix(key, a+"/{") && strings.Count(key[len(a):], "/") == 1 {
			return true
		}
	}
	return false
}

// TestEveryRouteDeclaresAPermission walks every registered route: each
// must name a permission the role templates know, or be public and on the
// allowlist above.
func TestEveryRouteDeclaresAPermission(t *testing.T) {
	for _, rt := range routes(t) {
		name := fmt.Sprintf("%s %s", rt.Area, rt.Pattern())
		switch {
		case rt.Public && rt.Perm != "":
			t.Errorf("%s: public and a permission (%s) at once", name, rt.Perm)
		case rt.Public:
			if !allowed(rt) {
				t.Errorf("%s: public but not on the public allowlist", name)
			}
		case rt.Perm == "":
			t.Errorf("%s: declares no permission", name)
		case rt.Perm == httpx.PermSignedIn:
		case !authz.Known(rt.Perm):
			t.Errorf("%s: permission %q is granted by no role template", name, rt.Perm)
		}
	}
}

// TestAllowlistIsUsed keeps the allowlist short: every entry must match a
// registered public route.
func TestAllowlistIsUsed(t *testing.T) {
	rs := routes(t)
	for _, a := range publicAllowlist {
		found := false
		for _, rt := range rs {
			if rt.Public && strings.HasPrefix(fmt.Sprintf("%s %s %s", rt.Area, rt.Method, rt.Path), a) {
				found = true
			}
		}
		if !found {
			t.Errorf("allowlist entry %q matches no public route; remove it", a)
		}
	}
}

var wildcard = regexp.MustCompile(`\{([A-Za-z0-9_]+)(\.\.\.)?\}`)

// openAPIPath turns a ServeMux path into its OpenAPI form: "{path...}"
// becomes "{path}", a trailing "{$}" (exactly this path) is dropped
// ("/s/{shop}/{$}" is "/s/{shop}/"), and a subtree other than the root
// ("/static/") gets a final "{path}" parameter ("/static/{path}").
func openAPIPath(p string) string {
	if exact, ok := strings.CutSuffix(p, "{$}"); ok {
		p = exact
	} else if p != "/" && strings.HasSuffix(p, "/") {
		p += "{path}"
	}
	return wildcard.ReplaceAllString(p, "{$1}")
}

// TestOpenAPIPath pins the mapping from ServeMux patterns to OpenAPI
// paths that TestOpenAPICoversEveryRoute relies on.
func TestOpenAPIPath(t *testing.T) {
	for in, want := range map[string]string{
		"/":                    "/",
		"/static/":             "/static/{path}",
		"/uploads/{path...}":   "/uploads/{path}",
		"/s/{shop}":            "/s/{shop}",
		"/s/{shop}/{$}":        "/s/{shop}/",
		"/api/v1/shops/{slug}": "/api/v1/shops/{slug}",
	} {
		if got := openAPIPath(in); got != want {
			t.Errorf("openAPIPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestOpenAPICoversEveryRoute fails when a registered route (the JSON
// API, the operational endpoints, the server-rendered pages and form
// posts, static assets and uploads) is missing from docs/openapi.yaml, or
// when the document names a route that does not exist. A method and path
// registered in two areas (platform and tenant hosts) is one operation.
// It also checks that each operation's security matches the route: public
// routes require nothing, the others a credential. Run with
// JISHI_PRINT_MISSING=1 to print YAML stubs for the missing operations.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(filepath.Join("..", "..", "docs", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("docs/openapi.yaml is not valid OpenAPI: %v", err)
	}
	documented := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			documented[method+" "+path] = op
		}
	}
	registered := map[string]bool{}
	var missing []string
	for _, rt := range routes(t) {
		// The same method and path in another area (platform and tenant
		// hosts) is the same key: one operation documents both.
		key := rt.Method + " " + openAPIPath(rt.Path)
		first := !registered[key]
		registered[key] = true
		op := documented[key]
		if op == nil {
			if first {
				missing = append(missing, key)
			}
			continue
		}
		if open := publicOp(doc, op); open != rt.Public {
			t.Errorf("docs/openapi.yaml: %s %s: public route %v, but the operation's security says public %v",
				rt.Area, rt.Pattern(), rt.Public, open)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("route %s is not in docs/openapi.yaml", m)
	}
	if len(missing) > 0 && os.Getenv("JISHI_PRINT_MISSING") != "" {
		for _, m := range missing {
			method, path, _ := strings.Cut(m, " ")
			fmt.Printf("  %s:\n    %s:\n      summary: TODO\n      responses:\n        \"200\":\n          description: OK\n", path, strings.ToLower(method))
		}
	}
	var stale []string
	for k := range documented {
		if !registered[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(stale)
	for _, s := range stale {
		t.Errorf("docs/openapi.yaml documents %s, which is not a registered route", s)
	}
}

// publicOp reports whether op may be called without credentials: its
// security (or the document's) is absent, empty, or lists an empty
// requirement.
func publicOp(doc *openapi3.T, op *openapi3.Operation) bool {
	sec := doc.Security
	if op.Security != nil {
		sec = *op.Security
	}
	if len(sec) == 0 {
		return true
	}
	for _, req := range sec {
		if len(req) == 0 {
			return true
		}
	}
	return false
}
