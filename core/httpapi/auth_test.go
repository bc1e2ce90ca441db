package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/server"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// env is one application on one database, driven in-process.
type env struct {
	t   *testing.T
	a   *app.App
	srv http.Handler
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	a, err := app.NewWithDB(context.Background(), app.Config{FastHashing: true, DataDir: t.TempDir()}, d)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, a: a, srv: server.New(a)}
}

// tenant creates a tenant with a random slug and returns it.
func (e *env) tenant() *tenants.Tenant {
	e.t.Helper()
	tn, err := e.a.Provisioner.Create(context.Background(), e.a.DB, tenants.CreateInput{Slug: "au-" + tenants.NewID()[24:], Name: "测试集市"})
	if err != nil {
		e.t.Fatal(err)
	}
	e.a.Resolver.Invalidate()
	return tn
}

// browser is a client with a cookie jar, talking to host localhost.
type browser struct {
	e      *env
	jar    *cookiejar.Jar
	csrf   bool   // send the CSRF header
	bearer string // send this bearer token
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, jar: jar, csrf: true}
}

var base, _ = url.Parse("http://localhost/")

type resp struct {
	status int
	body   map[string]any
	raw    string
}

func (b *browser) do(method, path string, body any) resp {
	b.e.t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	r := httptest.NewRequest(method, "http://localhost"+path, rd)
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	for _, c := range b.jar.Cookies(base) {
		r.AddCookie(c)
		if c.Name == httpx.CSRFCookie && b.csrf {
			r.Header.Set("X-CSRF-Token", c.Value)
		}
	}
	if b.bearer != "" {
		r.Header.Set("Authorization", "Bearer "+b.bearer)
	}
	w := httptest.NewRecorder()
	b.e.srv.ServeHTTP(w, r)
	res := w.Result()
	b.jar.SetCookies(base, res.Cookies())
	out := resp{status: res.StatusCode, raw: w.Body.String()}
	_ = json.Unmarshal(w.Body.Bytes(), &out.body)
	return out
}

// want fails the test unless r has status.
func (r resp) want(t *testing.T, status int, what string) resp {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, status, r.raw)
	}
	return r
}

func (b *browser) session() string {
	for _, c := range b.jar.Cookies(base) {
		if c.Name == identity.SessionCookie {
			return c.Value
		}
	}
	return ""
}

// start fetches a page so the browser holds a CSRF cookie.
func (b *browser) start(slug string) *browser {
	b.do("GET", "/t/"+slug+"/api/v1/tenant", nil).want(b.e.t, 200, "tenant facts")
	return b
}

func fieldErrors(r resp) map[string]any {
	e, _ := r.body["error"].(map[string]any)
	f, _ := e["fields"].(map[string]any)
	return f
}

