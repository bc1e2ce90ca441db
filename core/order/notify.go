package order

import (
	"context"
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
