package order_test

import (
	"context"
	"errors"
	"os"
	"regexp"
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
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/order/ordertest"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// env is one tenant with a district, its admin, two shops with owners
// and a product each (two SKUs in the first), a shopper, and an order
// service on fakes and a movable clock.
type env struct {
	t             *testing.T
	a             *app.App
	svc           *order.Service
	f             *ordertest.Fakes
	tenant        *tenants.Tenant
	ctx           context.Context
	yuelu         *tenants.Region
	admin         *identity.Principal
	shop, shop2   *merchant.Shop
	owner, owner2 *identity.Principal
	sku, skuB     string // shop
	sku2          string // shop2
	buyer         *identity.Principal
	clock         atomic.Pointer[time.Time]
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	ctx := context.Background()
	a, err := app.NewWithDB(ctx, app.Config{FastHashing: true, DataDir: t.TempDir()}, d)
	if err != nil {
		t.Fatal(err)
	}
	slug := "or-" + strings.ReplaceAll(tenants.NewID()[24:], "-", "")
	tn, err := a.Provisioner.Create(ctx, a.DB, tenants.CreateInput{Slug: slug, Name: "网上供销社"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, a: a, tenant: tn, ctx: tenants.WithTenant(ctx, tn), f: ordertest.NewFakes()}
	e.svc = e.f.Service(a.DB, a.Authz)
	now := time.Now()
	e.clock.Store(&now)
	order.SetNow(e.svc, func() time.Time { return *e.clock.Load() })
	var vegetables string
	err = a.DB.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		city, err := tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "changsha", Name: "长沙市"})
		if err != nil {
			return err
		}
		if e.yuelu, err = tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "yuelu", Name: "岳麓区", ParentID: city.ID}); err != nil {
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
	e.shop2, e.owner2 = e.openShop("fruit")
	pr, err := a.Catalog.Create(e.ctx, e.owner, e.shop.ID, catalog.ProductInput{
		CategoryID: vegetables, Name: "小白菜", Status: catalog.ProductActive,
		SKUs: []catalog.SKUInput{{Code: "XBC-500", Spec: "500g", PriceFen: 500}, {Code: "XBC-1K", Spec: "1kg", PriceFen: 900}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.sku, e.skuB = pr.SKUs[0].ID, pr.SKUs[1].ID
	pr2, err := a.Catalog.Create(e.ctx, e.owner2, e.shop2.ID, catalog.ProductInput{
		CategoryID: vegetables, Name: "红薯", Status: catalog.ProductActive,
		SKUs: []catalog.SKUInput{{Code: "HS-1", Spec: "2.5kg", PriceFen: 1990}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.sku2 = pr2.SKUs[0].ID
	e.buyer = e.user("买家", "", "")
	return e
}

func (e *env) advance(d time.Duration) {
	now := e.clock.Load().Add(d)
	e.clock.Store(&now)
}

func (e *env) user(name, role, domain string) *identity.Principal {
	e.t.Helper()
	email := "u-" + tenants.NewID()[24:] + "@example.com"
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

// place creates a checkout of the buyer: shop 1 gets 3 × sku at 333 fen
// with a 99-fen discount (50 shop, 49 platform) and 2 × skuB at 900, by
// courier for 800 less 300; shop 2 gets 1 × sku2 for pickup at pointID.
func (e *env) place(paymentStatus, pointID string) *order.Group {
	e.t.Helper()
	in := ordertest.Input(e.buyer.UserID,
		ordertest.Shop(e.shop.ID, ordertest.Courier(e.yuelu.ID, 800, 300),
			ordertest.Line(e.sku, 3, 333, ordertest.Discount(50, order.FundedByShop), ordertest.Discount(49, order.FundedByPlatform)),
			ordertest.Line(e.skuB, 2, 900)),
		ordertest.Shop(e.shop2.ID, ordertest.Pickup(e.yuelu.ID, pointID), ordertest.Line(e.sku2, 1, 1990)))
	g, err := ordertest.Place(e.ctx, e.svc, e.a.DB, e.f, in, paymentStatus)
	if err != nil {
		e.t.Fatal(err)
	}
	return g
}

func wantCode(t *testing.T, err error, code core.Code) {
	t.Helper()
	if core.ErrorCode(err) != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

func (e *env) count(model any) int {
	e.t.Helper()
	var n int
	err := e.a.DB.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		k, err := db.Select(ctx, tx, model).Count(ctx)
		n = int(k)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) order(id string) *order.Order {
	e.t.Helper()
	var o *order.Order
	err := e.a.DB.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		o, err = e.svc.Order(ctx, tx, id)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

var numberRE = regexp.MustCompile(`^[0-9]{12}$`)

func TestCreate(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		point := tenants.NewID()
		g := e.place("", point)
		if len(g.Orders) != 2 || g.Status != order.GroupPendingPayment || !strings.HasPrefix(g.Number, "G") {
			t.Fatalf("group %+v", g)
		}
		o1, o2 := g.Orders[0], g.Orders[1]
		if o1.ShopID != e.shop.ID {
			o1, o2 = o2, o1
		}
		// 3×333 − 99 + 2×900 + (800 − 300) = 2700; 1990.
		if o1.SubtotalFen != 2799 || o1.DiscountFen != 99 || o1.TotalFen != 3200 || o2.TotalFen != 1990 || g.TotalFen != 5190 {
			t.Fatalf("totals %d/%d/%d, %d, group %d", o1.SubtotalFen, o1.DiscountFen, o1.TotalFen, o2.TotalFen, g.TotalFen)
		}
		if !numberRE.MatchString(o1.Number) || o1.Number == o2.Number || o1.PickupCode != "" {
			t.Fatalf("numbers %q %q, code %q", o1.Number, o2.Number, o1.PickupCode)
		}
		if ok, _ := regexp.MatchString(`^[0-9]{6}$`, o2.PickupCode); !ok || o2.PickupPointID == nil || *o2.PickupPointID != point {
			t.Fatalf("pickup order %+v", o2)
		}
		got := e.order(o1.ID)
		if len(got.Lines) != 2 || got.Lines[0].Name != "小白菜" || got.Lines[0].Spec != "500g" || len(got.Lines[0].Discounts) != 2 ||
			got.Status != order.StatusPendingPayment || got.PaymentStatus != order.PaymentUnpaid || len(got.Events) != 1 ||
			got.Events[0].ActorID == nil || *got.Events[0].ActorID != e.buyer.UserID {
			t.Fatalf("stored order %+v", got)
		}

		// Replay: FindByKey finds it; Create with the same key is a conflict.
		var found *order.Group
		err := d.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
			found, err = e.svc.FindByKey(ctx, tx, e.buyer.UserID, g.IdempotencyKey)
			return err
		})
		if err != nil || found.ID != g.ID || found.RequestHash != g.RequestHash {
			t.Fatalf("find by key: %v %+v", err, found)
		}
		err = d.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) error {
			if err := e.svc.StoreResponse(ctx, tx, g.ID, `{"ok":true}`); err != nil {
				return err
			}
			in := ordertest.Input(e.buyer.UserID, ordertest.Shop(e.shop.ID, ordertest.Courier(e.yuelu.ID, 0, 0), ordertest.Line(e.sku, 1, 500)))
			in.IdempotencyKey = g.IdempotencyKey
			_, err := e.svc.Create(ctx, tx, in)
			return err
		})
		wantCode(t, err, core.Conflict)

		// Bad input: field errors, nothing written.
		before := e.count((*order.Order)(nil))
		bad := []func(*order.GroupInput){
			func(in *order.GroupInput) { in.Shops[0].Lines[0].TotalFen++ },
			func(in *order.GroupInput) { in.Shops[0].Lines[0].Qty = 0 },
			func(in *order.GroupInput) { in.Shops[0].Delivery.ShippingDiscountFen = 10_000 },
			func(in *order.GroupInput) { in.Shops[0].Delivery.Phone = "123" },
			func(in *order.GroupInput) { in.Shops[1].ReservationID = in.Shops[0].ReservationID },
			func(in *order.GroupInput) { in.Shops[1].Delivery.PickupPointID = "" },
			func(in *order.GroupInput) { in.IdempotencyKey = "" },
		}
		for i, mutate := range bad {
			in := ordertest.Input(e.buyer.UserID,
				ordertest.Shop(e.shop.ID, ordertest.Courier(e.yuelu.ID, 800, 0), ordertest.Line(e.sku, 1, 500)),
				ordertest.Shop(e.shop2.ID, ordertest.Pickup(e.yuelu.ID, point), ordertest.Line(e.sku2, 1, 1990)))
			mutate(&in)
			_, err := ordertest.Place(e.ctx, e.svc, d, nil, in, "")
			var ce *core.Error
			if !errors.As(err, &ce) || ce.Code != core.Invalid || len(ce.Fields) == 0 {
				t.Fatalf("bad input %d: %v", i, err)
			}
		}
		// A SKU of another shop, or of no shop: NotFound.
		for _, sku := range []string{e.sku2, tenants.NewID()} {
			in := ordertest.Input(e.buyer.UserID, ordertest.Shop(e.shop.ID, ordertest.Courier(e.yuelu.ID, 0, 0), ordertest.Line(sku, 1, 500)))
			_, err := ordertest.Place(e.ctx, e.svc, d, nil, in, "")
			wantCode(t, err, core.NotFound)
		}
		if n := e.count((*order.Order)(nil)); n != before {
			t.Fatalf("bad input wrote orders: %d → %d", before, n)
		}

		// MarkPaid: every order paid (due for offline), events by the system.
		err = d.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) error { return e.svc.MarkPaid(ctx, tx, g.ID, order.PaymentDue) })
		if err != nil {
			t.Fatal(err)
		}
		got = e.order(o2.ID)
		if got.Status != order.StatusPaid || got.PaymentStatus != order.PaymentDue || got.PaidAt == nil ||
			got.Events[1].ActorID != nil || got.Events[1].ActorRole != order.RoleSystem {
			t.Fatalf("paid order %+v", got)
		}
		err = d.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) error { return e.svc.MarkPaid(ctx, tx, g.ID, order.PaymentPaid) })
		if err != nil {
			t.Fatalf("marking a paid group again: %v", err)
		}
		err = d.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) error { return e.svc.MarkPaid(ctx, tx, g.ID, "refunded") })
		wantCode(t, err, core.Invalid)
	})
}

