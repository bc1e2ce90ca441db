package httpapi

import (
	"net/http"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/httpx"
)

func init() { registrations = append(registrations, registerCatalog) }

// registerCatalog mounts the products API: the merchant console's (shop
// owners, staff and tenant admins; checked in the shop's domain) and the
// storefront's public reads.
func registerCatalog(rt *httpx.Router, a *app.App) {
	c := a.Catalog
	handle := func(method, path string, h http.HandlerFunc) {
		rt.Handle(httpx.Route{Method: method, Path: path, Perm: catalog.PermManage, Resource: true, Handler: h})
	}

	handle("GET", "/api/v1/merchant/shops/{id}/products", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		pg, err := page(r)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		status, err := statusFilter(r, catalog.ProductDraft, catalog.ProductActive, catalog.ProductArchived)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		ps, err := c.Products(r.Context(), principal(r), r.PathValue("id"), catalog.ProductFilter{
			Status: status, CategoryID: q.Get("category_id"), Query: q.Get("q"), Page: fetch(pg)})
		paged(w, r, "products", pg, ps, err)
	})
	handle("POST", "/api/v1/merchant/shops/{id}/products", func(w http.ResponseWriter, r *http.Request) {
		var in catalog.ProductInput
		if err := httpx.Decode(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		pr, err := c.Create(r.Context(), principal(r), r.PathValue("id"), in)
		reply(w, r, http.StatusCreated, pr, err)
	})
	handle("GET", "/api/v1/merchant/products/{id}", func(w http.ResponseWriter, r *http.Request) {
		pr, err := c.Product(r.Context(), principal(r), r.PathValue("id"))
		reply(w, r, http.StatusOK, pr, err)
	})
	handle("PUT", "/api/v1/merchant/products/{id}", func(w http.ResponseWriter, r *http.Request) {
		var in catalog.ProductInput
		if err := httpx.Decode(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		pr, err := c.Update(r.Context(), principal(r), r.PathValue("id"), in)
		reply(w, r, http.StatusOK, pr, err)
	})
	handle("POST", "/api/v1/merchant/products/{id}/archive", func(w http.ResponseWriter, r *http.Request) {
		pr, err := c.Archive(r.Context(), principal(r), r.PathValue("id"))
		reply(w, r, http.StatusOK, pr, err)
	})
	handle("POST", "/api/v1/merchant/products/{id}/restore", func(w http.ResponseWriter, r *http.Request) {
		pr, err := c.Restore(r.Context(), principal(r), r.PathValue("id"))
		reply(w, r, http.StatusOK, pr, err)
	})
	rt.Handle(httpx.Route{Method: "POST", Path: "/api/v1/merchant/products/{id}/images", Perm: catalog.PermManage,
		Resource: true, MaxBody: 3 << 20, Handler: func(w http.ResponseWriter, r *http.Request) {
			_, ctype, b, err := uploadedFile(r)
			if err != nil {
				httpx.Error(w, r, err)
				return
			}
			pr, err := c.AddImage(r.Context(), principal(r), r.PathValue("id"), ctype, b)
			reply(w, r, http.StatusCreated, pr, err)
		}})
	handle("PUT", "/api/v1/merchant/products/{id}/images/order", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			ImageIDs []string `json:"image_ids"`
		}
		if err := httpx.Decode(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		pr, err := c.ReorderImages(r.Context(), principal(r), r.PathValue("id"), in.ImageIDs)
		reply(w, r, http.StatusOK, pr, err)
	})
	handle("DELETE", "/api/v1/merchant/products/{id}/images/{image}", func(w http.ResponseWriter, r *http.Request) {
		if _, err := c.DeleteImage(r.Context(), principal(r), r.PathValue("id"), r.PathValue("image")); err != nil {
			httpx.Error(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})

	// Shoppers: active products of shops whose storefront shows.
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/products/{id}", Public: true, Handler: func(w http.ResponseWriter, r *http.Request) {
		pr, err := c.PublicProduct(r.Context(), r.PathValue("id"))
		reply(w, r, http.StatusOK, pr, err)
	}})
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/shops/{slug}/products", Public: true, Handler: func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		pg, err := page(r)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		ps, _, err := c.ShopProducts(r.Context(), r.PathValue("slug"), catalog.PublicFilter{
			CategoryID: q.Get("category_id"), Query: q.Get("q"), Page: fetch(pg)})
		paged(w, r, "products", pg, ps, err)
	}})
}
