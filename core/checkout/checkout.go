// Package checkout turns a shopper's cart (or a "buy now" list of lines)
// into one checkout group: a quote first — every shop's delivery priced by
// core/fulfil, every promotion applied and allocated to lines by
// core/promo — then place, which in one transaction re-validates the
// quote, reserves stock (core/inventory), books delivery slots, redeems
// coupons and flash-sale units, writes one order per shop (core/order),
// takes the payment through a provider (core/payment) and posts the books
// (core/billing).
//
// Place requires an Idempotency-Key: a replay of the same request answers
// the first answer; the same key with another request is a Conflict.
// Concurrent requests with one key make exactly one checkout group (the
// key is unique per shopper in checkout_groups; the losers read the
// winner's answer).
package checkout

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/pluginhost"
	"github.com/jishi-dev/jishi/core/promo"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Cart is what checkout needs of core/cart: the shopper's lines, and
// removing the bought ones in the checkout's transaction.
type Cart interface {
	Lines(ctx context.Context, idb bun.IDB, userID string) ([]LineInput, error)
	RemoveSKUs(ctx context.Context, tx bun.IDB, userID string, skuIDs []string) error
}

// Deps are the services a checkout uses.
type Deps struct {
	DB        *db.DB
	Inventory *inventory.Service
	Promo     *promo.Service
	Fulfil    *fulfil.Service
	Cart      Cart
	Orders    *order.Service
	Payer     Payer
	// Plugins, when set, adjust each shop's lines (core/pluginhost).
	Plugins Plugins
}

// Service is the checkout context's API.
type Service struct {
	Deps
	now     func() time.Time
	gate    gate
	replays replays
}

// New returns the service.
func New(d Deps) *Service {
	s := &Service{Deps: d, now: time.Now}
	s.gate.now = func() time.Time { return s.now() }
	s.gate.read = func(ctx context.Context, region string, skus []string) (map[string]int, error) {
		var n map[string]int
		err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
			n, err = s.Inventory.AvailableIn(ctx, tx, skus, region)
			return err
		})
		return n, err
	}
	s.replays.find = func(ctx context.Context, refs []order.KeyRef) (map[order.KeyRef]*order.Group, error) {
		var m map[order.KeyRef]*order.Group
		err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
			m, err = s.Orders.FindByKeys(ctx, tx, refs)
			return err
		})
		return m, err
	}
	return s
}

// QuoteLine is one priced line of a quote.
type QuoteLine struct {
	SKUID       string             `json:"sku_id"`
	ProductID   string             `json:"product_id"`
	CategoryID  string             `json:"category_id"`
	Name        string             `json:"name"`
	Spec        string             `json:"spec"`
	Code        string             `json:"code"`
	CoverPath   string             `json:"cover_path"`
	Qty         int                `json:"qty"`
	WeightG     int                `json:"weight_g"`
	ListFen     int64              `json:"list_fen"`
	UnitFen     int64              `json:"unit_fen"`
	PriceLabel  string             `json:"price_label"`
	FlashSaleID string             `json:"flash_sale_id,omitempty"`
	SubtotalFen int64              `json:"subtotal_fen"`
	DiscountFen int64              `json:"discount_fen"`
	TotalFen    int64              `json:"total_fen"`
	Allocations []promo.Allocation `json:"allocations"`
	Available   int                `json:"available"`
	index       int                // position in the request's lines
}

// ShopQuote is one shop's part of a quote: its lines, the delivery chosen
// (or, when none was chosen yet, the options), and its totals.
type ShopQuote struct {
	ShopID   string `json:"shop_id"`
	ShopName string `json:"shop_name"`
	ShopSlug string `json:"shop_slug"`
	// RegionID is the shop's own region (which plugins it runs).
	RegionID            string          `json:"-"`
	Lines               []*QuoteLine    `json:"lines"`
	WeightG             int             `json:"weight_g"`
	Options             []fulfil.Option `json:"options"`
	Choice              *ShopChoice     `json:"choice,omitempty"`
	Delivery            *fulfil.Quote   `json:"delivery,omitempty"`
	SubtotalFen         int64           `json:"subtotal_fen"`
	DiscountFen         int64           `json:"discount_fen"`
	ShippingFen         int64           `json:"shipping_fen"`
	ShippingDiscountFen int64           `json:"shipping_discount_fen"`
	TotalFen            int64           `json:"total_fen"`
	Applied             []promo.Applied `json:"applied"`
	Offers              []promo.Offer   `json:"offers"`
}

