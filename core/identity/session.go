package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Session is a signed-in browser of a tenant account (tenant table
// sessions). ID is the sha256 (hex) of the cookie's token; the token
// itself is never stored.
type Session struct {
	bun.BaseModel `bun:"table:sessions,alias:s"`
	TenantID      string    `bun:"tenant_id,pk"`
	ID            string    `bun:"id,pk"`
	UserID        string    `bun:"user_id,notnull"`
	CreatedAt     time.Time `bun:"created_at,notnull"`
	LastSeenAt    time.Time `bun:"last_seen_at,notnull"`
	ExpiresAt     time.Time `bun:"expires_at,notnull"`
	UserAgent     string    `bun:"user_agent,notnull"`
	IP            string    `bun:"ip,notnull"`

	User *User `bun:"rel:belongs-to,join:tenant_id=tenant_id,join:user_id=id"`
}

// tokenBytes is the entropy of session, API and reset tokens.
const tokenBytes = 32

// newToken returns a random token (base64url, 43 characters) and its hash.
func newToken() (token, hash string) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		panic("identity: no randomness: " + err.Error()) // crypto/rand does not fail on supported systems
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

// hashToken is how tokens are stored and looked up.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// wellFormed reports whether s looks like a token newToken made, so that
// junk is turned away before any lookup.
func wellFormed(s string) bool {
	if len(s) != 43 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

type clientKey struct{}

type client struct{ ip, userAgent string }

// WithClient returns ctx carrying the client's IP address and user agent:
// sign-ins record them on the session and throttle by IP. SignIn sets
// them from the request; callers of Login directly may.
func WithClient(ctx context.Context, ip, userAgent string) context.Context {
	if len(userAgent) > 256 {
		userAgent = userAgent[:256]
	}
	if len(ip) > 64 {
		ip = ip[:64]
	}
	return context.WithValue(ctx, clientKey{}, client{ip, userAgent})
}

func clientFrom(ctx context.Context) client {
	c, _ := ctx.Value(clientKey{}).(client)
	return c
}

// ClientIP returns the address the request came from (the connection's
// peer). Forwarded headers are not trusted: anyone can send them.
func ClientIP(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

// Login checks login (e-mail or phone) and password for the tenant in ctx
// and returns a new session token (the cookie value) with the account.
// Every sign-in makes a new session; use LoginRotate (or SignIn) to also
// end the session the browser had before.
//
// Returns Unauthenticated (one generic message) for an unknown login, a
// wrong password or a disabled account; TooManyRequests when the account
// is locked (MaxFailedLogins failures within FailureWindow lock it for
// LockDuration, and then even the right password is refused) or when the
// client's IP (see WithClient) has failed too often at this tenant.
func (s *Service) Login(ctx context.Context, login, password string) (string, *User, error) {
	return s.LoginRotate(ctx, "", login, password)
}

// LoginRotate is Login that also deletes the session of oldToken (the
// cookie the browser sent, if any) once the credentials are good, so a
// session id planted before sign-in is worthless after it.
func (s *Service) LoginRotate(ctx context.Context, oldToken, login, password string) (string, *User, error) {
	tenantID := db.TenantID(ctx)
	now := time.Now().UTC()
	ipKey := "t|" + tenantID + "|" + clientFrom(ctx).ip
	if s.ipLim.blocked(ipKey, now) {
		return "", nil, errLocked
	}
	col, value := loginColumn(login)
	unknownKey := "t|" + tenantID + "|" + col + "|" + value
	if s.unkn.blocked(unknownKey, now) {
		return "", nil, errLocked
	}
	var u *User
	err := s.cfg.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		u, err = s.UserByLogin(ctx, tx, login)
		return err
	})
	if core.IsNotFound(err) {
		s.burnPassword(password)
		s.ipLim.fail(ipKey, now)
		s.unkn.fail(unknownKey, now)
		return "", nil, errLoginFailed
	}
	if err != nil {
		return "", nil, err
	}
	if u.LockedUntil != nil && now.Before(*u.LockedUntil) {
		return "", nil, errLocked
	}
	if !verifyPassword(password, u.PasswordHash) {
		s.ipLim.fail(ipKey, now)
		err := s.cfg.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			return recordFailure(ctx, db.Update(ctx, tx, (*User)(nil)).Where("u.id = ?", u.ID), now)
		})
		if err != nil {
			return "", nil, err
		}
		return "", nil, errLoginFailed
	}
	if u.Status != StatusActive {
		return "", nil, errLoginFailed
	}
	var token string
	err = s.cfg.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		if _, err := recordSuccess(db.Update(ctx, tx, (*User)(nil)).Where("u.id = ?", u.ID), now).Exec(ctx); err != nil {
			return fmt.Errorf("note sign-in: %w", err)
		}
		token, err = s.startSession(ctx, tx, u.ID, oldToken, now)
		return err
	})
	if err != nil {
		return "", nil, err
	}
	s.ipLim.reset(ipKey)
	u.FailedLogins, u.FailedSince, u.LockedUntil, u.LastLoginAt = 0, nil, nil, &now
	return token, u, nil
}

