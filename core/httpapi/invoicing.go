package httpapi

import (
	"net/http"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/invoicing"
	"github.com/jishi-dev/jishi/core/merchant"
)

func init() { registrations = append(registrations, registerInvoicing) }

// invoiceFilter reads ?period=, ?status= and ?owner_id= of an invoice
// list and its window.
func invoiceFilter(r *http.Request) (invoicing.Filter, merchant.Page, error) {
	pg, err := page(r)
	q := r.URL.Query()
	f := invoicing.Filter{Period: q.Get("period"), Status: q.Get("status"), OwnerID: q.Get("owner_id"),
		Limit: pg.Limit + 1, Offset: pg.Offset}
	return f, pg, err
}

// registerInvoicing mounts platform billing: for the tenant admin the
// invoices of every shop and pickup point (ledger:read) and what changes
// them (tenant:settings: generate a period, issue, mark paid offline,
// void), the plan catalogue and assignments, the usage price list, usage
// posted by hand and the onboarding gift pack; for a merchant its shop's
// invoices (ledger:read in the shop's domain).
func registerInvoicing(rt *httpx.Router, a *app.App) {
	read := func(method, path string, h http.HandlerFunc) {
		rt.Handle(httpx.Route{Method: method, Path: path, Perm: invoicing.PermRead, Handler: h})
	}
	manage := func(method, path string, h http.HandlerFunc) {
		rt.Handle(httpx.Route{Method: method, Path: path, Perm: invoicing.PermManage, Handler: h})
	}

	read("GET", "/api/v1/admin/invoices", func(w http.ResponseWriter, r *http.Request) {
		f, pg, err := invoiceFilter(r)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		list, err := a.Invoicing.Invoices(r.Context(), principal(r), f)
		paged(w, r, "invoices", pg, list, err)
	})
	read("GET", "/api/v1/admin/invoices/{id}", func(w http.ResponseWriter, r *http.Request) {
		inv, err := a.Invoicing.Invoice(r.Context(), principal(r), r.PathValue("id"))
		reply(w, r, http.StatusOK, inv, err)
	})
	manage("POST", "/api/v1/admin/invoices/generate", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Period string `json:"period"`
			Issue  bool   `json:"issue"`
		}
		if err := httpx.Decode(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		res, err := a.Invoicing.GeneratePeriod(r.Context(), principal(r), in.Period, in.Issue)
		reply(w, r, http.StatusOK, res, err)
	})
	manage("POST", "/api/v1/admin/invoices/{id}/issue", func(w http.ResponseWriter, r *http.Request) {
		inv, err := a.Invoicing.IssueInvoice(r.Context(), principal(r), r.PathValue("id"))
		reply(w, r, http.StatusOK, inv, err)
	})
	manage("POST", "/api/v1/admin/invoices/{id}/mark-paid", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Ref  string `json:"ref"`
			Note string `json:"note"`
		}
		if err := httpx.Decode(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		inv, err := a.Invoicing.MarkPaidOffline(r.Context(), principal(r), r.PathValue("id"), in.Ref, in.Note)
		reply(w, r, http.StatusOK, inv, err)
	})
	manage("POST", "/api/v1/admin/invoices/{id}/void", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Reason string `json:"reason"`
		}
		if err := httpx.Decode(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		inv, err := a.Invoicing.VoidInvoice(r.Context(), principal(r), r.PathValue("id"), in.Reason)
		reply(w, r, http.StatusOK, inv, err)
	})

	read("GET", "/api/v1/admin/billing/plans", func(w http.ResponseWriter, r *http.Request) {
		ps, err := a.Invoicing.Plans(r.Context(), principal(r))
		reply(w, r, http.StatusOK, map[string]any{"plans": ps}, err)
	})
	manage("POST", "/api/v1/admin/billing/plans", func(w http.ResponseWriter, r *http.Request) {
		var in invoicing.PlanInput
		if err := decodeLedger(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		p, err := a.Invoicing.CreatePlan(r.Context(), principal(r), in)
		reply(w, r, http.StatusCreated, p, err)
	})
	manage("POST", "/api/v1/admin/billing/plans/defaults", func(w http.ResponseWriter, r *http.Request) {
		ps, err := a.Invoicing.InstallDefaultPlans(r.Context(), principal(r))
		reply(w, r, http.StatusOK, map[string]any{"plans": ps}, err)
	})
	manage("PUT", "/api/v1/admin/billing/plans/{id}", func(w http.ResponseWriter, r *http.Request) {
		var in invoicing.PlanInput
		if err := decodeLedger(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		p, err := a.Invoicing.UpdatePlan(r.Context(), principal(r), r.PathValue("id"), in)
		reply(w, r, http.StatusOK, p, err)
	})
	manage("DELETE", "/api/v1/admin/billing/plans/{id}", func(w http.ResponseWriter, r *http.Request) {
		err := a.Invoicing.DeletePlan(r.Context(), principal(r), r.PathValue("id"))
		reply(w, r, http.StatusNoContent, nil, err)
	})
	read("GET", "/api/v1/admin/billing/accounts", func(w http.ResponseWriter, r *http.Request) {
		as, err := a.Invoicing.Accounts(r.Context(), principal(r))
		reply(w, r, http.StatusOK, map[string]any{"accounts": as}, err)
	})
	manage("POST", "/api/v1/admin/billing/assignments", func(w http.ResponseWriter, r *http.Request) {
		var in invoicing.AssignInput
		if err := httpx.Decode(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		as, err := a.Invoicing.Assign(r.Context(), principal(r), in)
		reply(w, r, http.StatusCreated, as, err)
	})
	read("GET", "/api/v1/admin/billing/prices", func(w http.ResponseWriter, r *http.Request) {
		ps, err := a.Invoicing.Prices(r.Context(), principal(r))
		reply(w, r, http.StatusOK, map[string]any{"prices": ps}, err)
	})
	manage("PUT", "/api/v1/admin/billing/prices/{metric}", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			UnitFen *int64 `json:"unit_fen"`
		}
		if err := decodeLedger(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		if in.UnitFen == nil {
			httpx.Error(w, r, ledgerRequired("unit_fen"))
			return
		}
		p, err := a.Invoicing.SetPrice(r.Context(), principal(r), r.PathValue("metric"), *in.UnitFen)
		reply(w, r, http.StatusOK, p, err)
	})
	manage("DELETE", "/api/v1/admin/billing/prices/{metric}", func(w http.ResponseWriter, r *http.Request) {
		err := a.Invoicing.DeletePrice(r.Context(), principal(r), r.PathValue("metric"))
		reply(w, r, http.StatusNoContent, nil, err)
	})
	manage("POST", "/api/v1/admin/billing/usage", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			OwnerID  string `json:"owner_id"`
			Metric   string `json:"metric"`
			Quantity *int64 `json:"quantity"`
			IdemKey  string `json:"idem_key"`
		}
		if err := decodeLedger(r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		if in.Quantity == nil {
			httpx.Error(w, r, ledgerRequired("quantity"))
			return
		}
		if in.IdemKey == "" {
			in.IdemKey = r.Header.Get("Idempotency-Key")
		}
		u, err := a.Invoicing.PostUsage(r.Context(), principal(r), invoicing.UsageInput{OwnerID: in.OwnerID, Metric: in.Metric,
			Quantity: *in.Quantity, IdemKey: in.IdemKey})
		status := http.StatusCreated
		if u != nil && u.Replayed {
			status = http.StatusOK
		}
		reply(w, r, status, u, err)
	})
	manage("POST", "/api/v1/admin/shops/{id}/gift-pack", func(w http.ResponseWriter, r *http.Request) {
		gs, err := a.Invoicing.GrantOnboardingPack(r.Context(), principal(r), r.PathValue("id"))
		reply(w, r, http.StatusCreated, map[string]any{"credits": gs}, err)
	})

	shop := func(path string, h http.HandlerFunc) {
		rt.Handle(httpx.Route{Method: "GET", Path: path, Perm: invoicing.PermRead, Resource: true, Handler: h})
	}
	shop("/api/v1/merchant/shops/{id}/invoices", func(w http.ResponseWriter, r *http.Request) {
		f, pg, err := invoiceFilter(r)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		list, err := a.Invoicing.ShopInvoices(r.Context(), principal(r), r.PathValue("id"), f)
		paged(w, r, "invoices", pg, list, err)
	})
	shop("/api/v1/merchant/shops/{id}/invoices/{invoice}", func(w http.ResponseWriter, r *http.Request) {
		inv, err := a.Invoicing.ShopInvoice(r.Context(), principal(r), r.PathValue("id"), r.PathValue("invoice"))
		reply(w, r, http.StatusOK, inv, err)
	})
	point := func(path string, h http.HandlerFunc) {
		rt.Handle(httpx.Route{Method: "GET", Path: path, Perm: fulfil.PermPickupView, Resource: true, Handler: h})
	}
	point("/api/v1/pickup/points/{id}/invoices", func(w http.ResponseWriter, r *http.Request) {
		f, pg, err := invoiceFilter(r)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		list, err := a.Invoicing.PointInvoices(r.Context(), principal(r), r.PathValue("id"), f)
		paged(w, r, "invoices", pg, list, err)
	})
	point("/api/v1/pickup/points/{id}/invoices/{invoice}", func(w http.ResponseWriter, r *http.Request) {
		inv, err := a.Invoicing.ShopInvoice(r.Context(), principal(r), r.PathValue("id"), r.PathValue("invoice"))
		reply(w, r, http.StatusOK, inv, err)
	})
}