// Quote is a priced checkout. Complete is true when every shop has a
// valid delivery choice, so the quote can be placed.
type Quote struct {
	RegionID            string          `json:"region_id"`
	Shops               []*ShopQuote    `json:"shops"`
	SubtotalFen         int64           `json:"subtotal_fen"`
	DiscountFen         int64           `json:"discount_fen"`
	ShippingFen         int64           `json:"shipping_fen"`
	ShippingDiscountFen int64           `json:"shipping_discount_fen"`
	TotalFen            int64           `json:"total_fen"`
	Applied             []promo.Applied `json:"applied"`
	Complete            bool            `json:"complete"`
	FromCart            bool            `json:"from_cart"`

	result *promo.Result
	input  Input
	userID string
	// holds are the holds plugins asked for, placed with the orders.
	holds []pluginhost.LineHold
}

func tenantShopper(ctx context.Context, p *identity.Principal) (*tenants.Tenant, error) {
	return identity.TenantOf(ctx, p)
}

// Quote prices in for the signed-in shopper p without writing anything.
// Invalid with field errors for bad input ("lines.{i}.qty",
// "lines.{i}.sku_id", "region_id", "coupons.{i}", "shops.{i}.method", …).
func (s *Service) Quote(ctx context.Context, p *identity.Principal, in Input) (*Quote, error) {
	if _, err := tenantShopper(ctx, p); err != nil {
		return nil, err
	}
	var q *Quote
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var err error
		q, err = s.quote(ctx, tx, p.UserID, in, nil)
		return err
	})
	return q, err
}

// booker takes a shop's delivery at place (fulfil.Book: a slot's
// capacity) and answers its price and promise.
type booker func(ctx context.Context, sq *ShopQuote, req fulfil.Request, c fulfil.Choice) (*fulfil.Quote, error)

