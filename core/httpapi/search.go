package httpapi

import (
	"net/http"
	"strconv"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/search"
)

func init() { registrations = append(registrations, registerSearch) }

// registerSearch mounts the storefront's product search (public, in the
// tenant's area):
//
//	GET /api/v1/search?q=&category=&shop=&region=&price_min=&price_max=&in_stock=&sort=&limit=&offset=
//
// answering {products, facets: {categories, shops}, limit, offset,
// has_more}. Bad parameters are field errors named after them.
func registerSearch(rt *httpx.Router, a *app.App) {
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/search", Public: true,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			q, err := searchQuery(r)
			if err != nil {
				httpx.Error(w, r, err)
				return
			}
			res, err := a.Search.Search(r.Context(), q)
			reply(w, r, http.StatusOK, res, err)
		}})
}

// searchQuery reads the search parameters of r.
func searchQuery(r *http.Request) (search.Query, error) {
	v := r.URL.Query()
	var fe core.FieldErrors
	q := search.Query{Text: v.Get("q"), CategoryID: v.Get("category"), ShopID: v.Get("shop"),
		RegionID: v.Get("region"), Sort: v.Get("sort")}
	num := func(name string) *int64 {
		s := v.Get(name)
		if s == "" {
			return nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			fe.Add(name, "field.invalid")
			return nil
		}
		return &n
	}
	q.PriceMin, q.PriceMax = num("price_min"), num("price_max")
	if n := num("limit"); n != nil {
		if *n < 1 || *n > search.MaxLimit {
			fe.Add("limit", "search.field.limit")
		} else {
			q.Limit = int(*n)
		}
	}
	if n := num("offset"); n != nil {
		if *n < 0 || *n > search.MaxOffset {
			fe.Add("offset", "search.field.offset")
		} else {
			q.Offset = int(*n)
		}
	}
	switch v.Get("in_stock") {
	case "", "0", "false":
	case "1", "true":
		q.InStock = true
	default:
		fe.Add("in_stock", "field.invalid")
	}
	return q, fe.Err()
}
