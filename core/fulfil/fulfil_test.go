package fulfil_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// env is one tenant (Changsha with the districts Yuelu and Furong), its
// admin, a shop with its owner and a product with two SKUs, a main
// warehouse serving Yuelu only, and a fulfil service whose clock reads
// now: 10:00 today in Shanghai.
type env struct {
	t             *testing.T
	a             *app.App
	svc           *fulfil.Service
	tenant        *tenants.Tenant
	ctx           context.Context
	city          *tenants.Region
	yuelu, furong *tenants.Region
	admin         *identity.Principal
	shop          *merchant.Shop
	owner         *identity.Principal
	sku, sku2     string
	warehouse     *inventory.Warehouse
	now           time.Time
	today         string
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	ctx := context.Background()
	a, err := app.NewWithDB(ctx, app.Config{FastHashing: true, DataDir: t.TempDir()}, d)
	if err != nil {
		t.Fatal(err)
	}
	slug := "ff-" + strings.ReplaceAll(tenants.NewID()[24:], "-", "")
	tn, err := a.Provisioner.Create(ctx, a.DB, tenants.CreateInput{Slug: slug, Name: "网上供销社"})
	if err != nil {
		t.Fatal(err)
	}
	y, m, dd := time.Now().In(tn.Location()).Date()
	e := &env{t: t, a: a, tenant: tn, ctx: tenants.WithTenant(ctx, tn), now: time.Date(y, m, dd, 10, 0, 0, 0, tn.Location())}
	e.today = e.now.Format("2006-01-02")
	e.svc = fulfil.New(fulfil.Deps{DB: a.DB, Authz: a.Authz, Merchants: a.Merchants, Identity: a.Identity,
		Inventory: a.Inventory, Now: func() time.Time { return e.now }})
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
	if e.warehouse, err = a.Inventory.CreateWarehouse(e.ctx, e.admin, inventory.WarehouseInput{Kind: "main", Name: "岳麓总仓",
		RegionID: e.yuelu.ID, ServesRegionIDs: []string{e.yuelu.ID}}); err != nil {
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

// stock receives qty units of sku into the Yuelu warehouse.
func (e *env) stock(sku string, qty int64) {
	e.t.Helper()
	bb := time.Now().In(e.tenant.Location()).AddDate(0, 0, 10).Format("2006-01-02")
	if _, err := e.a.Inventory.Receive(e.ctx, e.owner, e.shop.ID, inventory.LotInput{SKUID: sku, WarehouseID: e.warehouse.ID,
		Quantity: qty, BestBefore: bb, Producer: "李大爷"}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) day(n int) string { return e.now.AddDate(0, 0, n).Format("2006-01-02") }

func (e *env) point(name string, r *tenants.Region) *fulfil.PickupPoint {
	e.t.Helper()
	pt, err := e.svc.CreatePickupPoint(e.ctx, e.admin, fulfil.PickupPointInput{Name: name, Address: "麓山路 1 号",
		RegionID: r.ID, Hours: "08:00–20:00", Phone: "0731-88886666"})
	if err != nil {
		e.t.Fatal(err)
	}
	return pt
}

func (e *env) settings(in fulfil.Settings) *fulfil.Settings {
	e.t.Helper()
	st, err := e.svc.SetSettings(e.ctx, e.owner, e.shop.ID, in)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

func (e *env) slots(in fulfil.SlotInput) []*fulfil.Slot {
	e.t.Helper()
	sl, err := e.svc.CreateSlots(e.ctx, e.owner, e.shop.ID, in)
	if err != nil {
		e.t.Fatal(err)
	}
	return sl
}

func (e *env) options(region string, weight int, skus ...string) map[string]fulfil.Option {
	e.t.Helper()
	var opts []fulfil.Option
	err := e.a.DB.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		opts, err = e.svc.Options(ctx, tx, fulfil.Request{ShopID: e.shop.ID, RegionID: region, SKUIDs: skus, WeightG: weight}, e.now)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]fulfil.Option{}
	for _, o := range opts {
		out[o.Method] = o
	}
	return out
}

func (e *env) book(c fulfil.Choice, ref string, skus ...string) (*fulfil.Quote, error) {
	var q *fulfil.Quote
	err := e.a.DB.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		q, err = e.svc.Book(ctx, tx, fulfil.Request{ShopID: e.shop.ID, RegionID: e.yuelu.ID, SKUIDs: skus, WeightG: 1500}, c, ref, e.now)
		return err
	})
	return q, err
}

func (e *env) slot(id string) *fulfil.Slot {
	e.t.Helper()
	all, err := e.svc.Slots(e.ctx, e.owner, e.shop.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, sl := range all {
		if sl.ID == id {
			return sl
		}
	}
	e.t.Fatalf("slot %s not listed", id)
	return nil
}

func fields(err error) map[string]string {
	var ce *core.Error
	if errors.As(err, &ce) {
		return ce.Fields
	}
	return nil
}

func wantCode(t *testing.T, err error, code core.Code) {
	t.Helper()
	if core.ErrorCode(err) != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

var allOn = fulfil.Settings{
	Courier:   fulfil.Courier{Enabled: true, BaseFen: 1000, PerKgFen: 300},
	Express:   fulfil.Express{Enabled: true, FeeFen: 800},
	Scheduled: fulfil.Scheduled{Enabled: true, FeeFen: 500, Days: 3},
	Pickup:    fulfil.Pickup{Enabled: true},
}

func TestOptionsAndPromises(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)

		// Defaults: courier, and pickup once a point is near.
		opts := e.options(e.yuelu.ID, 2500)
		if len(opts) != 1 || opts["courier"].FeeFen != 800+2*200 || !strings.HasPrefix(opts["courier"].Promise.Text, "预计 ") {
			t.Fatalf("default options %+v", opts)
		}
		inCity := e.point("长沙市社区服务中心", e.city)
		inYuelu := e.point("麓山社区服务中心", e.yuelu)
		inFurong := e.point("芙蓉社区服务中心", e.furong)
		opts = e.options(e.yuelu.ID, 0)
		pts := opts["pickup"].PickupPoints
		if len(pts) != 2 || pts[0].ID != inYuelu.ID || pts[1].ID != inCity.ID || opts["pickup"].FeeFen != 0 ||
			opts["pickup"].Promise.Text != "明天10:00起可自提" {
			t.Fatalf("pickup near Yuelu %+v", opts["pickup"])
		}
		if pts := e.options(e.city.ID, 0)["pickup"].PickupPoints; len(pts) != 3 || pts[0].ID != inCity.ID {
			t.Fatalf("pickup in the city %+v", pts)
		}
		_ = inFurong

		// Everything on: a district rule and a city rule.
		in := allOn
		in.Courier.Rules = []fulfil.CourierRule{{RegionID: e.city.ID, BaseFen: 1200, PerKgFen: 400}, {RegionID: e.yuelu.ID, BaseFen: 600, PerKgFen: 100}}
		st := e.settings(in)
		if !st.Configured || len(st.Courier.Rules) != 2 || st.Scheduled.Days != 3 {
			t.Fatalf("settings %+v", st)
		}
		if fee := e.options(e.yuelu.ID, 2500)["courier"].FeeFen; fee != 600+2*100 {
			t.Errorf("courier to Yuelu %d", fee)
		}
		if fee := e.options(e.furong.ID, 2500)["courier"].FeeFen; fee != 1200+2*400 {
			t.Errorf("courier to Furong (the city's rule) %d", fee)
		}
		if fee := e.options(e.city.ID, 500)["courier"].FeeFen; fee != 1200 {
			t.Errorf("courier to the city %d", fee)
		}

		// Express: only where a serving warehouse holds every SKU.
		if _, ok := e.options(e.yuelu.ID, 0, e.sku)["express"]; ok {
			t.Fatal("express offered without stock")
		}
		e.stock(e.sku, 5)
		opts = e.options(e.yuelu.ID, 0, e.sku)
		if o, ok := opts["express"]; !ok || o.FeeFen != 800 || !strings.HasPrefix(o.Promise.Text, "1小时内送达（预计 11:00 前）") {
			t.Fatalf("express in Yuelu %+v", opts)
		}
		if _, ok := e.options(e.yuelu.ID, 0, e.sku, e.sku2)["express"]; ok {
			t.Fatal("express offered with one SKU out of stock")
		}
		if _, ok := e.options(e.furong.ID, 0, e.sku)["express"]; ok {
			t.Fatal("express offered where no warehouse serves")
		}
		if _, ok := e.options(e.yuelu.ID, 0)["express"]; ok {
			t.Fatal("express offered for no items")
		}

		// Scheduled: only slots within the 3-day horizon, after now.
		if _, ok := e.options(e.yuelu.ID, 0)["scheduled"]; ok {
			t.Fatal("scheduled offered without slots")
		}
		e.slots(fulfil.SlotInput{Date: e.today, Start: "14:00", End: "16:00", Capacity: 2, Days: 5})
		o := e.options(e.yuelu.ID, 0)["scheduled"]
		if len(o.Slots) != 3 || o.Slots[0].Date != e.today || o.Slots[2].Date != e.day(2) || o.FeeFen != 500 ||
			o.Promise.Text != "今天 14:00–16:00 送达" || o.Slots[0].Remaining != 2 {
			t.Fatalf("scheduled %+v", o)
		}
		// The product page: the best promise per method.
		var mp []fulfil.MethodPromise
		err := e.a.DB.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
			mp, err = e.svc.ProductPromise(ctx, tx, e.shop.ID, e.yuelu.ID, []string{e.sku}, e.now)
			return err
		})
		if err != nil || len(mp) != 4 || mp[0].Method != "courier" || mp[1].Method != "express" || mp[2].Promise.Text != "今天 14:00–16:00 送达" ||
			mp[3].Promise.Text != "明天10:00起可自提" {
			t.Fatalf("product promise %+v %v", mp, err)
		}

		// Bad requests.
		err = e.a.DB.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) error {
			_, err := e.svc.Options(ctx, tx, fulfil.Request{ShopID: e.shop.ID, RegionID: tenants.NewID(), WeightG: -1}, e.now)
			if f := fields(err); f["region_id"] == "" || f["weight_g"] == "" {
				t.Errorf("bad request: %v", err)
			}
			_, err = e.svc.Options(ctx, tx, fulfil.Request{ShopID: tenants.NewID(), RegionID: e.yuelu.ID}, e.now)
			wantCode(t, err, core.NotFound)
			_, err = e.svc.Options(ctx, tx, fulfil.Request{ShopID: e.shop.ID, RegionID: e.yuelu.ID, SKUIDs: []string{tenants.NewID()}}, e.now)
			wantCode(t, err, core.NotFound)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestCheckChoices(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		in := allOn
		in.Express.Enabled = false
		e.settings(in)
		pt := e.point("麓山社区服务中心", e.yuelu)
		off, err := e.svc.CreatePickupPoint(e.ctx, e.admin, fulfil.PickupPointInput{Name: "停业服务中心", Address: "x 路",
			RegionID: e.yuelu.ID, Active: new(bool)})
		if err != nil || off.Active {
			t.Fatalf("inactive point %+v %v", off, err)
		}
		slots := e.slots(fulfil.SlotInput{Date: e.today, Start: "14:00", End: "16:00", Capacity: 1, Days: 5})
		past := e.slots(fulfil.SlotInput{Date: e.today, Start: "10:30", End: "11:30", Capacity: 1})[0]
		e.now = e.now.Add(time.Hour) // 11:00: the 10:30 slot has started

		other := newEnv(t, d) // another tenant
		otherPoint := other.point("别家服务中心", other.yuelu)
		otherSlot := other.slots(fulfil.SlotInput{Date: other.today, Start: "15:00", End: "16:00", Capacity: 1, Days: 1})[0]
		shop2, owner2 := e.openShop("fruit")
		if _, err := e.svc.SetSettings(e.ctx, owner2, shop2.ID, allOn); err != nil {
			t.Fatal(err)
		}
		slot2, err := e.svc.CreateSlots(e.ctx, owner2, shop2.ID, fulfil.SlotInput{Date: e.today, Start: "17:00", End: "18:00", Capacity: 3})
		if err != nil {
			t.Fatal(err)
		}

		good := fulfil.Choice{Method: "courier", Recipient: "王芳", Phone: "13800138000", Address: "麓山路 2 号"}
		req := fulfil.Request{ShopID: e.shop.ID, RegionID: e.yuelu.ID, WeightG: 3000}
		check := func(c fulfil.Choice) (*fulfil.Quote, error) {
			var q *fulfil.Quote
			err := e.a.DB.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
				q, err = e.svc.Check(ctx, tx, req, c, e.now)
				return err
			})
			return q, err
		}
		q, err := check(good)
		if err != nil || q.FeeFen != 1000+2*300 || q.RegionID != e.yuelu.ID {
			t.Fatalf("courier quote %+v %v", q, err)
		}
		with := func(f func(c *fulfil.Choice)) fulfil.Choice { c := good; f(&c); return c }
		for _, c := range []struct {
			name  string
			c     fulfil.Choice
			field string
			key   string
		}{
			{"unknown method", with(func(c *fulfil.Choice) { c.Method = "drone" }), "method", "fulfil.field.method_invalid"},
			{"method not offered", with(func(c *fulfil.Choice) { c.Method = "express" }), "method", "fulfil.field.method_unavailable"},
			{"unknown region", with(func(c *fulfil.Choice) { c.RegionID = tenants.NewID() }), "region_id", "fulfil.field.region_invalid"},
			{"other tenant's region", with(func(c *fulfil.Choice) { c.RegionID = other.yuelu.ID }), "region_id", "fulfil.field.region_invalid"},
			{"no recipient", with(func(c *fulfil.Choice) { c.Recipient = " " }), "recipient", "field.required"},
			{"no phone", with(func(c *fulfil.Choice) { c.Phone = "" }), "phone", "field.required"},
			{"landline", with(func(c *fulfil.Choice) { c.Phone = "0731-88886666" }), "phone", "field.phone_invalid"},
			{"short mobile", with(func(c *fulfil.Choice) { c.Phone = "1380013800" }), "phone", "field.phone_invalid"},
			{"no address", with(func(c *fulfil.Choice) { c.Address = "" }), "address", "field.required"},
			{"no slot", with(func(c *fulfil.Choice) { c.Method = "scheduled" }), "slot_id", "field.required"},
			{"unknown slot", with(func(c *fulfil.Choice) { c.Method, c.SlotID = "scheduled", tenants.NewID() }), "slot_id", "fulfil.field.slot_unknown"},
			{"another shop's slot", with(func(c *fulfil.Choice) { c.Method, c.SlotID = "scheduled", slot2[0].ID }), "slot_id", "fulfil.field.slot_unknown"},
			{"another tenant's slot", with(func(c *fulfil.Choice) { c.Method, c.SlotID = "scheduled", otherSlot.ID }), "slot_id", "fulfil.field.slot_unknown"},
			{"started slot", with(func(c *fulfil.Choice) { c.Method, c.SlotID = "scheduled", past.ID }), "slot_id", "fulfil.field.slot_past"},
			{"slot beyond the horizon", with(func(c *fulfil.Choice) { c.Method, c.SlotID = "scheduled", slots[3].ID }), "slot_id", "fulfil.field.slot_beyond"},
			{"no point", fulfil.Choice{Method: "pickup"}, "pickup_point_id", "field.required"},
			{"unknown point", fulfil.Choice{Method: "pickup", PickupPointID: "nope"}, "pickup_point_id", "fulfil.field.point_unknown"},
			{"another tenant's point", fulfil.Choice{Method: "pickup", PickupPointID: otherPoint.ID}, "pickup_point_id", "fulfil.field.point_unknown"},
			{"inactive point", fulfil.Choice{Method: "pickup", PickupPointID: off.ID}, "pickup_point_id", "fulfil.field.point_inactive"},
			{"bad pickup phone", fulfil.Choice{Method: "pickup", PickupPointID: pt.ID, Phone: "12345"}, "phone", "field.phone_invalid"},
		} {
			_, err := check(c.c)
			if core.ErrorCode(err) != core.Invalid || fields(err)[c.field] != c.key {
				t.Errorf("%s: want %s=%s, got %v", c.name, c.field, c.key, err)
			}
		}
		q, err = check(fulfil.Choice{Method: "pickup", PickupPointID: pt.ID})
		if err != nil || q.FeeFen != 0 || q.PickupPointID != pt.ID || q.Promise.Text != "明天10:00起可自提" {
			t.Fatalf("pickup quote %+v %v", q, err)
		}
		q, err = check(with(func(c *fulfil.Choice) { c.Method, c.SlotID = "scheduled", slots[1].ID }))
		if err != nil || q.FeeFen != 500 || q.SlotID != slots[1].ID || q.Promise.Text != "明天 14:00–16:00 送达" {
			t.Fatalf("scheduled quote %+v %v", q, err)
		}
	})
}

