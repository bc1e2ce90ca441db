package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/uptrace/bun"
	"google.golang.org/grpc/codes"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/checkout"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/payment"
	"github.com/jishi-dev/jishi/core/pluginhost"
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
)

// CreateOrder places an order for a customer on a plugin's behalf (a
// subscription's renewal) through the ordinary checkout, under the
// idempotency key "plugin:{name}:{key}" of that customer, so a retry
// answers the same order. The delivery is the customer's last order's:
// its pickup point, or courier delivery to its address. Prices are the
// catalog's (a plugin's discount comes through its AdjustCart); the order
// is paid on delivery or pickup.
func (s pluginServices) CreateOrder(ctx context.Context, r pluginhost.Reach, customerID string, lines []*pluginv1.CreateOrderLine, key string) (*pluginv1.Order, error) {
	ctx, err := s.tenantCtx(ctx, r)
	if err != nil {
		return nil, err
	}
	if len(lines) == 0 || key == "" || len(validIDs([]string{customerID})) == 0 {
		return nil, &pluginhost.CallbackError{Code: codes.InvalidArgument, Message: "customer_id, lines and idempotency_key are required"}
	}
	in := checkout.Input{Provider: payment.ProviderOffline}
	var skus []string
	for _, l := range lines {
		in.Lines = append(in.Lines, checkout.LineInput{SKUID: l.GetSkuId(), Qty: int(l.GetQuantity())})
		skus = append(skus, l.GetSkuId())
	}
	var shopID string
	err = s.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := s.a.Identity.UserByID(ctx, tx, customerID); err != nil {
			return pluginhost.ErrNotFound
		}
		sell, err := catalog.Sellables(ctx, tx, skus)
		if err != nil {
			return err
		}
		for i, l := range lines {
			k := sell[l.GetSkuId()]
			if k == nil || shopID != "" && k.ShopID != shopID || !r.Admits(k.ShopRegionID, k.ShopID) {
				return pluginhost.ErrNotFound
			}
			shopID = k.ShopID
			if p := l.GetUnitPriceFen(); p != 0 && p != k.PriceFen {
				return &pluginhost.CallbackError{Code: codes.InvalidArgument, Message: fmt.Sprintf(
					"line %d: unit_price_fen %d is not the catalog's %d; discounts come through AdjustCart", i, p, k.PriceFen)}
			}
		}
		// The delivery of the customer's last order.
		last := new(order.Order)
		err = db.Select(ctx, tx, last).Where("o.user_id = ?", customerID).OrderExpr("o.placed_at DESC").Limit(1).Scan(ctx)
		if err != nil {
			return &pluginhost.CallbackError{Code: codes.FailedPrecondition, Message: "the customer has no earlier order to take the delivery from"}
		}
		in.Recipient, in.Phone, in.Address = last.Recipient, last.Phone, last.Address
		if last.RegionID != nil {
			in.RegionID = *last.RegionID
		}
		c := checkout.ShopChoice{ShopID: shopID, Method: fulfil.MethodCourier}
		if last.DeliveryMethod == order.MethodPickup && last.PickupPointID != nil {
			c.Method, c.PickupPointID = fulfil.MethodPickup, *last.PickupPointID
		}
		in.Shops = []checkout.ShopChoice{c}
		return nil
	})
	if err != nil {
		return nil, err
	}
	p := &identity.Principal{Kind: identity.KindTenant, UserID: customerID, TenantID: r.TenantID}
	q, err := s.a.Checkout.Quote(ctx, p, in)
	if err != nil {
		return nil, callbackError(err)
	}
	in.ExpectedTotalFen = &q.TotalFen
	placed, err := s.a.Checkout.Place(ctx, p, "plugin:"+r.Plugin+":"+key, in)
	if err != nil {
		var ce *core.Error
		if errors.As(err, &ce) && ce.Code == core.Conflict {
			return nil, &pluginhost.CallbackError{Code: codes.FailedPrecondition, Message: ce.Error()}
		}
		return nil, callbackError(err)
	}
	var out *pluginv1.Order
	err = s.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		o, region, err := s.order(ctx, tx, r, placed.Group.Orders[0].ID)
		if err == nil {
			out = protoOrder(o, region)
		}
		return err
	})
	return out, err
}
