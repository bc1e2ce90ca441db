// Package invoicing is the platform's billing of the marketplace's
// merchants (shops) and pickup points: plans, metered usage, promotional
// credits and monthly invoices, every money movement a ledger entry of
// core/billing in the same transaction.
//
// # Plans
//
// A tenant keeps a catalogue of plans (name, monthly or annual fee in fen,
// revenue source plan or franchise, for shops or for pickup points);
// InstallDefaults adds the free tier and the annual 12,800-yuan pickup
// point franchise. A plan is assigned to an owner from a start date. The
// plan in force in a period is the one whose assignment starts latest on
// or before the period's last day, so a change during a month applies to
// that whole month (no proration). A monthly fee is invoiced every period;
// an annual fee in the period the plan year starts and every twelfth
// period after it.
//
// # Usage
//
// Record writes one usage record per (source, idempotency key), priced
// from the tenant's price list (DefaultPrices unless the tenant set its
// own), and posts it at once (billing.KindUsage: debit invoice_receivable
// of the owner, credit platform_revenue of the metric's source: sms, ads
// for ad_slot_day, storage for storage_gb_month, usage for any other).
// Plugins' usage (plugin_usage, written by the host callback) is priced
// at month end and posted when its invoice is issued; a plugin metric
// without a price is listed at 0 and not posted.
//
// # Credits
//
// A credit grant is a free quantity of a metric for an owner until it
// expires (OnboardingPack: 7 days of the homepage ad slot and 100 orders
// free of shipping). Invoicing applies grants to the period's usage of
// their metric as credit lines; issuing posts them as a promotion (debit
// platform_promotion, credit invoice_receivable), so revenue shows gross.
//
// # Invoices
//
// One invoice per owner and period (YYYY-MM in the tenant's time zone):
// plan fees, usage per metric and unit price, credits, and the
// commission withheld that period (informational: commission is posted
// per order). Generating makes or refreshes drafts and is idempotent;
// issuing (draft → open) refreshes the draft once more, posts plugin usage
// (billing.KindUsage) and the fees less credits (billing.KindInvoiceIssued),
// then settles from what the platform owes the shop
// (billing.KindInvoiceSettled, up to what is due) and hands what is left
// to the Collector (Stripe Billing), or leaves it open to be paid offline
// (MarkPaid, billing.KindInvoicePaid). An open invoice may be voided: what
// it still has receivable is reversed (billing.KindInvoiceVoided).
//
// Every method works in the tenant carried by ctx; ids of other tenants
// are not found.
package invoicing

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/jobs"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
)

// Owner kinds: who is invoiced.
const (
	OwnerShop        = "shop"
	OwnerPickupPoint = "pickup_point"
)

// Plan intervals.
const (
	Monthly = "monthly"
	Annual  = "annual"
)

// Invoice statuses: draft → open → paid | void.
const (
	StatusDraft = "draft"
	StatusOpen  = "open"
	StatusPaid  = "paid"
	StatusVoid  = "void"
)

// Invoice line kinds.
const (
	LinePlan       = "plan"
	LineUsage      = "usage"
	LineCredit     = "credit"
	LineCommission = "commission" // informational: not in the total
)

// Metrics with a revenue source of their own; any other metric's revenue
// is billing.RevenueUsage.
const (
	MetricSMS           = "sms"              // one text message
	MetricAdSlotDay     = "ad_slot_day"      // one day of an ad slot
	MetricStorage       = "storage_gb_month" // one GB stored for a month
	MetricShippingOrder = "shipping_order"   // one order shipped by the platform's courier
)

// DefaultPrices are the unit prices in fen of the metrics every tenant
// has until it sets its own: SMS at 5 fen a message (the seed's figure),
// a day of the homepage ad slot, a GB-month of storage and an order
// shipped by the platform's courier (placeholders the tenant adjusts).
var DefaultPrices = map[string]int64{
	MetricSMS:           5,
	MetricAdSlotDay:     5000,
	MetricStorage:       100,
	MetricShippingOrder: 600,
}

// RevenueSource returns the platform_revenue source a metric's usage is
// credited to.
func RevenueSource(metric string) string {
	switch metric {
	case MetricSMS:
		return billing.RevenueSMS
	case MetricAdSlotDay:
		return billing.RevenueAds
	case MetricStorage:
		return billing.RevenueStorage
	}
	return billing.RevenueUsage
}

