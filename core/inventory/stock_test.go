package inventory_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/search"
	"github.com/uptrace/bun"
)

// stockLog records what the stock hook is told.
type stockLog struct {
	mu  sync.Mutex
	got []string // "+product" in stock, "-product" out
}

func (l *stockLog) hook(ctx context.Context, tx bun.IDB, productID string, inStock bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	sign := "-"
	if inStock {
		sign = "+"
	}
	l.got = append(l.got, sign+productID)
	return nil
}

// take returns what was recorded since the last take.
func (l *stockLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.got
	l.got = nil
	return out
}

func (e *env) productOf(sku string) string {
	e.t.Helper()
	var id string
	err := e.a.DB.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) error {
		return tx.NewRaw("SELECT product_id FROM skus WHERE tenant_id = ? AND id = ?", e.tenant.ID, sku).Scan(ctx, &id)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// inStock searches the tenant for product's name with the in-stock
// filter and says whether product is found.
func (e *env) inStock(product string) bool {
	e.t.Helper()
	res, err := e.a.Search.Search(e.ctx, search.Query{InStock: true, Limit: search.MaxLimit})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, h := range res.Products {
		if h.ID == product {
			return true
		}
	}
	return false
}

// TestStockHook: the hook hears of every change that takes a product's
// sellable units across zero, in the changing transaction, and of
// nothing else; with search's SetInStock as the hook the index follows.
func TestStockHook(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		var log stockLog
		e.inv.OnStockChange(log.hook)
		e.inv.OnStockChange(e.a.Search.SetInStock)
		pr := e.productOf(e.sku)
		plus, minus := []string{"+" + pr}, []string{"-" + pr}
		if !e.inStock(pr) {
			t.Fatal("a product inventory keeps nothing of is not in stock in the index")
		}

		// A first lot that is already expired: reported (out of stock).
		e.receive(e.sku, e.main, 5, -5, -1)
		if got := log.take(); !slices.Equal(got, minus) || e.inStock(pr) {
			t.Fatalf("expired first lot: %v, in stock %v", got, e.inStock(pr))
		}
		// A good lot: in stock. Every receipt is reported.
		l := e.receive(e.sku, e.main, 3, 0, 5)
		if got := log.take(); !slices.Equal(got, plus) || !e.inStock(pr) {
			t.Fatalf("receive: %v", got)
		}
		// Reserving part: no crossing; reserving the rest: out.
		r1, err := e.reserve("c1", time.Hour, inventory.Line{SKUID: e.sku, Qty: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got := log.take(); len(got) != 0 {
			t.Fatalf("reserve part: %v", got)
		}
		r2, err := e.reserve("c2", time.Hour, inventory.Line{SKUID: e.sku, Qty: 2})
		if err != nil {
			t.Fatal(err)
		}
		if got := log.take(); !slices.Equal(got, minus) || e.inStock(pr) {
			t.Fatalf("reserve the rest: %v", got)
		}
		// A failed reservation rolls back with its transaction: nothing
		// reported that sticks, the index unchanged.
		if _, err := e.reserve("c3", time.Hour, inventory.Line{SKUID: e.sku, Qty: 1}); core.ErrorCode(err) != core.Conflict {
			t.Fatalf("reserve beyond stock: %v", err)
		}
		log.take()
		// Commit leaves the sellable units as they were: nothing.
		if err := e.inTx(func(ctx context.Context, tx bun.IDB) error { _, err := e.inv.Commit(ctx, tx, r1.ID); return err }); err != nil {
			t.Fatal(err)
		}
		if got := log.take(); len(got) != 0 {
			t.Fatalf("commit: %v", got)
		}
		// Release: back in stock.
		if err := e.inTx(func(ctx context.Context, tx bun.IDB) error { _, err := e.inv.Release(ctx, tx, r2.ID); return err }); err != nil {
			t.Fatal(err)
		}
		if got := log.take(); !slices.Equal(got, plus) || !e.inStock(pr) {
			t.Fatalf("release: %v", got)
		}
		// Adjusting the last units out, then a count finding one.
		if _, err := e.inv.Adjust(e.ctx, e.owner, e.shop.ID, inventory.AdjustInput{LotID: l.ID, Delta: -2, Reason: "damage"}); err != nil {
			t.Fatal(err)
		}
		if got := log.take(); !slices.Equal(got, minus) || e.inStock(pr) {
			t.Fatalf("adjust out: %v", got)
		}
		if _, err := e.inv.Adjust(e.ctx, e.owner, e.shop.ID, inventory.AdjustInput{LotID: l.ID, Delta: 1, Reason: "count"}); err != nil {
			t.Fatal(err)
		}
		if got := log.take(); !slices.Equal(got, plus) {
			t.Fatalf("adjust in: %v", got)
		}
		// Restock of the committed unit: no crossing (1 unit on hand).
		if err := e.inTx(func(ctx context.Context, tx bun.IDB) error {
			return e.inv.Restock(ctx, tx, r1.ID, e.sku, 1, "refund:1", nil)
		}); err != nil {
			t.Fatal(err)
		}
		if got := log.take(); len(got) != 0 {
			t.Fatalf("restock while in stock: %v", got)
		}
		// The expiry sweep releasing a forgotten reservation brings the
		// product back.
		r3, err := e.reserve("c4", time.Second, inventory.Line{SKUID: e.sku, Qty: 2})
		if err != nil {
			t.Fatal(err)
		}
		if got := log.take(); !slices.Equal(got, minus) {
			t.Fatalf("reserve all: %v", got)
		}
		if n, err := e.inv.ReleaseExpired(e.ctx, now.Add(time.Minute)); err != nil || n != 1 {
			t.Fatalf("release expired: %d, %v", n, err)
		}
		if got := log.take(); !slices.Equal(got, plus) || !e.inStock(pr) {
			t.Fatalf("expired reservation %s released: %v", r3.ID, got)
		}

		// A lot expiring overnight: the sweeper reports the product on
		// the next day (and once a day only).
		sw := e.inv.NewSweeper()
		if _, err := sw.Sweep(e.ctx, now); err != nil {
			t.Fatal(err)
		}
		log.take()
		tomorrow := now.Add(6 * 24 * time.Hour) // the good lot's best-before is day 5
		inventory.SetNow(e.inv, func() time.Time { return tomorrow })
		res, err := sw.Sweep(e.ctx, tomorrow)
		if err != nil || res.Expired < 1 {
			t.Fatalf("sweep on day 6: %+v, %v", res, err)
		}
		if got := log.take(); !slices.Contains(got, "-"+pr) || e.inStock(pr) {
			t.Fatalf("lot expired: %v", got)
		}
		if res, err := sw.Sweep(e.ctx, tomorrow.Add(time.Minute)); err != nil || res.Expired != 0 {
			t.Fatalf("second sweep the same day: %+v, %v", res, err)
		}
		e.reconcile()
	})
}

// TestSearchFollowsShops: renaming a shop re-indexes its products (found
// by the new name), suspending takes them out of search, resuming brings
// them back with the stock flag their lots say.
func TestSearchFollowsShops(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		e.inv.OnStockChange(e.a.Search.SetInStock)
		pr := e.productOf(e.sku)
		find := func(q string) bool {
			t.Helper()
			res, err := e.a.Search.Search(e.ctx, search.Query{Text: q})
			if err != nil {
				t.Fatal(err)
			}
			return len(res.Products) == 1 && res.Products[0].ID == pr
		}
		if !find("小白菜") || find("橘子洲") {
			t.Fatal("before the rename")
		}
		in := merchant.ProfileInput{Name: "橘子洲头菜园", ContactPhone: "13800138000"}
		if _, err := e.a.Merchants.UpdateProfile(e.ctx, e.owner, e.shop.ID, in); err != nil {
			t.Fatal(err)
		}
		if !find("橘子洲") || !find("juzizhou") {
			t.Fatal("renamed shop's product not found by the new name")
		}
		res, err := e.a.Search.Search(e.ctx, search.Query{Text: "小白菜"})
		if err != nil || len(res.Products) != 1 || res.Products[0].ShopName != "橘子洲头菜园" {
			t.Fatalf("hit after rename: %+v, %v", res, err)
		}
		// Suspended and resumed while out of stock (all units reserved;
		// the index reads today from the real clock, hence the long
		// best-before), then while in stock again.
		e.receive(e.sku, e.main, 2, 0, 3650)
		r, err := e.reserve("c1", time.Hour, inventory.Line{SKUID: e.sku, Qty: 2})
		if err != nil {
			t.Fatal(err)
		}
		status := func(st, reason string) {
			t.Helper()
			if _, err := e.a.Merchants.SetStatus(e.ctx, e.admin, e.shop.ID, st, reason); err != nil {
				t.Fatal(err)
			}
		}
		status(merchant.ShopSuspended, "整改")
		if find("小白菜") {
			t.Fatal("a suspended shop's product is found")
		}
		status(merchant.ShopActive, "")
		if !find("小白菜") || e.inStock(pr) {
			t.Fatalf("after resuming: found %v, in stock %v (all its units are reserved)", find("小白菜"), e.inStock(pr))
		}
		status(merchant.ShopSuspended, "整改")
		if err := e.inTx(func(ctx context.Context, tx bun.IDB) error { _, err := e.inv.Release(ctx, tx, r.ID); return err }); err != nil {
			t.Fatal(err)
		}
		status(merchant.ShopActive, "")
		if !e.inStock(pr) {
			t.Fatal("released while suspended: not in stock after resuming")
		}
	})
}

