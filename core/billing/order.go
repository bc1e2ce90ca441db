package billing

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/uptrace/bun"
)

// OrderMoney is what an order of one shop was paid with and for.
type OrderMoney struct {
	OrderID     string // the order (opaque, unique in the tenant)
	OrderNumber string // the human-readable number, the entry's reference
	ShopID      string
	// Tender is the payment provider's name ("offline", "balance",
	// "stripe", …); see TenderAccount.
	Tender string
	UserID string // the shopper; required for the balance tender
	Lines  []OrderLine
	// ShippingFen is the shipping the shopper was charged, after shipping
	// discounts; ShippingDiscountFen the shipping discount and
	// ShippingFundedBy who funded it (FundedByShop or FundedByPlatform).
	ShippingFen         int64
	ShippingDiscountFen int64
	ShippingFundedBy    string
	ActorID             string // "" for the system
}

// OrderLine is one line of an order as the ledger sees it.
type OrderLine struct {
	Ref        string // the order line (opaque, unique in the order)
	CategoryID string // the product's category ("" for none)
	// NetFen is the line's goods after shop-funded discounts (and before
	// platform-funded ones): the commission base.
	NetFen int64
	// PlatformDiscountFen is the part of the line's discount the platform
	// funds; the shopper paid NetFen − PlatformDiscountFen.
	PlatformDiscountFen int64
}

// ChargedLine is what the ledger stored of a paid order line.
type ChargedLine struct {
	bun.BaseModel `bun:"table:ledger_order_lines,alias:lol"`

	TenantID           string  `bun:"tenant_id,pk" json:"-"`
	OrderRef           string  `bun:"order_ref,pk" json:"order_ref"`
	LineRef            string  `bun:"line_ref,pk" json:"line_ref"`
	CategoryID         *string `bun:"category_id" json:"category_id,omitempty"`
	RateBP             int     `bun:"rate_bp,notnull" json:"rate_bp"`
	NetFen             int64   `bun:"net_fen,notnull" json:"net_fen"`
	PromoFen           int64   `bun:"promo_fen,notnull" json:"promo_fen"`
	PaidFen            int64   `bun:"paid_fen,notnull" json:"paid_fen"`
	CommissionFen      int64   `bun:"commission_fen,notnull" json:"commission_fen"`
	RefundedFen        int64   `bun:"refunded_fen,notnull" json:"refunded_fen"`
	CommissionReversed int64   `bun:"commission_reversed_fen,notnull" json:"commission_reversed_fen"`
	PromoReversed      int64   `bun:"promo_reversed_fen,notnull" json:"promo_reversed_fen"`
}

// ChargedOrder is what the ledger stored of a paid order.
type ChargedOrder struct {
	bun.BaseModel `bun:"table:ledger_orders,alias:lo"`

	TenantID              string    `bun:"tenant_id,pk" json:"-"`
	OrderRef              string    `bun:"order_ref,pk" json:"order_ref"`
	OrderNumber           string    `bun:"order_number,notnull" json:"order_number"`
	ShopID                string    `bun:"shop_id,notnull" json:"shop_id"`
	Tender                string    `bun:"tender,notnull" json:"tender"`
	TenderKind            string    `bun:"tender_kind,notnull" json:"-"`
	TenderOwner           string    `bun:"tender_owner,notnull" json:"-"`
	ShippingFen           int64     `bun:"shipping_fen,notnull" json:"shipping_fen"`
	ShippingPromoFen      int64     `bun:"shipping_promo_fen,notnull" json:"shipping_promo_fen"`
	ShippingRefundedFen   int64     `bun:"shipping_refunded_fen,notnull" json:"shipping_refunded_fen"`
	ShippingPromoReversed int64     `bun:"shipping_promo_reversed_fen,notnull" json:"shipping_promo_reversed_fen"`
	CreatedAt             time.Time `bun:"created_at,notnull" json:"created_at"`

	Lines []*ChargedLine `bun:"-" json:"lines"`
}

// Commission returns what the order was charged in commission.
func (o *ChargedOrder) Commission() int64 {
	var n int64
	for _, l := range o.Lines {
		n += l.CommissionFen
	}
	return n
}

// CommissionOn returns the commission on netFen at rateBP basis points,
// rounded half up to the fen.
func CommissionOn(netFen int64, rateBP int) int64 {
	return mulDivHalfUp(netFen, int64(rateBP), 10000)
}

func amountOK(n int64) bool { return n >= 0 && n <= MaxAmountFen }

