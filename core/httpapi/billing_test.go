package httpapi_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/billing/billingtest"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/payment"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// categoryID returns the id of the market's category with code.
func (s *market) ledgerCategory(code string) string {
	s.t.Helper()
	var id string
	err := s.a.DB.RunInReadTx(s.ctx, func(ctx context.Context, tx bun.IDB) error {
		tree, err := catalog.Tree(ctx, tx)
		for _, c := range tree {
			for _, k := range c.Children {
				if k.Code == code {
					id = k.ID
				}
			}
		}
		return err
	})
	if err != nil || id == "" {
		s.t.Fatalf("category %s: %v", code, err)
	}
	return id
}

type statementPage struct {
	ShopID        string                   `json:"shop_id"`
	OwedFen       int64                    `json:"owed_fen"`
	ReceivableFen int64                    `json:"receivable_fen"`
	Lines         []*billing.StatementLine `json:"lines"`
	HasMore       bool                     `json:"has_more"`
}

func TestHTTPShopStatementAndSummary(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s, away := newMarket(t, a, h), newMarket(t, a, h)
		sh, owner := s.openShop("ledger-veg")
		_, owner2 := s.openShop("ledger-rice")
		for i, net := range []int64{1000, 2000} {
			err := a.DB.RunInTx(s.ctx, func(ctx context.Context, tx bun.IDB) error {
				return a.Billing.OrderPaid(ctx, tx, billing.OrderMoney{OrderID: "o-" + strconv.Itoa(i), OrderNumber: "N-" + strconv.Itoa(i),
					ShopID: sh.ID, Tender: "offline", Lines: []billing.OrderLine{{Ref: "a", NetFen: net}}})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		path := "/api/v1/merchant/shops/" + sh.ID + "/statement"
		var st statementPage
		owner.want(http.StatusOK, "GET", path+"?limit=1", nil, &st)
		if st.OwedFen != 950+1900 || st.ReceivableFen != 3000 || len(st.Lines) != 1 || !st.HasMore ||
			st.Lines[0].Reference != "N-1" || st.Lines[0].BalanceFen != 2850 {
			t.Fatalf("statement %+v", st)
		}
		s.admin.want(http.StatusOK, "GET", path+"?offset=1", nil, &st)
		if len(st.Lines) != 1 || st.HasMore || st.Lines[0].BalanceFen != 950 || st.Lines[0].OwedFen != 950 {
			t.Fatalf("second page %+v", st)
		}
		var e apiError
		owner.want(http.StatusBadRequest, "GET", path+"?limit=0", nil, &e)
		if e.Error.Fields["limit"] == "" {
			t.Fatalf("limit: %+v", e)
		}
		staff := s.user("staff", authz.MerchantStaff, merchant.OwnerDomain(s.tenant.ID, sh.ID))
		staff.want(http.StatusForbidden, "GET", path, nil, nil)
		for name, who := range map[string]*shopper{"other shop's owner": owner2, "shopper": s.user("buyer", "", ""),
			"other tenant's admin": away.admin} {
			if code, body := who.do("GET", path, nil); code != http.StatusNotFound {
				t.Errorf("%s: %d %s, want 404", name, code, body)
			}
		}
		if code, _ := s.admin.do("GET", "/api/v1/merchant/shops/"+tenants.NewID()+"/statement", nil); code != http.StatusNotFound {
			t.Errorf("unknown shop: %d", code)
		}
		if code, _ := s.anonymous().do("GET", path, nil); code != http.StatusUnauthorized {
			t.Errorf("anonymous: %d", code)
		}

		var sum billing.Summary
		s.admin.want(http.StatusOK, "GET", "/api/v1/admin/ledger/summary", nil, &sum)
		if sum.SumFen != 0 || sum.Entries != 2 || len(sum.Kinds) != len(billing.AccountKinds) {
			t.Fatalf("summary %+v", sum)
		}
		owner.want(http.StatusForbidden, "GET", "/api/v1/admin/ledger/summary", nil, nil)
		away.admin.want(http.StatusOK, "GET", "/api/v1/admin/ledger/summary", nil, &sum)
		if sum.Entries != 0 {
			t.Fatalf("other tenant's summary %+v", sum)
		}
		billingtest.AssertBalanced(t, d)
	})
}

func TestHTTPCommissionRates(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s, away := newMarket(t, a, h), newMarket(t, a, h)
		sh, owner := s.openShop("rates-veg")
		veg := s.ledgerCategory("vegetables")
		const base = "/api/v1/admin/commission-rates"
		var cr billing.CommissionRate
		s.admin.want(http.StatusOK, "PUT", base+"/category/"+veg, map[string]any{"rate_bp": 300}, &cr)
		if cr.RateBP != 300 || cr.Scope != "category" || cr.TargetName != "蔬菜" {
			t.Fatalf("set %+v", cr)
		}
		s.admin.want(http.StatusOK, "PUT", base+"/shop/"+sh.ID, map[string]any{"rate_bp": 0}, &cr)
		// Bad rates: field errors, nothing changes.
		for _, bad := range []string{`{"rate_bp": 1.5}`, `{"rate_bp": -1}`, `{"rate_bp": 10001}`, `{"rate_bp": 1e20}`,
			`{"rate_bp": "300"}`, `{}`, `{"rate_bp": 99999999999999999999}`} {
			code, body := s.admin.send("PUT", base+"/category/"+veg, []byte(bad), "application/json")
			if code != http.StatusBadRequest || !strings.Contains(string(body), `"rate_bp"`) {
				t.Errorf("%s: %d %s", bad, code, body)
			}
		}
		s.admin.want(http.StatusBadRequest, "PUT", base+"/category/"+veg, map[string]any{"rate_bp": 1, "rate": 2}, nil)
		var list billing.CommissionRates
		s.admin.want(http.StatusOK, "GET", base, nil, &list)
		if list.DefaultBP != 500 || len(list.Overrides) != 2 || list.Overrides[0].Scope != "shop" || list.Overrides[0].RateBP != 0 ||
			list.Overrides[1].RateBP != 300 {
			t.Fatalf("list %+v", list.Overrides)
		}
		// Ids that are not the tenant's, unknown scopes, other people.
		for name, c := range map[string]struct {
			who  *shopper
			path string
			want int
		}{
			"unknown category":    {s.admin, base + "/category/" + tenants.NewID(), http.StatusNotFound},
			"other's category":    {s.admin, base + "/category/" + away.ledgerCategory("rice"), http.StatusNotFound},
			"not an id":           {s.admin, base + "/category/vegetables", http.StatusNotFound},
			"unknown scope":       {s.admin, base + "/region/" + veg, http.StatusNotFound},
			"other tenant's shop": {away.admin, base + "/shop/" + sh.ID, http.StatusNotFound},
			"owner":               {owner, base + "/shop/" + sh.ID, http.StatusForbidden},
		} {
			if code, body := c.who.do("PUT", c.path, map[string]any{"rate_bp": 100}); code != c.want {
				t.Errorf("%s: %d %s, want %d", name, code, body, c.want)
			}
		}
		owner.want(http.StatusForbidden, "GET", base, nil, nil)
		owner.want(http.StatusForbidden, "DELETE", base+"/category/"+veg, nil, nil)
		away.admin.want(http.StatusNotFound, "DELETE", base+"/category/"+veg, nil, nil)
		s.admin.want(http.StatusOK, "GET", base, nil, &list)
		if len(list.Overrides) != 2 || list.Overrides[1].RateBP != 300 {
			t.Fatalf("refused changes changed %+v", list.Overrides)
		}
		s.admin.want(http.StatusNoContent, "DELETE", base+"/category/"+veg, nil, nil)
		s.admin.want(http.StatusNotFound, "DELETE", base+"/category/"+veg, nil, nil)
		s.admin.want(http.StatusOK, "GET", base, nil, &list)
		if len(list.Overrides) != 1 {
			t.Fatalf("after delete %+v", list.Overrides)
		}
	})
}

