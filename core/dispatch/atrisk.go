package dispatch

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/uptrace/bun"
)

// Risks: what an at-risk order is about to miss.
const (
	RiskShip    = "ship"    // not shipped yet (or not at its pickup point)
	RiskDeliver = "deliver" // shipped, not delivered yet
)

// AtRisk is the list of orders about to miss (or past) their promise.
type AtRisk struct {
	At     time.Time    `json:"at"`
	Hours  int          `json:"hours"`
	Orders []*RiskOrder `json:"orders"`
}

// RiskOrder is one order at risk, with whom customer service should call.
type RiskOrder struct {
	ID             string    `json:"id"`
	Number         string    `json:"number"`
	ShopID         string    `json:"shop_id"`
	ShopName       string    `json:"shop_name"`
	Status         string    `json:"status"`
	DeliveryMethod string    `json:"delivery_method"`
	PlacedAt       time.Time `json:"placed_at"`
	ShipBy         time.Time `json:"ship_by"`
	DeliverBy      time.Time `json:"deliver_by"`
	Risk           string    `json:"risk"`
	// Due is ShipBy or DeliverBy, whichever Risk names.
	Due     time.Time `json:"due"`
	Overdue bool      `json:"overdue"`
	// Recipient and Phone are who the order goes to; ShopperName and
	// ShopperPhone the account that placed it.
	Recipient    string   `json:"recipient"`
	Phone        string   `json:"phone"`
	ShopperName  string   `json:"shopper_name"`
	ShopperPhone string   `json:"shopper_phone,omitempty"`
	Courier      string   `json:"courier,omitempty"`
	TrackingNo   string   `json:"tracking_no,omitempty"`
	Holds        []string `json:"holds,omitempty"`
}

// checkHours validates the look-ahead; 0 lists only what is overdue.
func checkHours(hours int) error {
	if hours < 0 || hours > MaxRiskHours {
		var fe core.FieldErrors
		fe.Add("hours", "dispatch.field.hours")
		return fe.Err()
	}
	return nil
}

