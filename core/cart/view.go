package cart

import (
	"context"
	"fmt"
	"strings"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// View is the cart as the shopper sees it: lines grouped by shop (in the
// order their first line was added), with prices and availability read
// now.
type View struct {
	// RegionID is the region availability is shown for ("" for stock
	// anywhere).
	RegionID string       `json:"region_id,omitempty"`
	Shops    []*ShopGroup `json:"shops"`
	// Lines and Units count every line and unit in the cart.
	Lines int `json:"lines"`
	Units int `json:"units"`
	// TotalFen sums the shops' subtotals: the lines that can be ordered
	// as they stand (state ok).
	TotalFen int64 `json:"total_fen"`
	// Orderable is true when the cart has lines and every one is ok.
	Orderable bool `json:"orderable"`
	// Changed is true when some line has notes.
	Changed bool `json:"changed"`
}

// ShopGroup is one shop's lines.
type ShopGroup struct {
	ShopID string      `json:"shop_id"`
	Name   string      `json:"name"`
	Slug   string      `json:"slug"`
	Lines  []*ViewLine `json:"lines"`
	// SubtotalFen sums the subtotals of the shop's lines in state ok.
	SubtotalFen int64 `json:"subtotal_fen"`
}

// ViewLine is one line as shown.
type ViewLine struct {
	ID          string `json:"id"`
	SKUID       string `json:"sku_id"`
	ProductID   string `json:"product_id"`
	ProductName string `json:"product_name"`
	Spec        string `json:"spec"`
	// Image is the storage key of the product's cover (under /uploads/),
	// "" when it has none.
	Image string `json:"image"`
	Qty   int    `json:"qty"`
	// UnitFen is the price that applies to the shopper; PriceLabel says
	// why it differs from the catalog price ("member", "tier", "flash").
	UnitFen     int64  `json:"unit_fen"`
	PriceLabel  string `json:"price_label,omitempty"`
	ListFen     int64  `json:"list_fen"`
	SubtotalFen int64  `json:"subtotal_fen"`
	// PurchaseLimit is the SKU's limit per order (0: none).
	PurchaseLimit int `json:"purchase_limit"`
	// Available is how many units can be sold in the region now.
	Available int `json:"available"`
	// State is one of the State constants; only ok lines count in the
	// subtotals.
	State string `json:"state"`
	// Notes say what changed since the shopper last saw the line.
	Notes []Note `json:"notes"`
}

// Note kinds.
const (
	NotePriceUp     = "price_up"
	NotePriceDown   = "price_down"
	NoteOutOfStock  = "out_of_stock"
	NoteShort       = "short"
	NoteOverLimit   = "over_limit"
	NoteUnavailable = "unavailable"
	NoteBackInStock = "back_in_stock"
)

// Note is one change of a line since the shopper last saw it, with the
// figures (FromFen and ToFen for prices, Available for stock, Limit for
// a purchase limit) and a message in the caller's language.
type Note struct {
	Kind      string `json:"kind"`
	FromFen   int64  `json:"from_fen,omitempty"`
	ToFen     int64  `json:"to_fen,omitempty"`
	Available int    `json:"available,omitempty"`
	Limit     int    `json:"limit,omitempty"`
	Message   string `json:"message"`
}

// yuan writes fen as yuan with two decimals: 1280 → "12.80".
func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}

