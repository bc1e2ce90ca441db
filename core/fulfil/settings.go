package fulfil

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// DefaultSettings are the delivery settings of a shop that has saved
// none: courier (¥8 the first kg, ¥2 each further kg) and pickup enabled;
// express and scheduled delivery off.
func DefaultSettings(shopID string) *Settings {
	return &Settings{
		ShopID:    shopID,
		Courier:   Courier{Enabled: true, BaseFen: DefaultCourierBaseFen, PerKgFen: DefaultCourierPerKgFen, Rules: []CourierRule{}},
		Express:   Express{FeeFen: DefaultExpressFeeFen},
		Scheduled: Scheduled{FeeFen: DefaultScheduledFeeFen, Days: DefaultScheduledDays},
		Pickup:    Pickup{Enabled: true},
	}
}

// loadSettings reads shop shopID's settings (DefaultSettings when it has
// saved none).
func loadSettings(ctx context.Context, idb bun.IDB, shopID string) (*Settings, error) {
	m, err := loadSettingsOf(ctx, idb, []string{shopID})
	if err != nil {
		return nil, err
	}
	return m[shopID], nil
}

// loadSettingsOf reads the settings of shops with two statements.
func loadSettingsOf(ctx context.Context, idb bun.IDB, shops []string) (map[string]*Settings, error) {
	var rows []*shopDelivery
	if err := db.Select(ctx, idb, &rows).Where("sd.shop_id IN (?)", bun.List(shops)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("read delivery settings: %w", err)
	}
	out := make(map[string]*Settings, len(shops))
	for _, id := range shops {
		out[id] = DefaultSettings(id)
	}
	if len(rows) == 0 {
		return out, nil
	}
	var configured []string
	for _, row := range rows {
		at := row.UpdatedAt
		out[row.ShopID] = &Settings{
			ShopID: row.ShopID, Configured: true, UpdatedAt: &at,
			Courier:   Courier{Enabled: row.CourierEnabled, BaseFen: row.CourierBaseFen, PerKgFen: row.CourierPerKgFen, Rules: []CourierRule{}},
			Express:   Express{Enabled: row.ExpressEnabled, FeeFen: row.ExpressFeeFen},
			Scheduled: Scheduled{Enabled: row.ScheduledEnabled, FeeFen: row.ScheduledFeeFen, Days: row.ScheduledDays},
			Pickup:    Pickup{Enabled: row.PickupEnabled},
		}
		configured = append(configured, row.ShopID)
	}
	var rules []CourierRule
	if err := db.Select(ctx, idb, &rules).Where("cr.shop_id IN (?)", bun.List(configured)).Order("cr.shop_id", "cr.region_id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("read courier rules: %w", err)
	}
	for _, r := range rules {
		st := out[r.ShopID]
		st.Courier.Rules = append(st.Courier.Rules, r)
	}
	return out, nil
}

func (st *Settings) enabled(method string) bool {
	switch method {
	case MethodCourier:
		return st.Courier.Enabled
	case MethodExpress:
		return st.Express.Enabled
	case MethodScheduled:
		return st.Scheduled.Enabled
	case MethodPickup:
		return st.Pickup.Enabled
	}
	return false
}

// courierFee is the courier fee of weightG grams to region r: the rule of
// r, else of its city, else the shop's default.
func (st *Settings) courierFee(r *tenants.Region, weightG int) int64 {
	base, perKg := st.Courier.BaseFen, st.Courier.PerKgFen
	var city *CourierRule
	found := false
	for i := range st.Courier.Rules {
		rule := &st.Courier.Rules[i]
		if rule.RegionID == r.ID {
			base, perKg, found = rule.BaseFen, rule.PerKgFen, true
			break
		}
		if r.ParentID != nil && rule.RegionID == *r.ParentID {
			city = rule
		}
	}
	if !found && city != nil {
		base, perKg = city.BaseFen, city.PerKgFen
	}
	return CourierFee(base, perKg, weightG)
}

// fee checks a fee in fen.
func fee(fe *core.FieldErrors, field string, v int64) {
	if v < 0 || v > MaxFeeFen {
		fe.Add(field, "fulfil.field.fee_range")
	}
}

// checkSettings validates in and returns the settings to store; region
// ids of rules are checked against the database by the caller.
func checkSettings(fe *core.FieldErrors, shopID string, in Settings) *Settings {
	out := &Settings{ShopID: shopID, Configured: true,
		Courier:   Courier{Enabled: in.Courier.Enabled, BaseFen: in.Courier.BaseFen, PerKgFen: in.Courier.PerKgFen, Rules: []CourierRule{}},
		Express:   in.Express,
		Scheduled: in.Scheduled,
		Pickup:    in.Pickup,
	}
	fee(fe, "courier.base_fen", in.Courier.BaseFen)
	fee(fe, "courier.per_kg_fen", in.Courier.PerKgFen)
	fee(fe, "express.fee_fen", in.Express.FeeFen)
	fee(fe, "scheduled.fee_fen", in.Scheduled.FeeFen)
	if out.Scheduled.Days == 0 {
		out.Scheduled.Days = DefaultScheduledDays
	}
	if out.Scheduled.Days < 1 || out.Scheduled.Days > MaxScheduledDays {
		fe.Add("scheduled.days", "fulfil.field.days_range")
	}
	if !in.Courier.Enabled && !in.Express.Enabled && !in.Scheduled.Enabled && !in.Pickup.Enabled {
		fe.Add("methods", "fulfil.field.none_enabled")
	}
	if len(in.Courier.Rules) > MaxRules {
		fe.Add("courier.rules", "fulfil.field.rules_count")
		return out
	}
	for i, r := range in.Courier.Rules {
		f := "courier.rules." + strconv.Itoa(i) + "."
		id := strings.TrimSpace(r.RegionID)
		switch {
		case !validID(id):
			fe.Add(f+"region_id", "fulfil.field.region_invalid")
		case slices.ContainsFunc(out.Courier.Rules, func(x CourierRule) bool { return x.RegionID == id }):
			fe.Add(f+"region_id", "fulfil.field.region_repeated")
		}
		fee(fe, f+"base_fen", r.BaseFen)
		fee(fe, f+"per_kg_fen", r.PerKgFen)
		out.Courier.Rules = append(out.Courier.Rules, CourierRule{RegionID: id, BaseFen: r.BaseFen, PerKgFen: r.PerKgFen})
	}
	return out
}

