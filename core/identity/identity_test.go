package identity_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// newService returns a service on d with fast hashing and the outbox
// mailer.
func newService(tb testing.TB, d *db.DB) *identity.Service {
	tb.Helper()
	return identity.New(identity.Config{DB: d, FastHashing: true})
}

// newTenant provisions a tenant with a random slug and returns a context
// carrying it.
func newTenant(tb testing.TB, d *db.DB, steps ...tenants.Step) (context.Context, *tenants.Tenant) {
	tb.Helper()
	p := &tenants.Provisioner{BaseDomain: "localhost"}
	for i, s := range steps {
		p.AddStep("step"+string(rune('a'+i)), s)
	}
	t, err := p.Create(context.Background(), d, tenants.CreateInput{Slug: "id-" + tenants.NewID()[24:], Name: "测试集市"})
	if err != nil {
		tb.Fatal(err)
	}
	return tenants.WithTenant(context.Background(), t), t
}

func mustRegister(tb testing.TB, s *identity.Service, ctx context.Context, in identity.UserInput) *identity.User {
	tb.Helper()
	u, err := s.Register(ctx, in)
	if err != nil {
		tb.Fatalf("register %+v: %v", in, err)
	}
	return u
}

func wantCode(tb testing.TB, err error, code core.Code) {
	tb.Helper()
	if got := core.ErrorCode(err); got != code {
		tb.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func countUsers(tb testing.TB, d *db.DB, ctx context.Context) int {
	tb.Helper()
	var n int64
	err := d.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		n, err = db.Select(ctx, tx, (*identity.User)(nil)).Count(ctx)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return int(n)
}

// authenticate runs Authenticate for a request carrying cookie token
// (or, with bearer set, an Authorization header).
func authenticate(s *identity.Service, ctx context.Context, token string, bearer bool) (*identity.Principal, error) {
	r := httptest.NewRequest("GET", "/api/v1/me", nil)
	if bearer {
		r.Header.Set("Authorization", "Bearer "+token)
	} else {
		r.AddCookie(&http.Cookie{Name: identity.SessionCookie, Value: token})
	}
	return s.Authenticate(ctx, r)
}

func TestRegisterLoginLogout(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		s := newService(t, d)
		ctx, tn := newTenant(t, d)
		u := mustRegister(t, s, ctx, identity.UserInput{Email: " Li.Na@Example.COM ", Phone: "+86 138-0013-8000", Name: "李娜", Password: "correct horse"})
		if *u.Email != "li.na@example.com" || *u.Phone != "13800138000" {
			t.Fatalf("not normalised: %q %q", *u.Email, *u.Phone)
		}
		for _, login := range []string{"LI.NA@example.com", "138 0013 8000"} {
			token, got, err := s.Login(ctx, login, "correct horse")
			if err != nil {
				t.Fatalf("login %q: %v", login, err)
			}
			if got.ID != u.ID || got.LastLoginAt == nil {
				t.Fatalf("login returned %+v", got)
			}
			p, err := authenticate(s, ctx, token, false)
			if err != nil || p == nil {
				t.Fatalf("authenticate: %v %v", p, err)
			}
			want := identity.Principal{Kind: identity.KindTenant, UserID: u.ID, TenantID: tn.ID, Name: "李娜",
				Email: "li.na@example.com", Phone: "13800138000", SessionID: p.SessionID}
			if *p != want || p.SessionID == "" || strings.Contains(p.SessionID, token) {
				t.Fatalf("principal %+v, want %+v", *p, want)
			}
			if err := s.Logout(ctx, p); err != nil {
				t.Fatal(err)
			}
			if p, err := authenticate(s, ctx, token, false); err != nil || p != nil {
				t.Fatalf("after logout: %v %v", p, err)
			}
		}
		// Junk and unknown cookies are anonymous, not errors.
		for _, c := range []string{"junk", strings.Repeat("A", 43), "' OR '1'='1"} {
			if p, err := authenticate(s, ctx, c, false); err != nil || p != nil {
				t.Fatalf("cookie %q: %v %v", c, p, err)
			}
		}
		var got *identity.User
		err := d.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
			got, err = s.UserByID(ctx, tx, u.ID)
			return err
		})
		if err != nil || got.Name != "李娜" || got.PasswordHash == "" || strings.Contains(got.PasswordHash, "correct") {
			t.Fatalf("UserByID: %+v %v", got, err)
		}
	})
}

