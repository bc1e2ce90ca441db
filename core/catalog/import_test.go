package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/search"
	"github.com/uptrace/bun"
)

const importHeader = "商品编号,商品名称,分类编码,规格,售价（元）,划线价,成本价,重量(克),条码,规格编码,状态,产地,认证,系列,供货商户\n"

// csvLine is one line of an import file in importHeader's order.
func csvLine(key, name, cat, spec, price, list, cost, weight, barcode, code, status, origin, certs, series, supplier string) string {
	return strings.Join([]string{key, name, cat, spec, price, list, cost, weight, barcode, code, status, origin, certs, series, supplier}, ",") + "\n"
}

func (e *env) importFile(p *identity.Principal, shopID, text string) *catalog.Import {
	e.t.Helper()
	im, err := e.a.Imports.Start(e.ctx, p, shopID, "products.csv", []byte(text))
	if err != nil {
		e.t.Fatal(err)
	}
	return im
}

func (e *env) productCount(p *identity.Principal, shopID string) int {
	e.t.Helper()
	n, err := e.a.Catalog.ProductCounts(e.ctx, p, shopID)
	if err != nil {
		e.t.Fatal(err)
	}
	return n[catalog.ProductDraft] + n[catalog.ProductActive] + n[catalog.ProductArchived]
}

func (e *env) skuCount(shopID string) int {
	e.t.Helper()
	var n int
	err := e.a.DB.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) error {
		return tx.QueryRowContext(ctx, "SELECT count(*) FROM skus WHERE tenant_id = ? AND shop_id = ?", e.tenant.ID, shopID).Scan(&n)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) found(text string) []string {
	e.t.Helper()
	res, err := e.a.Search.Search(e.ctx, search.Query{Text: text, Limit: search.MaxLimit})
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, h := range res.Products {
		names = append(names, h.Name)
	}
	return names
}

// TestImportValidFile: a UTF-8 file with a BOM imports its products, the
// lines sharing a product key as SKUs of one product, all searchable at
// once.
func TestImportValidFile(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		sh, owner := e.shop("imp-veg")
		text := "\uFEFF" + importHeader +
			csvLine("P1", "岳麓山小白菜", "vegetables", "500g", "3.50", "4", "1.2", "500", "6901234567892", "bc-500", "在售", "长沙岳麓", "绿色食品、有机", "山野", "") +
			csvLine("P1", "", "", "1kg", "6.8", "", "", "1000", "", "BC-1000", "", "", "", "", "") +
			csvLine("P2", "宁乡花猪肉", "meat", "500g", "28", "32", "15", "500", "", "", "active", "宁乡", "geo", "", "") +
			csvLine("P3", "浏阳黑山羊", "meat", "1kg", "88.00", "", "", `"1,000"`, "", "YANG-1", "草稿", "浏阳", "", "", "") +
			csvLine("", "平菇", "mushrooms", "250g", "¥4.5", "", "", "250", "", "", "在售", "", "", "", "") +
			csvLine("", "平菇", "mushrooms", "500g", "８.８", "", "", "500", "", "", "", "", "", "", "")
		im := e.importFile(owner, sh.ID, text)
		if im.Status != catalog.ImportDone || im.Products != 4 || im.SKUs != 6 || im.TotalRows != 6 || im.Progress != 100 || len(im.Report) != 0 {
			t.Fatalf("import: %+v", im)
		}
		if im.Encoding != catalog.EncodingUTF8 {
			t.Fatalf("encoding %q", im.Encoding)
		}
		if n := e.productCount(owner, sh.ID); n != 4 {
			t.Fatalf("%d products", n)
		}
		ps, err := e.a.Catalog.Products(e.ctx, owner, sh.ID, catalog.ProductFilter{Query: "小白菜"})
		if err != nil || len(ps) != 1 {
			t.Fatalf("products: %v %d", err, len(ps))
		}
		pr := ps[0]
		if pr.Status != catalog.ProductActive || pr.Origin != "长沙岳麓" || pr.Series != "山野" ||
			strings.Join(pr.Certifications, ",") != "green,organic" || pr.CategoryID != e.cats["vegetables"] || len(pr.SKUs) != 2 {
			t.Fatalf("product %+v", pr)
		}
		k0, k1 := pr.SKUs[0], pr.SKUs[1]
		if k0.Code != "BC-500" || k0.Spec != "500g" || k0.PriceFen != 350 || k0.ListPriceFen != 400 || k0.CostFen != 120 ||
			k0.WeightG != 500 || k0.Barcode != "6901234567892" || k1.Code != "BC-1000" || k1.PriceFen != 680 || k1.ListPriceFen != 680 {
			t.Fatalf("skus %+v %+v", k0, k1)
		}
		// Active products are found at once; the draft is not.
		for q, want := range map[string]int{"小白菜": 1, "花猪": 1, "平菇": 1, "黑山羊": 0} {
			if got := e.found(q); len(got) != want {
				t.Errorf("search %q: %v", q, got)
			}
		}
		// The import reads back, in the caller's language.
		got, err := e.a.Imports.Import(e.ctx, owner, sh.ID, im.ID)
		if err != nil || got.Status != catalog.ImportDone || got.Products != 4 || got.Progress != 100 {
			t.Fatalf("read back: %v %+v", err, got)
		}
		list, err := e.a.Imports.Imports(e.ctx, owner, sh.ID, 10)
		if err != nil || len(list) != 1 || list[0].ID != im.ID {
			t.Fatalf("list: %v %+v", err, list)
		}
	})
}