func TestHTTPBalance(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s, away := newMarket(t, a, h), newMarket(t, a, h)
		_, owner := s.openShop("balance-veg")
		buyer := s.user("buyer", "", "")
		var b payment.CustomerBalance
		buyer.want(http.StatusOK, "GET", "/api/v1/me/balance", nil, &b)
		if b.BalanceFen != 0 || b.UserID != buyer.userID {
			t.Fatalf("new balance %+v", b)
		}
		path := "/api/v1/admin/customers/" + buyer.userID + "/balance-credits"
		for _, c := range []struct{ body, field string }{
			{`{"amount_fen": 0, "reason": "x"}`, "amount_fen"},
			{`{"amount_fen": -5, "reason": "x"}`, "amount_fen"},
			{`{"amount_fen": 1.5, "reason": "x"}`, "amount_fen"},
			{`{"amount_fen": 1e20, "reason": "x"}`, "amount_fen"},
			{`{"amount_fen": 100000001, "reason": "x"}`, "amount_fen"},
			{`{"amount_fen": "500", "reason": "x"}`, "amount_fen"},
			{`{"reason": "x"}`, "amount_fen"},
			{`{"amount_fen": 500}`, "reason"},
			{`{"amount_fen": 500, "reason": "   "}`, "reason"},
		} {
			code, body := s.admin.send("POST", path, []byte(c.body), "application/json")
			if code != http.StatusBadRequest || !strings.Contains(string(body), `"`+c.field+`"`) {
				t.Errorf("%s: %d %s", c.body, code, body)
			}
		}
		for name, c := range map[string]struct {
			who  *shopper
			path string
			want int
		}{
			"unknown user":           {s.admin, "/api/v1/admin/customers/" + tenants.NewID() + "/balance-credits", http.StatusNotFound},
			"not an id":              {s.admin, "/api/v1/admin/customers/buyer/balance-credits", http.StatusNotFound},
			"other tenant's shopper": {s.admin, "/api/v1/admin/customers/" + away.admin.userID + "/balance-credits", http.StatusNotFound},
			"other tenant's admin":   {away.admin, path, http.StatusNotFound},
			"owner":                  {owner, path, http.StatusForbidden},
			"the shopper":            {buyer, path, http.StatusForbidden},
		} {
			if code, body := c.who.do("POST", c.path, map[string]any{"amount_fen": 500, "reason": "测试"}); code != c.want {
				t.Errorf("%s: %d %s, want %d", name, code, body, c.want)
			}
		}
		buyer.want(http.StatusOK, "GET", "/api/v1/me/balance", nil, &b)
		if b.BalanceFen != 0 {
			t.Fatalf("refused credits credited %+v", b)
		}
		s.admin.want(http.StatusCreated, "POST", path, map[string]any{"amount_fen": 500, "reason": "补偿：配送延误"}, &b)
		if b.BalanceFen != 500 {
			t.Fatalf("credited %+v", b)
		}
		buyer.want(http.StatusOK, "GET", "/api/v1/me/balance", nil, &b)
		if b.BalanceFen != 500 {
			t.Fatalf("my balance %+v", b)
		}
		if code, _ := s.anonymous().do("GET", "/api/v1/me/balance", nil); code != http.StatusUnauthorized {
			t.Errorf("anonymous balance: %d", code)
		}
		var sum billing.Summary
		s.admin.want(http.StatusOK, "GET", "/api/v1/admin/ledger/summary", nil, &sum)
		for _, k := range sum.Kinds {
			if (k.Kind == billing.AccountPlatformCash && k.BalanceFen != 500) || (k.Kind == billing.AccountCustomerBalance && k.BalanceFen != -500) {
				t.Fatalf("summary %+v", sum)
			}
		}
		if sum.SumFen != 0 || sum.Entries != 1 {
			t.Fatalf("summary %+v", sum)
		}
		billingtest.AssertBalanced(t, d)
	})
}
