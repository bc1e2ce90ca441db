package dispatch

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core/i18n"
)

// BOM starts the CSV so that Excel reads it as UTF-8 (Chinese names and
// addresses otherwise show as mojibake).
const BOM = "\ufeff"

// CSVColumns are the message keys of the CSV's header, in order.
var CSVColumns = []string{
	"dispatch.csv.number", "dispatch.csv.placed_at", "dispatch.csv.recipient", "dispatch.csv.phone",
	"dispatch.csv.address", "dispatch.csv.method", "dispatch.csv.promise", "dispatch.csv.lines", "dispatch.csv.units",
	"dispatch.csv.subtotal", "dispatch.csv.discount", "dispatch.csv.shipping", "dispatch.csv.total",
}

// cell keeps a spreadsheet from reading a value as a formula (CSV
// injection): one starting with = + - @ or a control character is
// prefixed with an apostrophe.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Destination is where an order goes: its address, or its pickup point
// ("自提：name, address").
func (o *Order) Destination(locale string) string {
	if o.PickupPoint == nil {
		return o.Address
	}
	s := i18n.T(locale, "dispatch.pickup_at", o.PickupPoint.Name)
	if o.PickupPoint.Address != "" {
		s += " " + o.PickupPoint.Address
	}
	return s
}

// Units is the number of units of o to pick.
func (o *Order) Units() int {
	n := 0
	for _, l := range o.Lines {
		n += l.Qty
	}
	return n
}

// LineSummary writes the lines of o on one line: "XBC-500 小白菜 500g ×2; …".
func (o *Order) LineSummary() string {
	var parts []string
	for _, l := range o.Lines {
		s := l.SKUCode + " " + l.Name
		if l.Spec != "" {
			s += " " + l.Spec
		}
		parts = append(parts, s+" ×"+strconv.Itoa(l.Qty))
	}
	return strings.Join(parts, "; ")
}

// MethodLabel is the name of a delivery method in locale.
func MethodLabel(locale, method string) string { return i18n.T(locale, "dispatch.method."+method) }

// WriteCSV writes batch b as CSV to w: the BOM, a header in locale, and
// one row per order with its lines in one cell; times in loc, amounts in
// yuan with two decimals.
func WriteCSV(w io.Writer, b *Batch, locale string, loc *time.Location) error {
	if _, err := io.WriteString(w, BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	head := make([]string, len(CSVColumns))
	for i, k := range CSVColumns {
		head[i] = i18n.T(locale, k)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, o := range b.Orders {
		row := []string{
			o.Number, o.PlacedAt.In(loc).Format("2006-01-02 15:04"), cell(o.Recipient), cell(o.Phone),
			cell(o.Destination(locale)), MethodLabel(locale, o.DeliveryMethod), cell(o.PromiseText), cell(o.LineSummary()),
			strconv.Itoa(o.Units()), FormatYuan(o.SubtotalFen), FormatYuan(o.DiscountFen), FormatYuan(o.ShippingFen),
			FormatYuan(o.TotalFen),
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
