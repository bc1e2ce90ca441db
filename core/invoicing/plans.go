package invoicing

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/uptrace/bun"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/validate"
	"github.com/jishi-dev/jishi/tenants"
)

// Plan is a plan of the tenant's catalogue.
type Plan struct {
	bun.BaseModel `bun:"table:billing_plans,alias:bp"`

	TenantID      string    `bun:"tenant_id,pk" json:"-"`
	ID            string    `bun:"id,pk" json:"id"`
	Code          string    `bun:"code,notnull" json:"code"`
	Name          string    `bun:"name,notnull" json:"name"`
	OwnerKind     string    `bun:"owner_kind,notnull" json:"owner_kind"`
	Interval      string    `bun:"billing_interval,notnull" json:"interval"`
	FeeFen        int64     `bun:"fee_fen,notnull" json:"fee_fen"`
	RevenueSource string    `bun:"revenue_source,notnull" json:"revenue_source"`
	Active        bool      `bun:"active,notnull" json:"active"`
	CreatedAt     time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at,notnull" json:"updated_at"`
}

// PlanInput is what a tenant admin submits for a plan. Code and
// OwnerKind cannot change once the plan exists; Active nil means true for
// a new plan and unchanged for an update.
type PlanInput struct {
	Code          string `json:"code"`
	Name          string `json:"name"`
	OwnerKind     string `json:"owner_kind"`
	Interval      string `json:"interval"`
	FeeFen        *int64 `json:"fee_fen"`
	RevenueSource string `json:"revenue_source"`
	Active        *bool  `json:"active"`
}

// The codes of the default plans (InstallDefaults).
const (
	PlanFree      = "free"
	PlanFranchise = "franchise"
)

// FranchiseFeeFen is the seed's annual pickup-point franchise fee:
// 12,800 yuan.
const FranchiseFeeFen int64 = 1_280_000

// DefaultPlans are the plans InstallDefaults adds: the free tier for
// shops and the annual franchise of pickup points (社区服务中心加盟).
func DefaultPlans() []PlanInput {
	return []PlanInput{
		{Code: PlanFree, Name: "免费版", OwnerKind: OwnerShop, Interval: Monthly, FeeFen: ptr(int64(0)), RevenueSource: billing.RevenuePlan},
		{Code: PlanFranchise, Name: "社区服务中心加盟费", OwnerKind: OwnerPickupPoint, Interval: Annual, FeeFen: ptr(FranchiseFeeFen),
			RevenueSource: billing.RevenueFranchise},
	}
}

// checkPlan validates in for plan (a new one when plan.ID is ""),
// adding to fe.
func checkPlan(fe *core.FieldErrors, in PlanInput, plan *Plan) {
	if plan.ID == "" {
		if !codeRE.MatchString(in.Code) {
			fe.Add("code", "invoicing.field.code_invalid")
		}
		plan.Code = in.Code
		if in.OwnerKind != OwnerShop && in.OwnerKind != OwnerPickupPoint {
			fe.Add("owner_kind", "invoicing.field.owner_kind")
		}
		plan.OwnerKind = in.OwnerKind
	} else {
		if in.Code != "" && in.Code != plan.Code {
			fe.Add("code", "invoicing.field.immutable")
		}
		if in.OwnerKind != "" && in.OwnerKind != plan.OwnerKind {
			fe.Add("owner_kind", "invoicing.field.immutable")
		}
	}
	plan.Name = validate.Text(fe, "name", in.Name, 1, NameMax)
	if in.Interval != Monthly && in.Interval != Annual {
		fe.Add("interval", "invoicing.field.interval")
	}
	plan.Interval = in.Interval
	switch {
	case in.FeeFen == nil:
		fe.Add("fee_fen", "field.required")
	case *in.FeeFen < 0 || *in.FeeFen > MaxFeeFen:
		fe.Add("fee_fen", "invoicing.field.fee_range")
	default:
		plan.FeeFen = *in.FeeFen
	}
	if in.RevenueSource != billing.RevenuePlan && in.RevenueSource != billing.RevenueFranchise {
		fe.Add("revenue_source", "invoicing.field.plan_source")
	}
	plan.RevenueSource = in.RevenueSource
	if in.Active != nil {
		plan.Active = *in.Active
	} else if plan.ID == "" {
		plan.Active = true
	}
}