// TestImportBadRowsImportNothing: any bad line imports nothing, and the
// report names every bad cell by row and column.
func TestImportBadRowsImportNothing(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a := newApp(t, d)
		e := newEnv(t, a)
		other := newEnv(t, a)
		flagship, err := e.a.Merchants.FlagshipShop(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Another tenant's approved flagship supplier.
		theirs := other.user("their-supplier", "", "")
		ap, err := a.Merchants.Apply(other.ctx, theirs, merchant.ApplicationInput{
			ShopName: "外市集农户", ContactName: "钱", ContactPhone: "13800138002", LicenceNo: "91430104MA4L1234X7",
			MainCategories: []string{"fresh"}, RegionID: other.yuelu.ID, ExpectedProducts: 3, ViaFlagship: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Merchants.Approve(other.ctx, other.admin, ap.ID); err != nil {
			t.Fatal(err)
		}
		// Row 1 is the header; row 7 has the price "abc".
		text := importHeader +
			csvLine("A", "小白菜", "vegetables", "500g", "3.5", "", "", "500", "", "A-1", "在售", "", "", "", "") + // 2
			csvLine("B", "菠菜", "vegetables", "500g", "4", "", "", "500", "", "B-1", "在售", "", "", "", "") + // 3
			csvLine("C", "外星菜", "no-such-category", "500g", "4", "", "", "500", "", "C-1", "在售", "", "", "", "") + // 4
			csvLine("D", "土鸡蛋", "poultry", "10枚", "18", "", "", "600", "", "D-1", "在售", "", "", "", theirs.UserID) + // 5
			csvLine("E", "油麦菜", "vegetables", "500g", "3", "", "", "500", "", "E-1", "在售", "", "", "", "") + // 6
			csvLine("F", "空心菜", "vegetables", "500g", "abc", "", "", "500", "", "F-1", "在售", "", "", "", "") + // 7
			csvLine("G", "生菜", "vegetables", "500g", "2", "", "", "500", "", "G-1", "在售", "", "", "", "") // 8
		im := e.importFile(e.admin, flagship.ID, text)
		if im.Status != catalog.ImportFailed || im.Products != 0 || im.SKUs != 0 {
			t.Fatalf("import: %+v", im)
		}
		want := []struct {
			row         int
			column, key string
		}{
			{4, "分类编码", "catalog.import.field.category_unknown"},
			{5, "供货商户", "catalog.field.supplier_invalid"},
			{7, "售价（元）", "catalog.field.money_invalid"},
		}
		if len(im.Report) != len(want) {
			t.Fatalf("report %+v", im.Report)
		}
		for i, w := range want {
			if p := im.Report[i]; p.Row != w.row || p.Column != w.column || p.Key != w.key {
				t.Errorf("problem %d: %+v, want %+v", i, p, w)
			}
		}
		if n := e.productCount(e.admin, flagship.ID); n != 0 {
			t.Fatalf("%d products written", n)
		}
		if got := e.found("小白菜"); len(got) != 0 {
			t.Fatalf("found %v", got)
		}
		// The report reads back with messages in the caller's language.
		got, err := e.a.Imports.Import(e.ctx, e.admin, flagship.ID, im.ID)
		if err != nil || got.Status != catalog.ImportFailed || len(got.Report) != 3 {
			t.Fatalf("read back: %v %+v", err, got)
		}
		got.Localize("en")
		if got.Report[2].Message != "Enter an amount with at most two decimals, like 12.80" {
			t.Fatalf("message %q", got.Report[2].Message)
		}
		got.Localize("zh-CN")
		if got.Report[0].Message != "本市集没有这个分类编码" {
			t.Fatalf("message %q", got.Report[0].Message)
		}
	})
}

// TestImportBadValues: every kind of bad cell is reported on its row
// and column, and nothing is written.
func TestImportBadValues(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		sh, owner := e.shop("imp-bad")
		if _, err := e.a.Catalog.Create(e.ctx, owner, sh.ID, e.input("已有商品", "OLD-1")); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			line, column, key string
		}{
			{csvLine("", "零价", "vegetables", "500g", "0", "", "", "", "", "", "", "", "", "", ""), "售价（元）", "catalog.field.price_range"},
			{csvLine("", "负价", "vegetables", "500g", "-1", "", "", "", "", "", "", "", "", "", ""), "售价（元）", "catalog.field.money_invalid"},
			{csvLine("", "三位小数", "vegetables", "500g", "1.234", "", "", "", "", "", "", "", "", "", ""), "售价（元）", "catalog.field.money_invalid"},
			{csvLine("", "天价", "vegetables", "500g", "99999999999", "", "", "", "", "", "", "", "", "", ""), "售价（元）", "catalog.field.money_invalid"},
			{csvLine("", "划线低", "vegetables", "500g", "5", "4", "", "", "", "", "", "", "", "", ""), "划线价", "catalog.field.list_below_price"},
			{csvLine("", "小数重量", "vegetables", "500g", "5", "", "", "1.5", "", "", "", "", "", "", ""), "重量(克)", "catalog.field.number_invalid"},
			{csvLine("", "负重量", "vegetables", "500g", "5", "", "", "-5", "", "", "", "", "", "", ""), "重量(克)", "catalog.field.weight_range"},
			{csvLine("", "超重", "vegetables", "500g", "5", "", "", "1000001", "", "", "", "", "", "", ""), "重量(克)", "catalog.field.weight_range"},
			{csvLine("", "坏条码", "vegetables", "500g", "5", "", "", "", "12ab", "", "", "", "", "", ""), "条码", "catalog.field.barcode_invalid"},
			{csvLine("", "坏编码", "vegetables", "500g", "5", "", "", "", "", "a b", "", "", "", "", ""), "规格编码", "catalog.field.sku_code_invalid"},
			{csvLine("", "旧编码", "vegetables", "500g", "5", "", "", "", "", "old-1", "", "", "", "", ""), "规格编码", "catalog.field.sku_code_taken"},
			{csvLine("", "坏状态", "vegetables", "500g", "5", "", "", "", "", "", "售罄", "", "", "", ""), "状态", "catalog.field.status_invalid"},
			{csvLine("", "坏认证", "vegetables", "500g", "5", "", "", "", "", "", "", "", "无公害", "", ""), "认证", "catalog.field.cert_invalid"},
			{csvLine("", "非末级", "fresh", "500g", "5", "", "", "", "", "", "", "", "", "", ""), "分类编码", "catalog.field.category_leaf"},
			{csvLine("", "无规格", "vegetables", "", "5", "", "", "", "", "", "", "", "", "", ""), "规格", "field.required"},
			{csvLine("", "无价", "vegetables", "500g", "", "", "", "", "", "", "", "", "", "", ""), "售价（元）", "field.required"},
			{csvLine("", "<b>粗体</b>", "vegetables", "500g", "5", "", "", "", "", "", "", "", "", "", ""), "商品名称", "field.html_not_allowed"},
			{csvLine("", "供货", "vegetables", "500g", "5", "", "", "", "", "", "", "", "", "", owner.UserID), "供货商户", "catalog.field.supplier_flagship_only"},
		}
		for _, c := range cases {
			text := importHeader + csvLine("", "好菜", "vegetables", "500g", "5", "", "", "", "", "", "", "", "", "", "") + c.line
			im := e.importFile(owner, sh.ID, text)
			if im.Status != catalog.ImportFailed || len(im.Report) != 1 {
				t.Errorf("%s: %+v", c.line, im)
				continue
			}
			if p := im.Report[0]; p.Row != 3 || p.Column != c.column || p.Key != c.key {
				t.Errorf("%s: %+v, want row 3 %s %s", strings.TrimSpace(c.line), p, c.column, c.key)
			}
		}
		// Two products of the file with one code, and a product whose
		// later line disagrees with its first.
		text := importHeader +
			csvLine("X", "甲", "vegetables", "500g", "5", "", "", "", "", "DUP", "", "", "", "", "") +
			csvLine("Y", "乙", "vegetables", "500g", "5", "", "", "", "", "dup", "", "", "", "", "") +
			csvLine("Y", "丙", "vegetables", "1kg", "9", "", "", "", "", "", "", "", "", "", "")
		im := e.importFile(owner, sh.ID, text)
		if im.Status != catalog.ImportFailed || len(im.Report) != 2 ||
			im.Report[0] != (catalog.ImportProblem{Row: 3, Column: "规格编码", Field: "sku_code", Key: "catalog.import.field.sku_code_repeated"}) ||
			im.Report[1] != (catalog.ImportProblem{Row: 4, Column: "商品名称", Field: "name", Key: "catalog.import.field.product_differs"}) {
			t.Fatalf("report %+v", im.Report)
		}
		if n := e.productCount(owner, sh.ID); n != 1 {
			t.Fatalf("%d products", n)
		}
	})
}

