package pluginhost

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/tenants"
)

// Levels of a switch inside a tenant.
const (
	LevelTenant = "tenant"
	LevelRegion = "region"
	LevelShop   = "shop"
)

// notifyChannel is the PostgreSQL channel on which a server instance tells
// the others that a tenant's switches changed (payload: the tenant id, or
// "*" for the platform's kill switches).
const notifyChannel = "jishi_plugins"

// KillSwitch is the platform operator's switch for one plugin.
type KillSwitch struct {
	bun.BaseModel `bun:"table:plugin_kill_switches,alias:pk"`

	Plugin    string    `bun:"plugin,pk"`
	Disabled  bool      `bun:"disabled,notnull"`
	Reason    string    `bun:"reason,notnull"`
	UpdatedAt time.Time `bun:"updated_at,notnull"`
	UpdatedBy string    `bun:"updated_by,notnull"`
}

// Switch is one row of a tenant's switches: the tenant's own (is the plugin
// on in this marketplace, and its settings), a region's cell of the matrix,
// or a shop's override (Enabled nil: as its region).
type Switch struct {
	bun.BaseModel `bun:"table:plugin_switches,alias:ps"`

	TenantID   string    `bun:"tenant_id,pk"`
	Plugin     string    `bun:"plugin,pk"`
	Level      string    `bun:"level,pk"`
	TargetID   string    `bun:"target_id,pk"`
	Enabled    *bool     `bun:"enabled"`
	ConfigJSON string    `bun:"config_json,notnull"`
	Version    int64     `bun:"version,notnull"`
	UpdatedAt  time.Time `bun:"updated_at,notnull"`
	UpdatedBy  string    `bun:"updated_by,notnull"`
}

// AuditEntry is one change of a switch or of settings.
type AuditEntry struct {
	bun.BaseModel `bun:"table:plugin_audit,alias:pa"`

	TenantID  string    `bun:"tenant_id,pk" json:"-"`
	ID        string    `bun:"id,pk" json:"id"`
	Plugin    string    `bun:"plugin,notnull" json:"plugin"`
	Level     string    `bun:"level,notnull" json:"level"`
	TargetID  string    `bun:"target_id,notnull" json:"target_id,omitempty"`
	Action    string    `bun:"action,notnull" json:"action"`
	OldValue  string    `bun:"old_value,notnull" json:"old_value"`
	NewValue  string    `bun:"new_value,notnull" json:"new_value"`
	ActorID   string    `bun:"actor_id,notnull" json:"actor_id"`
	ActorName string    `bun:"actor_name,notnull" json:"actor_name"`
	At        time.Time `bun:"at,notnull" json:"at"`
}

// Actor is who changes a switch, for the audit log.
type Actor struct{ ID, Name string }

// Resolved is one plugin's switches in one tenant, resolved: whether it runs
// for a shop, and with which settings.
type Resolved struct {
	Plugin string
	// Killed: the platform switched the plugin off everywhere.
	Killed bool
	// TenantOn: the tenant switched the plugin on (nothing runs otherwise).
	TenantOn bool
	// Regions are the cells of the matrix that are on.
	Regions map[string]bool
	// Shops are the shops' overrides (absent: as the region).
	Shops map[string]bool
	// TenantConfig is the tenant's settings; ShopConfig a shop's, whose keys
	// override the tenant's.
	TenantConfig map[string]json.RawMessage
	ShopConfig   map[string]map[string]json.RawMessage
	// Version grows with every change of the tenant's switches or settings.
	Version int64

	configs sync.Map // shop id → the JSON Config answers
}

// ActiveFor reports whether the plugin runs for shop in region.
func (r *Resolved) ActiveFor(regionID, shopID string) bool {
	if r == nil || r.Killed || !r.TenantOn {
		return false
	}
	if on, ok := r.Shops[shopID]; ok && shopID != "" {
		return on
	}
	return r.Regions[regionID]
}

// ActiveAnywhere reports whether the plugin runs for any shop of the tenant.
func (r *Resolved) ActiveAnywhere() bool {
	if r == nil || r.Killed || !r.TenantOn {
		return false
	}
	for _, on := range r.Regions {
		if on {
			return true
		}
	}
	for _, on := range r.Shops {
		if on {
			return true
		}
	}
	return false
}

// Scope is the active scope sent on tenant-wide calls: regions that are on,
// shops switched on outside them, shops switched off inside them. The
// region of a shop override is not known here, so every "on" override is
// listed as enabled and every "off" as disabled; the plugin's ActiveFor
// gives the same answer as Resolved.ActiveFor.
func (r *Resolved) Scope() (regions, enabled, disabled []string) {
	if r == nil || r.Killed || !r.TenantOn {
		return nil, nil, nil
	}
	for id, on := range r.Regions {
		if on {
			regions = append(regions, id)
		}
	}
	for id, on := range r.Shops {
		if on {
			enabled = append(enabled, id)
		} else {
			disabled = append(disabled, id)
		}
	}
	slices.Sort(regions)
	slices.Sort(enabled)
	slices.Sort(disabled)
	return regions, enabled, disabled
}