func TestStateMachine(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		g := e.place(order.PaymentPaid, tenants.NewID())
		courier, pickup := g.Orders[0], g.Orders[1]
		if courier.ShopID != e.shop.ID {
			courier, pickup = pickup, courier
		}
		step := func(o *order.Order, sh *merchant.Shop, who *identity.Principal, in order.TransitionInput) error {
			_, err := e.svc.Transition(e.ctx, who, sh.ID, o.ID, in)
			return err
		}
		// Illegal moves: Conflict naming the current status.
		for _, to := range []string{order.StatusPacked, order.StatusShipped, order.StatusDelivered, order.StatusCompleted} {
			in := order.TransitionInput{To: to}
			if to == order.StatusShipped {
				in.Courier, in.TrackingNo = "顺丰", "SF1234567890"
			}
			err := step(courier, e.shop, e.owner, in)
			var ce *core.Error
			if !errors.As(err, &ce) || ce.Code != core.Conflict || ce.Message != "order.error.transition" || ce.Args[0] != order.StatusPaid {
				t.Fatalf("paid → %s: %v", to, err)
			}
		}
		// Bad input.
		for _, in := range []order.TransitionInput{{To: "lost"}, {To: order.StatusShipped}, {To: order.StatusAccepted, Courier: "顺丰"}} {
			wantCode(t, step(courier, e.shop, e.owner, in), core.Invalid)
		}
		// Another shop's owner and the shopper do not see it; staff may.
		wantCode(t, step(courier, e.shop2, e.owner2, order.TransitionInput{To: order.StatusAccepted}), core.NotFound)
		wantCode(t, step(courier, e.shop, e.owner2, order.TransitionInput{To: order.StatusAccepted}), core.NotFound)
		wantCode(t, step(courier, e.shop, e.buyer, order.TransitionInput{To: order.StatusAccepted}), core.NotFound)

		// A hold blocks accepting, naming the hold; releasing it lets it go.
		err := d.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) error {
			_, err := e.svc.PlaceHold(ctx, tx, courier.ID, "group_buy", "拼团未成", "plugin:groupbuy")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		err = step(courier, e.shop, e.owner, order.TransitionInput{To: order.StatusAccepted})
		var ce *core.Error
		if !errors.As(err, &ce) || ce.Code != core.Conflict || ce.Message != "order.error.held" || ce.Args[0] != "group_buy" {
			t.Fatalf("held: %v", err)
		}
		err = d.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) error {
			return e.svc.ReleaseHold(ctx, tx, courier.ID, "group_buy", "plugin:groupbuy")
		})
		if err != nil {
			t.Fatal(err)
		}

		staff := e.user("staff", authz.MerchantStaff, merchant.OwnerDomain(e.tenant.ID, e.shop.ID))
		for _, in := range []order.TransitionInput{
			{To: order.StatusAccepted}, {To: order.StatusPacked},
			{To: order.StatusShipped, Courier: "顺丰", TrackingNo: "SF1234567890", Note: "下午发"},
			{To: order.StatusDelivered}, {To: order.StatusCompleted},
		} {
			if err := step(courier, e.shop, staff, in); err != nil {
				t.Fatalf("→ %s: %v", in.To, err)
			}
		}
		got := e.order(courier.ID)
		if got.Status != order.StatusCompleted || got.Courier != "顺丰" || got.TrackingNo != "SF1234567890" ||
			got.AcceptedAt == nil || got.PackedAt == nil || got.ShippedAt == nil || got.DeliveredAt == nil || got.CompletedAt == nil {
			t.Fatalf("completed order %+v", got)
		}
		// placed, paid, hold, release, five moves.
		if len(got.Events) != 9 || *got.Events[8].ActorID != staff.UserID || got.Events[8].ActorRole != order.RoleShop {
			t.Fatalf("events %+v", got.Events)
		}
		// Completed orders cannot be cancelled.
		wantCode(t, step(courier, e.shop, e.owner, order.TransitionInput{To: order.StatusCancelled}), core.Conflict)

		// The pickup order cannot be shipped, only made ready.
		for _, to := range []string{order.StatusAccepted, order.StatusPacked} {
			if err := step(pickup, e.shop2, e.owner2, order.TransitionInput{To: to}); err != nil {
				t.Fatal(err)
			}
		}
		err = step(pickup, e.shop2, e.owner2, order.TransitionInput{To: order.StatusShipped, Courier: "顺丰", TrackingNo: "SF1"})
		if !errors.As(err, &ce) || ce.Message != "order.error.method" {
			t.Fatalf("shipping a pickup order: %v", err)
		}
		if err := step(pickup, e.shop2, e.owner2, order.TransitionInput{To: order.StatusReadyForPickup}); err != nil {
			t.Fatal(err)
		}
		wantCode(t, step(pickup, e.shop2, e.owner2, order.TransitionInput{To: order.StatusCancelled}), core.Conflict)
	})
}