func countRows(t *testing.T, e *env, tn *tenants.Tenant, model any) int {
	t.Helper()
	ctx := tenants.WithTenant(context.Background(), tn)
	var n int64
	err := e.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		n, err = db.Select(ctx, tx, model).Count(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestAuthRegisterLoginLogout(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		tn := e.tenant()
		p := "/t/" + tn.Slug
		b := e.browser().start(tn.Slug)
		b.do("GET", p+"/api/v1/me", nil).want(t, 401, "me before sign-in")

		r := b.do("POST", p+"/api/v1/auth/register", map[string]string{"email": "Shopper@Example.com", "name": "顾客", "password": "password1"}).
			want(t, 201, "register")
		if u := r.body["user"].(map[string]any); u["email"] != "shopper@example.com" || u["password_hash"] != nil {
			t.Fatalf("register returned %v", u)
		}
		registered := b.session()
		if registered == "" {
			t.Fatal("register set no session cookie")
		}
		b.do("GET", p+"/api/v1/me", nil).want(t, 200, "me after register")

		r = b.do("POST", p+"/api/v1/auth/login", map[string]string{"login": "shopper@example.com", "password": "password1"}).want(t, 200, "login")
		if r.body["user"].(map[string]any)["name"] != "顾客" {
			t.Fatalf("login returned %v", r.body)
		}
		session := b.session()
		if session == registered {
			t.Fatal("login kept the old session id")
		}
		// The session the browser had before signing in is gone.
		old := e.browser().start(tn.Slug)
		old.jar.SetCookies(base, []*http.Cookie{{Name: identity.SessionCookie, Value: registered, Path: "/"}})
		old.do("GET", p+"/api/v1/me", nil).want(t, 401, "rotated-out session")

		r = b.do("GET", p+"/api/v1/me", nil).want(t, 200, "me")
		if r.body["user"].(map[string]any)["email"] != "shopper@example.com" {
			t.Fatalf("me: %v", r.body)
		}
		b.do("POST", p+"/api/v1/auth/logout", nil).want(t, 204, "logout")
		b.do("GET", p+"/api/v1/me", nil).want(t, 401, "me after logout")

		// Replaying the signed-out cookie does not work either.
		replay := e.browser().start(tn.Slug)
		replay.jar.SetCookies(base, []*http.Cookie{{Name: identity.SessionCookie, Value: session, Path: "/"}})
		replay.do("GET", p+"/api/v1/me", nil).want(t, 401, "replayed cookie")
		replay.do("POST", p+"/api/v1/auth/logout", nil).want(t, 401, "logout with a replayed cookie")

		// Wrong password: generic 401, same message as an unknown login.
		w1 := b.do("POST", p+"/api/v1/auth/login", map[string]string{"login": "shopper@example.com", "password": "nope-nope"}).want(t, 401, "wrong password")
		w2 := b.do("POST", p+"/api/v1/auth/login", map[string]string{"login": "ghost@example.com", "password": "nope-nope"}).want(t, 401, "unknown login")
		if w1.raw != w2.raw {
			t.Fatalf("wrong password and unknown login answer differently:\n%s\n%s", w1.raw, w2.raw)
		}
		b.do("POST", p+"/api/v1/auth/login", map[string]any{"login": "x", "password": "y", "admin": true}).want(t, 400, "unknown field")
	})
}

func TestAuthCSRF(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		tn := e.tenant()
		p := "/t/" + tn.Slug
		b := e.browser().start(tn.Slug)
		b.do("POST", p+"/api/v1/auth/register", map[string]string{"phone": "13800138000", "name": "顾客", "password": "password1"}).want(t, 201, "register")

		b.csrf = false
		b.do("POST", p+"/api/v1/auth/login", map[string]string{"login": "13800138000", "password": "password1"}).want(t, 403, "login without CSRF header")
		b.do("POST", p+"/api/v1/auth/logout", nil).want(t, 403, "logout without CSRF header")
		r := httptest.NewRequest("POST", "http://localhost"+p+"/api/v1/auth/logout", nil)
		for _, c := range b.jar.Cookies(base) {
			r.AddCookie(c)
		}
		r.Header.Set("X-CSRF-Token", strings.Repeat("x", 43))
		w := httptest.NewRecorder()
		e.srv.ServeHTTP(w, r)
		if w.Code != 403 {
			t.Fatalf("wrong CSRF token: %d", w.Code)
		}
		b.csrf = true
		b.do("GET", p+"/api/v1/me", nil).want(t, 200, "still signed in")
	})
}

func TestAuthLockout(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		tn := e.tenant()
		p := "/t/" + tn.Slug
		b := e.browser().start(tn.Slug)
		b.do("POST", p+"/api/v1/auth/register", map[string]string{"email": "lock@example.com", "name": "锁", "password": "password1"}).want(t, 201, "register")
		for i := 1; i <= identity.MaxFailedLogins; i++ {
			b.do("POST", p+"/api/v1/auth/login", map[string]string{"login": "lock@example.com", "password": "wrong-password"}).want(t, 401, "wrong password")
		}
		r := b.do("POST", p+"/api/v1/auth/login", map[string]string{"login": "lock@example.com", "password": "password1"}).want(t, 429, "6th attempt")
		if r.body["error"].(map[string]any)["code"] != "too_many_requests" {
			t.Fatalf("body %s", r.raw)
		}
	})
}