// Config returns the settings for shop (the tenant's when shop is empty),
// as a JSON object.
func (r *Resolved) Config(shopID string) []byte {
	if r != nil {
		if b, ok := r.configs.Load(shopID); ok {
			return b.([]byte)
		}
	}
	b := r.config(shopID)
	if r != nil {
		r.configs.Store(shopID, b)
	}
	return b
}

func (r *Resolved) config(shopID string) []byte {
	m := map[string]json.RawMessage{}
	if r != nil {
		maps.Copy(m, r.TenantConfig)
		if shopID != "" {
			maps.Copy(m, r.ShopConfig[shopID])
		}
	}
	b, _ := json.Marshal(m)
	return b
}

// Switches reads and changes plugin switches, and keeps every tenant's
// resolved switches in memory until they change (on this instance, or on
// another one that notifies through PostgreSQL) or TTL passes.
type Switches struct {
	DB  *db.DB
	TTL time.Duration
	// Validate checks settings for a plugin before they are saved; nil
	// accepts every JSON object.
	Validate func(ctx context.Context, tenantID, plugin, shopID string, cfg []byte) error
	Now      func() time.Time

	mu      sync.Mutex
	tenants map[string]*tenantSwitches
	kill    map[string]bool
	killAt  time.Time
	gen     uint64
}

type tenantSwitches struct {
	at      time.Time
	plugins map[string]*Resolved
}

func (s *Switches) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Switches) ttl() time.Duration {
	if s.TTL > 0 {
		return s.TTL
	}
	return 30 * time.Second
}

// Invalidate forgets what is cached for tenantID ("*" or "": everything).
func (s *Switches) Invalidate(tenantID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	if tenantID == "" || tenantID == "*" {
		s.tenants = nil
		s.kill = nil
		return
	}
	delete(s.tenants, tenantID)
}

