package catalog

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/validate"
	"golang.org/x/text/unicode/norm"
)

// Product field limits.
const (
	NameMax          = 60
	SubtitleMax      = 60
	DescriptionMax   = 2000
	OriginMax        = 30
	SeriesMax        = 30
	AttributesMax    = 20 // keys
	AttributeKeyMax  = 20
	AttributeValMax  = 100
	SKUsMin, SKUsMax = 1, 50
	SKUCodeMax       = 32
	SpecMax          = 20
	MaxWeightG       = 1_000_000 // one tonne
	MaxPurchaseLimit = 9999
	MaxImages        = 9
)

// Certifications lists the known certifications in display order.
var Certifications = []string{CertGreen, CertOrganic, CertGeo}

// ProductInput is what a merchant submits for a product. Create and
// Update take the whole product: SKUs missing from Update's list are
// archived (kept for the orders that name them), not deleted.
type ProductInput struct {
	// CategoryID must be a leaf of the tenant's category tree.
	CategoryID  string `json:"category_id"`
	Name        string `json:"name"`
	Subtitle    string `json:"subtitle"`
	Description string `json:"description"`
	// Status is draft (the default), active or archived.
	Status string `json:"status"`
	Origin string `json:"origin"`
	// Certifications are codes of Certifications.
	Certifications []string          `json:"certifications"`
	Attributes     map[string]string `json:"attributes"`
	Series         string            `json:"series"`
	// SupplierID names the approved flagship supplier a flagship-store
	// product is listed for; empty otherwise.
	SupplierID string     `json:"supplier_id"`
	SKUs       []SKUInput `json:"skus"`
}

// SKUInput is one variant of a ProductInput. Prices are in fen.
type SKUInput struct {
	// ID keeps an existing SKU on Update; without it an existing SKU of
	// the product with the same code is kept, else a new one is made.
	ID string `json:"id,omitempty"`
	// Code is the shop's SKU code, unique in the shop regardless of case
	// and width; empty makes one up.
	Code string `json:"code"`
	Spec string `json:"spec"`
	// PriceFen is at least 1. ListPriceFen 0 means "same as the price";
	// otherwise it is at least the price.
	PriceFen      int64  `json:"price_fen"`
	ListPriceFen  int64  `json:"list_price_fen"`
	CostFen       int64  `json:"cost_fen"`
	WeightG       int    `json:"weight_g"`
	Barcode       string `json:"barcode"`
	PurchaseLimit int    `json:"purchase_limit"`
}

var (
	skuCodeRE = regexp.MustCompile(`^[A-Z0-9][A-Z0-9._-]*$`)
	barcodeRE = regexp.MustCompile(`^[0-9]{8,14}$`)
)

// NormalizeSKUCode folds a SKU code to its stored form: full-width
// characters become ASCII (NFKC), letters upper case, surrounding space
// trimmed; so "ab-1", "AB-1" and "ＡＢ－１" are the same code.
func NormalizeSKUCode(s string) string {
	return strings.ToUpper(strings.TrimSpace(norm.NFKC.String(s)))
}

// checkedProduct is a validated ProductInput.
type checkedProduct struct {
	Product
	skus []*SKU
	// ids are the SKU ids the input named (by index; "" for none).
	ids []string
}