// TestConcurrentTransitions: two shop staff accept the same order at once;
// exactly one wins, the other gets a Conflict, one event is recorded.
func TestConcurrentTransitions(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		g := e.place(order.PaymentPaid, tenants.NewID())
		o := g.Orders[0]
		sh, who := e.shop, e.owner
		if o.ShopID != e.shop.ID {
			sh, who = e.shop2, e.owner2
		}
		var wg sync.WaitGroup
		var won, lost atomic.Int32
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.svc.Transition(e.ctx, who, sh.ID, o.ID, order.TransitionInput{To: order.StatusAccepted})
				switch core.ErrorCode(err) {
				case "":
					won.Add(1)
				case core.Conflict:
					lost.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if won.Load() != 1 || lost.Load() != 5 {
			t.Fatalf("won %d, lost %d", won.Load(), lost.Load())
		}
		n := 0
		for _, ev := range e.order(o.ID).Events {
			if ev.To == order.StatusAccepted {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d accept events", n)
		}
	})
}

func TestCancel(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		// Unpaid: the shopper cancels one order, then the other; stock is
		// released, slots freed, coupon uses given back once, no money moves.
		g := e.place("", tenants.NewID())
		other := e.user("别人", "", "")
		_, err := e.svc.CancelMine(e.ctx, other, g.Orders[0].ID, "")
		wantCode(t, err, core.NotFound)
		o, err := e.svc.CancelMine(e.ctx, e.buyer, g.Orders[0].ID, "不想要了")
		if err != nil || o.Status != order.StatusCancelled || o.CancelReason != "不想要了" || o.CancelledAt == nil {
			t.Fatalf("cancel: %v %+v", err, o)
		}
		if len(e.f.Released) != 1 || len(e.f.Unredeemed) != 0 || len(e.f.Refunds) != 0 {
			t.Fatalf("after one: %+v", e.f)
		}
		if _, err := e.svc.CancelMine(e.ctx, e.buyer, g.Orders[1].ID, ""); err != nil {
			t.Fatal(err)
		}
		if len(e.f.Released) != 2 || len(e.f.Unredeemed) != 1 || e.f.Unredeemed[0] != g.RedemptionOwner || len(e.f.Refunds) != 0 {
			t.Fatalf("after both: %+v", e.f)
		}
		courierOrder := g.Orders[0]
		if courierOrder.ShopID != e.shop.ID {
			courierOrder = g.Orders[1]
		}
		if len(e.f.Unbooked) != 1 || e.f.Unbooked[0] != courierOrder.BookingRef {
			t.Fatalf("unbooked %v", e.f.Unbooked)
		}
		_, err = e.svc.CancelMine(e.ctx, e.buyer, g.Orders[0].ID, "")
		wantCode(t, err, core.Conflict)

		// Paid: cancelling restocks and refunds everything paid, shipping
		// included; once accepted the shopper may not cancel, the shop may.
		g = e.place(order.PaymentPaid, tenants.NewID())
		var c *order.Order
		for _, o := range g.Orders {
			if o.ShopID == e.shop.ID {
				c = o
			}
		}
		if _, err := e.svc.Transition(e.ctx, e.owner, e.shop.ID, c.ID, order.TransitionInput{To: order.StatusAccepted}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.CancelMine(e.ctx, e.buyer, c.ID, "")
		var ce *core.Error
		if !errors.As(err, &ce) || ce.Code != core.Conflict || ce.Args[0] != order.StatusAccepted {
			t.Fatalf("shopper cancelling an accepted order: %v", err)
		}
		o, err = e.svc.Transition(e.ctx, e.owner, e.shop.ID, c.ID, order.TransitionInput{To: order.StatusCancelled, Note: "缺货"})
		if err != nil {
			t.Fatal(err)
		}
		if o.PaymentStatus != order.PaymentRefunded || o.RefundedFen != 3200 || e.f.RefundedFen(c.ID) != 3200 || len(o.Refunds) != 1 ||
			o.Refunds[0].ShippingFen != 500 {
			t.Fatalf("cancelled paid order %+v, refunds %+v", o, e.f.Refunds)
		}
		restocked := 0
		for _, r := range e.f.Restocked {
			if *c.ReservationID == r.ReservationID {
				restocked += r.Qty
			}
		}
		if restocked != 5 {
			t.Fatalf("restocked %d units: %+v", restocked, e.f.Restocked)
		}
		if len(e.f.Unredeemed) != 1 {
			t.Fatalf("redemptions given back while the other order stands: %v", e.f.Unredeemed)
		}
	})
}

