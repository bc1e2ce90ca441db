package httpapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
)

func init() { registrations = append(registrations, registerMerchant) }

// principal returns the caller; routes that reach a handler with a
// permission always have one.
func principal(r *http.Request) *identity.Principal {
	p, _ := identity.PrincipalFrom(r.Context())
	return p
}

// decodeOptional decodes a JSON body into v when there is one; an empty
// body leaves v as it is.
func decodeOptional(r *http.Request, v any) error {
	if r.ContentLength == 0 && r.Header.Get("Transfer-Encoding") == "" {
		return nil
	}
	err := httpx.Decode(r, v)
	var ce *core.Error
	if errors.As(err, &ce) && errors.Is(ce.Err, io.EOF) {
		return nil
	}
	return err
}

func publicShops(shops []*merchant.Shop) []merchant.PublicShop {
	out := make([]merchant.PublicShop, 0, len(shops))
	for _, sh := range shops {
		out = append(out, sh.Public())
	}
	return out
}

func registerMerchant(rt *httpx.Router, a *app.App) {
	m := a.Merchants
	handle := func(method, path, perm string, resource bool, h http.HandlerFunc) {
		rt.Handle(httpx.Route{Method: method, Path: path, Perm: perm, Resource: resource, Handler: h})
	}

	// Merchant onboarding: the applicant's side.
	handle("POST", "/api/v1/merchant/applications", merchant.PermApply, false, func(w http.ResponseWriter, r *http.Request) {
		var in merchant.ApplicationInput
		if err := httpx.Decode(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		ap, err := m.Apply(r.Context(), principal(r), in)
		reply(w, r, http.StatusCreated, ap, err)
	})
	handle("GET", "/api/v1/merchant/applications/mine", httpx.PermSignedIn, false, func(w http.ResponseWriter, r *http.Request) {
		as, err := m.MyApplications(r.Context(), principal(r))
		reply(w, r, http.StatusOK, map[string]any{"applications": as}, err)
	})
	handle("GET", "/api/v1/merchant/applications/{id}", httpx.PermSignedIn, false, func(w http.ResponseWriter, r *http.Request) {
		ap, err := m.MyApplication(r.Context(), principal(r), r.PathValue("id"))
		reply(w, r, http.StatusOK, ap, err)
	})
	handle("PUT", "/api/v1/merchant/applications/{id}", merchant.PermApply, false, func(w http.ResponseWriter, r *http.Request) {
		var in merchant.ApplicationInput
		if err := httpx.Decode(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		ap, err := m.UpdateApplication(r.Context(), principal(r), r.PathValue("id"), in)
		reply(w, r, http.StatusOK, ap, err)
	})
	handle("POST", "/api/v1/merchant/applications/{id}/withdraw", merchant.PermApply, false, func(w http.ResponseWriter, r *http.Request) {
		ap, err := m.Withdraw(r.Context(), principal(r), r.PathValue("id"))
		reply(w, r, http.StatusOK, ap, err)
	})

	// Review: tenant admins everywhere, region managers in their regions.
	handle("GET", "/api/v1/admin/applications", merchant.PermListApps, true, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		pg, err := page(r)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		status, err := statusFilter(r, merchant.ApplicationSubmitted, merchant.ApplicationChangesRequested,
			merchant.ApplicationApproved, merchant.ApplicationRejected, merchant.ApplicationWithdrawn)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		as, err := m.Applications(r.Context(), principal(r), merchant.ApplicationFilter{Status: status, RegionID: q.Get("region_id"), Page: fetch(pg)})
		paged(w, r, "applications", pg, as, err)
	})
	handle("GET", "/api/v1/admin/applications/{id}", merchant.PermListApps, true, func(w http.ResponseWriter, r *http.Request) {
		ap, err := m.ApplicationForReview(r.Context(), principal(r), r.PathValue("id"))
		reply(w, r, http.StatusOK, ap, err)
	})
	handle("POST", "/api/v1/admin/applications/{id}/approve", merchant.PermReview, true, func(w http.ResponseWriter, r *http.Request) {
		ap, err := m.Approve(r.Context(), principal(r), r.PathValue("id"))
		reply(w, r, http.StatusOK, ap, err)
	})
	handle("POST", "/api/v1/admin/applications/{id}/reject", merchant.PermReview, true, func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Reason string `json:"reason"`
		}
		if err := decodeOptional(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		ap, err := m.Reject(r.Context(), principal(r), r.PathValue("id"), in.Reason)
		reply(w, r, http.StatusOK, ap, err)
	})
	handle("POST", "/api/v1/admin/applications/{id}/request-changes", merchant.PermReview, true, func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Note string `json:"note"`
		}
		if err := decodeOptional(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		ap, err := m.RequestChanges(r.Context(), principal(r), r.PathValue("id"), in.Note)
		reply(w, r, http.StatusOK, ap, err)
	})

	// Shops for shoppers: active shops, and one shop's storefront facts
	// (a suspended shop shows, with selling false).
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/shops", Public: true, Handler: func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		pg, err := page(r)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		shops, err := m.Shops(r.Context(), merchant.ShopFilter{Status: merchant.ShopActive, RegionID: q.Get("region_id"), Query: q.Get("q"), Page: fetch(pg)})
		paged(w, r, "shops", pg, publicShops(shops), err)
	}})
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/shops/{slug}", Public: true, Handler: func(w http.ResponseWriter, r *http.Request) {
		sh, err := m.StorefrontShop(r.Context(), r.PathValue("slug"))
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		httpx.JSON(w, http.StatusOK, sh.Public())
	}})

	// Shops in the admin console.
	handle("GET", "/api/v1/admin/shops", merchant.PermListShops, true, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		pg, err := page(r)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		status, err := statusFilter(r, merchant.ShopPending, merchant.ShopActive, merchant.ShopSuspended, merchant.ShopClosed)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		shops, err := m.ShopsFor(r.Context(), principal(r), merchant.ShopFilter{Status: status, RegionID: q.Get("region_id"), Query: q.Get("q"), Page: fetch(pg)})
		paged(w, r, "shops", pg, shops, err)
	})
	for action, status := range map[string]string{"suspend": merchant.ShopSuspended, "resume": merchant.ShopActive, "close": merchant.ShopClosed} {
		handle("POST", "/api/v1/admin/shops/{id}/"+action, merchant.PermManageShop, true, func(w http.ResponseWriter, r *http.Request) {
			var in struct {
				Reason string `json:"reason"`
			}
			if err := decodeOptional(r, &in); err != nil {
				httpx.Error(w, r, err)
				return
			}
			sh, err := m.SetStatus(r.Context(), principal(r), r.PathValue("id"), status, in.Reason)
			reply(w, r, http.StatusOK, sh, err)
		})
	}

	// The merchant console: my shops, profile, images, staff.
	handle("GET", "/api/v1/merchant/shops", httpx.PermSignedIn, false, func(w http.ResponseWriter, r *http.Request) {
		shops, err := m.MyShops(r.Context(), principal(r))
		reply(w, r, http.StatusOK, map[string]any{"shops": shops}, err)
	})
	handle("GET", "/api/v1/merchant/shops/{id}/profile", merchant.PermViewShop, true, func(w http.ResponseWriter, r *http.Request) {
		sh, err := m.ShopFor(r.Context(), principal(r), r.PathValue("id"))
		reply(w, r, http.StatusOK, sh, err)
	})
	handle("PUT", "/api/v1/merchant/shops/{id}/profile", merchant.PermEditProfile, true, func(w http.ResponseWriter, r *http.Request) {
		var in merchant.ProfileInput
		if err := decodeFields(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		sh, err := m.UpdateProfile(r.Context(), principal(r), r.PathValue("id"), in)
		reply(w, r, http.StatusOK, sh, err)
	})
	for kind, set := range map[string]func(context.Context, *identity.Principal, string, string, string, []byte) (string, error){
		"logo": m.SetLogo, "banner": m.SetBanner,
	} {
		rt.Handle(httpx.Route{Method: "POST", Path: "/api/v1/merchant/shops/{id}/" + kind, Perm: merchant.PermEditProfile,
			Resource: true, MaxBody: 3 << 20, Handler: func(w http.ResponseWriter, r *http.Request) {
				name, ctype, b, err := uploadedFile(r)
				if err != nil {
					httpx.Error(w, r, err)
					return
				}
				path, err := set(r.Context(), principal(r), r.PathValue("id"), name, ctype, b)
				reply(w, r, http.StatusOK, map[string]string{"path": path}, err)
			}})
	}
	handle("GET", "/api/v1/merchant/shops/{id}/staff", merchant.PermStaff, true, func(w http.ResponseWriter, r *http.Request) {
		staff, err := m.Staff(r.Context(), principal(r), r.PathValue("id"))
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		invs, err := m.Invitations(r.Context(), principal(r), r.PathValue("id"))
		reply(w, r, http.StatusOK, map[string]any{"staff": staff, "invitations": invs}, err)
	})
	handle("POST", "/api/v1/merchant/shops/{id}/staff", merchant.PermStaff, true, func(w http.ResponseWriter, r *http.Request) {
		var in merchant.InviteInput
		if err := httpx.Decode(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		inv, token, err := m.Invite(r.Context(), principal(r), r.PathValue("id"), in)
		reply(w, r, http.StatusCreated, map[string]any{"invitation": inv, "token": token}, err)
	})
	handle("DELETE", "/api/v1/merchant/shops/{id}/staff/{user}", merchant.PermStaff, true, func(w http.ResponseWriter, r *http.Request) {
		err := m.RemoveStaff(r.Context(), principal(r), r.PathValue("id"), r.PathValue("user"))
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	handle("POST", "/api/v1/merchant/invitations/accept", httpx.PermSignedIn, false, func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Token string `json:"token"`
		}
		if err := httpx.Decode(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		member, err := m.AcceptInvitation(r.Context(), principal(r), in.Token)
		reply(w, r, http.StatusOK, member, err)
	})

	// Uploaded shop images of this tenant.
	rt.Handle(httpx.Route{Method: "GET", Path: "/uploads/{path...}", Public: true, Handler: func(w http.ResponseWriter, r *http.Request) {
		b, ctype, err := m.Upload(r.Context(), r.PathValue("path"))
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		_, _ = w.Write(b)
	}})
}

// uploadedFile reads the "file" part of a multipart form: its name,
// declared content type and bytes. A request without one gets Invalid
// with a field error on "file".
func uploadedFile(r *http.Request) (string, string, []byte, error) {
	missing := &core.Error{Code: core.Invalid, Message: "error.invalid_input", Fields: map[string]string{"file": "merchant.field.image_empty"}}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return "", "", nil, missing
	}
	if err := r.ParseMultipartForm(3 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return "", "", nil, &core.Error{Code: core.Invalid, Message: "error.invalid_input",
				Fields: map[string]string{"file": "merchant.field.image_size"}, Err: err}
		}
		return "", "", nil, &core.Error{Code: core.Invalid, Message: "error.invalid_input", Fields: missing.Fields, Err: err}
	}
	defer r.MultipartForm.RemoveAll()
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return "", "", nil, missing
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, merchant.MaxImageBytes+1))
	if err != nil {
		return "", "", nil, err
	}
	return hdr.Filename, hdr.Header.Get("Content-Type"), b, nil
}
