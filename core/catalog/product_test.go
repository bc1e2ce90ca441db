package catalog_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// env is one tenant with a district, its tenant admin, a shop with its
// owner, and a catalog service built from the app's parts.
type env struct {
	t      *testing.T
	a      *app.App
	c      *catalog.Service
	tenant *tenants.Tenant
	ctx    context.Context
	yuelu  *tenants.Region
	admin  *identity.Principal
	cats   map[string]string // code → id
}

func newApp(t *testing.T, d *db.DB) *app.App {
	t.Helper()
	a, err := app.NewWithDB(context.Background(), app.Config{FastHashing: true, DataDir: t.TempDir()}, d)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newEnv(t *testing.T, a *app.App) *env {
	t.Helper()
	ctx := context.Background()
	slug := "ct-" + strings.ReplaceAll(tenants.NewID()[24:], "-", "")
	tn, err := a.Provisioner.Create(ctx, a.DB, tenants.CreateInput{Slug: slug, Name: "网上供销社"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, a: a, tenant: tn, ctx: tenants.WithTenant(ctx, tn), cats: map[string]string{},
		c: catalog.New(catalog.Deps{DB: a.DB, Authz: a.Authz, Merchants: a.Merchants, Storage: a.Merchants.Storage})}
	err = a.DB.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) error {
		city, err := tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "changsha", Name: "长沙市"})
		if err != nil {
			return err
		}
		e.yuelu, err = tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "yuelu", Name: "岳麓区", ParentID: city.ID})
		if err != nil {
			return err
		}
		tree, err := catalog.Tree(ctx, tx)
		for _, c := range tree {
			e.cats[c.Code] = c.ID
			for _, k := range c.Children {
				e.cats[k.Code] = k.ID
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.admin = e.user("admin", authz.TenantAdmin, authz.TenantDomain(tn.ID))
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

// shop opens an active shop with a new owner.
func (e *env) shop(slug string) (*merchant.Shop, *identity.Principal) {
	e.t.Helper()
	owner := e.user(slug+"-owner", "", "")
	ap, err := e.a.Merchants.Apply(e.ctx, owner, merchant.ApplicationInput{
		ShopName: "岳麓山农家菜园", Slug: slug, ContactName: "王芳", ContactPhone: "13800138000",
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

func (e *env) input(name string, codes ...string) catalog.ProductInput {
	in := catalog.ProductInput{CategoryID: e.cats["vegetables"], Name: name, Status: catalog.ProductActive, Origin: "长沙岳麓",
		Certifications: []string{"organic", "green"}, Attributes: map[string]string{"保存": "冷藏"}}
	for i, c := range codes {
		in.SKUs = append(in.SKUs, catalog.SKUInput{Code: c, Spec: []string{"500g", "1kg", "5kg"}[i%3],
			PriceFen: int64(1000 * (i + 1)), ListPriceFen: int64(1200 * (i + 1)), CostFen: int64(300 * (i + 1)), WeightG: 500 * (i + 1)})
	}
	return in
}

func wantCode(t *testing.T, err error, code core.Code) {
	t.Helper()
	if core.ErrorCode(err) != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

func wantField(t *testing.T, err error, field, key string) {
	t.Helper()
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Code != core.Invalid || ce.Fields[field] != key {
		t.Fatalf("want %s on %s, got %v", key, field, err)
	}
}

// TestJSONColumns: certifications and attributes are stored as JSON text
// on both dialects and read back.
func TestJSONColumns(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		sh, owner := e.shop("json-veg")
		pr, err := e.c.Create(e.ctx, owner, sh.ID, e.input("小白菜", "A1"))
		if err != nil {
			t.Fatal(err)
		}
		var certs, attrs string
		err = d.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) error {
			return tx.QueryRowContext(ctx, "SELECT certifications, attributes FROM products WHERE tenant_id = ? AND id = ?",
				e.tenant.ID, pr.ID).Scan(&certs, &attrs)
		})
		if err != nil {
			t.Fatal(err)
		}
		var cs []string
		var as map[string]string
		if json.Unmarshal([]byte(certs), &cs) != nil || json.Unmarshal([]byte(attrs), &as) != nil {
			t.Fatalf("not JSON: %q %q", certs, attrs)
		}
		if strings.Join(cs, ",") != "green,organic" || as["保存"] != "冷藏" {
			t.Fatalf("stored %q %q", certs, attrs)
		}
		got, err := e.c.Product(e.ctx, owner, pr.ID)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got.Certifications, ",") != "green,organic" || got.Attributes["保存"] != "冷藏" {
			t.Fatalf("read back %+v %+v", got.Certifications, got.Attributes)
		}
		// Empty lists are stored as [] and {}, never NULL.
		in := e.input("大白菜", "B1")
		in.Certifications, in.Attributes = nil, nil
		pr, err = e.c.Create(e.ctx, owner, sh.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		err = d.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) error {
			return tx.QueryRowContext(ctx, "SELECT certifications, attributes FROM products WHERE tenant_id = ? AND id = ?",
				e.tenant.ID, pr.ID).Scan(&certs, &attrs)
		})
		if err != nil || certs != "[]" || attrs != "{}" {
			t.Fatalf("empty: %q %q %v", certs, attrs, err)
		}
	})
}