// Resolve returns plugin's switches in tenantID.
func (s *Switches) Resolve(ctx context.Context, tenantID, plugin string) (*Resolved, error) {
	all, err := s.Tenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if r, ok := all[plugin]; ok {
		return r, nil
	}
	kill, err := s.kills(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &Resolved{Plugin: plugin, Killed: kill[plugin]}, nil
}

// Tenant returns the resolved switches of every plugin the tenant has rows
// for.
func (s *Switches) Tenant(ctx context.Context, tenantID string) (map[string]*Resolved, error) {
	return s.TenantIn(ctx, nil, tenantID)
}

// TenantIn is Tenant reading through idb (the caller's transaction) when
// what is cached has to be read again; nil reads through the pool.
func (s *Switches) TenantIn(ctx context.Context, idb bun.IDB, tenantID string) (map[string]*Resolved, error) {
	s.mu.Lock()
	if ts, ok := s.tenants[tenantID]; ok && s.now().Sub(ts.at) < s.ttl() {
		s.mu.Unlock()
		return ts.plugins, nil
	}
	gen := s.gen
	s.mu.Unlock()

	kill, err := s.kills(ctx, idb)
	if err != nil {
		return nil, err
	}
	var rows []*Switch
	read := func(ctx context.Context, tx bun.IDB) error {
		return tx.NewSelect().Model(&rows).Where("tenant_id = ?", tenantID).Scan(ctx)
	}
	if idb != nil {
		err = read(ctx, idb)
	} else {
		// On PostgreSQL, row-level security admits the tenant's rows only
		// in a transaction bound to it.
		err = s.DB.RunInReadTx(s.bound(ctx, tenantID), read)
	}
	if err != nil {
		return nil, fmt.Errorf("plugin switches of tenant %s: %w", tenantID, err)
	}
	out := map[string]*Resolved{}
	for _, row := range rows {
		r := out[row.Plugin]
		if r == nil {
			r = &Resolved{Plugin: row.Plugin, Killed: kill[row.Plugin], Regions: map[string]bool{}, Shops: map[string]bool{},
				TenantConfig: map[string]json.RawMessage{}, ShopConfig: map[string]map[string]json.RawMessage{}}
			out[row.Plugin] = r
		}
		r.Version = max(r.Version, row.Version)
		switch row.Level {
		case LevelTenant:
			r.TenantOn = row.Enabled != nil && *row.Enabled
			_ = json.Unmarshal([]byte(row.ConfigJSON), &r.TenantConfig)
		case LevelRegion:
			r.Regions[row.TargetID] = row.Enabled != nil && *row.Enabled
		case LevelShop:
			if row.Enabled != nil {
				r.Shops[row.TargetID] = *row.Enabled
			}
			var m map[string]json.RawMessage
			if json.Unmarshal([]byte(row.ConfigJSON), &m) == nil && len(m) > 0 {
				r.ShopConfig[row.TargetID] = m
			}
		}
	}
	s.mu.Lock()
	if s.gen == gen {
		if s.tenants == nil {
			s.tenants = map[string]*tenantSwitches{}
		}
		s.tenants[tenantID] = &tenantSwitches{at: s.now(), plugins: out}
	}
	s.mu.Unlock()
	return out, nil
}

// bound returns ctx carrying a tenant with tenantID so that transactions on
// PostgreSQL are bound to it (row-level security).
func (s *Switches) bound(ctx context.Context, tenantID string) context.Context {
	if t, ok := tenants.FromContext(ctx); ok && t.ID == tenantID {
		return ctx
	}
	return tenants.WithTenant(ctx, &tenants.Tenant{ID: tenantID})
}

func (s *Switches) kills(ctx context.Context, idb bun.IDB) (map[string]bool, error) {
	if idb == nil {
		idb = s.DB.DB
	}
	s.mu.Lock()
	if s.kill != nil && s.now().Sub(s.killAt) < s.ttl() {
		k := s.kill
		s.mu.Unlock()
		return k, nil
	}
	s.mu.Unlock()
	var rows []*KillSwitch
	if err := idb.NewSelect().Model(&rows).Scan(ctx); err != nil {
		return nil, fmt.Errorf("plugin kill switches: %w", err)
	}
	k := map[string]bool{}
	for _, r := range rows {
		k[r.Plugin] = r.Disabled
	}
	s.mu.Lock()
	s.kill, s.killAt = k, s.now()
	s.mu.Unlock()
	return k, nil
}

// KillSwitches returns the platform's kill switches with their reasons.
func (s *Switches) KillSwitches(ctx context.Context) ([]*KillSwitch, error) {
	var rows []*KillSwitch
	if err := s.DB.NewSelect().Model(&rows).Order("plugin").Scan(ctx); err != nil {
		return nil, fmt.Errorf("plugin kill switches: %w", err)
	}
	return rows, nil
}

// Kills returns the platform's kill switches by plugin.
func (s *Switches) Kills(ctx context.Context) (map[string]bool, error) { return s.kills(ctx, nil) }

// SetKill switches plugin off (or back on) on the whole platform.
func (s *Switches) SetKill(ctx context.Context, plugin string, disabled bool, reason string, by Actor) error {
	row := &KillSwitch{Plugin: plugin, Disabled: disabled, Reason: reason, UpdatedAt: s.now().UTC(), UpdatedBy: by.ID}
	_, err := s.DB.NewInsert().Model(row).
		On("CONFLICT (plugin) DO UPDATE").
		Set("disabled = EXCLUDED.disabled, reason = EXCLUDED.reason, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("kill switch of %s: %w", plugin, err)
	}
	s.changed(ctx, "*")
	return nil
}

// ErrInvalidConfig wraps the field errors of settings that were refused.
var ErrInvalidConfig = errors.New("invalid plugin settings")

// SetEnabled sets the switch of plugin at level for target (a region or a
// shop id; "" at tenant level) in the tenant of ctx: on, off, or — nil, at
// shop level only — as the shop's region. It writes the audit log.
func (s *Switches) SetEnabled(ctx context.Context, plugin, level, target string, on *bool, by Actor) error {
	if level == LevelTenant {
		target = ""
	}
	if on == nil && level != LevelShop {
		return fmt.Errorf("plugin %s: only a shop's switch can follow its region", plugin)
	}
	return s.write(ctx, plugin, level, target, by, func(row *Switch) (action, oldV, newV string) {
		oldV = enabledText(row.Enabled)
		row.Enabled = on
		newV = enabledText(on)
		action = "inherit"
		if on != nil {
			action = map[bool]string{true: "enable", false: "disable"}[*on]
		}
		return action, oldV, newV
	})
}

// SetConfig saves settings for plugin in the tenant of ctx: the tenant's
// (shop "") or one shop's override. cfg must be a JSON object; Validate
// checks it first (an error wrapping ErrInvalidConfig with field errors).
func (s *Switches) SetConfig(ctx context.Context, plugin, shopID string, cfg []byte, by Actor) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(cfg, &obj); err != nil || obj == nil {
		return fmt.Errorf("%w: settings must be a JSON object", ErrInvalidConfig)
	}
	canon, _ := json.Marshal(obj)
	if s.Validate != nil {
		// A shop's override is checked as the shop will run with it: the
		// tenant's settings with the shop's keys on top.
		check := canon
		if shopID != "" {
			r, err := s.Resolve(ctx, tenants.ID(ctx), plugin)
			if err != nil {
				return err
			}
			merged := map[string]json.RawMessage{}
			maps.Copy(merged, r.TenantConfig)
			maps.Copy(merged, obj)
			check, _ = json.Marshal(merged)
		}
		if err := s.Validate(ctx, tenants.ID(ctx), plugin, shopID, check); err != nil {
			return err
		}
	}
	level := LevelTenant
	if shopID != "" {
		level = LevelShop
	}
	return s.write(ctx, plugin, level, shopID, by, func(row *Switch) (string, string, string) {
		old := row.ConfigJSON
		row.ConfigJSON = string(canon)
		return "settings", old, row.ConfigJSON
	})
}

