package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/validate"
	"github.com/uptrace/bun"
)

// ShipInput marks orders of a shop shipped: each with its tracking
// number (运单号), and its courier or, when it names none, Courier.
type ShipInput struct {
	Courier string      `json:"courier"`
	Orders  []ShipOrder `json:"orders"`
}

// ShipOrder is one order to mark shipped.
type ShipOrder struct {
	OrderID    string `json:"order_id"`
	Courier    string `json:"courier,omitempty"`
	TrackingNo string `json:"tracking_no"`
}

// ShipResult is what became of one order of a ShipInput.
type ShipResult struct {
	OrderID string `json:"order_id"`
	Number  string `json:"number"`
	Shipped bool   `json:"shipped"`
	// Status is the order's status afterwards.
	Status string `json:"status"`
	// Error says why the order was not shipped (nil when it was).
	Error *ShipError `json:"error,omitempty"`
	err   error
}

// ShipError is why one order was not shipped: the error code and a
// message in the caller's language (Localize fills it in).
type ShipError struct {
	Code    core.Code `json:"code"`
	Message string    `json:"message"`
}

// ShipReport is the answer to a ShipInput: one result per order, in the
// order asked.
type ShipReport struct {
	Shipped int           `json:"shipped"`
	Failed  int           `json:"failed"`
	Results []*ShipResult `json:"results"`
}

// Localize writes the messages of the failed results in locale.
func (r *ShipReport) Localize(ctx context.Context, locale string) {
	for _, res := range r.Results {
		if res.err == nil {
			continue
		}
		var ce *core.Error
		if errors.As(res.err, &ce) && ce.Code != core.Internal {
			res.Error = &ShipError{Code: ce.Code, Message: i18n.T(locale, ce.Message, ce.Args...)}
			continue
		}
		slog.ErrorContext(ctx, "ship order", "order_id", res.OrderID, "err", res.err)
		res.Error = &ShipError{Code: core.Internal, Message: i18n.T(locale, "error.internal")}
	}
}

// check validates in and returns the courier of every order.
func (in *ShipInput) check() ([]string, error) {
	var fe core.FieldErrors
	in.Courier = validate.Text(&fe, "courier", in.Courier, 0, CourierMax)
	if len(in.Orders) == 0 || len(in.Orders) > MaxShip {
		fe.Add("orders", "dispatch.field.orders_count")
	}
	couriers := make([]string, len(in.Orders))
	seen, tracking := map[string]bool{}, map[string]bool{}
	for i := range in.Orders {
		o := &in.Orders[i]
		f := "orders." + strconv.Itoa(i) + "."
		if !validID(o.OrderID) {
			fe.Add(f+"order_id", "dispatch.field.order_unknown")
		} else if seen[o.OrderID] {
			fe.Add(f+"order_id", "dispatch.field.order_twice")
		}
		seen[o.OrderID] = true
		o.Courier = validate.Text(&fe, f+"courier", o.Courier, 0, CourierMax)
		couriers[i] = o.Courier
		if couriers[i] == "" {
			couriers[i] = in.Courier
		}
		if couriers[i] == "" {
			fe.Add(f+"courier", "dispatch.field.courier_required")
		}
		o.TrackingNo = validate.Text(&fe, f+"tracking_no", o.TrackingNo, 1, TrackingMax)
		if o.TrackingNo != "" && tracking[o.TrackingNo] {
			fe.Add(f+"tracking_no", "dispatch.field.tracking_twice")
		}
		tracking[o.TrackingNo] = true
	}
	return couriers, fe.Err()
}

// toShipped are the steps from each waiting status to shipped.
var toShipped = map[string][]string{
	order.StatusPaid:     {order.StatusAccepted, order.StatusPacked, order.StatusShipped},
	order.StatusAccepted: {order.StatusPacked, order.StatusShipped},
	order.StatusPacked:   {order.StatusShipped},
}

// Ship marks the orders of in shipped, for shop shopID: p needs
// PermManage in the shop's domain. Each order goes through the order
// service's transitions on its own (paid and accepted orders are accepted
// and packed on the way, as the staff who ship them have picked and
// packed them), with its status checks, holds and events; one order
// failing does not stop the others, and the report says, per order,
// whether it was shipped or why not: Conflict for an order that is not
// waiting to leave, has a standing hold, or is a pickup order (those go
// to their pickup point, not to a courier).
//
// Returns Invalid with field errors ("orders", "orders.{i}.order_id",
// "orders.{i}.courier", "orders.{i}.tracking_no", "courier") and ships
// nothing when the request is bad: no orders or more than MaxShip, an
// order twice or unknown (not an order of the shop), a missing or
// over-long courier or tracking number, a tracking number twice.
// NotFound for shops outside p's reach; Forbidden when p sees the shop but
// may not manage its orders.
func (s *Service) Ship(ctx context.Context, p *identity.Principal, shopID string, in ShipInput) (*ShipReport, error) {
	couriers, err := in.check()
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Orders))
	for i, o := range in.Orders {
		ids[i] = o.OrderID
	}
	found := map[string]*order.Order{}
	var holds map[string][]string
	err = s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.shopFor(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		var os []*order.Order
		if err := db.Select(ctx, tx, &os).Where("o.shop_id = ?", sh.ID).Where("o.id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
			return fmt.Errorf("read orders to ship: %w", err)
		}
		for _, o := range os {
			found[o.ID] = o
		}
		var fe core.FieldErrors
		for i, id := range ids {
			if found[id] == nil {
				fe.Add("orders."+strconv.Itoa(i)+".order_id", "dispatch.field.order_unknown")
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		holds, err = standingHolds(ctx, tx, ids)
		return err
	})
	if err != nil {
		return nil, err
	}
	if s.Orders == nil {
		return nil, errors.New("dispatch: the order service is not wired")
	}
	rep := &ShipReport{Results: make([]*ShipResult, len(ids))}
	for i, so := range in.Orders {
		o := found[so.OrderID]
		res := &ShipResult{OrderID: o.ID, Number: o.Number, Status: o.Status}
		rep.Results[i] = res
		steps := toShipped[o.Status]
		switch {
		case o.DeliveryMethod == order.MethodPickup:
			res.err = core.Errorf(core.Conflict, "dispatch.error.pickup")
		case steps == nil:
			res.err = core.Errorf(core.Conflict, "dispatch.error.status", o.Status)
		case len(holds[o.ID]) > 0:
			res.err = core.Errorf(core.Conflict, "order.error.held", joinNames(holds[o.ID]))
		}
		for _, to := range steps {
			if res.err != nil {
				break
			}
			ti := order.TransitionInput{To: to}
			if to == order.StatusShipped {
				ti.Courier, ti.TrackingNo = couriers[i], so.TrackingNo
			}
			moved, err := s.Orders.Transition(ctx, p, shopID, o.ID, ti)
			if err != nil {
				res.err = err
				break
			}
			res.Status = moved.Status
		}
		if res.err == nil {
			res.Shipped = true
			rep.Shipped++
		} else {
			rep.Failed++
		}
	}
	return rep, nil
}

func joinNames(ns []string) string {
	out := ""
	for i, n := range ns {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out
}
