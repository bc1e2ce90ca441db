package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/payment"
	"github.com/jishi-dev/jishi/core/pluginhost"
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/tenants"
)

// Plugins is the plugin platform of one server process.
type Plugins struct {
	Catalog    *pluginhost.Catalog
	Supervisor *pluginhost.Supervisor
	Host       *pluginhost.Host
	Switches   *pluginhost.Switches
	Callbacks  *pluginhost.Callbacks
	Outbox     *pluginhost.Outbox
	Scheduler  *pluginhost.Scheduler

	cancel context.CancelFunc
}

// DefaultPluginDir is where plugins are looked for when JISHI_PLUGIN_DIR
// is not set: bin/plugins (what `make` builds) when it exists, else the
// directory "plugins" beside the running executable.
func DefaultPluginDir() string {
	if fi, err := os.Stat(filepath.Join("bin", "plugins")); err == nil && fi.IsDir() {
		return filepath.Join("bin", "plugins")
	}
	if exe, err := os.Executable(); err == nil {
		return filepath.Join(filepath.Dir(exe), "plugins")
	}
	return filepath.Join("bin", "plugins")
}

// wirePlugins builds the plugin platform: the catalog of cfg.PluginDir
// (none when it is empty or missing), the supervisor whose processes get
// their callback socket and storage, activation, the outbox and jobs.
func (a *App) wirePlugins() error {
	cat := &pluginhost.Catalog{}
	if dir := a.Config.PluginDir; dir != "" {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			c, err := pluginhost.Scan(dir)
			if err != nil {
				return fmt.Errorf("plugins: %w", err)
			}
			cat = c
		}
	}
	p := &Plugins{Catalog: cat}
	p.Switches = &pluginhost.Switches{DB: a.DB}
	signer := pluginhost.NewSigner()
	p.Callbacks = &pluginhost.Callbacks{Signer: signer, Services: pluginServices{a}}
	sup := pluginhost.NewSupervisor(cat, pluginhost.Config{
		Logger:    slog.Default().With("component", "plugins"),
		PluginLog: a.Config.PluginLog,
		Env:       func(name string) ([]string, error) { return a.pluginEnv(p, name) },
	})
	p.Supervisor = sup
	p.Host = &pluginhost.Host{Supervisor: sup, Switches: p.Switches, Signer: signer}
	p.Switches.Validate = p.Host.ValidateConfig
	p.Callbacks.Declared = func(name string) []string { return sup.LastManifest(name).GetHostScopes() }
	p.Callbacks.Admits = func(ctx context.Context, tenantID, plugin string) (func(string, string) bool, error) {
		r, err := p.Switches.Resolve(ctx, tenantID, plugin)
		if err != nil {
			return nil, err
		}
		return r.ActiveFor, nil
	}
	p.Outbox = &pluginhost.Outbox{Host: p.Host, Jobs: a.Jobs, Services: pluginServices{a}}
	p.Outbox.Register(a.Orders)
	p.Scheduler = &pluginhost.Scheduler{Host: p.Host}
	a.Plugins = p
	// Plugins' tenders are payment providers named plugin_{name}.
	a.Payments.Registry.Fallback = a.tenderFallback
	return nil
}

// pluginEnv is the environment of plugin name's process: its host
// callback socket and its own storage (a schema of the app's PostgreSQL
// database, or a SQLite file in the data directory).
func (a *App) pluginEnv(p *Plugins, name string) ([]string, error) {
	target, err := p.Callbacks.Target(name)
	if err != nil {
		return nil, err
	}
	env := []string{"JISHI_HOST_CALLBACK=" + target}
	if a.DB.Engine == db.Postgres {
		schema := "plugin_" + strings.ReplaceAll(name, "-", "_")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := a.DB.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
			return nil, fmt.Errorf("schema for plugin %s: %w", name, err)
		}
		u, err := url.Parse(a.DB.URL())
		if err != nil {
			return nil, err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		env = append(env, "JISHI_PLUGIN_DB_DRIVER=postgres", "JISHI_PLUGIN_DB_DSN="+u.String())
	} else {
		dir := filepath.Join(a.Config.DataDir, "plugins")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		env = append(env, "JISHI_PLUGIN_DB_DRIVER=sqlite", "JISHI_PLUGIN_DB_DSN="+filepath.Join(dir, name+".db"))
	}
	return env, nil
}

