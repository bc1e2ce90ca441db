package dispatch

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/uptrace/bun"
)

// Waiting are the statuses of orders waiting to leave the shop: the ones
// a day's batch holds.
var Waiting = []string{order.StatusPaid, order.StatusAccepted, order.StatusPacked}

// Batch is a shop's dispatch batch of one day.
type Batch struct {
	ShopID   string `json:"shop_id"`
	ShopName string `json:"shop_name"`
	Window
	Orders []*Order `json:"orders"`
	// Held are the orders of the window that wait to leave but have a
	// standing hold, so they are not in Orders.
	Held []HeldOrder `json:"held"`
	// TotalFen is what the shoppers paid for the orders of the batch.
	TotalFen int64 `json:"total_fen"`
}

// HeldOrder is an order kept out of the batch by standing holds.
type HeldOrder struct {
	ID     string   `json:"id"`
	Number string   `json:"number"`
	Holds  []string `json:"holds"`
}

// Order is one order of a batch, as dispatch needs it.
type Order struct {
	ID             string       `json:"id"`
	Number         string       `json:"number"`
	ShopID         string       `json:"shop_id"`
	Status         string       `json:"status"`
	PaymentStatus  string       `json:"payment_status"`
	DeliveryMethod string       `json:"delivery_method"`
	PlacedAt       time.Time    `json:"placed_at"`
	Recipient      string       `json:"recipient"`
	Phone          string       `json:"phone"`
	Address        string       `json:"address"`
	PickupPoint    *PickupPoint `json:"pickup_point,omitempty"`
	PromiseText    string       `json:"promise_text"`
	PromiseLatest  *time.Time   `json:"promise_latest,omitempty"`
	// ShipBy and DeliverBy are the promise to the shopper: 24 h and 48 h
	// after the order (later when the shopper chose a later delivery).
	ShipBy      time.Time `json:"ship_by"`
	DeliverBy   time.Time `json:"deliver_by"`
	SubtotalFen int64     `json:"subtotal_fen"`
	DiscountFen int64     `json:"discount_fen"`
	// ShippingFen is the shipping the shopper paid (fee less discount).
	ShippingFen int64   `json:"shipping_fen"`
	TotalFen    int64   `json:"total_fen"`
	Lines       []*Line `json:"lines"`
}

// PickupPoint is where a pickup order goes.
type PickupPoint struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Address string `json:"address"`
}

// Line is one line of an order to pick.
type Line struct {
	ID        string `json:"id"`
	SKUID     string `json:"sku_id"`
	ProductID string `json:"product_id"`
	SKUCode   string `json:"sku_code"`
	Name      string `json:"name"`
	Spec      string `json:"spec"`
	// Qty is what leaves: bought less refunded.
	Qty      int        `json:"qty"`
	TotalFen int64      `json:"total_fen"`
	Lots     []*LotPick `json:"lots"`
}

// LotPick is the part of a line taken from one lot. WarehouseID is ""
// for units not allocated to any lot (an order placed without a stock
// reservation).
type LotPick struct {
	LotID       string         `json:"lot_id,omitempty"`
	WarehouseID string         `json:"warehouse_id"`
	Warehouse   string         `json:"warehouse"`
	Qty         int            `json:"qty"`
	ReceivedOn  inventory.Date `json:"received_on,omitempty"`
	BestBefore  inventory.Date `json:"best_before,omitempty"`
	HarvestedOn inventory.Date `json:"harvested_on,omitempty"`
	Producer    string         `json:"producer,omitempty"`
	Base        string         `json:"base,omitempty"`
}

// promise returns when o must be shipped and delivered: ShipWithin and
// DeliverWithin after it was placed, or, when the shopper chose a later
// delivery (a scheduled slot), by its latest promised time and a day
// before it.
func promise(placed time.Time, latest *time.Time) (shipBy, deliverBy time.Time) {
	shipBy, deliverBy = placed.Add(ShipWithin), placed.Add(DeliverWithin)
	if latest != nil && latest.After(deliverBy) {
		deliverBy = *latest
		shipBy = latest.Add(ShipWithin - DeliverWithin)
	}
	return shipBy, deliverBy
}