func TestAuthSessionOfAnotherTenant(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ta, tb := e.tenant(), e.tenant()
		b := e.browser().start(ta.Slug)
		b.do("POST", "/t/"+ta.Slug+"/api/v1/auth/register", map[string]string{"email": "a@example.com", "name": "甲", "password": "password1"}).want(t, 201, "register at A")
		b.do("GET", "/t/"+ta.Slug+"/api/v1/me", nil).want(t, 200, "me at A")
		b.do("GET", "/t/"+tb.Slug+"/api/v1/me", nil).want(t, 401, "A's session at B")
		b.do("GET", "/api/v1/platform/me", nil).want(t, 401, "A's session on the platform host")
		// A's token at B.
		tok := b.do("POST", "/t/"+ta.Slug+"/api/v1/me/tokens", map[string]string{"name": "脚本"}).want(t, 201, "token").body["token"].(string)
		bot := e.browser()
		bot.bearer = tok
		bot.do("GET", "/t/"+ta.Slug+"/api/v1/me", nil).want(t, 200, "token at A")
		bot.do("GET", "/t/"+tb.Slug+"/api/v1/me", nil).want(t, 401, "token at B")
	})
}

func TestAuthAPITokens(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		tn := e.tenant()
		p := "/t/" + tn.Slug
		owner := e.browser().start(tn.Slug)
		owner.do("POST", p+"/api/v1/auth/register", map[string]string{"email": "owner@example.com", "name": "主", "password": "password1"}).want(t, 201, "register owner")
		other := e.browser().start(tn.Slug)
		other.do("POST", p+"/api/v1/auth/register", map[string]string{"email": "other@example.com", "name": "他", "password": "password1"}).want(t, 201, "register other")

		owner.do("POST", p+"/api/v1/me/tokens", map[string]string{"name": ""}).want(t, 400, "token without a name")
		r := owner.do("POST", p+"/api/v1/me/tokens", map[string]string{"name": "对账"}).want(t, 201, "create token")
		plain := r.body["token"].(string)
		id := r.body["api_token"].(map[string]any)["id"].(string)
		if !strings.HasPrefix(plain, "jst_") || strings.Contains(owner.do("GET", p+"/api/v1/me/tokens", nil).raw, plain) {
			t.Fatal("token plaintext missing, or shown again in the list")
		}

		// The token works as a bearer, without cookies and without CSRF.
		bot := e.browser()
		bot.csrf, bot.bearer = false, plain
		if r := bot.do("GET", p+"/api/v1/me", nil).want(t, 200, "bearer me"); r.body["user"].(map[string]any)["email"] != "owner@example.com" {
			t.Fatalf("bearer me: %s", r.raw)
		}
		bot.do("POST", p+"/api/v1/me/tokens", map[string]string{"name": "二号"}).want(t, 201, "bearer POST without CSRF")
		if n := len(owner.do("GET", p+"/api/v1/me/tokens", nil).body["tokens"].([]any)); n != 2 {
			t.Fatalf("owner has %d tokens, want 2", n)
		}

		other.do("DELETE", p+"/api/v1/me/tokens/"+id, nil).want(t, 404, "revoke another user's token")
		other.do("DELETE", p+"/api/v1/me/tokens/nonsense", nil).want(t, 404, "revoke a bad id")
		bot.do("GET", p+"/api/v1/me", nil).want(t, 200, "token still works")
		owner.do("DELETE", p+"/api/v1/me/tokens/"+id, nil).want(t, 204, "revoke")
		bot.do("GET", p+"/api/v1/me", nil).want(t, 401, "revoked token")
		bot.bearer = "jst_" + strings.Repeat("A", 43)
		bot.do("GET", p+"/api/v1/me", nil).want(t, 401, "unknown token")
		bot.bearer = "garbage"
		bot.do("GET", p+"/api/v1/tenant", nil).want(t, 401, "garbage token, even on a public route")
	})
}

