package pluginhost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/jobs"
	"github.com/jishi-dev/jishi/core/order"
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/tenants"
)

// EventAttempts is how often an event is delivered to a plugin that fails
// it before it becomes a dead letter (River's backoff between attempts:
// 1s, 16s, 81s, 4m, 10m, 21m, 40m).
const EventAttempts = 8

// defaultEventDeadline bounds one HandleEvent call whose manifest declares
// no deadline.
const defaultEventDeadline = 10 * time.Second

// DeliverArgs is one event on its way to one plugin (a job of the queue).
type DeliverArgs struct {
	Plugin   string    `json:"plugin"`
	TenantID string    `json:"tenant_id"`
	ShopID   string    `json:"shop_id"`
	RegionID string    `json:"region_id"`
	EventID  string    `json:"event_id"`
	Type     string    `json:"type"`
	OrderID  string    `json:"order_id"`
	At       time.Time `json:"at"`
}

// Kind implements jobs.Args.
func (DeliverArgs) Kind() string { return "plugin.event" }

// DeadLetter is an event (or a job run) a plugin failed for good.
type DeadLetter struct {
	bun.BaseModel `bun:"table:plugin_dead_letters,alias:pd"`

	TenantID  string     `bun:"tenant_id,pk" json:"-"`
	ID        string     `bun:"id,pk" json:"id"`
	Plugin    string     `bun:"plugin,notnull" json:"plugin"`
	Kind      string     `bun:"kind,notnull" json:"kind"`
	EventID   string     `bun:"event_id,notnull" json:"event_id"`
	EventType string     `bun:"event_type,notnull" json:"event_type"`
	ShopID    string     `bun:"shop_id,notnull" json:"shop_id"`
	Payload   string     `bun:"payload,notnull" json:"-"`
	Attempts  int        `bun:"attempts,notnull" json:"attempts"`
	LastError string     `bun:"last_error,notnull" json:"last_error"`
	CreatedAt time.Time  `bun:"created_at,notnull" json:"created_at"`
	RetriedAt *time.Time `bun:"retried_at" json:"retried_at,omitempty"`
}

// Outbox turns the core's order events into deliveries to the plugins that
// subscribe to them and are active for the order's shop: a job per event
// and plugin, enqueued in the transaction of the event, so an event is
// delivered once it is committed and never when it is rolled back; at
// least once, with retries, and a dead letter when every attempt failed.
type Outbox struct {
	Host     *Host
	Jobs     *jobs.Service
	Services Services

	regions sync.Map // tenant/shop → region id
}

// Register hooks the outbox into the order service and the job queue.
func (o *Outbox) Register(orders *order.Service) {
	orders.OnEvent(o.listen)
	jobs.Handle(o.Jobs, o.deliver)
}

// shopRegion returns the region of shop, read in idb once per process.
func (o *Outbox) shopRegion(ctx context.Context, idb bun.IDB, tenantID, shopID string) (string, error) {
	key := tenantID + "/" + shopID
	if r, ok := o.regions.Load(key); ok {
		return r.(string), nil
	}
	var region string
	err := idb.NewSelect().TableExpr("shops").ColumnExpr("coalesce(CAST(region_id AS text), '')").
		Where("tenant_id = ? AND id = ?", tenantID, shopID).Scan(ctx, &region)
	if err != nil {
		return "", fmt.Errorf("region of shop %s: %w", shopID, err)
	}
	o.regions.Store(key, region)
	return region, nil
}

// ForgetShop drops what is known of shop's region (when it moves).
func (o *Outbox) ForgetShop(tenantID, shopID string) { o.regions.Delete(tenantID + "/" + shopID) }

func subscribes(m *pluginv1.Manifest, typ string) bool {
	return m != nil && slices.Contains(m.GetEventSubscriptions(), typ) &&
		hookSpec(m, pluginv1.HookName_HOOK_NAME_HANDLE_EVENT) != nil
}