func TestLoginRotatesSession(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		s := newService(t, d)
		ctx, _ := newTenant(t, d)
		mustRegister(t, s, ctx, identity.UserInput{Phone: "13900139000", Name: "王", Password: "password1"})
		old, _, err := s.Login(ctx, "13900139000", "password1")
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := authenticate(s, ctx, old, false); p == nil {
			t.Fatal("first session does not work")
		}
		fresh, _, err := s.LoginRotate(ctx, old, "13900139000", "password1")
		if err != nil {
			t.Fatal(err)
		}
		if fresh == old {
			t.Fatal("same token twice")
		}
		if p, _ := authenticate(s, ctx, old, false); p != nil {
			t.Fatal("rotated-out session still works")
		}
		if p, _ := authenticate(s, ctx, fresh, false); p == nil {
			t.Fatal("new session does not work")
		}
	})
}

func TestRegisterRejectsBadInput(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		s := newService(t, d)
		ctx, _ := newTenant(t, d)
		mustRegister(t, s, ctx, identity.UserInput{Email: "taken@example.com", Phone: "13700137000", Name: "甲", Password: "password1"})
		cases := []struct {
			name  string
			in    identity.UserInput
			field string
		}{
			{"no login", identity.UserInput{Name: "乙", Password: "password1"}, "email"},
			{"bad phone", identity.UserInput{Phone: "12345", Name: "乙", Password: "password1"}, "phone"},
			{"bad email", identity.UserInput{Email: "not-an-address", Name: "乙", Password: "password1"}, "email"},
			{"sql in email", identity.UserInput{Email: "x@example.com' OR '1'='1", Name: "乙", Password: "password1"}, "email"},
			{"sql in phone", identity.UserInput{Phone: "138'; DROP TABLE users; --", Name: "乙", Password: "password1"}, "phone"},
			{"long name", identity.UserInput{Email: "a@example.com", Name: strings.Repeat("长", identity.NameMax+1), Password: "password1"}, "name"},
			{"html name", identity.UserInput{Email: "a@example.com", Name: "<script>alert(1)</script>", Password: "password1"}, "name"},
			{"no name", identity.UserInput{Email: "a@example.com", Name: "  ", Password: "password1"}, "name"},
			{"short password", identity.UserInput{Email: "a@example.com", Name: "乙", Password: "short"}, "password"},
			{"long password", identity.UserInput{Email: "a@example.com", Name: "乙", Password: strings.Repeat("p", identity.PasswordMax+1)}, "password"},
			{"taken email", identity.UserInput{Email: "TAKEN@example.com", Name: "乙", Password: "password1"}, "email"},
			{"taken phone", identity.UserInput{Phone: "+8613700137000", Name: "乙", Password: "password1"}, "phone"},
		}
		for _, c := range cases {
			_, err := s.Register(ctx, c.in)
			var e *core.Error
			if !errors.As(err, &e) || e.Code != core.Invalid || e.Fields[c.field] == "" {
				t.Errorf("%s: got %v, want a field error on %s", c.name, err, c.field)
			}
		}
		if n := countUsers(t, d, ctx); n != 1 {
			t.Fatalf("%d users after rejected registrations, want 1", n)
		}
	})
}