// atRisk lists the orders (of shop shopID, or of the tenant when "") not
// yet shipped whose ship-by falls before now+hours, and those shipped and
// not delivered whose deliver-by does; the most urgent first. Held orders
// are listed with their holds: they are the likeliest to miss.
func (s *Service) atRisk(ctx context.Context, tx bun.IDB, shopID string, hours int) (*AtRisk, error) {
	now := s.Now().UTC()
	horizon := now.Add(time.Duration(hours) * time.Hour)
	out := &AtRisk{At: now, Hours: hours, Orders: []*RiskOrder{}}
	var os []*order.Order
	// ship-by ≥ placed + 24 h and deliver-by ≥ placed + 48 h, so these
	// bounds keep every order that can be at risk; the exact test is below.
	q := db.Select(ctx, tx, &os).WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.WhereGroup(" OR ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("o.status IN (?)", bun.List(Waiting)).Where("o.placed_at <= ?", horizon.Add(-ShipWithin))
		}).WhereGroup(" OR ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("o.status = ?", order.StatusShipped).Where("o.placed_at <= ?", horizon.Add(-DeliverWithin))
		})
	})
	if shopID != "" {
		q = q.Where("o.shop_id = ?", shopID)
	}
	if err := q.Order("o.placed_at", "o.number").Limit(maxAtRiskListSize * 4).Scan(ctx); err != nil {
		return nil, fmt.Errorf("read orders at risk: %w", err)
	}
	var ids, users, shops []string
	for _, o := range os {
		ship, deliver := promise(o.PlacedAt, o.PromiseLatest)
		r := &RiskOrder{ID: o.ID, Number: o.Number, ShopID: o.ShopID, Status: o.Status, DeliveryMethod: o.DeliveryMethod,
			PlacedAt: o.PlacedAt, ShipBy: ship, DeliverBy: deliver, Recipient: o.Recipient, Phone: o.Phone,
			Courier: o.Courier, TrackingNo: o.TrackingNo}
		r.Risk, r.Due = RiskShip, ship
		if o.Status == order.StatusShipped {
			r.Risk, r.Due = RiskDeliver, deliver
		}
		if r.Due.After(horizon) {
			continue
		}
		r.Overdue = !r.Due.After(now)
		out.Orders = append(out.Orders, r)
		ids = append(ids, o.ID)
		if !slices.Contains(users, o.UserID) {
			users = append(users, o.UserID)
		}
		if !slices.Contains(shops, o.ShopID) {
			shops = append(shops, o.ShopID)
		}
	}
	slices.SortStableFunc(out.Orders, func(a, b *RiskOrder) int {
		return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(a.Number, b.Number))
	})
	if len(out.Orders) > maxAtRiskListSize {
		out.Orders = out.Orders[:maxAtRiskListSize]
	}
	if len(out.Orders) == 0 {
		return out, nil
	}
	holds, err := standingHolds(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	var people []struct {
		ID    string  `bun:"id"`
		Name  string  `bun:"name"`
		Phone *string `bun:"phone"`
	}
	err = tx.NewSelect().TableExpr("users AS u").ColumnExpr("u.id, u.name, u.phone").
		Where("u.tenant_id = ?", db.TenantID(ctx)).Where("u.id IN (?)", bun.List(users)).Scan(ctx, &people)
	if err != nil {
		return nil, fmt.Errorf("read shoppers: %w", err)
	}
	var shs []*merchant.Shop
	if err := db.Select(ctx, tx, &shs).Where("s.id IN (?)", bun.List(shops)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("read shops: %w", err)
	}
	byUser := map[string]int{}
	for i, u := range people {
		byUser[u.ID] = i
	}
	shopName := map[string]string{}
	for _, sh := range shs {
		shopName[sh.ID] = sh.Name
	}
	userOf := map[string]string{}
	for _, o := range os {
		userOf[o.ID] = o.UserID
	}
	for _, r := range out.Orders {
		r.Holds = holds[r.ID]
		r.ShopName = shopName[r.ShopID]
		if i, ok := byUser[userOf[r.ID]]; ok {
			r.ShopperName = people[i].Name
			if people[i].Phone != nil {
				r.ShopperPhone = *people[i].Phone
			}
		}
	}
	return out, nil
}

// ShopAtRisk returns the orders of shop shopID at risk of missing "ship
// within 24 h, deliver within 48 h" within the next hours (0 to
// MaxRiskHours; 0 lists only the overdue ones): not yet shipped (paid,
// accepted, packed) with a ship-by before then, or shipped and not
// delivered with a deliver-by before then, most urgent first, with the
// shopper's phone. Pickup orders count as shipped once ready at their
// point, so they drop off the list then. p needs PermManage in the shop's
// domain.
//
// Returns Invalid with a field error on "hours"; NotFound for shops
// outside p's reach; Forbidden when p sees the shop but may not manage its
// orders.
func (s *Service) ShopAtRisk(ctx context.Context, p *identity.Principal, shopID string, hours int) (*AtRisk, error) {
	if err := checkHours(hours); err != nil {
		return nil, err
	}
	var out *AtRisk
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.shopFor(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		out, err = s.atRisk(ctx, tx, sh.ID, hours)
		return err
	})
	return out, err
}

// AtRisk is ShopAtRisk over every shop of the tenant, for the tenant's
// customer service: p needs PermManage in the tenant's domain (Forbidden
// otherwise).
func (s *Service) AtRisk(ctx context.Context, p *identity.Principal, hours int) (*AtRisk, error) {
	t, err := identity.TenantOf(ctx, p)
	if err != nil {
		return nil, err
	}
	if err := s.Authz.Check(ctx, p, authz.TenantDomain(t.ID), PermManage); err != nil {
		return nil, err
	}
	if err := checkHours(hours); err != nil {
		return nil, err
	}
	var out *AtRisk
	err = s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		out, err = s.atRisk(ctx, tx, "", hours)
		return err
	})
	return out, err
}
