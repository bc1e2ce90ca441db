package report

import (
	"bufio"
	"encoding/csv"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/jishi-dev/jishi/core/i18n"
)

// BOM starts every CSV file, so that Excel reads it as UTF-8 (Chinese
// names and labels) rather than in the machine's ANSI code page.
const BOM = "\uFEFF"

// WriteCSV writes t as CSV for Excel: the UTF-8 BOM, a header row of
// labels in locale, one row per table row and the totals row last, lines
// ending in CRLF.
//
// Every amount is written twice, in yuan with two decimals ("1234.50",
// for people and for Excel's sums) and in fen ("123450", an integer: the
// exact figure of the ledger and the JSON API, for reconciling without
// decimals and whatever the reader's decimal separator). Both come from
// the same integer; no floating point is involved.
//
// Text that a spreadsheet would take for a formula (starting with =, +,
// -, @, a tab or a carriage return — a shop's name is the merchant's
// input) is written with a leading apostrophe.
func WriteCSV(w io.Writer, locale string, t *Table) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString(BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	var head []string
	for _, c := range t.Columns {
		label := i18n.T(locale, c.Key)
		if c.Kind == ColMoney {
			head = append(head, i18n.T(locale, "report.csv.yuan", label), i18n.T(locale, "report.csv.fen", label))
			continue
		}
		head = append(head, label)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	row := func(cells []Cell, total bool) error {
		var rec []string
		for i, c := range cells {
			switch {
			case total && i == 0:
				rec = append(rec, i18n.T(locale, "report.total"))
			case t.Columns[i].Kind == ColMoney:
				rec = append(rec, Yuan(c.N), strconv.FormatInt(c.N, 10))
			case t.Columns[i].Kind == ColCount:
				rec = append(rec, strconv.FormatInt(c.N, 10))
			default:
				rec = append(rec, defuse(t.Label(locale, i, c)))
			}
		}
		return cw.Write(rec)
	}
	for _, cells := range t.Rows {
		if err := row(cells, false); err != nil {
			return err
		}
	}
	if t.Total != nil {
		if err := row(t.Total, true); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// defuse keeps a spreadsheet from evaluating s as a formula.
func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

var notSlug = regexp.MustCompile(`[^a-z0-9-]+`)

// Filename is the download name of table t of a report of period p for
// owner (a tenant's or shop's slug): "{owner}-{table}-{from}-{to}.csv"
// with the days as digits, ASCII only.
func Filename(owner string, t *Table, p Period) string {
	owner = strings.Trim(notSlug.ReplaceAllString(strings.ToLower(owner), "-"), "-")
	if owner == "" {
		owner = "jishi"
	}
	day := func(s string) string { return strings.ReplaceAll(s, "-", "") }
	return owner + "-" + t.Name + "-" + day(p.From) + "-" + day(p.To) + ".csv"
}
