package adminui

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/jishi-dev/jishi/core/merchant"
)

// consolePageSize is how many rows a console list shows per page.
const consolePageSize = 50

// pager links a console list to its neighbouring pages; a link is a
// tenant-relative path ("" when there is no such page).
type pager struct {
	Page       int
	Prev, Next string
}

// pageWindow reads ?page= (1-based; anything else is page 1) and returns
// it with the window to ask the service for: one row more than a page,
// to learn whether another page follows.
func pageWindow(r *http.Request) (int, merchant.Page) {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 || n > 100000 {
		n = 1
	}
	return n, merchant.Page{Limit: consolePageSize + 1, Offset: (n - 1) * consolePageSize}
}

// newPager trims rows to the page and links page n's neighbours on path
// with the request's other query parameters.
func newPager[T any](r *http.Request, path string, n int, rows []T) ([]T, pager) {
	pg := pager{Page: n}
	link := func(to int) string {
		q := url.Values{}
		for k, v := range r.URL.Query() {
			if k != "page" && k != "lang" {
				q[k] = v
			}
		}
		if to > 1 {
			q.Set("page", strconv.Itoa(to))
		}
		if len(q) == 0 {
			return path
		}
		return path + "?" + q.Encode()
	}
	if len(rows) > consolePageSize {
		rows = rows[:consolePageSize]
		pg.Next = link(n + 1)
	}
	if n > 1 {
		pg.Prev = link(n - 1)
	}
	return rows, pg
}