// TestBookRace has 20 checkouts race for a slot of capacity 5: five
// book it, fifteen get Conflict "slot full" on slot_id, and Unbook gives
// a unit back.
func TestBookRace(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.settings(allOn)
		sl := e.slots(fulfil.SlotInput{Date: e.day(1), Start: "09:00", End: "11:00", Capacity: 5})[0]
		c := fulfil.Choice{Method: "scheduled", SlotID: sl.ID, Recipient: "王芳", Phone: "13800138000", Address: "麓山路 2 号"}
		var wg sync.WaitGroup
		errs := make([]error, 20)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = e.book(c, fmt.Sprintf("order-%02d", i))
			}()
		}
		wg.Wait()
		booked, full := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				booked++
			case core.ErrorCode(err) == core.Conflict && fields(err)["slot_id"] == "fulfil.field.slot_full":
				full++
			default:
				t.Errorf("unexpected %v", err)
			}
		}
		if booked != 5 || full != 15 {
			t.Fatalf("booked %d, full %d", booked, full)
		}
		if got := e.slot(sl.ID); got.Booked != 5 || got.Remaining != 0 {
			t.Fatalf("slot %+v", got)
		}
		// A full slot is still listed, with no room, and the option goes.
		if _, ok := e.options(e.yuelu.ID, 0)["scheduled"]; ok {
			t.Fatal("scheduled offered with its only slot full")
		}
		var winner string
		for i, err := range errs {
			if err == nil {
				winner = fmt.Sprintf("order-%02d", i)
				break
			}
		}
		if _, err := e.book(c, winner); core.ErrorCode(err) != core.Conflict {
			t.Fatalf("booking a booked ref: %v", err)
		}
		unbook := func(ref string) {
			t.Helper()
			if err := e.a.DB.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) error { return e.svc.Unbook(ctx, tx, ref) }); err != nil {
				t.Fatal(err)
			}
		}
		unbook(winner)
		unbook(winner)      // again: nothing more
		unbook("never-was") // nothing
		if got := e.slot(sl.ID); got.Booked != 4 {
			t.Fatalf("after unbook %+v", got)
		}
		err := e.a.DB.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) error {
			_, err := e.svc.Booking(ctx, tx, winner)
			return err
		})
		wantCode(t, err, core.NotFound)
		q, err := e.book(c, winner) // the ref may book again once unbooked
		if err != nil || q.SlotID != sl.ID {
			t.Fatalf("rebook %+v %v", q, err)
		}
		var b *fulfil.Booking
		err = e.a.DB.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
			b, err = e.svc.Booking(ctx, tx, winner)
			return err
		})
		if err != nil || b.Method != "scheduled" || b.FeeFen != 500 || b.Phone != "13800138000" || *b.SlotID != sl.ID {
			t.Fatalf("booking %+v %v", b, err)
		}
		// The slot with bookings cannot be deleted or shrunk below them.
		wantCode(t, e.svc.DeleteSlot(e.ctx, e.owner, e.shop.ID, sl.ID), core.Conflict)
		_, err = e.svc.SetSlotCapacity(e.ctx, e.owner, e.shop.ID, sl.ID, 4)
		if core.ErrorCode(err) != core.Conflict || fields(err)["capacity"] == "" {
			t.Fatalf("shrink below booked: %v", err)
		}
		if got, err := e.svc.SetSlotCapacity(e.ctx, e.owner, e.shop.ID, sl.ID, 8); err != nil || got.Remaining != 3 {
			t.Fatalf("grow %+v %v", got, err)
		}
	})
}

