package invoicing

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/tenants"
)

// UsageInput is one usage of a metered service by an owner.
type UsageInput struct {
	// OwnerID is the shop or pickup point that used it.
	OwnerID string `json:"owner_id"`
	// Metric names what was used ("sms", "ad_slot_day", …).
	Metric string `json:"metric"`
	// Quantity is how many units (1 to MaxQuantity).
	Quantity int64 `json:"quantity"`
	// IdemKey makes a repeated record of the same usage (a retry) return
	// the first record instead of billing twice; unique per Source.
	IdemKey string `json:"idem_key"`
	// Source is who records ("sms", "adslots", "admin", …).
	Source string `json:"source"`
}

// UsageRecord is recorded usage, priced when it was recorded.
type UsageRecord struct {
	bun.BaseModel `bun:"table:usage_records,alias:ur"`

	TenantID      string    `bun:"tenant_id,pk" json:"-"`
	ID            string    `bun:"id,pk" json:"id"`
	OwnerKind     string    `bun:"owner_kind,notnull" json:"owner_kind"`
	OwnerID       string    `bun:"owner_id,notnull" json:"owner_id"`
	Metric        string    `bun:"metric,notnull" json:"metric"`
	Quantity      int64     `bun:"quantity,notnull" json:"quantity"`
	UnitFen       int64     `bun:"unit_fen,notnull" json:"unit_fen"`
	AmountFen     int64     `bun:"amount_fen,notnull" json:"amount_fen"`
	RevenueSource string    `bun:"revenue_source,notnull" json:"revenue_source"`
	Source        string    `bun:"source,notnull" json:"source"`
	IdemKey       string    `bun:"idem_key,notnull" json:"idem_key"`
	Period        string    `bun:"period,notnull" json:"period"`
	CreatedAt     time.Time `bun:"created_at,notnull" json:"created_at"`

	// Replayed: the record existed already (same source and key); nothing
	// was written.
	Replayed bool `bun:"-" json:"replayed"`
}

// checkUsage validates in (but the owner and the price, which need the
// database).
func checkUsage(in UsageInput) core.FieldErrors {
	var fe core.FieldErrors
	if in.OwnerID == "" {
		fe.Add("owner_id", "field.required")
	} else if !validID(in.OwnerID) {
		fe.Add("owner_id", "invoicing.field.owner_unknown")
	}
	if !metricRE.MatchString(in.Metric) {
		fe.Add("metric", "invoicing.field.metric_invalid")
	}
	if in.Quantity <= 0 || in.Quantity > MaxQuantity {
		fe.Add("quantity", "invoicing.field.quantity_range")
	}
	checkRef(&fe, "idem_key", in.IdemKey)
	if !sourceRE.MatchString(in.Source) {
		fe.Add("source", "invoicing.field.source_invalid")
	}
	return fe
}

// Record records usage in tx, the caller's transaction (bound to the
// tenant in ctx), priced from the tenant's price list, and posts it to
// the ledger at once (billing.KindUsage: debit invoice_receivable of the
// owner, credit platform_revenue of the metric's RevenueSource; nothing
// for a price of 0). Its period is the current month in the tenant's time
// zone. A second Record with the same Source and IdemKey returns the
// first record (Replayed) and writes nothing. Returns Invalid with field
// errors, writing nothing: owner_id (not a shop or pickup point of the
// tenant, or the flagship store, which is not billed), metric (malformed, or invoicing.field.metric_unpriced when the
// tenant has no price for it), quantity (1 to MaxQuantity: zero and
// negative quantities are refused), idem_key (required, up to 100),
// source.
func (s *Service) Record(ctx context.Context, tx bun.IDB, in UsageInput) (*UsageRecord, error) {
	return s.record(ctx, tx, in, "")
}

func (s *Service) record(ctx context.Context, tx bun.IDB, in UsageInput, actor string) (*UsageRecord, error) {
	t := tenants.MustFromContext(ctx)
	fe := checkUsage(in)
	if len(fe) > 0 {
		return nil, fe.Err()
	}
	prev := new(UsageRecord)
	err := db.Select(ctx, tx, prev).Where("ur.source = ?", in.Source).Where("ur.idem_key = ?", in.IdemKey).Scan(ctx)
	if err == nil {
		prev.Replayed = true
		return prev, nil
	}
	if err = db.NotFound(err, nil); err != nil {
		return nil, fmt.Errorf("look up usage %s: %w", in.IdemKey, err)
	}
	o, err := loadOwner(ctx, tx, in.OwnerID)
	switch {
	case core.IsNotFound(err):
		fe.Add("owner_id", "invoicing.field.owner_unknown")
	case err != nil:
		return nil, err
	case o.Flagship:
		fe.Add("owner_id", "invoicing.field.owner_flagship")
	}
	unit, ok, err := unitPrice(ctx, tx, in.Metric)
	if err != nil {
		return nil, err
	}
	if !ok {
		fe.Add("metric", "invoicing.field.metric_unpriced")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	u := &UsageRecord{TenantID: t.ID, ID: tenants.NewID(), OwnerKind: o.Kind, OwnerID: o.ID, Metric: in.Metric,
		Quantity: in.Quantity, UnitFen: unit, AmountFen: in.Quantity * unit, RevenueSource: RevenueSource(in.Metric),
		Source: in.Source, IdemKey: in.IdemKey, Period: PeriodOf(now, t.Location()).String(), CreatedAt: now}
	res, err := tx.NewInsert().Model(u).On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("record usage: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// Recorded meanwhile by a concurrent call with the same key.
		if err := db.Select(ctx, tx, prev).Where("ur.source = ?", in.Source).Where("ur.idem_key = ?", in.IdemKey).Scan(ctx); err != nil {
			return nil, fmt.Errorf("look up usage %s: %w", in.IdemKey, err)
		}
		prev.Replayed = true
		return prev, nil
	}
	err = s.post(ctx, tx, billing.Entry{
		Kind: billing.KindUsage, Reference: u.ID, ActorID: actor,
		Memo: memo(u.Metric + " × " + strconv.FormatInt(u.Quantity, 10) + " · " + o.Name),
		Lines: []billing.Line{
			{Account: receivable(o.ID), AmountFen: u.AmountFen},
			{Account: revenue(u.RevenueSource), AmountFen: -u.AmountFen},
		},
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// unitPrice is metric's price in the tenant's price list, and whether it
// has one.
func unitPrice(ctx context.Context, tx bun.IDB, metric string) (int64, bool, error) {
	row := new(priceRow)
	err := db.Select(ctx, tx, row).Where("bpr.metric = ?", metric).Scan(ctx)
	if err == nil {
		return row.UnitFen, true, nil
	}
	if err = db.NotFound(err, nil); err != nil {
		return 0, false, fmt.Errorf("price of %s: %w", metric, err)
	}
	fen, ok := DefaultPrices[metric]
	return fen, ok, nil
}

// PostUsage records usage for the tenant admin (Record with source
// "admin" unless in names one). p needs PermManage in the tenant's
// domain. Errors as Record.
func (s *Service) PostUsage(ctx context.Context, p *identity.Principal, in UsageInput) (*UsageRecord, error) {
	if _, err := s.checkTenant(ctx, p, PermManage); err != nil {
		return nil, err
	}
	if in.Source == "" {
		in.Source = "admin"
	}
	var u *UsageRecord
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		u, err = s.record(ctx, tx, in, actorOf(p))
		return err
	})
	return u, err
}
