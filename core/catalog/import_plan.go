package catalog

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
)

// importPlan is a validated file: the rows to write.
type importPlan struct {
	products []*Product
	skus     []*SKU
	ids      []string
}

// importGroup is the lines of one product.
type importGroup struct {
	rows []sheetRow
}

// importWorld is what validation reads from the database once per file.
type importWorld struct {
	cats      map[string]*Category // by lower-case code
	leaf      map[string]bool      // category id → has no children
	suppliers []Supplier
	taken     map[string]bool // SKU codes of the shop's products
}

func loadImportWorld(ctx context.Context, tx bun.IDB, sh *merchant.Shop) (*importWorld, error) {
	w := &importWorld{cats: map[string]*Category{}, leaf: map[string]bool{}, taken: map[string]bool{}}
	var cs []*Category
	if err := db.Select(ctx, tx, &cs).Scan(ctx); err != nil {
		return nil, fmt.Errorf("import: load categories: %w", err)
	}
	for _, c := range cs {
		w.cats[strings.ToLower(c.Code)] = c
		w.leaf[c.ID] = true
	}
	for _, c := range cs {
		if c.ParentID != nil {
			w.leaf[*c.ParentID] = false
		}
	}
	if sh.IsFlagship {
		err := db.Select(ctx, tx, (*merchant.FlagshipSupplier)(nil)).ColumnExpr("fs.user_id, u.name").
			Join("JOIN users AS u ON u.tenant_id = fs.tenant_id AND u.id = fs.user_id").Scan(ctx, &w.suppliers)
		if err != nil {
			return nil, fmt.Errorf("import: load suppliers: %w", err)
		}
	}
	var codes []string
	if err := db.Select(ctx, tx, (*SKU)(nil)).Column("k.code").Where("k.shop_id = ?", sh.ID).Scan(ctx, &codes); err != nil {
		return nil, fmt.Errorf("import: load SKU codes: %w", err)
	}
	for _, c := range codes {
		w.taken[c] = true
	}
	return w, nil
}

// skuFieldColumns maps check's SKU fields ("skus.{i}.{field}") to columns.
var skuFieldColumns = map[string]string{
	"code": colSKUCode, "spec": colSpec, "price_fen": colPrice, "list_price_fen": colListPrice, "cost_fen": colCost,
	"weight_g": colWeight, "barcode": colBarcode, "purchase_limit": colPurchaseLimit,
}

// productFieldColumns maps check's product fields to columns.
var productFieldColumns = map[string]string{
	"name": colName, "subtitle": colSubtitle, "description": colDescription, "origin": colOrigin, "series": colSeries,
	"category_id": colCategory, "status": colStatus, "certifications": colCerts, "supplier_id": colSupplier,
}

// statusWords are the status cells understood, besides the codes.
var statusWords = map[string]string{
	"草稿": ProductDraft, "在售": ProductActive, "上架": ProductActive, "已上架": ProductActive,
	"已下架": ProductArchived, "下架": ProductArchived,
}

// certWords are the certification cells understood, besides the codes.
var certWords = map[string]string{
	"绿色食品": CertGreen, "绿色": CertGreen, "有机": CertOrganic, "有机食品": CertOrganic,
	"地理标志": CertGeo, "地理标志产品": CertGeo,
}