func TestSettingsValidation(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		other := newEnv(t, d)
		st, err := e.svc.ShopSettings(e.ctx, e.owner, e.shop.ID)
		if err != nil || st.Configured || !st.Courier.Enabled || !st.Pickup.Enabled || st.Express.Enabled || st.Scheduled.Enabled {
			t.Fatalf("defaults %+v %v", st, err)
		}
		for _, c := range []struct {
			name  string
			edit  func(s *fulfil.Settings)
			field string
		}{
			{"negative base", func(s *fulfil.Settings) { s.Courier.BaseFen = -1 }, "courier.base_fen"},
			{"huge per kg", func(s *fulfil.Settings) { s.Courier.PerKgFen = fulfil.MaxFeeFen + 1 }, "courier.per_kg_fen"},
			{"huge express", func(s *fulfil.Settings) { s.Express.FeeFen = 1 << 40 }, "express.fee_fen"},
			{"negative scheduled", func(s *fulfil.Settings) { s.Scheduled.FeeFen = -500 }, "scheduled.fee_fen"},
			{"horizon", func(s *fulfil.Settings) { s.Scheduled.Days = 31 }, "scheduled.days"},
			{"negative horizon", func(s *fulfil.Settings) { s.Scheduled.Days = -1 }, "scheduled.days"},
			{"nothing on", func(s *fulfil.Settings) { *s = fulfil.Settings{} }, "methods"},
			{"unknown region", func(s *fulfil.Settings) {
				s.Courier.Rules = []fulfil.CourierRule{{RegionID: tenants.NewID(), BaseFen: 1}}
			}, "courier.rules.0.region_id"},
			{"other tenant's region", func(s *fulfil.Settings) {
				s.Courier.Rules = []fulfil.CourierRule{{RegionID: e.yuelu.ID}, {RegionID: other.city.ID}}
			}, "courier.rules.1.region_id"},
			{"repeated region", func(s *fulfil.Settings) {
				s.Courier.Rules = []fulfil.CourierRule{{RegionID: e.yuelu.ID}, {RegionID: e.yuelu.ID}}
			}, "courier.rules.1.region_id"},
			{"rule fee", func(s *fulfil.Settings) {
				s.Courier.Rules = []fulfil.CourierRule{{RegionID: e.yuelu.ID, PerKgFen: -3}}
			}, "courier.rules.0.per_kg_fen"},
		} {
			in := allOn
			c.edit(&in)
			_, err := e.svc.SetSettings(e.ctx, e.owner, e.shop.ID, in)
			if core.ErrorCode(err) != core.Invalid || fields(err)[c.field] == "" {
				t.Errorf("%s: want field %s, got %v", c.name, c.field, err)
			}
		}
		if st, _ := e.svc.ShopSettings(e.ctx, e.owner, e.shop.ID); st.Configured {
			t.Fatalf("bad input wrote %+v", st)
		}
		// Bad slots: nothing written.
		for _, c := range []struct {
			in    fulfil.SlotInput
			field string
		}{
			{fulfil.SlotInput{Date: e.day(1), Start: "09:00", End: "10:00", Capacity: 0}, "capacity"},
			{fulfil.SlotInput{Date: e.day(1), Start: "09:00", End: "10:00", Capacity: -5}, "capacity"},
			{fulfil.SlotInput{Date: e.day(1), Start: "09:00", End: "10:00", Capacity: fulfil.MaxCapacity + 1}, "capacity"},
			{fulfil.SlotInput{Date: "tomorrow", Start: "09:00", End: "10:00", Capacity: 1}, "date"},
			{fulfil.SlotInput{Date: e.day(1), Start: "9am", End: "10:00", Capacity: 1}, "start"},
			{fulfil.SlotInput{Date: e.day(1), Start: "10:00", End: "09:00", Capacity: 1}, "end"},
			{fulfil.SlotInput{Date: e.day(-1), Start: "09:00", End: "10:00", Capacity: 1}, "date"},
			{fulfil.SlotInput{Date: e.today, Start: "09:00", End: "11:00", Capacity: 1}, "start"}, // already started at 10:00
			{fulfil.SlotInput{Date: e.day(1), Start: "09:00", End: "10:00", Capacity: 1, Days: 32}, "days"},
			{fulfil.SlotInput{Date: e.day(50), Start: "09:00", End: "10:00", Capacity: 1, Days: 20}, "date"},
		} {
			_, err := e.svc.CreateSlots(e.ctx, e.owner, e.shop.ID, c.in)
			if core.ErrorCode(err) != core.Invalid || fields(err)[c.field] == "" {
				t.Errorf("%+v: want field %s, got %v", c.in, c.field, err)
			}
		}
		e.slots(fulfil.SlotInput{Date: e.day(3), Start: "09:00", End: "10:00", Capacity: 1})
		_, err = e.svc.CreateSlots(e.ctx, e.owner, e.shop.ID, fulfil.SlotInput{Date: e.day(1), Start: "09:00", End: "10:00", Capacity: 1, Days: 3})
		if core.ErrorCode(err) != core.Conflict || fields(err)["start"] == "" {
			t.Fatalf("overlapping run: %v", err)
		}
		if all, _ := e.svc.Slots(e.ctx, e.owner, e.shop.ID); len(all) != 1 {
			t.Fatalf("bad slots wrote: %d slots", len(all))
		}

		// Other tenants and shops: NotFound; staff without fulfil:manage: Forbidden.
		_, err = other.svc.ShopSettings(other.ctx, other.owner, e.shop.ID)
		wantCode(t, err, core.NotFound)
		shop2, owner2 := e.openShop("fruit")
		_, err = e.svc.SetSettings(e.ctx, owner2, e.shop.ID, allOn)
		wantCode(t, err, core.NotFound)
		_, err = e.svc.CreateSlots(e.ctx, e.owner, shop2.ID, fulfil.SlotInput{Date: e.day(1), Start: "09:00", End: "10:00", Capacity: 1})
		wantCode(t, err, core.NotFound)
		staff := e.user("staff", authz.MerchantStaff, merchant.OwnerDomain(e.tenant.ID, e.shop.ID))
		_, err = e.svc.SetSettings(e.ctx, staff, e.shop.ID, allOn)
		wantCode(t, err, core.Forbidden)
		if _, err := e.svc.SetSettings(e.ctx, e.admin, e.shop.ID, allOn); err != nil {
			t.Fatalf("tenant admin: %v", err)
		}
	})
}