func TestCancelUnpaid(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		unpaid := e.place("", tenants.NewID())
		paid := e.place(order.PaymentPaid, tenants.NewID())
		n, err := e.svc.CancelUnpaid(e.ctx, time.Now().Add(10*time.Minute))
		if err != nil || n != 0 {
			t.Fatalf("early sweep: %d %v", n, err)
		}
		// Across all tenants (no tenant in ctx).
		n, err = e.svc.CancelUnpaid(context.Background(), time.Now().Add(31*time.Minute))
		if err != nil || n < 2 { // other tests' tenants may have unpaid orders too
			t.Fatalf("sweep: %d %v", n, err)
		}
		for _, o := range unpaid.Orders {
			got := e.order(o.ID)
			last := got.Events[len(got.Events)-1]
			if got.Status != order.StatusCancelled || last.ActorID != nil || last.ActorRole != order.RoleSystem {
				t.Fatalf("swept order %+v", got)
			}
		}
		for _, o := range paid.Orders {
			if got := e.order(o.ID); got.Status != order.StatusPaid {
				t.Fatalf("paid order swept: %+v", got)
			}
		}
		if n, _ := e.svc.CancelUnpaid(e.ctx, time.Now().Add(time.Hour)); n != 0 {
			t.Fatalf("second sweep cancelled %d", n)
		}
	})
}

