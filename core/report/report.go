// Package report is the marketplace's money reports, read from the ledger
// (core/billing's journal_entries and postings, with ledger_orders to tell
// which shop an order entry belongs to): the tenant console's revenue by
// source, sales (GMV and refunds), stored-value float and what the
// platform owes each shop; and a shop's statement for its merchant. Every
// figure is a sum of postings in fen, so the totals match the ledger to
// the fen; nothing is stored.
//
// # Period
//
// A report covers whole days in the tenant's time zone, from the first day
// (From) to the last (To) inclusive, grouped by day or by calendar month
// (the first and last month may be partial). An entry belongs to the day
// of its created_at in that zone. By day a period has at most MaxDays
// days, by month at most MaxMonths months.
//
// # Tenant report
//
// Signs follow the ledger's accounts (see core/billing): revenue is the
// net credit of an account, cost its net debit.
//
//	Revenue by source
//	  commission      net credits of platform_commission (commission on
//	                  orders less what refunds reversed)
//	  plan, franchise, sms, ads, storage, usage
//	                  net credits of platform_revenue:{source}; sources the
//	                  ledger has that billing.RevenueSources does not name
//	                  are "other"
//	  total           commission + every source
//	  promotion       net debits of platform_promotion: platform-funded
//	                  discounts of orders and promotional credits of
//	                  invoices and stored value, less what refunds reversed
//	  net             total − promotion
//	Sales
//	  orders          order_paid entries
//	  paid            what shoppers paid for orders: the debits of
//	                  order_paid entries to the tender accounts
//	                  (offline_receivable, customer_balance, tender_clearing)
//	  platform discount
//	                  the debits of order_paid entries to platform_promotion
//	  GMV             paid + platform discount: the orders' goods after
//	                  shop-funded discounts plus shipping, before
//	                  platform-funded discounts. It is also the total
//	                  credit of order_paid entries to shop_payable and
//	                  platform_commission, i.e. the shops' sales.
//	  refunded        what order_refunded entries gave back to the tender
//	                  accounts (their credits there)
//	  discount reversed
//	                  the credits of order_refunded entries to
//	                  platform_promotion
//	  net GMV         GMV − refunded − discount reversed
//	Stored-value float (what the platform owes shoppers and card holders)
//	  balances        the credit balance of every customer_balance (惠农通)
//	  stored value    the credit balance of every stored_value account
//	                  (cards issued and not yet redeemed)
//	  float           balances + stored value, at the end of each day or
//	                  month, with the change over it
//	Shops (and pickup points with invoices), over the period and at its end
//	  sales, refunds, commission
//	                  of the shop's order entries (order_paid,
//	                  order_refunded; the shop from ledger_orders), as in
//	                  the shop statement below
//	  cash, payouts, fees, other
//	                  the shop_payable debits of offline_collected and
//	                  offline_cash_returned, of payout and payout_reversed,
//	                  of invoice_settled, and the credits of any other kind
//	  owed            what the platform owes the shop at the end (the credit
//	                  balance of its shop_payable; negative: the shop owes)
//	  receivable      cash still to collect for orders paid offline
//	                  (offline_receivable)
//	  invoice due     what the shop or pickup point owes on invoices
//	                  (invoice_receivable)
//
// # Shop statement
//
// The same movements for one shop, day by day or month by month, as
// changes in what the platform owes the shop; they are the entries of
// billing's shop statement (Service.ShopStatement) summed:
//
//	sales       − (shop_payable + platform_commission) of order_paid
//	refunds       (shop_payable + platform_commission) of order_refunded
//	commission  − platform_commission of both (refunds reverse it)
//	cash          shop_payable of offline_collected, offline_cash_returned
//	payouts       shop_payable of payout, payout_reversed
//	fees          shop_payable of invoice_settled (invoices paid from
//	              what the platform owed the shop)
//	other       − shop_payable of any other kind
//	net         − shop_payable of all = sales − refunds − commission − cash
//	              − payouts − fees + other
//	owed          opening owed + net: what the platform owes at the end
//
// and the shop's invoices: billed (invoice_receivable of usage,
// invoice_issued and invoice_voided), paid (invoice_receivable credits of
// invoice_paid), settled (fees) and what is due at the end.
//
// Every method works in the tenant carried by ctx; ids of other tenants
// are not found.
package report

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Groupings of a period.
const (
	ByDay   = "day"
	ByMonth = "month"
)

// Limits of a period.
const (
	MaxDays   = 366 // days of a period grouped by day
	MaxMonths = 120 // months of a period grouped by month
)

// dateLayout is how a day is written in requests and labels.
const dateLayout = "2006-01-02"

var (
	errNotFound  = core.Errorf(core.NotFound, "error.not_found")
	errForbidden = core.Errorf(core.Forbidden, "error.forbidden")
)

// Deps are the services the reports use.
type Deps struct {
	DB    *db.DB
	Authz *authz.Enforcer
}

// Service answers the reports.
type Service struct {
	Deps
	now func() time.Time
}

// New returns the service.
func New(d Deps) *Service { return &Service{Deps: d, now: time.Now} }