// TestCreateUpdateArchive: a product with SKUs is created, its SKUs are
// renamed, swapped, dropped (archived) and added, it is archived and
// restored; the change hook runs each time inside the transaction.
func TestCreateUpdateArchive(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		sh, owner := e.shop("flow-veg")
		var changes []string
		e.c.OnChange(func(ctx context.Context, tx bun.IDB, id string) error {
			// The hook sees the change: it runs inside the transaction.
			var name string
			if err := tx.NewSelect().Table("products").Column("name").Where("tenant_id = ? AND id = ?", e.tenant.ID, id).Scan(ctx, &name); err != nil {
				return err
			}
			changes = append(changes, name)
			return nil
		})
		pr, err := e.c.Create(e.ctx, owner, sh.ID, e.input("有机小白菜", "veg-1", "veg-2", ""))
		if err != nil {
			t.Fatal(err)
		}
		if len(pr.SKUs) != 3 || pr.SKUs[0].Code != "VEG-1" || pr.SKUs[1].Code != "VEG-2" || pr.SKUs[2].Code == "" ||
			pr.Status != catalog.ProductActive || pr.ShopID != sh.ID {
			t.Fatalf("created %+v %+v", pr, pr.SKUs)
		}
		if len(changes) != 1 || changes[0] != "有机小白菜" {
			t.Fatalf("hook: %v", changes)
		}
		first, second := pr.SKUs[0].ID, pr.SKUs[1].ID

		// Swap the two codes, drop the third, add a fourth.
		in := e.input("有机小白菜（精品）", "VEG-2", "VEG-1")
		in.SKUs[0].ID, in.SKUs[1].ID = first, second
		in.SKUs = append(in.SKUs, catalog.SKUInput{Code: "veg-4", Spec: "10kg", PriceFen: 9000, CostFen: 2000, WeightG: 10000})
		pr, err = e.c.Update(e.ctx, owner, pr.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(pr.SKUs) != 3 || pr.SKUs[0].ID != first || pr.SKUs[0].Code != "VEG-2" || pr.SKUs[1].Code != "VEG-1" ||
			pr.SKUs[2].Code != "VEG-4" || pr.SKUs[2].ListPriceFen != 9000 || pr.Name != "有机小白菜（精品）" {
			t.Fatalf("updated %+v", pr.SKUs)
		}
		// By code, without ids: the same SKUs are kept.
		pr, err = e.c.Update(e.ctx, owner, pr.ID, e.input("有机小白菜", "veg-2", "VEG-1"))
		if err != nil {
			t.Fatal(err)
		}
		if len(pr.SKUs) != 2 || pr.SKUs[0].ID != first || pr.SKUs[1].ID != second {
			t.Fatalf("matched by code %+v", pr.SKUs)
		}

		// Another product may not take a code of this one, in any case or
		// width, archived or not.
		_, err = e.c.Create(e.ctx, owner, sh.ID, e.input("菠菜", "ｖｅｇ－４"))
		wantField(t, err, "skus.0.code", "catalog.field.sku_code_taken")
		_, err = e.c.Create(e.ctx, owner, sh.ID, e.input("菠菜", "SP-1", "sp-1"))
		wantField(t, err, "skus.1.code", "catalog.field.sku_code_duplicate")

		pr, err = e.c.Archive(e.ctx, owner, pr.ID)
		if err != nil || pr.Status != catalog.ProductArchived {
			t.Fatalf("archive: %v %+v", err, pr)
		}
		_, err = e.c.PublicProduct(e.ctx, pr.ID)
		wantCode(t, err, core.NotFound)
		pr, err = e.c.Restore(e.ctx, owner, pr.ID)
		if err != nil || pr.Status != catalog.ProductDraft {
			t.Fatalf("restore: %v %+v", err, pr)
		}
		_, err = e.c.Restore(e.ctx, owner, pr.ID)
		wantCode(t, err, core.Conflict)
		if len(changes) != 5 {
			t.Fatalf("hook ran %d times: %v", len(changes), changes)
		}

		// A failing hook rolls the change back.
		boom := errors.New("index down")
		e.c.OnChange(func(ctx context.Context, tx bun.IDB, id string) error { return boom })
		_, err = e.c.Update(e.ctx, owner, pr.ID, e.input("不会保存", "VEG-1"))
		if !errors.Is(err, boom) {
			t.Fatalf("failing hook: %v", err)
		}
		_, err = e.c.Create(e.ctx, owner, sh.ID, e.input("也不会保存", "NEW-1"))
		if !errors.Is(err, boom) {
			t.Fatalf("failing hook: %v", err)
		}
		got, err := e.c.Product(e.ctx, owner, pr.ID)
		if err != nil || got.Name != "有机小白菜" || len(got.SKUs) != 2 {
			t.Fatalf("after rollback: %v %+v", err, got)
		}
		list, err := e.c.Products(e.ctx, owner, sh.ID, catalog.ProductFilter{})
		if err != nil || len(list) != 1 {
			t.Fatalf("list after rollback: %v %d", err, len(list))
		}
	})
}

