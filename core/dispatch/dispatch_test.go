package dispatch_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/dispatch"
	"github.com/jishi-dev/jishi/core/dispatch/dispatchtest"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/order/ordertest"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// at is a time on 10 March 2026 (dayOffset days later) in Changsha.
func at(dayOffset, h, m int) time.Time {
	return time.Date(2026, 3, 10+dayOffset, h, m, 0, 0, shanghai)
}

// env is a tenant with a city and a district, its admin, two shops with
// their owners, a product with two SKUs in the first shop and one in the
// second, lots in the main and a district warehouse, a pickup point, a
// shopper, and a dispatch service on a clock the test moves.
type env struct {
	t            *testing.T
	a            *app.App
	ds           *dispatch.Service
	clock        time.Time
	tenant       *tenants.Tenant
	ctx          context.Context
	city, yuelu  *tenants.Region
	admin        *identity.Principal
	shop, shop2  *merchant.Shop
	owner        *identity.Principal
	owner2       *identity.Principal
	shopper      *identity.Principal
	sku, sku2    string // 小白菜 500g and 1kg
	otherSKU     string // of shop2
	main, distr  *inventory.Warehouse
	point        *fulfil.PickupPoint
	lotOld       *inventory.Lot // sku in the district warehouse, received first
	lotNew       *inventory.Lot // sku in the main warehouse
	shopperPhone string
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	a, err := app.NewWithDB(context.Background(), app.Config{FastHashing: true, DataDir: t.TempDir()}, d)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	slug := "dp-" + strings.ReplaceAll(tenants.NewID()[24:], "-", "")
	tn, err := a.Provisioner.Create(ctx, a.DB, tenants.CreateInput{Slug: slug, Name: "网上供销社"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, a: a, tenant: tn, ctx: tenants.WithTenant(ctx, tn), clock: at(0, 14, 5)}
	e.ds = dispatch.New(dispatch.Deps{DB: a.DB, Authz: a.Authz, Orders: a.Orders, Now: func() time.Time { return e.clock }})
	var vegetables string
	err = a.DB.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		if e.city, err = tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "changsha", Name: "长沙市"}); err != nil {
			return err
		}
		if e.yuelu, err = tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "yuelu", Name: "岳麓区", ParentID: e.city.ID}); err != nil {
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
	e.shop2, e.owner2 = e.openShop("rice")
	pr, err := a.Catalog.Create(e.ctx, e.owner, e.shop.ID, catalog.ProductInput{
		CategoryID: vegetables, Name: "小白菜", Status: catalog.ProductActive,
		SKUs: []catalog.SKUInput{{Code: "XBC-500", Spec: "500g", PriceFen: 500}, {Code: "XBC-1K", Spec: "1kg", PriceFen: 900}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.sku, e.sku2 = pr.SKUs[0].ID, pr.SKUs[1].ID
	pr2, err := a.Catalog.Create(e.ctx, e.owner2, e.shop2.ID, catalog.ProductInput{
		CategoryID: vegetables, Name: "菜心", Status: catalog.ProductActive,
		SKUs: []catalog.SKUInput{{Code: "CX-1", Spec: "300g", PriceFen: 600}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.otherSKU = pr2.SKUs[0].ID
	if e.main, err = a.Inventory.CreateWarehouse(e.ctx, e.admin, inventory.WarehouseInput{Kind: "main", Name: "长沙总仓", RegionID: e.city.ID, Cold: true}); err != nil {
		t.Fatal(err)
	}
	if e.distr, err = a.Inventory.CreateWarehouse(e.ctx, e.admin, inventory.WarehouseInput{Kind: "district", Name: "岳麓分仓", RegionID: e.yuelu.ID}); err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(tn.Location())
	day := func(n int) string { return today.AddDate(0, 0, n).Format("2006-01-02") }
	receive := func(owner *identity.Principal, sh *merchant.Shop, sku string, w *inventory.Warehouse, qty int64, received int, producer, base string) *inventory.Lot {
		l, err := a.Inventory.Receive(e.ctx, owner, sh.ID, inventory.LotInput{SKUID: sku, WarehouseID: w.ID, Quantity: qty,
			ReceivedOn: day(received), BestBefore: day(received + 10), HarvestedOn: day(received - 1), Producer: producer, Base: base})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	e.lotOld = receive(e.owner, e.shop, e.sku, e.distr, 3, -2, "李大爷", "岳麓山基地")
	e.lotNew = receive(e.owner, e.shop, e.sku, e.main, 100, -1, "王阿姨", "望城基地")
	receive(e.owner, e.shop, e.sku2, e.main, 100, -1, "王阿姨", "望城基地")
	receive(e.owner2, e.shop2, e.otherSKU, e.main, 100, -1, "张三", "宁乡基地")
	if e.point, err = a.Fulfil.CreatePickupPoint(e.ctx, e.admin, fulfil.PickupPointInput{Name: "麓山南路自提点", Address: "麓山南路 2 号",
		RegionID: e.yuelu.ID, Hours: "09:00–21:00", Phone: "13700137000"}); err != nil {
		t.Fatal(err)
	}
	e.shopperPhone = "13912345678"
	e.shopper = e.userWithPhone("顾客", e.shopperPhone)
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

func (e *env) userWithPhone(name, phone string) *identity.Principal {
	e.t.Helper()
	var u *identity.User
	err := e.a.DB.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		u, err = e.a.Identity.CreateUser(ctx, tx, identity.UserInput{Phone: phone, Name: name, Password: "correct horse battery"})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return &identity.Principal{Kind: identity.KindTenant, UserID: u.ID, TenantID: e.tenant.ID, Name: name}
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

// place places a paid courier order of shop with lines at placed.
func (e *env) place(sh *merchant.Shop, placed time.Time, lines ...order.LineInput) *order.Order {
	e.t.Helper()
	return e.placeSpec(dispatchtest.Spec{ShopID: sh.ID, Delivery: ordertest.Courier(e.yuelu.ID, 800, 0), Lines: lines, PlacedAt: placed})
}

func (e *env) placeSpec(s dispatchtest.Spec) *order.Order {
	e.t.Helper()
	s.UserID = e.shopper.UserID
	o, err := dispatchtest.Place(e.ctx, e.a, s)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *env) status(id string) string {
	e.t.Helper()
	var o *order.Order
	err := e.a.DB.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		o, err = e.a.Orders.Order(ctx, tx, id)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return o.Status
}

func numbers(os []*dispatch.Order) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.Number)
	}
	return out
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

// TestWindow: the batch of a day runs from the cut-off of the day before
// (exclusive) to the day's cut-off (inclusive), in the tenant's zone.
func TestWindow(t *testing.T) {
	tn := &tenants.Tenant{TimeZone: "Asia/Shanghai", Settings: tenants.Settings{}}
	w, err := dispatch.WindowOf(tn, "2026-03-10")
	if err != nil {
		t.Fatal(err)
	}
	if !w.From.Equal(at(-1, 14, 0)) || !w.To.Equal(at(0, 14, 0)) || w.Cutoff != "14:00" {
		t.Fatalf("window %+v", w)
	}
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{at(0, 13, 59), "2026-03-10"},
		{at(0, 14, 0), "2026-03-10"},
		{at(0, 14, 1), "2026-03-11"},
		{at(-1, 14, 1), "2026-03-10"},
		{at(0, 0, 0), "2026-03-10"},
		{at(0, 23, 59), "2026-03-11"},
		// 13:59 in Changsha is 05:59 UTC: the zone decides, not UTC.
		{time.Date(2026, 3, 10, 5, 59, 0, 0, time.UTC), "2026-03-10"},
		{time.Date(2026, 3, 10, 6, 1, 0, 0, time.UTC), "2026-03-11"},
	} {
		if got := dispatch.DayOf(tn, c.t); got != c.want {
			t.Errorf("DayOf(%v) = %s, want %s", c.t, got, c.want)
		}
		if w, _ := dispatch.WindowOf(tn, c.want); !w.Contains(c.t) {
			t.Errorf("window %s does not contain %v", c.want, c.t)
		}
	}
	tn.Settings.DispatchCutoff = "16:30"
	w, _ = dispatch.WindowOf(tn, "2026-03-10")
	if !w.To.Equal(at(0, 16, 30)) || !w.From.Equal(at(-1, 16, 30)) {
		t.Fatalf("16:30 window %+v", w)
	}
	tn.Settings.DispatchCutoff = "25:99" // a bad stored value falls back to 14:00
	if w, _ = dispatch.WindowOf(tn, "2026-03-10"); !w.To.Equal(at(0, 14, 0)) {
		t.Fatalf("fallback window %+v", w)
	}
	for _, bad := range []string{"2026-02-30", "2026-3-10", "10/03/2026", "today", "2026-03-10T14:00"} {
		_, err := dispatch.WindowOf(tn, bad)
		wantField(t, err, "date", "dispatch.field.date")
	}
}

// TestBatch: 13:59 is in the day's batch, 14:01 in the next; held,
// unpaid, shipped and other shops' orders are not; pickup orders are,
// with their point; lines are split over the lots they were allocated
// from, first in first out, and grouped per warehouse in the pick list.
func TestBatch(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		// The first order takes the 3 units of the older district lot and
		// 2 of the main one.
		split := e.place(e.shop, at(0, 13, 59), ordertest.Line(e.sku, 5, 500), ordertest.Line(e.sku2, 1, 900))
		yesterdayLate := e.place(e.shop, at(-1, 14, 1), ordertest.Line(e.sku, 1, 500))
		exactly := e.place(e.shop, at(0, 14, 0), ordertest.Line(e.sku2, 2, 900))
		tomorrow := e.place(e.shop, at(0, 14, 1), ordertest.Line(e.sku, 1, 500))
		yesterday := e.place(e.shop, at(-1, 13, 59), ordertest.Line(e.sku, 1, 500))
		held := e.place(e.shop, at(0, 9, 0), ordertest.Line(e.sku, 1, 500))
		if err := dispatchtest.Hold(e.ctx, e.a, held.ID, "group_buy"); err != nil {
			t.Fatal(err)
		}
		unpaid := e.placeSpec(dispatchtest.Spec{ShopID: e.shop.ID, Delivery: ordertest.Courier(e.yuelu.ID, 0, 0),
			Lines: []order.LineInput{ordertest.Line(e.sku, 1, 500)}, PlacedAt: at(0, 9, 0), Unpaid: true})
		pickup := e.placeSpec(dispatchtest.Spec{ShopID: e.shop.ID, Delivery: ordertest.Pickup(e.yuelu.ID, e.point.ID),
			Lines: []order.LineInput{ordertest.Line(e.sku2, 3, 900)}, PlacedAt: at(0, 10, 0)})
		other := e.place(e.shop2, at(0, 10, 0), ordertest.Line(e.otherSKU, 1, 600))

		b, err := e.ds.Batch(e.ctx, e.owner, e.shop.ID, "2026-03-10")
		if err != nil {
			t.Fatal(err)
		}
		want := []string{yesterdayLate.Number, pickup.Number, split.Number, exactly.Number}
		if got := numbers(b.Orders); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("batch %v, want %v (tomorrow %s, yesterday %s, unpaid %s, other %s)", got, want,
				tomorrow.Number, yesterday.Number, unpaid.Number, other.Number)
		}
		if len(b.Held) != 1 || b.Held[0].Number != held.Number || b.Held[0].Holds[0] != "group_buy" {
			t.Fatalf("held %+v", b.Held)
		}
		if b.TotalFen != yesterdayLate.TotalFen+pickup.TotalFen+split.TotalFen+exactly.TotalFen {
			t.Fatalf("total %d", b.TotalFen)
		}
		var bp, bs *dispatch.Order
		for _, o := range b.Orders {
			switch o.ID {
			case pickup.ID:
				bp = o
			case split.ID:
				bs = o
			}
		}
		if bp.PickupPoint == nil || bp.PickupPoint.Name != "麓山南路自提点" || bp.DeliveryMethod != order.MethodPickup {
			t.Fatalf("pickup order %+v", bp)
		}
		if !bs.ShipBy.Equal(at(1, 13, 59)) || !bs.DeliverBy.Equal(at(2, 13, 59)) {
			t.Fatalf("promise %v %v", bs.ShipBy, bs.DeliverBy)
		}
		if len(bs.Lines) != 2 || len(bs.Lines[0].Lots) != 2 || bs.Lines[0].Lots[0].LotID != e.lotOld.ID ||
			bs.Lines[0].Lots[0].Qty != 3 || bs.Lines[0].Lots[1].LotID != e.lotNew.ID || bs.Lines[0].Lots[1].Qty != 2 ||
			bs.Lines[0].Lots[0].Warehouse != "岳麓分仓" || bs.Lines[0].Lots[0].Producer != "李大爷" {
			t.Fatalf("lines of the split order %+v", bs.Lines[0].Lots)
		}

		// The next day's batch holds 14:01; the day before's holds 13:59.
		b2, err := e.ds.Batch(e.ctx, e.owner, e.shop.ID, "2026-03-11")
		if err != nil || len(b2.Orders) != 1 || b2.Orders[0].ID != tomorrow.ID {
			t.Fatalf("next day %v %v", b2, err)
		}
		b0, err := e.ds.Batch(e.ctx, e.owner, e.shop.ID, "2026-03-09")
		if err != nil || len(b0.Orders) != 1 || b0.Orders[0].ID != yesterday.ID {
			t.Fatalf("day before %v %v", b0, err)
		}
		// No date: today on the service's clock.
		bt, err := e.ds.Batch(e.ctx, e.owner, e.shop.ID, "")
		if err != nil || bt.Date != "2026-03-10" || len(bt.Orders) != 4 {
			t.Fatalf("today %+v %v", bt, err)
		}

		pl, err := e.ds.PickList(e.ctx, e.owner, e.shop.ID, "2026-03-10")
		if err != nil {
			t.Fatal(err)
		}
		if len(pl.Warehouses) != 2 || pl.Warehouses[0].Name != "岳麓分仓" || pl.Warehouses[1].Name != "长沙总仓" {
			t.Fatalf("warehouses %+v", pl.Warehouses)
		}
		distr, main := pl.Warehouses[0], pl.Warehouses[1]
		if len(distr.Items) != 1 || distr.Items[0].Qty != 3 || distr.Units != 3 || len(distr.Items[0].Orders) != 1 ||
			distr.Items[0].Orders[0].Number != split.Number {
			t.Fatalf("district picks %+v", distr.Items)
		}
		// Main: XBC-1K 1 (split) + 2 (exactly) + 3 (pickup); XBC-500 2 (split) + 1 (yesterday late).
		if len(main.Items) != 2 || main.Items[0].SKUCode != "XBC-1K" || main.Items[0].Qty != 6 || main.Items[1].SKUCode != "XBC-500" ||
			main.Items[1].Qty != 3 || main.Units != 9 {
			t.Fatalf("main picks %+v %+v", main.Items[0], main.Items[1])
		}
		var toPoint *dispatch.PickOrder
		for _, po := range main.Items[0].Orders {
			if po.OrderID == pickup.ID {
				toPoint = po
			}
		}
		if toPoint == nil || toPoint.PickupPoint != "麓山南路自提点" || toPoint.Qty != 3 {
			t.Fatalf("pickup order in the pick list %+v", main.Items[0].Orders)
		}
		if len(main.Items[1].Lots) != 1 || main.Items[1].Lots[0].LotID != e.lotNew.ID || main.Items[1].Lots[0].Qty != 3 {
			t.Fatalf("lots %+v", main.Items[1].Lots)
		}

		// Reach: another shop's owner, a shopper, another tenant's shop.
		_, err = e.ds.Batch(e.ctx, e.owner2, e.shop.ID, "2026-03-10")
		wantCode(t, err, core.NotFound)
		_, err = e.ds.Batch(e.ctx, e.shopper, e.shop.ID, "2026-03-10")
		wantCode(t, err, core.NotFound)
		_, err = e.ds.Batch(e.ctx, e.owner, tenants.NewID(), "2026-03-10")
		wantCode(t, err, core.NotFound)
		_, err = e.ds.Batch(e.ctx, e.owner, e.shop.ID, "2026-13-01")
		wantField(t, err, "date", "dispatch.field.date")
		staff := e.user("staff", authz.MerchantStaff, merchant.OwnerDomain(e.tenant.ID, e.shop.ID))
		if _, err := e.ds.Batch(e.ctx, staff, e.shop.ID, "2026-03-10"); err != nil {
			t.Fatalf("staff: %v", err)
		}
		e2 := newEnv(t, d)
		_, err = e2.ds.Batch(e2.ctx, e2.owner, e.shop.ID, "2026-03-10")
		wantCode(t, err, core.NotFound)
		_, err = e.ds.Batch(e2.ctx, e.owner, e.shop.ID, "2026-03-10")
		if c := core.ErrorCode(err); c != core.NotFound && c != core.Unauthenticated {
			t.Fatalf("principal of another tenant: %v", err)
		}
	})
}

// TestCSV: the export starts with the BOM, has a header in the caller's
// language, and one row per order with Chinese text intact and amounts
// in yuan.
func TestCSV(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		o := e.place(e.shop, at(0, 13, 59), ordertest.Line(e.sku, 2, 500), ordertest.Line(e.sku2, 1, 900))
		p := e.placeSpec(dispatchtest.Spec{ShopID: e.shop.ID, Delivery: ordertest.Pickup(e.yuelu.ID, e.point.ID),
			Lines: []order.LineInput{ordertest.Line(e.sku2, 1, 900)}, PlacedAt: at(0, 10, 0)})
		b, err := e.ds.Batch(e.ctx, e.owner, e.shop.ID, "2026-03-10")
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := dispatch.WriteCSV(&buf, b, "zh-CN", e.tenant.Location()); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(buf.Bytes(), []byte{0xEF, 0xBB, 0xBF}) {
			t.Fatalf("no BOM: % x", buf.Bytes()[:3])
		}
		rows, err := csv.NewReader(bytes.NewReader(buf.Bytes()[3:])).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || len(rows[0]) != len(dispatch.CSVColumns) {
			t.Fatalf("rows %v", rows)
		}
		wantHead := []string{"订单号", "下单时间", "收货人", "电话", "地址/自提点", "配送方式", "送达承诺", "商品（规格编码 名称 规格 ×数量）",
			"件数", "商品金额（元）", "优惠（元）", "运费（元）", "实付（元）"}
		if strings.Join(rows[0], "|") != strings.Join(wantHead, "|") {
			t.Fatalf("header %v", rows[0])
		}
		pr, cr := rows[1], rows[2] // pickup at 10:00 first
		if cr[0] != o.Number || cr[1] != "2026-03-10 13:59" || cr[2] != "王芳" || cr[3] != "13800138000" ||
			cr[4] != "岳麓区麓山南路 1 号" || cr[5] != "快递" || cr[6] != "明日达" ||
			cr[7] != "XBC-500 小白菜 500g ×2; XBC-1K 小白菜 1kg ×1" || cr[8] != "3" || cr[9] != "19.00" ||
			cr[10] != "0.00" || cr[11] != "8.00" || cr[12] != "27.00" {
			t.Fatalf("courier row %q", cr)
		}
		if pr[0] != p.Number || pr[4] != "自提：麓山南路自提点 麓山南路 2 号" || pr[5] != "自提" || pr[12] != "9.00" {
			t.Fatalf("pickup row %q", pr)
		}
		buf.Reset()
		if err := dispatch.WriteCSV(&buf, b, "en", e.tenant.Location()); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "Order number,Placed at") || !strings.Contains(buf.String(), "小白菜") {
			t.Fatalf("english csv %s", buf.String())
		}
	})
}

