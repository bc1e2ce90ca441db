package inventory_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// now is the tests' clock: 10:00 in Changsha, so that "today" does not
// move during a test.
var now = time.Date(2026, 3, 10, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

func day(n int) string { return string(inventory.DateOf(now).AddDays(n)) }

// env is one tenant with a city and two districts, its admin, a shop with
// its owner and a product with two SKUs, and an inventory service on a
// fixed clock.
type env struct {
	t              *testing.T
	a              *app.App
	inv            *inventory.Service
	tenant         *tenants.Tenant
	ctx            context.Context
	city           *tenants.Region
	yuelu, furong  *tenants.Region
	admin          *identity.Principal
	shop           *merchant.Shop
	owner          *identity.Principal
	sku, sku2      string
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
	slug := "iv-" + strings.ReplaceAll(tenants.NewID()[24:], "-", "")
	tn, err := a.Provisioner.Create(ctx, a.DB, tenants.CreateInput{Slug: slug, Name: "网上供销社"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, a: a, tenant: tn, ctx: tenants.WithTenant(ctx, tn),
		inv: inventory.New(inventory.Deps{DB: a.DB, Authz: a.Authz, Merchants: a.Merchants})}
	inventory.SetNow(e.inv, func() time.Time { return now })
	var vegetables string
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
					vegetables = k.ID
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
	pr, err := a.Catalog.Create(e.ctx, e.owner, e.shop.ID, catalog.ProductInput{
		CategoryID: vegetables, Name: "小白菜", Status: catalog.ProductActive,
		SKUs: []catalog.SKUInput{{Code: "XBC-500", Spec: "500g", PriceFen: 500}, {Code: "XBC-1K", Spec: "1kg", PriceFen: 900}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.sku, e.sku2 = pr.SKUs[0].ID, pr.SKUs[1].ID
	if e.main, err = e.inv.CreateWarehouse(e.ctx, e.admin, inventory.WarehouseInput{Kind: "main", Name: "长沙总仓", RegionID: e.city.ID, Cold: true}); err != nil {
		t.Fatal(err)
	}
	if e.district, err = e.inv.CreateWarehouse(e.ctx, e.admin, inventory.WarehouseInput{Kind: "district", Name: "岳麓分仓", RegionID: e.yuelu.ID}); err != nil {
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

// receive adds a lot of sku in warehouse w: qty units received days ago
// (received <= 0) with best-before bb days from today.
func (e *env) receive(sku string, w *inventory.Warehouse, qty int64, received, bb int) *inventory.Lot {
	e.t.Helper()
	l, err := e.inv.Receive(e.ctx, e.owner, e.shop.ID, inventory.LotInput{SKUID: sku, WarehouseID: w.ID, Quantity: qty,
		ReceivedOn: day(received), BestBefore: day(bb), Producer: "李大爷", Base: "岳麓山基地"})
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

func (e *env) available(sku string, region ...string) int {
	e.t.Helper()
	n, err := e.inv.Available(e.ctx, sku, region...)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) reserve(owner string, ttl time.Duration, lines ...inventory.Line) (*inventory.Reservation, error) {
	var r *inventory.Reservation
	err := e.a.DB.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		r, err = e.inv.Reserve(ctx, tx, lines, owner, ttl)
		return err
	})
	return r, err
}

func (e *env) inTx(fn func(ctx context.Context, tx bun.IDB) error) error {
	return e.a.DB.RunInTx(e.ctx, fn)
}

// lotFigures returns on_hand and reserved of every lot of the tenant.
func (e *env) lotFigures() map[string][2]int {
	e.t.Helper()
	var lots []*inventory.Lot
	err := e.a.DB.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) error {
		return db.Select(ctx, tx, &lots).Scan(ctx)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string][2]int{}
	for _, l := range lots {
		if l.OnHand < 0 || l.Reserved < 0 || l.Reserved > l.OnHand {
			e.t.Fatalf("lot %s: on hand %d, reserved %d", l.ID, l.OnHand, l.Reserved)
		}
		out[l.ID] = [2]int{l.OnHand, l.Reserved}
	}
	return out
}

// reconcile checks that the movements of every lot sum to its on_hand and
// reserved.
func (e *env) reconcile() {
	e.t.Helper()
	var rows []struct {
		LotID    string `bun:"lot_id"`
		OnHand   int    `bun:"on_hand"`
		Reserved int    `bun:"reserved"`
	}
	err := e.a.DB.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) error {
		return db.Select(ctx, tx, (*inventory.Movement)(nil)).Column("m.lot_id").
			ColumnExpr("SUM(m.on_hand_delta) AS on_hand").ColumnExpr("SUM(m.reserved_delta) AS reserved").
			Group("m.lot_id").Scan(ctx, &rows)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	lots := e.lotFigures()
	if len(rows) != len(lots) {
		e.t.Fatalf("%d lots, movements of %d", len(lots), len(rows))
	}
	for _, r := range rows {
		if got := lots[r.LotID]; got != [2]int{r.OnHand, r.Reserved} {
			e.t.Fatalf("lot %s: on hand/reserved %v, movements sum to %d/%d", r.LotID, got, r.OnHand, r.Reserved)
		}
	}
}

func wantCode(t *testing.T, err error, code core.Code) {
	t.Helper()
	if core.ErrorCode(err) != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

func wantMessage(t *testing.T, err error, code core.Code, key string) {
	t.Helper()
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Code != code || ce.Message != key {
		t.Fatalf("want %s %s, got %v", code, key, err)
	}
}

func wantField(t *testing.T, err error, field, key string) {
	t.Helper()
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Code != core.Invalid || ce.Fields[field] != key {
		t.Fatalf("want %s on %s, got %v", key, field, err)
	}
}

// TestWarehouses: the tenant admin makes the main and district
// warehouses, a shop its own; each lists what it may use; only the admin
// makes tenant warehouses; regions served decide what is deliverable where.
func TestWarehouses(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		_, err := e.inv.CreateWarehouse(e.ctx, e.admin, inventory.WarehouseInput{Kind: "main", Name: "第二总仓", RegionID: e.city.ID})
		wantMessage(t, err, core.Conflict, "inventory.error.main_exists")
		_, err = e.inv.CreateWarehouse(e.ctx, e.admin, inventory.WarehouseInput{Kind: "district", Name: "市区分仓", RegionID: e.city.ID})
		wantField(t, err, "region_id", "inventory.field.region_district")
		_, err = e.inv.CreateWarehouse(e.ctx, e.admin, inventory.WarehouseInput{Kind: "shop", Name: "", RegionID: "x"})
		wantField(t, err, "kind", "inventory.field.kind_invalid")
		wantField(t, err, "name", "field.required")
		_, err = e.inv.CreateWarehouse(e.ctx, e.admin, inventory.WarehouseInput{Kind: "district", Name: "岳麓分仓", RegionID: e.yuelu.ID})
		wantMessage(t, err, core.Conflict, "inventory.error.name_taken")
		_, err = e.inv.CreateWarehouse(e.ctx, e.owner, inventory.WarehouseInput{Kind: "district", Name: "店主分仓", RegionID: e.yuelu.ID})
		wantCode(t, err, core.Forbidden)
		_, err = e.inv.Warehouses(e.ctx, e.owner)
		wantCode(t, err, core.Forbidden)

		own, err := e.inv.CreateShopWarehouse(e.ctx, e.owner, e.shop.ID, inventory.WarehouseInput{Name: "菜园冷库", Address: "岳麓区桃子湖路 1 号"})
		if err != nil {
			t.Fatal(err)
		}
		if own.Kind != inventory.KindShop || own.RegionID != e.yuelu.ID || own.ShopID == nil || *own.ShopID != e.shop.ID ||
			len(own.ServesRegionIDs) != 1 || own.ServesRegionIDs[0] != e.yuelu.ID {
			t.Fatalf("shop warehouse %+v", own)
		}
		ws, err := e.inv.ShopWarehouses(e.ctx, e.owner, e.shop.ID)
		if err != nil || len(ws) != 3 || ws[0].ID != e.main.ID || ws[1].ID != e.district.ID || ws[2].ID != own.ID {
			t.Fatalf("shop warehouses %v %v", ws, err)
		}
		all, err := e.inv.Warehouses(e.ctx, e.admin)
		if err != nil || len(all) != 3 {
			t.Fatalf("tenant warehouses %v %v", all, err)
		}
		// Another shop sees the tenant's warehouses but not this shop's.
		other, otherOwner := e.openShop("fruit")
		ws, err = e.inv.ShopWarehouses(e.ctx, otherOwner, other.ID)
		if err != nil || len(ws) != 2 {
			t.Fatalf("other shop's warehouses %v %v", ws, err)
		}
		_, err = e.inv.ShopWarehouses(e.ctx, otherOwner, e.shop.ID)
		wantCode(t, err, core.NotFound)
		_, err = e.inv.Receive(e.ctx, otherOwner, other.ID, inventory.LotInput{SKUID: e.sku, WarehouseID: own.ID, Quantity: 1, BestBefore: day(3), Producer: "x"})
		wantCode(t, err, core.NotFound)

		// Deliverable by region: the district warehouse serves 岳麓区, the
		// main one (a city) serves every district of it.
		e.receive(e.sku, e.district, 10, 0, 5)
		if a, b, c := e.available(e.sku, e.yuelu.ID), e.available(e.sku, e.furong.ID), e.available(e.sku); a != 10 || b != 0 || c != 10 {
			t.Fatalf("available by region: yuelu %d furong %d all %d", a, b, c)
		}
		e.receive(e.sku, e.main, 5, 0, 5)
		if a, b := e.available(e.sku, e.yuelu.ID), e.available(e.sku, e.furong.ID); a != 15 || b != 5 {
			t.Fatalf("available by region: yuelu %d furong %d", a, b)
		}
		_, err = e.reserve("co-1", time.Minute, inventory.Line{SKUID: e.sku, Qty: 6, RegionID: e.furong.ID})
		wantMessage(t, err, core.Conflict, "inventory.error.out_of_stock")
		r, err := e.reserve("co-1", time.Minute, inventory.Line{SKUID: e.sku, Qty: 5, RegionID: e.furong.ID})
		if err != nil || len(r.Allocations) != 1 || r.Allocations[0].Qty != 5 {
			t.Fatalf("reserve from the main warehouse: %+v %v", r, err)
		}
		e.reconcile()
	})
}

// TestReceiveValidation: bad input is field errors and writes nothing;
// stale, another shop's and another tenant's ids are NotFound.
func TestReceiveValidation(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a := newApp(t, d)
		e, away := newEnv(t, a), newEnv(t, a)
		good := inventory.LotInput{SKUID: e.sku, WarehouseID: e.district.ID, Quantity: 40, ReceivedOn: day(-1), BestBefore: day(5),
			Producer: "李大爷", SownOn: day(-60), FertilisedOn: day(-40), PesticideOn: day(-20), HarvestedOn: day(-2), ResidueTest: "合格 (速测卡)"}
		for _, c := range []struct {
			name, field, key string
			edit             func(*inventory.LotInput)
		}{
			{"zero", "quantity", "inventory.field.quantity_range", func(in *inventory.LotInput) { in.Quantity = 0 }},
			{"negative", "quantity", "inventory.field.quantity_range", func(in *inventory.LotInput) { in.Quantity = -5 }},
			{"too many", "quantity", "inventory.field.quantity_range", func(in *inventory.LotInput) { in.Quantity = 1_000_001 }},
			{"no best-before", "best_before", "field.required", func(in *inventory.LotInput) { in.BestBefore = "" }},
			{"bad date", "best_before", "inventory.field.date_invalid", func(in *inventory.LotInput) { in.BestBefore = "2026-02-30" }},
			{"best-before on receipt", "best_before", "inventory.field.best_before_order", func(in *inventory.LotInput) { in.BestBefore = in.ReceivedOn }},
			{"received tomorrow", "received_on", "inventory.field.received_future", func(in *inventory.LotInput) { in.ReceivedOn = day(1) }},
			{"harvest after receipt", "received_on", "inventory.field.date_order", func(in *inventory.LotInput) { in.HarvestedOn = day(0) }},
			{"sown after harvest", "harvested_on", "inventory.field.date_order", func(in *inventory.LotInput) { in.SownOn = day(-1) }},
			{"pesticide before sowing", "pesticide_on", "inventory.field.date_order", func(in *inventory.LotInput) { in.PesticideOn = day(-70) }},
			{"no producer", "producer", "field.required", func(in *inventory.LotInput) { in.Producer = " " }},
			{"no sku", "sku_id", "field.required", func(in *inventory.LotInput) { in.SKUID = "" }},
			{"no warehouse", "warehouse_id", "field.required", func(in *inventory.LotInput) { in.WarehouseID = "" }},
		} {
			in := good
			c.edit(&in)
			_, err := e.inv.Receive(e.ctx, e.owner, e.shop.ID, in)
			if err == nil {
				t.Fatalf("%s: accepted", c.name)
			}
			wantField(t, err, c.field, c.key)
		}
		if len(e.lotFigures()) != 0 {
			t.Fatal("bad input wrote lots")
		}
		for _, c := range []struct {
			name string
			edit func(*inventory.LotInput)
		}{
			{"stale sku", func(in *inventory.LotInput) { in.SKUID = tenants.NewID() }},
			{"junk sku", func(in *inventory.LotInput) { in.SKUID = "xbc" }},
			{"other tenant's sku", func(in *inventory.LotInput) { in.SKUID = away.sku }},
			{"other tenant's warehouse", func(in *inventory.LotInput) { in.WarehouseID = away.district.ID }},
			{"stale warehouse", func(in *inventory.LotInput) { in.WarehouseID = tenants.NewID() }},
		} {
			in := good
			c.edit(&in)
			_, err := e.inv.Receive(e.ctx, e.owner, e.shop.ID, in)
			if core.ErrorCode(err) != core.NotFound {
				t.Fatalf("%s: want NotFound, got %v", c.name, err)
			}
		}
		// Another tenant's shop, another shop's SKU.
		_, err := e.inv.Receive(e.ctx, e.owner, away.shop.ID, good)
		wantCode(t, err, core.NotFound)
		other, otherOwner := e.openShop("fruit")
		in := good
		_, err = e.inv.Receive(e.ctx, otherOwner, other.ID, in)
		wantCode(t, err, core.NotFound)
		// A shopper is turned away, staff are let in.
		_, err = e.inv.Receive(e.ctx, e.user("shopper", "", ""), e.shop.ID, good)
		wantCode(t, err, core.NotFound)
		staff := e.user("staff", authz.MerchantStaff, merchant.OwnerDomain(e.tenant.ID, e.shop.ID))
		l, err := e.inv.Receive(e.ctx, staff, e.shop.ID, good)
		if err != nil {
			t.Fatal(err)
		}
		if l.OnHand != 40 || l.Available != 40 || l.QtyReceived != 40 || string(l.HarvestedOn) != day(-2) || l.ResidueTest != "合格 (速测卡)" {
			t.Fatalf("lot %+v", l)
		}
		st, err := e.inv.Lots(e.ctx, e.owner, e.shop.ID, e.sku, inventory.LotFilter{})
		if err != nil || len(st.Lots) != 1 || st.Available != 40 || st.Threshold != inventory.DefaultThreshold ||
			st.Lots[0].SownOn != l.SownOn || st.Lots[0].BestBefore != l.BestBefore {
			t.Fatalf("lots %+v %v", st, err)
		}
		// Other tenants see nothing of it.
		_, err = away.inv.Lots(away.ctx, away.owner, away.shop.ID, e.sku, inventory.LotFilter{})
		wantCode(t, err, core.NotFound)
		_, err = away.inv.Available(away.ctx, e.sku)
		wantCode(t, err, core.NotFound)
		_, err = away.reserve("co", time.Minute, inventory.Line{SKUID: e.sku, Qty: 1})
		wantCode(t, err, core.NotFound)
		_, err = away.inv.Adjust(away.ctx, away.owner, away.shop.ID, inventory.AdjustInput{LotID: l.ID, Delta: -1, Reason: "damage"})
		wantCode(t, err, core.NotFound)
		_, err = away.inv.Movements(away.ctx, away.owner, away.shop.ID, l.ID)
		wantCode(t, err, core.NotFound)
		e.reconcile()
	})
}

// TestFIFOReserveCommitRelease: reservations take the oldest received lot
// first (then the earliest best-before), never an expired one; commit
// takes the units out of stock, release gives them back; the movements
// reconcile with the lots.
func TestFIFOReserveCommitRelease(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		expired := e.receive(e.sku, e.district, 10, -9, -1) // best-before yesterday
		newer := e.receive(e.sku, e.district, 5, -2, 8)
		older := e.receive(e.sku, e.main, 10, -5, 10)
		sameDay := e.receive(e.sku, e.district, 4, -5, 6) // received with older, earlier best-before
		if got := e.available(e.sku); got != 19 {
			t.Fatalf("available %d, want 19 (the expired lot does not count)", got)
		}
		_, err := e.reserve("checkout-1", 15*time.Minute, inventory.Line{SKUID: e.sku, Qty: 12}, inventory.Line{SKUID: e.sku2, Qty: 0})
		wantField(t, err, "lines.1.qty", "inventory.field.quantity_range")
		r, err := e.reserve("checkout-1", 15*time.Minute, inventory.Line{SKUID: e.sku, Qty: 12})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, a := range r.Allocations {
			got[a.LotID] = a.Qty
		}
		if len(got) != 2 || got[sameDay.ID] != 4 || got[older.ID] != 8 {
			t.Fatalf("allocations %v: want 4 from %s and 8 from %s", got, sameDay.ID, older.ID)
		}
		if n := e.available(e.sku); n != 7 {
			t.Fatalf("available after reserving: %d", n)
		}
		// Too much: nothing is held.
		_, err = e.reserve("checkout-2", time.Minute, inventory.Line{SKUID: e.sku2, Qty: 1}, inventory.Line{SKUID: e.sku, Qty: 8})
		wantMessage(t, err, core.Conflict, "inventory.error.out_of_stock")
		var oos *inventory.OutOfStockError
		if !errors.As(err, &oos) || (oos.SKUID != e.sku && oos.SKUID != e.sku2) {
			t.Fatalf("out of stock names no SKU: %v", err)
		}
		if n := e.available(e.sku); n != 7 {
			t.Fatalf("available after a failed reservation: %d", n)
		}
		r2, err := e.reserve("checkout-2", time.Minute, inventory.Line{SKUID: e.sku, Qty: 3}, inventory.Line{SKUID: e.sku, Qty: 1})
		if err != nil || len(r2.Allocations) != 2 {
			t.Fatalf("second reservation %+v %v", r2, err)
		}

		// Commit the first: units leave stock. A replay is a no-op.
		for range 2 {
			if err := e.inTx(func(ctx context.Context, tx bun.IDB) error {
				_, err := e.inv.Commit(ctx, tx, r.ID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		figs := e.lotFigures()
		if figs[sameDay.ID] != [2]int{0, 0} || figs[older.ID] != [2]int{2, 2} || figs[newer.ID] != [2]int{5, 2} || figs[expired.ID] != [2]int{10, 0} {
			t.Fatalf("after commit: %v", figs)
		}
		// Release the second; committing it afterwards is a conflict.
		for range 2 {
			if err := e.inTx(func(ctx context.Context, tx bun.IDB) error {
				_, err := e.inv.Release(ctx, tx, r2.ID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		err = e.inTx(func(ctx context.Context, tx bun.IDB) error {
			_, err := e.inv.Commit(ctx, tx, r2.ID)
			return err
		})
		wantMessage(t, err, core.Conflict, "inventory.error.reservation_state")
		err = e.inTx(func(ctx context.Context, tx bun.IDB) error {
			_, err := e.inv.Release(ctx, tx, r.ID)
			return err
		})
		wantMessage(t, err, core.Conflict, "inventory.error.reservation_state")
		if n := e.available(e.sku); n != 7 {
			t.Fatalf("available at the end: %d", n)
		}
		// Tomorrow-but-one the 8-day lot is still good; in 9 days only the
		// 10-day lot is.
		inventory.SetNow(e.inv, func() time.Time { return now.AddDate(0, 0, 9) })
		if n := e.available(e.sku); n != 2 {
			t.Fatalf("available in 9 days: %d", n)
		}
		_, err = e.reserve("checkout-3", time.Minute, inventory.Line{SKUID: e.sku, Qty: 3})
		wantMessage(t, err, core.Conflict, "inventory.error.out_of_stock")
		e.reconcile()
		// The history of a lot tells its story.
		ms, err := e.inv.Movements(e.ctx, e.owner, e.shop.ID, older.ID)
		var kinds []string
		for _, m := range ms {
			kinds = append(kinds, m.Kind)
		}
		if err != nil || strings.Join(kinds, ",") != "receive,reserve,reserve,commit,release" ||
			ms[3].OnHandDelta != -8 || ms[3].ReservedDelta != -8 || !strings.Contains(ms[3].Reference, r.ID) ||
			ms[4].ReservedDelta != -2 || ms[4].Reason != "released" || ms[0].ActorID == nil || *ms[0].ActorID != e.owner.UserID {
			t.Fatalf("movements %v %v", kinds, err)
		}
	})
}

// TestReleaseExpired: the sweep releases each due reservation exactly
// once, even with several sweepers at once, and leaves committed and
// unexpired ones alone.
func TestReleaseExpired(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		e.receive(e.sku, e.district, 50, 0, 5)
		var due []string
		for i := range 10 {
			r, err := e.reserve("co-"+string(rune('a'+i)), time.Minute, inventory.Line{SKUID: e.sku, Qty: 2})
			if err != nil {
				t.Fatal(err)
			}
			due = append(due, r.ID)
		}
		long, err := e.reserve("co-long", time.Hour, inventory.Line{SKUID: e.sku, Qty: 5})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.inTx(func(ctx context.Context, tx bun.IDB) error {
			_, err := e.inv.Commit(ctx, tx, due[0])
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if n := e.available(e.sku); n != 50-2-18-5 {
			t.Fatalf("available %d", n)
		}
		var total atomic.Int64
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				n, err := e.inv.ReleaseExpired(e.ctx, now.Add(2*time.Minute))
				if err != nil {
					t.Error(err)
				}
				total.Add(int64(n))
			})
		}
		wg.Wait()
		if total.Load() != 9 {
			t.Fatalf("released %d, want 9", total.Load())
		}
		if n := e.available(e.sku); n != 50-2-5 {
			t.Fatalf("available after the sweep %d", n)
		}
		r, err := e.inv.Reservation(e.ctx, due[1])
		if err != nil || r.Status != inventory.ReservationExpired || r.ResolvedAt == nil {
			t.Fatalf("swept reservation %+v %v", r, err)
		}
		if r, _ := e.inv.Reservation(e.ctx, long.ID); r.Status != inventory.ReservationActive {
			t.Fatalf("long reservation %s", r.Status)
		}
		if r, _ := e.inv.Reservation(e.ctx, due[0]); r.Status != inventory.ReservationCommitted {
			t.Fatalf("committed reservation %s", r.Status)
		}
		if n, err := e.inv.ReleaseExpired(e.ctx, now.Add(2*time.Minute)); n != 0 || err != nil {
			t.Fatalf("second sweep %d %v", n, err)
		}
		// Without a tenant in ctx the sweep covers every tenant (the
		// PostgreSQL database is shared by this package's tests, so only
		// "no error" and "nothing more here" can be checked).
		if _, err := e.inv.ReleaseExpired(context.Background(), now.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if r, _ := e.inv.Reservation(e.ctx, long.ID); r.Status != inventory.ReservationExpired {
			t.Fatalf("long reservation after the all-tenant sweep: %s", r.Status)
		}
		err = e.inTx(func(ctx context.Context, tx bun.IDB) error {
			_, err := e.inv.Commit(ctx, tx, due[1])
			return err
		})
		wantMessage(t, err, core.Conflict, "inventory.error.reservation_state")
		e.reconcile()
	})
}

// TestConcurrentReservations: 200 shoppers try to reserve 1 unit each of
// a SKU with 50 units in two lots: exactly 50 succeed, the others are told
// it is out of stock, and nothing goes negative.
func TestConcurrentReservations(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		first := e.receive(e.sku, e.district, 30, -2, 5)
		second := e.receive(e.sku, e.main, 20, -1, 5)
		var ok, out atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 200 {
			wg.Go(func() {
				<-start
				_, err := e.reserve("checkout-"+tenants.NewID(), 10*time.Minute, inventory.Line{SKUID: e.sku, Qty: 1})
				var ce *core.Error
				switch {
				case err == nil:
					ok.Add(1)
				case errors.As(err, &ce) && ce.Code == core.Conflict && ce.Message == "inventory.error.out_of_stock":
					out.Add(1)
				default:
					t.Errorf("reservation %d: %v", i, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if ok.Load() != 50 || out.Load() != 150 {
			t.Fatalf("%d reserved, %d out of stock; want 50 and 150", ok.Load(), out.Load())
		}
		figs := e.lotFigures()
		if figs[first.ID] != [2]int{30, 30} || figs[second.ID] != [2]int{20, 20} {
			t.Fatalf("lots %v", figs)
		}
		if n := e.available(e.sku); n != 0 {
			t.Fatalf("available %d", n)
		}
		e.reconcile()
	})
}

// TestAdjustAndAlerts: adjustments with reasons, never below the reserved
// units; low-stock alerts against the default and a set threshold; lots
// expiring soon.
func TestAdjustAndAlerts(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		l := e.receive(e.sku, e.district, 40, -1, 2)
		e.receive(e.sku2, e.district, 35, -1, 20)
		if _, err := e.reserve("co", time.Minute, inventory.Line{SKUID: e.sku, Qty: 30}); err != nil {
			t.Fatal(err)
		}
		_, err := e.inv.Adjust(e.ctx, e.owner, e.shop.ID, inventory.AdjustInput{LotID: l.ID, Delta: 3, Reason: "damage"})
		wantField(t, err, "delta", "inventory.field.delta_sign")
		_, err = e.inv.Adjust(e.ctx, e.owner, e.shop.ID, inventory.AdjustInput{LotID: l.ID, Delta: 0, Reason: "lost"})
		wantField(t, err, "delta", "inventory.field.delta_range")
		wantField(t, err, "reason", "inventory.field.reason_invalid")
		_, err = e.inv.Adjust(e.ctx, e.owner, e.shop.ID, inventory.AdjustInput{LotID: l.ID, Delta: -11, Reason: "damage"})
		wantMessage(t, err, core.Conflict, "inventory.error.below_reserved")
		got, err := e.inv.Adjust(e.ctx, e.owner, e.shop.ID, inventory.AdjustInput{LotID: l.ID, Delta: -4, Reason: "damage", Note: "压坏"})
		if err != nil || got.OnHand != 36 || got.Reserved != 30 || got.Available != 6 {
			t.Fatalf("adjusted %+v %v", got, err)
		}
		if got, err = e.inv.Adjust(e.ctx, e.owner, e.shop.ID, inventory.AdjustInput{LotID: l.ID, Delta: 2, Reason: "count"}); err != nil || got.OnHand != 38 {
			t.Fatalf("count %+v %v", got, err)
		}
		e.reconcile()

		al, err := e.inv.Alerts(e.ctx, e.owner, e.shop.ID, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(al.LowStock) != 1 || al.LowStock[0].SKUID != e.sku || al.LowStock[0].Available != 8 || al.LowStock[0].Threshold != 30 ||
			al.LowStock[0].ProductName != "小白菜" || al.LowStock[0].Code != "XBC-500" {
			t.Fatalf("low stock %+v", al.LowStock)
		}
		if len(al.Expiring) != 1 || al.Expiring[0].ID != l.ID || al.Expiring[0].Expired {
			t.Fatalf("expiring %+v", al.Expiring)
		}
		if err := e.inv.SetThreshold(e.ctx, e.owner, e.shop.ID, e.sku, 5); err != nil {
			t.Fatal(err)
		}
		if err := e.inv.SetThreshold(e.ctx, e.owner, e.shop.ID, e.sku2, 50); err != nil {
			t.Fatal(err)
		}
		wantField(t, e.inv.SetThreshold(e.ctx, e.owner, e.shop.ID, e.sku, -1), "threshold", "inventory.field.threshold_range")
		wantCode(t, e.inv.SetThreshold(e.ctx, e.owner, e.shop.ID, tenants.NewID(), 5), core.NotFound)
		al, err = e.inv.Alerts(e.ctx, e.owner, e.shop.ID, 0)
		if err != nil || len(al.LowStock) != 1 || al.LowStock[0].SKUID != e.sku2 || al.LowStock[0].Threshold != 50 || len(al.Expiring) != 0 {
			t.Fatalf("alerts with thresholds %+v %v", al, err)
		}
		_, err = e.inv.Alerts(e.ctx, e.owner, e.shop.ID, 91)
		wantField(t, err, "days", "inventory.field.days_range")
		// Three days on, the lot has expired: it no longer counts and is
		// listed as expired.
		inventory.SetNow(e.inv, func() time.Time { return now.AddDate(0, 0, 3) })
		al, err = e.inv.Alerts(e.ctx, e.owner, e.shop.ID, 1)
		if err != nil || len(al.Expiring) != 1 || !al.Expiring[0].Expired || al.Expiring[0].Available != 0 {
			t.Fatalf("expired lot %+v %v", al, err)
		}
		_, err = e.inv.Alerts(e.ctx, e.user("shopper", "", ""), e.shop.ID, 1)
		wantCode(t, err, core.NotFound)
	})
}