func TestAuthPasswordReset(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		tn := e.tenant()
		p := "/t/" + tn.Slug
		b := e.browser().start(tn.Slug)
		b.do("POST", p+"/api/v1/auth/register", map[string]string{"email": "forgot@example.com", "name": "忘", "password": "old-password"}).want(t, 201, "register")
		session := b.session()

		anon := e.browser().start(tn.Slug)
		known := anon.do("POST", p+"/api/v1/auth/password-reset", map[string]string{"login": "forgot@example.com"}).want(t, 202, "reset request")
		unknown := anon.do("POST", p+"/api/v1/auth/password-reset", map[string]string{"login": "ghost@example.com"}).want(t, 202, "reset for nobody")
		if known.raw != unknown.raw {
			t.Fatal("reset answers reveal whether the account exists")
		}
		ctx := tenants.WithTenant(context.Background(), tn)
		ms, err := e.a.Identity.OutboxMessages(ctx, 10)
		if err != nil || len(ms) != 1 || ms[0].To != "forgot@example.com" {
			t.Fatalf("outbox: %v %v", ms, err)
		}
		var link *url.URL
		for _, f := range strings.Fields(ms[0].Body) {
			if u, err := url.Parse(f); err == nil && u.Query().Get("token") != "" {
				link = u
			}
		}
		if link == nil || link.Host != "localhost" || link.Path != p+"/password-reset/confirm" {
			t.Fatalf("reset link %v in %q", link, ms[0].Body)
		}
		token := link.Query().Get("token")

		anon.do("POST", p+"/api/v1/auth/password-reset/confirm", map[string]string{"token": token, "password": "short"}).want(t, 400, "short password")
		r := anon.do("POST", p+"/api/v1/auth/password-reset/confirm", map[string]string{"token": "bogus", "password": "new-password"}).want(t, 400, "bad token")
		if fieldErrors(r)["token"] == nil {
			t.Fatalf("no field error on token: %s", r.raw)
		}
		anon.do("POST", p+"/api/v1/auth/password-reset/confirm", map[string]string{"token": token, "password": "new-password"}).want(t, 204, "reset")
		anon.do("POST", p+"/api/v1/auth/password-reset/confirm", map[string]string{"token": token, "password": "newer-password"}).want(t, 400, "token reused")

		if b.session() != session {
			t.Fatal("test bug: cookie changed")
		}
		b.do("GET", p+"/api/v1/me", nil).want(t, 401, "session after reset")
		anon.do("POST", p+"/api/v1/auth/login", map[string]string{"login": "forgot@example.com", "password": "old-password"}).want(t, 401, "old password")
		anon.do("POST", p+"/api/v1/auth/login", map[string]string{"login": "forgot@example.com", "password": "new-password"}).want(t, 200, "new password")
	})
}

func TestAuthRegisterValidation(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		tn := e.tenant()
		p := "/t/" + tn.Slug
		b := e.browser().start(tn.Slug)
		cases := []struct {
			name  string
			in    map[string]string
			field string
		}{
			{"malformed phone", map[string]string{"phone": "1380013800", "name": "甲", "password": "password1"}, "phone"},
			{"malformed e-mail", map[string]string{"email": "a@b", "name": "甲", "password": "password1"}, "email"},
			{"neither", map[string]string{"name": "甲", "password": "password1"}, "email"},
			{"over-long name", map[string]string{"email": "a@example.com", "name": strings.Repeat("名", 41), "password": "password1"}, "name"},
			{"html in name", map[string]string{"email": "a@example.com", "name": "<script>alert(1)</script>", "password": "password1"}, "name"},
			{"sql in e-mail", map[string]string{"email": "a@example.com'; DROP TABLE users; --", "name": "甲", "password": "password1"}, "email"},
			{"sql in phone", map[string]string{"phone": "13800138000' OR '1'='1", "name": "甲", "password": "password1"}, "phone"},
			{"short password", map[string]string{"email": "a@example.com", "name": "甲", "password": "1234567"}, "password"},
		}
		for _, c := range cases {
			for _, lang := range []string{"zh-CN", "en"} {
				r := b.do("POST", p+"/api/v1/auth/register?lang="+lang, c.in).want(t, 400, c.name)
				msg, _ := fieldErrors(r)[c.field].(string)
				if msg == "" || strings.Contains(msg, "field.") || strings.Contains(msg, "identity.") {
					t.Errorf("%s (%s): field error on %s is %q: %s", c.name, lang, c.field, msg, r.raw)
				}
			}
		}
		if n := countRows(t, e, tn, (*identity.User)(nil)); n != 0 {
			t.Fatalf("%d users written by rejected registrations", n)
		}
		if n := countRows(t, e, tn, (*identity.Session)(nil)); n != 0 {
			t.Fatalf("%d sessions written by rejected registrations", n)
		}
		// A name with SQL metacharacters but no markup is just a name,
		// stored as typed.
		odd := "O'Brien; DROP TABLE users; --"
		r := b.do("POST", p+"/api/v1/auth/register", map[string]string{"email": "ob@example.com", "name": odd, "password": "password1"}).want(t, 201, "odd name")
		if r.body["user"].(map[string]any)["name"] != odd {
			t.Fatalf("name stored as %v", r.body["user"])
		}
		// Taken e-mail: a field error, not a 500.
		r = e.browser().start(tn.Slug).do("POST", p+"/api/v1/auth/register", map[string]string{"email": "OB@example.com", "name": "乙", "password": "password1"}).want(t, 400, "taken e-mail")
		if fieldErrors(r)["email"] == nil {
			t.Fatalf("no field error on email: %s", r.raw)
		}
		if n := countRows(t, e, tn, (*identity.User)(nil)); n != 1 {
			t.Fatalf("%d users, want 1", n)
		}
	})
}

