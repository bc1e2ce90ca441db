package cart_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/cart"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// env is one tenant with a city and two districts, its admin, an open
// shop with its owner, the tenant's main warehouse (serving the city) and
// a district warehouse serving Yuelu only, and a cart service.
type env struct {
	t              *testing.T
	a              *app.App
	cs             *cart.Service
	tenant         *tenants.Tenant
	ctx            context.Context
	city           *tenants.Region
	yuelu, furong  *tenants.Region
	admin          *identity.Principal
	shop           *merchant.Shop
	owner          *identity.Principal
	vegetables     string
	main, district *inventory.Warehouse
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
	e := &env{t: t, a: a, tenant: tn, ctx: i18n.WithLocale(tenants.WithTenant(ctx, tn), i18n.EN), cs: a.Cart}
	err = a.DB.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		if e.city, err = tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "changsha", Name: "长沙市"}); err != nil {
			return err
		}
		if e.yuelu, err = tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "yuelu", Name: "岳麓区", ParentID: e.city.ID}); err != nil {
			return err
		}
		if e.furong, err = tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "furong", Name: "芙蓉区", ParentID: e.city.ID}); err != nil {
			return err
		}
		tree, err := catalog.Tree(ctx, tx)
		for _, c := range tree {
			for _, k := range c.Children {
				if k.Code == "vegetables" {
					e.vegetables = k.ID
				}
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.admin = e.user("admin", authz.TenantAdmin, authz.TenantDomain(tn.ID))
	e.shop, e.owner = e.openShop("veg")
	if e.main, err = a.Inventory.CreateWarehouse(e.ctx, e.admin, inventory.WarehouseInput{Kind: "main", Name: "长沙总仓", RegionID: e.city.ID}); err != nil {
		t.Fatal(err)
	}
	if e.district, err = a.Inventory.CreateWarehouse(e.ctx, e.admin, inventory.WarehouseInput{Kind: "district", Name: "岳麓分仓", RegionID: e.yuelu.ID}); err != nil {
		t.Fatal(err)
	}
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
		ShopName: "岳麓山农家菜园 " + slug, Slug: slug, ContactName: "王芳", ContactPhone: "13800138000",
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

// product creates an active product of shop sh (owned by owner) with skus.
func (e *env) product(owner *identity.Principal, sh *merchant.Shop, name string, skus ...catalog.SKUInput) *catalog.Product {
	e.t.Helper()
	pr, err := e.a.Catalog.Create(e.ctx, owner, sh.ID, catalog.ProductInput{
		CategoryID: e.vegetables, Name: name, Status: catalog.ProductActive, SKUs: skus})
	if err != nil {
		e.t.Fatal(err)
	}
	return pr
}

// sku creates a product of the env's shop with one SKU and returns it.
func (e *env) sku(code string, priceFen int64, limit int) *catalog.SKU {
	e.t.Helper()
	return e.product(e.owner, e.shop, "小白菜 "+code, catalog.SKUInput{Code: code, Spec: "500g", PriceFen: priceFen, PurchaseLimit: limit}).SKUs[0]
}

func (e *env) day(n int) string {
	return string(inventory.DateOf(time.Now().In(e.tenant.Location())).AddDays(n))
}

// receive puts qty units of sku (of the env's shop) in warehouse w.
func (e *env) receive(sku string, w *inventory.Warehouse, qty int64) *inventory.Lot {
	e.t.Helper()
	l, err := e.a.Inventory.Receive(e.ctx, e.owner, e.shop.ID, inventory.LotInput{SKUID: sku, WarehouseID: w.ID,
		Quantity: qty, BestBefore: e.day(10), Producer: "李大爷"})
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

// setPrice changes the catalog price of sku behind the shopper's back.
func (e *env) setPrice(sku string, fen int64) {
	e.t.Helper()
	err := e.a.DB.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) error {
		_, err := db.Update(ctx, tx, (*catalog.SKU)(nil)).Set("price_fen = ?", fen).Set("list_price_fen = ?", fen).Where("k.id = ?", sku).Exec(ctx)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// count returns how many rows of table the tenant has.
func (e *env) count(table string) int {
	e.t.Helper()
	var n int64
	err := e.a.DB.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		n, err = tx.NewSelect().TableExpr(table).Where("tenant_id = ?", e.tenant.ID).Count(ctx)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return int(n)
}

func (e *env) view(ref cart.Ref, region string) *cart.View {
	e.t.Helper()
	v, err := e.cs.View(e.ctx, ref, region)
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

func (e *env) add(ref cart.Ref, sku string, qty int) cart.Ref {
	e.t.Helper()
	r, err := e.cs.Add(e.ctx, ref, cart.AddInput{SKUID: sku, Qty: qty})
	if err != nil {
		e.t.Fatalf("add %s × %d: %v", sku, qty, err)
	}
	return r
}

// line returns the line of sku in v.
func line(t *testing.T, v *cart.View, sku string) *cart.ViewLine {
	t.Helper()
	for _, g := range v.Shops {
		for _, l := range g.Lines {
			if l.SKUID == sku {
				return l
			}
		}
	}
	t.Fatalf("no line of %s in %+v", sku, v)
	return nil
}

func wantCode(t *testing.T, err error, code core.Code) {
	t.Helper()
	if core.ErrorCode(err) != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

// wantField checks that err is Invalid with field's error containing
// want (a key, or a rendered message).
func wantField(t *testing.T, err error, field, want string) {
	t.Helper()
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Code != core.Invalid || !strings.Contains(ce.Fields[field], want) {
		t.Fatalf("want field error %s ~ %q, got %v", field, want, err)
	}
}

func TestAddAndQuantityRules(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		cabbage := e.sku("XBC-1", 500, 0)
		limited := e.sku("JD-1", 1280, 5)
		e.receive(cabbage.ID, e.main, 2000)
		e.receive(limited.ID, e.main, 50)

		// Bad input writes nothing, not even a cart.
		anon := cart.Ref{}
		for _, q := range []int{0, -1, 1000, 1 << 40} {
			_, err := e.cs.Add(e.ctx, anon, cart.AddInput{SKUID: cabbage.ID, Qty: q})
			wantField(t, err, "qty", "cart.field.qty_range")
		}
		_, err := e.cs.Add(e.ctx, anon, cart.AddInput{SKUID: tenants.NewID(), Qty: 1})
		wantField(t, err, "sku_id", "cart.field.sku_invalid")
		_, err = e.cs.Add(e.ctx, anon, cart.AddInput{SKUID: "not-a-uuid", Qty: 1})
		wantField(t, err, "sku_id", "cart.field.sku_invalid")
		_, err = e.cs.Add(e.ctx, anon, cart.AddInput{Qty: 1})
		wantField(t, err, "sku_id", "field.required")
		_, err = e.cs.Add(e.ctx, anon, cart.AddInput{SKUID: limited.ID, Qty: 6})
		wantField(t, err, "qty", "Limited to 5 per order")
		if n := e.count("carts"); n != 0 {
			t.Fatalf("bad input wrote %d carts", n)
		}

		// The first good addition makes the visitor's cart and a token.
		ref := e.add(anon, cabbage.ID, 2)
		if !ref.Issued || len(ref.Token) != 43 || ref.UserID != "" {
			t.Fatalf("ref %+v", ref)
		}
		ref.Issued = false
		if r := e.add(ref, cabbage.ID, 3); r.Issued || r.Token != ref.Token {
			t.Fatalf("second add issued a new cart: %+v", r)
		}
		e.add(ref, limited.ID, 3)
		// Only the hash of the token is stored.
		var hashes []string
		err = d.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) error {
			return tx.NewSelect().TableExpr("carts").Column("token_hash").Where("tenant_id = ?", e.tenant.ID).Scan(ctx, &hashes)
		})
		if err != nil || len(hashes) != 1 || hashes[0] == ref.Token || len(hashes[0]) != 64 {
			t.Fatalf("stored %v (%v)", hashes, err)
		}

		v := e.view(ref, "")
		if len(v.Shops) != 1 || v.Shops[0].Slug != "veg" || v.Shops[0].Name != e.shop.Name || v.Lines != 2 || v.Units != 8 {
			t.Fatalf("view %+v", v)
		}
		l := line(t, v, cabbage.ID)
		if l.Qty != 5 || l.UnitFen != 500 || l.SubtotalFen != 2500 || l.ProductName != "小白菜 XBC-1" || l.Spec != "500g" ||
			l.State != cart.StateOK || len(l.Notes) != 0 || l.Available != 2000 {
			t.Fatalf("line %+v", l)
		}
		if v.TotalFen != 2500+3*1280 || v.Shops[0].SubtotalFen != v.TotalFen || !v.Orderable || v.Changed {
			t.Fatalf("totals %+v", v)
		}

		// Adding past the limit, or past 999 on a line, names the limit and
		// changes nothing.
		_, err = e.cs.Add(e.ctx, ref, cart.AddInput{SKUID: limited.ID, Qty: 3})
		wantField(t, err, "qty", "Limited to 5 per order (the cart holds 3)")
		_, err = e.cs.Add(e.ctx, ref, cart.AddInput{SKUID: cabbage.ID, Qty: 995})
		wantField(t, err, "qty", "At most 999")
		if l := line(t, e.view(ref, ""), limited.ID); l.Qty != 3 {
			t.Fatalf("limited line %+v", l)
		}
		if l := line(t, e.view(ref, ""), cabbage.ID); l.Qty != 5 {
			t.Fatalf("cabbage line %+v", l)
		}

		// Set a line's quantity.
		lid := line(t, v, limited.ID).ID
		for _, q := range []int{0, -3, 1000} {
			wantField(t, e.cs.SetQty(e.ctx, ref, lid, q), "qty", "cart.field.qty_range")
		}
		wantField(t, e.cs.SetQty(e.ctx, ref, lid, 6), "qty", "Limited to 5 per order")
		if err := e.cs.SetQty(e.ctx, ref, lid, 5); err != nil {
			t.Fatal(err)
		}
		if l := line(t, e.view(ref, ""), limited.ID); l.Qty != 5 || l.SubtotalFen != 6400 {
			t.Fatalf("limited line %+v", l)
		}
		cid := line(t, v, cabbage.ID).ID
		if err := e.cs.SetQty(e.ctx, ref, cid, 999); err != nil {
			t.Fatal(err)
		}
		if l := line(t, e.view(ref, ""), cabbage.ID); l.SubtotalFen != 999*500 {
			t.Fatalf("cabbage line %+v", l)
		}

		// Remove a line, then empty the cart.
		wantCode(t, e.cs.Remove(e.ctx, ref, tenants.NewID()), core.NotFound)
		if err := e.cs.Remove(e.ctx, ref, lid); err != nil {
			t.Fatal(err)
		}
		wantCode(t, e.cs.Remove(e.ctx, ref, lid), core.NotFound)
		wantCode(t, e.cs.SetQty(e.ctx, ref, lid, 1), core.NotFound)
		if v := e.view(ref, ""); v.Lines != 1 {
			t.Fatalf("after remove %+v", v)
		}
		if err := e.cs.Empty(e.ctx, ref); err != nil {
			t.Fatal(err)
		}
		if v := e.view(ref, ""); v.Lines != 0 || len(v.Shops) != 0 || v.TotalFen != 0 || v.Orderable {
			t.Fatalf("after empty %+v", v)
		}
		// Emptying a cart that does not exist is a no-op; its lines are 404.
		if err := e.cs.Empty(e.ctx, cart.Ref{}); err != nil {
			t.Fatal(err)
		}
		wantCode(t, e.cs.Remove(e.ctx, cart.Ref{}, cid), core.NotFound)
	})
}

func TestOnlySoldSKUs(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a := newApp(t, d)
		e, away := newEnv(t, a), newEnv(t, a)
		foreign := away.sku("FOREIGN-1", 100, 0)
		pr := e.product(e.owner, e.shop, "白萝卜", catalog.SKUInput{Code: "LB-1", Spec: "1kg", PriceFen: 300},
			catalog.SKUInput{Code: "LB-2", Spec: "2kg", PriceFen: 550})
		draft, err := a.Catalog.Create(e.ctx, e.owner, e.shop.ID, catalog.ProductInput{CategoryID: e.vegetables, Name: "草稿",
			SKUs: []catalog.SKUInput{{Code: "DR-1", Spec: "1kg", PriceFen: 100}}})
		if err != nil {
			t.Fatal(err)
		}
		other, owner2 := e.openShop("closed")
		closed := e.product(owner2, other, "关门菜", catalog.SKUInput{Code: "CL-1", Spec: "1kg", PriceFen: 100}).SKUs[0]
		if _, err := a.Merchants.SetStatus(e.ctx, e.admin, other.ID, merchant.ShopSuspended, "整改"); err != nil {
			t.Fatal(err)
		}

		// Another tenant's SKU does not exist here: the body's field error,
		// as the catalog answers for SKU ids in a body.
		_, err = e.cs.Add(e.ctx, cart.Ref{}, cart.AddInput{SKUID: foreign.ID, Qty: 1})
		wantField(t, err, "sku_id", "cart.field.sku_invalid")
		for _, sku := range []string{draft.SKUs[0].ID, closed.ID} {
			_, err := e.cs.Add(e.ctx, cart.Ref{}, cart.AddInput{SKUID: sku, Qty: 1})
			wantField(t, err, "sku_id", "cart.field.sku_not_sold")
		}
		if n := e.count("carts"); n != 0 {
			t.Fatalf("refused additions wrote %d carts", n)
		}
		ref := e.add(cart.Ref{}, pr.SKUs[0].ID, 1)
		e.add(ref, pr.SKUs[1].ID, 1)
		// Archive the product: the lines stay, shown as no longer sold, and
		// can only be removed.
		if _, err := a.Catalog.Archive(e.ctx, e.owner, pr.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.cs.Add(e.ctx, ref, cart.AddInput{SKUID: pr.SKUs[0].ID, Qty: 1})
		wantField(t, err, "sku_id", "cart.field.sku_not_sold")
		v := e.view(ref, "")
		l := line(t, v, pr.SKUs[0].ID)
		if l.State != cart.StateUnavailable || len(l.Notes) != 1 || l.Notes[0].Kind != cart.NoteUnavailable || v.TotalFen != 0 || v.Orderable {
			t.Fatalf("archived line %+v in %+v", l, v)
		}
		wantCode(t, e.cs.SetQty(e.ctx, ref, l.ID, 2), core.Conflict)
		if err := e.cs.Remove(e.ctx, ref, l.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestOthersLinesAre404(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a := newApp(t, d)
		e, away := newEnv(t, a), newEnv(t, a)
		sku := e.sku("XBC-1", 500, 0)
		alice, bob := e.user("alice", "", ""), e.user("bob", "", "")
		aliceRef := cart.Ref{UserID: alice.UserID}
		e.add(aliceRef, sku.ID, 1)
		aliceLine := line(t, e.view(aliceRef, ""), sku.ID).ID
		visitor := e.add(cart.Ref{}, sku.ID, 2)
		visitorLine := line(t, e.view(visitor, ""), sku.ID).ID

		// Bob (and a visitor) cannot touch Alice's line, nor Alice the
		// visitor's.
		bobRef := cart.Ref{UserID: bob.UserID}
		e.add(bobRef, sku.ID, 1)
		for _, c := range []struct {
			ref  cart.Ref
			line string
		}{{bobRef, aliceLine}, {visitor, aliceLine}, {aliceRef, visitorLine}, {cart.Ref{}, aliceLine}} {
			wantCode(t, e.cs.SetQty(e.ctx, c.ref, c.line, 3), core.NotFound)
			wantCode(t, e.cs.Remove(e.ctx, c.ref, c.line), core.NotFound)
		}
		// Another tenant knows neither the line nor the visitor's token.
		awayRef := cart.Ref{UserID: away.user("carol", "", "").UserID}
		away.add(awayRef, away.sku("AW-1", 100, 0).ID, 1)
		wantCode(t, away.cs.SetQty(away.ctx, awayRef, aliceLine, 3), core.NotFound)
		wantCode(t, away.cs.Remove(away.ctx, awayRef, aliceLine), core.NotFound)
		wantCode(t, away.cs.Remove(away.ctx, visitor, visitorLine), core.NotFound)
		if v := away.view(visitor, ""); v.Lines != 0 {
			t.Fatalf("the token opened another tenant's cart: %+v", v)
		}
		// Another tenant's user id does not name a cart here.
		wantCode(t, e.cs.SetQty(e.ctx, awayRef, aliceLine, 3), core.NotFound)
		if v := e.view(awayRef, ""); v.Lines != 0 {
			t.Fatalf("%+v", v)
		}
		// Nothing changed.
		if l := line(t, e.view(aliceRef, ""), sku.ID); l.Qty != 1 {
			t.Fatalf("alice %+v", l)
		}
		if l := line(t, e.view(visitor, ""), sku.ID); l.Qty != 2 {
			t.Fatalf("visitor %+v", l)
		}
	})
}

func TestLineCount(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		var skus []string
		for p := 0; p < 3; p++ {
			var in []catalog.SKUInput
			for k := 0; k < 34; k++ {
				in = append(in, catalog.SKUInput{Code: fmt.Sprintf("P%d-%d", p, k), Spec: fmt.Sprintf("%d g", k+1), PriceFen: 100})
			}
			for _, k := range e.product(e.owner, e.shop, fmt.Sprintf("散装菜 %d", p), in...).SKUs {
				skus = append(skus, k.ID)
			}
		}
		ref := cart.Ref{UserID: e.user("bulk", "", "").UserID}
		for _, id := range skus[:cart.MaxLines] {
			e.add(ref, id, 1)
		}
		_, err := e.cs.Add(e.ctx, ref, cart.AddInput{SKUID: skus[cart.MaxLines], Qty: 1})
		wantCode(t, err, core.Conflict)
		// More of a SKU already in the cart is still fine.
		e.add(ref, skus[0], 1)
		if n := e.count("cart_lines"); n != cart.MaxLines {
			t.Fatalf("%d lines", n)
		}
	})
}

// memberPrices is a Pricer that takes off fen for signed-in shoppers.
type memberPrices struct{ off int64 }

func (m memberPrices) Prices(_ context.Context, _ bun.IDB, userID string, q []cart.PriceQuery) (map[string]cart.Price, error) {
	out := map[string]cart.Price{}
	for _, x := range q {
		if userID != "" {
			out[x.SKUID] = cart.Price{UnitFen: x.PriceFen - m.off, Label: "member"}
		}
	}
	return out, nil
}

func TestViewNotesChanges(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		cabbage := e.sku("XBC-1", 500, 0)
		radish := e.sku("LB-1", 300, 0)
		lot := e.receive(cabbage.ID, e.main, 10)
		e.receive(radish.ID, e.district, 10) // Yuelu only
		ref := e.add(cart.Ref{}, cabbage.ID, 3)
		e.add(ref, radish.ID, 2)
		if v := e.view(ref, ""); v.Changed || !v.Orderable {
			t.Fatalf("first view %+v", v)
		}

		// The price goes up: noted once, then recorded.
		e.setPrice(cabbage.ID, 650)
		v := e.view(ref, "")
		l := line(t, v, cabbage.ID)
		if !v.Changed || len(l.Notes) != 1 || l.Notes[0].Kind != cart.NotePriceUp || l.Notes[0].FromFen != 500 || l.Notes[0].ToFen != 650 ||
			l.Notes[0].Message != "Price went up from ¥5.00 to ¥6.50" || l.UnitFen != 650 || l.SubtotalFen != 1950 {
			t.Fatalf("price up %+v", l)
		}
		if v := e.view(ref, ""); v.Changed {
			t.Fatalf("the change was noted twice: %+v", v)
		}
		e.setPrice(cabbage.ID, 480)
		if l := line(t, e.view(ref, ""), cabbage.ID); len(l.Notes) != 1 || l.Notes[0].Kind != cart.NotePriceDown || l.Notes[0].FromFen != 650 || l.Notes[0].ToFen != 480 {
			t.Fatalf("price down %+v", l)
		}

		// Stock runs short, then out.
		if _, err := e.a.Inventory.Adjust(e.ctx, e.owner, e.shop.ID, inventory.AdjustInput{LotID: lot.ID, Delta: -8, Reason: "damage"}); err != nil {
			t.Fatal(err)
		}
		v = e.view(ref, "")
		l = line(t, v, cabbage.ID)
		if l.State != cart.StateShort || l.Available != 2 || len(l.Notes) != 1 || l.Notes[0].Kind != cart.NoteShort || l.Notes[0].Available != 2 ||
			l.Notes[0].Message != "Only 2 left" || v.Orderable || v.TotalFen != 600 {
			t.Fatalf("short %+v, %+v", l, v)
		}
		if _, err := e.a.Inventory.Adjust(e.ctx, e.owner, e.shop.ID, inventory.AdjustInput{LotID: lot.ID, Delta: -2, Reason: "damage"}); err != nil {
			t.Fatal(err)
		}
		l = line(t, e.view(ref, ""), cabbage.ID)
		if l.State != cart.StateOutOfStock || len(l.Notes) != 1 || l.Notes[0].Kind != cart.NoteOutOfStock {
			t.Fatalf("out of stock %+v", l)
		}
		if l := line(t, e.view(ref, ""), cabbage.ID); l.State != cart.StateOutOfStock || len(l.Notes) != 0 {
			t.Fatalf("out of stock, seen %+v", l)
		}
		e.receive(cabbage.ID, e.main, 5)
		if l := line(t, e.view(ref, ""), cabbage.ID); l.State != cart.StateOK || len(l.Notes) != 1 || l.Notes[0].Kind != cart.NoteBackInStock {
			t.Fatalf("back %+v", l)
		}

		// Availability is per region: the radish is only in Yuelu's
		// warehouse.
		if l := line(t, e.view(ref, e.yuelu.ID), radish.ID); l.State != cart.StateOK || l.Available != 10 {
			t.Fatalf("yuelu %+v", l)
		}
		if _, err := e.cs.SetRegion(e.ctx, ref, e.furong.ID); err != nil {
			t.Fatal(err)
		}
		v = e.view(ref, "")
		if l := line(t, v, radish.ID); v.RegionID != e.furong.ID || l.State != cart.StateOutOfStock || l.Notes[0].Kind != cart.NoteOutOfStock {
			t.Fatalf("furong %+v %+v", v, l)
		}
		if l := line(t, v, cabbage.ID); l.State != cart.StateOK || l.Available != 5 { // the main warehouse serves the city
			t.Fatalf("cabbage in furong %+v", l)
		}
		_, err := e.cs.SetRegion(e.ctx, ref, tenants.NewID())
		wantField(t, err, "region_id", "cart.field.region_invalid")
		_, err = e.cs.View(e.ctx, ref, "nonsense")
		wantField(t, err, "region", "cart.field.region_invalid")
		other := newEnv(t, e.a)
		_, err = e.cs.SetRegion(e.ctx, ref, other.yuelu.ID)
		wantField(t, err, "region_id", "cart.field.region_invalid")
		if v := e.view(ref, ""); v.RegionID != e.furong.ID {
			t.Fatalf("a refused region was written: %+v", v)
		}
	})
}