func orderOf(o *order.Order) *Order {
	out := &Order{ID: o.ID, Number: o.Number, ShopID: o.ShopID, Status: o.Status, PaymentStatus: o.PaymentStatus,
		DeliveryMethod: o.DeliveryMethod, PlacedAt: o.PlacedAt, Recipient: o.Recipient, Phone: o.Phone,
		Address: o.Address, PromiseText: o.PromiseText, PromiseLatest: o.PromiseLatest,
		SubtotalFen: o.SubtotalFen, DiscountFen: o.DiscountFen, ShippingFen: o.ShippingNetFen(), TotalFen: o.TotalFen,
		Lines: []*Line{}}
	out.ShipBy, out.DeliverBy = promise(o.PlacedAt, o.PromiseLatest)
	if o.PickupPointID != nil {
		out.PickupPoint = &PickupPoint{ID: *o.PickupPointID}
	}
	return out
}

// standingHolds returns the names of the standing holds of orders ids.
func standingHolds(ctx context.Context, tx bun.IDB, ids []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var hs []*order.Hold
	err := db.Select(ctx, tx, &hs).Where("oh.order_id IN (?)", bun.List(ids)).Where("oh.released_at IS NULL").
		Order("oh.order_id", "oh.name").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("read holds: %w", err)
	}
	for _, h := range hs {
		out[h.OrderID] = append(out[h.OrderID], h.Name)
	}
	return out, nil
}

// allocation is the units of one lot a reservation still holds for a
// SKU, with where the lot is and where it came from.
type allocation struct {
	ReservationID string         `bun:"reservation_id"`
	LotID         string         `bun:"lot_id"`
	SKUID         string         `bun:"sku_id"`
	Qty           int            `bun:"qty"`
	WarehouseID   string         `bun:"warehouse_id"`
	Warehouse     string         `bun:"warehouse_name"`
	ReceivedOn    inventory.Date `bun:"received_on"`
	BestBefore    inventory.Date `bun:"best_before"`
	HarvestedOn   inventory.Date `bun:"harvested_on"`
	Producer      string         `bun:"producer"`
	Base          string         `bun:"base"`
}

// withLines reads the lines of orders (by id in byID, from the order
// models os) and splits each line over the lots its units were allocated
// from, first in first out.
func withLines(ctx context.Context, tx bun.IDB, os []*order.Order, byID map[string]*Order) error {
	if len(os) == 0 {
		return nil
	}
	ids := make([]string, len(os))
	var resIDs []string
	resOf := map[string]string{}
	for i, o := range os {
		ids[i] = o.ID
		if o.ReservationID != nil {
			resIDs = append(resIDs, *o.ReservationID)
			resOf[o.ID] = *o.ReservationID
		}
	}
	var lines []*order.Line
	if err := db.Select(ctx, tx, &lines).Where("ol.order_id IN (?)", bun.List(ids)).Order("ol.order_id", "ol.position").Scan(ctx); err != nil {
		return fmt.Errorf("read order lines: %w", err)
	}
	type key struct{ res, sku string }
	queue := map[key][]*allocation{}
	if len(resIDs) > 0 {
		var as []*allocation
		err := tx.NewSelect().TableExpr("stock_allocations AS sa").
			ColumnExpr("sa.reservation_id, sa.lot_id, sa.sku_id, sa.qty - sa.restocked AS qty").
			ColumnExpr("l.warehouse_id, w.name AS warehouse_name, l.received_on, l.best_before, l.harvested_on, l.producer, l.base").
			Join("JOIN lots AS l ON l.tenant_id = sa.tenant_id AND l.id = sa.lot_id").
			Join("JOIN warehouses AS w ON w.tenant_id = l.tenant_id AND w.id = l.warehouse_id").
			Where("sa.tenant_id = ?", db.TenantID(ctx)).Where("sa.reservation_id IN (?)", bun.List(resIDs)).
			OrderExpr("sa.reservation_id, sa.sku_id, l.received_on, l.best_before, l.created_at, l.id").
			Scan(ctx, &as)
		if err != nil {
			return fmt.Errorf("read stock allocations: %w", err)
		}
		for _, a := range as {
			if a.Qty > 0 {
				k := key{a.ReservationID, a.SKUID}
				queue[k] = append(queue[k], a)
			}
		}
	}
	for _, l := range lines {
		o := byID[l.OrderID]
		if o == nil {
			continue
		}
		qty := l.Qty - l.RefundedQty
		if qty <= 0 {
			continue
		}
		ln := &Line{ID: l.ID, SKUID: l.SKUID, ProductID: l.ProductID, SKUCode: l.SKUCode, Name: l.Name, Spec: l.Spec,
			Qty: qty, TotalFen: l.TotalFen - l.RefundedFen}
		k := key{resOf[l.OrderID], l.SKUID}
		left := qty
		for left > 0 && len(queue[k]) > 0 {
			a := queue[k][0]
			n := min(left, a.Qty)
			ln.Lots = append(ln.Lots, &LotPick{LotID: a.LotID, WarehouseID: a.WarehouseID, Warehouse: a.Warehouse, Qty: n,
				ReceivedOn: a.ReceivedOn, BestBefore: a.BestBefore, HarvestedOn: a.HarvestedOn, Producer: a.Producer, Base: a.Base})
			a.Qty -= n
			left -= n
			if a.Qty == 0 {
				queue[k] = queue[k][1:]
			}
		}
		if left > 0 {
			ln.Lots = append(ln.Lots, &LotPick{Qty: left})
		}
		o.Lines = append(o.Lines, ln)
	}
	return nil
}

