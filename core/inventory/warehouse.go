package inventory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/validate"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// WarehouseInput describes a new warehouse.
type WarehouseInput struct {
	// Kind is main or district for the tenant's warehouses; shop
	// warehouses are made with CreateShopWarehouse and ignore it.
	Kind string `json:"kind"`
	Name string `json:"name"`
	// RegionID is where it stands: a district for a district warehouse;
	// for a shop warehouse it defaults to the shop's district.
	RegionID string `json:"region_id"`
	Cold     bool   `json:"cold"`
	Address  string `json:"address"`
	// ServesRegionIDs are the regions it delivers to; default its own.
	ServesRegionIDs []string `json:"serves_region_ids"`
}

// checkWarehouse validates in for a warehouse of kind.
func checkWarehouse(fe *core.FieldErrors, in WarehouseInput, kind string) *Warehouse {
	w := &Warehouse{Kind: kind, Cold: in.Cold}
	w.Name = validate.Text(fe, "name", in.Name, 1, NameMax)
	w.Address = validate.Text(fe, "address", in.Address, 0, AddressMax)
	w.RegionID = strings.TrimSpace(in.RegionID)
	if w.RegionID != "" && !validID(w.RegionID) {
		fe.Add("region_id", "inventory.field.region_invalid")
	}
	if len(in.ServesRegionIDs) > MaxServedRegions {
		fe.Add("serves_region_ids", "inventory.field.regions_count")
	}
	for _, id := range in.ServesRegionIDs {
		id = strings.TrimSpace(id)
		if !validID(id) {
			fe.Add("serves_region_ids", "inventory.field.region_invalid")
			continue
		}
		if !slices.Contains(w.ServesRegionIDs, id) {
			w.ServesRegionIDs = append(w.ServesRegionIDs, id)
		}
	}
	return w
}

// createWarehouse checks the regions of w in the database and inserts it
// with the regions it serves.
func createWarehouse(ctx context.Context, tx bun.IDB, fe core.FieldErrors, w *Warehouse) error {
	if w.RegionID == "" {
		fe.Add("region_id", "field.required")
	} else if fe["region_id"] == "" {
		reg, err := tenants.RegionByID(ctx, tx, w.RegionID)
		switch {
		case core.IsNotFound(err):
			fe.Add("region_id", "inventory.field.region_invalid")
		case err != nil:
			return err
		case w.Kind == KindDistrict && reg.Level != tenants.LevelDistrict:
			fe.Add("region_id", "inventory.field.region_district")
		}
	}
	if len(w.ServesRegionIDs) == 0 && w.RegionID != "" && fe["region_id"] == "" {
		w.ServesRegionIDs = []string{w.RegionID}
	}
	if fe["serves_region_ids"] == "" && len(w.ServesRegionIDs) > 0 {
		n, err := db.Select(ctx, tx, (*tenants.Region)(nil)).Where("?TableAlias.id IN (?)", bun.List(w.ServesRegionIDs)).Count(ctx)
		if err != nil {
			return fmt.Errorf("look up regions: %w", err)
		}
		if int(n) != len(w.ServesRegionIDs) {
			fe.Add("serves_region_ids", "inventory.field.region_invalid")
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}
	taken, err := db.Select(ctx, tx, (*Warehouse)(nil)).Where("w.name = ?", w.Name).Exists(ctx)
	if err != nil {
		return fmt.Errorf("look up warehouse name: %w", err)
	}
	if taken {
		return core.Errorf(core.Conflict, "inventory.error.name_taken")
	}
	if w.Kind == KindMain {
		exists, err := db.Select(ctx, tx, (*Warehouse)(nil)).Where("w.kind = ?", KindMain).Exists(ctx)
		if err != nil {
			return fmt.Errorf("look up main warehouse: %w", err)
		}
		if exists {
			return core.Errorf(core.Conflict, "inventory.error.main_exists")
		}
	}
	now := time.Now().UTC()
	w.TenantID, w.ID, w.CreatedAt, w.UpdatedAt = db.TenantID(ctx), tenants.NewID(), now, now
	if _, err := tx.NewInsert().Model(w).Exec(ctx); err != nil {
		if db.IsUniqueViolation(err) {
			return core.Errorf(core.Conflict, "inventory.error.name_taken")
		}
		return fmt.Errorf("create warehouse: %w", err)
	}
	rows := make([]warehouseRegion, 0, len(w.ServesRegionIDs))
	for _, r := range w.ServesRegionIDs {
		rows = append(rows, warehouseRegion{TenantID: w.TenantID, WarehouseID: w.ID, RegionID: r})
	}
	if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return fmt.Errorf("record regions of warehouse %s: %w", w.ID, err)
	}
	return nil
}