func TestLockoutAfterFailedLogins(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		s := newService(t, d)
		ctx, _ := newTenant(t, d)
		mustRegister(t, s, ctx, identity.UserInput{Email: "lock@example.com", Name: "锁", Password: "password1"})
		for i := 1; i <= identity.MaxFailedLogins; i++ {
			_, _, err := s.Login(ctx, "lock@example.com", "wrong-password")
			wantCode(t, err, core.Unauthenticated)
		}
		_, _, err := s.Login(ctx, "lock@example.com", "password1")
		wantCode(t, err, core.TooManyRequests)

		// Unknown logins behave the same, so the lock reveals nothing.
		for i := 1; i <= identity.MaxFailedLogins; i++ {
			_, _, err := s.Login(ctx, "nobody@example.com", "wrong-password")
			wantCode(t, err, core.Unauthenticated)
		}
		_, _, err = s.Login(ctx, "nobody@example.com", "password1")
		wantCode(t, err, core.TooManyRequests)

		// Another account of the tenant is unaffected, and one success
		// clears the count.
		mustRegister(t, s, ctx, identity.UserInput{Email: "ok@example.com", Name: "好", Password: "password1"})
		for i := 1; i < identity.MaxFailedLogins; i++ {
			_, _, err := s.Login(ctx, "ok@example.com", "wrong-password")
			wantCode(t, err, core.Unauthenticated)
		}
		if _, _, err := s.Login(ctx, "ok@example.com", "password1"); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < identity.MaxFailedLogins; i++ {
			_, _, err := s.Login(ctx, "ok@example.com", "wrong-password")
			wantCode(t, err, core.Unauthenticated)
		}
		if _, _, err := s.Login(ctx, "ok@example.com", "password1"); err != nil {
			t.Fatalf("count not cleared by a success: %v", err)
		}
	})
}

func TestIPLimiter(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		s := newService(t, d)
		ctx, _ := newTenant(t, d)
		mustRegister(t, s, ctx, identity.UserInput{Email: "ip@example.com", Name: "丙", Password: "password1"})
		bad := identity.WithClient(ctx, "203.0.113.9", "test")
		var locked bool
		for i := 0; i < 50 && !locked; i++ {
			_, _, err := s.Login(bad, "someone"+string(rune('a'+i%26))+string(rune('a'+i/26))+"@example.com", "password1")
			locked = core.ErrorCode(err) == core.TooManyRequests
		}
		if !locked {
			t.Fatal("many unknown logins from one address were never throttled")
		}
		_, _, err := s.Login(bad, "ip@example.com", "password1")
		wantCode(t, err, core.TooManyRequests)
		// Another address, and the same address at another tenant, are not.
		if _, _, err := s.Login(identity.WithClient(ctx, "198.51.100.7", "test"), "ip@example.com", "password1"); err != nil {
			t.Fatal(err)
		}
		ctx2, _ := newTenant(t, d)
		mustRegister(t, s, ctx2, identity.UserInput{Email: "ip@example.com", Name: "丙", Password: "password1"})
		if _, _, err := s.Login(identity.WithClient(ctx2, "203.0.113.9", "test"), "ip@example.com", "password1"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSessionsStayInTheirTenant(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		s := newService(t, d)
		ctxA, _ := newTenant(t, d)
		ctxB, _ := newTenant(t, d)
		in := identity.UserInput{Email: "same@example.com", Name: "同名", Password: "password1"}
		mustRegister(t, s, ctxA, in)
		mustRegister(t, s, ctxB, in)
		token, _, err := s.Login(ctxA, in.Email, in.Password)
		if err != nil {
			t.Fatal(err)
		}
		if p, err := authenticate(s, ctxB, token, false); err != nil || p != nil {
			t.Fatalf("tenant A's session at tenant B: %v %v", p, err)
		}
		if p, err := authenticate(s, context.Background(), token, false); err != nil || p != nil {
			t.Fatalf("tenant session on the platform host: %v %v", p, err)
		}
		plain, _, err := s.CreateToken(ctxA, mustAuth(t, s, ctxA, token), "脚本")
		if err != nil {
			t.Fatal(err)
		}
		_, err = authenticate(s, ctxB, plain, true)
		wantCode(t, err, core.Unauthenticated)
	})
}

func mustAuth(tb testing.TB, s *identity.Service, ctx context.Context, token string) *identity.Principal {
	tb.Helper()
	p, err := authenticate(s, ctx, token, false)
	if err != nil || p == nil {
		tb.Fatalf("authenticate: %v %v", p, err)
	}
	return p
}