// Payment methods of invoice payments besides payment providers.
const (
	MethodPayable = "payable" // settled from what the platform owed the shop
	MethodOffline = "offline" // marked paid by the tenant admin
	MethodStripe  = "stripe"  // Stripe Billing (tender_clearing:stripe)
)

// Permissions: reading invoices needs billing.PermLedgerRead (in the
// tenant's domain for every owner, in a shop's domain for its own);
// managing plans, prices, credits and invoices needs
// billing.PermSettings in the tenant's domain.
const (
	PermRead   = billing.PermLedgerRead
	PermManage = billing.PermSettings
)

// Limits of the input.
const (
	MaxFeeFen    int64 = 1_000_000_000 // a plan's fee (10,000,000 yuan)
	MaxUnitFen   int64 = 100_000_000   // a metric's unit price (1,000,000 yuan)
	MaxQuantity  int64 = 1_000_000_000 // one usage record or grant
	NameMax            = 40
	RefMax             = 100
	NoteMax            = 200
	MaxListLimit       = 200
)

var (
	errNotFound     = core.Errorf(core.NotFound, "error.not_found")
	errForbidden    = core.Errorf(core.Forbidden, "error.forbidden")
	errNotOpen      = core.Errorf(core.Conflict, "invoicing.error.not_open")
	errNotDraft     = core.Errorf(core.Conflict, "invoicing.error.not_draft")
	errAlreadyPaid  = core.Errorf(core.Conflict, "invoicing.error.already_paid")
	errPlanAssigned = core.Errorf(core.Conflict, "invoicing.error.plan_assigned")
	errPackGranted  = core.Errorf(core.Conflict, "invoicing.error.pack_granted")
	errConcurrent   = core.Errorf(core.Conflict, "invoicing.error.concurrent_change")
)

// Collector collects what an issued invoice still has due after the
// shop's payable balance settled what it could — the Stripe side creates
// a Stripe Billing invoice to the connected account's customer. Collect
// runs in the issuing transaction (tx, bound to the invoice's tenant) and
// answers a reference of the collection (e.g. the Stripe invoice id), ""
// when it did not collect (no connected account; the invoice stays open).
// An error leaves the invoice open with the error recorded; Collect must
// not have written anything then. It should enqueue the provider call
// (core/jobs) rather than make it, so that a rolled back issue takes it
// back; the provider reports payment through Service.MarkPaid.
type Collector interface {
	Collect(ctx context.Context, tx bun.IDB, inv *Invoice) (ref string, err error)
}

// Deps are the services invoicing uses. Jobs may be nil (no month-end
// schedule: tests, tools).
type Deps struct {
	DB     *db.DB
	Authz  *authz.Enforcer
	Ledger *billing.Service
	Jobs   *jobs.Service
}

// Service is platform billing's API.
type Service struct {
	Deps
	// Collector collects what issued invoices still have due; nil leaves
	// them open.
	Collector Collector
	clock     atomic.Pointer[func() time.Time]
}

// New returns the service.
func New(d Deps) *Service {
	s := &Service{Deps: d}
	s.SetClock(time.Now)
	return s
}

// SetClock replaces the service's clock (tests and benchmarks); safe while
// jobs run.
func (s *Service) SetClock(now func() time.Time) { s.clock.Store(&now) }

// now is the service's time.
func (s *Service) now() time.Time { return (*s.clock.Load())() }

func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil && len(id) == 36
}

var (
	metricRE = regexp.MustCompile(`^[a-z][a-z0-9_.]{0,39}$`)
	sourceRE = regexp.MustCompile(`^[a-z][a-z0-9_.:-]{0,39}$`)
	codeRE   = regexp.MustCompile(`^[a-z][a-z0-9-]{1,31}$`)
)

// checkRef validates an opaque reference (idempotency key, payment ref).
func checkRef(fe *core.FieldErrors, field, s string) string {
	switch {
	case s == "":
		fe.Add(field, "field.required")
	case len(s) > RefMax:
		fe.Add(field, "field.too_long")
	case strings.TrimSpace(s) != s || strings.ContainsAny(s, "\x00\r\n\t"):
		fe.Add(field, "field.invalid")
	}
	return s
}

// receivable is what owner owes on issued invoices; revenue the
// platform's revenue from a source.
var receivable, revenue = billing.InvoiceReceivable, billing.Revenue