// TestImportFileErrors: files that are not an import table are refused
// whole with a field error on "file", and record nothing.
func TestImportFileErrors(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		sh, owner := e.shop("imp-file")
		for name, c := range map[string]struct {
			text, field string
		}{
			"empty":          {"", "catalog.import.field.empty"},
			"header only":    {importHeader, "catalog.import.field.empty"},
			"missing column": {"商品名称,规格,售价\n白菜,500g,3\n", "catalog.import.field.columns"},
			"unknown column": {"商品名称,分类编码,规格,售价,颜色\n白菜,vegetables,500g,3,绿\n", "catalog.import.field.columns"},
			"twice":          {"商品名称,name,分类编码,规格,售价\n白菜,白菜,vegetables,500g,3\n", "catalog.import.field.columns"},
			"extra cell":     {"商品名称,分类编码,规格,售价\n白菜,vegetables,500g,3,多\n", "catalog.import.field.columns"},
			"bad quotes":     {"商品名称,分类编码,规格,售价\n\"白菜,vegetables,500g,3\n", "catalog.import.field.not_csv"},
			"not text":       {"\xff\xfe\x00\x01\x80\xff", "catalog.import.field.encoding"},
		} {
			_, err := e.a.Imports.Start(e.ctx, owner, sh.ID, "x.csv", []byte(c.text))
			var ce *core.Error
			if !errors.As(err, &ce) || ce.Code != core.Invalid || ce.Fields["file"] != c.field {
				t.Errorf("%s: %v", name, err)
			}
		}
		// Too large: 413 at the edge.
		big := importHeader + strings.Repeat("x", catalog.MaxImportBytes)
		_, err := e.a.Imports.Start(e.ctx, owner, sh.ID, "big.csv", []byte(big))
		wantCode(t, err, core.TooLarge)
		list, err := e.a.Imports.Imports(e.ctx, owner, sh.ID, 10)
		if err != nil || len(list) != 0 {
			t.Fatalf("recorded: %v %+v", err, list)
		}
	})
}