// StartPlugins starts the plugin processes, the activation listener and
// the job scheduler in the background (jishi serve).
func (a *App) StartPlugins(ctx context.Context) {
	p := a.Plugins
	ctx, p.cancel = context.WithCancel(ctx)
	p.Supervisor.Start(ctx)
	go p.Switches.Listen(ctx)
	go p.Scheduler.Run(ctx)
}

// StopPlugins stops them and kills the processes.
func (a *App) StopPlugins() {
	p := a.Plugins
	if p.cancel != nil {
		p.cancel()
	}
	p.Supervisor.Stop()
	p.Callbacks.Close()
}

// pluginServices is the host callback API on the core's services.
type pluginServices struct{ a *App }

// tenantCtx returns ctx carrying reach's tenant.
func (s pluginServices) tenantCtx(ctx context.Context, r pluginhost.Reach) (context.Context, error) {
	if t, ok := tenants.FromContext(ctx); ok && t.ID == r.TenantID {
		return ctx, nil
	}
	t, err := tenants.ByID(ctx, s.a.DB.DB, r.TenantID)
	if err != nil {
		return nil, err
	}
	return tenants.WithTenant(ctx, t), nil
}

// shopRegions reads the region of each shop.
func shopRegions(ctx context.Context, idb bun.IDB, shops []string) (map[string]string, error) {
	out := map[string]string{}
	if len(shops) == 0 {
		return out, nil
	}
	var rows []struct {
		ID     string `bun:"id"`
		Region string `bun:"region"`
	}
	err := idb.NewSelect().TableExpr("shops").ColumnExpr("CAST(id AS text) AS id, coalesce(CAST(region_id AS text), '') AS region").
		Where("tenant_id = ?", db.TenantID(ctx)).Where("id IN (?)", bun.List(shops)).Scan(ctx, &rows)
	for _, r := range rows {
		out[r.ID] = r.Region
	}
	return out, err
}

func validIDs(ids []string) []string {
	var out []string
	for _, id := range ids {
		if len(id) == 36 && strings.Count(id, "-") == 4 {
			out = append(out, id)
		}
	}
	return out
}

func (s pluginServices) Products(ctx context.Context, r pluginhost.Reach, ids []string) ([]*pluginv1.Product, error) {
	ctx, err := s.tenantCtx(ctx, r)
	if err != nil {
		return nil, err
	}
	ids = validIDs(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	var out []*pluginv1.Product
	err = s.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var ps []*catalog.Product
		if err := db.Select(ctx, tx, &ps).Where("p.id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
			return err
		}
		var shops []string
		for _, p := range ps {
			shops = append(shops, p.ShopID)
		}
		regions, err := shopRegions(ctx, tx, shops)
		if err != nil {
			return err
		}
		byID := map[string]*pluginv1.Product{}
		var pids []string
		for _, p := range ps {
			if !r.Admits(regions[p.ShopID], p.ShopID) {
				continue
			}
			byID[p.ID] = &pluginv1.Product{Id: p.ID, ShopId: p.ShopID, Name: p.Name, ImageUrl: p.CoverPath, Published: p.Status == catalog.ProductActive}
			pids = append(pids, p.ID)
		}
		if len(pids) == 0 {
			return nil
		}
		var skus []*catalog.SKU
		if err := db.Select(ctx, tx, &skus).Where("k.product_id IN (?)", bun.List(pids)).OrderExpr("k.sort, k.id").Scan(ctx); err != nil {
			return err
		}
		for _, k := range skus {
			p := byID[k.ProductID]
			avail, err := s.a.Inventory.AvailableIn(ctx, tx, []string{k.ID}, regions[k.ShopID])
			if err != nil {
				return err
			}
			p.Skus = append(p.Skus, &pluginv1.Sku{Id: k.ID, Name: k.Spec, PriceFen: k.PriceFen, ListPriceFen: k.ListPriceFen, StockAvailable: int64(avail[k.ID])})
		}
		for _, id := range ids {
			if p, ok := byID[id]; ok {
				out = append(out, p)
			}
		}
		return nil
	})
	return out, err
}

