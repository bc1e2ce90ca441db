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
// becomes "{path}".
func openAPIPath(p string) string { return wildcard.ReplaceAllString(p, "{$1}") }

// machineRoute reports whether rt is part of the machine interface that
// docs/openapi.yaml describes: the JSON API under /api/ and the
// operational endpoints. HTML pages and static files are not; the
// permission test above covers them.
func machineRoute(rt httpx.Route) bool {
	switch rt.Path {
	case "/healthz", "/readyz", "/metrics":
		return true
	}
	return strings.HasPrefix(rt.Path, "/api/")
}

// TestOpenAPICoversEveryRoute fails when a registered JSON route is missing from
// docs/openapi.yaml, or when the document names a route that does not
// exist. Run with JISHI_PRINT_MISSING=1 to print YAML stubs for the
// missing operations.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(filepath.Join("..", "..", "docs", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("docs/openapi.yaml is not valid OpenAPI: %v", err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	registered := map[string]bool{}
	var missing []string
	for _, rt := range routes(t) {
		if !machineRoute(rt) {
			continue
		}
		key := rt.Method + " " + openAPIPath(rt.Path)
		registered[key] = true
		if !documented[key] {
			missing = append(missing, key)
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