// TestBadInput: every rule gives a field error in the user's language.
func TestBadInput(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a := newApp(t, d)
		e := newEnv(t, a)
		other := newEnv(t, a)
		sh, owner := e.shop("bad-veg")
		cases := []struct {
			name       string
			mod        func(*catalog.ProductInput)
			field, key string
		}{
			{"no name", func(in *catalog.ProductInput) { in.Name = " " }, "name", "field.required"},
			{"long name", func(in *catalog.ProductInput) { in.Name = strings.Repeat("菜", 61) }, "name", "field.too_long"},
			{"html name", func(in *catalog.ProductInput) { in.Name = "<b>菜</b>" }, "name", "field.html_not_allowed"},
			{"no category", func(in *catalog.ProductInput) { in.CategoryID = "" }, "category_id", "field.required"},
			{"junk category", func(in *catalog.ProductInput) { in.CategoryID = "vegetables" }, "category_id", "catalog.field.category_invalid"},
			{"other tenant's category", func(in *catalog.ProductInput) { in.CategoryID = other.cats["vegetables"] }, "category_id", "catalog.field.category_invalid"},
			{"inner category", func(in *catalog.ProductInput) { in.CategoryID = e.cats["fresh"] }, "category_id", "catalog.field.category_leaf"},
			{"status", func(in *catalog.ProductInput) { in.Status = "sold" }, "status", "catalog.field.status_invalid"},
			{"cert", func(in *catalog.ProductInput) { in.Certifications = []string{"iso9001"} }, "certifications", "catalog.field.cert_invalid"},
			{"attributes", func(in *catalog.ProductInput) {
				for i := range 21 {
					in.Attributes[strings.Repeat("k", i+1)] = "v"
				}
			}, "attributes", "catalog.field.attributes_count"},
			{"no skus", func(in *catalog.ProductInput) { in.SKUs = nil }, "skus", "catalog.field.skus_count"},
			{"51 skus", func(in *catalog.ProductInput) {
				for len(in.SKUs) < 51 {
					in.SKUs = append(in.SKUs, in.SKUs[0])
				}
			}, "skus", "catalog.field.skus_count"},
			{"zero price", func(in *catalog.ProductInput) { in.SKUs[0].PriceFen = 0 }, "skus.0.price_fen", "catalog.field.price_range"},
			{"negative price", func(in *catalog.ProductInput) { in.SKUs[1].PriceFen = -1 }, "skus.1.price_fen", "catalog.field.price_range"},
			{"huge price", func(in *catalog.ProductInput) { in.SKUs[0].PriceFen = catalog.MaxPriceFen + 1 }, "skus.0.price_fen", "catalog.field.price_range"},
			{"huge list", func(in *catalog.ProductInput) { in.SKUs[0].ListPriceFen = catalog.MaxPriceFen + 1 }, "skus.0.list_price_fen", "catalog.field.price_range"},
			{"list below price", func(in *catalog.ProductInput) { in.SKUs[0].ListPriceFen = 999 }, "skus.0.list_price_fen", "catalog.field.list_below_price"},
			{"negative cost", func(in *catalog.ProductInput) { in.SKUs[0].CostFen = -5 }, "skus.0.cost_fen", "catalog.field.price_range"},
			{"negative weight", func(in *catalog.ProductInput) { in.SKUs[0].WeightG = -1 }, "skus.0.weight_g", "catalog.field.weight_range"},
			{"barcode", func(in *catalog.ProductInput) { in.SKUs[0].Barcode = "69012345" + "x" }, "skus.0.barcode", "catalog.field.barcode_invalid"},
			{"short barcode", func(in *catalog.ProductInput) { in.SKUs[0].Barcode = "1234567" }, "skus.0.barcode", "catalog.field.barcode_invalid"},
			{"limit", func(in *catalog.ProductInput) { in.SKUs[0].PurchaseLimit = -1 }, "skus.0.purchase_limit", "catalog.field.limit_range"},
			{"no spec", func(in *catalog.ProductInput) { in.SKUs[1].Spec = "" }, "skus.1.spec", "field.required"},
			{"long spec", func(in *catalog.ProductInput) { in.SKUs[1].Spec = strings.Repeat("斤", 21) }, "skus.1.spec", "field.too_long"},
			{"code shape", func(in *catalog.ProductInput) { in.SKUs[0].Code = "菜 1" }, "skus.0.code", "catalog.field.sku_code_invalid"},
			{"code case", func(in *catalog.ProductInput) { in.SKUs[1].Code = "c-1" }, "skus.1.code", "catalog.field.sku_code_duplicate"},
			{"code width", func(in *catalog.ProductInput) { in.SKUs[1].Code = "Ｃ-１" }, "skus.1.code", "catalog.field.sku_code_duplicate"},
			{"supplier on a shop", func(in *catalog.ProductInput) { in.SupplierID = owner.UserID }, "supplier_id", "catalog.field.supplier_flagship_only"},
		}
		for _, c := range cases {
			in := e.input("小白菜", "C-1", "C-2")
			c.mod(&in)
			_, err := e.c.Create(e.ctx, owner, sh.ID, in)
			if core.ErrorCode(err) != core.Invalid {
				t.Fatalf("%s: %v", c.name, err)
			}
			wantField(t, err, c.field, c.key)
		}
		// Barcodes of 8 and 14 digits (full-width too) and a zero cost are fine.
		in := e.input("小白菜", "C-1", "C-2")
		in.SKUs[0].Barcode, in.SKUs[1].Barcode, in.SKUs[1].CostFen = "12345678", "６９０１２３４５６７８９０１", 0
		pr, err := e.c.Create(e.ctx, owner, sh.ID, in)
		if err != nil || pr.SKUs[1].Barcode != "69012345678901" {
			t.Fatalf("barcodes: %v %+v", err, pr)
		}
		// Nothing was written by the failed attempts.
		list, err := e.c.Products(e.ctx, owner, sh.ID, catalog.ProductFilter{})
		if err != nil || len(list) != 1 {
			t.Fatalf("list: %v %d", err, len(list))
		}
	})
}