// ShopSettings returns shop shopID's delivery settings (DefaultSettings,
// Configured false, when it has saved none). p needs PermManage in the
// shop's domain. Returns NotFound for shops outside p's reach; Forbidden
// when p may see the shop but not this.
func (s *Service) ShopSettings(ctx context.Context, p *identity.Principal, shopID string) (*Settings, error) {
	if _, err := identity.TenantOf(ctx, p); err != nil {
		return nil, err
	}
	var st *Settings
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.shopFor(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		st, err = loadSettings(ctx, tx, sh.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// SetSettings replaces shop shopID's delivery settings, courier rules
// included. p needs PermManage in the shop's domain.
//
// Returns NotFound for shops outside p's reach; Forbidden when p may see
// the shop but not this; Conflict for a closed shop; Invalid with field
// errors ("courier.base_fen", "courier.rules.2.region_id",
// "scheduled.days", "methods", …) for fees outside 0–MaxFeeFen, unknown or
// repeated regions, a horizon outside 1–30 days, or no method enabled —
// nothing is written then.
func (s *Service) SetSettings(ctx context.Context, p *identity.Principal, shopID string, in Settings) (*Settings, error) {
	if _, err := identity.TenantOf(ctx, p); err != nil {
		return nil, err
	}
	var fe core.FieldErrors
	var out *Settings
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.writableShop(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		st := checkSettings(&fe, sh.ID, in)
		if ids := ruleRegions(fe, st); len(ids) > 0 {
			n, err := db.Select(ctx, tx, (*tenants.Region)(nil)).Where("?TableAlias.id IN (?)", bun.List(ids)).Count(ctx)
			if err != nil {
				return fmt.Errorf("look up regions: %w", err)
			}
			if int(n) != len(ids) {
				for i, r := range st.Courier.Rules {
					if _, err := tenants.RegionByID(ctx, tx, r.RegionID); core.IsNotFound(err) {
						fe.Add("courier.rules."+strconv.Itoa(i)+".region_id", "fulfil.field.region_invalid")
					} else if err != nil {
						return err
					}
				}
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		now := time.Now().UTC()
		row := &shopDelivery{
			TenantID: sh.TenantID, ShopID: sh.ID,
			CourierEnabled: st.Courier.Enabled, CourierBaseFen: st.Courier.BaseFen, CourierPerKgFen: st.Courier.PerKgFen,
			ExpressEnabled: st.Express.Enabled, ExpressFeeFen: st.Express.FeeFen,
			ScheduledEnabled: st.Scheduled.Enabled, ScheduledFeeFen: st.Scheduled.FeeFen, ScheduledDays: st.Scheduled.Days,
			PickupEnabled: st.Pickup.Enabled, UpdatedBy: &p.UserID, UpdatedAt: now,
		}
		if _, err := tx.NewInsert().Model(row).On("CONFLICT (tenant_id, shop_id) DO UPDATE").
			Set("courier_enabled = EXCLUDED.courier_enabled").Set("courier_base_fen = EXCLUDED.courier_base_fen").
			Set("courier_per_kg_fen = EXCLUDED.courier_per_kg_fen").Set("express_enabled = EXCLUDED.express_enabled").
			Set("express_fee_fen = EXCLUDED.express_fee_fen").Set("scheduled_enabled = EXCLUDED.scheduled_enabled").
			Set("scheduled_fee_fen = EXCLUDED.scheduled_fee_fen").Set("scheduled_days = EXCLUDED.scheduled_days").
			Set("pickup_enabled = EXCLUDED.pickup_enabled").Set("updated_by = EXCLUDED.updated_by").
			Set("updated_at = EXCLUDED.updated_at").Exec(ctx); err != nil {
			return fmt.Errorf("save delivery settings of shop %s: %w", sh.ID, err)
		}
		if _, err := db.Delete(ctx, tx, (*CourierRule)(nil)).Where("cr.shop_id = ?", sh.ID).Exec(ctx); err != nil {
			return fmt.Errorf("replace courier rules of shop %s: %w", sh.ID, err)
		}
		if len(st.Courier.Rules) > 0 {
			for i := range st.Courier.Rules {
				st.Courier.Rules[i].TenantID, st.Courier.Rules[i].ShopID = sh.TenantID, sh.ID
			}
			if _, err := tx.NewInsert().Model(&st.Courier.Rules).Exec(ctx); err != nil {
				return fmt.Errorf("save courier rules of shop %s: %w", sh.ID, err)
			}
		}
		out, err = loadSettings(ctx, tx, sh.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ruleRegions returns the region ids of st's rules when they passed the
// checks so far.
func ruleRegions(fe core.FieldErrors, st *Settings) []string {
	var ids []string
	for i, r := range st.Courier.Rules {
		if fe["courier.rules."+strconv.Itoa(i)+".region_id"] == "" {
			ids = append(ids, r.RegionID)
		}
	}
	return ids
}
