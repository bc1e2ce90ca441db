package catalog

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/jishi-dev/jishi/core"
)

// The columns of an import file. The first line names them, in any order,
// in Chinese or English (case, width and spaces do not count, nor a unit in
// brackets: "售价（元）" is "售价"); only name, category, spec and price
// are required. Every further line is one SKU; lines with the same
// product key (or, without that column, the same product name) make one
// product with several SKUs, whose product columns are taken from its
// first line (later lines leave them empty or repeat them).
//
//	商品编号 product_key     groups lines into products (optional)
//	商品名称 name            required, 1–60 characters
//	分类编码 category        code of a lowest-level category of the marketplace
//	副标题 subtitle, 描述 description, 产地 origin, 系列 series
//	状态 status              草稿/在售/已下架 or draft/active/archived (default draft)
//	认证 certifications      绿色食品, 有机, 地理标志 (or green, organic, geo), separated by 、,;| or spaces
//	供货商户 supplier         flagship store only: an approved supplier's name or id
//	规格 spec                required, e.g. 500g
//	规格编码 sku_code         the shop's SKU code; empty makes one up
//	售价 price               yuan, at most two decimals
//	划线价 list_price, 成本价 cost   yuan; empty list price is the price
//	重量 weight_g            grams, a whole number
//	条码 barcode             8–14 digits
//	限购 purchase_limit      per order, 0 = none
const (
	colProductKey    = "product_key"
	colName          = "name"
	colCategory      = "category"
	colSubtitle      = "subtitle"
	colDescription   = "description"
	colStatus        = "status"
	colOrigin        = "origin"
	colCerts         = "certifications"
	colSeries        = "series"
	colSupplier      = "supplier"
	colSpec          = "spec"
	colSKUCode       = "sku_code"
	colPrice         = "price"
	colListPrice     = "list_price"
	colCost          = "cost"
	colWeight        = "weight_g"
	colBarcode       = "barcode"
	colPurchaseLimit = "purchase_limit"
)

// ImportColumns lists the columns of an import file in the order of the
// template, each with its Chinese and English header.
var ImportColumns = []ImportColumn{
	{colProductKey, "商品编号", "product_key", false},
	{colName, "商品名称", "name", true},
	{colCategory, "分类编码", "category", true},
	{colSubtitle, "副标题", "subtitle", false},
	{colDescription, "描述", "description", false},
	{colStatus, "状态", "status", false},
	{colOrigin, "产地", "origin", false},
	{colCerts, "认证", "certifications", false},
	{colSeries, "系列", "series", false},
	{colSupplier, "供货商户", "supplier", false},
	{colSpec, "规格", "spec", true},
	{colSKUCode, "规格编码", "sku_code", false},
	{colPrice, "售价", "price", true},
	{colListPrice, "划线价", "list_price", false},
	{colCost, "成本价", "cost", false},
	{colWeight, "重量", "weight_g", false},
	{colBarcode, "条码", "barcode", false},
	{colPurchaseLimit, "限购", "purchase_limit", false},
}

// ImportColumn is one column of an import file.
type ImportColumn struct {
	Field    string // the report's field name
	Zh, En   string // headers
	Required bool
}

// productColumns are the columns that describe the product rather than
// the SKU.
var productColumns = []string{colName, colCategory, colSubtitle, colDescription, colStatus, colOrigin, colCerts, colSeries, colSupplier}

// headerAliases maps normalised headers to fields.
var headerAliases = func() map[string]string {
	m := map[string]string{}
	for _, c := range ImportColumns {
		m[normHeader(c.Zh)] = c.Field
		m[normHeader(c.En)] = c.Field
	}
	for alias, f := range map[string]string{
		"名称": colName, "商品名": colName, "product name": colName, "分类": colCategory, "category code": colCategory,
		"商品描述": colDescription, "认证标志": colCerts, "供货商": colSupplier, "sku": colSKUCode, "sku code": colSKUCode,
		"sku编码": colSKUCode, "编码": colSKUCode, "价格": colPrice, "list price": colListPrice, "原价": colListPrice,
		"成本": colCost, "weight": colWeight, "重量克": colWeight, "purchase limit": colPurchaseLimit, "每单限购": colPurchaseLimit,
		"product key": colProductKey, "商品编码": colProductKey, "商品键": colProductKey,
	} {
		m[normHeader(alias)] = f
	}
	return m
}()