// TestWhoMayManage: staff of the shop may; owners of other shops, shoppers
// and other tenants' accounts do not see the shop or its products; a
// region manager sees the shop but may not manage products.
func TestWhoMayManage(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a := newApp(t, d)
		e := newEnv(t, a)
		sh, owner := e.shop("who-veg")
		otherShop, otherOwner := e.shop("who-fruit")
		pr, err := e.c.Create(e.ctx, owner, sh.ID, e.input("小白菜", "W-1"))
		if err != nil {
			t.Fatal(err)
		}
		staff := e.user("staff", authz.MerchantStaff, merchant.OwnerDomain(e.tenant.ID, sh.ID))
		if _, err := e.c.Update(e.ctx, staff, pr.ID, e.input("小白菜", "W-1")); err != nil {
			t.Fatalf("staff update: %v", err)
		}
		if _, err := e.c.Create(e.ctx, e.admin, sh.ID, e.input("管理员代发", "W-2")); err != nil {
			t.Fatalf("tenant admin: %v", err)
		}
		shopper := e.user("shopper", "", "")
		region := e.user("region", authz.RegionManager, authz.RegionDomain(e.tenant.ID, e.yuelu.ID))
		for _, c := range []struct {
			who  string
			p    *identity.Principal
			code core.Code
		}{{"other owner", otherOwner, core.NotFound}, {"shopper", shopper, core.NotFound}, {"region manager", region, core.Forbidden}} {
			if _, err := e.c.Product(e.ctx, c.p, pr.ID); core.ErrorCode(err) != c.code {
				t.Errorf("%s reads: %v", c.who, err)
			}
			if _, err := e.c.Update(e.ctx, c.p, pr.ID, e.input("改", "W-1")); core.ErrorCode(err) != c.code {
				t.Errorf("%s updates: %v", c.who, err)
			}
			if _, err := e.c.Create(e.ctx, c.p, sh.ID, e.input("加", "W-9")); core.ErrorCode(err) != c.code {
				t.Errorf("%s creates: %v", c.who, err)
			}
		}
		// The other owner's own shop does not make this product theirs.
		if _, err := e.c.Products(e.ctx, otherOwner, otherShop.ID, catalog.ProductFilter{}); err != nil {
			t.Fatal(err)
		}
		// Another tenant's account and context: the id does not exist.
		o := newEnv(t, a)
		_, err = e.c.Product(o.ctx, o.admin, pr.ID)
		wantCode(t, err, core.NotFound)
		_, err = e.c.Archive(o.ctx, o.admin, pr.ID)
		wantCode(t, err, core.NotFound)
		_, err = e.c.PublicProduct(o.ctx, pr.ID)
		wantCode(t, err, core.NotFound)
		_, err = e.c.Product(e.ctx, nil, pr.ID)
		wantCode(t, err, core.Unauthenticated)
	})
}

