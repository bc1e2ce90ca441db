package invoicing

import (
	"context"
	"fmt"
	"math/bits"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/validate"
	"github.com/jishi-dev/jishi/tenants"
)

// Invoice is one owner's invoice for one period.
type Invoice struct {
	bun.BaseModel `bun:"table:invoices,alias:i"`

	TenantID  string `bun:"tenant_id,pk" json:"-"`
	ID        string `bun:"id,pk" json:"id"`
	Number    string `bun:"number,notnull" json:"number"`
	OwnerKind string `bun:"owner_kind,notnull" json:"owner_kind"`
	OwnerID   string `bun:"owner_id,notnull" json:"owner_id"`
	OwnerName string `bun:"owner_name,notnull" json:"owner_name"`
	Period    string `bun:"period,notnull" json:"period"`
	Status    string `bun:"status,notnull" json:"status"`
	Currency  string `bun:"currency,notnull" json:"currency"`
	// FeesFen are the plan fees, UsageFen the priced usage, CreditFen the
	// promotional credits applied; TotalFen = FeesFen + UsageFen −
	// CreditFen.
	FeesFen   int64 `bun:"fees_fen,notnull" json:"fees_fen"`
	UsageFen  int64 `bun:"usage_fen,notnull" json:"usage_fen"`
	CreditFen int64 `bun:"credit_fen,notnull" json:"credit_fen"`
	TotalFen  int64 `bun:"total_fen,notnull" json:"total_fen"`
	// CommissionFen is the commission withheld from the shop's orders in
	// the period (informational: posted per order, not in the total).
	CommissionFen int64 `bun:"commission_fen,notnull" json:"commission_fen"`
	// SettledFen was taken from the shop's payable balance; PaidFen paid
	// by Stripe or offline.
	SettledFen      int64      `bun:"settled_fen,notnull" json:"settled_fen"`
	PaidFen         int64      `bun:"paid_fen,notnull" json:"paid_fen"`
	CollectorRef    string     `bun:"collector_ref,notnull" json:"collector_ref,omitempty"`
	CollectError    string     `bun:"collect_error,notnull" json:"collect_error,omitempty"`
	PaidMethod      string     `bun:"paid_method,notnull" json:"paid_method,omitempty"`
	VoidReason      string     `bun:"void_reason,notnull" json:"void_reason,omitempty"`
	CreditsReleased bool       `bun:"credits_released,notnull" json:"-"`
	IssuedAt        *time.Time `bun:"issued_at" json:"issued_at,omitempty"`
	PaidAt          *time.Time `bun:"paid_at" json:"paid_at,omitempty"`
	VoidedAt        *time.Time `bun:"voided_at" json:"voided_at,omitempty"`
	CreatedAt       time.Time  `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt       time.Time  `bun:"updated_at,notnull" json:"updated_at"`

	// DueFen is what is still to pay: TotalFen − SettledFen − PaidFen on
	// an open invoice, 0 otherwise.
	DueFen   int64      `bun:"-" json:"due_fen"`
	Lines    []*Line    `bun:"-" json:"lines,omitempty"`
	Payments []*Payment `bun:"-" json:"payments,omitempty"`
}

// due is what an open invoice still has receivable.
func (inv *Invoice) due() int64 { return inv.TotalFen - inv.SettledFen - inv.PaidFen }

// fill sets the derived fields.
func (inv *Invoice) fill() {
	inv.DueFen = 0
	if inv.Status == StatusOpen || inv.Status == StatusDraft {
		inv.DueFen = inv.due()
	}
}

// Line is one line of an invoice.
type Line struct {
	bun.BaseModel `bun:"table:invoice_lines,alias:il"`

	TenantID  string `bun:"tenant_id,pk" json:"-"`
	InvoiceID string `bun:"invoice_id,pk" json:"-"`
	LineNo    int    `bun:"line_no,pk" json:"line_no"`
	Kind      string `bun:"kind,notnull" json:"kind"`
	// Label is the plan's name for a plan line, the metric otherwise;
	// Detail the plan year or month.
	Label  string  `bun:"label,notnull" json:"label"`
	Detail string  `bun:"detail,notnull" json:"detail,omitempty"`
	Metric string  `bun:"metric,notnull" json:"metric,omitempty"`
	Source string  `bun:"source,notnull" json:"source,omitempty"` // "record" or "plugin:{name}" for usage
	PlanID *string `bun:"plan_id" json:"plan_id,omitempty"`
	// GrantID is the credit grant a credit line applied.
	GrantID  *string `bun:"grant_id" json:"grant_id,omitempty"`
	Quantity int64   `bun:"quantity,notnull" json:"quantity"`
	UnitFen  int64   `bun:"unit_fen,notnull" json:"unit_fen"`
	// AmountFen: Quantity × UnitFen; negative on credit lines.
	AmountFen     int64  `bun:"amount_fen,notnull" json:"amount_fen"`
	RevenueSource string `bun:"revenue_source,notnull" json:"revenue_source,omitempty"`
	// Priced is false for plugin usage of a metric without a price,
	// listed at 0.
	Priced bool `bun:"priced,notnull" json:"priced"`
}

// Payment is money received for an invoice.
type Payment struct {
	bun.BaseModel `bun:"table:invoice_payments,alias:ip"`

	TenantID  string    `bun:"tenant_id,pk" json:"-"`
	ID        string    `bun:"id,pk" json:"id"`
	InvoiceID string    `bun:"invoice_id,notnull" json:"invoice_id"`
	Method    string    `bun:"method,notnull" json:"method"`
	Ref       string    `bun:"ref,notnull" json:"ref"`
	AmountFen int64     `bun:"amount_fen,notnull" json:"amount_fen"`
	Note      string    `bun:"note,notnull" json:"note,omitempty"`
	ActorID   *string   `bun:"actor_id" json:"actor_id,omitempty"`
	CreatedAt time.Time `bun:"created_at,notnull" json:"created_at"`
}

// run is the month-end run of a tenant and period (invoice_runs).
type run struct {
	bun.BaseModel `bun:"table:invoice_runs,alias:ir"`

	TenantID    string     `bun:"tenant_id,pk"`
	Period      string     `bun:"period,pk"`
	ScheduledAt *time.Time `bun:"scheduled_at"`
	LastRunAt   *time.Time `bun:"last_run_at"`
	Generated   int        `bun:"generated,notnull"`
	Issued      int        `bun:"issued,notnull"`
	Error       string     `bun:"error,notnull"`
	CreatedAt   time.Time  `bun:"created_at,notnull"`
}

// lockRun makes sure the run row of period exists and, on PostgreSQL,
// locks it: generating and issuing a period take turns.
func (s *Service) lockRun(ctx context.Context, tx bun.IDB, period string) error {
	r := &run{TenantID: db.TenantID(ctx), Period: period, CreatedAt: s.now().UTC()}
	if _, err := tx.NewInsert().Model(r).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("run of %s: %w", period, err)
	}
	if s.DB.Engine != db.Postgres {
		return nil // SQLite: the transaction holds the only write lock
	}
	var got string
	if err := db.Select(ctx, tx, (*run)(nil)).Column("ir.period").Where("ir.period = ?", period).For("UPDATE").Scan(ctx, &got); err != nil {
		return fmt.Errorf("lock run of %s: %w", period, err)
	}
	return nil
}

// periodData is what invoicing one period reads, per owner.
type periodData struct {
	period     Period
	start, end time.Time
	owners     map[string]*Owner
	plans      map[string]*Plan
	assigned   map[string]*Assignment // in force in the period, by owner
	usage      map[string][]*Line     // recorded usage, by owner
	plugin     map[string][]*Line     // plugins' usage, by owner
	commission map[string]int64       // by shop
	grants     map[string][]*CreditGrant
}

// load reads the period's data for every owner, or for owner only.
func (s *Service) load(ctx context.Context, tx bun.IDB, p Period, loc *time.Location, only string) (*periodData, error) {
	tid := db.TenantID(ctx)
	d := &periodData{period: p, plans: map[string]*Plan{}, assigned: map[string]*Assignment{}, usage: map[string][]*Line{},
		plugin: map[string][]*Line{}, commission: map[string]int64{}, grants: map[string][]*CreditGrant{}}
	d.start, d.end = p.Bounds(loc)
	var err error
	if only != "" {
		o, err := loadOwner(ctx, tx, only)
		if err != nil {
			return nil, err
		}
		d.owners = map[string]*Owner{o.ID: o}
	} else if d.owners, err = owners(ctx, tx); err != nil {
		return nil, err
	}
	filter := func(q *bun.SelectQuery, col string) *bun.SelectQuery {
		if only != "" {
			q = q.Where(col+" = ?", only)
		}
		return q
	}

	var ps []*Plan
	if err := db.Select(ctx, tx, &ps).Scan(ctx); err != nil {
		return nil, fmt.Errorf("plans: %w", err)
	}
	for _, pl := range ps {
		d.plans[pl.ID] = pl
	}
	var as []*Assignment
	if err := filter(db.Select(ctx, tx, &as), "ba.owner_id").Where("ba.starts_on <= ?", p.LastDay()).
		OrderExpr("ba.starts_on").Scan(ctx); err != nil {
		return nil, fmt.Errorf("plan assignments: %w", err)
	}
	for _, a := range as {
		d.assigned[a.OwnerID] = a // the latest start wins
	}

	var us []struct {
		OwnerID       string `bun:"owner_id"`
		Metric        string `bun:"metric"`
		UnitFen       int64  `bun:"unit_fen"`
		RevenueSource string `bun:"revenue_source"`
		Qty           int64  `bun:"qty"`
		Amount        int64  `bun:"amount"`
	}
	q := tx.NewSelect().TableExpr("usage_records AS ur").
		ColumnExpr("CAST(ur.owner_id AS text) AS owner_id, ur.metric, ur.unit_fen, ur.revenue_source").
		ColumnExpr("CAST(SUM(ur.quantity) AS bigint) AS qty, CAST(SUM(ur.amount_fen) AS bigint) AS amount").
		Where("ur.tenant_id = ?", tid).Where("ur.period = ?", p.String()).
		GroupExpr("ur.owner_id, ur.metric, ur.unit_fen, ur.revenue_source")
	if err := filter(q, "ur.owner_id").Scan(ctx, &us); err != nil {
		return nil, fmt.Errorf("usage of %s: %w", p, err)
	}
	for _, u := range us {
		d.usage[u.OwnerID] = append(d.usage[u.OwnerID], &Line{Kind: LineUsage, Label: u.Metric, Metric: u.Metric, Source: "record",
			Quantity: u.Qty, UnitFen: u.UnitFen, AmountFen: u.Amount, RevenueSource: u.RevenueSource, Priced: true})
	}

	prices, err := priceList(ctx, tx)
	if err != nil {
		return nil, err
	}
	var pu []struct {
		ShopID string `bun:"shop_id"`
		Plugin string `bun:"plugin"`
		Metric string `bun:"metric"`
		Qty    int64  `bun:"qty"`
	}
	q = tx.NewSelect().TableExpr("plugin_usage AS pu").
		ColumnExpr("pu.shop_id, pu.plugin, pu.metric, CAST(SUM(pu.quantity) AS bigint) AS qty").
		Where("pu.tenant_id = ?", tid).Where("pu.shop_id <> ''").
		Where("pu.occurred_at >= ?", d.start).Where("pu.occurred_at < ?", d.end).
		GroupExpr("pu.shop_id, pu.plugin, pu.metric")
	if err := filter(q, "pu.shop_id").Scan(ctx, &pu); err != nil {
		return nil, fmt.Errorf("plugin usage of %s: %w", p, err)
	}
	for _, u := range pu {
		l := &Line{Kind: LineUsage, Label: u.Metric, Metric: u.Metric, Source: "plugin:" + u.Plugin, Quantity: u.Qty,
			RevenueSource: RevenueSource(u.Metric)}
		if pr := prices[u.Metric]; pr != nil && u.Qty <= MaxQuantity {
			l.UnitFen, l.AmountFen, l.Priced = pr.UnitFen, u.Qty*pr.UnitFen, true
		}
		d.plugin[u.ShopID] = append(d.plugin[u.ShopID], l)
	}

	var cs []struct {
		ShopID string `bun:"shop_id"`
		Fen    int64  `bun:"fen"`
	}
	q = tx.NewSelect().TableExpr("postings AS po").
		ColumnExpr("CAST(lo.shop_id AS text) AS shop_id, CAST(SUM(-po.amount_fen) AS bigint) AS fen").
		Join("JOIN journal_entries AS je ON je.tenant_id = po.tenant_id AND je.id = po.entry_id").
		Join("JOIN ledger_orders AS lo ON lo.tenant_id = je.tenant_id AND lo.order_ref = je.order_ref").
		Where("po.tenant_id = ?", tid).Where("po.account_kind = ?", billing.AccountCommission).Where("po.account_owner = ''").
		Where("je.created_at >= ?", d.start).Where("je.created_at < ?", d.end).
		GroupExpr("lo.shop_id")
	if err := filter(q, "lo.shop_id").Scan(ctx, &cs); err != nil {
		return nil, fmt.Errorf("commission of %s: %w", p, err)
	}
	for _, c := range cs {
		d.commission[c.ShopID] = c.Fen
	}

	gs, err := s.grants(ctx, tx, only)
	if err != nil {
		return nil, err
	}
	for _, g := range gs {
		if g.Remaining > 0 && g.ExpiresAt.After(d.start) && g.CreatedAt.Before(d.end) {
			d.grants[g.OwnerID] = append(d.grants[g.OwnerID], g)
		}
	}
	return d, nil
}

// planLine is the fee line of owner's plan in force, if one is due this
// period.
func (d *periodData) planLine(ownerID string) *Line {
	a := d.assigned[ownerID]
	if a == nil {
		return nil
	}
	pl := d.plans[a.PlanID]
	if pl == nil {
		return nil
	}
	l := &Line{Kind: LinePlan, Label: pl.Name, PlanID: ptr(pl.ID), Quantity: 1, UnitFen: pl.FeeFen, AmountFen: pl.FeeFen,
		RevenueSource: pl.RevenueSource, Priced: true, Detail: d.period.String()}
	if pl.Interval == Annual {
		months := d.period.index() - periodOfDate(a.StartsOn).index()
		if months%12 != 0 {
			return nil
		}
		last := d.period
		for range 11 {
			last = last.Next()
		}
		l.Detail = d.period.String() + " – " + last.String()
	}
	return l
}

// lines builds owner's invoice lines for the period, numbered; nil when
// there is nothing to invoice.
func (d *periodData) lines(o *Owner) []*Line {
	var ls []*Line
	if l := d.planLine(o.ID); l != nil {
		ls = append(ls, l)
	}
	usage := append(append([]*Line{}, d.usage[o.ID]...), d.plugin[o.ID]...)
	sort.SliceStable(usage, func(i, j int) bool {
		a, b := usage[i], usage[j]
		if a.Metric != b.Metric {
			return a.Metric < b.Metric
		}
		if a.UnitFen != b.UnitFen {
			return a.UnitFen > b.UnitFen
		}
		return a.Source < b.Source
	})
	ls = append(ls, usage...)
	ls = append(ls, d.credits(o.ID, usage)...)
	if c := d.commission[o.ID]; c != 0 && o.Kind == OwnerShop {
		ls = append(ls, &Line{Kind: LineCommission, Label: "commission", Detail: d.period.String(), AmountFen: c, Priced: true})
	}
	if len(ls) == 0 {
		return nil
	}
	for i, l := range ls {
		l.LineNo = i
	}
	return ls
}

// credits applies owner's grants (soonest expiry first) to its priced
// usage of their metrics, dearest unit price first: one credit line per
// grant and usage line.
func (d *periodData) credits(ownerID string, usage []*Line) []*Line {
	var out []*Line
	left := map[string]int64{} // per grant
	for _, g := range d.grants[ownerID] {
		left[g.ID] = g.Remaining
	}
	for _, u := range usage {
		if !u.Priced || u.UnitFen == 0 {
			continue
		}
		need := u.Quantity
		for _, g := range d.grants[ownerID] {
			if need == 0 {
				break
			}
			if g.Metric != u.Metric || left[g.ID] == 0 {
				continue
			}
			q := min(need, left[g.ID])
			left[g.ID] -= q
			need -= q
			out = append(out, &Line{Kind: LineCredit, Label: u.Metric, Metric: u.Metric, Source: u.Source, GrantID: ptr(g.ID),
				Quantity: q, UnitFen: u.UnitFen, AmountFen: -q * u.UnitFen, RevenueSource: u.RevenueSource, Priced: true})
		}
	}
	return out
}

// totals sets inv's amounts from its lines.
func (inv *Invoice) totals() {
	inv.FeesFen, inv.UsageFen, inv.CreditFen, inv.CommissionFen = 0, 0, 0, 0
	for _, l := range inv.Lines {
		switch l.Kind {
		case LinePlan:
			inv.FeesFen += l.AmountFen
		case LineUsage:
			inv.UsageFen += l.AmountFen
		case LineCredit:
			inv.CreditFen -= l.AmountFen
		case LineCommission:
			inv.CommissionFen += l.AmountFen
		}
	}
	inv.TotalFen = inv.FeesFen + inv.UsageFen - inv.CreditFen
}

// RunResult says what generating a period did.
type RunResult struct {
	Period string `json:"period"`
	// Created drafts, Refreshed drafts recomputed, Skipped invoices
	// already issued (open, paid or void) and left as they are.
	Created   int `json:"created"`
	Refreshed int `json:"refreshed"`
	Skipped   int `json:"skipped"`
	// Issued drafts (when asked), of which Paid were paid in full from the
	// payable balance (or had nothing due) and Collected were handed to
	// the Collector.
	Issued    int `json:"issued"`
	Paid      int `json:"paid"`
	Collected int `json:"collected"`
}

// checkPeriod parses period and checks it has begun (and ended, for
// issuing) in the tenant's zone.
func (s *Service) checkPeriod(t *tenants.Tenant, period string, issue bool) (Period, error) {
	p, err := ParsePeriod(period)
	if err != nil {
		return p, err
	}
	now := s.now()
	start, end := p.Bounds(t.Location())
	var fe core.FieldErrors
	if start.After(now) {
		fe.Add("period", "invoicing.field.period_future")
	} else if issue && end.After(now) {
		fe.Add("period", "invoicing.field.period_open")
	}
	return p, fe.Err()
}

// Generate makes or refreshes the drafts of every owner of the tenant in
// ctx with something to invoice in period ("YYYY-MM"), in tx; invoices
// already issued are left alone, so running it again duplicates nothing.
// With issue, it then issues every draft of the period (see
// IssueInvoice). The flagship store is not invoiced. Returns Invalid on
// "period" when it is malformed or has not begun (with issue: not ended)
// in the tenant's time zone. actor is who asked ("" for the month-end
// job).
func (s *Service) Generate(ctx context.Context, tx bun.IDB, period string, issue bool, actor string) (*RunResult, error) {
	t := tenants.MustFromContext(ctx)
	p, err := s.checkPeriod(t, period, issue)
	if err != nil {
		return nil, err
	}
	if err := s.lockRun(ctx, tx, p.String()); err != nil {
		return nil, err
	}
	d, err := s.load(ctx, tx, p, t.Location(), "")
	if err != nil {
		return nil, err
	}
	var existing []*Invoice
	if err := db.Select(ctx, tx, &existing).Where("i.period = ?", p.String()).Scan(ctx); err != nil {
		return nil, fmt.Errorf("invoices of %s: %w", p, err)
	}
	byOwner := map[string]*Invoice{}
	for _, inv := range existing {
		byOwner[inv.OwnerID] = inv
	}
	res := &RunResult{Period: p.String()}
	ids := make([]string, 0, len(d.owners))
	for id, o := range d.owners {
		if !o.Flagship {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := d.owners[ids[i]], d.owners[ids[j]]
		if a.Kind != b.Kind {
			return a.Kind == OwnerShop
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	now := s.now().UTC()
	seq := len(existing)
	var fresh, refreshed, drafts []*Invoice
	for _, id := range ids {
		o := d.owners[id]
		inv := byOwner[id]
		if inv != nil && inv.Status != StatusDraft {
			res.Skipped++
			continue
		}
		ls := d.lines(o)
		if inv == nil {
			if ls == nil {
				continue
			}
			seq++
			inv = &Invoice{TenantID: t.ID, ID: tenants.NewID(), Number: fmt.Sprintf("INV-%04d%02d-%05d", p.Year, int(p.Month), seq),
				OwnerKind: o.Kind, OwnerID: o.ID, Period: p.String(), Status: StatusDraft, Currency: t.Currency, CreatedAt: now}
			fresh = append(fresh, inv)
		} else {
			refreshed = append(refreshed, inv)
		}
		inv.OwnerName, inv.UpdatedAt, inv.Lines = o.Name, now, ls
		for _, l := range ls {
			l.TenantID, l.InvoiceID = t.ID, inv.ID
		}
		inv.totals()
		drafts = append(drafts, inv)
	}
	if err := s.saveDrafts(ctx, tx, fresh, refreshed); err != nil {
		return nil, err
	}
	res.Created, res.Refreshed = len(fresh), len(refreshed)
	if issue {
		for _, inv := range drafts {
			if err := s.issue(ctx, tx, inv, d.owners[inv.OwnerID], actor, res); err != nil {
				return nil, fmt.Errorf("issue %s: %w", inv.Number, err)
			}
		}
	}
	return res, nil
}

// saveDrafts inserts new drafts and rewrites refreshed ones, with their
// lines.
func (s *Service) saveDrafts(ctx context.Context, tx bun.IDB, fresh, refreshed []*Invoice) error {
	var lines []*Line
	if len(fresh) > 0 {
		for _, inv := range fresh {
			lines = append(lines, inv.Lines...)
		}
		if _, err := tx.NewInsert().Model(&fresh).Exec(ctx); err != nil {
			return fmt.Errorf("create invoices: %w", err)
		}
	}
	if len(refreshed) > 0 {
		ids := make([]string, len(refreshed))
		for i, inv := range refreshed {
			ids[i] = inv.ID
			lines = append(lines, inv.Lines...)
		}
		if _, err := db.Delete(ctx, tx, (*Line)(nil)).Where("invoice_id IN (?)", bun.List(ids)).Exec(ctx); err != nil {
			return fmt.Errorf("clear draft lines: %w", err)
		}
		for _, inv := range refreshed {
			r, err := db.Update(ctx, tx, inv).
				Column("owner_name", "fees_fen", "usage_fen", "credit_fen", "total_fen", "commission_fen", "updated_at").
				WherePK().Where("i.status = ?", StatusDraft).Exec(ctx)
			if err != nil {
				return fmt.Errorf("refresh invoice %s: %w", inv.Number, err)
			}
			if n, _ := r.RowsAffected(); n != 1 {
				return errConcurrent
			}
		}
	}
	for i := 0; i < len(lines); i += 1000 {
		chunk := lines[i:min(i+1000, len(lines))]
		if _, err := tx.NewInsert().Model(&chunk).Exec(ctx); err != nil {
			return fmt.Errorf("write invoice lines: %w", err)
		}
	}
	return nil
}

// issue opens draft inv (its lines as computed): posts plugin usage and
// the fees less credits, settles from the shop's payable balance, then
// hands what is left to the Collector.
func (s *Service) issue(ctx context.Context, tx bun.IDB, inv *Invoice, o *Owner, actor string, res *RunResult) error {
	now := s.now().UTC()
	plugin := billing.Entry{Kind: billing.KindUsage, Reference: inv.Number, ActorID: actor,
		Memo: memo(inv.Period + " plugin usage · " + inv.OwnerName)}
	issued := billing.Entry{Kind: billing.KindInvoiceIssued, Reference: inv.Number, ActorID: actor,
		Memo: memo(inv.Period + " · " + inv.OwnerName)}
	for _, l := range inv.Lines {
		switch {
		case l.Kind == LineUsage && strings.HasPrefix(l.Source, "plugin:") && l.AmountFen > 0:
			plugin.Lines = append(plugin.Lines, billing.Line{Account: receivable(inv.OwnerID), AmountFen: l.AmountFen},
				billing.Line{Account: revenue(l.RevenueSource), AmountFen: -l.AmountFen})
		case l.Kind == LinePlan && l.AmountFen > 0:
			issued.Lines = append(issued.Lines, billing.Line{Account: receivable(inv.OwnerID), AmountFen: l.AmountFen},
				billing.Line{Account: revenue(l.RevenueSource), AmountFen: -l.AmountFen})
		case l.Kind == LineCredit && l.AmountFen < 0:
			issued.Lines = append(issued.Lines, billing.Line{Account: billing.Promotion, AmountFen: -l.AmountFen},
				billing.Line{Account: receivable(inv.OwnerID), AmountFen: l.AmountFen})
		}
	}
	if err := s.post(ctx, tx, plugin); err != nil {
		return err
	}
	if err := s.post(ctx, tx, issued); err != nil {
		return err
	}
	inv.Status, inv.IssuedAt = StatusOpen, &now
	if o != nil && o.Kind == OwnerShop && inv.due() > 0 {
		pos, err := s.Ledger.Position(ctx, tx, inv.OwnerID)
		if err != nil {
			return err
		}
		if pos.OwedFen > 0 {
			amt := min(pos.OwedFen, inv.due())
			err := s.post(ctx, tx, billing.Entry{Kind: billing.KindInvoiceSettled, Reference: inv.Number, ActorID: actor,
				Memo: memo(inv.Period + " · " + inv.OwnerName),
				Lines: []billing.Line{
					{Account: billing.ShopPayable(inv.OwnerID), AmountFen: amt},
					{Account: receivable(inv.OwnerID), AmountFen: -amt},
				}})
			if err != nil {
				return err
			}
			pm := &Payment{TenantID: inv.TenantID, ID: tenants.NewID(), InvoiceID: inv.ID, Method: MethodPayable, Ref: inv.ID,
				AmountFen: amt, CreatedAt: now}
			if actor != "" {
				pm.ActorID = &actor
			}
			if _, err := tx.NewInsert().Model(pm).Exec(ctx); err != nil {
				return fmt.Errorf("record settlement: %w", err)
			}
			inv.SettledFen += amt
		}
	}
	if inv.due() == 0 {
		inv.Status, inv.PaidAt = StatusPaid, &now
		if inv.SettledFen > 0 {
			inv.PaidMethod = MethodPayable
		}
	}
	inv.UpdatedAt = now
	r, err := db.Update(ctx, tx, inv).Column("status", "issued_at", "settled_fen", "paid_at", "paid_method", "updated_at").
		WherePK().Where("i.status = ?", StatusDraft).Exec(ctx)
	if err != nil {
		return fmt.Errorf("open invoice: %w", err)
	}
	if n, _ := r.RowsAffected(); n != 1 {
		return errConcurrent
	}
	res.Issued++
	if inv.Status == StatusPaid {
		res.Paid++
		return nil
	}
	if s.Collector == nil {
		return nil
	}
	inv.fill()
	ref, cerr := s.Collector.Collect(ctx, tx, inv)
	if cerr != nil {
		inv.CollectError = memo(cerr.Error())
	} else {
		inv.CollectorRef, inv.CollectError = ref, ""
		if ref != "" {
			res.Collected++
		}
	}
	if _, err := db.Update(ctx, tx, inv).Column("collector_ref", "collect_error").WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("record collection: %w", err)
	}
	return nil
}

// lockInvoice reads invoice id of the tenant in ctx, locked for update on
// PostgreSQL.
func (s *Service) lockInvoice(ctx context.Context, tx bun.IDB, id string) (*Invoice, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	inv := new(Invoice)
	q := db.Select(ctx, tx, inv).Where("i.id = ?", id)
	if s.DB.Engine == db.Postgres {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return inv, nil
}

// withLines reads inv's lines and payments.
func withLines(ctx context.Context, tx bun.IDB, inv *Invoice) error {
	inv.Lines, inv.Payments = []*Line{}, []*Payment{}
	if err := db.Select(ctx, tx, &inv.Lines).Where("il.invoice_id = ?", inv.ID).OrderExpr("il.line_no").Scan(ctx); err != nil {
		return fmt.Errorf("lines of %s: %w", inv.Number, err)
	}
	if err := db.Select(ctx, tx, &inv.Payments).Where("ip.invoice_id = ?", inv.ID).OrderExpr("ip.created_at, ip.id").Scan(ctx); err != nil {
		return fmt.Errorf("payments of %s: %w", inv.Number, err)
	}
	inv.fill()
	return nil
}

// IssueInvoice opens draft id: its lines are computed once more from the
// period's usage, plans and credits; plugin usage and the fees less
// credits are posted; the shop's payable balance settles what it can
// (billing.Service.Position: OwedFen > 0) and the Collector gets the
// rest; an invoice with nothing left due is paid. p needs PermManage in
// the tenant's domain. NotFound for other tenants' invoices; Conflict
// when it is not a draft; Invalid on "period" when its period has not
// ended.
func (s *Service) IssueInvoice(ctx context.Context, p *identity.Principal, id string) (*Invoice, error) {
	t, err := s.checkTenant(ctx, p, PermManage)
	if err != nil {
		return nil, err
	}
	var inv *Invoice
	err = s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if inv, err = s.lockInvoice(ctx, tx, id); err != nil {
			return err
		}
		if inv.Status != StatusDraft {
			return errNotDraft
		}
		per, err := s.checkPeriod(t, inv.Period, true)
		if err != nil {
			return err
		}
		if err := s.lockRun(ctx, tx, inv.Period); err != nil {
			return err
		}
		d, err := s.load(ctx, tx, per, t.Location(), inv.OwnerID)
		if err != nil {
			return err
		}
		o := d.owners[inv.OwnerID]
		inv.Lines = d.lines(o)
		for _, l := range inv.Lines {
			l.TenantID, l.InvoiceID = t.ID, inv.ID
		}
		inv.OwnerName, inv.UpdatedAt = o.Name, s.now().UTC()
		inv.totals()
		if err := s.saveDrafts(ctx, tx, nil, []*Invoice{inv}); err != nil {
			return err
		}
		return s.issue(ctx, tx, inv, o, actorOf(p), &RunResult{})
	})
	if err != nil {
		return nil, err
	}
	return s.Invoice(ctx, p, id)
}

// GeneratePeriod is Generate for the tenant admin ("generate invoices for
// period X"), in a transaction of its own. p needs PermManage in the
// tenant's domain. Errors as Generate.
func (s *Service) GeneratePeriod(ctx context.Context, p *identity.Principal, period string, issue bool) (*RunResult, error) {
	if _, err := s.checkTenant(ctx, p, PermManage); err != nil {
		return nil, err
	}
	var res *RunResult
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		res, err = s.Generate(ctx, tx, period, issue, actorOf(p))
		return err
	})
	return res, err
}

// tenderOf is the account an invoice payment by method comes from:
// platform_cash offline, the provider's tender_clearing otherwise.
func tenderOf(method string) (billing.Account, bool) {
	if method == MethodOffline {
		return billing.PlatformCash, true
	}
	if method == MethodPayable || !sourceRE.MatchString(method) || strings.ContainsAny(method, ".:-") {
		return billing.Account{}, false
	}
	return billing.TenderClearing(method), true
}

// MarkPaid records that open invoice invoiceID was paid in full of what
// it had due, by method ("offline", or a payment provider such as
// "stripe"), in tx (the caller's, bound to the invoice's tenant): posts
// billing.KindInvoicePaid (debit platform_cash offline, else
// tender_clearing of the provider; credit invoice_receivable). Idempotent
// on (method, ref): a second call with them changes nothing and returns
// nil. Returns NotFound for other tenants' invoices; Conflict
// (invoicing.error.already_paid) when it is paid already by another
// reference, (invoicing.error.not_open) when it is a draft or void;
// Invalid on "method" or "ref" (required, up to 100, and not used for
// another invoice).
func (s *Service) MarkPaid(ctx context.Context, tx bun.IDB, invoiceID, method, ref string) error {
	_, err := s.markPaid(ctx, tx, invoiceID, method, ref, "", "")
	return err
}

func (s *Service) markPaid(ctx context.Context, tx bun.IDB, id, method, ref, note, actor string) (*Invoice, error) {
	var fe core.FieldErrors
	tender, ok := tenderOf(method)
	if !ok {
		fe.Add("method", "invoicing.field.method_invalid")
	}
	checkRef(&fe, "ref", ref)
	if len([]rune(note)) > NoteMax {
		fe.Add("note", "field.too_long")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	prev := new(Payment)
	err := db.Select(ctx, tx, prev).Where("ip.method = ?", method).Where("ip.ref = ?", ref).Scan(ctx)
	if err == nil {
		if prev.InvoiceID != id {
			fe.Add("ref", "invoicing.field.ref_used")
			return nil, fe.Err()
		}
		return s.lockInvoice(ctx, tx, id) // a replay: nothing more to do
	}
	if err = db.NotFound(err, nil); err != nil {
		return nil, fmt.Errorf("look up payment %s: %w", ref, err)
	}
	inv, err := s.lockInvoice(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	switch inv.Status {
	case StatusPaid:
		return nil, errAlreadyPaid
	case StatusDraft, StatusVoid:
		return nil, errNotOpen
	}
	due, now := inv.due(), s.now().UTC()
	err = s.post(ctx, tx, billing.Entry{Kind: billing.KindInvoicePaid, Reference: inv.Number, ActorID: actor,
		Memo: memo(method + " " + ref),
		Lines: []billing.Line{
			{Account: tender, AmountFen: due},
			{Account: receivable(inv.OwnerID), AmountFen: -due},
		}})
	if err != nil {
		return nil, err
	}
	pm := &Payment{TenantID: inv.TenantID, ID: tenants.NewID(), InvoiceID: inv.ID, Method: method, Ref: ref, AmountFen: due,
		Note: note, CreatedAt: now}
	if actor != "" {
		pm.ActorID = &actor
	}
	res, err := tx.NewInsert().Model(pm).On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("record payment: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, errConcurrent
	}
	old := inv.PaidFen
	inv.PaidFen += due
	inv.Status, inv.PaidAt, inv.PaidMethod, inv.UpdatedAt = StatusPaid, &now, method, now
	r, err := db.Update(ctx, tx, inv).Column("status", "paid_fen", "paid_at", "paid_method", "updated_at").WherePK().
		Where("i.status = ?", StatusOpen).Where("i.paid_fen = ?", old).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("mark invoice paid: %w", err)
	}
	if n, _ := r.RowsAffected(); n != 1 {
		return nil, errConcurrent
	}
	return inv, nil
}

// InvoiceByCollectorRef returns the id of the invoice whose collection
// the Collector answered ref for (the Stripe invoice id), in the tenant
// of ctx; NotFound when there is none. For the Stripe webhook, which then
// calls MarkPaid.
func (s *Service) InvoiceByCollectorRef(ctx context.Context, idb bun.IDB, ref string) (string, error) {
	if ref == "" {
		return "", errNotFound
	}
	var id string
	err := db.Select(ctx, idb, (*Invoice)(nil)).Column("i.id").Where("i.collector_ref = ?", ref).Limit(1).Scan(ctx, &id)
	if err != nil {
		return "", db.NotFound(err, errNotFound)
	}
	return id, nil
}

// MarkPaidOffline records that the tenant admin received what open
// invoice id had due, with the receipt or transfer reference ref and a
// note (MarkPaid with method "offline"). p needs PermManage in the
// tenant's domain. Errors as MarkPaid.
func (s *Service) MarkPaidOffline(ctx context.Context, p *identity.Principal, id, ref, note string) (*Invoice, error) {
	if _, err := s.checkTenant(ctx, p, PermManage); err != nil {
		return nil, err
	}
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		_, err := s.markPaid(ctx, tx, id, MethodOffline, strings.TrimSpace(ref), strings.TrimSpace(note), actorOf(p))
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Invoice(ctx, p, id)
}

// Canceller is implemented by a Collector that can take back a
// collection (void the Stripe invoice) when its invoice is voided; Cancel
// runs in the voiding transaction.
type Canceller interface {
	Cancel(ctx context.Context, tx bun.IDB, inv *Invoice) error
}

// VoidInvoice voids draft or open invoice id with a reason (1–200
// characters): what it still has due is reversed in the ledger
// (billing.KindInvoiceVoided: credit invoice_receivable, debit the
// revenue of its lines and credit platform_promotion in proportion, so
// the part already settled or paid stays earned). Credits it applied are
// given back when nothing of it had been settled or paid. p needs
// PermManage in the tenant's domain. NotFound for other tenants'
// invoices; Conflict when it is paid (invoicing.error.already_paid) or
// void already (invoicing.error.not_open); Invalid on "reason".
func (s *Service) VoidInvoice(ctx context.Context, p *identity.Principal, id, reason string) (*Invoice, error) {
	if _, err := s.checkTenant(ctx, p, PermManage); err != nil {
		return nil, err
	}
	var fe core.FieldErrors
	reason = validate.Text(&fe, "reason", reason, 1, NoteMax)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		inv, err := s.lockInvoice(ctx, tx, id)
		if err != nil {
			return err
		}
		switch inv.Status {
		case StatusPaid:
			return errAlreadyPaid
		case StatusVoid:
			return errNotOpen
		}
		if inv.Status == StatusOpen {
			if err := withLines(ctx, tx, inv); err != nil {
				return err
			}
			if due := inv.due(); due > 0 {
				lines := append(voidLines(inv, due), billing.Line{Account: receivable(inv.OwnerID), AmountFen: -due})
				err := s.post(ctx, tx, billing.Entry{Kind: billing.KindInvoiceVoided, Reference: inv.Number, ActorID: actorOf(p),
					Memo: memo(reason), Lines: lines})
				if err != nil {
					return err
				}
			}
			if c, ok := s.Collector.(Canceller); ok && inv.CollectorRef != "" {
				if err := c.Cancel(ctx, tx, inv); err != nil {
					return err
				}
			}
		}
		now := s.now().UTC()
		was := inv.Status
		inv.Status, inv.VoidedAt, inv.VoidReason, inv.UpdatedAt = StatusVoid, &now, reason, now
		inv.CreditsReleased = inv.SettledFen+inv.PaidFen == 0
		r, err := db.Update(ctx, tx, inv).Column("status", "voided_at", "void_reason", "credits_released", "updated_at").WherePK().
			Where("i.status = ?", was).Exec(ctx)
		if err != nil {
			return fmt.Errorf("void invoice: %w", err)
		}
		if n, _ := r.RowsAffected(); n != 1 {
			return errConcurrent
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Invoice(ctx, p, id)
}

// voidLines are the debits of revenue and the credit of promotion that
// reverse due (of inv.TotalFen) in proportion: the promotion rounded half
// up, the revenue (due plus that) shared among the sources by largest
// remainder, so that the lines sum to due and none exceeds its source.
func voidLines(inv *Invoice, due int64) []billing.Line {
	rev := map[string]int64{}
	var promo int64
	for _, l := range inv.Lines {
		switch {
		case (l.Kind == LinePlan || l.Kind == LineUsage) && l.AmountFen > 0:
			rev[l.RevenueSource] += l.AmountFen
		case l.Kind == LineCredit:
			promo -= l.AmountFen
		}
	}
	total := inv.TotalFen
	y := promo
	if due != total {
		q, r := mulDiv(promo, due, total)
		if 2*r >= total {
			q++
		}
		y = q
	}
	sources := make([]string, 0, len(rev))
	var sum int64
	for src, v := range rev {
		sources = append(sources, src)
		sum += v
	}
	sort.Strings(sources)
	want := due + y
	type share struct {
		src  string
		x    int64
		frac uint64
	}
	shares := make([]share, len(sources))
	var given int64
	for i, src := range sources {
		q, r := mulDiv(rev[src], want, sum)
		shares[i] = share{src, q, uint64(r)}
		given += q
	}
	order := make([]int, len(shares))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return shares[order[a]].frac > shares[order[b]].frac })
	for k := 0; given < want && k < len(order); k++ {
		shares[order[k]].x++
		given++
	}
	var out []billing.Line
	for _, sh := range shares {
		out = append(out, billing.Line{Account: revenue(sh.src), AmountFen: sh.x})
	}
	return append(out, billing.Line{Account: billing.Promotion, AmountFen: -y})
}

// mulDiv returns a × b / c and its remainder, for a, b >= 0 and c > 0,
// without overflowing in the product (the quotient must fit).
func mulDiv(a, b, c int64) (int64, int64) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, r := bits.Div64(hi, lo, uint64(c))
	return int64(q), int64(r)
}

// Filter narrows a list of invoices.
type Filter struct {
	Period  string // "YYYY-MM"
	Status  string
	OwnerID string
	Limit   int // 1 to MaxListLimit (default 50)
	Offset  int
}

func (f *Filter) check() error {
	var fe core.FieldErrors
	if f.Period != "" {
		if _, err := ParsePeriod(f.Period); err != nil {
			fe.Add("period", "invoicing.field.period_invalid")
		}
	}
	switch f.Status {
	case "", StatusDraft, StatusOpen, StatusPaid, StatusVoid:
	default:
		fe.Add("status", "invoicing.field.status_invalid")
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	if f.Limit < 0 || f.Limit > MaxListLimit+1 {
		fe.Add("limit", "invoicing.field.limit_range")
	}
	if f.Offset < 0 {
		fe.Add("offset", "invoicing.field.offset_range")
	}
	return fe.Err()
}

func (s *Service) list(ctx context.Context, tx bun.IDB, f Filter) ([]*Invoice, error) {
	out := []*Invoice{}
	q := db.Select(ctx, tx, &out).OrderExpr("i.period DESC, i.number DESC").Limit(int64(f.Limit))
	if f.Period != "" {
		q = q.Where("i.period = ?", f.Period)
	}
	if f.Status != "" {
		q = q.Where("i.status = ?", f.Status)
	}
	if f.OwnerID != "" {
		q = q.Where("i.owner_id = ?", f.OwnerID)
	}
	if f.Offset > 0 {
		q = q.Offset(int64(f.Offset))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list invoices: %w", err)
	}
	for _, inv := range out {
		inv.fill()
	}
	return out, nil
}

// Invoices lists the tenant's invoices, newest period first, filtered by
// f. p needs PermRead in the tenant's domain. Invalid on "period",
// "status", "limit" or "offset".
func (s *Service) Invoices(ctx context.Context, p *identity.Principal, f Filter) ([]*Invoice, error) {
	if _, err := s.checkTenant(ctx, p, PermRead); err != nil {
		return nil, err
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	if f.OwnerID != "" && !validID(f.OwnerID) {
		return []*Invoice{}, nil
	}
	var out []*Invoice
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		out, err = s.list(ctx, tx, f)
		return err
	})
	return out, err
}

// ShopInvoices lists shop shopID's invoices, newest first, filtered by f
// (its OwnerID ignored). p needs PermRead in the shop's domain (its
// owner, tenant admins). NotFound for other tenants' shops and shops p
// may not see; Forbidden when p may see the shop but not its ledger.
func (s *Service) ShopInvoices(ctx context.Context, p *identity.Principal, shopID string, f Filter) ([]*Invoice, error) {
	return s.ownerInvoices(ctx, p, OwnerShop, shopID, f)
}

// PointInvoices lists pickup point pointID's invoices for the pickup
// console: p needs PermRead in the point's domain or is one of its
// operators (fulfil.PermPickupView there). NotFound for another tenant's
// point or a point p does not operate.
func (s *Service) PointInvoices(ctx context.Context, p *identity.Principal, pointID string, f Filter) ([]*Invoice, error) {
	return s.ownerInvoices(ctx, p, OwnerPickupPoint, pointID, f)
}

func (s *Service) ownerInvoices(ctx context.Context, p *identity.Principal, kind, ownerID string, f Filter) ([]*Invoice, error) {
	if _, err := identity.TenantOf(ctx, p); err != nil {
		return nil, err
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	var out []*Invoice
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		o, err := s.ownerFor(ctx, tx, p, ownerID)
		if err != nil {
			return err
		}
		if o.Kind != kind {
			return errNotFound
		}
		f.OwnerID = o.ID
		out, err = s.list(ctx, tx, f)
		return err
	})
	return out, err
}

// Invoice returns invoice id with its lines and payments. p needs
// PermRead in the tenant's domain or in the domain of the invoice's shop.
// NotFound for other tenants' invoices and invoices p may not see.
func (s *Service) Invoice(ctx context.Context, p *identity.Principal, id string) (*Invoice, error) {
	return s.ShopInvoice(ctx, p, "", id)
}

// ShopInvoice is Invoice for the merchant console: NotFound unless the
// invoice is shop shopID's (any shop when shopID is "").
func (s *Service) ShopInvoice(ctx context.Context, p *identity.Principal, shopID, id string) (*Invoice, error) {
	if _, err := identity.TenantOf(ctx, p); err != nil {
		return nil, err
	}
	if !validID(id) {
		return nil, errNotFound
	}
	inv := new(Invoice)
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if err := db.Select(ctx, tx, inv).Where("i.id = ?", id).Scan(ctx); err != nil {
			return db.NotFound(err, errNotFound)
		}
		if shopID != "" && inv.OwnerID != shopID {
			return errNotFound
		}
		if _, err := s.ownerFor(ctx, tx, p, inv.OwnerID); err != nil {
			if core.ErrorCode(err) == core.Forbidden && shopID == "" {
				return errNotFound
			}
			return err
		}
		return withLines(ctx, tx, inv)
	})
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// ShopFor returns shop shopID for the merchant console's invoice pages,
// with the same authorisation as ShopInvoices.
func (s *Service) ShopFor(ctx context.Context, p *identity.Principal, shopID string) (*merchant.Shop, error) {
	if _, err := identity.TenantOf(ctx, p); err != nil {
		return nil, err
	}
	sh := new(merchant.Shop)
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		o, err := s.ownerFor(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		if o.Kind != OwnerShop {
			return errNotFound
		}
		return db.Select(ctx, tx, sh).Where("s.id = ?", shopID).Scan(ctx)
	})
	if err != nil {
		return nil, err
	}
	return sh, nil
}
