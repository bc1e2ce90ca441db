package dispatch

import (
	"cmp"
	"context"
	"slices"

	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/inventory"
)

// PickList is a day's batch of a shop arranged for picking: per
// warehouse, per SKU the units to take, from which lots (first in, first
// out) and for which orders.
type PickList struct {
	ShopID   string `json:"shop_id"`
	ShopName string `json:"shop_name"`
	Window
	Warehouses []*WarehousePick `json:"warehouses"`
	Held       []HeldOrder      `json:"held"`
}

// WarehousePick is what to pick in one warehouse. WarehouseID "" holds
// units that were not allocated to a lot.
type WarehousePick struct {
	WarehouseID string      `json:"warehouse_id"`
	Name        string      `json:"name"`
	Items       []*PickItem `json:"items"`
	Units       int         `json:"units"`
}

// PickItem is one SKU to pick in a warehouse.
type PickItem struct {
	SKUID   string       `json:"sku_id"`
	SKUCode string       `json:"sku_code"`
	Name    string       `json:"name"`
	Spec    string       `json:"spec"`
	Qty     int          `json:"qty"`
	Lots    []*PickLot   `json:"lots"`
	Orders  []*PickOrder `json:"orders"`
}

// PickLot is the units of a pick item to take from one lot.
type PickLot struct {
	LotID       string         `json:"lot_id,omitempty"`
	Qty         int            `json:"qty"`
	ReceivedOn  inventory.Date `json:"received_on,omitempty"`
	BestBefore  inventory.Date `json:"best_before,omitempty"`
	HarvestedOn inventory.Date `json:"harvested_on,omitempty"`
	Producer    string         `json:"producer,omitempty"`
	Base        string         `json:"base,omitempty"`
}

// PickOrder is the units of a pick item one order gets; pickup orders
// name their pickup point, so staff can sort them.
type PickOrder struct {
	OrderID     string `json:"order_id"`
	Number      string `json:"number"`
	Qty         int    `json:"qty"`
	Recipient   string `json:"recipient"`
	PickupPoint string `json:"pickup_point,omitempty"`
}

// Picks arranges batch b per warehouse: warehouses by name (units not
// allocated to a lot last), SKUs by code, lots first in first out,
// orders in the order they were placed.
func Picks(b *Batch) *PickList {
	pl := &PickList{ShopID: b.ShopID, ShopName: b.ShopName, Window: b.Window, Warehouses: []*WarehousePick{}, Held: b.Held}
	whs := map[string]*WarehousePick{}
	type itemKey struct{ wh, sku string }
	items := map[itemKey]*PickItem{}
	for _, o := range b.Orders {
		point := ""
		if o.PickupPoint != nil {
			point = o.PickupPoint.Name
		}
		for _, l := range o.Lines {
			for _, lp := range l.Lots {
				wh := whs[lp.WarehouseID]
				if wh == nil {
					wh = &WarehousePick{WarehouseID: lp.WarehouseID, Name: lp.Warehouse, Items: []*PickItem{}}
					whs[lp.WarehouseID] = wh
					pl.Warehouses = append(pl.Warehouses, wh)
				}
				k := itemKey{lp.WarehouseID, l.SKUID}
				it := items[k]
				if it == nil {
					it = &PickItem{SKUID: l.SKUID, SKUCode: l.SKUCode, Name: l.Name, Spec: l.Spec, Lots: []*PickLot{}, Orders: []*PickOrder{}}
					items[k] = it
					wh.Items = append(wh.Items, it)
				}
				it.Qty += lp.Qty
				wh.Units += lp.Qty
				if n := len(it.Orders); n > 0 && it.Orders[n-1].OrderID == o.ID {
					it.Orders[n-1].Qty += lp.Qty
				} else {
					it.Orders = append(it.Orders, &PickOrder{OrderID: o.ID, Number: o.Number, Qty: lp.Qty, Recipient: o.Recipient, PickupPoint: point})
				}
				i := slices.IndexFunc(it.Lots, func(x *PickLot) bool { return x.LotID == lp.LotID })
				if i < 0 {
					it.Lots = append(it.Lots, &PickLot{LotID: lp.LotID, ReceivedOn: lp.ReceivedOn, BestBefore: lp.BestBefore,
						HarvestedOn: lp.HarvestedOn, Producer: lp.Producer, Base: lp.Base})
					i = len(it.Lots) - 1
				}
				it.Lots[i].Qty += lp.Qty
			}
		}
	}
	slices.SortStableFunc(pl.Warehouses, func(a, b *WarehousePick) int {
		if (a.WarehouseID == "") != (b.WarehouseID == "") {
			if a.WarehouseID == "" {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.Name, b.Name)
	})
	for _, wh := range pl.Warehouses {
		slices.SortStableFunc(wh.Items, func(a, b *PickItem) int {
			return cmp.Or(cmp.Compare(a.SKUCode, b.SKUCode), cmp.Compare(a.SKUID, b.SKUID))
		})
		for _, it := range wh.Items {
			slices.SortStableFunc(it.Lots, func(a, b *PickLot) int {
				if (a.LotID == "") != (b.LotID == "") {
					if a.LotID == "" {
						return 1
					}
					return -1
				}
				return cmp.Or(cmp.Compare(a.ReceivedOn, b.ReceivedOn), cmp.Compare(a.BestBefore, b.BestBefore))
			})
		}
	}
	return pl
}

// PickList returns the pick list of shop shopID's batch of day date.
// Permissions and errors as Batch.
func (s *Service) PickList(ctx context.Context, p *identity.Principal, shopID, date string) (*PickList, error) {
	b, err := s.Batch(ctx, p, shopID, date)
	if err != nil {
		return nil, err
	}
	return Picks(b), nil
}