// normHeader folds a header for matching: NFKC, lower case, a trailing
// unit in brackets dropped, spaces and underscores as one space.
func normHeader(s string) string {
	s = strings.ToLower(strings.TrimSpace(norm.NFKC.String(s)))
	if i := strings.IndexAny(s, "(["); i > 0 && (strings.HasSuffix(s, ")") || strings.HasSuffix(s, "]")) {
		s = strings.TrimSpace(s[:i])
	}
	s = strings.ReplaceAll(s, "_", " ")
	return strings.Join(strings.Fields(s), " ")
}

// Encodings of an import file.
const (
	EncodingUTF8 = "utf-8"
	EncodingGBK  = "gbk"
)

// decodeImport returns data as UTF-8 without a byte-order mark, and the
// encoding it was in: UTF-8 (with or without BOM), else GBK (GB18030, as
// Excel in China saves CSV). Returns false when it is neither.
func decodeImport(data []byte) ([]byte, string, bool) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if utf8.Valid(data) {
		return data, EncodingUTF8, true
	}
	out, _, err := transform.Bytes(simplifiedchinese.GB18030.NewDecoder(), data)
	if err != nil || !utf8.Valid(out) || bytes.ContainsRune(out, utf8.RuneError) {
		return nil, "", false
	}
	return out, EncodingGBK, true
}

// sheet is a parsed import file: the header's fields and names, and the
// data lines with their line numbers in the spreadsheet (the header is
// line 1).
type sheet struct {
	fields  []string          // by column index; "" for an empty trailing column
	headers map[string]string // field → header as written
	rows    []sheetRow
}

type sheetRow struct {
	line   int
	values map[string]string // field → cell, trimmed
}

func fileErr(msg, field string, args ...any) error {
	return &core.Error{Code: core.Invalid, Message: msg, Args: args, Fields: map[string]string{"file": field}}
}

// parseSheet reads UTF-8 CSV text (comma, semicolon or tab separated, as
// the header line shows). It returns Invalid errors on field "file" for a
// file that is not CSV, lacks a header or a required column, names a
// column twice or an unknown one, has no data line or more than maxRows.
func parseSheet(text []byte, maxRows int) (*sheet, error) {
	first, _, _ := bytes.Cut(text, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(text))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	switch {
	case bytes.Count(first, []byte(",")) > 0:
	case bytes.Count(first, []byte("\t")) > 0:
		r.Comma = '\t'
	case bytes.Count(first, []byte(";")) > 0:
		r.Comma = ';'
	}
	head, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, fileErr("catalog.import.error.empty", "catalog.import.field.empty")
	}
	if err != nil {
		return nil, fileErr("catalog.import.error.not_csv", "catalog.import.field.not_csv")
	}
	sh := &sheet{headers: map[string]string{}}
	for _, h := range head {
		h = strings.TrimSpace(h)
		if h == "" {
			sh.fields = append(sh.fields, "")
			continue
		}
		f, ok := headerAliases[normHeader(h)]
		if !ok {
			return nil, fileErr("catalog.import.error.column_unknown", "catalog.import.field.columns", h)
		}
		if _, dup := sh.headers[f]; dup {
			return nil, fileErr("catalog.import.error.column_twice", "catalog.import.field.columns", h)
		}
		sh.headers[f] = h
		sh.fields = append(sh.fields, f)
	}
	for _, c := range ImportColumns {
		if c.Required && sh.headers[c.Field] == "" {
			return nil, fileErr("catalog.import.error.column_missing", "catalog.import.field.columns", c.Zh+" / "+c.En)
		}
	}
	// Lines are numbered as the spreadsheet numbers its rows: the header
	// is 1, and a cell with a line break does not start a new row.
	line := 1
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line++
		if err != nil {
			return nil, fileErr("catalog.import.error.bad_line", "catalog.import.field.not_csv", line)
		}
		row := sheetRow{line: line, values: map[string]string{}}
		blank := true
		for i, v := range rec {
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			if i >= len(sh.fields) || sh.fields[i] == "" {
				return nil, fileErr("catalog.import.error.extra_cell", "catalog.import.field.columns", line)
			}
			row.values[sh.fields[i]] = v
			blank = false
		}
		if blank {
			continue
		}
		if len(sh.rows) == maxRows {
			return nil, fileErr("catalog.import.error.too_many_rows", "catalog.import.field.too_many_rows", maxRows)
		}
		sh.rows = append(sh.rows, row)
	}
	if len(sh.rows) == 0 {
		return nil, fileErr("catalog.import.error.empty", "catalog.import.field.empty")
	}
	return sh, nil
}
