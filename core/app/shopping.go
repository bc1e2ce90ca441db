package app

import (
	"context"

	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/cart"
	"github.com/jishi-dev/jishi/core/checkout"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/payment"
	"github.com/jishi-dev/jishi/core/promo"
	"github.com/jishi-dev/jishi/core/stripepay"
	"github.com/uptrace/bun"
)

// The adapters below join the shopping-core packages, which declare what
// they need of each other as small interfaces (see
// docs/design/shopping-core.md) instead of importing each other.

// cartPrices lets the cart show promo's member, tier and flash prices.
type cartPrices struct{ p *promo.Service }

func (c cartPrices) Prices(ctx context.Context, idb bun.IDB, userID string, q []cart.PriceQuery) (map[string]cart.Price, error) {
	pq := make([]promo.PriceQuery, len(q))
	for i, x := range q {
		pq[i] = promo.PriceQuery{SKUID: x.SKUID, Qty: x.Qty, PriceFen: x.PriceFen, ListFen: x.ListFen}
	}
	m, err := c.p.Prices(ctx, idb, userID, pq)
	if err != nil {
		return nil, err
	}
	out := make(map[string]cart.Price, len(m))
	for k, v := range m {
		out[k] = cart.Price{UnitFen: v.UnitFen, Label: v.Label}
	}
	return out, nil
}

// checkoutCart is the shopper's cart as checkout reads it.
type checkoutCart struct{ c *cart.Service }

func (c checkoutCart) Lines(ctx context.Context, idb bun.IDB, userID string) ([]checkout.LineInput, error) {
	ct, err := c.c.Load(ctx, idb, cart.Ref{UserID: userID})
	if err != nil {
		return nil, err
	}
	out := make([]checkout.LineInput, len(ct.Lines))
	for i, l := range ct.Lines {
		out[i] = checkout.LineInput{SKUID: l.SKUID, Qty: l.Qty}
	}
	return out, nil
}

func (c checkoutCart) RemoveSKUs(ctx context.Context, tx bun.IDB, userID string, skuIDs []string) error {
	ct, err := c.c.Load(ctx, tx, cart.Ref{UserID: userID})
	if err != nil || ct.ID == "" {
		return err
	}
	bought := map[string]bool{}
	for _, id := range skuIDs {
		bought[id] = true
	}
	var lines []string
	for _, l := range ct.Lines {
		if bought[l.SKUID] {
			lines = append(lines, l.ID)
		}
	}
	if len(lines) == 0 {
		return nil
	}
	return c.c.RemoveLines(ctx, tx, ct.ID, lines)
}

// orderStock is the inventory as orders see it.
type orderStock struct{ inv *inventory.Service }

func (o orderStock) Release(ctx context.Context, tx bun.IDB, id string) error {
	_, err := o.inv.Release(ctx, tx, id)
	return err
}

func (o orderStock) Committed(ctx context.Context, idb bun.IDB, id string) (bool, error) {
	r, err := o.inv.ReservationIn(ctx, idb, id)
	if err != nil {
		return false, err
	}
	return r.Status == inventory.ReservationCommitted, nil
}

func (o orderStock) Restock(ctx context.Context, tx bun.IDB, reservationID, skuID string, qty int, ref string, actor *string) error {
	return o.inv.Restock(ctx, tx, reservationID, skuID, qty, ref, actor)
}

// payer takes a checkout group's payment (core/payment) and, once it is
// paid or due, posts every order to the ledger (core/billing), in the
// checkout's transaction.
type payer struct {
	pay  *payment.Service
	bill *billing.Service
}

func (p payer) Known(provider string) bool {
	_, ok := p.pay.Registry.Get(provider)
	return ok
}

