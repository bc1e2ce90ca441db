package checkout

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/jishi-dev/jishi/core"
)

// Limits of a checkout.
const (
	MaxLines   = 100
	MaxQty     = 999
	MaxCoupons = 5
	KeyMax     = 100 // Idempotency-Key length
)

// LineInput is one line to buy: a SKU and a quantity. Without lines a
// checkout buys the shopper's cart.
type LineInput struct {
	SKUID string `json:"sku_id"`
	Qty   int    `json:"qty"`
	// Attributes are set by a plugin's pages ("groupbuy.campaign" → id),
	// keyed "{plugin}.{name}"; the plugin prices and may hold the line.
	Attributes map[string]string `json:"attributes,omitempty"`
}

// ShopChoice is the delivery the shopper chose for one shop's part.
type ShopChoice struct {
	ShopID        string `json:"shop_id"`
	Method        string `json:"method"`
	SlotID        string `json:"slot_id,omitempty"`
	PickupPointID string `json:"pickup_point_id,omitempty"`
}

// Input is a quote or place request.
type Input struct {
	// RegionID is where the goods go (the delivery address's district, or
	// the pickup point's).
	RegionID string       `json:"region_id"`
	Lines    []LineInput  `json:"lines,omitempty"`
	Shops    []ShopChoice `json:"shops"`
	Coupons  []string     `json:"coupons,omitempty"`
	// Recipient, Phone and Address are the shopper's contact for every
	// shop's part (the address only for delivery methods).
	Recipient string `json:"recipient"`
	Phone     string `json:"phone"`
	Address   string `json:"address,omitempty"`
	// Provider is the payment provider: "offline" (pay on pickup or
	// delivery) or "balance" (惠农通).
	Provider string `json:"provider"`
	// ExpectedTotalFen is the total of the quote the shopper agreed to;
	// place refuses when the total has changed since.
	ExpectedTotalFen *int64 `json:"expected_total_fen,omitempty"`
}

// normalize trims the input and merges repeated SKUs.
func (in *Input) normalize() {
	in.RegionID = strings.TrimSpace(in.RegionID)
	in.Recipient = strings.TrimSpace(in.Recipient)
	in.Phone = strings.TrimSpace(in.Phone)
	in.Address = strings.TrimSpace(in.Address)
	in.Provider = strings.TrimSpace(in.Provider)
	for i := range in.Coupons {
		in.Coupons[i] = strings.TrimSpace(in.Coupons[i])
	}
	for i := range in.Shops {
		c := &in.Shops[i]
		c.ShopID, c.Method = strings.TrimSpace(c.ShopID), strings.TrimSpace(c.Method)
		c.SlotID, c.PickupPointID = strings.TrimSpace(c.SlotID), strings.TrimSpace(c.PickupPointID)
	}
}

// checkLines validates quantities and counts; it reports on "lines.{i}.…".
func checkLines(fe *core.FieldErrors, lines []LineInput) {
	if len(lines) > MaxLines {
		fe.Add("lines", "checkout.field.too_many_lines")
		return
	}
	seen := map[string]int{}
	for i, l := range lines {
		f := fmt.Sprintf("lines.%d", i)
		if strings.TrimSpace(l.SKUID) == "" {
			fe.Add(f+".sku_id", "field.required")
		}
		if l.Qty < 1 || l.Qty > MaxQty {
			fe.Add(f+".qty", "checkout.field.qty")
		}
		checkAttributes(fe, f, l.Attributes)
		if j, ok := seen[l.SKUID]; ok && l.SKUID != "" {
			fe.Add(f+".sku_id", "checkout.field.repeated_sku")
			_ = j
		}
		seen[l.SKUID] = i
	}
}

// Hash is the fingerprint of a place request: the same key with another
// request is refused (409).
func (in Input) Hash() string {
	c := in
	c.Lines = append([]LineInput(nil), in.Lines...)
	sort.Slice(c.Lines, func(i, j int) bool { return c.Lines[i].SKUID < c.Lines[j].SKUID })
	c.Shops = append([]ShopChoice(nil), in.Shops...)
	sort.Slice(c.Shops, func(i, j int) bool { return c.Shops[i].ShopID < c.Shops[j].ShopID })
	b, _ := json.Marshal(c)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