// PeriodInput is a requested period: days as "2006-01-02" and the
// grouping ("day" or "month"); empty fields take their defaults (see
// Service.Period).
type PeriodInput struct {
	From  string
	To    string
	Group string
}

// Period is a checked period of whole days in the tenant's zone.
type Period struct {
	From     string    `json:"from"`  // the first day
	To       string    `json:"to"`    // the last day (inclusive)
	Group    string    `json:"group"` // day or month
	TimeZone string    `json:"time_zone"`
	Currency string    `json:"currency"`
	Start    time.Time `json:"start"` // the first day's midnight
	End      time.Time `json:"end"`   // the midnight after the last day
	Buckets  []Bucket  `json:"buckets"`
}

// Bucket is one day or month of a period.
type Bucket struct {
	Label string    `json:"label"` // "2006-01-02" by day, "2006-01" by month
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Period checks in against the tenant in ctx. Defaults: grouping by day;
// To today (in the tenant's zone); From the first day of To's month by
// day, the first day of the month eleven months before To's by month.
// Returns Invalid with field errors: "from" or "to" (report.field.date)
// when not a day between 2000 and 2099, "from" (report.field.order) when
// after To, "group" (report.field.group), "to" (report.field.too_long)
// beyond MaxDays or MaxMonths.
func (s *Service) Period(ctx context.Context, in PeriodInput) (Period, error) {
	t := tenants.MustFromContext(ctx)
	loc := t.Location()
	var fe core.FieldErrors
	p := Period{Group: in.Group, TimeZone: loc.String(), Currency: t.Currency}
	if p.Group == "" {
		p.Group = ByDay
	}
	if p.Group != ByDay && p.Group != ByMonth {
		fe.Add("group", "report.field.group")
		p.Group = ByDay
	}
	day := func(field, v string) time.Time {
		d, err := time.ParseInLocation(dateLayout, v, loc)
		if err != nil || d.Year() < 2000 || d.Year() > 2099 {
			fe.Add(field, "report.field.date")
			return time.Time{}
		}
		return d
	}
	var from, to time.Time
	if in.To == "" {
		n := s.now().In(loc)
		to = time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
	} else {
		to = day("to", in.To)
	}
	switch {
	case in.From != "":
		from = day("from", in.From)
	case to.IsZero():
	case p.Group == ByMonth:
		from = time.Date(to.Year(), to.Month()-11, 1, 0, 0, 0, 0, loc)
	default:
		from = time.Date(to.Year(), to.Month(), 1, 0, 0, 0, 0, loc)
	}
	if err := fe.Err(); err != nil {
		return p, err
	}
	if from.After(to) {
		fe.Add("from", "report.field.order")
		return p, fe.Err()
	}
	end := time.Date(to.Year(), to.Month(), to.Day()+1, 0, 0, 0, 0, loc)
	for b := from; b.Before(end); {
		var next time.Time
		label := b.Format(dateLayout)
		if p.Group == ByDay {
			next = time.Date(b.Year(), b.Month(), b.Day()+1, 0, 0, 0, 0, loc)
		} else {
			next = time.Date(b.Year(), b.Month()+1, 1, 0, 0, 0, 0, loc)
			label = b.Format("2006-01")
		}
		if next.After(end) {
			next = end
		}
		p.Buckets = append(p.Buckets, Bucket{Label: label, Start: b.UTC(), End: next.UTC()})
		if (p.Group == ByDay && len(p.Buckets) > MaxDays) || (p.Group == ByMonth && len(p.Buckets) > MaxMonths) {
			fe.Add("to", "report.field.too_long")
			return p, fe.Err()
		}
		b = next
	}
	p.From, p.To = from.Format(dateLayout), to.Format(dateLayout)
	p.Start, p.End = from.UTC(), end.UTC()
	return p, nil
}

// checkTenant authorises p to read the tenant's ledger.
func (s *Service) checkTenant(ctx context.Context, p *identity.Principal) error {
	t, err := identity.TenantOf(ctx, p)
	if err != nil {
		return err
	}
	return s.Authz.Check(ctx, p, authz.TenantDomain(t.ID), billing.PermLedgerRead)
}

// shopFor loads shop id of the tenant in ctx and authorises p to read its
// ledger, as billing's shop statement does: Forbidden when p may see the
// shop but not its ledger; NotFound otherwise.
func (s *Service) shopFor(ctx context.Context, tx bun.IDB, p *identity.Principal, id string) (*merchant.Shop, error) {
	if u, err := uuid.Parse(id); err != nil || u.String() != id {
		return nil, errNotFound
	}
	sh := new(merchant.Shop)
	if err := db.Select(ctx, tx, sh).Where("s.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	dom := sh.AuthzDomain()
	if s.Authz.Allowed(ctx, p, dom, billing.PermLedgerRead) {
		return sh, nil
	}
	if s.Authz.Allowed(ctx, p, dom, merchant.PermViewShop) || s.Authz.Allowed(ctx, p, dom, merchant.PermListShops) {
		return nil, errForbidden
	}
	return nil, errNotFound
}
