// Package cart keeps the shopper's cart: one cart across every shop of the
// marketplace, stored in the database, for a signed-in shopper or for an
// anonymous visitor (a random token in the jishi_cart cookie, of which only
// the sha256 is stored). A visitor's cart merges into the shopper's at
// sign-in (Merge).
//
// A cart holds lines (a SKU and a quantity, 1..MaxQty, one line per SKU,
// at most MaxLines). Only active SKUs of active products of open shops can
// be added, and a SKU's purchase limit (per order) caps its line. Showing
// the cart (View) re-reads prices (through a Pricer, so member, tier and
// flash prices apply), availability for the shopper's region and the
// limits, notes what changed since the shopper last saw each line, and
// records what was shown.
//
// Checkout reads a cart with Load and empties it with Clear or
// RemoveLines inside its own transaction.
//
// Every method works in the tenant carried by ctx; ids of other tenants,
// and lines of other carts, answer NotFound.
package cart

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Limits of a cart.
const (
	MaxQty   = 999 // units on one line
	MaxLines = 100 // lines of one cart
)

// A line's subtotal (price × quantity) and a cart's total (the sum of at
// most MaxLines subtotals) fit an int64: this constant does not compile
// otherwise.
const _ uint64 = math.MaxInt64 - catalog.MaxPriceFen*MaxQty*MaxLines

// Deps are what the cart uses.
type Deps struct {
	DB        *db.DB
	Inventory *inventory.Service
	// Pricer gives the unit prices that apply to the shopper; nil means
	// the catalog's prices (CatalogPrices).
	Pricer Pricer
	// Secure marks the jishi_cart cookie Secure (served behind TLS).
	Secure bool
}

// Service is the cart context's API.
type Service struct {
	Deps
	now func() time.Time
}

// New returns the service.
func New(d Deps) *Service {
	if d.Pricer == nil {
		d.Pricer = CatalogPrices{}
	}
	return &Service{Deps: d, now: time.Now}
}

// Ref names a cart: the signed-in shopper's (UserID) or an anonymous
// visitor's (Token, the value of the jishi_cart cookie). UserID wins when
// both are set.
type Ref struct {
	UserID string
	Token  string
	// Issued is set by the call that created an anonymous cart: the
	// caller must send Token to the visitor in the cookie (SetCookie).
	Issued bool
}

// Line states: what a line is, as the shopper sees it now.
const (
	StateOK          = "ok"           // can be ordered as it stands
	StateShort       = "short"        // fewer units available than the line holds
	StateOutOfStock  = "out_of_stock" // nothing available in the region
	StateOverLimit   = "over_limit"   // the line holds more than the SKU's purchase limit
	StateUnavailable = "unavailable"  // no longer sold (SKU or product withdrawn, shop not open)
)

// cartRow is a stored cart.
type cartRow struct {
	bun.BaseModel `bun:"table:carts,alias:c"`

	TenantID  string    `bun:"tenant_id,pk"`
	ID        string    `bun:"id,pk"`
	UserID    *string   `bun:"user_id"`
	TokenHash *string   `bun:"token_hash"`
	RegionID  *string   `bun:"region_id"`
	CreatedAt time.Time `bun:"created_at,notnull"`
	UpdatedAt time.Time `bun:"updated_at,notnull"`
}

// lineRow is a stored line.
type lineRow struct {
	bun.BaseModel `bun:"table:cart_lines,alias:cl"`

	TenantID     string    `bun:"tenant_id,pk"`
	ID           string    `bun:"id,pk"`
	CartID       string    `bun:"cart_id,notnull"`
	SKUID        string    `bun:"sku_id,notnull"`
	Qty          int       `bun:"qty,notnull"`
	SeenPriceFen int64     `bun:"seen_price_fen,notnull"`
	SeenState    string    `bun:"seen_state,notnull"`
	CreatedAt    time.Time `bun:"created_at,notnull"`
	UpdatedAt    time.Time `bun:"updated_at,notnull"`
}