// protoOrder is the callback API's form of o.
func protoOrder(o *order.Order, region string) *pluginv1.Order {
	po := &pluginv1.Order{Id: o.ID, CheckoutGroupId: o.GroupID, ShopId: o.ShopID, CustomerId: o.UserID, Status: o.Status,
		TotalFen: o.TotalFen, RefundedFen: o.RefundedFen, Currency: "CNY", PlacedAt: timestamppb.New(o.PlacedAt), RegionId: region}
	for _, l := range o.Lines {
		po.Lines = append(po.Lines, &pluginv1.OrderLine{SkuId: l.SKUID, ProductId: l.ProductID, Name: l.Name, Quantity: int32(l.Qty),
			UnitPriceFen: l.UnitFen, TotalFen: l.TotalFen, Attributes: l.Attributes})
	}
	for _, h := range o.Holds {
		if h.ReleasedAt == nil {
			po.HoldIds = append(po.HoldIds, h.ID)
		}
	}
	return po
}

// order reads order id within reach (NotFound outside it).
func (s pluginServices) order(ctx context.Context, tx bun.IDB, r pluginhost.Reach, id string) (*order.Order, string, error) {
	if len(validIDs([]string{id})) == 0 {
		return nil, "", pluginhost.ErrNotFound
	}
	o, err := s.a.Orders.Order(ctx, tx, id)
	if core.IsNotFound(err) {
		return nil, "", pluginhost.ErrNotFound
	}
	if err != nil {
		return nil, "", err
	}
	regions, err := shopRegions(ctx, tx, []string{o.ShopID})
	if err != nil {
		return nil, "", err
	}
	if !r.Admits(regions[o.ShopID], o.ShopID) {
		return nil, "", pluginhost.ErrNotFound
	}
	return o, regions[o.ShopID], nil
}

func (s pluginServices) Orders(ctx context.Context, r pluginhost.Reach, ids []string) ([]*pluginv1.Order, error) {
	ctx, err := s.tenantCtx(ctx, r)
	if err != nil {
		return nil, err
	}
	var out []*pluginv1.Order
	err = s.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		for _, id := range ids {
			o, region, err := s.order(ctx, tx, r, id)
			if errors.Is(err, pluginhost.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			out = append(out, protoOrder(o, region))
		}
		return nil
	})
	return out, err
}

// maskPhone keeps the first 3 and last 4 digits.
func maskPhone(p string) string {
	if len(p) < 8 {
		return ""
	}
	return p[:3] + strings.Repeat("*", len(p)-7) + p[len(p)-4:]
}

