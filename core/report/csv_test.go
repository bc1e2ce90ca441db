package report_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/report"
)

func TestYuan(t *testing.T) {
	for fen, want := range map[int64]string{0: "0.00", 5: "0.05", -5: "-0.05", 100: "1.00", 123450: "1234.50", -1_280_000: "-12800.00",
		9_223_372_036_854_775_807: "92233720368547758.07"} {
		if got := report.Yuan(fen); got != want {
			t.Errorf("Yuan(%d) = %q, want %q", fen, got, want)
		}
	}
}

// TestWriteCSV: the BOM, labels in the request's language, each amount
// in yuan and in fen, the totals row, CRLF, and names that a spreadsheet
// would run as formulas defused.
func TestWriteCSV(t *testing.T) {
	r := &report.TenantReport{
		Period: report.Period{From: "2025-03-30", To: "2025-03-31"},
		Shops: []report.ShopRow{
			{ID: "a", Kind: report.PartyShop, Name: "=HYPERLINK(\"http://evil\")", Movements: report.Movements{SalesFen: 2080050}, OwedFen: -715},
			{ID: "b", Kind: report.PartyPickupPoint, Name: "岳麓山自提点, 南门", InvoiceDueFen: 1_280_000},
		},
		ShopsTotal: report.ShopRow{Movements: report.Movements{SalesFen: 2080050}, OwedFen: -715, InvoiceDueFen: 1_280_000},
	}
	tb := report.Find(r.Tables(), "shops")
	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, "zh-CN", tb); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, "\uFEFF店铺,类型,销售额（元）,销售额（分）,退款（元）") || !strings.Contains(out, "\r\n") {
		t.Fatalf("head: %q", out[:min(len(out), 120)])
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, report.BOM))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || len(recs[0]) != 2+2*12 {
		t.Fatalf("%d records of %d fields", len(recs), len(recs[0]))
	}
	if recs[1][0] != `'=HYPERLINK("http://evil")` || recs[1][1] != "店铺" || recs[1][2] != "20800.50" || recs[1][3] != "2080050" ||
		recs[1][18] != "-7.15" || recs[1][19] != "-715" {
		t.Errorf("shop row %q", recs[1])
	}
	if recs[2][0] != "岳麓山自提点, 南门" || recs[2][1] != "自提点" || recs[2][24] != "12800.00" || recs[2][25] != "1280000" {
		t.Errorf("point row %q", recs[2])
	}
	if recs[3][0] != "合计" || recs[3][1] != "" || recs[3][3] != "2080050" {
		t.Errorf("total row %q", recs[3])
	}
	buf.Reset()
	if err := report.WriteCSV(&buf, "en", report.Find(r.Tables(), "sales")); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "\uFEFFDate,Orders,Paid by shoppers (yuan),Paid by shoppers (fen),") ||
		!strings.HasSuffix(buf.String(), "Total,0,0.00,0,0.00,0,0.00,0,0.00,0,0.00,0,0.00,0\r\n") {
		t.Errorf("en sales: %q", buf.String())
	}
	if got := report.Filename("Changsha-Coop", tb, r.Period); got != "changsha-coop-shops-20250330-20250331.csv" {
		t.Errorf("filename %q", got)
	}
	if got := report.Filename("网上供销社", tb, r.Period); got != "jishi-shops-20250330-20250331.csv" {
		t.Errorf("filename %q", got)
	}
}

// TestMessagesInBothLanguages: every report.* message exists in zh-CN and
// in en.
func TestMessagesInBothLanguages(t *testing.T) {
	for _, pair := range [][2]string{{i18n.ZH, i18n.EN}, {i18n.EN, i18n.ZH}} {
		n := 0
		for _, k := range i18n.Keys(pair[0]) {
			if strings.HasPrefix(k, "report.") {
				n++
				if !i18n.Has(pair[1], k) {
					t.Errorf("%s has %q, %s does not", pair[0], k, pair[1])
				}
			}
		}
		if n < 50 {
			t.Errorf("%s: only %d report messages", pair[0], n)
		}
	}
}
