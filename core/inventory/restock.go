package inventory

import (
	"context"
	"fmt"
	"strings"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/uptrace/bun"
)

// restockOrder is the order units go back in: the lot allocated last
// (last in FIFO order) first.
var restockOrder = []string{"l.received_on DESC", "l.best_before DESC", "l.created_at DESC", "l.id DESC"}

// Restock puts qty units of SKU skuID of committed reservation
// reservationID back into the lots they were taken from, in tx (the
// caller's transaction, bound to the tenant): the most recently allocated
// lot first, on hand rising by what each gives back. Each lot's change is
// recorded as a movement of kind adjust, reason restock, with reference
// ref (e.g. "refund:{id}") and actor (nil for the system). It is for an
// order cancelled after its reservation was committed, and for refunds
// that restock.
//
// Never more goes back than was committed for the SKU less what earlier
// restocks returned: each allocation counts its restocked units, raised
// with a conditional UPDATE (… WHERE restocked + n <= qty), so concurrent
// restocks of one reservation cannot together exceed it.
//
// Returns Invalid with field errors ("qty" out of 1 to MaxQuantity, "ref"
// over OwnerMax runes); NotFound for a reservation that is not the
// tenant's, or a SKU it does not hold; Conflict
// inventory.error.reservation_state when the reservation is not
// committed; Conflict inventory.error.over_restock when qty is more than
// is left to restock — a concurrent restock may have written part of it
// by then, so tx must be rolled back.
func (s *Service) Restock(ctx context.Context, tx bun.IDB, reservationID, skuID string, qty int, ref string, actor *string) error {
	var fe core.FieldErrors
	if qty < 1 || qty > MaxQuantity {
		fe.Add("qty", "inventory.field.quantity_range")
	}
	ref = strings.TrimSpace(ref)
	if len([]rune(ref)) > OwnerMax {
		fe.Add("ref", "field.too_long")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	if !validID(skuID) {
		return errNotFound
	}
	r, err := loadReservation(ctx, tx, reservationID)
	if err != nil {
		return err
	}
	if r.Status != ReservationCommitted {
		return core.Errorf(core.Conflict, "inventory.error.reservation_state")
	}
	holds := false
	for _, a := range r.Allocations {
		holds = holds || a.SKUID == skuID
	}
	if !holds {
		return errNotFound
	}
	watch, err := s.watchStock(ctx, tx, []string{skuID}, true)
	if err != nil {
		return err
	}
	// Read the allocations again after the products' lock: a restock that
	// held it has committed by now.
	var allocs []struct {
		LotID       string `bun:"lot_id"`
		WarehouseID string `bun:"warehouse_id"`
		Qty         int    `bun:"qty"`
		Restocked   int    `bun:"restocked"`
	}
	err = tx.NewSelect().TableExpr("stock_allocations AS sa").
		Join("JOIN lots AS l ON l.tenant_id = sa.tenant_id AND l.id = sa.lot_id").
		Column("sa.lot_id", "l.warehouse_id", "sa.qty", "sa.restocked").
		Where("sa.tenant_id = ?", db.TenantID(ctx)).Where("sa.reservation_id = ?", r.ID).Where("sa.sku_id = ?", skuID).
		Order(restockOrder...).Scan(ctx, &allocs)
	if err != nil {
		return fmt.Errorf("read allocations of reservation %s: %w", r.ID, err)
	}
	left := 0
	for _, a := range allocs {
		left += a.Qty - a.Restocked
	}
	if qty > left {
		return errOverRestock
	}
	now := s.now().UTC()
	need := qty
	for _, a := range allocs {
		free := a.Qty - a.Restocked
		for need > 0 && free > 0 {
			n := min(need, free)
			res, err := db.Update(ctx, tx, (*Allocation)(nil)).Set("restocked = restocked + ?", n).
				Where("sa.reservation_id = ?", r.ID).Where("sa.lot_id = ?", a.LotID).
				Where("sa.restocked + ? <= sa.qty", n).Exec(ctx)
			if err != nil {
				return fmt.Errorf("restock allocation of lot %s: %w", a.LotID, err)
			}
			if k, _ := res.RowsAffected(); k != 1 {
				// Another restock took part of it meanwhile: read what is left.
				var restocked int
				err := db.Select(ctx, tx, (*Allocation)(nil)).Column("sa.restocked").
					Where("sa.reservation_id = ?", r.ID).Where("sa.lot_id = ?", a.LotID).Scan(ctx, &restocked)
				if err != nil {
					return fmt.Errorf("read allocation of lot %s: %w", a.LotID, err)
				}
				free = a.Qty - restocked
				continue
			}
			res, err = db.Update(ctx, tx, (*Lot)(nil)).Set("on_hand = on_hand + ?", n).Set("updated_at = ?", now).
				Where("l.id = ?", a.LotID).Exec(ctx)
			if err != nil {
				return fmt.Errorf("restock lot %s: %w", a.LotID, err)
			}
			if k, _ := res.RowsAffected(); k != 1 {
				return fmt.Errorf("restock lot %s: lot not found", a.LotID)
			}
			l := &Lot{ID: a.LotID, SKUID: skuID, WarehouseID: a.WarehouseID}
			if err := movement(ctx, tx, l, MoveAdjust, n, 0, ReasonRestock, "", ref, actor, now); err != nil {
				return err
			}
			need -= n
			free -= n
		}
		if need == 0 {
			break
		}
	}
	if need > 0 {
		return errOverRestock
	}
	return s.report(ctx, tx, watch)
}

var errOverRestock = core.Errorf(core.Conflict, "inventory.error.over_restock")

// Restockable returns, per SKU, how many units of committed reservation id
// may still be restocked. NotFound for ids that are not the tenant's.
func (s *Service) Restockable(ctx context.Context, tx bun.IDB, id string) (map[string]int, error) {
	r, err := loadReservation(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	if r.Status != ReservationCommitted {
		return out, nil
	}
	for _, a := range r.Allocations {
		out[a.SKUID] += a.Qty - a.Restocked
	}
	return out, nil
}