// View returns the cart ref names as the shopper sees it now, for region
// regionID ("" for the cart's own region, see SetRegion). It re-reads
// every line's price (through the Pricer), availability in the region
// (inventory.AvailableMany) and purchase limit; notes on each line what
// changed since the shopper last saw it (price up or down from X to Y,
// now out of stock, only N left, over the limit, no longer sold, back in
// stock); and then records the prices and states shown, so that the next
// view notes only newer changes. A ref without a cart sees an empty cart
// and nothing is written.
//
// Returns Invalid ("region", cart.field.region_invalid) for a regionID
// that is not a region of the tenant.
func (s *Service) View(ctx context.Context, ref Ref, regionID string) (*View, error) {
	regionID = strings.TrimSpace(regionID)
	v := &View{Shops: []*ShopGroup{}}
	var (
		c     *cartRow
		lines []*lineRow
		skus  map[string]*skuInfo
		price map[string]Price
	)
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if regionID != "" {
			if _, err := tenants.RegionByID(ctx, tx, regionID); err != nil {
				if core.IsNotFound(err) {
					var fe core.FieldErrors
					fe.Add("region", "cart.field.region_invalid")
					return fe.Err()
				}
				return err
			}
		}
		var err error
		if c, err = findCart(ctx, tx, ref); err != nil || c == nil {
			return err
		}
		if err := db.Select(ctx, tx, &lines).Where("cl.cart_id = ?", c.ID).Order("cl.created_at", "cl.id").Scan(ctx); err != nil {
			return fmt.Errorf("read cart lines: %w", err)
		}
		ids := make([]string, len(lines))
		qty := map[string]int{}
		for i, ln := range lines {
			ids[i] = ln.SKUID
			qty[ln.SKUID] = ln.Qty
		}
		if skus, err = loadSKUs(ctx, tx, ids); err != nil {
			return err
		}
		userID := ""
		if c.UserID != nil {
			userID = *c.UserID
		}
		price, err = s.prices(ctx, tx, userID, skus, qty)
		return err
	})
	if err != nil {
		return nil, err
	}
	if c == nil {
		v.RegionID = regionID
		return v, nil
	}
	if regionID == "" && c.RegionID != nil {
		regionID = *c.RegionID
	}
	v.RegionID = regionID
	if len(lines) == 0 {
		return v, nil
	}
	ids := make([]string, len(lines))
	for i, ln := range lines {
		ids[i] = ln.SKUID
	}
	avail, err := s.Inventory.AvailableMany(ctx, ids, regionID)
	if err != nil {
		return nil, fmt.Errorf("availability of cart %s: %w", c.ID, err)
	}

	locale := i18n.FromContext(ctx)
	groups := map[string]*ShopGroup{}
	var seen []*lineRow // lines whose recorded price or state changes
	v.Orderable = true
	for _, ln := range lines {
		k := skus[ln.SKUID]
		if k == nil {
			continue // its SKU was deleted since the lines were read (and the line with it)
		}
		p := price[ln.SKUID]
		sub, err := lineTotal(p.UnitFen, ln.Qty)
		if err != nil {
			return nil, err
		}
		vl := &ViewLine{ID: ln.ID, SKUID: ln.SKUID, ProductID: k.ProductID, ProductName: k.ProductName, Spec: k.Spec,
			Image: k.CoverPath, Qty: ln.Qty, UnitFen: p.UnitFen, PriceLabel: p.Label, ListFen: k.ListPriceFen,
			SubtotalFen: sub, PurchaseLimit: k.PurchaseLimit, Available: avail[ln.SKUID], Notes: []Note{}}
		vl.State = lineState(k, ln.Qty, vl.Available)
		vl.Notes = notes(locale, ln, vl)
		g := groups[k.ShopID]
		if g == nil {
			g = &ShopGroup{ShopID: k.ShopID, Name: k.ShopName, Slug: k.ShopSlug, Lines: []*ViewLine{}}
			groups[k.ShopID] = g
			v.Shops = append(v.Shops, g)
		}
		g.Lines = append(g.Lines, vl)
		v.Lines++
		v.Units += ln.Qty
		if vl.State == StateOK {
			g.SubtotalFen += sub
			v.TotalFen += sub
		} else {
			v.Orderable = false
		}
		if len(vl.Notes) > 0 {
			v.Changed = true
		}
		if ln.SeenPriceFen != p.UnitFen || ln.SeenState != vl.State {
			ln.SeenPriceFen, ln.SeenState = p.UnitFen, vl.State
			seen = append(seen, ln)
		}
	}
	if len(seen) > 0 {
		if err := s.recordSeen(ctx, c.ID, seen); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// lineState is the state of qty units of k with available units in the
// region.
func lineState(k *skuInfo, qty, available int) string {
	switch {
	case !k.Selling():
		return StateUnavailable
	case available <= 0:
		return StateOutOfStock
	case k.PurchaseLimit > 0 && qty > k.PurchaseLimit:
		return StateOverLimit
	case available < qty:
		return StateShort
	}
	return StateOK
}

// notes compares line vl, as shown now, with what its row ln says the
// shopper saw last.
func notes(locale string, ln *lineRow, vl *ViewLine) []Note {
	out := []Note{}
	if vl.State != StateUnavailable && ln.SeenPriceFen != vl.UnitFen {
		n := Note{Kind: NotePriceUp, FromFen: ln.SeenPriceFen, ToFen: vl.UnitFen}
		key := "cart.note.price_up"
		if vl.UnitFen < ln.SeenPriceFen {
			n.Kind, key = NotePriceDown, "cart.note.price_down"
		}
		n.Message = i18n.T(locale, key, yuan(ln.SeenPriceFen), yuan(vl.UnitFen))
		out = append(out, n)
	}
	if vl.State == ln.SeenState {
		return out
	}
	switch vl.State {
	case StateUnavailable:
		out = append(out, Note{Kind: NoteUnavailable, Message: i18n.T(locale, "cart.note.unavailable")})
	case StateOutOfStock:
		out = append(out, Note{Kind: NoteOutOfStock, Message: i18n.T(locale, "cart.note.out_of_stock")})
	case StateShort:
		out = append(out, Note{Kind: NoteShort, Available: vl.Available, Message: i18n.T(locale, "cart.note.short", vl.Available)})
	case StateOverLimit:
		out = append(out, Note{Kind: NoteOverLimit, Limit: vl.PurchaseLimit, Message: i18n.T(locale, "cart.note.over_limit", vl.PurchaseLimit)})
	case StateOK:
		if ln.SeenState != StateOverLimit {
			out = append(out, Note{Kind: NoteBackInStock, Message: i18n.T(locale, "cart.note.back_in_stock")})
		}
	}
	return out
}

// recordSeen stores the price and state shown of lines of cart cartID.
// A line removed meanwhile is simply not updated.
func (s *Service) recordSeen(ctx context.Context, cartID string, lines []*lineRow) error {
	return s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		for _, ln := range lines {
			_, err := db.Update(ctx, tx, (*lineRow)(nil)).Set("seen_price_fen = ?", ln.SeenPriceFen).
				Set("seen_state = ?", ln.SeenState).Where("cl.cart_id = ?", cartID).Where("cl.id = ?", ln.ID).Exec(ctx)
			if err != nil {
				return fmt.Errorf("record cart line %s as seen: %w", ln.ID, err)
			}
		}
		return nil
	})
}