// createPlan inserts a plan from in; Invalid on "code" when the code is
// taken.
func (s *Service) createPlan(ctx context.Context, tx bun.IDB, in PlanInput) (*Plan, error) {
	plan := &Plan{}
	var fe core.FieldErrors
	checkPlan(&fe, in, plan)
	if codeRE.MatchString(in.Code) {
		taken, err := db.Select(ctx, tx, (*Plan)(nil)).Where("bp.code = ?", in.Code).Exists(ctx)
		if err != nil {
			return nil, fmt.Errorf("look up plan %s: %w", in.Code, err)
		}
		if taken {
			fe.Add("code", "invoicing.field.code_taken")
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	plan.TenantID, plan.ID, plan.CreatedAt, plan.UpdatedAt = db.TenantID(ctx), tenants.NewID(), now, now
	res, err := tx.NewInsert().Model(plan).On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("create plan: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var fe core.FieldErrors
		fe.Add("code", "invoicing.field.code_taken")
		return nil, fe.Err()
	}
	return plan, nil
}

// InstallDefaults adds the DefaultPlans the tenant in ctx does not have
// yet (by code) in tx; it changes nothing else. A provisioning step.
func (s *Service) InstallDefaults(ctx context.Context, tx bun.IDB) error {
	for _, in := range DefaultPlans() {
		exists, err := db.Select(ctx, tx, (*Plan)(nil)).Where("bp.code = ?", in.Code).Exists(ctx)
		if err != nil {
			return fmt.Errorf("look up plan %s: %w", in.Code, err)
		}
		if exists {
			continue
		}
		if _, err := s.createPlan(ctx, tx, in); err != nil {
			return err
		}
	}
	return nil
}

// Plans lists the tenant's plans: shops' first, then by fee and name. p
// needs PermRead in the tenant's domain.
func (s *Service) Plans(ctx context.Context, p *identity.Principal) ([]*Plan, error) {
	if _, err := s.checkTenant(ctx, p, PermRead); err != nil {
		return nil, err
	}
	out := []*Plan{}
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		return db.Select(ctx, tx, &out).OrderExpr("bp.owner_kind DESC, bp.fee_fen, bp.name, bp.id").Scan(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("list plans: %w", err)
	}
	return out, nil
}

// CreatePlan adds a plan. p needs PermManage in the tenant's domain.
// Returns Invalid with field errors: code (a–z, 0–9, '-', 2–32, unique),
// name (1–40), owner_kind (shop or pickup_point), interval (monthly or
// annual), fee_fen (0 to MaxFeeFen), revenue_source (plan or franchise).
func (s *Service) CreatePlan(ctx context.Context, p *identity.Principal, in PlanInput) (*Plan, error) {
	if _, err := s.checkTenant(ctx, p, PermManage); err != nil {
		return nil, err
	}
	var plan *Plan
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		plan, err = s.createPlan(ctx, tx, in)
		return err
	})
	return plan, err
}

// InstallDefaultPlans adds the default plans the tenant lacks and lists
// the catalogue. p needs PermManage in the tenant's domain.
func (s *Service) InstallDefaultPlans(ctx context.Context, p *identity.Principal) ([]*Plan, error) {
	if _, err := s.checkTenant(ctx, p, PermManage); err != nil {
		return nil, err
	}
	if err := s.DB.RunInTx(ctx, s.InstallDefaults); err != nil {
		return nil, err
	}
	return s.Plans(ctx, p)
}