var (
	errNotFound = core.Errorf(core.NotFound, "error.not_found")
	errFull     = core.Errorf(core.Conflict, "cart.error.full", MaxLines)
	errNotSold  = core.Errorf(core.Conflict, "cart.error.not_sold")
)

func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil
}

// tokenBytes is the entropy of a visitor's token.
const tokenBytes = 32

// newToken returns a random token (base64url, 43 characters) and its hash.
func newToken() (token, hash string) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		panic("cart: no randomness: " + err.Error()) // crypto/rand does not fail on supported systems
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

// hashToken is how tokens are stored and looked up.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// wellFormed reports whether s looks like a token newToken made, so that
// junk is turned away before any lookup.
func wellFormed(s string) bool {
	if len(s) != 43 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// findCart returns the cart ref names, or nil when there is none.
func findCart(ctx context.Context, tx bun.IDB, ref Ref) (*cartRow, error) {
	c := new(cartRow)
	q := db.Select(ctx, tx, c)
	switch {
	case ref.UserID != "":
		if !validID(ref.UserID) {
			return nil, errNotFound
		}
		q = q.Where("c.user_id = ?", ref.UserID)
	case wellFormed(ref.Token):
		q = q.Where("c.token_hash = ?", hashToken(ref.Token))
	default:
		return nil, nil
	}
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, fmt.Errorf("find cart: %w", err)
	}
	return c, nil
}

// cartByID returns cart id; NotFound for ids that are not the tenant's.
func cartByID(ctx context.Context, tx bun.IDB, id string) (*cartRow, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	c := new(cartRow)
	if err := db.Select(ctx, tx, c).Where("c.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return c, nil
}

// openCart returns the cart ref names, creating it when there is none: a
// shopper's cart (created at most once, even by concurrent calls), or a
// visitor's with a new token (returned in the Ref, Issued set).
func (s *Service) openCart(ctx context.Context, tx bun.IDB, ref Ref) (*cartRow, Ref, error) {
	c, err := findCart(ctx, tx, ref)
	if err != nil || c != nil {
		return c, ref, err
	}
	now := s.now().UTC()
	c = &cartRow{TenantID: db.TenantID(ctx), ID: tenants.NewID(), CreatedAt: now, UpdatedAt: now}
	if ref.UserID != "" {
		uid := ref.UserID
		c.UserID = &uid
		if _, err := tx.NewInsert().Model(c).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return nil, ref, fmt.Errorf("create cart: %w", err)
		}
		// A concurrent call may have created it first: read what stands.
		c, err = findCart(ctx, tx, ref)
		if err == nil && c == nil {
			err = fmt.Errorf("create cart of user %s: not found after insert", ref.UserID)
		}
		return c, ref, err
	}
	token, hash := newToken()
	c.TokenHash = &hash
	if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
		return nil, ref, fmt.Errorf("create cart: %w", err)
	}
	return c, Ref{Token: token, Issued: true}, nil
}

// lock takes cart c for the rest of the transaction (a row lock on
// PostgreSQL; SQLite has one writer anyway), so that changes to one cart
// run one after another, and marks it changed.
func (s *Service) lock(ctx context.Context, tx bun.IDB, c *cartRow) error {
	c.UpdatedAt = s.now().UTC()
	res, err := db.Update(ctx, tx, (*cartRow)(nil)).Set("updated_at = ?", c.UpdatedAt).Where("c.id = ?", c.ID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("lock cart %s: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errNotFound // deleted meanwhile (merged at sign-in)
	}
	return nil
}

// lineTotal is unit × qty, asserting the bounds that keep it in an int64.
func lineTotal(unit int64, qty int) (int64, error) {
	if unit < 0 || unit > catalog.MaxPriceFen || qty < 0 || qty > MaxQty {
		return 0, fmt.Errorf("cart: line of %d × %d fen is out of bounds", qty, unit)
	}
	return unit * int64(qty), nil
}