var (
	qrPath  = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)
	qrView  = regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`)
	barRect = regexp.MustCompile(`<rect x="(\d+)" y="0" width="(\d+)" height="40"/>`)
)

// decodeQR reads the modules back out of the SVG QRSVG drew.
func decodeQR(t *testing.T, svg string) [][]bool {
	t.Helper()
	m := qrView.FindStringSubmatch(svg)
	if m == nil {
		t.Fatalf("no viewBox in %s", svg)
	}
	size, _ := strconv.Atoi(m[1])
	n := size - 8
	grid := make([][]bool, n)
	for i := range grid {
		grid[i] = make([]bool, n)
	}
	for _, r := range qrPath.FindAllStringSubmatch(svg, -1) {
		x, _ := strconv.Atoi(r[1])
		y, _ := strconv.Atoi(r[2])
		run, _ := strconv.Atoi(r[3])
		for i := range run {
			grid[y-4][x-4+i] = true
		}
	}
	return grid
}

// decodeBars reads the bars back out of the SVG Code128SVG drew.
func decodeBars(t *testing.T, svg string) []bool {
	t.Helper()
	m := qrView.FindStringSubmatch(svg)
	if m == nil {
		t.Fatalf("no viewBox in %s", svg)
	}
	size, _ := strconv.Atoi(m[1])
	out := make([]bool, size-20)
	for _, r := range barRect.FindAllStringSubmatch(svg, -1) {
		x, _ := strconv.Atoi(r[1])
		w, _ := strconv.Atoi(r[2])
		for i := range w {
			out[x-10+i] = true
		}
	}
	return out
}

// code128 decodes Code128 bars (code set C digits only, as order numbers
// are): start C, pairs of digits, check symbol, stop.
func code128(t *testing.T, bars []bool) string {
	t.Helper()
	// Widths of the 107 symbols, from the standard table.
	patterns := strings.Fields(`212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 221312 231212 112232 122132 122231 113222 123122 123221 223211 221132 221231 213212 223112 312131 311222 321122 321221 312212 322112 322211 212123 212321 232121 111323 131123 131321 112313 132113 132311 211313 231113 231311 112133 112331 132131 113123 113321 133121 313121 211331 231131 213113 213311 213131 311123 311321 331121 312113 312311 332111 314111 221411 431111 111224 111422 121124 121421 141122 141221 112214 112412 122114 122411 142112 142211 241211 221114 413111 241112 134111 111242 121142 121241 114212 124112 124211 411212 421112 421211 212141 214121 412121 111143 111341 131141 114113 114311 411113 411311 113141 114131 311141 411131 211412 211214 211232 2331112`)
	var widths []string
	for i := 0; i < len(bars); {
		j := i
		for j < len(bars) && bars[j] == bars[i] {
			j++
		}
		widths = append(widths, strconv.Itoa(j-i))
		i = j
	}
	all := strings.Join(widths, "")
	var syms []int
	for len(all) >= 6 {
		w := 6
		if strings.HasPrefix(all, "2331112") {
			w = 7
		}
		k := -1
		for i, p := range patterns {
			if p == all[:w] {
				k = i
			}
		}
		if k < 0 {
			t.Fatalf("no symbol %s", all[:w])
		}
		syms = append(syms, k)
		all = all[w:]
	}
	if len(syms) < 3 || syms[0] != 105 || syms[len(syms)-1] != 106 {
		t.Fatalf("symbols %v", syms)
	}
	sum := syms[0]
	var digits strings.Builder
	for i, s := range syms[1 : len(syms)-2] {
		sum += (i + 1) * s
		digits.WriteString(strconv.Itoa(s/10) + strconv.Itoa(s%10))
	}
	if sum%103 != syms[len(syms)-2] {
		t.Fatalf("bad check symbol in %v", syms)
	}
	return digits.String()
}

// TestLabels: a label per order with the recipient, the masked phone, the
// destination, the promise, a QR code whose modules are exactly those of
// the order number's QR code, a Code128 barcode that decodes to the order
// number, and the traceability of its lots.
func TestLabels(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		o := e.place(e.shop, at(0, 13, 0), ordertest.Line(e.sku, 4, 500))
		b, err := e.ds.Batch(e.ctx, e.owner, e.shop.ID, "2026-03-10")
		if err != nil {
			t.Fatal(err)
		}
		ls, err := dispatch.Labels(b)
		if err != nil || len(ls) != 1 {
			t.Fatalf("labels %v %v", ls, err)
		}
		l := ls[0]
		if l.Order.Number != o.Number || l.Phone != "138****8000" || l.ShopName != e.shop.Name {
			t.Fatalf("label %+v", l)
		}
		want, err := dispatch.QRModules(o.Number)
		if err != nil {
			t.Fatal(err)
		}
		got := decodeQR(t, string(l.QR))
		if len(got) != len(want) || len(got) < 21 {
			t.Fatalf("QR of %d modules, want %d", len(got), len(want))
		}
		for y := range want {
			for x := range want[y] {
				if got[y][x] != want[y][x] {
					t.Fatalf("QR module %d,%d differs", x, y)
				}
			}
		}
		// The three finder patterns are where a reader looks for them.
		for _, c := range [][2]int{{0, 0}, {len(got) - 7, 0}, {0, len(got) - 7}} {
			for i := range 7 {
				if !got[c[1]][c[0]+i] || !got[c[1]+6][c[0]+i] || !got[c[1]+i][c[0]] || !got[c[1]+i][c[0]+6] || got[c[1]+1][c[0]+1] {
					t.Fatalf("finder pattern at %v broken", c)
				}
			}
		}
		if n := code128(t, decodeBars(t, string(l.Barcode))); n != o.Number {
			t.Fatalf("barcode decodes to %q, want %q", n, o.Number)
		}
		if len(l.Trace) != 1 || len(l.Trace[0].Lots) != 2 || l.Trace[0].Lots[0].Producer != "李大爷" ||
			l.Trace[0].Lots[0].Base != "岳麓山基地" || l.Trace[0].Lots[0].HarvestedOn == "" || l.Trace[0].Lots[1].Producer != "王阿姨" {
			t.Fatalf("trace %+v", l.Trace)
		}
		if dispatch.MaskPhone("123") != "123" || dispatch.MaskPhone("13800138000") != "138****8000" {
			t.Fatal("mask")
		}
	})
}

// TestShip: one order shipped, the others refused each for its own
// reason; bad requests write nothing.
func TestShip(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ok := e.place(e.shop, at(0, 9, 0), ordertest.Line(e.sku, 1, 500))
		held := e.place(e.shop, at(0, 9, 1), ordertest.Line(e.sku, 1, 500))
		if err := dispatchtest.Hold(e.ctx, e.a, held.ID, "group_buy"); err != nil {
			t.Fatal(err)
		}
		pickup := e.placeSpec(dispatchtest.Spec{ShopID: e.shop.ID, Delivery: ordertest.Pickup(e.yuelu.ID, e.point.ID),
			Lines: []order.LineInput{ordertest.Line(e.sku2, 1, 900)}, PlacedAt: at(0, 10, 0)})
		unpaid := e.placeSpec(dispatchtest.Spec{ShopID: e.shop.ID, Delivery: ordertest.Courier(e.yuelu.ID, 0, 0),
			Lines: []order.LineInput{ordertest.Line(e.sku, 1, 500)}, PlacedAt: at(0, 9, 0), Unpaid: true})
		other := e.place(e.shop2, at(0, 10, 0), ordertest.Line(e.otherSKU, 1, 600))
		before := map[string]string{}
		all := []*order.Order{ok, held, pickup, unpaid, other}
		for _, o := range all {
			before[o.ID] = e.status(o.ID)
		}
		unchanged := func(what string) {
			t.Helper()
			for _, o := range all {
				if s := e.status(o.ID); s != before[o.ID] {
					t.Fatalf("%s: order %s moved to %s", what, o.Number, s)
				}
			}
		}
		long := strings.Repeat("9", dispatch.TrackingMax+1)
		for _, c := range []struct {
			in           dispatch.ShipInput
			field, key   string
			what         string
			wantNotFound bool
		}{
			{dispatch.ShipInput{Courier: "顺丰"}, "orders", "dispatch.field.orders_count", "empty", false},
			{dispatch.ShipInput{Courier: "顺丰", Orders: []dispatch.ShipOrder{{OrderID: ok.ID, TrackingNo: "SF1"}, {OrderID: tenants.NewID(), TrackingNo: "SF2"}}},
				"orders.1.order_id", "dispatch.field.order_unknown", "unknown id", false},
			{dispatch.ShipInput{Courier: "顺丰", Orders: []dispatch.ShipOrder{{OrderID: ok.ID, TrackingNo: "SF1"}, {OrderID: "not-an-id", TrackingNo: "SF2"}}},
				"orders.1.order_id", "dispatch.field.order_unknown", "bad id", false},
			{dispatch.ShipInput{Courier: "顺丰", Orders: []dispatch.ShipOrder{{OrderID: ok.ID, TrackingNo: "SF1"}, {OrderID: other.ID, TrackingNo: "SF2"}}},
				"orders.1.order_id", "dispatch.field.order_unknown", "another shop's order", false},
			{dispatch.ShipInput{Courier: "顺丰", Orders: []dispatch.ShipOrder{{OrderID: ok.ID, TrackingNo: long}}},
				"orders.0.tracking_no", "field.too_long", "long tracking", false},
			{dispatch.ShipInput{Courier: "顺丰", Orders: []dispatch.ShipOrder{{OrderID: ok.ID}}},
				"orders.0.tracking_no", "field.required", "no tracking", false},
			{dispatch.ShipInput{Orders: []dispatch.ShipOrder{{OrderID: ok.ID, TrackingNo: "SF1"}}},
				"orders.0.courier", "dispatch.field.courier_required", "no courier", false},
			{dispatch.ShipInput{Courier: strings.Repeat("顺", dispatch.CourierMax+1), Orders: []dispatch.ShipOrder{{OrderID: ok.ID, TrackingNo: "SF1"}}},
				"courier", "field.too_long", "long courier", false},
			{dispatch.ShipInput{Courier: "顺丰", Orders: []dispatch.ShipOrder{{OrderID: ok.ID, TrackingNo: "SF1"}, {OrderID: ok.ID, TrackingNo: "SF2"}}},
				"orders.1.order_id", "dispatch.field.order_twice", "twice", false},
			{dispatch.ShipInput{Courier: "顺丰", Orders: []dispatch.ShipOrder{{OrderID: ok.ID, TrackingNo: "SF1"}, {OrderID: held.ID, TrackingNo: "SF1"}}},
				"orders.1.tracking_no", "dispatch.field.tracking_twice", "same tracking", false},
		} {
			_, err := e.ds.Ship(e.ctx, e.owner, e.shop.ID, c.in)
			wantField(t, err, c.field, c.key)
			unchanged(c.what)
		}
		many := dispatch.ShipInput{Courier: "顺丰"}
		for i := range dispatch.MaxShip + 1 {
			many.Orders = append(many.Orders, dispatch.ShipOrder{OrderID: tenants.NewID(), TrackingNo: "SF" + strconv.Itoa(i)})
		}
		_, err := e.ds.Ship(e.ctx, e.owner, e.shop.ID, many)
		wantField(t, err, "orders", "dispatch.field.orders_count")
		in := dispatch.ShipInput{Courier: "顺丰", Orders: []dispatch.ShipOrder{{OrderID: ok.ID, TrackingNo: "SF1"}}}
		_, err = e.ds.Ship(e.ctx, e.owner2, e.shop.ID, in)
		wantCode(t, err, core.NotFound)
		e2 := newEnv(t, d)
		_, err = e2.ds.Ship(e2.ctx, e2.owner, e.shop.ID, in)
		wantCode(t, err, core.NotFound)
		unchanged("other reach")

		rep, err := e.ds.Ship(e.ctx, e.owner, e.shop.ID, dispatch.ShipInput{Courier: "顺丰", Orders: []dispatch.ShipOrder{
			{OrderID: ok.ID, TrackingNo: "SF1001", Courier: "京东"},
			{OrderID: held.ID, TrackingNo: "SF1002"},
			{OrderID: pickup.ID, TrackingNo: "SF1003"},
			{OrderID: unpaid.ID, TrackingNo: "SF1004"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		rep.Localize(e.ctx, "zh-CN")
		if rep.Shipped != 1 || rep.Failed != 3 || len(rep.Results) != 4 {
			t.Fatalf("report %+v", rep)
		}
		r := rep.Results
		if !r[0].Shipped || r[0].Status != order.StatusShipped || r[0].Error != nil || r[0].Number != ok.Number {
			t.Fatalf("shipped %+v", r[0])
		}
		for i, want := range []string{"group_buy", "自提订单", "pending_payment"} {
			res := r[i+1]
			if res.Shipped || res.Error == nil || res.Error.Code != core.Conflict || !strings.Contains(res.Error.Message, want) {
				t.Fatalf("result %d: %+v %+v", i+1, res, res.Error)
			}
		}
		var shipped *order.Order
		err = e.a.DB.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
			shipped, err = e.a.Orders.Order(ctx, tx, ok.ID)
			return err
		})
		if err != nil || shipped.Courier != "京东" || shipped.TrackingNo != "SF1001" || shipped.ShippedAt == nil {
			t.Fatalf("shipped order %+v %v", shipped, err)
		}
		// accepted, packed, shipped: every step recorded.
		var tos []string
		for _, ev := range shipped.Events {
			tos = append(tos, ev.To)
		}
		if strings.Join(tos, ",") != "pending_payment,paid,accepted,packed,shipped" {
			t.Fatalf("events %v", tos)
		}
		for _, o := range []*order.Order{held, pickup, unpaid} {
			if s := e.status(o.ID); s != before[o.ID] {
				t.Fatalf("refused order %s moved to %s", o.Number, s)
			}
		}
		// Shipping it again: refused, with its status.
		rep, err = e.ds.Ship(e.ctx, e.owner, e.shop.ID, dispatch.ShipInput{Courier: "顺丰", Orders: []dispatch.ShipOrder{{OrderID: ok.ID, TrackingNo: "SF9"}}})
		if err != nil || rep.Shipped != 0 || rep.Results[0].Status != order.StatusShipped {
			t.Fatalf("again %+v %v", rep, err)
		}
	})
}

// TestAtRisk: unshipped orders whose ship-by is near or past and shipped
// ones whose deliver-by is, per shop and tenant-wide, with the shopper's
// phone; orders far from their promise are not listed.
func TestAtRisk(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.clock = at(1, 12, 0)
		late := e.place(e.shop, at(0, 9, 0), ordertest.Line(e.sku, 1, 500))    // ship-by 11th 09:00: overdue
		soon := e.place(e.shop, at(0, 14, 0), ordertest.Line(e.sku, 1, 500))   // ship-by 11th 14:00: in 2 h
		fresh := e.place(e.shop, at(1, 10, 0), ordertest.Line(e.sku, 1, 500))  // ship-by 12th 10:00: fine
		ship := e.place(e.shop, at(-1, 13, 0), ordertest.Line(e.sku2, 1, 900)) // deliver-by 11th 13:00: in 1 h
		other := e.place(e.shop2, at(0, 8, 0), ordertest.Line(e.otherSKU, 1, 600))
		rep, err := e.ds.Ship(e.ctx, e.owner, e.shop.ID, dispatch.ShipInput{Courier: "顺丰", Orders: []dispatch.ShipOrder{{OrderID: ship.ID, TrackingNo: "SF7"}}})
		if err != nil || rep.Shipped != 1 {
			t.Fatalf("ship %+v %v", rep, err)
		}
		if err := dispatchtest.Hold(e.ctx, e.a, late.ID, "review"); err != nil {
			t.Fatal(err)
		}

		l, err := e.ds.ShopAtRisk(e.ctx, e.owner, e.shop.ID, 4)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range l.Orders {
			got = append(got, o.Number+":"+o.Risk)
		}
		want := []string{late.Number + ":ship", ship.Number + ":deliver", soon.Number + ":ship"}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("at risk %v, want %v (fresh %s)", got, want, fresh.Number)
		}
		if o := l.Orders[0]; !o.Overdue || o.ShopperPhone != e.shopperPhone || o.ShopperName != "顾客" || o.Phone != "13800138000" ||
			len(o.Holds) != 1 || o.Holds[0] != "review" || o.ShopName != e.shop.Name {
			t.Fatalf("late %+v", o)
		}
		if o := l.Orders[1]; o.Overdue || o.Courier != "顺丰" || o.TrackingNo != "SF7" || !o.Due.Equal(at(1, 13, 0)) {
			t.Fatalf("shipped %+v", o)
		}
		// hours 0: only what is overdue.
		l, err = e.ds.ShopAtRisk(e.ctx, e.owner, e.shop.ID, 0)
		if err != nil || len(l.Orders) != 1 || l.Orders[0].ID != late.ID {
			t.Fatalf("overdue only %+v %v", l, err)
		}
		// Tenant-wide for the admin: the other shop's late order too.
		l, err = e.ds.AtRisk(e.ctx, e.admin, 4)
		if err != nil || len(l.Orders) != 4 || l.Orders[0].ID != other.ID {
			t.Fatalf("tenant-wide %+v %v", l, err)
		}
		for _, h := range []int{-1, dispatch.MaxRiskHours + 1} {
			_, err = e.ds.ShopAtRisk(e.ctx, e.owner, e.shop.ID, h)
			wantField(t, err, "hours", "dispatch.field.hours")
			_, err = e.ds.AtRisk(e.ctx, e.admin, h)
			wantField(t, err, "hours", "dispatch.field.hours")
		}
		_, err = e.ds.AtRisk(e.ctx, e.owner, 4)
		wantCode(t, err, core.Forbidden)
		_, err = e.ds.ShopAtRisk(e.ctx, e.owner2, e.shop.ID, 4)
		wantCode(t, err, core.NotFound)
		e2 := newEnv(t, d)
		_, err = e2.ds.ShopAtRisk(e2.ctx, e2.owner, e.shop.ID, 4)
		wantCode(t, err, core.NotFound)
		e2.clock = e.clock
		if l, err := e2.ds.AtRisk(e2.ctx, e2.admin, 48); err != nil || len(l.Orders) != 0 {
			t.Fatalf("another tenant's admin sees %+v %v", l, err)
		}
	})
}