// restockEnv commits a reservation of 5 units of e.sku taken from two
// lots (3 from the older, 2 from the newer) and returns it with the lots.
func restockEnv(t *testing.T, e *env) (*inventory.Reservation, *inventory.Lot, *inventory.Lot) {
	t.Helper()
	older := e.receive(e.sku, e.main, 3, -2, 10)
	newer := e.receive(e.sku, e.main, 10, -1, 10)
	e.receive(e.sku2, e.main, 4, 0, 10)
	r, err := e.reserve("order-1", time.Hour, inventory.Line{SKUID: e.sku, Qty: 5}, inventory.Line{SKUID: e.sku2, Qty: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.inTx(func(ctx context.Context, tx bun.IDB) error { _, err := e.inv.Commit(ctx, tx, r.ID); return err }); err != nil {
		t.Fatal(err)
	}
	return r, older, newer
}

func (e *env) restock(r, sku string, qty int) error {
	return e.inTx(func(ctx context.Context, tx bun.IDB) error {
		return e.inv.Restock(ctx, tx, r, sku, qty, "refund:"+r, nil)
	})
}

func TestRestock(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a := newApp(t, d)
		e := newEnv(t, a)
		r, older, newer := restockEnv(t, e)
		before := e.lotFigures()

		// Bad input, unknown ids, another tenant's reservation, a SKU the
		// reservation does not hold: nothing written.
		for _, c := range []struct {
			qty   int
			field string
		}{{0, "qty"}, {-1, "qty"}, {inventory.MaxQuantity + 1, "qty"}} {
			wantField(t, e.restock(r.ID, e.sku, c.qty), c.field, "inventory.field.quantity_range")
		}
		err := e.inTx(func(ctx context.Context, tx bun.IDB) error {
			return e.inv.Restock(ctx, tx, r.ID, e.sku, 1, strings.Repeat("单", inventory.OwnerMax+1), nil)
		})
		wantField(t, err, "ref", "field.too_long")
		wantCode(t, e.restock("nope", e.sku, 1), core.NotFound)
		wantCode(t, e.restock(r.ID, "nope", 1), core.NotFound)
		wantCode(t, e.restock(older.ID, e.sku, 1), core.NotFound)
		other := newEnv(t, a)
		wantCode(t, other.restock(r.ID, e.sku, 1), core.NotFound)
		wantCode(t, e.restock(r.ID, other.sku, 1), core.NotFound)
		// An active reservation is not restocked; it is released.
		active, err := e.reserve("order-2", time.Hour, inventory.Line{SKUID: e.sku, Qty: 1})
		if err != nil {
			t.Fatal(err)
		}
		wantMessage(t, e.restock(active.ID, e.sku, 1), core.Conflict, "inventory.error.reservation_state")
		if err := e.inTx(func(ctx context.Context, tx bun.IDB) error { _, err := e.inv.Release(ctx, tx, active.ID); return err }); err != nil {
			t.Fatal(err)
		}
		// More than was committed: refused, nothing written.
		wantMessage(t, e.restock(r.ID, e.sku, 6), core.Conflict, "inventory.error.over_restock")
		if got := e.lotFigures(); !mapsEqual(got, before) {
			t.Fatalf("refused restocks wrote: %v → %v", before, got)
		}

		// 3 back: the newer lot (allocated last) gets its 2, the older 1.
		if err := e.restock(r.ID, e.sku, 3); err != nil {
			t.Fatal(err)
		}
		got := e.lotFigures()
		if got[newer.ID][0] != before[newer.ID][0]+2 || got[older.ID][0] != before[older.ID][0]+1 {
			t.Fatalf("restock 3: newer %v → %v, older %v → %v", before[newer.ID], got[newer.ID], before[older.ID], got[older.ID])
		}
		var left map[string]int
		err = e.inTx(func(ctx context.Context, tx bun.IDB) (err error) {
			left, err = e.inv.Restockable(ctx, tx, r.ID)
			return err
		})
		if err != nil || left[e.sku] != 2 || left[e.sku2] != 1 {
			t.Fatalf("restockable: %v, %v", left, err)
		}
		wantMessage(t, e.restock(r.ID, e.sku, 3), core.Conflict, "inventory.error.over_restock")
		if err := e.restock(r.ID, e.sku, 2); err != nil {
			t.Fatal(err)
		}
		wantMessage(t, e.restock(r.ID, e.sku, 1), core.Conflict, "inventory.error.over_restock")
		if err := e.restock(r.ID, e.sku2, 1); err != nil {
			t.Fatal(err)
		}
		// The movements: adjust/restock with the reference.
		ms, err := e.inv.Movements(e.ctx, e.owner, e.shop.ID, newer.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := ms[len(ms)-1]
		if last.Kind != inventory.MoveAdjust || last.Reason != inventory.ReasonRestock || last.Reference != "refund:"+r.ID || last.OnHandDelta != 2 {
			t.Fatalf("restock movement: %+v", last)
		}
		e.reconcile()
	})
}

func mapsEqual(a, b map[string][2]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestConcurrentRestocks: many restocks of one unit each at once put back
// exactly what was committed, never more.
func TestConcurrentRestocks(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a := newApp(t, d)
		t.Run("conditional updates", func(t *testing.T) { concurrentRestocks(t, newEnv(t, a)) })
		t.Run("with a hook", func(t *testing.T) {
			e := newEnv(t, a)
			var log stockLog
			e.inv.OnStockChange(log.hook) // takes the products' lock first on PostgreSQL
			concurrentRestocks(t, e)
		})
	})
}

