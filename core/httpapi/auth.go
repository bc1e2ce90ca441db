package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/uptrace/bun"
)

func init() { registrations = append(registrations, registerAuth) }

// resetURLBase is the page a password-reset mail links to: the request's
// own (already resolved, so trusted) host with the tenant's path prefix.
func resetURLBase(a *app.App, r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || a.Config.Secure {
		scheme = "https"
	}
	base := httpx.ResolutionFrom(r.Context()).Base
	if strings.HasPrefix(base, "//") { // a shop's subdomain: link to the tenant host
		return scheme + ":" + base + "/password-reset/confirm"
	}
	return scheme + "://" + r.Host + base + "/password-reset/confirm"
}

// reply writes v as JSON with status (just the status when v is nil), or
// err.
func reply(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if v == nil {
		w.WriteHeader(status)
		return
	}
	httpx.JSON(w, status, v)
}

func registerAuth(rt *httpx.Router, a *app.App) {
	id := a.Identity
	signedIn := func(r *http.Request) *identity.Principal {
		p, _ := identity.PrincipalFrom(r.Context())
		return p
	}

	// Tenant accounts.
	rt.Handle(httpx.Route{Method: "POST", Path: "/api/v1/auth/register", Public: true,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var in identity.UserInput
			if err := httpx.Decode(r, &in); err != nil {
				httpx.Error(w, r, err)
				return
			}
			u, err := id.SignUp(w, r, in)
			reply(w, r, http.StatusCreated, map[string]any{"user": u}, err)
		}})
	rt.Handle(httpx.Route{Method: "POST", Path: "/api/v1/auth/login", Public: true,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var in struct {
				Login    string `json:"login"`
				Password string `json:"password"`
			}
			if err := httpx.Decode(r, &in); err != nil {
				httpx.Error(w, r, err)
				return
			}
			u, err := id.SignIn(w, r, in.Login, in.Password)
			if err == nil {
				a.Cart.MergeAtLogin(w, r, u.ID) // the visitor's cart becomes the shopper's
			}
			reply(w, r, http.StatusOK, map[string]any{"user": u}, err)
		}})
	rt.Handle(httpx.Route{Method: "POST", Path: "/api/v1/auth/logout", Perm: httpx.PermSignedIn,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			reply(w, r, http.StatusNoContent, nil, id.SignOut(w, r))
		}})
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/me", Perm: httpx.PermSignedIn,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var u *identity.User
			err := a.DB.RunInReadTx(r.Context(), func(ctx context.Context, tx bun.IDB) (err error) {
				u, err = id.UserByID(ctx, tx, signedIn(r).UserID)
				return err
			})
			reply(w, r, http.StatusOK, map[string]any{"user": u}, err)
		}})
	rt.Handle(httpx.Route{Method: "POST", Path: "/api/v1/auth/password-reset", Public: true,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var in struct {
				Login string `json:"login"`
			}
			if err := httpx.Decode(r, &in); err != nil {
				httpx.Error(w, r, err)
				return
			}
			err := id.RequestPasswordReset(r.Context(), in.Login, resetURLBase(a, r))
			reply(w, r, http.StatusAccepted, map[string]string{"status": "accepted"}, err)
		}})
	rt.Handle(httpx.Route{Method: "POST", Path: "/api/v1/auth/password-reset/confirm", Public: true,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var in struct {
				Token    string `json:"token"`
				Password string `json:"password"`
			}
			if err := httpx.Decode(r, &in); err != nil {
				httpx.Error(w, r, err)
				return
			}
			reply(w, r, http.StatusNoContent, nil, id.ResetPassword(r.Context(), in.Token, in.Password))
		}})
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/me/tokens", Perm: httpx.PermSignedIn,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			ts, err := id.ListTokens(r.Context(), signedIn(r))
			reply(w, r, http.StatusOK, map[string]any{"tokens": ts}, err)
		}})
	rt.Handle(httpx.Route{Method: "POST", Path: "/api/v1/me/tokens", Perm: httpx.PermSignedIn,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var in struct {
				Name string `json:"name"`
			}
			if err := httpx.Decode(r, &in); err != nil {
				httpx.Error(w, r, err)
				return
			}
			plain, t, err := id.CreateToken(r.Context(), signedIn(r), in.Name)
			reply(w, r, http.StatusCreated, map[string]any{"token": plain, "api_token": t}, err)
		}})
	rt.Handle(httpx.Route{Method: "DELETE", Path: "/api/v1/me/tokens/{id}", Perm: httpx.PermSignedIn,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			reply(w, r, http.StatusNoContent, nil, id.RevokeToken(r.Context(), signedIn(r), r.PathValue("id")))
		}})

	// Platform accounts.
	rt.Handle(httpx.Route{Area: httpx.AreaPlatform, Method: "POST", Path: "/api/v1/platform/auth/login", Public: true,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var in struct {
				Email    string `json:"email"`
				Login    string `json:"login"`
				Password string `json:"password"`
			}
			if err := httpx.Decode(r, &in); err != nil {
				httpx.Error(w, r, err)
				return
			}
			if in.Email == "" {
				in.Email = in.Login
			}
			u, err := id.PlatformSignIn(w, r, in.Email, in.Password)
			reply(w, r, http.StatusOK, map[string]any{"user": u}, err)
		}})
	rt.Handle(httpx.Route{Area: httpx.AreaPlatform, Method: "POST", Path: "/api/v1/platform/auth/logout", Perm: httpx.PermSignedIn,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			reply(w, r, http.StatusNoContent, nil, id.SignOut(w, r))
		}})
	rt.Handle(httpx.Route{Area: httpx.AreaPlatform, Method: "GET", Path: "/api/v1/platform/me", Perm: httpx.PermSignedIn,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var u *identity.PlatformUser
			err := a.DB.RunInReadTx(r.Context(), func(ctx context.Context, tx bun.IDB) (err error) {
				u, err = id.PlatformUserByID(ctx, tx, signedIn(r).UserID)
				return err
			})
			reply(w, r, http.StatusOK, map[string]any{"user": u}, err)
		}})
}