func (s pluginServices) Customers(ctx context.Context, r pluginhost.Reach, ids []string) ([]*pluginv1.Customer, error) {
	ctx, err := s.tenantCtx(ctx, r)
	if err != nil {
		return nil, err
	}
	var out []*pluginv1.Customer
	err = s.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		for _, id := range validIDs(ids) {
			u, err := s.a.Identity.UserByID(ctx, tx, id)
			if core.IsNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			c := &pluginv1.Customer{Id: u.ID, DisplayName: u.Name}
			if u.Phone != nil {
				c.MaskedPhone = maskPhone(*u.Phone)
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// pluginActor is who a plugin's changes are recorded as.
func pluginActor() order.Actor { return order.System }

func (s pluginServices) PlaceHold(ctx context.Context, r pluginhost.Reach, orderID, reason, _ string) (string, error) {
	ctx, err := s.tenantCtx(ctx, r)
	if err != nil {
		return "", err
	}
	var id string
	err = s.a.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, _, err := s.order(ctx, tx, r, orderID); err != nil {
			return err
		}
		h, err := s.a.Orders.PlaceHold(ctx, tx, orderID, r.Plugin, reason, "plugin:"+r.Plugin)
		if err != nil {
			return callbackError(err)
		}
		id = h.ID
		return nil
	})
	return id, err
}

func (s pluginServices) ReleaseHold(ctx context.Context, r pluginhost.Reach, holdID, _ string) error {
	ctx, err := s.tenantCtx(ctx, r)
	if err != nil {
		return err
	}
	return s.a.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		h, err := s.a.Orders.Hold(ctx, tx, holdID)
		if err != nil || h.Name != r.Plugin {
			return pluginhost.ErrNotFound // another plugin's hold is not this one's to release
		}
		if _, _, err := s.order(ctx, tx, r, h.OrderID); err != nil {
			return err
		}
		if h.ReleasedAt != nil {
			return nil
		}
		return callbackError(s.a.Orders.ReleaseHold(ctx, tx, h.OrderID, h.Name, "plugin:"+r.Plugin))
	})
}

func (s pluginServices) CancelOrder(ctx context.Context, r pluginhost.Reach, orderID, reason string, _ bool, _ string) (*pluginv1.Order, error) {
	ctx, err := s.tenantCtx(ctx, r)
	if err != nil {
		return nil, err
	}
	var out *pluginv1.Order
	err = s.a.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		o, region, err := s.order(ctx, tx, r, orderID)
		if err != nil {
			return err
		}
		if o.Status != order.StatusCancelled { // cancelling again changes nothing
			if reason == "" {
				reason = r.Plugin
			}
			if _, err := s.a.Orders.Cancel(ctx, tx, orderID, pluginActor(), reason); err != nil {
				return callbackError(err)
			}
			if o, err = s.a.Orders.Order(ctx, tx, orderID); err != nil {
				return err
			}
		}
		out = protoOrder(o, region)
		return nil
	})
	return out, err
}

func (s pluginServices) RefundOrder(ctx context.Context, r pluginhost.Reach, orderID string, amount int64, reason, _ string) (string, int64, error) {
	ctx, err := s.tenantCtx(ctx, r)
	if err != nil {
		return "", 0, err
	}
	var id string
	var got int64
	err = s.a.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		o, _, err := s.order(ctx, tx, r, orderID)
		if err != nil {
			return err
		}
		if left := o.TotalFen - o.RefundedFen; amount != left {
			return &pluginhost.CallbackError{Code: codes.FailedPrecondition,
				Message: fmt.Sprintf("only the whole rest of the order (%d fen) can be refunded by a plugin; asked %d", left, amount)}
		}
		rf, err := s.a.Orders.RefundRest(ctx, tx, orderID, pluginActor(), reason)
		if err != nil {
			return callbackError(err)
		}
		id, got = rf.ID, rf.AmountFen+rf.ShippingFen
		return nil
	})
	return id, got, err
}

func (s pluginServices) RecordUsage(ctx context.Context, r pluginhost.Reach, metric string, qty int64, key string) error {
	ctx, err := s.tenantCtx(ctx, r)
	if err != nil {
		return err
	}
	if key == "" {
		key = tenants.NewID()
	}
	u := &pluginUsage{TenantID: r.TenantID, ID: tenants.NewID(), Plugin: r.Plugin, ShopID: r.ShopID, Metric: metric,
		Quantity: qty, Key: key, OccurredAt: time.Now().UTC()}
	return s.a.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.NewInsert().Model(u).On("CONFLICT DO NOTHING").Exec(ctx)
		return err
	})
}