// quote builds the quote in idb. With book (place), every shop needs a
// valid delivery choice, the contact fields are required, and each shop's
// delivery is booked rather than only checked; the options are not listed.
func (s *Service) quote(ctx context.Context, idb bun.IDB, userID string, in Input, book booker) (*Quote, error) {
	strict := book != nil
	in.normalize()
	var fe core.FieldErrors
	fromCart := len(in.Lines) == 0
	if fromCart {
		if s.Cart == nil {
			fe.Add("lines", "field.required")
			return nil, fe.Err()
		}
		lines, err := s.Cart.Lines(ctx, idb, userID)
		if err != nil {
			return nil, err
		}
		if len(lines) == 0 {
			return nil, core.Errorf(core.Invalid, "checkout.error.cart_empty")
		}
		in.Lines = lines
	}
	checkLines(&fe, in.Lines)
	if len(in.Coupons) > MaxCoupons {
		fe.Add("coupons", "checkout.field.too_many_coupons")
	}
	if in.RegionID == "" {
		fe.Add("region_id", "field.required")
	} else if ok, err := regionExists(ctx, idb, in.RegionID); err != nil {
		return nil, err
	} else if !ok {
		fe.Add("region_id", "checkout.field.unknown_region")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}

	ids := make([]string, len(in.Lines))
	for i, l := range in.Lines {
		ids[i] = l.SKUID
	}
	skus, err := catalog.Sellables(ctx, idb, ids)
	if err != nil {
		return nil, err
	}
	var known []string
	for id := range skus {
		known = append(known, id)
	}
	avail, err := s.Inventory.AvailableIn(ctx, idb, known, in.RegionID)
	if err != nil {
		return nil, err
	}
	q := &Quote{RegionID: in.RegionID, FromCart: fromCart, input: in, userID: userID}
	byShop := map[string]*ShopQuote{}
	basket := promo.Basket{UserID: userID, Coupons: in.Coupons, ShippingFen: map[string]int64{}, At: s.now()}
	for i, l := range in.Lines {
		f := "lines." + strconv.Itoa(i)
		k := skus[l.SKUID]
		switch {
		case k == nil:
			fe.Add(f+".sku_id", "checkout.field.unknown_sku")
			continue
		case !k.Selling():
			fe.Add(f+".sku_id", "checkout.field.not_selling")
			continue
		case k.PurchaseLimit > 0 && l.Qty > k.PurchaseLimit:
			fe.Add(f+".qty", "checkout.field.over_limit")
		case avail[l.SKUID] < l.Qty:
			fe.Add(f+".qty", "checkout.field.out_of_stock")
			if avail[l.SKUID] == 0 {
				s.gate.soldOut(db.TenantID(ctx), in.RegionID, l.SKUID)
			}
		}
		sq := byShop[k.ShopID]
		if sq == nil {
			sq = &ShopQuote{ShopID: k.ShopID, ShopName: k.ShopName, ShopSlug: k.ShopSlug, RegionID: k.ShopRegionID}
			byShop[k.ShopID] = sq
			q.Shops = append(q.Shops, sq)
		}
		ql := &QuoteLine{
			SKUID: k.SKUID, ProductID: k.ProductID, CategoryID: k.CategoryID, Name: k.ProductName, Spec: k.Spec,
			Code: k.Code, CoverPath: k.CoverPath, Qty: l.Qty, WeightG: k.WeightG, ListFen: k.ListPriceFen,
			Available: avail[l.SKUID], index: i,
		}
		sq.Lines = append(sq.Lines, ql)
		sq.WeightG += k.WeightG * l.Qty
		basket.Lines = append(basket.Lines, promo.Line{
			Key: strconv.Itoa(i), ShopID: k.ShopID, ProductID: k.ProductID, SKUID: k.SKUID, CategoryID: k.CategoryID,
			Qty: l.Qty, UnitFen: k.PriceFen, ListFen: k.ListPriceFen,
		})
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}

	// Delivery per shop: the options, and the chosen method's quote.
	choices := map[string]int{}
	for i, c := range in.Shops {
		if _, ok := byShop[c.ShopID]; !ok {
			fe.Add("shops."+strconv.Itoa(i)+".shop_id", "checkout.field.shop_not_in_cart")
			continue
		}
		choices[c.ShopID] = i
	}
	now := s.now()
	q.Complete = true
	reqs := make([]fulfil.Request, len(q.Shops))
	for i, sq := range q.Shops {
		reqs[i] = s.fulfilRequest(sq, in.RegionID)
	}
	ctx, err = s.Fulfil.Prefetch(ctx, idb, reqs)
	if err != nil {
		return nil, err
	}
	for i, sq := range q.Shops {
		req := reqs[i]
		var opts []fulfil.Option
		if !strict {
			var err error
			if opts, err = s.Fulfil.Options(ctx, idb, req, now); err != nil {
				return nil, err
			}
		}
		sq.Options = opts
		i, chosen := choices[sq.ShopID]
		if !chosen {
			q.Complete = false
			if strict {
				fe.Add("shops."+sq.ShopID+".method", "checkout.field.delivery_required")
			}
			continue
		}
		c := in.Shops[i]
		sq.Choice = &c
		var dq *fulfil.Quote
		var err error
		if strict {
			dq, err = book(ctx, sq, req, s.choice(in, c))
		} else {
			dq, err = s.Fulfil.Check(ctx, idb, req, s.choice(in, c), now)
		}
		if err != nil {
			if !mapFieldErrors(&fe, err, "shops."+strconv.Itoa(i)+".", strict) {
				return nil, err
			}
			q.Complete = false
			// Before the shopper has filled in the contact fields, the
			// chosen method is still priced from its option.
			if k := slices.IndexFunc(opts, func(o fulfil.Option) bool { return o.Method == c.Method }); k >= 0 {
				basket.ShippingFen[sq.ShopID] = opts[k].FeeFen
			}
			continue
		}
		sq.Delivery = dq
		basket.ShippingFen[sq.ShopID] = dq.FeeFen
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}

	res, err := s.Promo.Price(ctx, idb, basket)
	if err != nil {
		return nil, err
	}
	q.result = res
	for _, sq := range q.Shops {
		for _, ql := range sq.Lines {
			lr := res.Lines[slices.IndexFunc(basket.Lines, func(b promo.Line) bool { return b.Key == strconv.Itoa(ql.index) })]
			ql.UnitFen, ql.PriceLabel, ql.FlashSaleID = lr.UnitFen, lr.PriceLabel, lr.FlashSaleID
			ql.SubtotalFen, ql.DiscountFen, ql.TotalFen, ql.Allocations = lr.SubtotalFen, lr.DiscountFen, lr.TotalFen, lr.Allocations
		}
	}
	if err := s.adjustByPlugins(ctx, idb, userID, in, q, res, func(ql *QuoteLine) int {
		return slices.IndexFunc(basket.Lines, func(b promo.Line) bool { return b.Key == strconv.Itoa(ql.index) })
	}); err != nil {
		return nil, err
	}
	for _, sr := range res.Shops {
		sq := byShop[sr.ShopID]
		sq.SubtotalFen, sq.DiscountFen = sr.SubtotalFen, sr.DiscountFen
		sq.ShippingFen, sq.ShippingDiscountFen, sq.TotalFen = sr.ShippingFen, sr.ShippingDiscountFen, sr.TotalFen
		sq.Applied, sq.Offers = sr.Applied, sr.Offers
	}
	q.SubtotalFen, q.DiscountFen, q.ShippingFen = res.SubtotalFen, res.DiscountFen, res.ShippingFen
	q.ShippingDiscountFen, q.TotalFen, q.Applied = res.ShippingDiscountFen, res.TotalFen, res.Applied
	return q, nil
}