// check validates in (all but what needs the database: the category, the
// supplier and codes taken by other products) and returns the product's
// fields and its SKUs, with field errors in fe.
func check(fe *core.FieldErrors, in ProductInput) *checkedProduct {
	c := &checkedProduct{}
	pr := &c.Product
	pr.Name = validate.Text(fe, "name", in.Name, 1, NameMax)
	pr.Subtitle = validate.Text(fe, "subtitle", in.Subtitle, 0, SubtitleMax)
	pr.Description = validate.Text(fe, "description", in.Description, 0, DescriptionMax)
	pr.Origin = validate.Text(fe, "origin", in.Origin, 0, OriginMax)
	pr.Series = validate.Text(fe, "series", in.Series, 0, SeriesMax)
	pr.CategoryID = strings.TrimSpace(in.CategoryID)
	if pr.CategoryID == "" {
		fe.Add("category_id", "field.required")
	} else if !validID(pr.CategoryID) {
		fe.Add("category_id", "catalog.field.category_invalid")
	}
	pr.Status = strings.TrimSpace(in.Status)
	switch pr.Status {
	case "":
		pr.Status = ProductDraft
	case ProductDraft, ProductActive, ProductArchived:
	default:
		fe.Add("status", "catalog.field.status_invalid")
	}
	certs := map[string]bool{}
	for _, x := range in.Certifications {
		x = strings.ToLower(strings.TrimSpace(x))
		if !isCert(x) {
			fe.Add("certifications", "catalog.field.cert_invalid")
			continue
		}
		certs[x] = true
	}
	pr.Certifications = []string{}
	for _, x := range Certifications {
		if certs[x] {
			pr.Certifications = append(pr.Certifications, x)
		}
	}
	pr.Attributes = map[string]string{}
	if len(in.Attributes) > AttributesMax {
		fe.Add("attributes", "catalog.field.attributes_count")
	}
	keys := make([]string, 0, len(in.Attributes))
	for k := range in.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var afe core.FieldErrors
		key := validate.Text(&afe, "k", k, 1, AttributeKeyMax)
		val := validate.Text(&afe, "v", in.Attributes[k], 0, AttributeValMax)
		if len(afe) > 0 {
			fe.Add("attributes", "catalog.field.attribute_invalid")
			continue
		}
		pr.Attributes[key] = val
	}
	if sid := strings.TrimSpace(in.SupplierID); sid != "" {
		if !validID(sid) {
			fe.Add("supplier_id", "catalog.field.supplier_invalid")
		}
		pr.SupplierID = &sid
	}

	switch {
	case len(in.SKUs) < SKUsMin:
		fe.Add("skus", "catalog.field.skus_count")
	case len(in.SKUs) > SKUsMax:
		fe.Add("skus", "catalog.field.skus_count")
	}
	seen := map[string]bool{}
	for i, x := range in.SKUs {
		f := "skus." + strconv.Itoa(i) + "."
		k := &SKU{Status: SKUActive, Sort: i}
		k.Code = NormalizeSKUCode(x.Code)
		switch {
		case k.Code == "":
			// made up when the product's id is known
		case utf8.RuneCountInString(k.Code) > SKUCodeMax:
			fe.Add(f+"code", "field.too_long")
		case !skuCodeRE.MatchString(k.Code):
			fe.Add(f+"code", "catalog.field.sku_code_invalid")
		default:
			if seen[k.Code] {
				fe.Add(f+"code", "catalog.field.sku_code_duplicate")
			}
			seen[k.Code] = true
		}
		k.Spec = validate.Text(fe, f+"spec", x.Spec, 1, SpecMax)
		k.PriceFen, k.ListPriceFen, k.CostFen = x.PriceFen, x.ListPriceFen, x.CostFen
		if k.PriceFen < 1 || k.PriceFen > MaxPriceFen {
			fe.Add(f+"price_fen", "catalog.field.price_range")
		}
		if k.ListPriceFen == 0 && k.PriceFen > 0 {
			k.ListPriceFen = k.PriceFen
		}
		switch {
		case k.ListPriceFen < 0 || k.ListPriceFen > MaxPriceFen:
			fe.Add(f+"list_price_fen", "catalog.field.price_range")
		case k.ListPriceFen < k.PriceFen:
			fe.Add(f+"list_price_fen", "catalog.field.list_below_price")
		}
		if k.CostFen < 0 || k.CostFen > MaxPriceFen {
			fe.Add(f+"cost_fen", "catalog.field.price_range")
		}
		k.WeightG = x.WeightG
		if k.WeightG < 0 || k.WeightG > MaxWeightG {
			fe.Add(f+"weight_g", "catalog.field.weight_range")
		}
		k.Barcode = strings.TrimSpace(norm.NFKC.String(x.Barcode))
		if k.Barcode != "" && !barcodeRE.MatchString(k.Barcode) {
			fe.Add(f+"barcode", "catalog.field.barcode_invalid")
		}
		k.PurchaseLimit = x.PurchaseLimit
		if k.PurchaseLimit < 0 || k.PurchaseLimit > MaxPurchaseLimit {
			fe.Add(f+"purchase_limit", "catalog.field.limit_range")
		}
		id := strings.TrimSpace(x.ID)
		if id != "" && !validID(id) {
			fe.Add(f+"id", "catalog.field.sku_invalid")
		}
		c.skus = append(c.skus, k)
		c.ids = append(c.ids, id)
	}
	return c
}

func isCert(x string) bool {
	for _, c := range Certifications {
		if c == x {
			return true
		}
	}
	return false
}

// SuggestedPrice is the suggested retail price range for a cost, from
// the seed plans' rule (cost × 3 to cost × 4), capped at MaxPriceFen.
// Both are 0 for an unknown (zero or negative) cost.
func SuggestedPrice(costFen int64) (min, max int64) {
	if costFen <= 0 {
		return 0, 0
	}
	min, max = costFen*3, costFen*4
	if costFen > MaxPriceFen/4 {
		max = MaxPriceFen
	}
	if costFen > MaxPriceFen/3 {
		min = MaxPriceFen
	}
	return min, max
}

// FormatYuan formats fen as yuan with two decimals ("12.80").
func FormatYuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return sign + strconv.FormatInt(fen/100, 10) + "." + strconv.FormatInt(fen%100/10, 10) + strconv.FormatInt(fen%10, 10)
}

// ParseYuan reads a yuan amount with at most two decimals ("12", "12.8",
// "12.80", "¥12.80", full-width digits) as fen, without floating point.
// It reports false for anything else, and for amounts above MaxPriceFen.
func ParseYuan(s string) (int64, bool) {
	s = strings.TrimSpace(norm.NFKC.String(s))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "¥"), "￥")
	s = strings.ReplaceAll(s, ",", "")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || len(frac) > 2 || len(whole) > 10 {
		return 0, false
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return 0, false
			}
		}
	}
	var fen int64
	for _, r := range whole {
		fen = fen*10 + int64(r-'0')
	}
	frac = (frac + "00")[:2]
	fen = fen*100 + int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	if fen > MaxPriceFen {
		return 0, false
	}
	return fen, true
}