// post posts e with the lines of one account merged and zero lines
// dropped; nothing when fewer than two lines remain.
func (s *Service) post(ctx context.Context, tx bun.IDB, e billing.Entry) error {
	return s.Ledger.PostNonZero(ctx, tx, e)
}

// memo trims a memo to billing.MemoMax characters.
func memo(s string) string {
	if r := []rune(s); len(r) > billing.MemoMax {
		return string(r[:billing.MemoMax])
	}
	return s
}

// checkTenant authorises perm for p in the tenant's domain.
func (s *Service) checkTenant(ctx context.Context, p *identity.Principal, perm string) (*tenants.Tenant, error) {
	t, err := identity.TenantOf(ctx, p)
	if err != nil {
		return nil, err
	}
	if err := s.Authz.Check(ctx, p, authz.TenantDomain(t.ID), perm); err != nil {
		return nil, err
	}
	return t, nil
}

// actorOf is p's user id for the ledger ("" for none).
func actorOf(p *identity.Principal) string {
	if p == nil || p.Kind != identity.KindTenant {
		return ""
	}
	return p.UserID
}

func ptr[T any](v T) *T { return &v }

// Owner is a shop or pickup point that is invoiced.
type Owner struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Name string `json:"name"`
	// Flagship: the tenant's own store, which the platform does not
	// invoice.
	Flagship bool   `json:"-"`
	Domain   string `json:"-"` // the authorisation domain
}

// loadOwner reads owner id (a shop or a pickup point) of the tenant in
// ctx; NotFound otherwise.
func loadOwner(ctx context.Context, tx bun.IDB, id string) (*Owner, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	sh := new(merchant.Shop)
	err := db.Select(ctx, tx, sh).Where("s.id = ?", id).Scan(ctx)
	if err == nil {
		return &Owner{Kind: OwnerShop, ID: sh.ID, Name: sh.Name, Flagship: sh.IsFlagship, Domain: sh.AuthzDomain()}, nil
	}
	if err = db.NotFound(err, nil); err != nil {
		return nil, fmt.Errorf("load shop %s: %w", id, err)
	}
	pt := new(fulfil.PickupPoint)
	if err := db.Select(ctx, tx, pt).Where("pp.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return &Owner{Kind: OwnerPickupPoint, ID: pt.ID, Name: pt.Name, Domain: pt.AuthzDomain()}, nil
}

// owners reads every shop and pickup point of the tenant in ctx, by id.
func owners(ctx context.Context, tx bun.IDB) (map[string]*Owner, error) {
	out := map[string]*Owner{}
	var shops []*merchant.Shop
	if err := db.Select(ctx, tx, &shops).Column("s.id", "s.name", "s.is_flagship").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list shops: %w", err)
	}
	for _, sh := range shops {
		out[sh.ID] = &Owner{Kind: OwnerShop, ID: sh.ID, Name: sh.Name, Flagship: sh.IsFlagship}
	}
	var pts []*fulfil.PickupPoint
	if err := db.Select(ctx, tx, &pts).Column("pp.id", "pp.name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list pickup points: %w", err)
	}
	for _, pt := range pts {
		out[pt.ID] = &Owner{Kind: OwnerPickupPoint, ID: pt.ID, Name: pt.Name}
	}
	return out, nil
}

// ownerFor loads owner id and authorises p to read its invoices:
// PermRead in the tenant's domain, or in the shop's own domain (its
// owner). Forbidden when p may see the shop but not its ledger; NotFound
// otherwise.
func (s *Service) ownerFor(ctx context.Context, tx bun.IDB, p *identity.Principal, id string) (*Owner, error) {
	o, err := loadOwner(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if s.Authz.Allowed(ctx, p, o.Domain, PermRead) {
		return o, nil
	}
	// A pickup point's operators see its invoices (the franchise fee).
	if o.Kind == OwnerPickupPoint && s.Authz.Allowed(ctx, p, o.Domain, fulfil.PermPickupView) {
		return o, nil
	}
	if o.Kind == OwnerShop && (s.Authz.Allowed(ctx, p, o.Domain, merchant.PermViewShop) || s.Authz.Allowed(ctx, p, o.Domain, merchant.PermListShops)) {
		return nil, errForbidden
	}
	return nil, errNotFound
}