func TestAuthPlatform(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		email := "ops-" + tenants.NewID()[24:] + "@example.com"
		if err := e.a.Identity.CreatePlatformAdmin(context.Background(), email, "运营", "password1"); err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		b.do("GET", "/api/v1/platform/me", nil).want(t, 401, "platform me before sign-in")
		b.do("POST", "/api/v1/platform/auth/login", map[string]string{"email": email, "password": "wrong-password"}).want(t, 401, "wrong password")
		r := b.do("POST", "/api/v1/platform/auth/login", map[string]string{"email": email, "password": "password1"}).want(t, 200, "platform login")
		if r.body["user"].(map[string]any)["email"] != email {
			t.Fatalf("login: %s", r.raw)
		}
		b.do("GET", "/api/v1/platform/me", nil).want(t, 200, "platform me")
		tn := e.tenant()
		b.do("GET", "/t/"+tn.Slug+"/api/v1/me", nil).want(t, 401, "platform session at a tenant")
		b.do("POST", "/api/v1/platform/auth/logout", nil).want(t, 204, "platform logout")
		b.do("GET", "/api/v1/platform/me", nil).want(t, 401, "platform me after logout")
	})
}

// TestAuthRegistrationAndResetAreThrottled: one client address may
// register MaxActsPerIP accounts and request as many reset links per
// window at one marketplace; then 429, while another marketplace is
// unaffected.
func TestAuthRegistrationAndResetAreThrottled(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		tn, other := e.tenant(), e.tenant()
		b := e.browser().start(tn.Slug)
		p := "/t/" + tn.Slug
		for i := range identity.MaxActsPerIP {
			b.do("POST", p+"/api/v1/auth/register", map[string]string{"email": fmt.Sprintf("u%d@example.com", i), "name": "顾客", "password": "password1"}).want(t, 201, "register")
		}
		r := b.do("POST", p+"/api/v1/auth/register", map[string]string{"email": "one-more@example.com", "name": "顾客", "password": "password1"}).want(t, 429, "register once too often")
		if countRows(t, e, tn, (*identity.User)(nil)) != identity.MaxActsPerIP {
			t.Errorf("the refused registration wrote an account: %s", r.raw)
		}
		for range identity.MaxActsPerIP {
			b.do("POST", p+"/api/v1/auth/password-reset", map[string]string{"login": "u1@example.com"}).want(t, 202, "reset request")
		}
		b.do("POST", p+"/api/v1/auth/password-reset", map[string]string{"login": "u1@example.com"}).want(t, 429, "reset once too often")
		o := e.browser().start(other.Slug)
		o.do("POST", "/t/"+other.Slug+"/api/v1/auth/register", map[string]string{"email": "u1@example.com", "name": "顾客", "password": "password1"}).want(t, 201, "register at another marketplace")
	})
}