// TestImportGBK: a file saved by Excel in GBK is decoded.
func TestImportGBK(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		sh, owner := e.shop("imp-gbk")
		text := importHeader + csvLine("", "湘西腊肉", "meat", "500克", "45.00", "", "", "500", "", "", "在售", "湘西", "地理标志", "", "")
		gbk, err := simplifiedchinese.GBK.NewEncoder().String(text)
		if err != nil {
			t.Fatal(err)
		}
		im := e.importFile(owner, sh.ID, gbk)
		if im.Status != catalog.ImportDone || im.Encoding != catalog.EncodingGBK || im.Products != 1 {
			t.Fatalf("import: %+v", im)
		}
		ps, err := e.a.Catalog.Products(e.ctx, owner, sh.ID, catalog.ProductFilter{})
		if err != nil || len(ps) != 1 || ps[0].Name != "湘西腊肉" || ps[0].Origin != "湘西" || ps[0].SKUs[0].Spec != "500克" ||
			strings.Join(ps[0].Certifications, ",") != "geo" {
			t.Fatalf("products: %v %+v", err, ps)
		}
		if got := e.found("腊肉"); len(got) != 1 {
			t.Fatalf("search: %v", got)
		}
	})
}

// TestImportLargeFileRunsAsJob: a file over SyncImportRows lines is
// queued, worked by the job queue, and reaches done at 100%.
func TestImportLargeFileRunsAsJob(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		sh, owner := e.shop("imp-big")
		var b strings.Builder
		b.WriteString(importHeader)
		for i := range 1000 {
			key := fmt.Sprintf("K%04d", i)
			b.WriteString(csvLine(key, fmt.Sprintf("批量萝卜%04d", i), "vegetables", "500g", "2.50", "", "", "500", "", key+"-S", "在售", "", "", "", ""))
			b.WriteString(csvLine(key, "", "", "1kg", "4.80", "", "", "1000", "", key+"-L", "", "", "", "", ""))
		}
		im := e.importFile(owner, sh.ID, b.String())
		if im.Status != catalog.ImportQueued || im.TotalRows != 2000 || im.Progress != 0 {
			t.Fatalf("import: %+v", im)
		}
		// Nothing runs until the queue is started.
		if err := e.a.StartJobs(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := e.a.StopJobs(ctx); err != nil {
				t.Error(err)
			}
		})
		deadline := time.Now().Add(2 * time.Minute)
		var got *catalog.Import
		for time.Now().Before(deadline) {
			var err error
			if got, err = e.a.Imports.Import(e.ctx, owner, sh.ID, im.ID); err != nil {
				t.Fatal(err)
			}
			if got.Progress < 0 || got.Progress > 100 {
				t.Fatalf("progress %d", got.Progress)
			}
			if got.Status == catalog.ImportDone || got.Status == catalog.ImportFailed {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if got.Status != catalog.ImportDone || got.Progress != 100 || got.Products != 1000 || got.SKUs != 2000 ||
			got.ValidatedRows != 2000 || got.ImportedRows != 2000 || got.FinishedAt == nil {
			t.Fatalf("import: %+v", got)
		}
		if n, k := e.productCount(owner, sh.ID), e.skuCount(sh.ID); n != 1000 || k != 2000 {
			t.Fatalf("%d products, %d skus", n, k)
		}
		if found := e.found("批量萝卜0999"); len(found) != 1 {
			t.Fatalf("search: %v", found)
		}
	})
}