func TestPricerAndOverflowBound(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		e.cs = cart.New(cart.Deps{DB: d, Inventory: e.a.Inventory, Pricer: memberPrices{off: 100}})
		dear := e.sku("DEAR-1", catalog.MaxPriceFen, 0)
		e.receive(dear.ID, e.main, 1000)
		member := cart.Ref{UserID: e.user("member", "", "").UserID}
		e.add(member, dear.ID, cart.MaxQty)
		v := e.view(member, "")
		l := line(t, v, dear.ID)
		if l.UnitFen != catalog.MaxPriceFen-100 || l.PriceLabel != "member" || l.SubtotalFen != (catalog.MaxPriceFen-100)*cart.MaxQty || v.TotalFen != l.SubtotalFen || l.ListFen != catalog.MaxPriceFen {
			t.Fatalf("member line %+v", l)
		}
		// A visitor pays the catalog price.
		anon := e.add(cart.Ref{}, dear.ID, 1)
		if l := line(t, e.view(anon, ""), dear.ID); l.UnitFen != catalog.MaxPriceFen || l.PriceLabel != "" {
			t.Fatalf("visitor line %+v", l)
		}
		// A Pricer answering out of bounds is an error, not a wrong total.
		e.cs = cart.New(cart.Deps{DB: d, Inventory: e.a.Inventory, Pricer: memberPrices{off: -1}})
		if _, err := e.cs.View(e.ctx, member, ""); err == nil || core.ErrorCode(err) != core.Internal {
			t.Fatalf("out-of-bounds price: %v", err)
		}
	})
}

