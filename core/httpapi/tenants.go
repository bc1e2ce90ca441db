package httpapi

import (
	"context"
	"net/http"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

func registerTenants(rt *httpx.Router, a *app.App) {
	// Platform console: the marketplaces.
	rt.Handle(httpx.Route{Area: httpx.AreaPlatform, Method: "GET", Path: "/api/v1/platform/tenants", Perm: "tenant:list",
		Handler: func(w http.ResponseWriter, r *http.Request) {
			ts, err := tenants.List(r.Context(), a.DB.DB)
			if err != nil {
				httpx.Error(w, r, err)
				return
			}
			httpx.JSON(w, http.StatusOK, map[string]any{"tenants": ts})
		}})
	rt.Handle(httpx.Route{Area: httpx.AreaPlatform, Method: "POST", Path: "/api/v1/platform/tenants", Perm: "tenant:create",
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var in tenants.CreateInput
			if err := httpx.Decode(r, &in); err != nil {
				httpx.Error(w, r, err)
				return
			}
			t, err := a.Provisioner.Create(r.Context(), a.DB, in)
			if err != nil {
				httpx.Error(w, r, err)
				return
			}
			a.Resolver.Invalidate()
			httpx.JSON(w, http.StatusCreated, t)
		}})

	// Tenant: public facts of the marketplace, and its regions.
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/tenant", Public: true,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			t := tenants.MustFromContext(r.Context())
			httpx.JSON(w, http.StatusOK, map[string]any{
				"id": t.ID, "slug": t.Slug, "name": t.Name, "time_zone": t.TimeZone,
				"currency": t.Currency, "default_locale": t.DefaultLocale,
				"service_hours": t.Settings.ServiceHours, "contact_email": t.Settings.ContactEmail,
			})
		}})
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/regions", Public: true,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var rs []*tenants.Region
			err := a.DB.RunInReadTx(r.Context(), func(ctx context.Context, tx bun.IDB) (err error) {
				rs, err = tenants.Regions(ctx, tx)
				return err
			})
			if err != nil {
				httpx.Error(w, r, err)
				return
			}
			httpx.JSON(w, http.StatusOK, map[string]any{"regions": rs})
		}})
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/regions/{id}", Public: true,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var reg *tenants.Region
			err := a.DB.RunInReadTx(r.Context(), func(ctx context.Context, tx bun.IDB) (err error) {
				reg, err = tenants.RegionByID(ctx, tx, r.PathValue("id"))
				return err
			})
			if err != nil {
				httpx.Error(w, r, err)
				return
			}
			httpx.JSON(w, http.StatusOK, reg)
		}})
	rt.Handle(httpx.Route{Method: "POST", Path: "/api/v1/regions", Perm: "region:manage",
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var in tenants.RegionInput
			if err := httpx.Decode(r, &in); err != nil {
				httpx.Error(w, r, err)
				return
			}
			var reg *tenants.Region
			err := a.DB.RunInTx(r.Context(), func(ctx context.Context, tx bun.IDB) (err error) {
				reg, err = tenants.CreateRegion(ctx, tx, in)
				return err
			})
			if err != nil {
				httpx.Error(w, r, err)
				return
			}
			httpx.JSON(w, http.StatusCreated, reg)
		}})
}

func init() { registrations = append(registrations, registerCategories) }

func registerCategories(rt *httpx.Router, a *app.App) {
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/categories", Public: true,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			var cs []*catalog.Category
			err := a.DB.RunInReadTx(r.Context(), func(ctx context.Context, tx bun.IDB) (err error) {
				cs, err = catalog.Tree(ctx, tx)
				return err
			})
			if err != nil {
				httpx.Error(w, r, err)
				return
			}
			httpx.JSON(w, http.StatusOK, map[string]any{"categories": cs})
		}})
}
