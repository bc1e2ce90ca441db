package dispatch

import (
	"fmt"
	"html/template"
	"image/color"
	"strings"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	"github.com/boombuler/barcode/qr"
	"github.com/jishi-dev/jishi/core/inventory"
)

// Label is one printable shipping label: where the order goes, the
// promise, the order number as QR code and Code128 barcode (inline SVG),
// and where its goods come from.
type Label struct {
	Order    *Order
	ShopName string
	// Phone is the recipient's phone with the middle digits hidden (隐私面单).
	Phone   string
	QR      template.HTML
	Barcode template.HTML
	Trace   []TraceLine
}

// TraceLine is the traceability of one line of a label: the product and,
// per lot, producer, base, harvest day and best-before.
type TraceLine struct {
	Name string
	Spec string
	Qty  int
	Lots []TraceLot
}

// TraceLot is where some units of a line come from.
type TraceLot struct {
	Producer    string
	Base        string
	HarvestedOn inventory.Date
	BestBefore  inventory.Date
}

// MaskPhone hides the middle of a phone number: 13800138000 → 138****8000.
// Numbers too short to hide anything are returned as they are.
func MaskPhone(p string) string {
	r := []rune(p)
	if len(r) < 8 {
		return p
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
}

// dark reports whether the module at x, y of bc is printed.
func dark(bc barcode.Barcode, x, y int) bool {
	return color.GrayModel.Convert(bc.At(x, y)).(color.Gray).Y < 128
}

// QRModules returns the modules of the QR code (error correction level M)
// of content, true for dark, without the quiet zone.
func QRModules(content string) ([][]bool, error) {
	bc, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("qr code of %q: %w", content, err)
	}
	n := bc.Bounds().Dx()
	out := make([][]bool, n)
	for y := range n {
		out[y] = make([]bool, n)
		for x := range n {
			out[y][x] = dark(bc, x, y)
		}
	}
	return out, nil
}

// QRSVG returns content as a QR code in inline SVG: one path of
// horizontal runs "M{x} {y}h{n}v1h-{n}z" in module units, with a quiet
// zone of 4 modules, scaled to size (a CSS length).
func QRSVG(content, size string) (template.HTML, error) {
	m, err := QRModules(content)
	if err != nil {
		return "", err
	}
	const quiet = 4
	n := len(m)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%s" height="%s" shape-rendering="crispEdges" role="img" aria-label="%s">`,
		n+2*quiet, n+2*quiet, template.HTMLEscapeString(size), template.HTMLEscapeString(size), template.HTMLEscapeString(content))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n+2*quiet, n+2*quiet)
	for y, row := range m {
		for x := 0; x < n; {
			if !row[x] {
				x++
				continue
			}
			run := 1
			for x+run < n && row[x+run] {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x+quiet, y+quiet, run, run)
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()), nil
}

// Code128Bars returns the modules of the Code128 barcode of content (with
// its check symbol), true for a dark bar module, without quiet zones.
func Code128Bars(content string) ([]bool, error) {
	bc, err := code128.Encode(content)
	if err != nil {
		return nil, fmt.Errorf("code128 of %q: %w", content, err)
	}
	n := bc.Bounds().Dx()
	out := make([]bool, n)
	for x := range n {
		out[x] = dark(bc, x, 0)
	}
	return out, nil
}

// Code128SVG returns content as a Code128 barcode in inline SVG: one rect
// per bar, x and width in modules, with quiet zones of 10 modules, the
// text under it, width and height CSS lengths.
func Code128SVG(content, width, height string) (template.HTML, error) {
	bars, err := Code128Bars(content)
	if err != nil {
		return "", err
	}
	const quiet, h = 10, 40
	n := len(bars)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="barcode" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%s" height="%s" preserveAspectRatio="none" shape-rendering="crispEdges" role="img" aria-label="%s">`,
		n+2*quiet, h, template.HTMLEscapeString(width), template.HTMLEscapeString(height), template.HTMLEscapeString(content))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><g fill="#000">`, n+2*quiet, h)
	for x := 0; x < n; {
		if !bars[x] {
			x++
			continue
		}
		run := 1
		for x+run < n && bars[x+run] {
			run++
		}
		fmt.Fprintf(&b, `<rect x="%d" y="0" width="%d" height="%d"/>`, x+quiet, run, h)
		x += run
	}
	b.WriteString(`</g></svg>`)
	return template.HTML(b.String()), nil
}

// Labels returns a label for every order of batch b, in the batch's order.
func Labels(b *Batch) ([]*Label, error) {
	out := make([]*Label, 0, len(b.Orders))
	for _, o := range b.Orders {
		q, err := QRSVG(o.Number, "30mm")
		if err != nil {
			return nil, err
		}
		bar, err := Code128SVG(o.Number, "60mm", "14mm")
		if err != nil {
			return nil, err
		}
		l := &Label{Order: o, ShopName: b.ShopName, Phone: MaskPhone(o.Phone), QR: q, Barcode: bar}
		for _, ln := range o.Lines {
			t := TraceLine{Name: ln.Name, Spec: ln.Spec, Qty: ln.Qty}
			for _, lp := range ln.Lots {
				if lp.LotID == "" {
					continue
				}
				t.Lots = append(t.Lots, TraceLot{Producer: lp.Producer, Base: lp.Base, HarvestedOn: lp.HarvestedOn, BestBefore: lp.BestBefore})
			}
			l.Trace = append(l.Trace, t)
		}
		out = append(out, l)
	}
	return out, nil
}
