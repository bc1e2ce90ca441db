// Package payment takes the shopper's money for a checkout: one Payment per
// checkout group, with one Part per order (shop), paid through a Provider
// chosen by name from the Registry.
//
// Providers here: offline (pay on pickup or on delivery: Pay answers
// "due"; the shop collects the cash later, Offline.Collect) and balance
// (the shopper's stored balance, 惠农通: Pay debits it at once and
// answers "paid"). A provider may also answer "pending" with ClientData
// for the shopper's browser (Stripe PaymentIntents: the client_secret) and
// settle later by webhook (Service.Settle).
//
// The ledger: the caller posts billing.OrderPaid for each order once Start
// answers paid or due, and billing.OrderRefunded with each refund, in the
// same transaction; the tender account is billing.TenderAccount of the
// provider's name. This package posts only what happens at the tender
// itself: cash collected by a shop (billing.Collected), cash a shop gives
// back (billing.CashReturned), and balance credits (billing.BalanceCredited).
//
// Refunds go through Service.Refund, never a provider directly: it raises
// the part's refunded amount with a conditional UPDATE (refunded + n <=
// amount), so no order is ever refunded more than was paid for it, then
// has the provider give the money back.
//
// Every method works in the tenant carried by ctx; ids of other tenants
// are not found.
package payment

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Payment statuses.
const (
	StatusPending           = "pending"  // waiting for the provider (e.g. the shopper confirming a card)
	StatusPaid              = "paid"     // the money is the platform's
	StatusDue               = "due"      // offline: to be collected on pickup or delivery
	StatusFailed            = "failed"   // the provider refused it
	StatusRefunded          = "refunded" // all of it went back
	StatusPartiallyRefunded = "partially_refunded"
)

// Limits of the input.
const (
	MaxParts           = 100
	MaxAmountFen int64 = billing.MaxAmountFen
	RefMax             = billing.RefMax
)

var (
	errNotFound     = core.Errorf(core.NotFound, "error.not_found")
	errExceeds      = core.Errorf(core.Conflict, "payment.error.refund_exceeds")
	errState        = core.Errorf(core.Conflict, "payment.error.state")
	errInsufficient = core.Errorf(core.Conflict, "payment.error.insufficient_balance")
)

// Payment is the payment of one checkout group.
type Payment struct {
	bun.BaseModel `bun:"table:payments,alias:pay"`

	TenantID    string    `bun:"tenant_id,pk" json:"-"`
	ID          string    `bun:"id,pk" json:"id"`
	GroupRef    string    `bun:"group_ref,notnull" json:"group_ref"`
	Provider    string    `bun:"provider,notnull" json:"provider"`
	UserID      *string   `bun:"user_id" json:"user_id,omitempty"`
	AmountFen   int64     `bun:"amount_fen,notnull" json:"amount_fen"`
	Status      string    `bun:"status,notnull" json:"status"`
	ProviderRef string    `bun:"provider_ref,notnull" json:"provider_ref,omitempty"`
	CreatedAt   time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at,notnull" json:"updated_at"`

	Parts []*Part `bun:"-" json:"parts"`
	// ClientData is what the shopper's browser needs to finish a pending
	// payment (e.g. Stripe's client_secret). A provider sets it in Pay; it
	// is never stored.
	ClientData map[string]string `bun:"-" json:"client_data,omitempty"`
}

// User returns the paying shopper's id ("" when none).
func (p *Payment) User() string {
	if p.UserID == nil {
		return ""
	}
	return *p.UserID
}

// Part is the share of a payment that pays one order (of one shop).
type Part struct {
	bun.BaseModel `bun:"table:payment_parts,alias:pp"`

	TenantID     string     `bun:"tenant_id,pk" json:"-"`
	PaymentID    string     `bun:"payment_id,pk" json:"payment_id"`
	OrderRef     string     `bun:"order_ref,pk" json:"order_ref"`
	ShopID       string     `bun:"shop_id,notnull" json:"shop_id"`
	AmountFen    int64      `bun:"amount_fen,notnull" json:"amount_fen"`
	RefundedFen  int64      `bun:"refunded_fen,notnull" json:"refunded_fen"`
	CollectedFen int64      `bun:"collected_fen,notnull" json:"collected_fen"`
	CollectedAt  *time.Time `bun:"collected_at" json:"collected_at,omitempty"`
}

