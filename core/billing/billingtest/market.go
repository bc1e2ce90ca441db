package billingtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// World is the services the money tests build on (not core/app, so that
// the ledger's and payments' tests do not depend on every other context).
type World struct {
	DB          *db.DB
	Authz       *authz.Enforcer
	Identity    *identity.Service
	Merchants   *merchant.Service
	Provisioner *tenants.Provisioner
}

// NewWorld builds the services on d.
func NewWorld(t *testing.T, d *db.DB) *World {
	t.Helper()
	az, err := authz.New(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	id := identity.New(identity.Config{DB: d, Mailer: &identity.OutboxMailer{DB: d}, FastHashing: true})
	return &World{DB: d, Authz: az, Identity: id, Provisioner: &tenants.Provisioner{BaseDomain: "localhost"},
		Merchants: merchant.New(merchant.Deps{DB: d, Authz: az, Identity: id, Storage: merchant.NewLocalStorage(t.TempDir())})}
}

// Tree is the categories of a test market: code → parent code.
var Tree = [][2]string{{"fresh", ""}, {"vegetables", "fresh"}, {"meat", "fresh"}, {"grain-oil", ""}, {"rice", "grain-oil"}, {"apples", ""}}

// Market is one tenant with a district (岳麓区 of 长沙市), its admin, two
// shops (veg, rice) with their owners, the Tree of categories, and a
// ledger.
type Market struct {
	T      *testing.T
	W      *World
	Ledger *billing.Service
	Tenant *tenants.Tenant
	Ctx    context.Context
	Yuelu  *tenants.Region
	Admin  *identity.Principal
	Shop   *merchant.Shop
	Owner  *identity.Principal
	Shop2  *merchant.Shop
	Owner2 *identity.Principal
	Cat    map[string]string // category code → id
}

// NewMarket provisions a market whose slug starts with prefix.
func NewMarket(t *testing.T, w *World, prefix string) *Market {
	t.Helper()
	ctx := context.Background()
	slug := prefix + "-" + strings.ReplaceAll(tenants.NewID()[24:], "-", "")
	tn, err := w.Provisioner.Create(ctx, w.DB, tenants.CreateInput{Slug: slug, Name: "网上供销社"})
	if err != nil {
		t.Fatal(err)
	}
	m := &Market{T: t, W: w, Tenant: tn, Ctx: tenants.WithTenant(ctx, tn), Cat: map[string]string{},
		Ledger: billing.New(billing.Deps{DB: w.DB, Authz: w.Authz})}
	err = w.DB.RunInTx(m.Ctx, func(ctx context.Context, tx bun.IDB) error {
		city, err := tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "changsha", Name: "长沙市"})
		if err != nil {
			return err
		}
		if m.Yuelu, err = tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "yuelu", Name: "岳麓区", ParentID: city.ID}); err != nil {
			return err
		}
		for i, c := range Tree {
			m.Cat[c[0]] = tenants.NewID()
			var parent any
			if c[1] != "" {
				parent = m.Cat[c[1]]
			}
			_, err := tx.NewRaw("INSERT INTO categories (tenant_id, id, parent_id, code, name, sort, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
				tn.ID, m.Cat[c[0]], parent, c[0], c[0], i, time.Now().UTC()).Exec(ctx)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m.Admin = m.User("admin", authz.TenantAdmin, authz.TenantDomain(tn.ID))
	m.Shop, m.Owner = m.OpenShop("veg")
	m.Shop2, m.Owner2 = m.OpenShop("rice")
	return m
}

// User creates an account of the market, with role in domain unless role
// is empty.
func (m *Market) User(name, role, domain string) *identity.Principal {
	m.T.Helper()
	email := name + "-" + tenants.NewID()[24:] + "@example.com"
	var u *identity.User
	err := m.W.DB.RunInTx(m.Ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		u, err = m.W.Identity.CreateUser(ctx, tx, identity.UserInput{Email: email, Name: name, Password: "correct horse battery"})
		if err != nil || role == "" {
			return err
		}
		return m.W.Authz.Assign(ctx, tx, u.ID, role, domain)
	})
	if err != nil {
		m.T.Fatal(err)
	}
	return &identity.Principal{Kind: identity.KindTenant, UserID: u.ID, TenantID: m.Tenant.ID, Name: name, Email: email}
}

// OpenShop has a new owner apply for shop slug and the admin approve it.
func (m *Market) OpenShop(slug string) (*merchant.Shop, *identity.Principal) {
	m.T.Helper()
	owner := m.User(slug+"-owner", "", "")
	ap, err := m.W.Merchants.Apply(m.Ctx, owner, merchant.ApplicationInput{
		ShopName: "岳麓山农家 " + slug, Slug: slug, ContactName: "王芳", ContactPhone: "13800138000",
		LicenceNo: "91430104MA4L1234X5", MainCategories: []string{"fresh"}, RegionID: m.Yuelu.ID, ExpectedProducts: 50,
	})
	if err != nil {
		m.T.Fatal(err)
	}
	if ap, err = m.W.Merchants.Approve(m.Ctx, m.Admin, ap.ID); err != nil {
		m.T.Fatal(err)
	}
	sh, err := m.W.Merchants.ShopByID(m.Ctx, *ap.ShopID)
	if err != nil {
		m.T.Fatal(err)
	}
	return sh, owner
}

// Tx runs fn in a transaction of the market's tenant.
func (m *Market) Tx(fn func(ctx context.Context, tx bun.IDB) error) error {
	return m.W.DB.RunInTx(m.Ctx, fn)
}

// Balance returns the balance of account acc.
func (m *Market) Balance(acc billing.Account) int64 {
	m.T.Helper()
	var n int64
	err := m.W.DB.RunInReadTx(m.Ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		n, err = m.Ledger.Balance(ctx, tx, acc)
		return err
	})
	if err != nil {
		m.T.Fatal(err)
	}
	return n
}
