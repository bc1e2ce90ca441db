package payment_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/payment"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// world is the services the tests build on (not core/app, so that the
// ledger's tests do not depend on every other context).
type world struct {
	DB          *db.DB
	Authz       *authz.Enforcer
	Identity    *identity.Service
	Merchants   *merchant.Service
	Provisioner *tenants.Provisioner
}

// env is one tenant with a district, its admin, two shops with their
// owners, a small category tree, and a ledger.
type env struct {
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

func newApp(t *testing.T, d *db.DB) *world {
	t.Helper()
	az, err := authz.New(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	id := identity.New(identity.Config{DB: d, Mailer: &identity.OutboxMailer{DB: d}, FastHashing: true})
	return &world{DB: d, Authz: az, Identity: id, Provisioner: &tenants.Provisioner{BaseDomain: "localhost"},
		Merchants: merchant.New(merchant.Deps{DB: d, Authz: az, Identity: id, Storage: merchant.NewLocalStorage(t.TempDir())})}
}

// tree is the categories of a test tenant: code → parent code.
var tree = [][2]string{{"fresh", ""}, {"vegetables", "fresh"}, {"meat", "fresh"}, {"grain-oil", ""}, {"rice", "grain-oil"}, {"apples", ""}}

func newEnv(t *testing.T, a *world) *env {
	t.Helper()
	ctx := context.Background()
	slug := "pm-" + strings.ReplaceAll(tenants.NewID()[24:], "-", "")
	tn, err := a.Provisioner.Create(ctx, a.DB, tenants.CreateInput{Slug: slug, Name: "网上供销社"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, a: a, tenant: tn, ctx: tenants.WithTenant(ctx, tn), cat: map[string]string{},
		b: billing.New(billing.Deps{DB: a.DB, Authz: a.Authz})}
	e.pay = payment.New(payment.Deps{DB: a.DB, Authz: a.Authz, Billing: e.b})
	err = a.DB.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) error {
		city, err := tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "changsha", Name: "长沙市"})
		if err != nil {
			return err
		}
		if e.yuelu, err = tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "yuelu", Name: "岳麓区", ParentID: city.ID}); err != nil {
			return err
		}
		for i, c := range tree {
			e.cat[c[0]] = tenants.NewID()
			var parent any
			if c[1] != "" {
				parent = e.cat[c[1]]
			}
			_, err := tx.NewRaw("INSERT INTO categories (tenant_id, id, parent_id, code, name, sort, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
				tn.ID, e.cat[c[0]], parent, c[0], c[0], i, time.Now().UTC()).Exec(ctx)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e.admin = e.user("admin", authz.TenantAdmin, authz.TenantDomain(tn.ID))
	e.shop, e.owner = e.openShop("veg")
	e.shop2, e.owner2 = e.openShop("rice")
	return e
}

func (e *env) user(name, role, domain string) *identity.Principal {
	e.t.Helper()
	email := name + "-" + tenants.NewID()[24:] + "@example.com"
	var u *identity.User
	err := e.a.DB.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		u, err = e.a.Identity.CreateUser(ctx, tx, identity.UserInput{Email: email, Name: name, Password: "correct horse battery"})
		if err != nil || role == "" {
			return err
		}
		return e.a.Authz.Assign(ctx, tx, u.ID, role, domain)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return &identity.Principal{Kind: identity.KindTenant, UserID: u.ID, TenantID: e.tenant.ID, Name: name, Email: email}
}

func (e *env) openShop(slug string) (*merchant.Shop, *identity.Principal) {
	e.t.Helper()
	owner := e.user(slug+"-owner", "", "")
	ap, err := e.a.Merchants.Apply(e.ctx, owner, merchant.ApplicationInput{
		ShopName: "岳麓山农家 " + slug, Slug: slug, ContactName: "王芳", ContactPhone: "13800138000",
		LicenceNo: "91430104MA4L1234X5", MainCategories: []string{"fresh"}, RegionID: e.yuelu.ID, ExpectedProducts: 50,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if ap, err = e.a.Merchants.Approve(e.ctx, e.admin, ap.ID); err != nil {
		e.t.Fatal(err)
	}
	sh, err := e.a.Merchants.ShopByID(e.ctx, *ap.ShopID)
	if err != nil {
		e.t.Fatal(err)
	}
	return sh, owner
}

// tx runs fn in a transaction of the tenant.
func (e *env) tx(fn func(ctx context.Context, tx bun.IDB) error) error {
	return e.a.DB.RunInTx(e.ctx, fn)
}

// balance returns the balance of account acc.
func (e *env) balance(acc billing.Account) int64 {
	e.t.Helper()
	var n int64
	err := e.a.DB.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		n, err = e.b.Balance(ctx, tx, acc)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func code(err error) core.Code { return core.ErrorCode(err) }

// fields returns the field errors of an Invalid error.
func fields(err error) map[string]string {
	var ce *core.Error
	if errors.As(err, &ce) {
		return ce.Fields
	}
	return nil
}
