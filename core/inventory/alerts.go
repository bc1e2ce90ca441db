package inventory

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/uptrace/bun"
)

// thresholdOf returns the low-stock threshold of SKU skuID.
func thresholdOf(ctx context.Context, tx bun.IDB, skuID string) (int, error) {
	var ths []threshold
	if err := db.Select(ctx, tx, &ths).Where("th.sku_id = ?", skuID).Scan(ctx); err != nil {
		return 0, fmt.Errorf("read threshold: %w", err)
	}
	if len(ths) == 0 {
		return DefaultThreshold, nil
	}
	return ths[0].Threshold, nil
}

// SetThreshold sets the low-stock threshold of SKU skuID of shop shopID
// (0 to MaxQuantity; 0 turns the alert off). Without one a SKU's is
// DefaultThreshold. p needs PermManage in the shop's domain.
//
// Returns NotFound for shops outside p's reach and SKUs that are not the
// shop's; Invalid for a threshold out of range.
func (s *Service) SetThreshold(ctx context.Context, p *identity.Principal, shopID, skuID string, n int) error {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return err
	}
	var fe core.FieldErrors
	if n < 0 || n > MaxQuantity {
		fe.Add("threshold", "inventory.field.threshold_range")
	}
	return s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.writableShop(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		if err := fe.Err(); err != nil {
			return err
		}
		k, err := loadSKU(ctx, tx, skuID, sh.ID)
		if err != nil {
			return err
		}
		th := &threshold{TenantID: sh.TenantID, SKUID: k.ID, Threshold: n, UpdatedBy: &p.UserID, UpdatedAt: time.Now().UTC()}
		_, err = tx.NewInsert().Model(th).On("CONFLICT (tenant_id, sku_id) DO UPDATE").
			Set("threshold = EXCLUDED.threshold").Set("updated_by = EXCLUDED.updated_by").Set("updated_at = EXCLUDED.updated_at").
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("set threshold of sku %s: %w", k.ID, err)
		}
		return nil
	})
}

// LowStock is a SKU whose available units are under its threshold.
type LowStock struct {
	SKUID       string `json:"sku_id" bun:"sku_id"`
	Code        string `json:"code" bun:"code"`
	Spec        string `json:"spec" bun:"spec"`
	ProductID   string `json:"product_id" bun:"product_id"`
	ProductName string `json:"product_name" bun:"product_name"`
	Available   int    `json:"available" bun:"available"`
	Threshold   int    `json:"threshold" bun:"threshold"`
}

// Alerts is a shop's stock alert list.
type Alerts struct {
	// LowStock are the shop's active SKUs of active products with fewer
	// available units than their threshold, fewest first.
	LowStock []LowStock `json:"low_stock"`
	// Expiring are the shop's lots with units on hand whose best-before is
	// within Days days of today (already expired ones included, Expired
	// set), soonest first.
	Expiring []*Lot `json:"expiring"`
	Days     int    `json:"days"`
	Today    Date   `json:"today"`
}

// Alerts returns the stock alert list of shop shopID: SKUs under their
// low-stock threshold, and lots expiring within days days (0 to
// MaxAlertDays; 0: today). p needs PermManage in the shop's domain.
// NotFound for shops outside p's reach; Invalid for days out of range.
func (s *Service) Alerts(ctx context.Context, p *identity.Principal, shopID string, days int) (*Alerts, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	today := s.today(ctx)
	out := &Alerts{LowStock: []LowStock{}, Expiring: []*Lot{}, Days: days, Today: today}
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.shopFor(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		if days < 0 || days > MaxAlertDays {
			var fe core.FieldErrors
			fe.Add("days", "inventory.field.days_range")
			return fe.Err()
		}
		var rows []LowStock
		err = tx.NewRaw(`
			SELECT k.id AS sku_id, k.code, k.spec, k.product_id, p.name AS product_name,
			       COALESCE((SELECT SUM(l.on_hand - l.reserved) FROM lots AS l
			                 WHERE l.tenant_id = k.tenant_id AND l.sku_id = k.id AND l.best_before >= ?), 0) AS available,
			       COALESCE(th.threshold, ?) AS threshold
			FROM skus AS k
			JOIN products AS p ON p.tenant_id = k.tenant_id AND p.id = k.product_id
			LEFT JOIN stock_thresholds AS th ON th.tenant_id = k.tenant_id AND th.sku_id = k.id
			WHERE k.tenant_id = ? AND k.shop_id = ? AND k.status = 'active' AND p.status = 'active'
			ORDER BY p.name, k.sort, k.id`,
			today, DefaultThreshold, sh.TenantID, sh.ID).Scan(ctx, &rows)
		if err != nil {
			return fmt.Errorf("read stock of shop %s: %w", sh.ID, err)
		}
		for _, r := range rows {
			if r.Available < r.Threshold {
				out.LowStock = append(out.LowStock, r)
			}
		}
		err = db.Select(ctx, tx, &out.Expiring).Where("l.shop_id = ?", sh.ID).Where("l.on_hand > 0").
			Where("l.best_before <= ?", today.AddDays(days)).Order("l.best_before", "l.received_on", "l.id").Scan(ctx)
		if err != nil {
			return fmt.Errorf("read expiring lots of shop %s: %w", sh.ID, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Fewest available (relative to threshold) first.
	slices.SortStableFunc(out.LowStock, func(a, b LowStock) int {
		return (a.Available - a.Threshold) - (b.Available - b.Threshold)
	})
	for _, l := range out.Expiring {
		l.fill(today)
	}
	return out, nil
}
