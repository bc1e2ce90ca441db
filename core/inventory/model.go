package inventory

import (
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Warehouse kinds.
const (
	KindMain     = "main"     // the tenant's main (cold) warehouse; one at most
	KindDistrict = "district" // a district sub-warehouse of the tenant
	KindShop     = "shop"     // a shop's own warehouse
)

// Warehouse is a place stock is kept. Main and district warehouses are the
// tenant's and hold any shop's lots; a shop warehouse holds its shop's.
type Warehouse struct {
	bun.BaseModel `bun:"table:warehouses,alias:w"`

	TenantID  string    `bun:"tenant_id,pk" json:"-"`
	ID        string    `bun:"id,pk" json:"id"`
	Kind      string    `bun:"kind,notnull" json:"kind"`
	Name      string    `bun:"name,notnull" json:"name"`
	RegionID  string    `bun:"region_id,notnull" json:"region_id"`
	ShopID    *string   `bun:"shop_id" json:"shop_id,omitempty"`
	Cold      bool      `bun:"cold,notnull" json:"cold"`
	Address   string    `bun:"address,notnull" json:"address"`
	CreatedAt time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt time.Time `bun:"updated_at,notnull" json:"updated_at"`

	// ServesRegionIDs are the regions it delivers to (a city covers its
	// districts).
	ServesRegionIDs []string `bun:"-" json:"serves_region_ids"`
}

// warehouseRegion is one region a warehouse serves.
type warehouseRegion struct {
	bun.BaseModel `bun:"table:warehouse_regions,alias:wr"`

	TenantID    string `bun:"tenant_id,pk"`
	WarehouseID string `bun:"warehouse_id,pk"`
	RegionID    string `bun:"region_id,pk"`
}

// Lot is one receipt of a SKU into a warehouse, with its traceability.
type Lot struct {
	bun.BaseModel `bun:"table:lots,alias:l"`

	TenantID     string     `bun:"tenant_id,pk" json:"-"`
	ID           string     `bun:"id,pk" json:"id"`
	SKUID        string     `bun:"sku_id,notnull" json:"sku_id"`
	ShopID       string     `bun:"shop_id,notnull" json:"shop_id"`
	WarehouseID  string     `bun:"warehouse_id,notnull" json:"warehouse_id"`
	ReceivedOn   Date       `bun:"received_on" json:"received_on"`
	BestBefore   Date       `bun:"best_before" json:"best_before"`
	QtyReceived  int        `bun:"qty_received,notnull" json:"qty_received"`
	OnHand       int        `bun:"on_hand,notnull" json:"on_hand"`
	Reserved     int        `bun:"reserved,notnull" json:"reserved"`
	Producer     string     `bun:"producer,notnull" json:"producer"` // farmer, base operator or supplier
	Base         string     `bun:"base,notnull" json:"base"`         // 基地
	SownOn       Date       `bun:"sown_on" json:"sown_on,omitempty"`
	PesticideOn  Date       `bun:"pesticide_on" json:"pesticide_on,omitempty"`
	FertilisedOn Date       `bun:"fertilised_on" json:"fertilised_on,omitempty"`
	HarvestedOn  Date       `bun:"harvested_on" json:"harvested_on,omitempty"`
	ResidueTest  string     `bun:"residue_test,notnull" json:"residue_test"` // 农残检测 result
	Note         string     `bun:"note,notnull" json:"note"`
	CreatedBy    *string    `bun:"created_by" json:"created_by,omitempty"`
	CreatedAt    time.Time  `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt    time.Time  `bun:"updated_at,notnull" json:"updated_at"`
	Available    int        `bun:"-" json:"available"` // on_hand - reserved, 0 once expired
	Expired      bool       `bun:"-" json:"expired"`   // best-before before today (tenant's zone)
	Warehouse    *Warehouse `bun:"-" json:"-"`
}

// fill computes Available and Expired for today.
func (l *Lot) fill(today Date) {
	l.Expired = l.BestBefore.Before(today)
	l.Available = 0
	if !l.Expired {
		l.Available = l.OnHand - l.Reserved
	}
}

// Reservation statuses.
const (
	ReservationActive    = "active"
	ReservationCommitted = "committed"
	ReservationReleased  = "released"
	ReservationExpired   = "expired" // released by the sweep
)

// Reservation holds units of one or more SKUs for an owner (a checkout)
// until it is committed or released, or expires.
type Reservation struct {
	bun.BaseModel `bun:"table:stock_reservations,alias:r"`

	TenantID   string     `bun:"tenant_id,pk" json:"-"`
	ID         string     `bun:"id,pk" json:"id"`
	Owner      string     `bun:"owner,notnull" json:"owner"`
	Status     string     `bun:"status,notnull" json:"status"`
	ExpiresAt  time.Time  `bun:"expires_at,notnull" json:"expires_at"`
	ResolvedAt *time.Time `bun:"resolved_at" json:"resolved_at,omitempty"`
	CreatedAt  time.Time  `bun:"created_at,notnull" json:"created_at"`

	Allocations []*Allocation `bun:"-" json:"allocations"`
}

// Allocation is how many units of which lot a reservation holds.
type Allocation struct {
	bun.BaseModel `bun:"table:stock_allocations,alias:sa"`

	TenantID      string `bun:"tenant_id,pk" json:"-"`
	ReservationID string `bun:"reservation_id,pk" json:"-"`
	LotID         string `bun:"lot_id,pk" json:"lot_id"`
	SKUID         string `bun:"sku_id,notnull" json:"sku_id"`
	Qty           int    `bun:"qty,notnull" json:"qty"`
	// Restocked are the units of Qty put back after the commit (Restock).
	Restocked int `bun:"restocked,notnull" json:"restocked"`
}

// Movement kinds.
const (
	MoveReceive = "receive"
	MoveReserve = "reserve"
	MoveCommit  = "commit"
	MoveRelease = "release"
	MoveAdjust  = "adjust"
)

// Adjustment reasons.
const (
	ReasonCount   = "count"   // a stock count found more or fewer
	ReasonDamage  = "damage"  // damaged or spoilt goods taken out
	ReasonExpired = "expired" // expired goods taken out (or a reservation's expiry)
	ReasonOther   = "other"
	ReasonRestock = "restock" // sold units put back (Restock)
)

// Movement is one change to a lot's on_hand or reserved.
type Movement struct {
	bun.BaseModel `bun:"table:stock_movements,alias:m"`

	TenantID      string    `bun:"tenant_id,pk" json:"-"`
	ID            string    `bun:"id,pk" json:"id"`
	LotID         string    `bun:"lot_id,notnull" json:"lot_id"`
	SKUID         string    `bun:"sku_id,notnull" json:"sku_id"`
	WarehouseID   string    `bun:"warehouse_id,notnull" json:"warehouse_id"`
	Kind          string    `bun:"kind,notnull" json:"kind"`
	OnHandDelta   int       `bun:"on_hand_delta,notnull" json:"on_hand_delta"`
	ReservedDelta int       `bun:"reserved_delta,notnull" json:"reserved_delta"`
	Reason        string    `bun:"reason,notnull" json:"reason"`
	Note          string    `bun:"note,notnull" json:"note"`
	Reference     string    `bun:"reference,notnull" json:"reference"`
	ActorID       *string   `bun:"actor_id" json:"actor_id,omitempty"`
	CreatedAt     time.Time `bun:"created_at,notnull" json:"created_at"`
}

// threshold is a SKU's low-stock threshold.
type threshold struct {
	bun.BaseModel `bun:"table:stock_thresholds,alias:th"`

	TenantID  string    `bun:"tenant_id,pk"`
	SKUID     string    `bun:"sku_id,pk"`
	Threshold int       `bun:"threshold,notnull"`
	UpdatedBy *string   `bun:"updated_by"`
	UpdatedAt time.Time `bun:"updated_at,notnull"`
}

// DateLayout is how dates are written: 2026-03-01.
const DateLayout = "2006-01-02"

// Date is a calendar day, "YYYY-MM-DD" ("" for none). It is stored as a
// date on PostgreSQL and as that text on SQLite; the text sorts as the
// days do.
type Date string

// DateOf returns the day of t in t's location.
func DateOf(t time.Time) Date { return Date(t.Format(DateLayout)) }

// ParseDate reads "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return "", err
	}
	return DateOf(t), nil
}

// Time returns midnight UTC of d.
func (d Date) Time() time.Time {
	t, _ := time.Parse(DateLayout, string(d))
	return t
}

// AddDays returns d plus n days.
func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool { return d < e }

// Value implements driver.Valuer: NULL for "".
func (d Date) Value() (driver.Value, error) {
	if d == "" {
		return nil, nil
	}
	return string(d), nil
}

// Scan implements sql.Scanner for a PostgreSQL date (time.Time) or the
// SQLite text.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = ""
	case time.Time:
		*d = DateOf(v)
	case string:
		*d = Date(firstN(v, 10))
	case []byte:
		*d = Date(firstN(string(v), 10))
	default:
		return fmt.Errorf("inventory: cannot scan %T into a Date", src)
	}
	return nil
}

func firstN(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