func (p payer) Pay(ctx context.Context, tx bun.IDB, g *order.Group) (string, error) {
	np := payment.NewPayment{GroupRef: g.ID, Provider: g.Provider, UserID: g.UserID}
	for _, o := range g.Orders {
		np.Parts = append(np.Parts, payment.NewPart{OrderRef: o.ID, ShopID: o.ShopID, AmountFen: o.TotalFen})
	}
	pm, err := p.pay.Start(ctx, tx, np)
	if err != nil {
		return "", err
	}
	if pm.Status != payment.StatusPaid && pm.Status != payment.StatusDue {
		return pm.Status, nil
	}
	ms := make([]billing.OrderMoney, len(g.Orders))
	for i, o := range g.Orders {
		ms[i] = orderMoney(g, o)
	}
	if err := p.bill.OrdersPaid(ctx, tx, ms); err != nil {
		return "", err
	}
	return pm.Status, nil
}

// orderMoney is order o as the ledger sees it: each line's goods after
// the discounts its shop funds (the commission base) and the discounts the
// platform funds; shipping discounts come from shop promotions (单品包邮,
// 满X包邮) and are the shop's.
func orderMoney(g *order.Group, o *order.Order) billing.OrderMoney {
	m := billing.OrderMoney{
		OrderID: o.ID, OrderNumber: o.Number, ShopID: o.ShopID, Tender: g.Provider, UserID: g.UserID,
		ShippingFen: o.ShippingNetFen(), ShippingDiscountFen: o.ShippingDiscountFen, ShippingFundedBy: order.FundedByShop,
	}
	for _, l := range o.Lines {
		var platform int64
		for _, d := range l.Discounts {
			if d.FundedBy == order.FundedByPlatform {
				platform += d.AmountFen
			}
		}
		ol := billing.OrderLine{Ref: l.ID, NetFen: l.TotalFen + platform, PlatformDiscountFen: platform}
		if l.CategoryID != nil {
			ol.CategoryID = *l.CategoryID
		}
		m.Lines = append(m.Lines, ol)
	}
	return m
}

// orderMoneyBack gives a refund back through the group's payment
// (core/payment, which never refunds more than was paid for the order) and
// posts it to the ledger.
type orderMoneyBack struct {
	pay    *payment.Service
	bill   *billing.Service
	stripe *stripepay.Service
}

func (m orderMoneyBack) Refund(ctx context.Context, tx bun.IDB, r order.RefundMoney) error {
	pm, err := m.pay.ForGroup(ctx, tx, r.GroupID)
	if err != nil {
		return err
	}
	if _, err := m.pay.Refund(ctx, tx, pm.ID, r.OrderID, r.AmountFen, r.RefundID); err != nil {
		return err
	}
	rm := billing.RefundMoney{OrderID: r.OrderID, Reference: r.OrderNumber, ShippingFen: r.ShippingFen}
	for _, l := range r.Lines {
		if l.AmountFen > 0 {
			rm.Lines = append(rm.Lines, billing.RefundLine{Ref: l.LineID, AmountFen: l.AmountFen})
		}
	}
	res, err := m.bill.Refund(ctx, tx, rm)
	if err != nil {
		return err
	}
	if pm.Provider == stripepay.ProviderName && m.stripe != nil {
		// The shop's share of the refund comes back from its transfer.
		return m.stripe.ReverseShare(ctx, tx, r.OrderID, r.RefundID, res.ShopFen)
	}
	return nil
}

func (m orderMoneyBack) Collect(ctx context.Context, tx bun.IDB, groupID, orderID, actorID string) error {
	pm, err := m.pay.ForGroup(ctx, tx, groupID)
	if err != nil {
		return err
	}
	_, err = m.pay.Offline.Collect(ctx, tx, pm.ID, orderID, actorID)
	return err
}

// wireShopping joins the shopping-core services once each exists.
func (a *App) wireShopping() error {
	var err error
	a.Orders, err = order.New(order.Deps{
		DB: a.DB, Authz: a.Authz, Stock: orderStock{a.Inventory}, Slots: a.Fulfil, Redemptions: a.Promo,
		Money: orderMoneyBack{a.Payments, a.Billing, a.Stripe}, Pickup: a.Fulfil,
	})
	if err != nil {
		return err
	}
	a.Checkout = checkout.New(checkout.Deps{
		DB: a.DB, Inventory: a.Inventory, Promo: a.Promo, Fulfil: a.Fulfil, Cart: checkoutCart{a.Cart},
		Orders: a.Orders, Payer: payer{a.Payments, a.Billing},
	})
	return nil
}
