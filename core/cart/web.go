package cart

import (
	"log/slog"
	"net/http"

	"github.com/jishi-dev/jishi/core/identity"
)

// The helpers below are what HTTP handlers (the JSON API and the
// storefront's pages) call. r must have passed the server's middleware
// (tenant and principal in its context).

// CookieName is the cookie holding an anonymous visitor's cart token.
const CookieName = "jishi_cart"

// CookieMaxAge is how long a visitor's cart cookie lives (30 days).
const CookieMaxAge = 30 * 24 * 3600

// RefOf returns the cart of the request: the signed-in shopper's (a
// tenant account, by session or API token), and the visitor's token from
// the jishi_cart cookie when it carries one.
func RefOf(r *http.Request) Ref {
	var ref Ref
	if p, ok := identity.PrincipalFrom(r.Context()); ok && p.Kind == identity.KindTenant {
		ref.UserID = p.UserID
	}
	if c, err := r.Cookie(CookieName); err == nil && wellFormed(c.Value) {
		ref.Token = c.Value
	}
	return ref
}

// SetCookie sends the visitor's cart token: HttpOnly, SameSite=Lax,
// Path=/, Secure when Deps.Secure, for CookieMaxAge.
func (s *Service) SetCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: token, Path: "/", MaxAge: CookieMaxAge, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.Secure})
}

// ClearCookie removes it.
func (s *Service) ClearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.Secure})
}

// MergeAtLogin merges the visitor's cart of r's cookie into the cart of
// userID, who has just signed in or registered on w's response, and
// clears the cookie. A failure is logged and does not stop the sign-in:
// the visitor's cart stays, and the next cart request by the shopper
// (Request) merges it.
func (s *Service) MergeAtLogin(w http.ResponseWriter, r *http.Request, userID string) {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return
	}
	if err := s.Merge(r.Context(), c.Value, userID); err != nil {
		slog.ErrorContext(r.Context(), "merge cart at sign-in", "err", err, "user_id", userID)
		return
	}
	s.ClearCookie(w)
}

// Request returns the cart of the request (RefOf). A signed-in shopper
// whose browser still carries a visitor's cart (signed in without
// MergeAtLogin) has it merged first, and the cookie cleared.
func (s *Service) Request(w http.ResponseWriter, r *http.Request) (Ref, error) {
	ref := RefOf(r)
	if ref.UserID == "" || ref.Token == "" {
		return ref, nil
	}
	if err := s.Merge(r.Context(), ref.Token, ref.UserID); err != nil {
		return ref, err
	}
	s.ClearCookie(w)
	return Ref{UserID: ref.UserID}, nil
}