var pngImage = append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)

// TestImages: uploads become images in order, the first is the cover;
// reorder, delete, the 9-image limit and non-images.
func TestImages(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		sh, owner := e.shop("img-veg")
		pr, err := e.c.Create(e.ctx, owner, sh.ID, e.input("小白菜", "I-1"))
		if err != nil {
			t.Fatal(err)
		}
		hooks := 0
		e.c.OnChange(func(context.Context, bun.IDB, string) error { hooks++; return nil })
		for range catalog.MaxImages {
			if pr, err = e.c.AddImage(e.ctx, owner, pr.ID, "image/png", pngImage); err != nil {
				t.Fatal(err)
			}
		}
		if len(pr.Images) != 9 || pr.CoverPath != pr.Images[0].Path || hooks != 9 ||
			!strings.HasPrefix(pr.CoverPath, "/uploads/"+sh.ID+"/p-"+pr.ID+"-") || !strings.HasSuffix(pr.CoverPath, ".png") {
			t.Fatalf("images: %+v cover %q", pr.Images, pr.CoverPath)
		}
		b, ctype, err := e.a.Merchants.Upload(e.ctx, pr.CoverPath)
		if err != nil || ctype != "image/png" || string(b) != string(pngImage) {
			t.Fatalf("served: %v %q", err, ctype)
		}
		_, err = e.c.AddImage(e.ctx, owner, pr.ID, "image/png", pngImage)
		wantField(t, err, "file", "catalog.field.image_count")
		_, err = e.c.AddImage(e.ctx, owner, pr.ID, "text/html", []byte("<html><script>alert(1)</script>"))
		wantField(t, err, "file", "merchant.field.image_type")

		ids := make([]string, 0, 9)
		for i := len(pr.Images) - 1; i >= 0; i-- {
			ids = append(ids, pr.Images[i].ID)
		}
		_, err = e.c.ReorderImages(e.ctx, owner, pr.ID, ids[1:])
		wantField(t, err, "image_ids", "catalog.field.image_order")
		if pr, err = e.c.ReorderImages(e.ctx, owner, pr.ID, ids); err != nil {
			t.Fatal(err)
		}
		if pr.Images[0].ID != ids[0] || pr.CoverPath != pr.Images[0].Path {
			t.Fatalf("reordered: %+v", pr.Images)
		}
		cover := pr.CoverPath
		if pr, err = e.c.DeleteImage(e.ctx, owner, pr.ID, ids[0]); err != nil {
			t.Fatal(err)
		}
		if len(pr.Images) != 8 || pr.Images[0].ID != ids[1] || pr.CoverPath != pr.Images[0].Path {
			t.Fatalf("after delete: %+v", pr.Images)
		}
		if _, _, err := e.a.Merchants.Upload(e.ctx, cover); !core.IsNotFound(err) {
			t.Fatalf("deleted file still served: %v", err)
		}
		other, err := e.c.Create(e.ctx, owner, sh.ID, e.input("菠菜", "I-2"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.c.DeleteImage(e.ctx, owner, other.ID, ids[1])
		wantCode(t, err, core.NotFound)
	})
}