func TestAPITokens(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		s := newService(t, d)
		ctx, tn := newTenant(t, d)
		mustRegister(t, s, ctx, identity.UserInput{Email: "owner@example.com", Name: "主", Password: "password1"})
		mustRegister(t, s, ctx, identity.UserInput{Email: "other@example.com", Name: "他", Password: "password1"})
		tok1, _, _ := s.Login(ctx, "owner@example.com", "password1")
		tok2, _, _ := s.Login(ctx, "other@example.com", "password1")
		owner, other := mustAuth(t, s, ctx, tok1), mustAuth(t, s, ctx, tok2)

		_, _, err := s.CreateToken(ctx, owner, "<b>")
		wantCode(t, err, core.Invalid)
		plain, tok, err := s.CreateToken(ctx, owner, "对账脚本")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(plain, identity.TokenPrefix) || !strings.HasPrefix(plain, tok.Hint) || tok.TokenHash == plain {
			t.Fatalf("token %q, record %+v", plain, tok)
		}
		p, err := authenticate(s, ctx, plain, true)
		if err != nil || p.UserID != owner.UserID || p.TokenID != tok.ID || p.SessionID != "" || p.TenantID != tn.ID {
			t.Fatalf("bearer: %+v %v", p, err)
		}
		ts, err := s.ListTokens(ctx, owner)
		if err != nil || len(ts) != 1 || ts[0].ID != tok.ID {
			t.Fatalf("list: %v %v", ts, err)
		}
		if ts, _ := s.ListTokens(ctx, other); len(ts) != 0 {
			t.Fatalf("other user sees %d tokens", len(ts))
		}
		wantCode(t, s.RevokeToken(ctx, other, tok.ID), core.NotFound)
		wantCode(t, s.RevokeToken(ctx, owner, "not-a-uuid"), core.NotFound)
		wantCode(t, s.RevokeToken(ctx, owner, tenants.NewID()), core.NotFound)
		ctxB, _ := newTenant(t, d)
		wantCode(t, s.RevokeToken(ctxB, owner, tok.ID), core.Unauthenticated)

		if err := s.RevokeToken(ctx, owner, tok.ID); err != nil {
			t.Fatal(err)
		}
		_, err = authenticate(s, ctx, plain, true)
		wantCode(t, err, core.Unauthenticated)
		if err := s.RevokeToken(ctx, owner, tok.ID); err != nil {
			t.Fatalf("revoking twice: %v", err)
		}
		for _, junk := range []string{"", "jst_", "jst_short", "Basic abc", plain + "x", "jst_" + strings.Repeat("A", 43)} {
			_, err := authenticate(s, ctx, junk, true)
			wantCode(t, err, core.Unauthenticated)
		}
	})
}