func loadPlan(ctx context.Context, tx bun.IDB, id string) (*Plan, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	plan := new(Plan)
	if err := db.Select(ctx, tx, plan).Where("bp.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return plan, nil
}

// UpdatePlan changes plan id's name, interval, fee, revenue source and
// whether it may be assigned; invoices already generated keep what they
// say. p needs PermManage in the tenant's domain. NotFound for other
// tenants' plans; Invalid as CreatePlan (code and owner_kind cannot
// change).
func (s *Service) UpdatePlan(ctx context.Context, p *identity.Principal, id string, in PlanInput) (*Plan, error) {
	if _, err := s.checkTenant(ctx, p, PermManage); err != nil {
		return nil, err
	}
	var plan *Plan
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		if plan, err = loadPlan(ctx, tx, id); err != nil {
			return err
		}
		var fe core.FieldErrors
		if checkPlan(&fe, in, plan); len(fe) > 0 {
			return fe.Err()
		}
		plan.UpdatedAt = s.now().UTC()
		_, err = db.Update(ctx, tx, plan).Column("name", "billing_interval", "fee_fen", "revenue_source", "active", "updated_at").
			WherePK().Exec(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return plan, nil
}

// DeletePlan removes plan id when it was never assigned; Conflict
// (invoicing.error.plan_assigned) otherwise: deactivate it instead. p
// needs PermManage in the tenant's domain.
func (s *Service) DeletePlan(ctx context.Context, p *identity.Principal, id string) error {
	if _, err := s.checkTenant(ctx, p, PermManage); err != nil {
		return err
	}
	return s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := loadPlan(ctx, tx, id); err != nil {
			return err
		}
		used, err := db.Select(ctx, tx, (*Assignment)(nil)).Where("ba.plan_id = ?", id).Exists(ctx)
		if err != nil {
			return err
		}
		if used {
			return errPlanAssigned
		}
		_, err = db.Delete(ctx, tx, (*Plan)(nil)).Where("id = ?", id).Exec(ctx)
		return err
	})
}

// Assignment puts an owner on a plan from a date.
type Assignment struct {
	bun.BaseModel `bun:"table:billing_plan_assignments,alias:ba"`

	TenantID   string    `bun:"tenant_id,pk" json:"-"`
	ID         string    `bun:"id,pk" json:"id"`
	OwnerKind  string    `bun:"owner_kind,notnull" json:"owner_kind"`
	OwnerID    string    `bun:"owner_id,notnull" json:"owner_id"`
	PlanID     string    `bun:"plan_id,notnull" json:"plan_id"`
	StartsOn   string    `bun:"starts_on,notnull" json:"starts_on"`
	AssignedBy *string   `bun:"assigned_by" json:"assigned_by,omitempty"`
	CreatedAt  time.Time `bun:"created_at,notnull" json:"created_at"`
}

// AssignInput puts OwnerID (a shop or pickup point) on PlanID from
// StartsOn ("YYYY-MM-DD").
type AssignInput struct {
	OwnerID  string `json:"owner_id"`
	PlanID   string `json:"plan_id"`
	StartsOn string `json:"starts_on"`
}

// Assign puts an owner on a plan from a date (replacing an assignment of
// the same owner and date). p needs PermManage in the tenant's domain.
// Returns Invalid with field errors: owner_id (not a shop or pickup point
// of the tenant, or the flagship store), plan_id (unknown, inactive, or for the other kind of
// owner), starts_on (not a date).
func (s *Service) Assign(ctx context.Context, p *identity.Principal, in AssignInput) (*Assignment, error) {
	if _, err := s.checkTenant(ctx, p, PermManage); err != nil {
		return nil, err
	}
	var as *Assignment
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		as, err = s.assign(ctx, tx, in, actorOf(p))
		return err
	})
	return as, err
}