// TestPublicReads: shoppers see active products of active and suspended
// shops (suspended: not selling), without cost or supplier.
func TestPublicReads(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		sh, owner := e.shop("pub-veg")
		on, err := e.c.Create(e.ctx, owner, sh.ID, e.input("小白菜", "P-1", "P-2"))
		if err != nil {
			t.Fatal(err)
		}
		in := e.input("草稿菜", "P-3")
		in.Status = catalog.ProductDraft
		draft, err := e.c.Create(e.ctx, owner, sh.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		pp, err := e.c.PublicProduct(e.ctx, on.ID)
		if err != nil || !pp.Selling || pp.Shop.Slug != "pub-veg" || len(pp.SKUs) != 2 || pp.SKUs[0].CostFen != 0 {
			t.Fatalf("public: %v %+v", err, pp)
		}
		body, _ := json.Marshal(pp)
		if strings.Contains(string(body), "cost_fen") || strings.Contains(string(body), owner.UserID) {
			t.Fatalf("public JSON leaks: %s", body)
		}
		_, err = e.c.PublicProduct(e.ctx, draft.ID)
		wantCode(t, err, core.NotFound)
		list, _, err := e.c.ShopProducts(e.ctx, "PUB-VEG", catalog.PublicFilter{})
		if err != nil || len(list) != 1 || list[0].ID != on.ID {
			t.Fatalf("shop products: %v %+v", err, list)
		}
		list, _, err = e.c.ShopProducts(e.ctx, "pub-veg", catalog.PublicFilter{CategoryID: e.cats["fresh"], Query: "白菜"})
		if err != nil || len(list) != 1 {
			t.Fatalf("filtered: %v %d", err, len(list))
		}
		list, _, err = e.c.ShopProducts(e.ctx, "pub-veg", catalog.PublicFilter{CategoryID: e.cats["fruit"]})
		if err != nil || len(list) != 0 {
			t.Fatalf("other category: %v %d", err, len(list))
		}
		if _, err := e.a.Merchants.SetStatus(e.ctx, e.admin, sh.ID, merchant.ShopSuspended, "抽检"); err != nil {
			t.Fatal(err)
		}
		pp, err = e.c.PublicProduct(e.ctx, on.ID)
		if err != nil || pp.Selling {
			t.Fatalf("suspended: %v %+v", err, pp)
		}
		if _, err := e.a.Merchants.SetStatus(e.ctx, e.admin, sh.ID, merchant.ShopClosed, "停业"); err != nil {
			t.Fatal(err)
		}
		_, err = e.c.PublicProduct(e.ctx, on.ID)
		wantCode(t, err, core.NotFound)
		_, err = e.c.Update(e.ctx, owner, on.ID, e.input("小白菜", "P-1"))
		wantCode(t, err, core.Conflict)
	})
}