// TestImportIsolation: an import of another shop or another tenant is
// not found, nor is another tenant's shop; staff without the permission
// cannot import.
func TestImportIsolation(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a := newApp(t, d)
		e, other := newEnv(t, a), newEnv(t, a)
		sh, owner := e.shop("imp-iso")
		sh2, owner2 := e.shop("imp-iso-2")
		osh, oowner := other.shop("imp-iso-o")
		text := importHeader + csvLine("", "白菜", "vegetables", "500g", "3", "", "", "", "", "", "", "", "", "", "")
		mine := e.importFile(owner, sh.ID, text)
		neighbour := e.importFile(owner2, sh2.ID, text)
		theirs := other.importFile(oowner, osh.ID, text)

		_, err := e.a.Imports.Import(e.ctx, owner, sh.ID, neighbour.ID) // another shop's import under my shop
		wantCode(t, err, core.NotFound)
		_, err = e.a.Imports.Import(e.ctx, owner, sh.ID, theirs.ID) // another tenant's import
		wantCode(t, err, core.NotFound)
		_, err = e.a.Imports.Import(e.ctx, owner, sh2.ID, neighbour.ID) // a shop I do not run
		wantCode(t, err, core.NotFound)
		_, err = e.a.Imports.Import(e.ctx, owner, osh.ID, theirs.ID) // another tenant's shop
		wantCode(t, err, core.NotFound)
		_, err = e.a.Imports.Import(e.ctx, owner, sh.ID, "not-an-id")
		wantCode(t, err, core.NotFound)
		_, err = e.a.Imports.Start(e.ctx, owner, osh.ID, "x.csv", []byte(text))
		wantCode(t, err, core.NotFound)
		if got, err := e.a.Imports.Import(e.ctx, owner, sh.ID, mine.ID); err != nil || got.ID != mine.ID {
			t.Fatalf("own import: %v", err)
		}
		stranger := e.user("stranger", "", "")
		_, err = e.a.Imports.Start(e.ctx, stranger, sh.ID, "x.csv", []byte(text))
		wantCode(t, err, core.NotFound)
	})
}