func TestMerge(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a := newApp(t, d)
		e := newEnv(t, a)
		cabbage := e.sku("XBC-1", 500, 0)
		limited := e.sku("JD-1", 1280, 4)
		radish := e.sku("LB-1", 300, 0)
		shopper := cart.Ref{UserID: e.user("dora", "", "").UserID}
		e.add(shopper, limited.ID, 3)
		e.add(shopper, radish.ID, 998)

		visitor := e.add(cart.Ref{}, limited.ID, 2)
		e.add(visitor, cabbage.ID, 7)
		e.add(visitor, radish.ID, 5)
		if _, err := e.cs.SetRegion(e.ctx, visitor, e.yuelu.ID); err != nil {
			t.Fatal(err)
		}
		// Unknown users and other tenants' users are 404 and merge nothing.
		wantCode(t, e.cs.Merge(e.ctx, visitor.Token, tenants.NewID()), core.NotFound)
		other := newEnv(t, a)
		wantCode(t, e.cs.Merge(e.ctx, visitor.Token, other.user("eve", "", "").UserID), core.NotFound)

		if err := e.cs.Merge(e.ctx, visitor.Token, shopper.UserID); err != nil {
			t.Fatal(err)
		}
		v := e.view(shopper, "")
		if l := line(t, v, limited.ID); l.Qty != 4 { // 3 + 2, capped at the limit of 4
			t.Fatalf("limited %+v", l)
		}
		if l := line(t, v, radish.ID); l.Qty != cart.MaxQty { // 998 + 5, capped at 999
			t.Fatalf("radish %+v", l)
		}
		if l := line(t, v, cabbage.ID); l.Qty != 7 {
			t.Fatalf("cabbage %+v", l)
		}
		if v.Lines != 3 || v.RegionID != e.yuelu.ID {
			t.Fatalf("merged %+v", v)
		}
		// The visitor's cart is gone; merging again does nothing.
		if n := e.count("carts"); n != 1 {
			t.Fatalf("%d carts after merge", n)
		}
		if v := e.view(visitor, ""); v.Lines != 0 {
			t.Fatalf("visitor still sees %+v", v)
		}
		if err := e.cs.Merge(e.ctx, visitor.Token, shopper.UserID); err != nil {
			t.Fatal(err)
		}
		if err := e.cs.Merge(e.ctx, "junk", shopper.UserID); err != nil {
			t.Fatal(err)
		}
		if v := e.view(shopper, ""); v.Lines != 3 || v.Units != 4+cart.MaxQty+7 {
			t.Fatalf("after a second merge %+v", v)
		}

		// A shopper without a cart takes the visitor's as it is.
		fresh := cart.Ref{UserID: e.user("fay", "", "").UserID}
		visitor = e.add(cart.Ref{}, cabbage.ID, 2)
		if err := e.cs.Merge(e.ctx, visitor.Token, fresh.UserID); err != nil {
			t.Fatal(err)
		}
		if l := line(t, e.view(fresh, ""), cabbage.ID); l.Qty != 2 {
			t.Fatalf("fresh %+v", l)
		}
	})
}