// Provider takes and gives back money for payments.
type Provider interface {
	// Name is the provider's registry name ([a-z][a-z0-9_]*), also the
	// order's tender in the ledger.
	Name() string
	// Pay starts paying p, which is stored with its parts and status
	// pending, in tx (the checkout's transaction). It answers StatusPaid
	// (the money is taken), StatusDue (to be collected later) or
	// StatusPending (to be settled by Service.Settle, e.g. on a webhook;
	// it may set p.ProviderRef and p.ClientData). An error makes the
	// checkout fail; tx must then be rolled back.
	Pay(ctx context.Context, tx bun.IDB, p *Payment) (status string, err error)
	// Refund gives amountFen of order orderID's part back to the shopper.
	// Service.Refund has already raised the part's refunded amount (so
	// it never exceeds what was paid); ref identifies the refund.
	Refund(ctx context.Context, tx bun.IDB, p *Payment, orderID string, amountFen int64, ref string) error
}

// Registry holds the providers by name.
type Registry struct {
	mu sync.RWMutex
	m  map[string]Provider
	// Fallback answers names no provider is registered under (the
	// providers of plugins, which come and go with the plugins); nil
	// answers none.
	Fallback func(name string) (Provider, bool)
}

// NewRegistry returns a registry of ps.
func NewRegistry(ps ...Provider) *Registry {
	r := &Registry{m: map[string]Provider{}}
	for _, p := range ps {
		r.Register(p)
	}
	return r
}

// Register adds p; it panics when a provider of that name is registered.
func (r *Registry) Register(p Provider) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.m[p.Name()]; dup {
		panic("payment: provider " + p.Name() + " registered twice")
	}
	r.m[p.Name()] = p
}

// Get returns the provider called name.
func (r *Registry) Get(name string) (Provider, bool) {
	r.mu.RLock()
	p, ok := r.m[name]
	fb := r.Fallback
	r.mu.RUnlock()
	if !ok && fb != nil {
		return fb(name)
	}
	return p, ok
}

// Names returns the registered providers' names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []string
	for n := range r.m {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Deps are the services payments use.
type Deps struct {
	DB      *db.DB
	Authz   *authz.Enforcer
	Billing *billing.Service
}

// Service is the payments API.
type Service struct {
	Deps
	Registry *Registry
	Offline  *Offline
	Balance  *Balance
	now      func() time.Time
}

// New returns the service with the offline and balance providers
// registered.
func New(d Deps) *Service {
	s := &Service{Deps: d, now: time.Now}
	s.Offline = &Offline{s: s}
	s.Balance = &Balance{s: s}
	s.Registry = NewRegistry(s.Offline, s.Balance)
	return s
}

func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil && len(id) == 36
}

func checkRef(fe *core.FieldErrors, field, s string) {
	switch {
	case s == "":
		fe.Add(field, "field.required")
	case len(s) > RefMax:
		fe.Add(field, "field.too_long")
	case strings.TrimSpace(s) != s || strings.ContainsAny(s, "\x00\r\n\t"):
		fe.Add(field, "field.invalid")
	}
}

// NewPayment is a payment to start.
type NewPayment struct {
	GroupRef string // the checkout group
	Provider string
	UserID   string // the paying shopper (required by the balance provider)
	Parts    []NewPart
}

// NewPart is what one order of the group costs.
type NewPart struct {
	OrderRef  string
	ShopID    string
	AmountFen int64
}