func TestPasswordReset(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		s := newService(t, d)
		ctx, _ := newTenant(t, d)
		mustRegister(t, s, ctx, identity.UserInput{Email: "reset@example.com", Name: "忘", Password: "old-password"})
		mustRegister(t, s, ctx, identity.UserInput{Phone: "13600136000", Name: "无邮箱", Password: "old-password"})
		session, _, err := s.Login(ctx, "reset@example.com", "old-password")
		if err != nil {
			t.Fatal(err)
		}
		// Unknown logins and accounts without e-mail succeed outwardly and
		// send nothing.
		for _, login := range []string{"nobody@example.com", "13600136000", "junk"} {
			if err := s.RequestPasswordReset(ctx, login, "http://localhost/t/x/password-reset/confirm"); err != nil {
				t.Fatalf("reset %q: %v", login, err)
			}
		}
		if ms, _ := s.OutboxMessages(ctx, 10); len(ms) != 0 {
			t.Fatalf("%d mails for unknown accounts", len(ms))
		}
		wantCode(t, s.RequestPasswordReset(ctx, " ", "http://x"), core.Invalid)

		if err := s.RequestPasswordReset(ctx, "RESET@example.com", "http://localhost/t/x/password-reset/confirm"); err != nil {
			t.Fatal(err)
		}
		token := resetToken(t, s, ctx, "reset@example.com")

		wantCode(t, s.ResetPassword(ctx, token, "short"), core.Invalid)
		wantCode(t, s.ResetPassword(ctx, "bogus", "new-password"), core.Invalid)
		if _, _, err := s.Login(ctx, "reset@example.com", "new-password"); core.ErrorCode(err) != core.Unauthenticated {
			t.Fatalf("a rejected reset changed the password: %v", err)
		}
		if err := s.ResetPassword(ctx, token, "new-password"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.ResetPassword(ctx, token, "newer-password"), core.Invalid)
		if p, _ := authenticate(s, ctx, session, false); p != nil {
			t.Fatal("session survived the reset")
		}
		_, _, err = s.Login(ctx, "reset@example.com", "old-password")
		wantCode(t, err, core.Unauthenticated)
		if _, _, err := s.Login(ctx, "reset@example.com", "new-password"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestResetClearsLock(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		s := newService(t, d)
		ctx, _ := newTenant(t, d)
		mustRegister(t, s, ctx, identity.UserInput{Email: "locked@example.com", Name: "锁", Password: "old-password"})
		for i := 0; i < identity.MaxFailedLogins; i++ {
			s.Login(ctx, "locked@example.com", "wrong-password")
		}
		_, _, err := s.Login(ctx, "locked@example.com", "old-password")
		wantCode(t, err, core.TooManyRequests)
		if err := s.RequestPasswordReset(ctx, "locked@example.com", "https://shop.example/reset?x=1"); err != nil {
			t.Fatal(err)
		}
		token := resetToken(t, s, ctx, "locked@example.com")
		if err := s.ResetPassword(ctx, token, "new-password"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Login(ctx, "locked@example.com", "new-password"); err != nil {
			t.Fatalf("still locked after reset: %v", err)
		}
	})
}

// resetToken reads the reset link mailed to to from the outbox.
func resetToken(tb testing.TB, s *identity.Service, ctx context.Context, to string) string {
	tb.Helper()
	ms, err := s.OutboxMessages(ctx, 10)
	if err != nil {
		tb.Fatal(err)
	}
	for _, m := range ms {
		if m.To != to {
			continue
		}
		for _, f := range strings.Fields(m.Body) {
			if u, err := url.Parse(f); err == nil && u.Query().Get("token") != "" {
				return u.Query().Get("token")
			}
		}
	}
	tb.Fatalf("no reset link for %s in %d outbox messages", to, len(ms))
	return ""
}

func TestPlatformAccounts(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		s := newService(t, d)
		ctx := context.Background()
		email := "ops-" + tenants.NewID()[24:] + "@example.com"
		wantCode(t, s.CreatePlatformAdmin(ctx, "not an address", "运营", "password1"), core.Invalid)
		wantCode(t, s.CreatePlatformAdmin(ctx, email, "运营", "short"), core.Invalid)
		if err := s.CreatePlatformAdmin(ctx, email, "运营", "password1"); err != nil {
			t.Fatal(err)
		}
		token, err := s.PlatformLogin(ctx, strings.ToUpper(email), "password1")
		if err != nil {
			t.Fatal(err)
		}
		p, err := authenticate(s, ctx, token, false)
		if err != nil || p == nil || p.Kind != identity.KindPlatform || p.TenantID != "" || p.Email != email || p.Name != "运营" {
			t.Fatalf("platform principal %+v %v", p, err)
		}
		// Not a tenant session.
		tctx, _ := newTenant(t, d)
		if p, _ := authenticate(s, tctx, token, false); p != nil {
			t.Fatal("platform session accepted at a tenant")
		}
		// create-admin again resets the password and ends sessions.
		if err := s.CreatePlatformAdmin(ctx, email, "运营二", "password2"); err != nil {
			t.Fatal(err)
		}
		if p, _ := authenticate(s, ctx, token, false); p != nil {
			t.Fatal("platform session survived the password reset")
		}
		_, err = s.PlatformLogin(ctx, email, "password1")
		wantCode(t, err, core.Unauthenticated)
		token, err = s.PlatformLogin(ctx, email, "password2")
		if err != nil {
			t.Fatal(err)
		}
		p = mustAuth(t, s, ctx, token)
		if err := s.Logout(ctx, p); err != nil {
			t.Fatal(err)
		}
		if p, _ := authenticate(s, ctx, token, false); p != nil {
			t.Fatal("platform session survived logout")
		}
		// Same throttling.
		for i := 0; i < identity.MaxFailedLogins; i++ {
			_, err := s.PlatformLogin(ctx, email, "wrong-password")
			wantCode(t, err, core.Unauthenticated)
		}
		_, err = s.PlatformLogin(ctx, email, "password2")
		wantCode(t, err, core.TooManyRequests)
	})
}