func TestCheckoutAccess(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a := newApp(t, d)
		e, away := newEnv(t, a), newEnv(t, a)
		cabbage := e.sku("XBC-1", 500, 0)
		radish := e.sku("LB-1", 300, 0)
		ref := cart.Ref{UserID: e.user("gus", "", "").UserID}
		var empty *cart.Cart
		err := d.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
			empty, err = e.cs.Load(ctx, tx, ref)
			return err
		})
		if err != nil || empty.ID != "" || len(empty.Lines) != 0 {
			t.Fatalf("no cart: %+v %v", empty, err)
		}
		e.add(ref, cabbage.ID, 2)
		e.add(ref, radish.ID, 3)
		if _, err := e.cs.SetRegion(e.ctx, ref, e.yuelu.ID); err != nil {
			t.Fatal(err)
		}
		var c *cart.Cart
		err = d.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
			c, err = e.cs.Load(ctx, tx, ref)
			return err
		})
		if err != nil || c.ID == "" || c.UserID != ref.UserID || c.RegionID != e.yuelu.ID || len(c.Lines) != 2 ||
			c.Lines[0].SKUID != cabbage.ID || c.Lines[0].Qty != 2 || c.Lines[0].ShopID != e.shop.ID || c.Lines[1].SKUID != radish.ID {
			t.Fatalf("loaded %+v %v", c, err)
		}
		// Another tenant's transaction does not know the cart.
		err = d.RunInTx(away.ctx, func(ctx context.Context, tx bun.IDB) error {
			if err := away.cs.Clear(ctx, tx, c.ID); !core.IsNotFound(err) {
				return fmt.Errorf("clear: %v", err)
			}
			if err := away.cs.RemoveLines(ctx, tx, c.ID, []string{c.Lines[0].ID}); !core.IsNotFound(err) {
				return fmt.Errorf("remove lines: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Removing lines in the caller's transaction: rolled back with it.
		rollback := errors.New("rollback")
		err = d.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) error {
			if err := e.cs.Clear(ctx, tx, c.ID); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) || e.count("cart_lines") != 2 {
			t.Fatalf("rolled back clear: %v, %d lines", err, e.count("cart_lines"))
		}
		err = d.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) error {
			return e.cs.RemoveLines(ctx, tx, c.ID, []string{c.Lines[0].ID, tenants.NewID(), "junk"})
		})
		if err != nil {
			t.Fatal(err)
		}
		if v := e.view(ref, ""); v.Lines != 1 || v.Shops[0].Lines[0].SKUID != radish.ID {
			t.Fatalf("after remove lines %+v", v)
		}
		err = d.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) error { return e.cs.Clear(ctx, tx, c.ID) })
		if err != nil || e.count("cart_lines") != 0 {
			t.Fatalf("clear: %v", err)
		}
	})
}