func TestShare(t *testing.T) {
	for _, c := range []struct {
		total int64
		m, n  int
		want  int64
	}{{1000, 1, 3, 333}, {1000, 2, 3, 667}, {1000, 3, 3, 1000}, {1, 1, 2, 1}, {0, 1, 5, 0}, {999, 9999, 9999, 999}} {
		if got := order.Share(c.total, c.m, c.n); got != c.want {
			t.Errorf("share(%d, %d, %d) = %d, want %d", c.total, c.m, c.n, got, c.want)
		}
	}
}

func TestRefunds(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		g := e.place(order.PaymentPaid, tenants.NewID())
		var c *order.Order
		for _, o := range g.Orders {
			if o.ShopID == e.shop.ID {
				c = e.order(o.ID)
			}
		}
		l1, l2 := c.Lines[0], c.Lines[1] // 3 × 333 − 99 = 900; 2 × 900 = 1800
		refund := func(who *identity.Principal, in order.RefundInput) (*order.Refund, error) {
			return e.svc.Refund(e.ctx, who, e.shop.ID, c.ID, in)
		}
		// Bad input: field errors, nothing written.
		for _, in := range []order.RefundInput{
			{Reason: "坏了"},
			{Whole: true, Lines: []order.RefundLineInput{{LineID: l1.ID, Qty: 1}}, Reason: "坏了"},
			{Lines: []order.RefundLineInput{{LineID: l1.ID, Qty: 0}}, Reason: "坏了"},
			{Lines: []order.RefundLineInput{{LineID: l1.ID, Qty: -1}}, Reason: "坏了"},
			{Lines: []order.RefundLineInput{{LineID: l1.ID, Qty: 4}}, Reason: "坏了"},
			{Lines: []order.RefundLineInput{{LineID: l1.ID, Qty: 1_000_000}}, Reason: "坏了"},
			{Lines: []order.RefundLineInput{{LineID: tenants.NewID(), Qty: 1}}, Reason: "坏了"},
			{Lines: []order.RefundLineInput{{LineID: l1.ID, Qty: 1}}},
		} {
			_, err := refund(e.owner, in)
			wantCode(t, err, core.Invalid)
		}
		if n := e.count((*order.Refund)(nil)); n != 0 || len(e.f.Refunds) != 0 {
			t.Fatalf("bad input wrote %d refunds", n)
		}
		// Staff hold order:manage but not order:refund; another shop's owner sees nothing.
		staff := e.user("staff", authz.MerchantStaff, merchant.OwnerDomain(e.tenant.ID, e.shop.ID))
		_, err := refund(staff, order.RefundInput{Whole: true, Reason: "x"})
		wantCode(t, err, core.Forbidden)
		_, err = refund(e.owner2, order.RefundInput{Whole: true, Reason: "x"})
		wantCode(t, err, core.NotFound)

		// Ship it, then refund l1 unit by unit: 300, 300, 300 (900 in all).
		for _, in := range []order.TransitionInput{{To: order.StatusAccepted}, {To: order.StatusPacked},
			{To: order.StatusShipped, Courier: "顺丰", TrackingNo: "SF1"}} {
			if _, err := e.svc.Transition(e.ctx, e.owner, e.shop.ID, c.ID, in); err != nil {
				t.Fatal(err)
			}
		}
		var amounts []int64
		for range 3 {
			rf, err := refund(e.owner, order.RefundInput{Lines: []order.RefundLineInput{{LineID: l1.ID, Qty: 1}}, Reason: "坏了"})
			if err != nil {
				t.Fatal(err)
			}
			amounts = append(amounts, rf.AmountFen)
		}
		if amounts[0]+amounts[1]+amounts[2] != 900 || amounts[0] != 300 {
			t.Fatalf("unit refunds %v", amounts)
		}
		got := e.order(c.ID)
		if got.PaymentStatus != order.PaymentPartiallyRefunded || got.Lines[0].RefundedQty != 3 || got.Lines[0].RefundedFen != 900 ||
			len(e.f.Restocked) != 0 {
			t.Fatalf("after line refunds %+v (restocked %v)", got, e.f.Restocked)
		}
		// Platform-funded share: 49 over 3 units.
		var platform int64
		for _, r := range e.f.Refunds {
			platform += r.Lines[0].PlatformFundedFen
		}
		if platform != 49 {
			t.Fatalf("platform-funded share refunded %d", platform)
		}
		_, err = refund(e.owner, order.RefundInput{Lines: []order.RefundLineInput{{LineID: l1.ID, Qty: 1}}, Reason: "坏了"})
		wantCode(t, err, core.Invalid)

		// Delivered; 8 days later the owner may not refund, the admin may:
		// the last line and the shipping (500).
		if _, err := e.svc.Transition(e.ctx, e.owner, e.shop.ID, c.ID, order.TransitionInput{To: order.StatusDelivered}); err != nil {
			t.Fatal(err)
		}
		e.advance(8 * 24 * time.Hour)
		_, err = refund(e.owner, order.RefundInput{Whole: true, Restock: true, Reason: "退货"})
		var ce *core.Error
		if !errors.As(err, &ce) || ce.Code != core.Conflict || ce.Message != "order.error.returns_closed" {
			t.Fatalf("after the window: %v", err)
		}
		rf, err := refund(e.admin, order.RefundInput{Whole: true, Restock: true, Reason: "退货"})
		if err != nil || rf.AmountFen != 2300 || rf.ShippingFen != 500 || len(rf.Lines) != 1 || rf.Lines[0].LineID != l2.ID {
			t.Fatalf("admin refund %v %+v", err, rf)
		}
		got = e.order(c.ID)
		if got.PaymentStatus != order.PaymentRefunded || got.RefundedFen != got.TotalFen || e.f.RefundedFen(c.ID) != got.TotalFen ||
			len(e.f.Restocked) != 1 || e.f.Restocked[0].Qty != 2 || e.f.Restocked[0].SKUID != e.skuB {
			t.Fatalf("wholly refunded %+v; restocked %+v", got, e.f.Restocked)
		}
		_, err = refund(e.admin, order.RefundInput{Whole: true, Reason: "again"})
		wantCode(t, err, core.Conflict)
	})
}