// startSession creates a session for userID of the tenant in ctx inside
// tx, deleting the one of oldToken and the user's expired ones.
func (s *Service) startSession(ctx context.Context, tx bun.IDB, userID, oldToken string, now time.Time) (string, error) {
	tenantID := db.TenantID(ctx)
	if wellFormed(oldToken) {
		old := hashToken(oldToken)
		if _, err := db.Delete(ctx, tx, (*Session)(nil)).Where("s.id = ?", old).Exec(ctx); err != nil {
			return "", fmt.Errorf("end previous session: %w", err)
		}
		db.AfterCommit(ctx, func() { s.cache.evict(sessionKey(tenantID, old)) })
	}
	if _, err := db.Delete(ctx, tx, (*Session)(nil)).Where("s.user_id = ? AND s.expires_at < ?", userID, now).Exec(ctx); err != nil {
		return "", fmt.Errorf("prune sessions: %w", err)
	}
	token, hash := newToken()
	c := clientFrom(ctx)
	ss := &Session{
		TenantID: tenantID, ID: hash, UserID: userID, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(s.cfg.SessionTTL), UserAgent: c.userAgent, IP: c.ip,
	}
	if _, err := tx.NewInsert().Model(ss).Exec(ctx); err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	return token, nil
}

// StartSession signs userID (an account of the tenant in ctx) in without a
// password, inside tx, and returns the session token; oldToken's session,
// if any, is deleted. Registration uses it to sign the new account in.
func (s *Service) StartSession(ctx context.Context, tx bun.IDB, userID, oldToken string) (string, error) {
	return s.startSession(ctx, tx, userID, oldToken, time.Now().UTC())
}

// Logout ends the session of p (a tenant session in the tenant of ctx, or
// a platform session) and forgets it in this process's cache at once.
// A principal authenticated by an API token has no session: use
// RevokeToken. A nil principal is a no-op.
func (s *Service) Logout(ctx context.Context, p *Principal) error {
	if p == nil || p.SessionID == "" {
		return nil
	}
	if p.Kind == KindPlatform {
		err := s.cfg.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			_, err := tx.NewDelete().Model((*PlatformSession)(nil)).Where("id = ?", p.SessionID).Exec(ctx)
			return err
		})
		if err != nil {
			return fmt.Errorf("end platform session: %w", err)
		}
		s.cache.evict(platformKey(p.SessionID))
		return nil
	}
	if t, ok := tenants.FromContext(ctx); !ok || t.ID != p.TenantID {
		return errNotSignedIn
	}
	err := s.cfg.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		_, err := db.Delete(ctx, tx, (*Session)(nil)).Where("s.id = ?", p.SessionID).Exec(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	s.cache.evict(sessionKey(p.TenantID, p.SessionID))
	return nil
}

// Authenticate implements httpx.Authenticator. With a tenant in ctx it
// looks up the session cookie (or an "Authorization: Bearer jst_…" API
// token) among that tenant's sessions (tokens); without one (a platform
// host) among platform sessions.
//
// A missing, malformed, unknown or expired session cookie makes the
// request anonymous (nil, nil). A bearer token that is unknown or revoked,
// or sent to a platform host, returns Unauthenticated: a script should
// learn that its token is bad rather than act anonymously.
//
// Resolved credentials are cached in memory for up to ten seconds, so a
// warm request costs no database round trip. Logout, RevokeToken and
// ResetPassword evict their entries in this process at once; other server
// instances may still accept a signed-out session or a revoked token for
// up to those ten seconds.
func (s *Service) Authenticate(ctx context.Context, r *http.Request) (*Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") {
			return s.authenticateToken(ctx, strings.TrimSpace(tok))
		}
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || !wellFormed(c.Value) {
		return nil, nil
	}
	hash := hashToken(c.Value)
	if t, ok := tenants.FromContext(ctx); ok {
		return s.tenantSession(ctx, t.ID, hash)
	}
	return s.platformSession(ctx, hash)
}

func sessionKey(tenantID, hash string) string       { return "s|" + tenantID + "|" + hash }
func tokenKey(tenantID, hash string) string         { return "k|" + tenantID + "|" + hash }
func platformKey(hash string) string                { return "p|" + hash }
func userTag(kind Kind, tenantID, id string) string { return string(kind) + "|" + tenantID + "|" + id }

// tenantSession resolves a session of tenant tenantID (the tenant in ctx).
func (s *Service) tenantSession(ctx context.Context, tenantID, hash string) (*Principal, error) {
	now := time.Now()
	key := sessionKey(tenantID, hash)
	if p := s.cache.get(key, now); p != nil {
		return p, nil
	}
	ss := new(Session)
	err := s.cfg.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		return db.Select(ctx, tx, ss).Relation("User").Where("s.id = ?", hash).Scan(ctx)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	if ss.User == nil || ss.User.Status != StatusActive || !now.Before(ss.ExpiresAt) {
		return nil, nil
	}
	if now.Sub(ss.LastSeenAt) >= seenEvery {
		t := now.UTC()
		err := s.cfg.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			_, err := db.Update(ctx, tx, (*Session)(nil)).Set("last_seen_at = ?", t).Set("expires_at = ?", t.Add(s.cfg.SessionTTL)).
				Where("s.id = ?", hash).Exec(ctx)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("touch session: %w", err)
		}
		ss.ExpiresAt = t.Add(s.cfg.SessionTTL)
	}
	p := &Principal{Kind: KindTenant, UserID: ss.UserID, TenantID: tenantID, Name: ss.User.Name, SessionID: hash}
	if ss.User.Email != nil {
		p.Email = *ss.User.Email
	}
	if ss.User.Phone != nil {
		p.Phone = *ss.User.Phone
	}
	s.cache.put(key, p, userTag(KindTenant, tenantID, p.UserID), now, ss.ExpiresAt)
	return p, nil
}

// SetSessionCookie writes the session cookie: HttpOnly, SameSite=Lax,
// Path=/, Secure when Config.Secure. It is a browser-session cookie (no
// expiry): closing the browser signs out, which suits the shared devices
// of shops and pickup points; the server ends idle sessions after
// SessionTTL.
func (s *Service) SetSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.cfg.Secure})
}

// ClearSessionCookie removes it.
func (s *Service) ClearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.cfg.Secure})
}