// Start stores the payment of a checkout group in tx (the checkout's
// transaction) and has its provider pay it; the payment's status is then
// paid, due or pending. Returns Invalid with field errors for bad input
// ("group_ref", "provider" for an unknown provider, "user_id", "parts",
// "parts.{i}.order_ref" (missing or repeated), "parts.{i}.shop_id",
// "parts.{i}.amount_fen", "amount_fen" when the total is 0); NotFound for
// a shop or shopper that is not the tenant's; and the provider's error
// (Conflict payment.error.insufficient_balance from balance), after which
// tx must be rolled back.
func (s *Service) Start(ctx context.Context, tx bun.IDB, in NewPayment) (*Payment, error) {
	var fe core.FieldErrors
	checkRef(&fe, "group_ref", in.GroupRef)
	prov, ok := s.Registry.Get(in.Provider)
	if !ok {
		fe.Add("provider", "payment.field.provider_unknown")
	}
	if in.UserID != "" && !validID(in.UserID) {
		fe.Add("user_id", "field.invalid")
	}
	if len(in.Parts) == 0 || len(in.Parts) > MaxParts {
		fe.Add("parts", "payment.field.parts_count")
	}
	var total int64
	seen := map[string]bool{}
	var shops []string
	for i, pt := range in.Parts {
		p := "parts." + strconv.Itoa(i) + "."
		checkRef(&fe, p+"order_ref", pt.OrderRef)
		if seen[pt.OrderRef] {
			fe.Add(p+"order_ref", "payment.field.duplicate_order")
		}
		seen[pt.OrderRef] = true
		if !validID(pt.ShopID) {
			fe.Add(p+"shop_id", "field.invalid")
		} else if !slices.Contains(shops, pt.ShopID) {
			shops = append(shops, pt.ShopID)
		}
		if pt.AmountFen < 0 || pt.AmountFen > MaxAmountFen {
			fe.Add(p+"amount_fen", "payment.field.amount_range")
			continue
		}
		total += pt.AmountFen
	}
	if len(in.Parts) > 0 && total == 0 {
		fe.Add("amount_fen", "payment.field.amount_zero")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	// The shops and the shopper are the tenant's: one round trip.
	var found struct{ Shops, Users int }
	tid := db.TenantID(ctx)
	q := tx.NewSelect().ColumnExpr("(SELECT count(*) FROM shops WHERE tenant_id = ? AND id IN (?)) AS shops", tid, bun.List(shops))
	if in.UserID != "" {
		q = q.ColumnExpr("(SELECT count(*) FROM users WHERE tenant_id = ? AND id = ?) AS users", tid, in.UserID)
	} else {
		q = q.ColumnExpr("1 AS users")
	}
	if err := q.Scan(ctx, &found.Shops, &found.Users); err != nil {
		return nil, fmt.Errorf("look up shops and shopper: %w", err)
	}
	if found.Shops != len(shops) || found.Users == 0 {
		return nil, errNotFound
	}
	now := s.now().UTC()
	p := &Payment{TenantID: db.TenantID(ctx), ID: tenants.NewID(), GroupRef: in.GroupRef, Provider: in.Provider,
		AmountFen: total, Status: StatusPending, CreatedAt: now, UpdatedAt: now}
	if in.UserID != "" {
		uid := in.UserID
		p.UserID = &uid
	}
	if _, err := tx.NewInsert().Model(p).Exec(ctx); err != nil {
		return nil, fmt.Errorf("store payment: %w", err)
	}
	for _, pt := range in.Parts {
		p.Parts = append(p.Parts, &Part{TenantID: p.TenantID, PaymentID: p.ID, OrderRef: pt.OrderRef, ShopID: pt.ShopID, AmountFen: pt.AmountFen})
	}
	if _, err := tx.NewInsert().Model(&p.Parts).Exec(ctx); err != nil {
		return nil, fmt.Errorf("store payment parts: %w", err)
	}
	status, err := prov.Pay(ctx, tx, p)
	if err != nil {
		return nil, err
	}
	if status != StatusPaid && status != StatusDue && status != StatusPending {
		return nil, fmt.Errorf("payment provider %s answered status %q", prov.Name(), status)
	}
	p.Status, p.UpdatedAt = status, s.now().UTC()
	if _, err := db.Update(ctx, tx, p).Column("status", "provider_ref", "updated_at").WherePK().Exec(ctx); err != nil {
		return nil, fmt.Errorf("update payment: %w", err)
	}
	return p, nil
}

func userExists(ctx context.Context, tx bun.IDB, userID string) error {
	if !validID(userID) {
		return errNotFound
	}
	n, err := tx.NewSelect().Table("users").Where("tenant_id = ?", db.TenantID(ctx)).Where("id = ?", userID).Count(ctx)
	if err != nil {
		return fmt.Errorf("look up user: %w", err)
	}
	if n == 0 {
		return errNotFound
	}
	return nil
}

// Get returns payment id with its parts; NotFound when it is not the
// tenant's.
func (s *Service) Get(ctx context.Context, idb bun.IDB, id string) (*Payment, error) {
	return load(ctx, idb, s.DB.Engine, id, false)
}

// ForGroup returns the payment of checkout group groupRef with its parts;
// NotFound when there is none in the tenant.
func (s *Service) ForGroup(ctx context.Context, idb bun.IDB, groupRef string) (*Payment, error) {
	var id string
	err := db.Select(ctx, idb, (*Payment)(nil)).Column("pay.id").Where("pay.group_ref = ?", groupRef).
		Order("pay.created_at DESC").Limit(1).Scan(ctx, &id)
	if err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return s.Get(ctx, idb, id)
}

// load reads payment id and its parts; with lock, FOR UPDATE on
// PostgreSQL (SQLite's transactions hold the one write lock anyway).
func load(ctx context.Context, idb bun.IDB, engine db.Dialect, id string, lock bool) (*Payment, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	p := new(Payment)
	q := db.Select(ctx, idb, p).Where("pay.id = ?", id)
	if lock && engine == db.Postgres {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	if err := db.Select(ctx, idb, &p.Parts).Where("pp.payment_id = ?", id).Order("pp.order_ref").Scan(ctx); err != nil {
		return nil, fmt.Errorf("read payment parts: %w", err)
	}
	return p, nil
}

// part returns the part of p paying orderID.
func (p *Payment) part(orderID string) *Part {
	for _, pt := range p.Parts {
		if pt.OrderRef == orderID {
			return pt
		}
	}
	return nil
}

// Settle records the provider's verdict on a pending payment (a Stripe
// webhook): StatusPaid or StatusFailed. Returns Conflict payment.error.state
// unless the payment is pending, NotFound for an unknown payment, Invalid
// ("status") for another status.
func (s *Service) Settle(ctx context.Context, tx bun.IDB, paymentID, status string) (*Payment, error) {
	if status != StatusPaid && status != StatusFailed {
		var fe core.FieldErrors
		fe.Add("status", "field.invalid")
		return nil, fe.Err()
	}
	p, err := load(ctx, tx, s.DB.Engine, paymentID, true)
	if err != nil {
		return nil, err
	}
	res, err := db.Update(ctx, tx, (*Payment)(nil)).Set("status = ?", status).Set("updated_at = ?", s.now().UTC()).
		Where("pay.id = ?", p.ID).Where("pay.status = ?", StatusPending).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("settle payment: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, errState
	}
	p.Status = status
	return p, nil
}

// Refund gives amountFen of order orderID's part of payment paymentID back
// to the shopper through the payment's provider; ref identifies the
// refund. The part's refunded amount is raised with a conditional UPDATE,
// so refunds never exceed what was paid for the order. Returns Conflict
// payment.error.refund_exceeds when they would, Conflict
// payment.error.state for a payment that is pending or failed, NotFound
// for an unknown payment or an order it does not pay, Invalid
// ("amount_fen") for an amount below 1 fen.
func (s *Service) Refund(ctx context.Context, tx bun.IDB, paymentID, orderID string, amountFen int64, ref string) (*Payment, error) {
	if amountFen < 1 || amountFen > MaxAmountFen {
		var fe core.FieldErrors
		fe.Add("amount_fen", "payment.field.refund_range")
		return nil, fe.Err()
	}
	p, err := load(ctx, tx, s.DB.Engine, paymentID, true)
	if err != nil {
		return nil, err
	}
	if p.part(orderID) == nil {
		return nil, errNotFound
	}
	switch p.Status {
	case StatusPaid, StatusDue, StatusPartiallyRefunded, StatusRefunded:
	default:
		return nil, errState
	}
	prov, ok := s.Registry.Get(p.Provider)
	if !ok {
		return nil, fmt.Errorf("payment %s: provider %s is not registered", p.ID, p.Provider)
	}
	res, err := db.Update(ctx, tx, (*Part)(nil)).Set("refunded_fen = pp.refunded_fen + ?", amountFen).
		Where("pp.payment_id = ?", p.ID).Where("pp.order_ref = ?", orderID).
		Where("pp.refunded_fen + ? <= pp.amount_fen", amountFen).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("refund payment part: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, errExceeds
	}
	if err := prov.Refund(ctx, tx, p, orderID, amountFen, ref); err != nil {
		return nil, err
	}
	return s.restatus(ctx, tx, p.ID)
}

// restatus reads payment id again and sets its status from its parts:
// refunded when all of it went back, due while an offline part waits for
// collection, partially_refunded when some went back, paid otherwise.
func (s *Service) restatus(ctx context.Context, tx bun.IDB, id string) (*Payment, error) {
	p, err := load(ctx, tx, s.DB.Engine, id, false)
	if err != nil {
		return nil, err
	}
	if p.Status == StatusPending || p.Status == StatusFailed {
		return p, nil
	}
	var refunded int64
	due := false
	for _, pt := range p.Parts {
		refunded += pt.RefundedFen
		if p.Provider == ProviderOffline && pt.CollectedAt == nil && pt.RefundedFen < pt.AmountFen {
			due = true
		}
	}
	status := StatusPaid
	switch {
	case refunded == p.AmountFen:
		status = StatusRefunded
	case due:
		status = StatusDue
	case refunded > 0:
		status = StatusPartiallyRefunded
	}
	if status != p.Status {
		p.Status, p.UpdatedAt = status, s.now().UTC()
		if _, err := db.Update(ctx, tx, p).Column("status", "updated_at").WherePK().Exec(ctx); err != nil {
			return nil, fmt.Errorf("update payment status: %w", err)
		}
	}
	return p, nil
}