// TestRefundBeforeShipping: refunding everything before shipping restocks
// and cancels the order.
func TestRefundBeforeShipping(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		g := e.place(order.PaymentPaid, tenants.NewID())
		var c *order.Order
		for _, o := range g.Orders {
			if o.ShopID == e.shop.ID {
				c = e.order(o.ID)
			}
		}
		if _, err := e.svc.Refund(e.ctx, e.owner, e.shop.ID, c.ID, order.RefundInput{
			Lines: []order.RefundLineInput{{LineID: c.Lines[1].ID, Qty: 2}}, Reason: "缺货"}); err != nil {
			t.Fatal(err)
		}
		if got := e.order(c.ID); got.Status != order.StatusPaid || got.RefundedFen != 1800 || len(e.f.Restocked) != 1 {
			t.Fatalf("partial cancellation %+v", got)
		}
		if _, err := e.svc.Refund(e.ctx, e.owner, e.shop.ID, c.ID, order.RefundInput{Whole: true, Reason: "缺货"}); err != nil {
			t.Fatal(err)
		}
		got := e.order(c.ID)
		if got.Status != order.StatusCancelled || got.RefundedFen != 3200 || got.PaymentStatus != order.PaymentRefunded ||
			len(e.f.Restocked) != 2 || e.f.RefundedFen(c.ID) != 3200 {
			t.Fatalf("whole refund before shipping %+v", got)
		}
	})
}

