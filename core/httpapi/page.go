package httpapi

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/merchant"
)

// Paging of list endpoints: ?limit= (1–MaxLimit, default DefaultLimit)
// and ?offset= (0 or more). The answer carries the window and has_more.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// page reads the window of a list request. Bad values are field errors on
// "limit" and "offset".
func page(r *http.Request) (merchant.Page, error) {
	var fe core.FieldErrors
	pg := merchant.Page{Limit: DefaultLimit}
	q := r.URL.Query()
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			fe.Add("limit", "field.invalid")
		}
		pg.Limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			fe.Add("offset", "field.invalid")
		}
		pg.Offset = n
	}
	return pg, fe.Err()
}

// fetch is the window asked of the service: one more than the page, to
// learn whether more follow.
func fetch(pg merchant.Page) merchant.Page {
	return merchant.Page{Limit: pg.Limit + 1, Offset: pg.Offset}
}

// paged answers a list: the first pg.Limit items under key, the window,
// and whether more follow.
func paged[T any](w http.ResponseWriter, r *http.Request, key string, pg merchant.Page, items []T, err error) {
	more := len(items) > pg.Limit
	if more {
		items = items[:pg.Limit]
	}
	reply(w, r, http.StatusOK, map[string]any{key: items, "limit": pg.Limit, "offset": pg.Offset, "has_more": more}, err)
}

// statusFilter reads ?status=, which must be one of allowed when given.
func statusFilter(r *http.Request, allowed ...string) (string, error) {
	v := r.URL.Query().Get("status")
	if v == "" || slices.Contains(allowed, v) {
		return v, nil
	}
	var fe core.FieldErrors
	fe.Add("status", "field.invalid")
	return "", fe.Err()
}
