package order

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Order event types that listeners (the plugin host's outbox) receive.
const (
	EventPlaced    = "order.placed"
	EventPaid      = "order.paid"
	EventCancelled = "order.cancelled"
	EventRefunded  = "order.refunded"
	EventCompleted = "order.completed"
)

// Happened is one order event: what happened to which order, when.
type Happened struct {
	Type    string
	OrderID string
	ShopID  string
	At      time.Time
	// Plugins took part in the order (a line's attributes, a discount);
	// meaningful only when PluginsKnown (the order's lines and discounts
	// were at hand).
	Plugins      []string
	PluginsKnown bool
}

// happened is the event typ of o, with the plugins that took part in it
// when o was built with its lines and discounts in this process.
func happened(typ string, o *Order, at time.Time) Happened {
	h := Happened{Type: typ, OrderID: o.ID, ShopID: o.ShopID, At: at, PluginsKnown: o.pluginsKnown}
	if o.pluginsKnown {
		for _, l := range o.Lines {
			for k := range l.Attributes {
				if p, _, ok := strings.Cut(k, "."); ok && !slices.Contains(h.Plugins, p) {
					h.Plugins = append(h.Plugins, p)
				}
			}
			for _, d := range l.Discounts {
				if p, _, ok := strings.Cut(d.PromotionID, ":"); ok && d.Kind == "plugin" && !slices.Contains(h.Plugins, p) {
					h.Plugins = append(h.Plugins, p)
				}
			}
		}
	}
	return h
}

// Listener receives order events in the transaction that causes them; an
// error rolls the transaction back.
type Listener func(ctx context.Context, tx bun.IDB, hs []Happened) error

// OnEvent registers l. Register listeners while the app is built.
func (s *Service) OnEvent(l Listener) { s.listeners = append(s.listeners, l) }

func (s *Service) notify(ctx context.Context, tx bun.IDB, hs ...Happened) error {
	if len(hs) == 0 {
		return nil
	}
	for _, l := range s.listeners {
		if err := l(ctx, tx, hs); err != nil {
			return err
		}
	}
	return nil
}