func (s *Service) assign(ctx context.Context, tx bun.IDB, in AssignInput, actor string) (*Assignment, error) {
	var fe core.FieldErrors
	parseDate(&fe, "starts_on", in.StartsOn)
	o, err := loadOwner(ctx, tx, in.OwnerID)
	switch {
	case core.IsNotFound(err):
		fe.Add("owner_id", "invoicing.field.owner_unknown")
	case err != nil:
		return nil, err
	case o.Flagship:
		fe.Add("owner_id", "invoicing.field.owner_flagship")
	}
	plan, err := loadPlan(ctx, tx, in.PlanID)
	switch {
	case core.IsNotFound(err):
		fe.Add("plan_id", "invoicing.field.plan_unknown")
	case err != nil:
		return nil, err
	case !plan.Active:
		fe.Add("plan_id", "invoicing.field.plan_inactive")
	case o != nil && plan.OwnerKind != o.Kind:
		fe.Add("plan_id", "invoicing.field.plan_kind")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	as := &Assignment{TenantID: db.TenantID(ctx), ID: tenants.NewID(), OwnerKind: o.Kind, OwnerID: o.ID, PlanID: plan.ID,
		StartsOn: in.StartsOn, CreatedAt: s.now().UTC()}
	if actor != "" {
		as.AssignedBy = &actor
	}
	_, err = tx.NewInsert().Model(as).
		On("CONFLICT (tenant_id, owner_id, starts_on) DO UPDATE").
		Set("plan_id = EXCLUDED.plan_id").Set("assigned_by = EXCLUDED.assigned_by").Set("created_at = EXCLUDED.created_at").
		Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("assign plan: %w", err)
	}
	return as, nil
}

// Account is an owner as the billing pages show it: its plan now, its
// credits, and whether it received the onboarding pack.
type Account struct {
	Owner
	Plan     *Plan          `json:"plan,omitempty"`
	StartsOn string         `json:"starts_on,omitempty"`
	Next     *Assignment    `json:"next,omitempty"` // an assignment starting later
	Credits  []*CreditGrant `json:"credits"`
	GiftPack bool           `json:"gift_pack"`
}

// Accounts lists every shop (but the flagship store) and pickup point of
// the tenant with the plan in force today, the next assignment, and their
// credit grants; shops first, by name. p needs PermRead in the tenant's
// domain.
func (s *Service) Accounts(ctx context.Context, p *identity.Principal) ([]*Account, error) {
	t, err := s.checkTenant(ctx, p, PermRead)
	if err != nil {
		return nil, err
	}
	today := s.now().In(t.Location()).Format(DateLayout)
	var out []*Account
	err = s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		os, err := owners(ctx, tx)
		if err != nil {
			return err
		}
		byID := map[string]*Account{}
		for _, o := range os {
			if o.Flagship {
				continue
			}
			a := &Account{Owner: *o, Credits: []*CreditGrant{}}
			byID[o.ID] = a
			out = append(out, a)
		}
		plans := map[string]*Plan{}
		var ps []*Plan
		if err := db.Select(ctx, tx, &ps).Scan(ctx); err != nil {
			return err
		}
		for _, pl := range ps {
			plans[pl.ID] = pl
		}
		var as []*Assignment
		if err := db.Select(ctx, tx, &as).OrderExpr("ba.starts_on").Scan(ctx); err != nil {
			return err
		}
		for _, x := range as {
			a := byID[x.OwnerID]
			if a == nil {
				continue
			}
			if x.StartsOn <= today {
				a.Plan, a.StartsOn, a.Next = plans[x.PlanID], x.StartsOn, nil
			} else if a.Next == nil {
				a.Next = x
			}
		}
		grants, err := s.grants(ctx, tx, "")
		if err != nil {
			return err
		}
		for _, g := range grants {
			if a := byID[g.OwnerID]; a != nil {
				a.Credits = append(a.Credits, g)
				a.GiftPack = a.GiftPack || g.Pack == OnboardingPack.Name
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind == OwnerShop
		}
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// priceRow is a tenant's own price of a metric.
type priceRow struct {
	bun.BaseModel `bun:"table:billing_prices,alias:bpr"`

	TenantID  string    `bun:"tenant_id,pk"`
	Metric    string    `bun:"metric,pk"`
	UnitFen   int64     `bun:"unit_fen,notnull"`
	UpdatedBy *string   `bun:"updated_by"`
	UpdatedAt time.Time `bun:"updated_at,notnull"`
}

// Price is a metric's unit price as the tenant bills it.
type Price struct {
	Metric        string `json:"metric"`
	UnitFen       int64  `json:"unit_fen"`
	RevenueSource string `json:"revenue_source"`
	// Default: the price is DefaultPrices'; Custom: the tenant set it
	// (over a default, or for a metric without one).
	Default bool `json:"default"`
	Custom  bool `json:"custom"`
}

// priceList returns the tenant's prices: DefaultPrices overridden by the
// tenant's own.
func priceList(ctx context.Context, tx bun.IDB) (map[string]*Price, error) {
	out := map[string]*Price{}
	for m, fen := range DefaultPrices {
		out[m] = &Price{Metric: m, UnitFen: fen, RevenueSource: RevenueSource(m), Default: true}
	}
	var rows []*priceRow
	if err := db.Select(ctx, tx, &rows).Scan(ctx); err != nil {
		return nil, fmt.Errorf("price list: %w", err)
	}
	for _, r := range rows {
		pr := out[r.Metric]
		if pr == nil {
			pr = &Price{Metric: r.Metric, RevenueSource: RevenueSource(r.Metric)}
			out[r.Metric] = pr
		}
		pr.UnitFen, pr.Custom, pr.Default = r.UnitFen, true, false
	}
	return out, nil
}

// Prices lists the tenant's price list by metric. p needs PermRead in
// the tenant's domain.
func (s *Service) Prices(ctx context.Context, p *identity.Principal) ([]*Price, error) {
	if _, err := s.checkTenant(ctx, p, PermRead); err != nil {
		return nil, err
	}
	var m map[string]*Price
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		m, err = priceList(ctx, tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]*Price, 0, len(m))
	for _, pr := range m {
		out = append(out, pr)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Metric < out[j].Metric })
	return out, nil
}