func TestDeleteStale(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		sku := e.sku("XBC-1", 500, 0)
		e.add(cart.Ref{}, sku.ID, 1)
		e.add(cart.Ref{UserID: e.user("hal", "", "").UserID}, sku.ID, 1)
		if n, err := e.cs.DeleteStale(e.ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
			t.Fatalf("fresh carts swept: %d %v", n, err)
		}
		if n, err := e.cs.DeleteStale(e.ctx, time.Now().Add(time.Minute)); err != nil || n != 1 {
			t.Fatalf("swept %d %v", n, err)
		}
		if e.count("carts") != 1 || e.count("cart_lines") != 1 {
			t.Fatalf("left %d carts, %d lines", e.count("carts"), e.count("cart_lines"))
		}
	})
}

func TestCookie(t *testing.T) {
	for _, secure := range []bool{false, true} {
		s := cart.New(cart.Deps{Secure: secure})
		w := httptest.NewRecorder()
		s.SetCookie(w, "tok")
		c := w.Result().Cookies()[0]
		if c.Name != cart.CookieName || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure != secure || c.Path != "/" || c.MaxAge != cart.CookieMaxAge {
			t.Fatalf("cookie %+v", c)
		}
	}
}

// TestConcurrentAdds: a shopper's first additions from several tabs at
// once make one cart, and no unit is lost.
func TestConcurrentAdds(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		sku := e.sku("XBC-1", 500, 0)
		ref := cart.Ref{UserID: e.user("ivy", "", "").UserID}
		const n = 8
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.cs.Add(e.ctx, ref, cart.AddInput{SKUID: sku.ID, Qty: 2})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if l := line(t, e.view(ref, ""), sku.ID); l.Qty != 2*n || e.count("carts") != 1 {
			t.Fatalf("line %+v, %d carts", l, e.count("carts"))
		}
	})
}