// plan validates every line of sheet for shop sh and returns what to
// write, or the problems found (every one of them). progress, when set, is
// told the number of lines validated so far, in file order.
func (x *Importer) plan(ctx context.Context, tx bun.IDB, sh *merchant.Shop, sh2 *sheet, progress func(int)) (*importPlan, []ImportProblem, error) {
	w, err := loadImportWorld(ctx, tx, sh)
	if err != nil {
		return nil, nil, err
	}
	var groups []*importGroup
	byKey := map[string]*importGroup{}
	for _, r := range sh2.rows {
		key := r.values[colProductKey]
		if key == "" {
			key = "name:" + strings.TrimSpace(norm.NFC.String(r.values[colName]))
		} else {
			key = "key:" + strings.ToLower(norm.NFKC.String(key))
		}
		g := byKey[key]
		if g == nil {
			g = &importGroup{}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.rows = append(g.rows, r)
	}

	rep := &report{headers: sh2.headers, seen: map[[2]string]bool{}}
	pl := &importPlan{}
	now := time.Now().UTC()
	fileCodes := map[string]int{} // code → row that uses it first
	done := 0
	for _, g := range groups {
		first := g.rows[0]
		in := ProductInput{
			Name: first.values[colName], Subtitle: first.values[colSubtitle], Description: first.values[colDescription],
			Origin: first.values[colOrigin], Series: first.values[colSeries],
		}
		// Later lines repeat the product's columns or leave them empty.
		for _, r := range g.rows[1:] {
			for _, c := range productColumns {
				if v := r.values[c]; v != "" && v != first.values[c] {
					rep.add(r.line, c, "catalog.import.field.product_differs")
				}
			}
		}
		// Category by code.
		in.CategoryID = "00000000-0000-0000-0000-000000000000"
		switch code := first.values[colCategory]; {
		case code == "":
			rep.add(first.line, colCategory, "field.required")
		case w.cats[strings.ToLower(norm.NFKC.String(code))] == nil:
			rep.add(first.line, colCategory, "catalog.import.field.category_unknown")
		default:
			c := w.cats[strings.ToLower(norm.NFKC.String(code))]
			in.CategoryID = c.ID
			if !w.leaf[c.ID] {
				rep.add(first.line, colCategory, "catalog.field.category_leaf")
			}
		}
		// Status.
		in.Status = first.values[colStatus]
		if s, ok := statusWords[in.Status]; ok {
			in.Status = s
		} else {
			in.Status = strings.ToLower(in.Status)
		}
		// Certifications.
		for _, c := range strings.FieldsFunc(first.values[colCerts], func(r rune) bool {
			return strings.ContainsRune(",，、;；|/ ", r)
		}) {
			if code, ok := certWords[c]; ok {
				c = code
			}
			in.Certifications = append(in.Certifications, c)
		}
		// Supplier by name or id, on the flagship store only.
		if s := first.values[colSupplier]; s != "" {
			switch id := w.supplier(s); {
			case !sh.IsFlagship:
				rep.add(first.line, colSupplier, "catalog.field.supplier_flagship_only")
			case id == "":
				rep.add(first.line, colSupplier, "catalog.field.supplier_invalid")
			default:
				in.SupplierID = id
			}
		}
		// SKUs, one a line.
		for _, r := range g.rows {
			k := SKUInput{Code: r.values[colSKUCode], Spec: r.values[colSpec], Barcode: r.values[colBarcode]}
			k.PriceFen = rep.money(r, colPrice, true)
			k.ListPriceFen = rep.money(r, colListPrice, false)
			k.CostFen = rep.money(r, colCost, false)
			k.WeightG = rep.number(r, colWeight)
			k.PurchaseLimit = rep.number(r, colPurchaseLimit)
			in.SKUs = append(in.SKUs, k)
		}

		var fe core.FieldErrors
		c := check(&fe, in)
		fields := make([]string, 0, len(fe))
		for f := range fe {
			fields = append(fields, f)
		}
		sort.Strings(fields)
		for _, f := range fields {
			key := fe[f]
			if col, ok := productFieldColumns[f]; ok {
				rep.add(first.line, col, key)
				continue
			}
			if f == "skus" { // more than SKUsMax lines
				for _, r := range g.rows[SKUsMax:] {
					rep.add(r.line, colSpec, "catalog.import.field.too_many_skus")
				}
				continue
			}
			if rest, ok := strings.CutPrefix(f, "skus."); ok {
				i, name, _ := strings.Cut(rest, ".")
				n, err := strconv.Atoi(i)
				if err == nil && n < len(g.rows) && skuFieldColumns[name] != "" {
					rep.add(g.rows[n].line, skuFieldColumns[name], key)
					continue
				}
			}
			rep.add(first.line, colName, key)
		}

		pr := &c.Product
		pr.TenantID, pr.ShopID, pr.CreatedAt, pr.UpdatedAt = sh.TenantID, sh.ID, now, now
		// Made-up codes come from the product's id: draw another id
		// until they collide with nothing.
		for try := 0; ; try++ {
			pr.ID = tenants.NewID()
			clash := false
			for i, k := range c.skus {
				if NormalizeSKUCode(in.SKUs[i].Code) == "" {
					k.Code = madeUpCode(pr.ID, i)
					clash = clash || w.taken[k.Code] || fileCodes[k.Code] > 0
				}
			}
			if !clash || try == 10 {
				break
			}
		}
		for i, k := range c.skus {
			r := g.rows[i]
			if k.Code == "" || !skuCodeRE.MatchString(k.Code) {
				continue
			}
			switch {
			case w.taken[k.Code]:
				rep.add(r.line, colSKUCode, "catalog.field.sku_code_taken")
			case fileCodes[k.Code] > 0 && fileCodes[k.Code] != r.line && !sameGroup(g, fileCodes[k.Code]):
				rep.add(r.line, colSKUCode, "catalog.import.field.sku_code_repeated")
			}
			if fileCodes[k.Code] == 0 {
				fileCodes[k.Code] = r.line
			}
			k.ID = tenants.NewID()
			fillSKU(k, pr, i, now)
			k.CreatedAt = now
		}
		if len(rep.problems) == 0 {
			pl.products = append(pl.products, pr)
			pl.skus = append(pl.skus, c.skus...)
			pl.ids = append(pl.ids, pr.ID)
		}
		done += len(g.rows)
		if progress != nil {
			progress(done)
		}
	}
	if len(rep.problems) > 0 {
		sort.SliceStable(rep.problems, func(i, j int) bool { return rep.problems[i].Row < rep.problems[j].Row })
		return nil, rep.problems, nil
	}
	return pl, nil, nil
}

func sameGroup(g *importGroup, line int) bool {
	for _, r := range g.rows {
		if r.line == line {
			return true
		}
	}
	return false
}

// supplier returns the id of the approved supplier named s (by user id,
// or by a name no other supplier has), or "".
func (w *importWorld) supplier(s string) string {
	var byName []string
	for _, x := range w.suppliers {
		if strings.EqualFold(x.UserID, s) {
			return x.UserID
		}
		if x.Name == s {
			byName = append(byName, x.UserID)
		}
	}
	if len(byName) == 1 {
		return byName[0]
	}
	return ""
}

// report collects the problems of a file, one per cell.
type report struct {
	headers  map[string]string
	seen     map[[2]string]bool
	problems []ImportProblem
}

func (r *report) add(line int, field, key string) {
	k := [2]string{itoa(line), field}
	if r.seen[k] {
		return
	}
	r.seen[k] = true
	col := r.headers[field]
	if col == "" {
		col = field
	}
	r.problems = append(r.problems, ImportProblem{Row: line, Column: col, Field: field, Key: key})
}

// money reads the yuan amount in cell field of row as fen; a bad amount is
// reported (and read as 0, which check does not report again for the
// cell).
func (r *report) money(row sheetRow, field string, required bool) int64 {
	v := row.values[field]
	if v == "" {
		if required {
			r.add(row.line, field, "field.required")
		}
		return 0
	}
	fen, ok := ParseYuan(v)
	if !ok {
		r.add(row.line, field, "catalog.field.money_invalid")
		return 0
	}
	return fen
}

// number reads the whole number in cell field of row (empty is 0).
func (r *report) number(row sheetRow, field string) int {
	v := strings.TrimSpace(norm.NFKC.String(row.values[field]))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(strings.ReplaceAll(v, ",", ""))
	if err != nil {
		r.add(row.line, field, "catalog.field.number_invalid")
		return 0
	}
	return n
}
