package httpapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/billing/billingtest"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/report"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// TestHTTPReports: the tenant report and a shop's statement as JSON, their
// totals against the ledger's balances, bad periods as field errors, and
// 404 for other tenants' and other merchants' shops.
func TestHTTPReports(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s, away := newMarket(t, a, h), newMarket(t, a, h)
		sh, owner := s.openShop("report-veg")
		sh2, owner2 := s.openShop("report-rice")
		awaySh, _ := away.openShop("report-away")
		post := func(ctx context.Context, fn func(ctx context.Context, tx bun.IDB) error) {
			t.Helper()
			if err := a.DB.RunInTx(ctx, fn); err != nil {
				t.Fatal(err)
			}
		}
		post(s.ctx, func(ctx context.Context, tx bun.IDB) error {
			err := a.Billing.OrderPaid(ctx, tx, billing.OrderMoney{OrderID: "o-1", OrderNumber: "N-1", ShopID: sh.ID, Tender: "stripe",
				Lines: []billing.OrderLine{{Ref: "a", NetFen: 12345, PlatformDiscountFen: 345}}, ShippingFen: 600})
			if err != nil {
				return err
			}
			if err := a.Billing.OrderPaid(ctx, tx, billing.OrderMoney{OrderID: "o-2", OrderNumber: "N-2", ShopID: sh2.ID, Tender: "offline",
				Lines: []billing.OrderLine{{Ref: "a", NetFen: 999}}}); err != nil {
				return err
			}
			if err := a.Billing.OrderRefunded(ctx, tx, billing.RefundMoney{OrderID: "o-1", Reference: "R-1",
				Lines: []billing.RefundLine{{Ref: "a", AmountFen: 1000}}}); err != nil {
				return err
			}
			if err := a.Billing.Post(ctx, tx, billing.Entry{Kind: billing.KindPayout, Reference: "po-1", Lines: []billing.Line{
				{Account: billing.ShopPayable(sh.ID), AmountFen: 5000}, {Account: billing.TenderClearing("stripe"), AmountFen: -5000}}}); err != nil {
				return err
			}
			return a.Billing.Post(ctx, tx, billing.Entry{Kind: billing.KindUsage, Reference: "sms-1", Lines: []billing.Line{
				{Account: billing.Account{Kind: billing.AccountInvoiceReceivable, Owner: sh.ID}, AmountFen: 35},
				{Account: billing.Account{Kind: billing.AccountRevenue, Owner: billing.RevenueSMS}, AmountFen: -35}}})
		})
		post(away.ctx, func(ctx context.Context, tx bun.IDB) error {
			return a.Billing.OrderPaid(ctx, tx, billing.OrderMoney{OrderID: "o-x", OrderNumber: "X-1", ShopID: awaySh.ID, Tender: "stripe",
				Lines: []billing.OrderLine{{Ref: "a", NetFen: 50000}}})
		})
		billingtest.AssertBalanced(t, d)
		balance := func(acc billing.Account) int64 {
			t.Helper()
			var n int64
			err := a.DB.RunInReadTx(s.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
				n, err = a.Billing.Balance(ctx, tx, acc)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		today := time.Now().In(s.tenant.Location())
		q := "?from=" + today.AddDate(0, 0, -1).Format("2006-01-02") + "&to=" + today.AddDate(0, 0, 1).Format("2006-01-02")

		var tr report.TenantReport
		s.admin.want(http.StatusOK, "GET", "/api/v1/admin/reports"+q, nil, &tr)
		if len(tr.Revenue) != 3 || tr.Period.Group != "day" || tr.Period.TimeZone != "Asia/Shanghai" || tr.Period.Currency != "CNY" ||
			tr.RevenueTotal.CommissionFen != -balance(billing.Commission) ||
			tr.RevenueTotal.SMSFen != -balance(billing.Account{Kind: billing.AccountRevenue, Owner: billing.RevenueSMS}) ||
			tr.RevenueTotal.PromotionFen != balance(billing.Promotion) ||
			tr.SalesTotal.GMVFen != 12345+600+999 || tr.SalesTotal.Orders != 2 || tr.SalesTotal.RefundedFen != 1000 ||
			tr.ShopsTotal.OwedFen != -balance(billing.ShopPayable(sh.ID))-balance(billing.ShopPayable(sh2.ID)) || len(tr.Shops) != 2 {
			t.Fatalf("tenant report %+v %+v %+v", tr.RevenueTotal, tr.SalesTotal, tr.ShopsTotal)
		}
		var month report.TenantReport
		s.admin.want(http.StatusOK, "GET", "/api/v1/admin/reports?group=month", nil, &month)
		if month.Period.Group != "month" || len(month.Revenue) != 12 || month.RevenueTotal != tr.RevenueTotal {
			t.Errorf("by month %+v %+v", month.Period, month.RevenueTotal)
		}
		var sr report.ShopReport
		path := "/api/v1/merchant/shops/" + sh.ID + "/reports"
		owner.want(http.StatusOK, "GET", path+q, nil, &sr)
		if sr.Shop.ID != sh.ID || sr.Shop.Name != sh.Name || len(sr.Rows) != 3 || sr.Total.OwedFen != -balance(billing.ShopPayable(sh.ID)) ||
			sr.Total.PayoutsFen != 5000 || sr.Total.BilledFen != 35 || sr.Total.InvoiceDueFen != 35 || sr.Total.SalesFen != 12945 {
			t.Fatalf("shop report %+v", sr.Total)
		}
		s.admin.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+sh2.ID+"/reports"+q, nil, &sr)
		if sr.Total.ReceivableFen != 999 {
			t.Errorf("rice %+v", sr.Total)
		}

		// Bad periods: field errors.
		var e apiError
		s.admin.want(http.StatusBadRequest, "GET", "/api/v1/admin/reports?from=2025-03-02&to=2025-03-01", nil, &e)
		if e.Error.Fields["from"] == "" {
			t.Errorf("from after to: %+v", e)
		}
		owner.want(http.StatusBadRequest, "GET", path+"?group=week&to=2025-02-30", nil, &e)
		if e.Error.Fields["group"] == "" || e.Error.Fields["to"] == "" {
			t.Errorf("bad group and day: %+v", e)
		}

		// Who may read what.
		staff := s.user("staff", authz.MerchantStaff, merchant.OwnerDomain(s.tenant.ID, sh.ID))
		staff.want(http.StatusForbidden, "GET", path, nil, nil)
		owner.want(http.StatusForbidden, "GET", "/api/v1/admin/reports", nil, nil)
		for name, c := range map[string]struct {
			who  *shopper
			path string
		}{
			"other shop's owner":            {owner2, path},
			"shopper":                       {s.user("buyer", "", ""), path},
			"other tenant's admin":          {away.admin, path},
			"other tenant's shop":           {s.admin, "/api/v1/merchant/shops/" + awaySh.ID + "/reports"},
			"unknown shop":                  {s.admin, "/api/v1/merchant/shops/" + tenants.NewID() + "/reports"},
			"not an id":                     {s.admin, "/api/v1/merchant/shops/report-veg/reports"},
			"other tenant's shop, bad date": {s.admin, "/api/v1/merchant/shops/" + awaySh.ID + "/reports?from=x"},
		} {
			if code, body := c.who.do("GET", c.path, nil); code != http.StatusNotFound {
				t.Errorf("%s: %d %s, want 404", name, code, body)
			}
		}
		if code, _ := s.anonymous().do("GET", "/api/v1/admin/reports", nil); code != http.StatusUnauthorized {
			t.Errorf("anonymous: %d", code)
		}
		// The other tenant's admin sees only that tenant's ledger.
		away.admin.want(http.StatusOK, "GET", "/api/v1/admin/reports"+q, nil, &tr)
		if tr.SalesTotal.GMVFen != 50000 || len(tr.Shops) != 1 || tr.Shops[0].ID != awaySh.ID {
			t.Errorf("other tenant %+v %+v", tr.SalesTotal, tr.Shops)
		}
	})
}
