package httpapi

import (
	"net/http"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/report"
)

func init() { registrations = append(registrations, registerReports) }

// reportPeriod reads the period of a report from the query: from and to
// (days, "2006-01-02", in the tenant's zone) and group (day or month).
func reportPeriod(r *http.Request) report.PeriodInput {
	q := r.URL.Query()
	return report.PeriodInput{From: q.Get("from"), To: q.Get("to"), Group: q.Get("group")}
}

// registerReports mounts the money reports (core/report): the tenant's
// (ledger:read in the tenant's domain) and a shop's statement (ledger:read
// in the shop's domain).
func registerReports(rt *httpx.Router, a *app.App) {
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/admin/reports", Perm: billing.PermLedgerRead,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			rep, err := a.Reports.Tenant(r.Context(), principal(r), reportPeriod(r))
			reply(w, r, http.StatusOK, rep, err)
		}})
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/merchant/shops/{id}/reports", Perm: billing.PermLedgerRead, Resource: true,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			rep, err := a.Reports.Shop(r.Context(), principal(r), r.PathValue("id"), reportPeriod(r))
			reply(w, r, http.StatusOK, rep, err)
		}})
}