func (s *Service) fulfilRequest(sq *ShopQuote, regionID string) fulfil.Request {
	req := fulfil.Request{ShopID: sq.ShopID, RegionID: regionID, WeightG: sq.WeightG}
	for _, l := range sq.Lines {
		req.SKUIDs = append(req.SKUIDs, l.SKUID)
		req.SubtotalFen += l.ListFen * int64(l.Qty)
	}
	return req
}

func (s *Service) choice(in Input, c ShopChoice) fulfil.Choice {
	return fulfil.Choice{
		Method: c.Method, RegionID: in.RegionID, SlotID: c.SlotID, PickupPointID: c.PickupPointID,
		Recipient: in.Recipient, Phone: in.Phone, Address: in.Address,
	}
}

// contactFields are fulfil's fields that are the checkout's top-level
// fields rather than a shop's.
var contactFields = map[string]bool{"recipient": true, "phone": true, "address": true, "region_id": true}

// mapFieldErrors copies the field errors of err into fe under prefix
// (contact fields stay top-level). It reports false when err is not a
// field error. Outside strict mode, missing contact fields are not errors
// yet (the shopper fills them in before placing).
func mapFieldErrors(fe *core.FieldErrors, err error, prefix string, strict bool) bool {
	e, ok := err.(*core.Error)
	if !ok || e.Code != core.Invalid || len(e.Fields) == 0 {
		return false
	}
	for f, key := range e.Fields {
		if contactFields[f] {
			if strict || key != "field.required" {
				fe.Add(f, key)
			}
			continue
		}
		fe.Add(prefix+f, key)
	}
	return true
}

func regionExists(ctx context.Context, idb bun.IDB, id string) (bool, error) {
	_, err := tenants.RegionByID(ctx, idb, id)
	if core.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}