// TestConcurrentRefunds: several refunds of all units of one line at once;
// exactly one succeeds and the line is refunded once.
func TestConcurrentRefunds(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		g := e.place(order.PaymentPaid, tenants.NewID())
		var c *order.Order
		for _, o := range g.Orders {
			if o.ShopID == e.shop.ID {
				c = e.order(o.ID)
			}
		}
		var wg sync.WaitGroup
		var won atomic.Int32
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.svc.Refund(e.ctx, e.owner, e.shop.ID, c.ID, order.RefundInput{
					Lines: []order.RefundLineInput{{LineID: c.Lines[0].ID, Qty: 3}}, Reason: "坏了"})
				switch core.ErrorCode(err) {
				case "":
					won.Add(1)
				case core.Conflict, core.Invalid: // lost the race, or came after the winner
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		got := e.order(c.ID)
		if won.Load() != 1 || got.Lines[0].RefundedQty != 3 || got.Lines[0].RefundedFen != 900 || got.RefundedFen != 900 ||
			len(got.Refunds) != 1 || e.f.RefundedFen(c.ID) != 900 {
			t.Fatalf("won %d; line %+v; order refunded %d; refunds %d", won.Load(), got.Lines[0], got.RefundedFen, len(got.Refunds))
		}
	})
}