func enabledText(b *bool) string {
	switch {
	case b == nil:
		return "inherit"
	case *b:
		return "on"
	}
	return "off"
}

// write changes one switch row in a transaction with its audit entry, and
// bumps the version of the tenant's rows of plugin.
func (s *Switches) write(ctx context.Context, plugin, level, target string, by Actor, change func(*Switch) (string, string, string)) error {
	tenantID := tenants.ID(ctx)
	now := s.now().UTC()
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var version int64
		if err := tx.NewSelect().Model((*Switch)(nil)).ColumnExpr("coalesce(max(version), 0)").
			Where("tenant_id = ? AND plugin = ?", tenantID, plugin).Scan(ctx, &version); err != nil {
			return err
		}
		row := &Switch{TenantID: tenantID, Plugin: plugin, Level: level, TargetID: target, ConfigJSON: "{}"}
		err := tx.NewSelect().Model(row).WherePK().Limit(1).Scan(ctx)
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		action, oldV, newV := change(row)
		row.Version, row.UpdatedAt, row.UpdatedBy = version+1, now, by.ID
		if exists {
			_, err = tx.NewUpdate().Model(row).WherePK().Exec(ctx)
		} else {
			_, err = tx.NewInsert().Model(row).Exec(ctx)
		}
		if err != nil {
			return err
		}
		if oldV == newV {
			return nil
		}
		_, err = tx.NewInsert().Model(&AuditEntry{
			TenantID: tenantID, ID: uuid.Must(uuid.NewV7()).String(), Plugin: plugin, Level: level, TargetID: target,
			Action: action, OldValue: oldV, NewValue: newV, ActorID: by.ID, ActorName: by.Name, At: now,
		}).Exec(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("plugin %s %s switch: %w", plugin, level, err)
	}
	s.changed(ctx, tenantID)
	return nil
}

// Audit returns the last entries of the tenant's audit log for plugin
// (every plugin when empty), newest first.
func (s *Switches) Audit(ctx context.Context, plugin string, limit int64) ([]*AuditEntry, error) {
	var out []*AuditEntry
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		q := db.Select(ctx, tx, &out).OrderExpr("at DESC, id DESC").Limit(limit)
		if plugin != "" {
			q = q.Where("plugin = ?", plugin)
		}
		return q.Scan(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("plugin audit: %w", err)
	}
	return out, nil
}

// changed drops the cache of tenantID here and tells other instances.
func (s *Switches) changed(ctx context.Context, tenantID string) {
	s.Invalidate(tenantID)
	if s.DB.Engine != db.Postgres {
		return
	}
	if _, err := s.DB.ExecContext(ctx, "SELECT pg_notify(?, ?)", notifyChannel, tenantID); err != nil {
		slog.Warn("plugin switches: notify other instances", "tenant", tenantID, "error", err)
	}
}

// Listen invalidates the cache whenever another instance changes switches
// (PostgreSQL LISTEN on a connection of its own) until ctx ends. On SQLite,
// which one process writes, it returns at once.
func (s *Switches) Listen(ctx context.Context) {
	if s.DB.Engine != db.Postgres {
		return
	}
	for ctx.Err() == nil {
		err := s.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		slog.Warn("plugin switches: listen lost; caches expire by TTL until it is back", "error", err)
		s.Invalidate("*")
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (s *Switches) listenOnce(ctx context.Context) error {
	conn, err := s.DB.DB.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("listen: driver connection %T is not pgx", dc)
		}
		pc := c.Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
			return err
		}
		// Anything cached before LISTEN may have missed a notification.
		s.Invalidate("*")
		defer pc.Exec(context.WithoutCancel(ctx), "UNLISTEN "+notifyChannel) //nolint:errcheck
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				return err
			}
			s.Invalidate(n.Payload)
		}
	})
}
