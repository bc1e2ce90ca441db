package storefront

import (
	"net/http"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/web"
)

// lookupData is the order lookup page: the form, and the order found.
type lookupData struct {
	Order *order.LookupResult
}

func (s *site) lookupPage(w http.ResponseWriter, r *http.Request, status int, f *web.Form, d *lookupData) {
	s.render(w, r, status, "lookup", &web.Page{
		Title: i18n.T(i18n.FromContext(r.Context()), "sf.lookup.title"), Area: web.AreaStorefront, Console: s.console(r),
		Form: f, Data: d,
	})
}

// lookupForm is /orders/lookup (订单查询): the form asking for the order
// number and the last four digits of the order's phone.
func (s *site) lookupForm(w http.ResponseWriter, r *http.Request) {
	s.lookupPage(w, r, http.StatusOK, nil, &lookupData{})
}

// lookup answers the form: the order's date, whether it is paid, whether
// it has shipped (or is ready for pickup) and when. Bad input shows the
// form with field errors (400); a number and phone that do not match an
// order, the same message whichever is wrong (404); too many lookups
// from one address, 429.
func (s *site) lookup(w http.ResponseWriter, r *http.Request) {
	f := web.FormOf(r)
	res, err := s.a.Orders.Lookup(r.Context(), identity.ClientIP(r), f.Get("number"), f.Get("phone_last4"))
	if err != nil {
		status, ok := f.Fail(r, err)
		if !ok {
			httpx.Error(w, r, err)
			return
		}
		if core.IsNotFound(err) {
			f.Message = i18n.T(i18n.FromContext(r.Context()), "sf.lookup.not_found")
		}
		s.lookupPage(w, r, status, f, &lookupData{})
		return
	}
	s.lookupPage(w, r, http.StatusOK, f, &lookupData{Order: res})
}
