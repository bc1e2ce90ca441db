package invoicing_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/billing/billingtest"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/invoicing"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
)

// The month-end benchmark's size: the goal is 1,000 shops × 100
// usage records each in under 60 s.
const (
	benchShops        = 1000
	benchRecordsPerSh = 100
)

// BenchmarkMonthEndInvoicing generates and issues one month of a tenant
// of 1,000 shops with 100 usage records each (SMS, ad-slot days, storage
// and courier orders, recorded through Record), every shop on a monthly
// plan, half of them owed money by the platform (an order paid offline,
// so the invoice settles from the payable balance), a tenth with the
// onboarding gift pack (credits), and a group-buy plugin's usage for a
// tenth. The set-up is outside the timer; ns/op is one month end
// (Generate with issue: 1,000 invoices with their lines and ledger
// entries, in one transaction), on SQLite and on PostgreSQL.
func BenchmarkMonthEndInvoicing(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchMonthEnd(b, dbtest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { benchMonthEnd(b, dbtest.Postgres(b)) })
}

func benchMonthEnd(b *testing.B, d *db.DB) {
	b.ResetTimer() // not the database's creation
	for range b.N {
		b.StopTimer()
		t0 := time.Now()
		svc, ctx, period := benchMarket(b, d)
		setup := time.Since(t0)
		b.StartTimer()
		start := time.Now()
		var res *invoicing.RunResult
		err := d.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
			res, err = svc.Generate(ctx, tx, period.String(), true, "")
			return err
		})
		took := time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if res.Created != benchShops || res.Issued != benchShops {
			b.Fatalf("month end: %+v", res)
		}
		b.ReportMetric(float64(res.Issued), "invoices/op")
		b.ReportMetric(took.Seconds(), "s/month-end")
		b.Logf("%s: set-up %s (%d records), month end %s: %+v", d.Engine, setup.Round(time.Millisecond),
			benchShops*benchRecordsPerSh, took.Round(time.Millisecond), res)
		billingtest.AssertBalanced(b, d)
		b.StartTimer()
	}
}

// benchMarket provisions a tenant with benchShops shops and their month
// of usage; it returns the service with its clock after the month, the
// tenant's context and the month.
func benchMarket(b *testing.B, d *db.DB) (*invoicing.Service, context.Context, invoicing.Period) {
	b.Helper()
	ctx := context.Background()
	prov := &tenants.Provisioner{BaseDomain: "localhost"}
	tn, err := prov.Create(ctx, d, tenants.CreateInput{Slug: "bench-" + strings.ReplaceAll(tenants.NewID()[24:], "-", ""), Name: "网上供销社"})
	if err != nil {
		b.Fatal(err)
	}
	ctx = tenants.WithTenant(ctx, tn)
	az, err := authz.New(ctx, d)
	if err != nil {
		b.Fatal(err)
	}
	ledger := billing.New(billing.Deps{DB: d, Authz: az})
	svc := invoicing.New(invoicing.Deps{DB: d, Authz: az, Ledger: ledger})
	now := time.Now()
	svc.SetClock(func() time.Time { return now })
	period := invoicing.PeriodOf(now, tn.Location())

	shops := make([]*merchant.Shop, benchShops)
	for i := range shops {
		t := time.Now().UTC()
		shops[i] = &merchant.Shop{TenantID: tn.ID, ID: tenants.NewID(), Slug: fmt.Sprintf("shop-%04d", i), Name: fmt.Sprintf("农家小店 %04d", i),
			Status: merchant.ShopActive, CreatedAt: t, UpdatedAt: t}
	}
	must := func(err error) {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
	}
	must(d.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := tx.NewInsert().Model(&shops).Exec(ctx); err != nil {
			return err
		}
		return svc.InstallDefaults(ctx, tx)
	}))
	admin := benchAdmin(b, d, ctx, az, tn)
	pro, err := svc.CreatePlan(ctx, admin, invoicing.PlanInput{Code: "pro", Name: "专业版", OwnerKind: invoicing.OwnerShop,
		Interval: invoicing.Monthly, FeeFen: ptr(int64(9900)), RevenueSource: billing.RevenuePlan})
	must(err)
	_, err = svc.SetPrice(ctx, admin, "groupbuy.campaign", 2000)
	must(err)
	for i, sh := range shops {
		_, err := svc.Assign(ctx, admin, invoicing.AssignInput{OwnerID: sh.ID, PlanID: pro.ID, StartsOn: period.FirstDay()})
		must(err)
		if i%10 == 0 {
			_, err := svc.GrantOnboardingPack(ctx, admin, sh.ID)
			must(err)
		}
	}
	// Half the shops sold something paid offline: the platform owes them.
	var sales []billing.OrderMoney
	for i, sh := range shops {
		if i%2 == 0 {
			sales = append(sales, billing.OrderMoney{OrderID: "o-" + sh.ID, OrderNumber: "N" + sh.Slug, ShopID: sh.ID, Tender: "offline",
				Lines: []billing.OrderLine{{Ref: "a", NetFen: int64(5000 + 100*i)}}})
		}
	}
	must(d.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error { return ledger.OrdersPaid(ctx, tx, sales) }))
	metrics := []string{invoicing.MetricSMS, invoicing.MetricAdSlotDay, invoicing.MetricStorage, invoicing.MetricShippingOrder}
	for from := 0; from < benchShops; from += 50 {
		must(d.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			for _, sh := range shops[from:min(from+50, benchShops)] {
				for n := range benchRecordsPerSh {
					_, err := svc.Record(ctx, tx, invoicing.UsageInput{OwnerID: sh.ID, Metric: metrics[n%len(metrics)],
						Quantity: int64(1 + n%7), IdemKey: fmt.Sprintf("%s-%d", sh.ID, n), Source: "bench"})
					if err != nil {
						return err
					}
				}
			}
			return nil
		}))
	}
	must(d.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		for i, sh := range shops {
			if i%10 == 5 {
				if _, err := tx.NewRaw(`INSERT INTO plugin_usage (tenant_id, id, plugin, shop_id, metric, quantity, idem_key, occurred_at)
					VALUES (?, ?, 'groupbuy', ?, 'groupbuy.campaign', 1, ?, ?)`, tn.ID, tenants.NewID(), sh.ID, "c-"+sh.ID, now.UTC()).Exec(ctx); err != nil {
					return err
				}
			}
		}
		return nil
	}))
	_, end := period.Bounds(tn.Location())
	now = end.Add(time.Hour)
	return svc, ctx, period
}

// benchAdmin creates the tenant's admin account.
func benchAdmin(b *testing.B, d *db.DB, ctx context.Context, az *authz.Enforcer, tn *tenants.Tenant) *identity.Principal {
	b.Helper()
	ids := identity.New(identity.Config{DB: d, Mailer: &identity.OutboxMailer{DB: d}, FastHashing: true})
	var u *identity.User
	err := d.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		u, err = ids.CreateUser(ctx, tx, identity.UserInput{Email: "admin-" + tn.Slug + "@example.com", Name: "admin", Password: "correct horse battery"})
		if err != nil {
			return err
		}
		return az.Assign(ctx, tx, u.ID, authz.TenantAdmin, authz.TenantDomain(tn.ID))
	})
	if err != nil {
		b.Fatal(err)
	}
	return &identity.Principal{Kind: identity.KindTenant, UserID: u.ID, TenantID: tn.ID, Name: "admin"}
}
