package catalog_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
)

// BenchmarkImport10k imports a file of 10,000 lines (5,000 products of two
// SKUs, active, so every one is indexed for search) into an empty shop,
// in one transaction: COPY on PostgreSQL, batched INSERTs on SQLite.
//
//	JISHI_TEST_POSTGRES=… go test ./core/catalog -run '^$' -bench Import10k -benchtime 3x
func BenchmarkImport10k(b *testing.B) {
	for _, c := range []struct {
		name string
		open func(testing.TB) *db.DB
	}{{"postgres", dbtest.Postgres}, {"sqlite", dbtest.SQLite}} {
		b.Run(c.name, func(b *testing.B) {
			d := c.open(b)
			a, err := app.NewWithDB(context.Background(), app.Config{FastHashing: true, DataDir: b.TempDir()}, d)
			if err != nil {
				b.Fatal(err)
			}
			a.Imports.SyncRows = catalog.MaxImportRows // import in the call
			ctx, owner := benchTenant(b, a)
			var f strings.Builder
			f.WriteString("商品编号,商品名称,分类编码,规格,售价,划线价,成本价,重量,规格编码,状态,产地,认证\n")
			for i := range 5000 {
				fmt.Fprintf(&f, "P%05d,湘潭湘莲%05d,vegetables,500g,12.80,15,6.5,500,X%05d-S,在售,湘潭,有机\n", i, i, i)
				fmt.Fprintf(&f, "P%05d,,,1kg,24.00,28,12,1000,X%05d-L,,,\n", i, i)
			}
			data := []byte(f.String())
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				sh, shopOwner := benchShop(b, a, ctx, owner, i)
				b.StartTimer()
				im, err := a.Imports.Start(ctx, shopOwner, sh.ID, "bench.csv", data)
				if err != nil || im.Status != catalog.ImportDone || im.SKUs != 10000 {
					b.Fatalf("import: %v %+v", err, im)
				}
			}
			b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// benchTenant provisions a tenant with a tenant admin, who approves the
// benchmark's shops.
func benchTenant(b *testing.B, a *app.App) (context.Context, *identity.Principal) {
	b.Helper()
	ctx := context.Background()
	slug := "bi-" + strings.ReplaceAll(tenants.NewID()[24:], "-", "")
	tn, err := a.Provisioner.Create(ctx, a.DB, tenants.CreateInput{Slug: slug, Name: "网上供销社"})
	if err != nil {
		b.Fatal(err)
	}
	ctx = tenants.WithTenant(ctx, tn)
	var u *identity.User
	err = a.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		if u, err = a.Identity.CreateUser(ctx, tx, identity.UserInput{Email: slug + "@example.com", Name: "admin", Password: "correct horse battery"}); err != nil {
			return err
		}
		return a.Authz.Assign(ctx, tx, u.ID, authz.TenantAdmin, authz.TenantDomain(tn.ID))
	})
	if err != nil {
		b.Fatal(err)
	}
	return ctx, &identity.Principal{Kind: identity.KindTenant, UserID: u.ID, TenantID: tn.ID, Name: "admin", Email: slug + "@example.com"}
}

func benchShop(b *testing.B, a *app.App, ctx context.Context, admin *identity.Principal, i int) (*merchant.Shop, *identity.Principal) {
	b.Helper()
	var region *tenants.Region
	var u *identity.User
	email := fmt.Sprintf("owner-%d-%s@example.com", i, admin.TenantID[24:])
	err := a.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		if u, err = a.Identity.CreateUser(ctx, tx, identity.UserInput{Email: email, Name: "owner", Password: "correct horse battery"}); err != nil {
			return err
		}
		city, err := tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: fmt.Sprintf("city-%d", i), Name: fmt.Sprintf("市%d", i)})
		if err != nil {
			return err
		}
		region, err = tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: fmt.Sprintf("district-%d", i), Name: fmt.Sprintf("区%d", i), ParentID: city.ID})
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	owner := &identity.Principal{Kind: identity.KindTenant, UserID: u.ID, TenantID: admin.TenantID, Name: "owner", Email: email}
	ap, err := a.Merchants.Apply(ctx, owner, merchant.ApplicationInput{
		ShopName: "湘莲基地", Slug: fmt.Sprintf("bench-%d", i), ContactName: "王芳", ContactPhone: "13800138000",
		LicenceNo: "91430104MA4L1234X5", MainCategories: []string{"fresh"}, RegionID: region.ID, ExpectedProducts: 50,
	})
	if err != nil {
		b.Fatal(err)
	}
	if ap, err = a.Merchants.Approve(ctx, admin, ap.ID); err != nil {
		b.Fatal(err)
	}
	sh, err := a.Merchants.ShopByID(ctx, *ap.ShopID)
	if err != nil {
		b.Fatal(err)
	}
	return sh, owner
}
