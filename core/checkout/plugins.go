package checkout

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/pluginhost"
	"github.com/jishi-dev/jishi/core/promo"
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Plugins is what checkout needs of the plugin host: the AdjustCart hooks
// of the plugins active for each shop.
type Plugins interface {
	AdjustCart(ctx context.Context, req pluginhost.CartRequest) (*pluginhost.CartResult, error)
}

// Limits of line attributes.
const (
	MaxAttributes     = 8
	MaxAttributeValue = 200
)

// PluginBudget bounds the time all plugins together may take in one quote
// or place: a plugin slower than that is skipped (or, for a line carrying
// its attributes, the checkout is refused) — the checkout never waits
// longer.
const PluginBudget = 800 * time.Millisecond

// attrKey is "{plugin}.{name}".
var attrKey = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*\.[a-z0-9_]{1,40}$`)

// checkAttributes validates a line's attributes.
func checkAttributes(fe *core.FieldErrors, f string, attrs map[string]string) {
	if len(attrs) > MaxAttributes {
		fe.Add(f+".attributes", "checkout.field.too_many_attributes")
		return
	}
	for k, v := range attrs {
		if !attrKey.MatchString(k) || len(v) > MaxAttributeValue {
			fe.Add(f+".attributes", "checkout.field.bad_attribute")
			return
		}
	}
}

// adjustByPlugins passes each shop's priced lines through the plugins and
// adds their discounts to the lines (promo allocations of kind "plugin",
// funded by the shop), the shops' and the quote's totals and the promo
// result. Refusals become field errors on the lines; the holds are kept
// for place.
func (s *Service) adjustByPlugins(ctx context.Context, idb bun.IDB, userID string, in Input, q *Quote, res *promo.Result, keyOf func(*QuoteLine) int) error {
	if s.Plugins == nil {
		return nil
	}
	t := tenants.MustFromContext(ctx)
	req := pluginhost.CartRequest{
		Call:       pluginhost.Call{Tenant: t, RequestID: httpx.RequestID(ctx), Locale: i18n.FromContext(ctx)},
		CustomerID: userID, Currency: t.Currency, Codes: in.Coupons, IDB: idb,
	}
	byID := map[string]*QuoteLine{}
	for _, sq := range q.Shops {
		cs := pluginhost.CartShop{ShopID: sq.ShopID, RegionID: sq.RegionID}
		for _, ql := range sq.Lines {
			id := strconv.Itoa(ql.index)
			byID[id] = ql
			cs.Lines = append(cs.Lines, &pluginv1.CartLine{
				LineId: id, ShopId: sq.ShopID, ProductId: ql.ProductID, SkuId: ql.SKUID, Quantity: int32(ql.Qty),
				UnitPriceFen: ql.UnitFen, SubtotalFen: ql.TotalFen, Attributes: in.Lines[ql.index].Attributes,
			})
		}
		req.Shops = append(req.Shops, cs)
	}
	ctx, cancel := context.WithTimeout(ctx, PluginBudget)
	defer cancel()
	out, err := s.Plugins.AdjustCart(ctx, req)
	if err != nil {
		var ue *pluginhost.UnavailableError
		if errors.As(err, &ue) {
			key := "checkout.field.plugin_unavailable"
			if errors.Is(err, pluginhost.ErrNotActive) {
				key = "checkout.field.plugin_not_here"
			}
			return &core.Error{Code: core.Unavailable, Message: "checkout.error.plugin_unavailable", Args: []any{ue.Plugin},
				Fields: map[string]string{"lines." + ue.LineID + ".sku_id": key}, Err: err}
		}
		return err
	}
	if len(out.Refusals) > 0 {
		var fe core.FieldErrors
		for _, r := range out.Refusals {
			msg := r.Message
			if msg == "" {
				msg = r.MessageKey
			}
			fe.Add("lines."+r.LineID+".sku_id", msg)
		}
		return fe.Err()
	}
	for id, ds := range out.Discounts {
		ql := byID[id]
		lr := &res.Lines[keyOf(ql)]
		shop := shopOf(q, ql)
		for _, d := range ds {
			a := promo.Allocation{PromotionID: d.Plugin + ":" + d.Code, Kind: "plugin", Label: d.Label, AmountFen: -d.AmountFen, FundedBy: "shop"}
			ql.Allocations = append(ql.Allocations, a)
			ql.DiscountFen += a.AmountFen
			ql.TotalFen -= a.AmountFen
			lr.Allocations, lr.DiscountFen, lr.TotalFen = ql.Allocations, ql.DiscountFen, ql.TotalFen
			for i := range res.Shops {
				if sr := &res.Shops[i]; sr.ShopID == shop {
					sr.DiscountFen += a.AmountFen
					sr.TotalFen -= a.AmountFen
					sr.Applied = addApplied(sr.Applied, a)
				}
			}
			res.DiscountFen += a.AmountFen
			res.TotalFen -= a.AmountFen
			res.Applied = addApplied(res.Applied, a)
		}
	}
	q.holds = out.Holds
	return nil
}

// shopOf is the shop of a quote line.
func shopOf(q *Quote, ql *QuoteLine) string {
	for _, sq := range q.Shops {
		for _, l := range sq.Lines {
			if l == ql {
				return sq.ShopID
			}
		}
	}
	return ""
}

// addApplied adds a to the applied discounts, merged with the same
// plugin code.
func addApplied(as []promo.Applied, a promo.Allocation) []promo.Applied {
	for i := range as {
		if as[i].Kind == a.Kind && as[i].PromotionID == a.PromotionID {
			as[i].AmountFen += a.AmountFen
			return as
		}
	}
	return append(as, promo.Applied{PromotionID: a.PromotionID, Kind: a.Kind, Label: a.Label, AmountFen: a.AmountFen, FundedBy: a.FundedBy})
}

// placeHolds places the holds the plugins asked for on the orders of g,
// in the checkout's transaction.
func (s *Service) placeHolds(ctx context.Context, tx bun.IDB, q *Quote, g *order.Group) error {
	for _, h := range q.holds {
		var shop string
		for _, sq := range q.Shops {
			for _, l := range sq.Lines {
				if strconv.Itoa(l.index) == h.LineID {
					shop = sq.ShopID
				}
			}
		}
		for _, o := range g.Orders {
			if o.ShopID != shop {
				continue
			}
			reason := []rune(h.Reason)
			if len(reason) > order.ReasonMax {
				reason = reason[:order.ReasonMax]
			}
			if _, err := s.Orders.PlaceHold(ctx, tx, o.ID, h.Plugin, string(reason), "plugin:"+h.Plugin); err != nil {
				return err
			}
		}
	}
	return nil
}