// SetPrice sets the tenant's unit price of metric; usage recorded from
// now on is priced with it. p needs PermManage in the tenant's domain.
// Returns Invalid with field errors: metric (a–z, 0–9, '_' or '.', up to
// 40, starting with a letter), unit_fen (0 to MaxUnitFen).
func (s *Service) SetPrice(ctx context.Context, p *identity.Principal, metric string, unitFen int64) (*Price, error) {
	if _, err := s.checkTenant(ctx, p, PermManage); err != nil {
		return nil, err
	}
	var fe core.FieldErrors
	if !metricRE.MatchString(metric) {
		fe.Add("metric", "invoicing.field.metric_invalid")
	}
	if unitFen < 0 || unitFen > MaxUnitFen {
		fe.Add("unit_fen", "invoicing.field.unit_range")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	row := &priceRow{TenantID: tenants.ID(ctx), Metric: metric, UnitFen: unitFen, UpdatedAt: s.now().UTC()}
	if a := actorOf(p); a != "" {
		row.UpdatedBy = &a
	}
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.NewInsert().Model(row).On("CONFLICT (tenant_id, metric) DO UPDATE").
			Set("unit_fen = EXCLUDED.unit_fen").Set("updated_by = EXCLUDED.updated_by").Set("updated_at = EXCLUDED.updated_at").Exec(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("set price of %s: %w", metric, err)
	}
	return &Price{Metric: metric, UnitFen: unitFen, RevenueSource: RevenueSource(metric), Custom: true}, nil
}

// DeletePrice removes the tenant's own price of metric: a metric of
// DefaultPrices returns to its default, any other is no longer priced
// (usage of it is refused). NotFound when the tenant has no price of its
// own for metric. p needs PermManage in the tenant's domain.
func (s *Service) DeletePrice(ctx context.Context, p *identity.Principal, metric string) error {
	if _, err := s.checkTenant(ctx, p, PermManage); err != nil {
		return err
	}
	return s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		res, err := db.Delete(ctx, tx, (*priceRow)(nil)).Where("metric = ?", metric).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errNotFound
		}
		return nil
	})
}
