package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Payer takes the payment of a placed checkout group through the provider
// the shopper chose and posts it to the books, in the checkout's
// transaction. It answers the provider's status: "paid" (settled now),
// "due" (offline: collected on pickup or delivery) or "pending" (settled
// later, e.g. by a webhook).
type Payer interface {
	Known(provider string) bool
	Pay(ctx context.Context, tx bun.IDB, g *order.Group) (status string, err error)
}

// Payment statuses a Payer answers.
const (
	PaidNow = "paid"
	PaidDue = "due"
	Pending = "pending"
)

// Placed is the answer to a place request: the checkout group with its
// orders, and the payment status.
type Placed struct {
	Group   *order.Group `json:"group"`
	Payment string       `json:"payment"`
	// Replayed is true when this is the stored answer to an earlier
	// request with the same idempotency key.
	Replayed bool `json:"-"`
}

// Place places in for shopper p under idempotency key key. See the
// package documentation for the steps and guarantees.
//
// Returns Invalid with field errors for bad input (nothing written);
// Conflict checkout.error.changed (field expected_total_fen) when the
// total differs from the quote the shopper saw; Conflict
// checkout.error.key_reused when key was used with another request;
// Conflict with a field naming the line when stock, a slot, a coupon or a
// flash sale ran out meanwhile.
func (s *Service) Place(ctx context.Context, p *identity.Principal, key string, in Input) (*Placed, error) {
	t, err := tenantShopper(ctx, p)
	if err != nil {
		return nil, err
	}
	key = strings.TrimSpace(key)
	var fe core.FieldErrors
	switch {
	case key == "":
		fe.Add("Idempotency-Key", "checkout.field.key_required")
	case len(key) > KeyMax:
		fe.Add("Idempotency-Key", "checkout.field.key_too_long")
	}
	in.normalize()
	if in.Provider == "" {
		fe.Add("provider", "field.required")
	} else if !s.Payer.Known(in.Provider) {
		fe.Add("provider", "checkout.field.unknown_provider")
	}
	if in.ExpectedTotalFen == nil {
		fe.Add("expected_total_fen", "field.required")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	hash := in.Hash()
	// Buy-now lines pass the gate: a SKU with too few units left (a flash
	// sale's last units taken) is answered at once, unless this is a
	// replay.
	tk, replayed, err := s.admit(ctx, t.ID, p.UserID, key, hash, in)
	if replayed != nil || err != nil {
		return replayed, err
	}
	var out *Placed
	err = s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		// A replay answers the stored answer, from this transaction.
		var err error
		if out, err = s.replayIn(ctx, tx, p.UserID, key, hash); err == nil || !core.IsNotFound(err) {
			return err
		}
		out, err = s.place(ctx, tx, t, p.UserID, key, hash, in)
		return err
	})
	tk.done(err == nil && !out.Replayed)
	if err != nil && db.IsUniqueViolation(err) {
		// Another request with the same key won the race: answer its answer.
		return s.replay(ctx, p.UserID, key, hash)
	}
	return out, err
}

// admit passes in's lines (buy now; a cart's lines are read inside the
// checkout) through the gate. It answers the ticket to give back (nil
// when there is nothing to pass), or the stored answer of a replay, or
// Invalid with the field error out_of_stock on the line.
func (s *Service) admit(ctx context.Context, tenant, userID, key, hash string, in Input) (*ticket, *Placed, error) {
	if len(in.Lines) == 0 || in.RegionID == "" {
		return nil, nil, nil
	}
	qty := map[string]int{}
	var skus []string
	for _, l := range in.Lines {
		if l.Qty < 1 || l.Qty > MaxQty {
			return nil, nil, nil // the quote names the bad line
		}
		if _, ok := qty[l.SKUID]; !ok {
			skus = append(skus, l.SKUID)
		}
		qty[l.SKUID] += l.Qty
	}
	sort.Strings(skus)
	tk, sku := s.gate.admit(ctx, tenant, in.RegionID, qty, skus)
	if tk != nil {
		return tk, nil, nil
	}
	g, err := s.replays.lookup(ctx, tenant, order.KeyRef{UserID: userID, Key: key})
	if err != nil {
		return nil, nil, err
	}
	if g != nil {
		out, err := storedAnswer(g, hash)
		return nil, out, err
	}
	// As the quote answers a line beyond the stock it reads.
	var fe core.FieldErrors
	fe.Add("lines."+itoa(slices.IndexFunc(in.Lines, func(l LineInput) bool { return l.SKUID == sku }))+".qty", "checkout.field.out_of_stock")
	return nil, nil, fe.Err()
}