func concurrentRestocks(t *testing.T, e *env) {
	r, older, newer := restockEnv(t, e)
	before := e.lotFigures()
	const tries = 12
	var wg sync.WaitGroup
	errs := make(chan error, tries)
	for range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- e.restock(r.ID, e.sku, 1)
		}()
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case core.ErrorCode(err) != core.Conflict:
			t.Errorf("restock: %v", err)
		}
	}
	got := e.lotFigures()
	back := got[older.ID][0] - before[older.ID][0] + got[newer.ID][0] - before[newer.ID][0]
	if ok != 5 || back != 5 {
		t.Fatalf("%d restocks succeeded, %d units back; want 5 and 5", ok, back)
	}
	e.reconcile()
}

// TestReceiveLots: many lots in one transaction; bad input anywhere
// writes nothing.
func TestReceiveLots(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a := newApp(t, d)
		e := newEnv(t, a)
		good := func(sku string) inventory.LotInput {
			return inventory.LotInput{SKUID: sku, WarehouseID: e.main.ID, Quantity: 40, ReceivedOn: day(-1), BestBefore: day(3),
				Producer: "李大爷", Base: "岳麓山基地", SownOn: day(-50), FertilisedOn: day(-40), PesticideOn: day(-20),
				HarvestedOn: day(-1), ResidueTest: "合格"}
		}
		bad := good(e.sku2)
		bad.Quantity = 0
		late := good(e.sku2)
		late.HarvestedOn = day(0)
		_, err := e.inv.ReceiveLots(e.ctx, e.owner, e.shop.ID, []inventory.LotInput{good(e.sku), bad, late})
		wantField(t, err, "lots.1.quantity", "inventory.field.quantity_range")
		wantField(t, err, "lots.2.received_on", "inventory.field.date_order")
		_, err = e.inv.ReceiveLots(e.ctx, e.owner, e.shop.ID, nil)
		wantField(t, err, "lots", "inventory.field.lots_count")
		other := newEnv(t, a)
		_, err = e.inv.ReceiveLots(e.ctx, e.owner, e.shop.ID, []inventory.LotInput{good(e.sku), good(other.sku)})
		wantCode(t, err, core.NotFound)
		otherShop, otherOwner := e.openShop("fruit")
		own, err := e.inv.CreateShopWarehouse(e.ctx, otherOwner, otherShop.ID, inventory.WarehouseInput{Name: "果园自有仓"})
		if err != nil {
			t.Fatal(err)
		}
		foreign := good(e.sku)
		foreign.WarehouseID = own.ID
		_, err = e.inv.ReceiveLots(e.ctx, e.owner, e.shop.ID, []inventory.LotInput{good(e.sku2), foreign})
		wantCode(t, err, core.NotFound)
		_, err = e.inv.ReceiveLots(e.ctx, e.owner, otherShop.ID, []inventory.LotInput{good(e.sku)})
		wantCode(t, err, core.NotFound)
		if n := len(e.lotFigures()); n != 0 {
			t.Fatalf("refused receipts wrote %d lots", n)
		}

		lots, err := e.inv.ReceiveLots(e.ctx, e.owner, e.shop.ID, []inventory.LotInput{good(e.sku), good(e.sku2), good(e.sku)})
		if err != nil {
			t.Fatal(err)
		}
		if len(lots) != 3 || lots[0].Available != 40 || lots[1].ResidueTest != "合格" || lots[2].SownOn != inventory.Date(day(-50)) {
			t.Fatalf("received: %+v", lots[0])
		}
		if n := e.available(e.sku); n != 80 {
			t.Fatalf("available %d, want 80", n)
		}
		e.reconcile()
	})
}
