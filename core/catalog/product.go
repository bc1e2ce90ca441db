package catalog

import (
	"time"

	"github.com/uptrace/bun"
)

// Product statuses. Only active products of open shops are sold.
const (
	ProductDraft    = "draft"
	ProductActive   = "active"
	ProductArchived = "archived"
)

// SKU statuses.
const (
	SKUActive   = "active"
	SKUArchived = "archived"
)

// Certifications a product may carry.
const (
	CertGreen   = "green"   // 绿色食品
	CertOrganic = "organic" // 有机
	CertGeo     = "geo"     // 地理标志
)

// MaxPriceFen bounds every price and cost (1,000,000,000 yuan), so that a
// price times any allowed quantity fits an int64.
const MaxPriceFen = 100_000_000_000

// Product is one thing a shop sells, with its SKUs (规格) and images.
type Product struct {
	bun.BaseModel `bun:"table:products,alias:p"`

	TenantID       string            `bun:"tenant_id,pk" json:"-"`
	ID             string            `bun:"id,pk" json:"id"`
	ShopID         string            `bun:"shop_id,notnull" json:"shop_id"`
	CategoryID     string            `bun:"category_id,notnull" json:"category_id"`
	Name           string            `bun:"name,notnull" json:"name"`
	Subtitle       string            `bun:"subtitle,notnull" json:"subtitle"`
	Description    string            `bun:"description,notnull" json:"description"`
	Status         string            `bun:"status,notnull" json:"status"`
	Origin         string            `bun:"origin,notnull" json:"origin"` // 产地
	Certifications []string          `bun:"certifications,notnull,type:text" json:"certifications"`
	Attributes     map[string]string `bun:"attributes,notnull,type:text" json:"attributes"`
	Series         string            `bun:"series,notnull" json:"series"`
	SupplierID     *string           `bun:"supplier_id" json:"supplier_id,omitempty"`
	CoverPath      string            `bun:"cover_path,notnull" json:"cover_path"`
	SalesCount     int64             `bun:"sales_count,notnull" json:"sales_count"`
	CreatedAt      time.Time         `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt      time.Time         `bun:"updated_at,notnull" json:"updated_at"`

	SKUs   []*SKU          `bun:"-" json:"skus,omitempty"`
	Images []*ProductImage `bun:"-" json:"images,omitempty"`
}

// SKU is one purchasable variant of a product, priced in fen.
type SKU struct {
	bun.BaseModel `bun:"table:skus,alias:k"`

	TenantID      string    `bun:"tenant_id,pk" json:"-"`
	ID            string    `bun:"id,pk" json:"id"`
	ProductID     string    `bun:"product_id,notnull" json:"product_id"`
	ShopID        string    `bun:"shop_id,notnull" json:"shop_id"`
	Code          string    `bun:"code,notnull" json:"code"`
	Spec          string    `bun:"spec,notnull" json:"spec"` // 规格
	PriceFen      int64     `bun:"price_fen,notnull" json:"price_fen"`
	ListPriceFen  int64     `bun:"list_price_fen,notnull" json:"list_price_fen"`
	CostFen       int64     `bun:"cost_fen,notnull" json:"cost_fen,omitempty"` // shown to the shop only
	WeightG       int       `bun:"weight_g,notnull" json:"weight_g"`
	Barcode       string    `bun:"barcode,notnull" json:"barcode"`
	PurchaseLimit int       `bun:"purchase_limit,notnull" json:"purchase_limit"` // per order; 0 = none
	Status        string    `bun:"status,notnull" json:"status"`
	Sort          int       `bun:"sort,notnull" json:"sort"`
	CreatedAt     time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at,notnull" json:"updated_at"`
}

// ProductImage is one image of a product, stored under /uploads/.
type ProductImage struct {
	bun.BaseModel `bun:"table:product_images,alias:pi"`

	TenantID  string    `bun:"tenant_id,pk" json:"-"`
	ID        string    `bun:"id,pk" json:"id"`
	ProductID string    `bun:"product_id,notnull" json:"product_id"`
	Path      string    `bun:"path,notnull" json:"path"`
	Sort      int       `bun:"sort,notnull" json:"sort"`
	CreatedAt time.Time `bun:"created_at,notnull" json:"created_at"`
}