// OrderPaid posts the payment of one shop's order in tx, the caller's
// transaction: debit the tender with what the shopper paid, debit
// platform_promotion with the platform-funded discounts, credit
// shop_payable with goods and shipping less commission, credit
// platform_commission (see the package doc for rates and rounding). It
// stores each line's rate and commission for OrderRefunded.
//
// Returns Invalid with field errors ("order_id", "shop_id", "tender",
// "user_id", "lines", "lines.{i}.ref", "lines.{i}.net_fen",
// "lines.{i}.platform_discount_fen", "shipping_fen", …) for bad input,
// NotFound for a shop that is not the tenant's, and Conflict
// billing.error.already_posted when the order was posted before.
func (s *Service) OrderPaid(ctx context.Context, tx bun.IDB, m OrderMoney) error {
	return s.OrdersPaid(ctx, tx, []OrderMoney{m})
}

// OrdersPaid is OrderPaid for the orders of one checkout at once, in a
// fixed number of statements: the shops and commission rates are read
// once, and the orders, their lines, their entries (one per order) and the
// postings are written as one statement each. With several orders, field
// errors are named "orders.{i}.…".
func (s *Service) OrdersPaid(ctx context.Context, tx bun.IDB, ms []OrderMoney) error {
	if len(ms) == 0 {
		return nil
	}
	tenders := make([]Account, len(ms))
	var shopIDs []string
	for i, m := range ms {
		prefix := ""
		if len(ms) > 1 {
			prefix = "orders." + strconv.Itoa(i) + "."
		}
		var err error
		if tenders[i], err = checkOrderMoney(m, prefix); err != nil {
			return err
		}
		if !slices.Contains(shopIDs, m.ShopID) {
			shopIDs = append(shopIDs, m.ShopID)
		}
	}
	n, err := db.Select(ctx, tx, (*merchant.Shop)(nil)).Where("s.id IN (?)", bun.List(shopIDs)).Count(ctx)
	if err != nil {
		return fmt.Errorf("look up shops: %w", err)
	}
	if int(n) != len(shopIDs) {
		return errNotFound
	}
	books, err := loadRateBooks(ctx, tx, shopIDs)
	if err != nil {
		return err
	}
	tid := db.TenantID(ctx)
	now := s.now().UTC()
	var (
		orders  []*ChargedOrder
		lines   []*ChargedLine
		entries []Entry
	)
	for i, m := range ms {
		rates := books[m.ShopID]
		o := &ChargedOrder{TenantID: tid, OrderRef: m.OrderID, OrderNumber: m.OrderNumber, ShopID: m.ShopID,
			Tender: m.Tender, TenderKind: tenders[i].Kind, TenderOwner: tenders[i].Owner,
			ShippingFen: m.ShippingFen, CreatedAt: now}
		if m.ShippingFundedBy == FundedByPlatform {
			o.ShippingPromoFen = m.ShippingDiscountFen
		}
		var net, promo, commission int64
		for _, l := range m.Lines {
			rate := rates.rate(l.CategoryID)
			c := &ChargedLine{TenantID: tid, OrderRef: m.OrderID, LineRef: l.Ref, RateBP: rate,
				NetFen: l.NetFen, PromoFen: l.PlatformDiscountFen, PaidFen: l.NetFen - l.PlatformDiscountFen,
				CommissionFen: CommissionOn(l.NetFen, rate)}
			if l.CategoryID != "" {
				id := l.CategoryID
				c.CategoryID = &id
			}
			o.Lines = append(o.Lines, c)
			net += c.NetFen
			promo += c.PromoFen
			commission += c.CommissionFen
		}
		orders = append(orders, o)
		lines = append(lines, o.Lines...)
		paid := net - promo + m.ShippingFen
		promo += o.ShippingPromoFen
		entries = append(entries, Entry{
			Kind: KindOrderPaid, Reference: orDefault(m.OrderNumber, m.OrderID), OrderRef: m.OrderID, ActorID: m.ActorID,
			Lines: []Line{
				{tenders[i], paid},
				{Promotion, promo},
				{ShopPayable(m.ShopID), -(net + m.ShippingFen + o.ShippingPromoFen - commission)},
				{Commission, -commission},
			},
		})
	}
	if _, err := tx.NewInsert().Model(&orders).Exec(ctx); err != nil {
		if db.IsUniqueViolation(err) {
			return errPosted
		}
		return fmt.Errorf("record orders: %w", err)
	}
	if _, err := tx.NewInsert().Model(&lines).Exec(ctx); err != nil {
		return fmt.Errorf("record order lines: %w", err)
	}
	return s.postAll(ctx, tx, entries, true)
}

