package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/billing/billingtest"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/invoicing"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
)

type invoicePage struct {
	Invoices []*invoicing.Invoice `json:"invoices"`
	HasMore  bool                 `json:"has_more"`
}

// TestHTTPInvoicing: the tenant admin sets up plans, posts usage (a
// replay answers the first record; an unpriced metric and a negative
// quantity are field errors), grants the gift pack once, generates and
// issues the month, marks an invoice paid (twice: the same reference is a
// replay) and cannot void it then; the merchant sees its own shop's
// invoices only; another shop's owner, another tenant's admin and
// unknown ids get 404 on every invoice endpoint.
func TestHTTPInvoicing(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s, away := newMarket(t, a, h), newMarket(t, a, h)
		veg, owner := s.openShop("inv-veg")
		rice, owner2 := s.openShop("inv-rice")
		loc := s.tenant.Location()
		period := invoicing.PeriodOf(time.Now(), loc)

		var plans struct {
			Plans []*invoicing.Plan `json:"plans"`
		}
		s.admin.want(http.StatusOK, "GET", "/api/v1/admin/billing/plans", nil, &plans)
		if len(plans.Plans) != 2 { // provisioning installed the defaults
			t.Fatalf("plans at provisioning: %d", len(plans.Plans))
		}
		s.admin.want(http.StatusOK, "POST", "/api/v1/admin/billing/plans/defaults", nil, &plans)
		var pro invoicing.Plan
		s.admin.want(http.StatusCreated, "POST", "/api/v1/admin/billing/plans", map[string]any{"code": "pro", "name": "专业版",
			"owner_kind": "shop", "interval": "monthly", "fee_fen": 9900, "revenue_source": "plan"}, &pro)
		var e apiError
		s.admin.want(http.StatusBadRequest, "POST", "/api/v1/admin/billing/plans", map[string]any{"code": "pro", "name": "",
			"owner_kind": "shop", "interval": "weekly", "fee_fen": 1.5, "revenue_source": "plan"}, &e)
		if e.Error.Fields["fee_fen"] == "" {
			t.Fatalf("fractional fee: %+v", e)
		}
		s.admin.want(http.StatusBadRequest, "POST", "/api/v1/admin/billing/plans", map[string]any{"code": "pro", "name": "",
			"owner_kind": "shop", "interval": "weekly", "fee_fen": -1, "revenue_source": "sms"}, &e)
		for _, f := range []string{"code", "name", "interval", "fee_fen", "revenue_source"} {
			if e.Error.Fields[f] == "" {
				t.Errorf("bad plan: no error on %s: %+v", f, e.Error.Fields)
			}
		}
		owner.want(http.StatusForbidden, "POST", "/api/v1/admin/billing/plans", map[string]any{"code": "x"}, nil)
		s.admin.want(http.StatusCreated, "POST", "/api/v1/admin/billing/assignments",
			map[string]any{"owner_id": veg.ID, "plan_id": pro.ID, "starts_on": period.FirstDay()}, nil)
		s.admin.want(http.StatusBadRequest, "POST", "/api/v1/admin/billing/assignments",
			map[string]any{"owner_id": tenants.NewID(), "plan_id": pro.ID, "starts_on": period.FirstDay()}, &e)
		if e.Error.Fields["owner_id"] == "" {
			t.Fatalf("unknown owner: %+v", e)
		}

		// Usage by hand: a replay, refusals.
		usage := map[string]any{"owner_id": veg.ID, "metric": "sms", "quantity": 100, "idem_key": "sms-batch-1"}
		var u invoicing.UsageRecord
		s.admin.want(http.StatusCreated, "POST", "/api/v1/admin/billing/usage", usage, &u)
		if u.AmountFen != 500 || u.Replayed {
			t.Fatalf("usage %+v", u)
		}
		s.admin.want(http.StatusOK, "POST", "/api/v1/admin/billing/usage", usage, &u)
		if !u.Replayed {
			t.Fatalf("replay %+v", u)
		}
		for field, body := range map[string]map[string]any{
			"metric":   {"owner_id": veg.ID, "metric": "telegram", "quantity": 1, "idem_key": "x1"},
			"quantity": {"owner_id": veg.ID, "metric": "sms", "quantity": -3, "idem_key": "x2"},
			"owner_id": {"owner_id": away.tenant.ID, "metric": "sms", "quantity": 1, "idem_key": "x3"},
		} {
			e = apiError{}
			s.admin.want(http.StatusBadRequest, "POST", "/api/v1/admin/billing/usage", body, &e)
			if e.Error.Fields[field] == "" {
				t.Errorf("%s: %+v", field, e)
			}
		}
		e = apiError{}
		s.admin.want(http.StatusBadRequest, "POST", "/api/v1/admin/billing/usage", map[string]any{"owner_id": veg.ID, "metric": "sms", "idem_key": "x4"}, &e)
		if e.Error.Fields["quantity"] != i18n.T(i18n.ZH, "field.required") {
			t.Fatalf("no quantity: %+v", e)
		}
		owner.want(http.StatusForbidden, "POST", "/api/v1/admin/billing/usage", usage, nil)
		flagship, err := a.Merchants.FlagshipShop(s.ctx)
		if err != nil {
			t.Fatal(err)
		}
		e = apiError{}
		s.admin.want(http.StatusBadRequest, "POST", "/api/v1/admin/billing/usage",
			map[string]any{"owner_id": flagship.ID, "metric": "sms", "quantity": 1, "idem_key": "x5"}, &e)
		if e.Error.Fields["owner_id"] != i18n.T(i18n.ZH, "invoicing.field.owner_flagship") {
			t.Fatalf("flagship usage: %+v", e)
		}
		s.admin.want(http.StatusOK, "PUT", "/api/v1/admin/billing/prices/telegram", map[string]any{"unit_fen": 8}, nil)
		s.admin.want(http.StatusNoContent, "DELETE", "/api/v1/admin/billing/prices/telegram", nil, nil)
		s.admin.want(http.StatusNotFound, "DELETE", "/api/v1/admin/billing/prices/telegram", nil, nil)

		// The gift pack, once; not for another tenant's shop.
		s.admin.want(http.StatusCreated, "POST", "/api/v1/admin/shops/"+veg.ID+"/gift-pack", nil, nil)
		s.admin.want(http.StatusConflict, "POST", "/api/v1/admin/shops/"+veg.ID+"/gift-pack", nil, nil)
		away.admin.want(http.StatusNotFound, "POST", "/api/v1/admin/shops/"+veg.ID+"/gift-pack", nil, nil)
		var accounts struct {
			Accounts []*invoicing.Account `json:"accounts"`
		}
		s.admin.want(http.StatusOK, "GET", "/api/v1/admin/billing/accounts", nil, &accounts)
		found := false
		for _, ac := range accounts.Accounts {
			if ac.ID == veg.ID {
				found = ac.GiftPack && ac.Plan != nil && ac.Plan.ID == pro.ID && len(ac.Credits) == 2
			}
		}
		if !found {
			t.Fatalf("veg's account: %+v", accounts.Accounts)
		}

		// The month: only drafts until it ends.
		e = apiError{}
		s.admin.want(http.StatusBadRequest, "POST", "/api/v1/admin/invoices/generate", map[string]any{"period": period.String(), "issue": true}, &e)
		if e.Error.Fields["period"] != i18n.T(i18n.ZH, "invoicing.field.period_open") {
			t.Fatalf("issue an open month: %+v", e)
		}
		_, end := period.Bounds(loc)
		a.Invoicing.SetClock(func() time.Time { return end.Add(time.Hour) })
		defer a.Invoicing.SetClock(time.Now)
		var res invoicing.RunResult
		s.admin.want(http.StatusOK, "POST", "/api/v1/admin/invoices/generate", map[string]any{"period": period.String(), "issue": true}, &res)
		if res.Created != 1 || res.Issued != 1 {
			t.Fatalf("generate %+v", res)
		}
		var list invoicePage
		s.admin.want(http.StatusOK, "GET", "/api/v1/admin/invoices?period="+period.String()+"&status=open", nil, &list)
		if len(list.Invoices) != 1 || list.Invoices[0].OwnerID != veg.ID || list.Invoices[0].TotalFen != 9900+500 {
			t.Fatalf("admin list %+v", list.Invoices)
		}
		inv := list.Invoices[0]
		s.admin.want(http.StatusBadRequest, "GET", "/api/v1/admin/invoices?period=2025-13", nil, nil)
		var got invoicing.Invoice
		s.admin.want(http.StatusOK, "GET", "/api/v1/admin/invoices/"+inv.ID, nil, &got)
		if len(got.Lines) != 2 || got.DueFen != 10400 {
			t.Fatalf("invoice %+v", got)
		}

		// The merchant sees its own only.
		owner.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+veg.ID+"/invoices", nil, &list)
		if len(list.Invoices) != 1 || list.Invoices[0].ID != inv.ID {
			t.Fatalf("owner's list %+v", list.Invoices)
		}
		owner.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+veg.ID+"/invoices/"+inv.ID, nil, &got)
		owner2.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+rice.ID+"/invoices", nil, &list)
		if len(list.Invoices) != 0 {
			t.Fatalf("rice's list %+v", list.Invoices)
		}
		staff := s.user("staff", authz.MerchantStaff, merchant.OwnerDomain(s.tenant.ID, veg.ID))
		staff.want(http.StatusForbidden, "GET", "/api/v1/merchant/shops/"+veg.ID+"/invoices", nil, nil)
		for name, c := range map[string]struct {
			who          *shopper
			method, path string
		}{
			"other shop's owner, its shop":    {owner2, "GET", "/api/v1/merchant/shops/" + veg.ID + "/invoices"},
			"other shop's owner, the invoice": {owner2, "GET", "/api/v1/merchant/shops/" + veg.ID + "/invoices/" + inv.ID},
			"other shop's owner, own shop":    {owner2, "GET", "/api/v1/merchant/shops/" + rice.ID + "/invoices/" + inv.ID},
			"other tenant, merchant path":     {away.admin, "GET", "/api/v1/merchant/shops/" + veg.ID + "/invoices/" + inv.ID},
			"other tenant, get":               {away.admin, "GET", "/api/v1/admin/invoices/" + inv.ID},
			"other tenant, issue":             {away.admin, "POST", "/api/v1/admin/invoices/" + inv.ID + "/issue"},
			"other tenant, mark paid":         {away.admin, "POST", "/api/v1/admin/invoices/" + inv.ID + "/mark-paid"},
			"other tenant, void":              {away.admin, "POST", "/api/v1/admin/invoices/" + inv.ID + "/void"},
			"other tenant, plan":              {away.admin, "PUT", "/api/v1/admin/billing/plans/" + pro.ID},
			"other tenant, delete plan":       {away.admin, "DELETE", "/api/v1/admin/billing/plans/" + pro.ID},
			"unknown invoice":                 {s.admin, "GET", "/api/v1/admin/invoices/" + tenants.NewID()},
			"malformed invoice id":            {s.admin, "GET", "/api/v1/admin/invoices/nope"},
			"unknown shop":                    {s.admin, "GET", "/api/v1/merchant/shops/" + tenants.NewID() + "/invoices"},
		} {
			var body map[string]any
			switch c.path[len(c.path)-4:] {
			case "paid":
				body = map[string]any{"ref": "R-9"}
			case "void":
				body = map[string]any{"reason": "x"}
			}
			if c.method == "PUT" {
				body = map[string]any{"name": "x", "interval": "monthly", "fee_fen": 1, "revenue_source": "plan"}
			}
			if code, resp := c.who.do(c.method, c.path, body); code != http.StatusNotFound {
				t.Errorf("%s: %d %s, want 404", name, code, resp)
			}
		}

		// Paid offline, twice with the same receipt; then it cannot be voided.
		e = apiError{}
		s.admin.want(http.StatusBadRequest, "POST", "/api/v1/admin/invoices/"+inv.ID+"/mark-paid", map[string]any{"ref": ""}, &e)
		if e.Error.Fields["ref"] != i18n.T(i18n.ZH, "field.required") {
			t.Fatalf("no receipt: %+v", e)
		}
		for range 2 {
			s.admin.want(http.StatusOK, "POST", "/api/v1/admin/invoices/"+inv.ID+"/mark-paid", map[string]any{"ref": "RCPT-7", "note": "现金"}, &got)
			if got.Status != invoicing.StatusPaid || got.PaidFen != 10400 || len(got.Payments) != 1 {
				t.Fatalf("paid %+v", got)
			}
		}
		s.admin.want(http.StatusConflict, "POST", "/api/v1/admin/invoices/"+inv.ID+"/void", map[string]any{"reason": "x"}, nil)
		s.admin.want(http.StatusConflict, "DELETE", "/api/v1/admin/billing/plans/"+pro.ID, nil, nil)
		billingtest.AssertBalanced(t, d)
	})
}