// withPickupPoints fills in the name and address of the pickup points of
// orders.
func withPickupPoints(ctx context.Context, tx bun.IDB, orders []*Order) error {
	var ids []string
	for _, o := range orders {
		if o.PickupPoint != nil && !slices.Contains(ids, o.PickupPoint.ID) {
			ids = append(ids, o.PickupPoint.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var pts []*fulfil.PickupPoint
	if err := db.Select(ctx, tx, &pts).Where("pp.id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return fmt.Errorf("read pickup points: %w", err)
	}
	byID := map[string]*fulfil.PickupPoint{}
	for _, p := range pts {
		byID[p.ID] = p
	}
	for _, o := range orders {
		if o.PickupPoint != nil {
			if p := byID[o.PickupPoint.ID]; p != nil {
				o.PickupPoint.Name, o.PickupPoint.Address = p.Name, p.Address
			}
		}
	}
	return nil
}

// Batch returns the dispatch batch of shop shopID for day date
// ("YYYY-MM-DD"; "" for today in the tenant's zone): see the package
// comment for the window and what it holds. Orders are in the order they
// were placed. p needs PermManage in the shop's domain.
//
// Returns Invalid with a field error on "date" for a date that is not a
// day; NotFound for shops of other tenants or outside p's reach;
// Forbidden when p sees the shop but may not manage its orders.
func (s *Service) Batch(ctx context.Context, p *identity.Principal, shopID, date string) (*Batch, error) {
	w, err := s.window(ctx, date)
	if err != nil {
		return nil, err
	}
	var b *Batch
	err = s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.shopFor(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		b = &Batch{ShopID: sh.ID, ShopName: sh.Name, Window: w, Orders: []*Order{}, Held: []HeldOrder{}}
		var os []*order.Order
		err = db.Select(ctx, tx, &os).Where("o.shop_id = ?", sh.ID).Where("o.status IN (?)", bun.List(Waiting)).
			Where("o.placed_at > ?", w.From.UTC()).Where("o.placed_at <= ?", w.To.UTC()).
			Order("o.placed_at", "o.number").Limit(maxBatchOrders).Scan(ctx)
		if err != nil {
			return fmt.Errorf("read the batch of shop %s: %w", sh.ID, err)
		}
		ids := make([]string, len(os))
		for i, o := range os {
			ids[i] = o.ID
		}
		holds, err := standingHolds(ctx, tx, ids)
		if err != nil {
			return err
		}
		byID := map[string]*Order{}
		var kept []*order.Order
		for _, o := range os {
			if hs := holds[o.ID]; len(hs) > 0 {
				b.Held = append(b.Held, HeldOrder{ID: o.ID, Number: o.Number, Holds: hs})
				continue
			}
			d := orderOf(o)
			byID[o.ID] = d
			b.Orders = append(b.Orders, d)
			b.TotalFen += d.TotalFen
			kept = append(kept, o)
		}
		if err := withLines(ctx, tx, kept, byID); err != nil {
			return err
		}
		return withPickupPoints(ctx, tx, b.Orders)
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}
