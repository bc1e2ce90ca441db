package order

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/uptrace/bun"
)

// Filter narrows a list of orders.
type Filter struct {
	Status string    // one of Statuses; "" for all
	From   time.Time // placed at or after (zero: no bound)
	To     time.Time // placed before (zero: no bound)
	merchant.Page
}

// check validates f.
func (f Filter) check() error {
	var fe core.FieldErrors
	if f.Status != "" && !slices.Contains(Statuses, f.Status) {
		fe.Add("status", "field.invalid")
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		fe.Add("to", "order.field.date_order")
	}
	return fe.Err()
}

func (f Filter) apply(q *bun.SelectQuery) *bun.SelectQuery {
	if f.Status != "" {
		q = q.Where("o.status = ?", f.Status)
	}
	if !f.From.IsZero() {
		q = q.Where("o.placed_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("o.placed_at < ?", f.To.UTC())
	}
	q = q.Order("o.placed_at DESC", "o.id DESC")
	if f.Offset > 0 {
		q = q.Offset(int64(f.Offset))
	}
	if f.Limit > 0 {
		q = q.Limit(int64(f.Limit))
	}
	return q
}

// Parts of an order read with it.
type part int

const (
	partLines part = 1 << iota
	partEvents
	partHolds
	partRefunds
	partAll = partLines | partEvents | partHolds | partRefunds
)

// attach reads the parts of orders.
func attach(ctx context.Context, idb bun.IDB, orders []*Order, parts part) error {
	if len(orders) == 0 {
		return nil
	}
	ids := make([]string, len(orders))
	byID := make(map[string]*Order, len(orders))
	for i, o := range orders {
		ids[i] = o.ID
		byID[o.ID] = o
	}
	if parts&partLines != 0 {
		var lines []*Line
		if err := db.Select(ctx, idb, &lines).Where("ol.order_id IN (?)", bun.List(ids)).Order("ol.order_id", "ol.position").Scan(ctx); err != nil {
			return fmt.Errorf("read order lines: %w", err)
		}
		lineIDs := make([]string, len(lines))
		byLine := map[string]*Line{}
		for i, l := range lines {
			o := byID[l.OrderID]
			o.Lines = append(o.Lines, l)
			lineIDs[i] = l.ID
			byLine[l.ID] = l
		}
		if len(lineIDs) > 0 {
			var ds []*LineDiscount
			if err := db.Select(ctx, idb, &ds).Where("od.line_id IN (?)", bun.List(lineIDs)).Order("od.line_id", "od.id").Scan(ctx); err != nil {
				return fmt.Errorf("read line discounts: %w", err)
			}
			for _, d := range ds {
				byLine[d.LineID].Discounts = append(byLine[d.LineID].Discounts, d)
			}
		}
	}
	if parts&partEvents != 0 {
		var es []*Event
		if err := db.Select(ctx, idb, &es).Where("oe.order_id IN (?)", bun.List(ids)).Order("oe.at", "oe.id").Scan(ctx); err != nil {
			return fmt.Errorf("read order events: %w", err)
		}
		for _, e := range es {
			byID[e.OrderID].Events = append(byID[e.OrderID].Events, e)
		}
	}
	if parts&partHolds != 0 {
		var hs []*Hold
		if err := db.Select(ctx, idb, &hs).Where("oh.order_id IN (?)", bun.List(ids)).Order("oh.placed_at", "oh.id").Scan(ctx); err != nil {
			return fmt.Errorf("read order holds: %w", err)
		}
		for _, h := range hs {
			byID[h.OrderID].Holds = append(byID[h.OrderID].Holds, h)
		}
	}
	if parts&partRefunds != 0 {
		var rs []*Refund
		if err := db.Select(ctx, idb, &rs).Where("rf.order_id IN (?)", bun.List(ids)).Order("rf.created_at", "rf.id").Scan(ctx); err != nil {
			return fmt.Errorf("read refunds: %w", err)
		}
		if len(rs) > 0 {
			rids := make([]string, len(rs))
			byRefund := map[string]*Refund{}
			for i, r := range rs {
				rids[i] = r.ID
				byRefund[r.ID] = r
				r.Lines = []*RefundLine{}
				byID[r.OrderID].Refunds = append(byID[r.OrderID].Refunds, r)
			}
			var rls []*RefundLine
			if err := db.Select(ctx, idb, &rls).Where("rl.refund_id IN (?)", bun.List(rids)).Scan(ctx); err != nil {
				return fmt.Errorf("read refund lines: %w", err)
			}
			for _, rl := range rls {
				byRefund[rl.RefundID].Lines = append(byRefund[rl.RefundID].Lines, rl)
			}
		}
	}
	return nil
}

// loadOrder reads order id of the tenant in ctx with parts.
func loadOrder(ctx context.Context, idb bun.IDB, id string, parts part) (*Order, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	o := new(Order)
	if err := db.Select(ctx, idb, o).Where("o.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return o, attach(ctx, idb, []*Order{o}, parts)
}

// lock takes order id's row lock for the rest of tx (on PostgreSQL; SQLite
// transactions hold the one write lock already), so that what the caller
// reads next (lines, refunded units) cannot change under it: refunds and
// cancellations of one order run one after the other. An id that is not
// the tenant's locks nothing.
func lock(ctx context.Context, tx bun.IDB, id string) error {
	if !validID(id) {
		return nil
	}
	if _, err := db.Update(ctx, tx, (*Order)(nil)).Set("updated_at = o.updated_at").Where("o.id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("lock order %s: %w", id, err)
	}
	return nil
}

// Order returns order id with its lines, events, holds and refunds, for
// the system (the plugin host, checkout). NotFound for ids that are not
// the tenant's.
func (s *Service) Order(ctx context.Context, idb bun.IDB, id string) (*Order, error) {
	return loadOrder(ctx, idb, id, partAll)
}

func (s *Service) list(ctx context.Context, idb bun.IDB, f Filter, where func(*bun.SelectQuery) *bun.SelectQuery) ([]*Order, error) {
	out := []*Order{}
	q := where(db.Select(ctx, idb, &out))
	if err := f.apply(q).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	return out, attach(ctx, idb, out, partLines)
}

// MyOrders returns p's own orders, newest first, with their lines.
// Returns Unauthenticated unless p is an account of the tenant in ctx;
// Invalid for a bad filter.
func (s *Service) MyOrders(ctx context.Context, p *identity.Principal, f Filter) ([]*Order, error) {
	if _, err := identity.TenantOf(ctx, p); err != nil {
		return nil, err
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	var out []*Order
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		out, err = s.list(ctx, tx, f, func(q *bun.SelectQuery) *bun.SelectQuery { return q.Where("o.user_id = ?", p.UserID) })
		return err
	})
	return out, err
}

// MyOrder returns p's own order id with its lines, events and refunds.
// NotFound for another shopper's order, and for ids that are not the
// tenant's.
func (s *Service) MyOrder(ctx context.Context, p *identity.Principal, id string) (*Order, error) {
	if _, err := identity.TenantOf(ctx, p); err != nil {
		return nil, err
	}
	var o *Order
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		o, err = s.mine(ctx, tx, p, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	o.Holds = nil // holds are the shop's and plugins' business
	return o, nil
}

func (s *Service) mine(ctx context.Context, tx bun.IDB, p *identity.Principal, id string) (*Order, error) {
	o, err := loadOrder(ctx, tx, id, partAll)
	if err != nil {
		return nil, err
	}
	if o.UserID != p.UserID {
		return nil, errNotFound
	}
	return o, nil
}

// shopFor loads shop id and authorises p for perm in its domain: nil when
// p holds perm; Forbidden when p may see the shop but not do this;
// NotFound otherwise, so that shops outside p's reach do not exist for p.
func (s *Service) shopFor(ctx context.Context, tx bun.IDB, p *identity.Principal, id, perm string) (*merchant.Shop, error) {
	if _, err := identity.TenantOf(ctx, p); err != nil {
		return nil, err
	}
	if !validID(id) {
		return nil, errNotFound
	}
	sh := new(merchant.Shop)
	if err := db.Select(ctx, tx, sh).Where("s.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	dom := sh.AuthzDomain()
	if s.Authz.Allowed(ctx, p, dom, perm) {
		return sh, nil
	}
	if s.Authz.Allowed(ctx, p, dom, PermManage) || s.Authz.Allowed(ctx, p, dom, merchant.PermViewShop) ||
		s.Authz.Allowed(ctx, p, dom, merchant.PermListShops) {
		return nil, s.Authz.Check(ctx, p, dom, perm)
	}
	return nil, errNotFound
}

// shopOrder loads order id of shop shopID, authorising p for perm in the
// shop's domain. NotFound for another shop's order.
func (s *Service) shopOrder(ctx context.Context, tx bun.IDB, p *identity.Principal, shopID, id, perm string, parts part) (*merchant.Shop, *Order, error) {
	sh, err := s.shopFor(ctx, tx, p, shopID, perm)
	if err != nil {
		return nil, nil, err
	}
	o, err := loadOrder(ctx, tx, id, parts)
	if err != nil {
		return nil, nil, err
	}
	if o.ShopID != sh.ID {
		return nil, nil, errNotFound
	}
	return sh, o, nil
}

// ShopOrders returns the orders of shop shopID, newest first, with their
// lines. p needs PermManage in the shop's domain. Returns NotFound for
// shops outside p's reach; Forbidden when p sees the shop but may not
// manage its orders; Invalid for a bad filter.
func (s *Service) ShopOrders(ctx context.Context, p *identity.Principal, shopID string, f Filter) ([]*Order, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	var out []*Order
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.shopFor(ctx, tx, p, shopID, PermManage)
		if err != nil {
			return err
		}
		out, err = s.list(ctx, tx, f, func(q *bun.SelectQuery) *bun.SelectQuery { return q.Where("o.shop_id = ?", sh.ID) })
		return err
	})
	return out, err
}

// ShopOrder returns order id of shop shopID with its lines, events, holds
// and refunds. Permissions and errors as ShopOrders; NotFound for another
// shop's order.
func (s *Service) ShopOrder(ctx context.Context, p *identity.Principal, shopID, id string) (*Order, error) {
	var o *Order
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		_, o, err = s.shopOrder(ctx, tx, p, shopID, id, PermManage, partAll)
		return err
	})
	return o, err
}

// AllOrders returns every order of the tenant, newest first, with their
// lines, for the tenant admin: p needs PermManage in the tenant's domain
// (Forbidden otherwise). Invalid for a bad filter.
func (s *Service) AllOrders(ctx context.Context, p *identity.Principal, f Filter) ([]*Order, error) {
	t, err := identity.TenantOf(ctx, p)
	if err != nil {
		return nil, err
	}
	if err := s.Authz.Check(ctx, p, authz.TenantDomain(t.ID), PermManage); err != nil {
		return nil, err
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	var out []*Order
	err = s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		out, err = s.list(ctx, tx, f, func(q *bun.SelectQuery) *bun.SelectQuery { return q })
		return err
	})
	return out, err
}
