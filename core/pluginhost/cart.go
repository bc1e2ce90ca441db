package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/uptrace/bun"
)

// CartShop is one shop's lines of a cart, priced by the core, to adjust.
type CartShop struct {
	ShopID, RegionID string
	Lines            []*pluginv1.CartLine
}

// CartRequest is a cart to pass through the plugins' AdjustCart hooks.
type CartRequest struct {
	Call       Call // Tenant, RequestID, Locale; RegionID/ShopID per shop
	CustomerID string
	Currency   string
	Codes      []string
	Shops      []CartShop
	// IDB is the caller's transaction, if any (see Host.targets).
	IDB bun.IDB
}

// LineDiscount is the part of a plugin's discount on one line (negative).
type LineDiscount struct {
	Plugin, Code, Label string
	AmountFen           int64
}

// LineRefusal is a plugin's refusal of a line.
type LineRefusal struct {
	Plugin, LineID, MessageKey, Message string
}

// LineHold asks for the line's order to be held by Plugin when placed.
type LineHold struct {
	Plugin, LineID, Reason string
}

// CartResult is what the plugins did to a cart: discounts per line (order
// level discounts are spread over the shop's lines by subtotal), refusals
// and holds.
type CartResult struct {
	Discounts map[string][]LineDiscount // by line id
	Refusals  []LineRefusal
	Holds     []LineHold
}

// UnavailableError is returned when a line carries the attributes of a
// plugin that cannot answer (down, timed out, circuit open, or not active
// for the line's shop): such a line must not be sold as if the plugin had
// not been asked.
type UnavailableError struct {
	Plugin string
	LineID string
	Err    error
}

func (e *UnavailableError) Error() string {
	if e.LineID == "" {
		return fmt.Sprintf("plugin %s is unavailable: %v", e.Plugin, e.Err)
	}
	return fmt.Sprintf("plugin %s cannot price line %s: %v", e.Plugin, e.LineID, e.Err)
}
func (e *UnavailableError) Unwrap() error { return e.Err }

// ErrNotActive is the cause of an UnavailableError for a line whose
// plugin is not switched on for its shop.
var ErrNotActive = errors.New("not active for this shop")

// defaultCartDeadline is the deadline of an AdjustCart call whose manifest
// declares none.
const defaultCartDeadline = 300 * time.Millisecond

// AdjustCart asks every plugin active for each shop and declaring
// AdjustCart for its adjustments, all shops and plugins at once, each
// under its deadline within ctx's (the checkout's budget). A plugin that
// fails (error, timeout, open circuit, an answer that does not add up) is
// skipped as the fail-open policy says — unless the plugin declared the
// hook fail closed, or one of the shop's lines carries that plugin's
// attributes, which makes the whole call fail with an UnavailableError. Lines carrying attributes of a plugin not active for
// their shop fail the same way.
func (h *Host) AdjustCart(ctx context.Context, req CartRequest) (*CartResult, error) {
	out := &CartResult{Discounts: map[string][]LineDiscount{}}
	type job struct {
		shop CartShop
		t    target
	}
	var jobs []job
	for _, s := range req.Shops {
		c := req.Call
		c.RegionID, c.ShopID = s.RegionID, s.ShopID
		up, down, err := h.targets(ctx, req.IDB, c, pluginv1.HookName_HOOK_NAME_ADJUST_CART)
		if err != nil {
			return nil, err
		}
		served := map[string]bool{}
		for _, t := range up {
			served[t.name] = true
			jobs = append(jobs, job{s, t})
		}
		for _, l := range s.Lines {
			for k := range l.GetAttributes() {
				p := attrPlugin(k)
				if served[p] {
					continue
				}
				cause := ErrNotActive
				if e, ok := down[p]; ok {
					cause = e
				}
				return nil, &UnavailableError{Plugin: p, LineID: l.GetLineId(), Err: cause}
			}
		}
	}
	if len(jobs) == 0 {
		return out, nil
	}
	type answer struct {
		j   job
		res *pluginv1.AdjustCartResponse
		err error
	}
	answers := make([]answer, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		run := func() {
			defer wg.Done()
			c := req.Call
			c.RegionID, c.ShopID = j.shop.RegionID, j.shop.ShopID
			var sub int64
			for _, l := range j.shop.Lines {
				sub += l.GetSubtotalFen()
			}
			var res *pluginv1.AdjustCartResponse
			err := h.invoke(ctx, j.t, defaultCartDeadline, func(ctx context.Context) error {
				dl, _ := ctx.Deadline()
				var err error
				res, err = j.t.client.AdjustCart(ctx, &pluginv1.AdjustCartRequest{
					Tenant:     h.tenantContext(j.t.name, j.t.manifest, j.t.resolved, c, "adjust_cart", dl),
					CustomerId: req.CustomerID, Currency: req.Currency, Lines: j.shop.Lines, SubtotalFen: sub, Codes: req.Codes,
				})
				if err == nil {
					err = checkAdjustments(j.shop.Lines, res)
				}
				return err
			})
			answers[i] = answer{j, res, err}
		}
		if len(jobs) == 1 {
			run() // one plugin for one shop: no goroutine to wait for
		} else {
			go run()
		}
	}
	wg.Wait()
	for _, a := range answers {
		if a.err != nil {
			line := ownLine(a.j.shop.Lines, a.j.t.name)
			if line != "" || failClosed(a.j.t.spec) {
				if line == "" && len(a.j.shop.Lines) > 0 {
					line = a.j.shop.Lines[0].GetLineId()
				}
				return nil, &UnavailableError{Plugin: a.j.t.name, LineID: line, Err: a.err}
			}
			h.logger().Warn("plugin skipped (fail open)", "plugin", a.j.t.name, "hook", "adjust_cart", "shop", a.j.shop.ShopID, "error", a.err)
			continue
		}
		apply(out, a.j.t.name, a.j.shop.Lines, a.res)
	}
	return out, nil
}