// checkOrderMoney validates m and answers its tender account; field
// errors are named with prefix.
func checkOrderMoney(m OrderMoney, prefix string) (Account, error) {
	var fe core.FieldErrors
	checkRef(&fe, prefix+"order_id", m.OrderID, true)
	checkRef(&fe, prefix+"order_number", m.OrderNumber, false)
	if !validID(m.ShopID) {
		fe.Add(prefix+"shop_id", "field.invalid")
	}
	if m.ActorID != "" && !validID(m.ActorID) {
		fe.Add(prefix+"actor_id", "field.invalid")
	}
	tender, err := TenderAccount(m.Tender, m.ShopID, m.UserID)
	if err != nil {
		for k, v := range err.(*core.Error).Fields {
			fe.Add(prefix+k, v)
		}
	}
	if len(m.Lines) == 0 || len(m.Lines) > MaxOrderLines {
		fe.Add(prefix+"lines", "billing.field.lines_count")
	}
	seen := map[string]bool{}
	for i, l := range m.Lines {
		p := prefix + "lines." + strconv.Itoa(i) + "."
		checkRef(&fe, p+"ref", l.Ref, true)
		if seen[l.Ref] {
			fe.Add(p+"ref", "billing.field.duplicate_line")
		}
		seen[l.Ref] = true
		if l.CategoryID != "" && !validID(l.CategoryID) {
			fe.Add(p+"category_id", "field.invalid")
		}
		if !amountOK(l.NetFen) {
			fe.Add(p+"net_fen", "billing.field.amount_range")
		}
		if !amountOK(l.PlatformDiscountFen) || l.PlatformDiscountFen > l.NetFen {
			fe.Add(p+"platform_discount_fen", "billing.field.discount_range")
		}
	}
	if !amountOK(m.ShippingFen) {
		fe.Add(prefix+"shipping_fen", "billing.field.amount_range")
	}
	if !amountOK(m.ShippingDiscountFen) {
		fe.Add(prefix+"shipping_discount_fen", "billing.field.amount_range")
	}
	switch {
	case m.ShippingDiscountFen > 0 && m.ShippingFundedBy != FundedByShop && m.ShippingFundedBy != FundedByPlatform:
		fe.Add(prefix+"shipping_funded_by", "billing.field.funded_by")
	case m.ShippingDiscountFen == 0 && m.ShippingFundedBy != "" && m.ShippingFundedBy != FundedByShop && m.ShippingFundedBy != FundedByPlatform:
		fe.Add(prefix+"shipping_funded_by", "billing.field.funded_by")
	}
	return tender, fe.Err()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// RefundMoney is a refund of (part of) one order: amounts given back for
// order lines, and optionally shipping.
type RefundMoney struct {
	OrderID     string
	Reference   string // the refund's id or number, the entry's reference
	Lines       []RefundLine
	ShippingFen int64
	ActorID     string // "" for the system
}

// RefundLine is the amount given back to the shopper for one order line
// (at most what the shopper paid for it, less earlier refunds).
type RefundLine struct {
	Ref       string
	AmountFen int64
}

// RefundResult is what a refund moved.
type RefundResult struct {
	TenderFen             int64 `json:"tender_fen"`              // given back to the tender
	CommissionReversedFen int64 `json:"commission_reversed_fen"` // debited to platform_commission
	PromoReversedFen      int64 `json:"promo_reversed_fen"`      // credited to platform_promotion
	ShopFen               int64 `json:"shop_fen"`                // debited to shop_payable
}

// OrderRefunded posts a refund of order m.OrderID in tx, the caller's
// transaction: credit the order's tender with what is given back, reverse
// the lines' commission and platform-funded discounts in proportion (see
// the package doc), and debit shop_payable with the rest.
//
// Returns Invalid with field errors for bad input ("order_id", "lines"
// when nothing is refunded, "lines.{i}.ref" for a duplicate or unknown
// line, "lines.{i}.amount_fen", "shipping_fen"); NotFound
// billing.error.order_not_posted when the order was never paid through
// OrderPaid; Conflict billing.error.refund_exceeds when a line or the
// shipping would be refunded beyond what was paid for it. On an error
// nothing has been written.
func (s *Service) OrderRefunded(ctx context.Context, tx bun.IDB, m RefundMoney) error {
	_, err := s.Refund(ctx, tx, m)
	return err
}

// Refund is OrderRefunded answering what it moved.
func (s *Service) Refund(ctx context.Context, tx bun.IDB, m RefundMoney) (*RefundResult, error) {
	var fe core.FieldErrors
	checkRef(&fe, "order_id", m.OrderID, true)
	checkRef(&fe, "reference", m.Reference, false)
	if m.ActorID != "" && !validID(m.ActorID) {
		fe.Add("actor_id", "field.invalid")
	}
	if len(m.Lines) > MaxOrderLines {
		fe.Add("lines", "billing.field.lines_count")
	}
	seen := map[string]bool{}
	for i, l := range m.Lines {
		p := "lines." + strconv.Itoa(i) + "."
		checkRef(&fe, p+"ref", l.Ref, true)
		if seen[l.Ref] {
			fe.Add(p+"ref", "billing.field.duplicate_line")
		}
		seen[l.Ref] = true
		if l.AmountFen < 1 || l.AmountFen > MaxAmountFen {
			fe.Add(p+"amount_fen", "billing.field.refund_range")
		}
	}
	if !amountOK(m.ShippingFen) {
		fe.Add("shipping_fen", "billing.field.amount_range")
	}
	if len(m.Lines) == 0 && m.ShippingFen == 0 {
		fe.Add("lines", "billing.field.refund_empty")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	o := new(ChargedOrder)
	q := db.Select(ctx, tx, o).Where("lo.order_ref = ?", m.OrderID)
	if s.DB.Engine == db.Postgres {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotPosted)
	}
	refs := make([]string, len(m.Lines))
	for i, l := range m.Lines {
		refs[i] = l.Ref
	}
	byRef := map[string]*ChargedLine{}
	if len(refs) > 0 {
		var ls []*ChargedLine
		q := db.Select(ctx, tx, &ls).Where("lol.order_ref = ?", m.OrderID).Where("lol.line_ref IN (?)", bun.List(refs))
		if s.DB.Engine == db.Postgres {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return nil, fmt.Errorf("read lines of order %s: %w", m.OrderID, err)
		}
		for _, l := range ls {
			byRef[l.LineRef] = l
		}
	}
	for i, l := range m.Lines {
		if byRef[l.Ref] == nil {
			fe.Add("lines."+strconv.Itoa(i)+".ref", "billing.field.unknown_line")
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	// Check every amount before writing anything.
	for _, l := range m.Lines {
		c := byRef[l.Ref]
		if c.RefundedFen+l.AmountFen > c.PaidFen {
			return nil, errExceeds
		}
	}
	if o.ShippingRefundedFen+m.ShippingFen > o.ShippingFen {
		return nil, errExceeds
	}
	res := &RefundResult{}
	for _, l := range m.Lines {
		c := byRef[l.Ref]
		cum := c.RefundedFen + l.AmountFen
		cr := mulDivHalfUp(c.CommissionFen, cum, c.PaidFen)
		pr := mulDivHalfUp(c.PromoFen, cum, c.PaidFen)
		r, err := db.Update(ctx, tx, (*ChargedLine)(nil)).
			Set("refunded_fen = ?", cum).Set("commission_reversed_fen = ?", cr).Set("promo_reversed_fen = ?", pr).
			Where("lol.order_ref = ?", m.OrderID).Where("lol.line_ref = ?", l.Ref).
			Where("lol.refunded_fen = ?", c.RefundedFen).Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("refund line %s of order %s: %w", l.Ref, m.OrderID, err)
		}
		if n, _ := r.RowsAffected(); n != 1 {
			return nil, errConcurrent
		}
		res.TenderFen += l.AmountFen
		res.CommissionReversedFen += cr - c.CommissionReversed
		res.PromoReversedFen += pr - c.PromoReversed
	}
	if m.ShippingFen > 0 {
		cum := o.ShippingRefundedFen + m.ShippingFen
		pr := mulDivHalfUp(o.ShippingPromoFen, cum, o.ShippingFen)
		r, err := db.Update(ctx, tx, (*ChargedOrder)(nil)).
			Set("shipping_refunded_fen = ?", cum).Set("shipping_promo_reversed_fen = ?", pr).
			Where("lo.order_ref = ?", m.OrderID).Where("lo.shipping_refunded_fen = ?", o.ShippingRefundedFen).Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("refund shipping of order %s: %w", m.OrderID, err)
		}
		if n, _ := r.RowsAffected(); n != 1 {
			return nil, errConcurrent
		}
		res.TenderFen += m.ShippingFen
		res.PromoReversedFen += pr - o.ShippingPromoReversed
	}
	res.ShopFen = res.TenderFen + res.PromoReversedFen - res.CommissionReversedFen
	err := s.PostNonZero(ctx, tx, Entry{
		Kind: KindOrderRefunded, Reference: orDefault(m.Reference, o.OrderNumber), OrderRef: m.OrderID, ActorID: m.ActorID,
		Lines: []Line{
			{Account{o.TenderKind, o.TenderOwner}, -res.TenderFen},
			{Promotion, -res.PromoReversedFen},
			{ShopPayable(o.ShopID), res.ShopFen},
			{Commission, res.CommissionReversedFen},
		},
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Charged returns what the ledger stored of order orderID when it was
// paid, with what refunds have reversed so far. NotFound
// billing.error.order_not_posted when it was never posted.
func (s *Service) Charged(ctx context.Context, idb bun.IDB, orderID string) (*ChargedOrder, error) {
	o := new(ChargedOrder)
	if err := db.Select(ctx, idb, o).Where("lo.order_ref = ?", orderID).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotPosted)
	}
	if err := db.Select(ctx, idb, &o.Lines).Where("lol.order_ref = ?", orderID).Order("lol.line_ref").Scan(ctx); err != nil {
		return nil, fmt.Errorf("read lines of order %s: %w", orderID, err)
	}
	return o, nil
}

// Collection is cash a shop (or its pickup point) collected from a
// shopper for an order paid offline, or gave back for a refund.
type Collection struct {
	OrderID     string
	OrderNumber string
	ShopID      string
	AmountFen   int64
	ActorID     string
}

func (c Collection) check() error {
	var fe core.FieldErrors
	checkRef(&fe, "order_id", c.OrderID, false)
	checkRef(&fe, "order_number", c.OrderNumber, false)
	if !validID(c.ShopID) {
		fe.Add("shop_id", "field.invalid")
	}
	if c.AmountFen < 1 || c.AmountFen > MaxAmountFen {
		fe.Add("amount_fen", "billing.field.amount_positive")
	}
	if c.ActorID != "" && !validID(c.ActorID) {
		fe.Add("actor_id", "field.invalid")
	}
	return fe.Err()
}

// Collected posts cash the shop collected for an order paid offline: the
// shop keeps the cash, so the platform owes it that much less (debit
// shop_payable, credit offline_receivable). Invalid for bad input.
func (s *Service) Collected(ctx context.Context, tx bun.IDB, c Collection) error {
	if err := c.check(); err != nil {
		return err
	}
	return s.Post(ctx, tx, Entry{
		Kind: KindCollected, Reference: orDefault(c.OrderNumber, c.OrderID), OrderRef: c.OrderID, ActorID: c.ActorID,
		Lines: []Line{{ShopPayable(c.ShopID), c.AmountFen}, {OfflineReceivable(c.ShopID), -c.AmountFen}},
	})
}

// CashReturned posts cash the shop gave back to a shopper for a refund of
// collected money (the refund itself, OrderRefunded, credited the
// receivable): debit offline_receivable, credit shop_payable. Invalid for
// bad input.
func (s *Service) CashReturned(ctx context.Context, tx bun.IDB, c Collection) error {
	if err := c.check(); err != nil {
		return err
	}
	return s.Post(ctx, tx, Entry{
		Kind: KindCashReturned, Reference: orDefault(c.OrderNumber, c.OrderID), OrderRef: c.OrderID, ActorID: c.ActorID,
		Lines: []Line{{OfflineReceivable(c.ShopID), c.AmountFen}, {ShopPayable(c.ShopID), -c.AmountFen}},
	})
}

// BalanceCredit is money put on a shopper's stored balance.
type BalanceCredit struct {
	UserID    string
	AmountFen int64
	Reference string // e.g. the top-up's id
	Memo      string // e.g. why support credited it
	ActorID   string
	// Kind and From say where the money came from: zero for a credit by
	// support (balance_credit from platform_cash); KindTopUp from a
	// tender's clearing account; KindStoredValueRedeemed from a card
	// issuer's stored_value.
	Kind string
	From Account
}

// BalanceCredited posts a credit of a shopper's balance: debit
// platform_cash (or c.From), credit customer_balance. Invalid for bad
// input.
func (s *Service) BalanceCredited(ctx context.Context, tx bun.IDB, c BalanceCredit) error {
	var fe core.FieldErrors
	if !validID(c.UserID) {
		fe.Add("user_id", "field.invalid")
	}
	if c.AmountFen < 1 || c.AmountFen > MaxAmountFen {
		fe.Add("amount_fen", "billing.field.amount_positive")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	kind, from := KindBalanceCredited, PlatformCash
	if c.Kind != "" {
		kind, from = c.Kind, c.From
	}
	return s.Post(ctx, tx, Entry{
		Kind: kind, Reference: c.Reference, Memo: c.Memo, ActorID: c.ActorID,
		Lines: []Line{{from, c.AmountFen}, {CustomerBalance(c.UserID), -c.AmountFen}},
	})
}
