package report

import (
	"strconv"
	"strings"

	"github.com/jishi-dev/jishi/core/i18n"
)

// Column kinds.
const (
	ColText  = "text"  // a label or a name
	ColCount = "count" // a whole number
	ColMoney = "money" // an amount in fen
)

// Column is one column of a report table.
type Column struct {
	Key  string // the i18n key of its label
	Kind string // ColText, ColCount or ColMoney
}

// Cell is one value: Text for ColText columns, N (fen or a count)
// otherwise.
type Cell struct {
	Text string
	N    int64
}

// Table is one table of a report as the consoles show it and CSV exports
// it: the same figures as the JSON, in columns with labels.
type Table struct {
	Name    string // revenue, sales, float, shops, statement
	Title   string // the i18n key of its title
	Columns []Column
	Rows    [][]Cell
	// Total is the totals row; its first cell is the label "Total".
	Total []Cell
}

func money(ns ...int64) []Cell {
	out := make([]Cell, len(ns))
	for i, n := range ns {
		out[i] = Cell{N: n}
	}
	return out
}

func text(s string) Cell { return Cell{Text: s} }

func columns(first []Column, moneyKeys ...string) []Column {
	out := append([]Column(nil), first...)
	for _, k := range moneyKeys {
		out = append(out, Column{Key: k, Kind: ColMoney})
	}
	return out
}

var periodCol = []Column{{Key: "report.col.period", Kind: ColText}}

// Tables returns the tenant report's tables: revenue, sales, float and
// shops.
func (r *TenantReport) Tables() []*Table {
	rev := &Table{Name: "revenue", Title: "report.table.revenue", Columns: columns(periodCol,
		"report.col.commission", "report.col.plan", "report.col.franchise", "report.col.sms", "report.col.ads",
		"report.col.storage", "report.col.usage", "report.col.other_revenue", "report.col.revenue_total",
		"report.col.promotion", "report.col.revenue_net")}
	revCells := func(label string, x RevenueRow) []Cell {
		return append([]Cell{text(label)}, money(x.CommissionFen, x.PlanFen, x.FranchiseFen, x.SMSFen, x.AdsFen,
			x.StorageFen, x.UsageFen, x.OtherFen, x.TotalFen, x.PromotionFen, x.NetFen)...)
	}
	for _, x := range r.Revenue {
		rev.Rows = append(rev.Rows, revCells(x.Period, x))
	}
	rev.Total = revCells("", r.RevenueTotal)

	sales := &Table{Name: "sales", Title: "report.table.sales", Columns: columns(append(append([]Column(nil), periodCol...),
		Column{Key: "report.col.orders", Kind: ColCount}),
		"report.col.paid", "report.col.platform_discount", "report.col.gmv", "report.col.refunded",
		"report.col.discount_reversed", "report.col.net_gmv")}
	salesCells := func(label string, x SalesRow) []Cell {
		return append([]Cell{text(label), {N: x.Orders}}, money(x.PaidFen, x.PlatformDiscountFen, x.GMVFen,
			x.RefundedFen, x.DiscountReversedFen, x.NetGMVFen)...)
	}
	for _, x := range r.Sales {
		sales.Rows = append(sales.Rows, salesCells(x.Period, x))
	}
	sales.Total = salesCells("", r.SalesTotal)

	fl := &Table{Name: "float", Title: "report.table.float", Columns: columns(periodCol,
		"report.col.balances_change", "report.col.stored_value_change", "report.col.float_change",
		"report.col.balances", "report.col.stored_value", "report.col.float")}
	floatCells := func(label string, x FloatRow) []Cell {
		return append([]Cell{text(label)}, money(x.BalancesChangeFen, x.StoredValueChangeFen, x.ChangeFen,
			x.BalancesFen, x.StoredValueFen, x.FloatFen)...)
	}
	for _, x := range r.Float {
		fl.Rows = append(fl.Rows, floatCells(x.Period, x))
	}
	fl.Total = floatCells("", r.FloatTotal)

	shops := &Table{Name: "shops", Title: "report.table.shops", Columns: columns([]Column{
		{Key: "report.col.shop", Kind: ColText}, {Key: "report.col.party", Kind: ColText}},
		"report.col.sales", "report.col.refunds", "report.col.commission", "report.col.cash", "report.col.payouts",
		"report.col.fees", "report.col.other", "report.col.net", "report.col.owed", "report.col.receivable",
		"report.col.billed", "report.col.invoice_due")}
	shopCells := func(name, kind string, x ShopRow) []Cell {
		return append([]Cell{text(name), text(kind)}, money(x.SalesFen, x.RefundsFen, x.CommissionFen, x.CashFen,
			x.PayoutsFen, x.FeesFen, x.OtherFen, x.NetFen, x.OwedFen, x.ReceivableFen, x.BilledFen, x.InvoiceDueFen)...)
	}
	for _, x := range r.Shops {
		shops.Rows = append(shops.Rows, shopCells(x.Name, "report.party."+x.Kind, x))
	}
	shops.Total = shopCells("", "", r.ShopsTotal)
	return []*Table{rev, sales, fl, shops}
}

// Tables returns the shop report's one table, the statement.
func (r *ShopReport) Tables() []*Table {
	st := &Table{Name: "statement", Title: "report.table.statement", Columns: columns(periodCol,
		"report.col.sales", "report.col.refunds", "report.col.commission", "report.col.cash", "report.col.payouts",
		"report.col.fees", "report.col.other", "report.col.net", "report.col.owed", "report.col.receivable",
		"report.col.billed", "report.col.invoice_paid", "report.col.invoice_due")}
	cells := func(label string, x StatementRow) []Cell {
		return append([]Cell{text(label)}, money(x.SalesFen, x.RefundsFen, x.CommissionFen, x.CashFen, x.PayoutsFen,
			x.FeesFen, x.OtherFen, x.NetFen, x.OwedFen, x.ReceivableFen, x.BilledFen, x.InvoicePaidFen, x.InvoiceDueFen)...)
	}
	for _, x := range r.Rows {
		st.Rows = append(st.Rows, cells(x.Period, x))
	}
	st.Total = cells("", r.Total)
	return []*Table{st}
}

// Find returns the table of ts named name, or nil.
func Find(ts []*Table, name string) *Table {
	for _, t := range ts {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Label returns the cell as text in locale: a text cell's text (the
// kinds of party, "report.party.…", translated), a count in digits, an amount in yuan
// with two decimals.
func (t *Table) Label(locale string, col int, c Cell) string {
	switch t.Columns[col].Kind {
	case ColMoney:
		return Yuan(c.N)
	case ColCount:
		return strconv.FormatInt(c.N, 10)
	}
	if strings.HasPrefix(c.Text, "report.party.") && i18n.Has(i18n.ZH, c.Text) {
		return i18n.T(locale, c.Text)
	}
	return c.Text
}

// GroupedYuan writes fen as Yuan does, with thousands separators
// ("12,800.00"), as the report pages show amounts.
func GroupedYuan(fen int64) string {
	s := Yuan(fen)
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String() + "." + frac
}

// Yuan writes fen as yuan with two decimals ("1234.50", "-0.05"), without
// floating point.
func Yuan(fen int64) string {
	sign := ""
	u := uint64(fen)
	if fen < 0 {
		sign, u = "-", uint64(-fen)
	}
	frac := u % 100
	return sign + strconv.FormatUint(u/100, 10) + "." + string(rune('0'+frac/10)) + string(rune('0'+frac%10))
}