// TestFlagshipSupplier: flagship products may name an approved flagship
// supplier, nobody else.
func TestFlagshipSupplier(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		flagship, err := e.a.Merchants.FlagshipShop(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		supplier := e.user("supplier", "", "")
		ap, err := e.a.Merchants.Apply(e.ctx, supplier, merchant.ApplicationInput{
			ShopName: "小农户", ContactName: "赵", ContactPhone: "13800138001", LicenceNo: "91430104MA4L1234X6",
			MainCategories: []string{"fresh"}, RegionID: e.yuelu.ID, ExpectedProducts: 3, ViaFlagship: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.a.Merchants.Approve(e.ctx, e.admin, ap.ID); err != nil {
			t.Fatal(err)
		}
		in := e.input("农户土鸡蛋", "F-1")
		in.SupplierID = e.admin.UserID
		_, err = e.c.Create(e.ctx, e.admin, flagship.ID, in)
		wantField(t, err, "supplier_id", "catalog.field.supplier_invalid")
		in.SupplierID = supplier.UserID
		pr, err := e.c.Create(e.ctx, e.admin, flagship.ID, in)
		if err != nil || pr.SupplierID == nil || *pr.SupplierID != supplier.UserID {
			t.Fatalf("flagship product: %v %+v", err, pr)
		}
		sups, err := e.c.FlagshipSuppliers(e.ctx, e.admin, flagship.ID)
		if err != nil || len(sups) != 1 || sups[0].UserID != supplier.UserID || sups[0].Name != "supplier" {
			t.Fatalf("suppliers: %v %+v", err, sups)
		}
		// The supplier itself has no say over the flagship store.
		_, err = e.c.Product(e.ctx, supplier, pr.ID)
		wantCode(t, err, core.NotFound)
	})
}

func TestMoney(t *testing.T) {
	if lo, hi := catalog.SuggestedPrice(250); lo != 750 || hi != 1000 {
		t.Errorf("SuggestedPrice(250) = %d, %d", lo, hi)
	}
	if lo, hi := catalog.SuggestedPrice(catalog.MaxPriceFen); lo != catalog.MaxPriceFen || hi != catalog.MaxPriceFen {
		t.Errorf("SuggestedPrice(max) = %d, %d", lo, hi)
	}
	for in, want := range map[string]int64{"12": 1200, "12.8": 1280, "12.80": 1280, "¥0.05": 5, "１２.３４": 1234, ".5": 50, "1,000": 100000} {
		if got, ok := catalog.ParseYuan(in); !ok || got != want {
			t.Errorf("ParseYuan(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "abc", "1.234", "-1", "1e3", "99999999999", "1.2.3"} {
		if got, ok := catalog.ParseYuan(in); ok {
			t.Errorf("ParseYuan(%q) = %d, ok", in, got)
		}
	}
	for fen, want := range map[int64]string{0: "0.00", 5: "0.05", 1280: "12.80", 100000: "1000.00"} {
		if got := catalog.FormatYuan(fen); got != want {
			t.Errorf("FormatYuan(%d) = %q", fen, got)
		}
	}
}