func TestPickupPointsAndOperators(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		other := newEnv(t, d)
		pt := e.point("麓山社区服务中心", e.yuelu)
		pt2 := e.point("芙蓉社区服务中心", e.furong)
		if !pt.Active || pt.Phone != "0731-88886666" {
			t.Fatalf("point %+v", pt)
		}
		for _, c := range []struct {
			in    fulfil.PickupPointInput
			field string
		}{
			{fulfil.PickupPointInput{Name: "", Address: "x", RegionID: e.yuelu.ID}, "name"},
			{fulfil.PickupPointInput{Name: "麓山社区服务中心", Address: "x", RegionID: e.yuelu.ID}, "name"},
			{fulfil.PickupPointInput{Name: "新点", Address: "", RegionID: e.yuelu.ID}, "address"},
			{fulfil.PickupPointInput{Name: "新点", Address: "x", RegionID: other.yuelu.ID}, "region_id"},
			{fulfil.PickupPointInput{Name: "新点", Address: "x"}, "region_id"},
			{fulfil.PickupPointInput{Name: "新点", Address: "x", RegionID: e.yuelu.ID, Phone: "12345"}, "phone"},
		} {
			_, err := e.svc.CreatePickupPoint(e.ctx, e.admin, c.in)
			if core.ErrorCode(err) != core.Invalid || fields(err)[c.field] == "" {
				t.Errorf("%+v: want field %s, got %v", c.in, c.field, err)
			}
		}
		if all, _ := e.svc.PickupPoints(e.ctx, e.admin); len(all) != 2 {
			t.Fatalf("bad points wrote: %d", len(all))
		}
		_, err := e.svc.CreatePickupPoint(e.ctx, e.owner, fulfil.PickupPointInput{Name: "店主的点", Address: "x", RegionID: e.yuelu.ID})
		wantCode(t, err, core.Forbidden)
		_, err = other.svc.UpdatePickupPoint(other.ctx, other.admin, pt.ID, fulfil.PickupPointInput{Name: "x", Address: "x", RegionID: other.yuelu.ID})
		wantCode(t, err, core.NotFound)

		// An operator of pt operates pt only.
		opUser := e.user("operator", "", "")
		op, err := e.svc.AddOperator(e.ctx, e.admin, pt.ID, fulfil.OperatorInput{Login: opUser.Email})
		if err != nil || op.UserID != opUser.UserID || op.Name != "operator" {
			t.Fatalf("add operator %+v %v", op, err)
		}
		_, err = e.svc.AddOperator(e.ctx, e.admin, pt.ID, fulfil.OperatorInput{UserID: opUser.UserID})
		wantCode(t, err, core.Conflict)
		_, err = e.svc.AddOperator(e.ctx, e.admin, pt.ID, fulfil.OperatorInput{UserID: other.owner.UserID})
		if fields(err)["user_id"] == "" {
			t.Fatalf("another tenant's user: %v", err)
		}
		_, err = other.svc.AddOperator(other.ctx, other.admin, pt.ID, fulfil.OperatorInput{UserID: other.owner.UserID})
		wantCode(t, err, core.NotFound)
		if err := e.svc.CanOperate(e.ctx, opUser, pt.ID); err != nil {
			t.Fatalf("operator on its point: %v", err)
		}
		wantCode(t, e.svc.CanOperate(e.ctx, opUser, pt2.ID), core.NotFound)
		wantCode(t, e.svc.CanOperate(e.ctx, e.admin, pt.ID), core.Forbidden) // sees, does not hand over
		wantCode(t, e.svc.CanOperate(e.ctx, e.owner, pt.ID), core.NotFound)
		wantCode(t, other.svc.CanOperate(other.ctx, other.admin, pt.ID), core.NotFound)
		mine, err := e.svc.OperatedPoints(e.ctx, opUser)
		if err != nil || len(mine) != 1 || mine[0].ID != pt.ID || !mine[0].Handover {
			t.Fatalf("operated points %+v %v", mine, err)
		}
		if all, _ := e.svc.OperatedPoints(e.ctx, e.admin); len(all) != 2 || all[0].Handover {
			t.Fatalf("admin's console %+v", all)
		}
		// Moving the point to another district keeps its operator.
		moved, err := e.svc.UpdatePickupPoint(e.ctx, e.admin, pt.ID, fulfil.PickupPointInput{Name: pt.Name, Address: "新地址",
			RegionID: e.furong.ID, Hours: pt.Hours})
		if err != nil || moved.RegionID != e.furong.ID || !moved.Active {
			t.Fatalf("move %+v %v", moved, err)
		}
		if err := e.svc.CanOperate(e.ctx, opUser, pt.ID); err != nil {
			t.Fatalf("operator after the move: %v", err)
		}
		// A region-wide operator (the seed's) operates every point of the region.
		regional := e.user("regional", authz.PickupOperator, authz.RegionDomain(e.tenant.ID, e.furong.ID))
		if got, _ := e.svc.OperatedPoints(e.ctx, regional); len(got) != 2 {
			t.Fatalf("regional operator %+v", got)
		}
		// Removal withdraws the role.
		if err := e.svc.RemoveOperator(e.ctx, e.admin, pt.ID, opUser.UserID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, e.svc.RemoveOperator(e.ctx, e.admin, pt.ID, opUser.UserID), core.NotFound)
		wantCode(t, e.svc.CanOperate(e.ctx, opUser, pt.ID), core.NotFound)
		if ops, _ := e.svc.Operators(e.ctx, e.admin, pt.ID); len(ops) != 0 {
			t.Fatalf("operators %+v", ops)
		}
		// Public list.
		if pts, err := e.svc.PublicPickupPoints(e.ctx, e.furong.ID); err != nil || len(pts) != 2 {
			t.Fatalf("public %+v %v", pts, err)
		}
		_, err = e.svc.PublicPickupPoints(e.ctx, other.yuelu.ID)
		if fields(err)["region"] == "" {
			t.Fatalf("public with another tenant's region: %v", err)
		}
	})
}
