package storefront

import (
	"context"
	"net/http"
	"strings"

	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/web"
	"github.com/uptrace/bun"
)

// signInData is the sign-in and registration pages' own data.
type signInData struct {
	// Next is the tenant-relative path to go to afterwards.
	Next string
}

func next(r *http.Request) string {
	n := r.FormValue("next")
	return web.LocalPath(n, "")
}

func (s *site) loginForm(w http.ResponseWriter, r *http.Request) {
	if web.Principal(r) != nil {
		web.Redirect(w, r, web.LocalPath(next(r), "/account"))
		return
	}
	s.render(w, r, http.StatusOK, "login", &web.Page{
		Title: i18n.T(i18n.FromContext(r.Context()), "sf.login.title"), Area: web.AreaStorefront, Nav: "account",
		Data: &signInData{Next: next(r)},
	})
}

// login signs a tenant account in with its e-mail or phone and password;
// the visitor's cart (cookie) merges into the account's.
// Bad credentials show the form again with the message (401), throttling
// with 429.
func (s *site) login(w http.ResponseWriter, r *http.Request) {
	f := web.FormOf(r)
	u, err := s.a.Identity.SignIn(w, r, f.Get("login"), r.PostFormValue("password"))
	if err != nil {
		status, ok := f.Fail(r, err)
		if !ok {
			httpx.Error(w, r, err)
			return
		}
		f.Values.Del("password")
		s.render(w, r, status, "login", &web.Page{
			Title: i18n.T(i18n.FromContext(r.Context()), "sf.login.title"), Area: web.AreaStorefront, Nav: "account",
			Form: f, Data: &signInData{Next: next(r)},
		})
		return
	}
	// The visitor's cart joins the shopper's.
	s.a.Cart.MergeAtLogin(w, r, u.ID)
	web.SetFlash(w, web.FlashSuccess, "web.flash.signed_in")
	web.Redirect(w, r, web.LocalPath(next(r), "/"))
}

func (s *site) registerForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "register", &web.Page{
		Title: i18n.T(i18n.FromContext(r.Context()), "sf.register.title"), Area: web.AreaStorefront, Nav: "account",
		Data: &signInData{Next: next(r)},
	})
}

// register creates a shopper account and signs it in, with the
// visitor's cart.
func (s *site) register(w http.ResponseWriter, r *http.Request) {
	f := web.FormOf(r)
	in := identity.UserInput{Name: f.Get("name"), Email: f.Get("email"), Phone: f.Get("phone"), Password: r.PostFormValue("password")}
	u, err := s.a.Identity.SignUp(w, r, in)
	if err != nil {
		status, ok := f.Fail(r, err)
		if !ok {
			httpx.Error(w, r, err)
			return
		}
		f.Values.Del("password")
		s.render(w, r, status, "register", &web.Page{
			Title: i18n.T(i18n.FromContext(r.Context()), "sf.register.title"), Area: web.AreaStorefront, Nav: "account",
			Form: f, Data: &signInData{Next: next(r)},
		})
		return
	}
	s.a.Cart.MergeAtLogin(w, r, u.ID)
	web.SetFlash(w, web.FlashSuccess, "web.flash.registered")
	web.Redirect(w, r, web.LocalPath(next(r), "/"))
}

// logout ends the session.
func (s *site) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.a.Identity.SignOut(w, r); err != nil {
		httpx.Error(w, r, err)
		return
	}
	web.SetFlash(w, web.FlashInfo, "web.flash.signed_out")
	web.Redirect(w, r, "/")
}

// accountData is the shopper's account page.
type accountData struct {
	User    *identity.User
	Shops   []*merchant.Shop
	Console bool
}

// account shows the signed-in account, its shops and the consoles it may
// open.
func (s *site) account(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := web.Principal(r)
	d := &accountData{}
	err := s.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		d.User, err = s.a.Identity.UserByID(ctx, tx, p.UserID)
		return err
	})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if d.Shops, err = s.a.Merchants.MyShops(ctx, p); err != nil {
		httpx.Error(w, r, err)
		return
	}
	d.Console = s.console(r)
	s.render(w, r, http.StatusOK, "account", &web.Page{
		Title: i18n.T(i18n.FromContext(ctx), "sf.account.title"), Area: web.AreaStorefront, Nav: "account", Data: d, Console: d.Console,
	})
}

// resetData is the password-reset pages' own data.
type resetData struct{ Token string }

func (s *site) resetForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "reset", &web.Page{
		Title: i18n.T(i18n.FromContext(r.Context()), "sf.reset.title"), Area: web.AreaStorefront, Nav: "account",
	})
}

// resetURLBase is the confirmation page a reset mail links to, on the
// (already resolved, so trusted) host of the request.
func (s *site) resetURLBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || s.a.Config.Secure {
		scheme = "https"
	}
	base := web.Base(r)
	if strings.HasPrefix(base, "//") {
		return scheme + ":" + base + "/password-reset/confirm"
	}
	return scheme + "://" + r.Host + base + "/password-reset/confirm"
}

// requestReset mails a reset link when the account exists; the answer is
// the same either way.
func (s *site) requestReset(w http.ResponseWriter, r *http.Request) {
	f := web.FormOf(r)
	if err := s.a.Identity.RequestPasswordReset(r.Context(), f.Get("login"), s.resetURLBase(r)); err != nil {
		status, ok := f.Fail(r, err)
		if !ok {
			httpx.Error(w, r, err)
			return
		}
		s.render(w, r, status, "reset", &web.Page{
			Title: i18n.T(i18n.FromContext(r.Context()), "sf.reset.title"), Area: web.AreaStorefront, Nav: "account", Form: f,
		})
		return
	}
	web.SetFlash(w, web.FlashInfo, "web.flash.reset_requested")
	web.Redirect(w, r, "/login")
}

func (s *site) resetConfirmForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "reset_confirm", &web.Page{
		Title: i18n.T(i18n.FromContext(r.Context()), "sf.reset.title"), Area: web.AreaStorefront, Nav: "account",
		Data: &resetData{Token: r.URL.Query().Get("token")},
	})
}

// resetConfirm sets the new password with the mailed token.
func (s *site) resetConfirm(w http.ResponseWriter, r *http.Request) {
	f := web.FormOf(r)
	token := f.Get("token")
	if err := s.a.Identity.ResetPassword(r.Context(), token, r.PostFormValue("password")); err != nil {
		status, ok := f.Fail(r, err)
		if !ok {
			httpx.Error(w, r, err)
			return
		}
		s.render(w, r, status, "reset_confirm", &web.Page{
			Title: i18n.T(i18n.FromContext(r.Context()), "sf.reset.title"), Area: web.AreaStorefront, Nav: "account", Form: f,
			Data: &resetData{Token: token},
		})
		return
	}
	web.SetFlash(w, web.FlashSuccess, "web.flash.password_reset")
	web.Redirect(w, r, "/login")
}