// ownLine returns the first line carrying plugin's attributes.
func ownLine(lines []*pluginv1.CartLine, plugin string) string {
	for _, l := range lines {
		for k := range l.GetAttributes() {
			if attrPlugin(k) == plugin {
				return l.GetLineId()
			}
		}
	}
	return ""
}

// checkAdjustments refuses an answer that does not add up: a fee (not
// supported), allocations to unknown lines or not summing to the amount,
// a line discounted below zero, refusals or holds of unknown lines.
func checkAdjustments(lines []*pluginv1.CartLine, res *pluginv1.AdjustCartResponse) error {
	left := map[string]int64{}
	var total int64
	for _, l := range lines {
		left[l.GetLineId()] = l.GetSubtotalFen()
		total += l.GetSubtotalFen()
	}
	for _, a := range res.GetAdjustments() {
		if a.GetAmountFen() > 0 {
			return fmt.Errorf("adjustment %q is a fee (%d fen): fees are not accepted", a.GetCode(), a.GetAmountFen())
		}
		if -a.GetAmountFen() > total {
			return fmt.Errorf("adjustment %q takes %d fen off %d", a.GetCode(), -a.GetAmountFen(), total)
		}
		if len(a.GetAllocations()) == 0 {
			total += a.GetAmountFen()
			continue
		}
		var sum int64
		for _, al := range a.GetAllocations() {
			rest, ok := left[al.GetLineId()]
			if !ok {
				return fmt.Errorf("adjustment %q names unknown line %q", a.GetCode(), al.GetLineId())
			}
			if al.GetAmountFen() > 0 || rest+al.GetAmountFen() < 0 {
				return fmt.Errorf("adjustment %q puts %d fen on line %q (left %d)", a.GetCode(), al.GetAmountFen(), al.GetLineId(), rest)
			}
			left[al.GetLineId()] = rest + al.GetAmountFen()
			sum += al.GetAmountFen()
		}
		if sum != a.GetAmountFen() {
			return fmt.Errorf("adjustment %q: allocations add up to %d, not %d", a.GetCode(), sum, a.GetAmountFen())
		}
		total += sum
	}
	for _, e := range res.GetErrors() {
		if _, ok := left[strings.TrimPrefix(e.GetField(), "/lines/")]; !ok {
			return fmt.Errorf("refusal names unknown field %q", e.GetField())
		}
	}
	for _, hd := range res.GetHolds() {
		if _, ok := left[hd.GetLineId()]; !ok {
			return fmt.Errorf("hold names unknown line %q", hd.GetLineId())
		}
	}
	return nil
}

// apply adds a checked answer of plugin to out; order-level amounts are
// spread over the lines by what is left of their subtotals (the last line
// takes the rounding).
func apply(out *CartResult, plugin string, lines []*pluginv1.CartLine, res *pluginv1.AdjustCartResponse) {
	left := map[string]int64{}
	for _, l := range lines {
		left[l.GetLineId()] = l.GetSubtotalFen()
		for _, d := range out.Discounts[l.GetLineId()] {
			left[l.GetLineId()] += d.AmountFen
		}
	}
	add := func(line string, a *pluginv1.Adjustment, amt int64) {
		if amt == 0 {
			return
		}
		out.Discounts[line] = append(out.Discounts[line], LineDiscount{Plugin: plugin, Code: a.GetCode(), Label: a.GetLabel(), AmountFen: amt})
		left[line] += amt
	}
	for _, a := range res.GetAdjustments() {
		if len(a.GetAllocations()) > 0 {
			for _, al := range a.GetAllocations() {
				add(al.GetLineId(), a, al.GetAmountFen())
			}
			continue
		}
		var base int64
		for _, l := range lines {
			base += left[l.GetLineId()]
		}
		rest := a.GetAmountFen()
		for i, l := range lines {
			id := l.GetLineId()
			share := rest
			if i < len(lines)-1 && base > 0 {
				share = a.GetAmountFen() * left[id] / base
			}
			share = max(share, -left[id])
			add(id, a, share)
			rest -= share
		}
	}
	for _, e := range res.GetErrors() {
		out.Refusals = append(out.Refusals, LineRefusal{Plugin: plugin, LineID: strings.TrimPrefix(e.GetField(), "/lines/"),
			MessageKey: e.GetMessageKey(), Message: e.GetMessage()})
	}
	for _, hd := range res.GetHolds() {
		out.Holds = append(out.Holds, LineHold{Plugin: plugin, LineID: hd.GetLineId(), Reason: hd.GetReason()})
	}
}