// pluginUsage is one usage record of a plugin (plugin_usage).
type pluginUsage struct {
	bun.BaseModel `bun:"table:plugin_usage,alias:pu"`

	TenantID   string    `bun:"tenant_id,pk"`
	ID         string    `bun:"id,pk"`
	Plugin     string    `bun:"plugin,notnull"`
	ShopID     string    `bun:"shop_id,notnull"`
	Metric     string    `bun:"metric,notnull"`
	Quantity   int64     `bun:"quantity,notnull"`
	Key        string    `bun:"idem_key,notnull"`
	OccurredAt time.Time `bun:"occurred_at,notnull"`
}

func (s pluginServices) SendEmail(ctx context.Context, r pluginhost.Reach, customerID string, shopStaff bool, subject, text, _ string) (string, error) {
	ctx, err := s.tenantCtx(ctx, r)
	if err != nil {
		return "", err
	}
	if shopStaff {
		// The shop's staff are reached through its owner's address.
		if r.ShopID == "" {
			return "", &pluginhost.CallbackError{Code: codes.InvalidArgument, Message: "shop_staff needs the capability of a call for one shop"}
		}
		sh, err := s.a.Merchants.ShopByID(ctx, r.ShopID)
		if err != nil {
			return "", pluginhost.ErrNotFound
		}
		if sh.OwnerID == nil {
			return "", &pluginhost.CallbackError{Code: codes.FailedPrecondition, Message: "the shop has no owner to write to"}
		}
		customerID = *sh.OwnerID
	} else if customerID == "" {
		return "", &pluginhost.CallbackError{Code: codes.InvalidArgument, Message: "a recipient is required"}
	}
	var to string
	err = s.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		u, err := s.a.Identity.UserByID(ctx, tx, customerID)
		if err != nil {
			return pluginhost.ErrNotFound
		}
		if u.Email == nil {
			return &pluginhost.CallbackError{Code: codes.FailedPrecondition, Message: "the customer has no e-mail address"}
		}
		to = *u.Email
		return nil
	})
	if err != nil {
		return "", err
	}
	id := tenants.NewID()
	return id, s.a.Identity.Mailer().Send(ctx, identity.Mail{To: to, Subject: subject, Body: text})
}

// callbackError maps a core error to a callback refusal.
func callbackError(err error) error {
	var ce *core.Error
	if err == nil || !errors.As(err, &ce) {
		return err
	}
	switch ce.Code {
	case core.NotFound:
		return pluginhost.ErrNotFound
	case core.Conflict:
		return &pluginhost.CallbackError{Code: codes.FailedPrecondition, Message: ce.Error()}
	case core.Invalid:
		return &pluginhost.CallbackError{Code: codes.InvalidArgument, Message: ce.Error()}
	}
	return err
}

// IssueStoredValue issues stored-value cards in the plugin's name (the
// card batch's liability is stored_value:{plugin}).
func (s pluginServices) IssueStoredValue(ctx context.Context, r pluginhost.Reach, req *pluginv1.IssueStoredValueRequest) ([]*pluginv1.StoredValueCard, error) {
	ctx, err := s.tenantCtx(ctx, r)
	if err != nil {
		return nil, err
	}
	in := payment.IssueInput{Issuer: r.Plugin, Reference: req.GetReference(), Count: int(req.GetCount()),
		AmountFen: req.GetAmountFen(), Funded: payment.FundedSold, Tender: req.GetTender()}
	if req.GetGift() {
		in.Funded = payment.FundedGift
	}
	if req.GetExpiresAt() != nil {
		t := req.GetExpiresAt().AsTime()
		in.ExpiresAt = &t
	}
	var out []*pluginv1.StoredValueCard
	err = s.a.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		cards, err := s.a.Payments.IssueCards(ctx, tx, in)
		if err != nil {
			return callbackError(err)
		}
		for _, c := range cards {
			out = append(out, &pluginv1.StoredValueCard{Id: c.ID, Code: c.Code, AmountFen: c.AmountFen})
		}
		return nil
	})
	return out, err
}