func TestHandoverAndLookup(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		point := tenants.NewID()
		g := e.place(order.PaymentDue, point)
		var p *order.Order
		for _, o := range g.Orders {
			if o.ShopID == e.shop2.ID {
				p = o
			}
		}
		op := e.user("站长", authz.PickupOperator, authz.TenantDomain(e.tenant.ID))
		e.f.Operate(point, op.UserID)
		list, err := e.svc.PointOrders(e.ctx, op, point, merchant.Page{})
		if err != nil || len(list) != 1 || list[0].Number != p.Number || list[0].DueFen != 1990 || list[0].PhoneLast4 != "9000" {
			t.Fatalf("point orders %v %+v", err, list)
		}
		_, err = e.svc.PointOrders(e.ctx, e.owner, point, merchant.Page{})
		wantCode(t, err, core.NotFound)
		in := order.HandoverInput{Number: p.Number, PickupCode: p.PickupCode, Name: "李四"}
		// Not ready yet.
		_, err = e.svc.Handover(e.ctx, op, point, in)
		wantCode(t, err, core.Conflict)
		for _, to := range []string{order.StatusAccepted, order.StatusPacked, order.StatusReadyForPickup} {
			if _, err := e.svc.Transition(e.ctx, e.owner2, e.shop2.ID, p.ID, order.TransitionInput{To: to}); err != nil {
				t.Fatal(err)
			}
		}
		wrong := p.PickupCode[:5] + string('0'+(p.PickupCode[5]-'0'+1)%10)
		for _, bad := range []order.HandoverInput{{Number: p.Number, PickupCode: wrong, Name: "李四"}, {Number: p.Number, PickupCode: p.PickupCode, Name: "张三"}} {
			_, err := e.svc.Handover(e.ctx, op, point, bad)
			wantCode(t, err, core.Invalid)
		}
		_, err = e.svc.Handover(e.ctx, op, tenants.NewID(), in)
		wantCode(t, err, core.NotFound)
		if got := e.order(p.ID); got.Status != order.StatusReadyForPickup || got.HandedOverBy != nil {
			t.Fatalf("refused handover wrote: %+v", got)
		}
		v, err := e.svc.Handover(e.ctx, op, point, order.HandoverInput{Number: " " + p.Number[:6] + "-" + p.Number[6:], PickupCode: p.PickupCode, Name: " 李四 "})
		if err != nil || v.Status != order.StatusPickedUp || v.HandedOverBy == nil || *v.HandedOverBy != op.UserID || v.PickedUpAt == nil {
			t.Fatalf("handover %v %+v", err, v)
		}

		// Lookup: the right pair tells date, paid (collected at the handover), shipped; a wrong one 404.
		r, err := e.svc.Lookup(e.ctx, "10.0.0.1", p.Number, "9000")
		if err != nil || r.Status != order.StatusPickedUp || !r.Paid || !r.Shipped || r.PlacedOn == "" || r.ShippedOn == "" {
			t.Fatalf("lookup %v %+v", err, r)
		}
		_, err = e.svc.Lookup(e.ctx, "10.0.0.1", p.Number, "0000")
		wantCode(t, err, core.NotFound)
		_, err = e.svc.Lookup(e.ctx, "10.0.0.1", "12", "abcd")
		wantCode(t, err, core.Invalid)
		for range order.LookupsPerIP {
			_, _ = e.svc.Lookup(e.ctx, "10.0.0.2", p.Number, "0000")
		}
		_, err = e.svc.Lookup(e.ctx, "10.0.0.2", p.Number, "9000")
		var ra *order.RetryAfter
		if core.ErrorCode(err) != core.TooManyRequests || !errors.As(err, &ra) || ra.Wait <= 0 {
			t.Fatalf("throttled lookup: %v", err)
		}
	})
}

// A number drawn that is taken already (six digits a day collide once a
// marketplace sells thousands of orders) draws new numbers for the whole
// checkout, and the checkout goes through.
func TestCreateRetriesTakenNumbers(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		first := e.place("", tenants.NewID())
		taken := first.Orders[0].Number[6:]
		var mu sync.Mutex
		queue := []string{"111111", taken, "222222"} // group, first order, second order
		draws := 0
		order.SetDraw(e.svc, func(n int) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			draws++
			if len(queue) > 0 {
				d := queue[0]
				queue = queue[1:]
				return d, nil
			}
			return order.Digits(n)
		})
		g := e.place("", tenants.NewID())
		if draws != 6 || len(g.Orders) != 2 {
			t.Fatalf("%d draws, group %+v", draws, g)
		}
		for _, o := range g.Orders {
			if o.Number == first.Orders[0].Number || o.Number[6:] == "222222" || !numberRE.MatchString(o.Number) {
				t.Fatalf("order number %s after a taken %s", o.Number, first.Orders[0].Number)
			}
		}
		if g.Number[7:] == "111111" {
			t.Fatalf("group number %s was not drawn again", g.Number)
		}
	})
}