func TestProvisionAdmin(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		s := newService(t, d)
		var made *identity.User
		step := func(ctx context.Context, tx bun.IDB, t *tenants.Tenant, in tenants.CreateInput) (err error) {
			made, err = s.ProvisionAdmin(ctx, tx, t, in)
			return err
		}
		p := &tenants.Provisioner{BaseDomain: "localhost"}
		p.AddStep("admin", step)
		tn, err := p.Create(context.Background(), d, tenants.CreateInput{Slug: "pa-" + tenants.NewID()[24:], Name: "集市",
			AdminEmail: "Boss@Example.com", AdminPassword: "password1"})
		if err != nil {
			t.Fatal(err)
		}
		if made == nil || *made.Email != "boss@example.com" || made.Name != "boss" || made.TenantID != tn.ID {
			t.Fatalf("admin %+v", made)
		}
		ctx := tenants.WithTenant(context.Background(), tn)
		if _, _, err := s.Login(ctx, "boss@example.com", "password1"); err != nil {
			t.Fatal(err)
		}
		made = nil
		if _, err := p.Create(context.Background(), d, tenants.CreateInput{Slug: "pb-" + tenants.NewID()[24:], Name: "集市"}); err != nil {
			t.Fatal(err)
		}
		if made != nil {
			t.Fatal("admin made without AdminEmail")
		}
	})
}

func TestOnRegisterHookRollsBack(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		s := newService(t, d)
		ctx, _ := newTenant(t, d)
		boom := errors.New("boom")
		s.OnRegister(func(ctx context.Context, tx bun.IDB, u *identity.User) error { return boom })
		if _, err := s.Register(ctx, identity.UserInput{Email: "hook@example.com", Name: "钩", Password: "password1"}); !errors.Is(err, boom) {
			t.Fatalf("got %v", err)
		}
		if n := countUsers(t, d, ctx); n != 0 {
			t.Fatalf("%d users after a failed hook", n)
		}
	})
}

func BenchmarkAuthenticateWarm(b *testing.B) {
	d := dbtest.SQLite(b)
	if os.Getenv("JISHI_TEST_POSTGRES") != "" {
		d = dbtest.Postgres(b)
	}
	s := newService(b, d)
	ctx, _ := newTenant(b, d)
	mustRegister(b, s, ctx, identity.UserInput{Email: "bench@example.com", Name: "压测", Password: "password1"})
	token, _, err := s.Login(ctx, "bench@example.com", "password1")
	if err != nil {
		b.Fatal(err)
	}
	p := mustAuth(b, s, ctx, token)
	plain, _, err := s.CreateToken(ctx, p, "bench")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		token  string
		bearer bool
	}{{"cookie", token, false}, {"bearer", plain, true}} {
		b.Run(c.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "/api/v1/me", nil)
			if c.bearer {
				r.Header.Set("Authorization", "Bearer "+c.token)
			} else {
				r.AddCookie(&http.Cookie{Name: identity.SessionCookie, Value: c.token})
			}
			if p, err := s.Authenticate(ctx, r); err != nil || p == nil {
				b.Fatal(p, err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if p, err := s.Authenticate(ctx, r); err != nil || p == nil {
						b.Error(p, err)
						return
					}
				}
			})
		})
	}
}
