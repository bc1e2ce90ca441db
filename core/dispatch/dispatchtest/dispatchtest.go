// Package dispatchtest helps tests that need orders waiting for dispatch:
// Place creates an order through the application's services (a stock
// reservation taken first in first out from real lots, order.Service.Create,
// payment, the reservation committed) and then sets when it was placed, so
// tests can put orders on either side of a cut-off.
package dispatchtest

import (
	"context"
	"fmt"
	"time"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/order/ordertest"
	"github.com/uptrace/bun"
)

// Spec is an order to place.
type Spec struct {
	ShopID   string
	UserID   string // the shopper
	Delivery order.Delivery
	Lines    []order.LineInput
	PlacedAt time.Time
	// Unpaid leaves the order awaiting payment (and its stock reserved).
	Unpaid bool
	// NoStock places the order without a stock reservation.
	NoStock bool
}

// Place creates the order of spec in the tenant of ctx and returns it
// with its lines.
func Place(ctx context.Context, a *app.App, spec Spec) (*order.Order, error) {
	var id string
	err := a.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh := order.ShopInput{ShopID: spec.ShopID, Delivery: spec.Delivery, Lines: spec.Lines}
		if !spec.NoStock {
			var lines []inventory.Line
			for _, l := range spec.Lines {
				lines = append(lines, inventory.Line{SKUID: l.SKUID, Qty: l.Qty})
			}
			r, err := a.Inventory.Reserve(ctx, tx, lines, "dispatchtest", time.Hour)
			if err != nil {
				return fmt.Errorf("reserve: %w", err)
			}
			sh.ReservationID = r.ID
		}
		g, err := a.Orders.Create(ctx, tx, ordertest.Input(spec.UserID, sh))
		if err != nil {
			return fmt.Errorf("create: %w", err)
		}
		id = g.Orders[0].ID
		if !spec.Unpaid {
			if err := a.Orders.MarkPaid(ctx, tx, g.ID, order.PaymentPaid); err != nil {
				return fmt.Errorf("mark paid: %w", err)
			}
			if sh.ReservationID != "" {
				if _, err := a.Inventory.Commit(ctx, tx, sh.ReservationID); err != nil {
					return fmt.Errorf("commit: %w", err)
				}
			}
		}
		if !spec.PlacedAt.IsZero() {
			_, err := tx.NewUpdate().Table("orders").Set("placed_at = ?", spec.PlacedAt.UTC()).
				Where("tenant_id = ?", g.TenantID).Where("id = ?", id).Exec(ctx)
			if err != nil {
				return fmt.Errorf("set placed_at: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var o *order.Order
	err = a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		o, err = a.Orders.Order(ctx, tx, id)
		return err
	})
	return o, err
}

// Hold places hold name on order id.
func Hold(ctx context.Context, a *app.App, id, name string) error {
	return a.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		_, err := a.Orders.PlaceHold(ctx, tx, id, name, "test", "dispatchtest")
		return err
	})
}