// replay answers the stored answer of the group placed with key, NotFound
// when there is none.
func (s *Service) replay(ctx context.Context, userID, key, hash string) (*Placed, error) {
	var out *Placed
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		out, err = s.replayIn(ctx, tx, userID, key, hash)
		return err
	})
	return out, err
}

// replayIn is replay in idb.
func (s *Service) replayIn(ctx context.Context, idb bun.IDB, userID, key, hash string) (*Placed, error) {
	g, err := s.Orders.FindByKey(ctx, idb, userID, key)
	if err != nil {
		return nil, err
	}
	return storedAnswer(g, hash)
}

// storedAnswer is the answer stored with group g, for a request of hash.
func storedAnswer(g *order.Group, hash string) (*Placed, error) {
	if g.RequestHash != hash {
		return nil, core.Errorf(core.Conflict, "checkout.error.key_reused")
	}
	out := new(Placed)
	if err := json.Unmarshal([]byte(g.Response), out); err != nil {
		return nil, err
	}
	out.Replayed = true
	return out, nil
}

func (s *Service) place(ctx context.Context, tx bun.IDB, t *tenants.Tenant, userID, key, hash string, in Input) (*Placed, error) {
	now := s.now()
	groupID := tenants.NewID()
	// Delivery is booked (a slot's capacity taken) as the quote is made
	// again, in this transaction.
	book := func(ctx context.Context, sq *ShopQuote, req fulfil.Request, c fulfil.Choice) (*fulfil.Quote, error) {
		return s.Fulfil.Book(ctx, tx, req, c, groupID+":"+sq.ShopID, now)
	}
	q, err := s.quote(ctx, tx, userID, in, book)
	if err != nil {
		return nil, err
	}
	if q.TotalFen != *in.ExpectedTotalFen {
		return nil, &core.Error{Code: core.Conflict, Message: "checkout.error.changed",
			Args:   []any{yuan(*in.ExpectedTotalFen), yuan(q.TotalFen)},
			Fields: map[string]string{"expected_total_fen": "checkout.field.total_changed"}}
	}
	gi := order.GroupInput{
		ID: groupID, UserID: userID, IdempotencyKey: key, RequestHash: hash, Provider: in.Provider,
		RedemptionOwner: groupID,
	}
	// Shops in id order and lines in SKU order: every checkout locks lots
	// in the same order.
	shops := append([]*ShopQuote(nil), q.Shops...)
	sort.Slice(shops, func(i, j int) bool { return shops[i].ShopID < shops[j].ShopID })
	reservations := make([]string, len(shops))
	for i, sq := range shops {
		reservations[i] = tenants.NewID()
		dq := sq.Delivery
		si := order.ShopInput{ShopID: sq.ShopID, ReservationID: reservations[i], Delivery: order.Delivery{
			Method: dq.Method, RegionID: q.RegionID, Recipient: in.Recipient, Phone: in.Phone, Address: in.Address,
			SlotID: dq.SlotID, PickupPointID: dq.PickupPointID, BookingRef: groupID + ":" + sq.ShopID,
			FeeFen: sq.ShippingFen, ShippingDiscountFen: sq.ShippingDiscountFen,
			PromiseText: dq.Promise.Text, PromiseLatest: dq.Promise.Latest,
		}}
		for _, l := range sq.Lines {
			li := order.LineInput{
				SKUID: l.SKUID, Qty: l.Qty, UnitFen: l.UnitFen, ListFen: l.ListFen, PriceLabel: l.PriceLabel,
				SubtotalFen: l.SubtotalFen, DiscountFen: l.DiscountFen, TotalFen: l.TotalFen,
				Attributes: q.input.Lines[l.index].Attributes,
			}
			for _, a := range l.Allocations {
				li.Allocations = append(li.Allocations, order.Allocation{
					PromotionID: a.PromotionID, CouponID: a.CouponID, Kind: a.Kind, Label: a.Label,
					AmountFen: a.AmountFen, FundedBy: a.FundedBy,
				})
			}
			si.Lines = append(si.Lines, li)
		}
		gi.Shops = append(gi.Shops, si)
	}
	g, err := s.Orders.Create(ctx, tx, gi)
	if err != nil {
		return nil, err
	}
	if err := s.placeHolds(ctx, tx, q, g); err != nil {
		return nil, err
	}
	status, err := s.Payer.Pay(ctx, tx, g)
	if err != nil {
		return nil, err
	}
	paid := status == PaidNow || status == PaidDue
	if paid {
		if err := s.Orders.MarkGroupPaid(ctx, tx, g, status); err != nil {
			return nil, err
		}
	}
	if q.FromCart {
		var skus []string
		for _, sq := range q.Shops {
			for _, l := range sq.Lines {
				skus = append(skus, l.SKUID)
			}
		}
		if err := s.Cart.RemoveSKUs(ctx, tx, userID, skus); err != nil {
			return nil, err
		}
	}
	out := &Placed{Group: g, Payment: status}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	if err := s.Orders.StoreResponse(ctx, tx, g.ID, string(b)); err != nil {
		return nil, err
	}
	// Stock, then coupon and flash-sale uses, last: the rows they count
	// on (the lots, a coupon, a flash sale) stay locked until the checkout
	// commits, so everything else is written first (all of it is undone
	// when the stock or a use is not there).
	ttl := t.Settings.UnpaidCancelAfter() + 5*time.Minute
	holds := make([]inventory.Hold, len(shops))
	for i, sq := range shops {
		holds[i] = inventory.Hold{ID: reservations[i], Owner: "checkout:" + groupID, TTL: ttl}
		for _, l := range sq.Lines {
			holds[i].Lines = append(holds[i].Lines, inventory.Line{SKUID: l.SKUID, Qty: l.Qty, RegionID: q.RegionID})
		}
	}
	// A paid (or pay-on-pickup) checkout sells the units at once.
	if _, err := s.Inventory.ReserveAll(ctx, tx, holds, paid); err != nil {
		var oos *inventory.OutOfStockError
		if errors.As(err, &oos) {
			if n, err := s.Inventory.AvailableIn(ctx, tx, []string{oos.SKUID}, q.RegionID); err == nil && n[oos.SKUID] == 0 {
				s.gate.soldOut(t.ID, q.RegionID, oos.SKUID)
			}
		}
		return nil, s.lineError(q, err)
	}
	if err := s.Promo.Redeem(ctx, tx, q.result, userID, groupID); err != nil {
		return nil, err
	}
	return out, nil
}

// lineError names the request line of an out-of-stock SKU.
func (s *Service) lineError(q *Quote, err error) error {
	var oos *inventory.OutOfStockError
	if !errors.As(err, &oos) {
		return err
	}
	for _, sq := range q.Shops {
		for _, l := range sq.Lines {
			if l.SKUID == oos.SKUID {
				return &core.Error{Code: core.Conflict, Message: "checkout.error.out_of_stock",
					Fields: map[string]string{"lines." + itoa(l.index) + ".qty": "checkout.field.out_of_stock"}, Err: err}
			}
		}
	}
	return err
}