func (o *Outbox) listen(ctx context.Context, tx bun.IDB, hs []order.Happened) error {
	sup := o.Host.Supervisor
	if sup == nil {
		return nil
	}
	var names []string
	for _, n := range sup.Names() {
		m := sup.LastManifest(n)
		for _, h := range hs {
			if subscribes(m, h.Type) {
				names = append(names, n)
				break
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	tid := db.TenantID(ctx)
	all, err := o.Host.Switches.TenantIn(ctx, tx, tid)
	if err != nil {
		return err
	}
	var batch []jobs.Args
	for _, n := range names {
		r := all[n]
		if !r.ActiveAnywhere() {
			continue
		}
		m := sup.LastManifest(n)
		for _, h := range hs {
			if !subscribes(m, h.Type) {
				continue
			}
			if m.GetOwnOrdersOnly() && h.PluginsKnown && !slices.Contains(h.Plugins, n) {
				continue
			}
			region, err := o.shopRegion(ctx, tx, tid, h.ShopID)
			if err != nil {
				return err
			}
			if !r.ActiveFor(region, h.ShopID) {
				continue
			}
			args := DeliverArgs{Plugin: n, TenantID: tid, ShopID: h.ShopID, RegionID: region,
				EventID: uuid.Must(uuid.NewV7()).String(), Type: h.Type, OrderID: h.OrderID, At: h.At}
			batch = append(batch, args)
		}
	}
	return o.Jobs.EnqueueMany(ctx, tx, batch, &jobs.Opts{MaxAttempts: EventAttempts})
}

// deliver delivers one event to one plugin. A plugin switched off for the
// shop meanwhile does not get it. A failure is retried by the queue; the
// last failure becomes a dead letter.
func (o *Outbox) deliver(ctx context.Context, j jobs.Job[DeliverArgs]) error {
	a := j.Args
	err := o.Deliver(ctx, a, j.Attempt)
	if err == nil || !j.LastAttempt() {
		return err
	}
	body, _ := json.Marshal(a)
	dl := &DeadLetter{TenantID: a.TenantID, ID: uuid.Must(uuid.NewV7()).String(), Plugin: a.Plugin, Kind: "event",
		EventID: a.EventID, EventType: a.Type, ShopID: a.ShopID, Payload: string(body), Attempts: j.Attempt,
		LastError: err.Error(), CreatedAt: time.Now().UTC()}
	tctx := tenants.WithTenant(ctx, &tenants.Tenant{ID: a.TenantID})
	if werr := o.Host.Switches.DB.RunInTx(tctx, func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.NewInsert().Model(dl).Exec(ctx)
		return err
	}); werr != nil {
		return errors.Join(err, werr)
	}
	o.Host.logger().Error("plugin event dead-lettered", "plugin", a.Plugin, "event", a.EventID, "type", a.Type, "error", err)
	return err
}

// Deliver makes one delivery attempt of a to its plugin.
func (o *Outbox) Deliver(ctx context.Context, a DeliverArgs, attempt int) error {
	t, err := tenants.ByID(ctx, o.Host.Switches.DB.DB, a.TenantID)
	if err != nil {
		return fmt.Errorf("tenant %s: %w", a.TenantID, err)
	}
	ctx = tenants.WithTenant(ctx, t)
	r, err := o.Host.Switches.Resolve(ctx, a.TenantID, a.Plugin)
	if err != nil {
		return err
	}
	if !r.ActiveFor(a.RegionID, a.ShopID) {
		return nil
	}
	client, err := o.Host.Supervisor.Client(a.Plugin)
	if err != nil {
		return err
	}
	m, err := o.Host.Supervisor.Manifest(a.Plugin)
	if err != nil {
		return err
	}
	spec := hookSpec(m, pluginv1.HookName_HOOK_NAME_HANDLE_EVENT)
	if spec == nil {
		return nil
	}
	reach := Reach{Plugin: a.Plugin, TenantID: a.TenantID, ShopID: a.ShopID, Admits: func(_, s string) bool { return s == a.ShopID }}
	os, err := o.Services.Orders(ctx, reach, []string{a.OrderID})
	if err != nil {
		return err
	}
	if len(os) == 0 {
		return fmt.Errorf("order %s of event %s: %w", a.OrderID, a.EventID, ErrNotFound)
	}
	payload, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(os[0])
	if err != nil {
		return err
	}
	tg := target{name: a.Plugin, client: client, manifest: m, resolved: r, spec: spec}
	call := Call{Tenant: t, RegionID: a.RegionID, ShopID: a.ShopID, RequestID: "event-" + a.EventID}
	return o.Host.invoke(ctx, tg, defaultEventDeadline, func(ctx context.Context) error {
		dl, _ := ctx.Deadline()
		_, err := client.HandleEvent(ctx, &pluginv1.HandleEventRequest{
			Tenant:  o.Host.tenantContext(a.Plugin, m, r, call, "handle_event", dl),
			Event:   &pluginv1.Event{Id: a.EventID, Type: a.Type, PayloadJson: payload, OccurredAt: timestamppb.New(a.At)},
			Attempt: uint32(max(attempt, 1)),
		})
		return err
	})
}

// DeadLetters returns the tenant's dead letters of plugin (every plugin
// when empty), newest first.
func (o *Outbox) DeadLetters(ctx context.Context, plugin string, limit int64) ([]*DeadLetter, error) {
	var out []*DeadLetter
	err := o.Host.Switches.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		q := db.Select(ctx, tx, &out).OrderExpr("created_at DESC, id DESC").Limit(limit)
		if plugin != "" {
			q = q.Where("plugin = ?", plugin)
		}
		return q.Scan(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("dead letters: %w", err)
	}
	return out, nil
}

// Retry delivers dead letter id of the tenant in ctx again (a new job with
// the same event id, so the plugin can tell it is the same event).
// NotFound for another tenant's or an unknown id; Conflict when it was
// retried already.
func (o *Outbox) Retry(ctx context.Context, id string) error {
	return o.Host.Switches.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		dl := new(DeadLetter)
		if err := db.Select(ctx, tx, dl).Where("id = ?", id).Scan(ctx); err != nil {
			return db.NotFound(err, core.Errorf(core.NotFound, "plugin.dead_letter_not_found"))
		}
		if dl.RetriedAt != nil {
			return core.Errorf(core.Conflict, "plugin.dead_letter_retried")
		}
		var a DeliverArgs
		if err := json.Unmarshal([]byte(dl.Payload), &a); err != nil || dl.Kind != "event" {
			return core.Errorf(core.Conflict, "plugin.dead_letter_not_event")
		}
		now := time.Now().UTC()
		if _, err := db.Update(ctx, tx, dl).Set("retried_at = ?", now).Where("id = ?", id).Exec(ctx); err != nil {
			return err
		}
		_, err := o.Jobs.Enqueue(ctx, tx, a, &jobs.Opts{MaxAttempts: EventAttempts})
		return err
	})
}
