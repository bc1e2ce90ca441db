package identity

import (
	"context"
	"net/http"

	"github.com/jishi-dev/jishi/core"
	"github.com/uptrace/bun"
)

// The helpers below are what HTTP handlers (the JSON API and the
// server-rendered sign-in pages alike) call: they take the client's IP and
// user agent from the request, rotate the session the browser had, and
// write or clear the cookie. r must have passed the server's middleware
// (tenant, if any, in its context).

func withRequest(r *http.Request) context.Context {
	return WithClient(r.Context(), ClientIP(r), r.UserAgent())
}

func oldSessionToken(r *http.Request) string {
	if c, err := r.Cookie(SessionCookie); err == nil {
		return c.Value
	}
	return ""
}

// SignIn signs a tenant account in (Login with rotation: the session of
// the cookie the request carried, if any, is deleted) and sets the session
// cookie on w. The request's tenant is the one in r's context. Errors are
// Login's: Unauthenticated for bad credentials, TooManyRequests when
// throttled; w is untouched then.
func (s *Service) SignIn(w http.ResponseWriter, r *http.Request, login, password string) (*User, error) {
	token, u, err := s.LoginRotate(withRequest(r), oldSessionToken(r), login, password)
	if err != nil {
		return nil, err
	}
	s.SetSessionCookie(w, token)
	return u, nil
}

// SignUp registers a shopper account (Register) for the request's tenant
// and signs it in: the session cookie is set on w. Returns Register's
// Invalid errors; nothing is written then.
func (s *Service) SignUp(w http.ResponseWriter, r *http.Request, in UserInput) (*User, error) {
	ctx := withRequest(r)
	u, err := s.Register(ctx, in)
	if err != nil {
		return nil, err
	}
	var token string
	err = s.cfg.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		token, err = s.StartSession(ctx, tx, u.ID, oldSessionToken(r))
		return err
	})
	if err != nil {
		return nil, err
	}
	s.SetSessionCookie(w, token)
	return u, nil
}

// PlatformSignIn is SignIn for platform accounts on a platform host.
func (s *Service) PlatformSignIn(w http.ResponseWriter, r *http.Request, email, password string) (*PlatformUser, error) {
	token, u, err := s.PlatformLoginRotate(withRequest(r), oldSessionToken(r), email, password)
	if err != nil {
		return nil, err
	}
	s.SetSessionCookie(w, token)
	return u, nil
}

// SignOut ends the session of the request's principal (tenant or
// platform) and clears the cookie. Without a principal it only clears the
// cookie and returns Unauthenticated.
func (s *Service) SignOut(w http.ResponseWriter, r *http.Request) error {
	p, ok := PrincipalFrom(r.Context())
	s.ClearSessionCookie(w)
	if !ok {
		return core.Errorf(core.Unauthenticated, "error.unauthenticated")
	}
	return s.Logout(r.Context(), p)
}
