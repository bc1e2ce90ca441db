package invoicing_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/billing/billingtest"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/invoicing"
	"github.com/jishi-dev/jishi/core/jobs"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// env is a market (billingtest.Market: a tenant, its admin, two shops
// with their owners) with platform billing on a clock the test moves.
type env struct {
	*billingtest.Market
	t   *testing.T
	d   *db.DB
	inv *invoicing.Service
	now time.Time
	// period is the month the test bills: the real current one, so that
	// the ledger's own entries (orders, with the real time) fall in it.
	period invoicing.Period
	loc    *time.Location
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	m := billingtest.NewMarket(t, billingtest.NewWorld(t, d), "iv")
	e := &env{Market: m, t: t, d: d, now: time.Now(), loc: m.Tenant.Location()}
	e.period = invoicing.PeriodOf(e.now, e.loc)
	e.inv = invoicing.New(invoicing.Deps{DB: d, Authz: m.W.Authz, Ledger: m.Ledger})
	e.inv.SetClock(func() time.Time { return e.now })
	return e
}

// withJobs gives the service a job queue (not started).
func (e *env) withJobs() *jobs.Service {
	e.t.Helper()
	j, err := jobs.New(e.d, jobs.Config{})
	if err != nil {
		e.t.Fatal(err)
	}
	e.inv.Jobs = j
	return j
}

// afterPeriod moves the clock to an hour after period p ends.
func (e *env) afterPeriod(p invoicing.Period) {
	_, end := p.Bounds(e.loc)
	e.now = end.Add(time.Hour)
}

// point adds a pickup point of the market.
func (e *env) point(name string) *fulfil.PickupPoint {
	e.t.Helper()
	now := time.Now().UTC()
	pt := &fulfil.PickupPoint{TenantID: e.Tenant.ID, ID: tenants.NewID(), Name: name, Address: "岳麓区麓山路 8 号",
		RegionID: e.Yuelu.ID, Active: true, CreatedAt: now, UpdatedAt: now}
	if err := e.Tx(func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.NewInsert().Model(pt).Exec(ctx)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return pt
}

// record records usage in a transaction of its own.
func (e *env) record(in invoicing.UsageInput) (*invoicing.UsageRecord, error) {
	var u *invoicing.UsageRecord
	err := e.Tx(func(ctx context.Context, tx bun.IDB) (err error) {
		u, err = e.inv.Record(ctx, tx, in)
		return err
	})
	return u, err
}

// mustRecord records usage or fails.
func (e *env) mustRecord(owner, metric string, qty int64, key string) {
	e.t.Helper()
	if in, err := e.record(invoicing.UsageInput{OwnerID: owner, Metric: metric, Quantity: qty, IdemKey: key, Source: "test"}); err != nil {
		e.t.Fatalf("record %s: %v", metric, err)
	} else if in.Replayed {
		e.t.Fatalf("record %s %s: replayed", metric, key)
	}
}

// pluginUsage adds a plugin's usage row as the host callback writes it.
func (e *env) pluginUsage(plugin, shopID, metric string, qty int64) {
	e.t.Helper()
	err := e.Tx(func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.NewRaw(`INSERT INTO plugin_usage (tenant_id, id, plugin, shop_id, metric, quantity, idem_key, occurred_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.Tenant.ID, tenants.NewID(), plugin, shopID, metric, qty, tenants.NewID(), time.Now().UTC()).Exec(ctx)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// sale posts an order of shop paid offline with goods of net fen (5 %
// commission by default): the platform then owes the shop net − 5 %.
func (e *env) sale(shop *merchant.Shop, ref string, net int64) {
	e.t.Helper()
	err := e.Tx(func(ctx context.Context, tx bun.IDB) error {
		return e.Ledger.OrderPaid(ctx, tx, billing.OrderMoney{OrderID: ref, OrderNumber: "N-" + ref, ShopID: shop.ID, Tender: "offline",
			Lines: []billing.OrderLine{{Ref: "a", NetFen: net}}})
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// generate runs Generate in a transaction of its own.
func (e *env) generate(p invoicing.Period, issue bool) (*invoicing.RunResult, error) {
	var res *invoicing.RunResult
	err := e.Tx(func(ctx context.Context, tx bun.IDB) (err error) {
		res, err = e.inv.Generate(ctx, tx, p.String(), issue, "")
		return err
	})
	return res, err
}

// invoiceOf returns owner's invoice of period p.
func (e *env) invoiceOf(owner string, p invoicing.Period) *invoicing.Invoice {
	e.t.Helper()
	list, err := e.inv.Invoices(e.Ctx, e.Admin, invoicing.Filter{Period: p.String(), OwnerID: owner})
	if err != nil || len(list) != 1 {
		e.t.Fatalf("invoice of %s in %s: %v %d", owner, p, err, len(list))
	}
	full, err := e.inv.Invoice(e.Ctx, e.Admin, list[0].ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return full
}

// counts is the number of the tenant's journal entries, usage records
// and invoices.
func (e *env) counts() (entries, usage, invoices int) {
	e.t.Helper()
	err := e.W.DB.RunInReadTx(e.Ctx, func(ctx context.Context, tx bun.IDB) error {
		for _, c := range []struct {
			table string
			n     *int
		}{{"journal_entries", &entries}, {"usage_records", &usage}, {"invoices", &invoices}} {
			n, err := tx.NewSelect().Table(c.table).Where("tenant_id = ?", e.Tenant.ID).Count(ctx)
			if err != nil {
				return err
			}
			*c.n = int(n)
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return
}

var receivable, revenue = billing.InvoiceReceivable, billing.Revenue

func fields(err error) map[string]string {
	var ce *core.Error
	if errors.As(err, &ce) {
		return ce.Fields
	}
	return nil
}

func code(err error) core.Code { return core.ErrorCode(err) }
