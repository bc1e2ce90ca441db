package payment_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/billing/billingtest"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/payment"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// world is the services the tests build on (billingtest.World).
type world = billingtest.World

// env is one tenant with a district, its admin, two shops with their
// owners, a small category tree, and a ledger (billingtest.Market).
type env struct {
	*billingtest.Market
	t      *testing.T
	a      *world
	b      *billing.Service
	pay    *payment.Service
	tenant *tenants.Tenant
	ctx    context.Context
	yuelu  *tenants.Region
	admin  *identity.Principal
	shop   *merchant.Shop
	owner  *identity.Principal
	shop2  *merchant.Shop
	owner2 *identity.Principal
	cat    map[string]string // category code → id
}

func newApp(t *testing.T, d *db.DB) *world { return billingtest.NewWorld(t, d) }

func newEnv(t *testing.T, a *world) *env {
	t.Helper()
	m := billingtest.NewMarket(t, a, "pm")
	e := &env{Market: m, t: t, a: a, b: m.Ledger, tenant: m.Tenant, ctx: m.Ctx, yuelu: m.Yuelu, admin: m.Admin,
		shop: m.Shop, owner: m.Owner, shop2: m.Shop2, owner2: m.Owner2, cat: m.Cat}
	e.pay = payment.New(payment.Deps{DB: a.DB, Authz: a.Authz, Billing: e.b})
	return e
}

func (e *env) user(name, role, domain string) *identity.Principal { return e.User(name, role, domain) }

func (e *env) tx(fn func(ctx context.Context, tx bun.IDB) error) error { return e.Tx(fn) }

func (e *env) balance(acc billing.Account) int64 { return e.Balance(acc) }

func code(err error) core.Code { return core.ErrorCode(err) }

// fields returns the field errors of an Invalid error.
func fields(err error) map[string]string {
	var ce *core.Error
	if errors.As(err, &ce) {
		return ce.Fields
	}
	return nil
}