// withRegions fills ServesRegionIDs of ws.
func withRegions(ctx context.Context, tx bun.IDB, ws []*Warehouse) error {
	if len(ws) == 0 {
		return nil
	}
	ids := make([]string, 0, len(ws))
	byID := map[string]*Warehouse{}
	for _, w := range ws {
		ids = append(ids, w.ID)
		byID[w.ID] = w
		w.ServesRegionIDs = []string{}
	}
	var rows []warehouseRegion
	if err := db.Select(ctx, tx, &rows).Where("wr.warehouse_id IN (?)", bun.List(ids)).
		Order("wr.warehouse_id", "wr.region_id").Scan(ctx); err != nil {
		return fmt.Errorf("read regions of warehouses: %w", err)
	}
	for _, r := range rows {
		byID[r.WarehouseID].ServesRegionIDs = append(byID[r.WarehouseID].ServesRegionIDs, r.RegionID)
	}
	return nil
}

// tenantAdmin checks that p may manage the tenant's warehouses.
func (s *Service) tenantAdmin(ctx context.Context, p *identity.Principal) error {
	t, err := tenantPrincipal(ctx, p)
	if err != nil {
		return err
	}
	return s.Authz.Check(ctx, p, authz.TenantDomain(t.ID), PermManage)
}

// CreateWarehouse adds a main or district warehouse of the tenant. p needs
// PermManage in the tenant's domain.
//
// Returns Forbidden without it; Invalid with field errors for bad input
// (a district warehouse must stand in a district); Conflict when the
// tenant has a main warehouse already or the name is taken.
func (s *Service) CreateWarehouse(ctx context.Context, p *identity.Principal, in WarehouseInput) (*Warehouse, error) {
	if err := s.tenantAdmin(ctx, p); err != nil {
		return nil, err
	}
	var fe core.FieldErrors
	kind := strings.TrimSpace(in.Kind)
	if kind != KindMain && kind != KindDistrict {
		fe.Add("kind", "inventory.field.kind_invalid")
	}
	w := checkWarehouse(&fe, in, kind)
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		return createWarehouse(ctx, tx, fe, w)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// Warehouses lists every warehouse of the tenant: main first, then
// district, then shop warehouses, each by name. p needs PermManage in the
// tenant's domain.
func (s *Service) Warehouses(ctx context.Context, p *identity.Principal) ([]*Warehouse, error) {
	if err := s.tenantAdmin(ctx, p); err != nil {
		return nil, err
	}
	ws := []*Warehouse{}
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if err := db.Select(ctx, tx, &ws).OrderExpr(kindOrder).Order("w.name", "w.id").Scan(ctx); err != nil {
			return fmt.Errorf("list warehouses: %w", err)
		}
		return withRegions(ctx, tx, ws)
	})
	if err != nil {
		return nil, err
	}
	return ws, nil
}

const kindOrder = "CASE w.kind WHEN 'main' THEN 0 WHEN 'district' THEN 1 ELSE 2 END"

// ShopWarehouses lists the warehouses shop shopID may keep stock in: the
// tenant's main and district warehouses, then the shop's own. p needs
// PermManage in the shop's domain; NotFound for shops outside p's reach.
func (s *Service) ShopWarehouses(ctx context.Context, p *identity.Principal, shopID string) ([]*Warehouse, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	ws := []*Warehouse{}
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.shopFor(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		if err := db.Select(ctx, tx, &ws).
			WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
				return q.Where("w.kind IN (?)", bun.List([]string{KindMain, KindDistrict})).WhereOr("w.shop_id = ?", sh.ID)
			}).OrderExpr(kindOrder).Order("w.name", "w.id").Scan(ctx); err != nil {
			return fmt.Errorf("list warehouses of shop: %w", err)
		}
		return withRegions(ctx, tx, ws)
	})
	if err != nil {
		return nil, err
	}
	return ws, nil
}

// CreateShopWarehouse adds a warehouse of shop shopID (kind shop). Its
// region defaults to the shop's district. p needs PermManage in the shop's
// domain. Errors as CreateWarehouse; NotFound for shops outside p's
// reach; Conflict for a closed shop.
func (s *Service) CreateShopWarehouse(ctx context.Context, p *identity.Principal, shopID string, in WarehouseInput) (*Warehouse, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	var fe core.FieldErrors
	w := checkWarehouse(&fe, in, KindShop)
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.writableShop(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		w.ShopID = &sh.ID
		if w.RegionID == "" && sh.RegionID != nil {
			w.RegionID = *sh.RegionID
		}
		return createWarehouse(ctx, tx, fe, w)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// shopWarehouse loads warehouse id for stock of shop sh: a main or
// district warehouse, or one of the shop's own. NotFound otherwise.
func shopWarehouse(ctx context.Context, tx bun.IDB, sh *merchant.Shop, id string) (*Warehouse, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	w := new(Warehouse)
	if err := db.Select(ctx, tx, w).Where("w.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	if w.Kind == KindShop && (w.ShopID == nil || *w.ShopID != sh.ID) {
		return nil, errNotFound
	}
	return w, nil
}
