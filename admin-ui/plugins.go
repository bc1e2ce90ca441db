package adminui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/pluginhost"
	"github.com/jishi-dev/jishi/core/web"
	"github.com/jishi-dev/jishi/tenants"
)

// The permissions of the plugin pages. Tenant admins and region managers
// see the plugins (a region manager the rows of their regions and their
// shops); only holders of tenant:settings (tenant admins) switch plugins
// and change their settings. The platform's page is for platform admins.
const (
	permPluginsView     = merchant.PermListShops
	permPluginsManage   = "tenant:settings"
	permPluginsAudit    = "audit:read"
	permPlatformView    = "tenant:list"
	permPlatformOperate = "tenant:create"
)

// registerPlugins mounts the plugin pages: in the tenant console the
// installed plugins with the tenant's switch and the regions × plugins
// matrix, each plugin's shop overrides, its settings form (the tenant's
// and a shop's override, built from the plugin's JSON Schema), its audit
// log, dead letters and job runs; on the platform host the plugins'
// processes with their logs, the kill switch and Restart.
func (u *ui) registerPlugins(rt *httpx.Router) {
	h := func(method, path, perm string, resource bool, fn http.HandlerFunc) {
		rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: method, Path: path, Perm: perm, Resource: resource, Handler: fn})
	}
	h("GET", "/admin/plugins", permPluginsView, true, u.pluginsPage)
	h("POST", "/admin/plugins/{plugin}/tenant", permPluginsManage, false, u.setTenantSwitch)
	h("POST", "/admin/plugins/{plugin}/regions/{region}", permPluginsManage, false, u.setRegionSwitch)
	h("GET", "/admin/plugins/{plugin}/shops", permPluginsView, true, u.pluginShops)
	h("POST", "/admin/plugins/{plugin}/shops/{shop}", permPluginsManage, false, u.setShopSwitch)
	h("GET", "/admin/plugins/{plugin}/settings", permPluginsManage, false, u.pluginSettings)
	h("POST", "/admin/plugins/{plugin}/settings", permPluginsManage, false, u.savePluginSettings)
	h("GET", "/admin/plugins/{plugin}/shops/{shop}/settings", permPluginsManage, false, u.pluginSettings)
	h("POST", "/admin/plugins/{plugin}/shops/{shop}/settings", permPluginsManage, false, u.savePluginSettings)
	h("GET", "/admin/plugins/{plugin}/audit", permPluginsAudit, false, u.pluginAudit)
	h("GET", "/admin/plugins/{plugin}/dead-letters", permPluginsManage, false, u.pluginDeadLetters)
	h("POST", "/admin/plugins/{plugin}/dead-letters/{id}/retry", permPluginsManage, false, u.retryDeadLetter)

	p := func(method, path, perm string, fn http.HandlerFunc) {
		rt.Handle(httpx.Route{Area: httpx.AreaPlatform, Method: method, Path: path, Perm: perm, Handler: fn})
	}
	p("GET", "/admin/plugins", permPlatformView, u.platformPlugins)
	p("POST", "/admin/plugins/{plugin}/kill", permPlatformOperate, u.platformKill)
	p("POST", "/admin/plugins/{plugin}/restart", permPlatformOperate, u.platformRestart)
}

// pluginTab is the console menu entry of every plugin page.
const pluginTab = "ui.plugins.title"

// pluginPage is consolePage with the plugins' menu entry highlighted.
func pluginPage(r *http.Request, titleKey string, c web.ConsoleAccess, data any) *web.Page {
	p := consolePage(r, titleKey, c, data)
	p.Data.(*consoleData).Tab = pluginTab
	return p
}

// actor is who the signed-in user is for the audit log.
func actor(r *http.Request) pluginhost.Actor {
	p := web.Principal(r)
	if p == nil {
		return pluginhost.Actor{}
	}
	return pluginhost.Actor{ID: p.UserID, Name: p.Name}
}

// canManagePlugins reports whether the caller may switch plugins and
// change their settings in the tenant.
func (u *ui) canManagePlugins(r *http.Request) bool {
	t := tenants.MustFromContext(r.Context())
	return u.a.Authz.Allowed(r.Context(), web.Principal(r), authz.TenantDomain(t.ID), permPluginsManage)
}

// pluginCard is one installed plugin as the consoles show it: what its
// manifest says, how its process is doing, and its switches.
type pluginCard struct {
	Name, Title, Description, Version string
	// State is the supervisor's state; StateLabel it in words, Badge its
	// badge style.
	State, StateLabel, Badge string
	Healthy                  bool
	Restarts, Crashes        int
	LastError                string
	StartedAt                time.Time
	// Killed: the platform switched the plugin off everywhere.
	Killed     bool
	KillReason string
	// TenantOn: the tenant switched it on.
	TenantOn bool
	// HasSettings: the manifest declares a settings schema.
	HasSettings bool
	// Described: the plugin's process described itself at least once.
	Described bool
	// Logs are the last log lines (platform page only).
	Logs string
}

// stateBadge is the badge style of a supervisor state.
func stateBadge(s pluginhost.State) string {
	switch s {
	case pluginhost.StateRunning:
		return "active"
	case pluginhost.StateStarting:
		return "submitted"
	case pluginhost.StateBackoff:
		return "suspended"
	case pluginhost.StateQuarantined, pluginhost.StateRefused:
		return "rejected"
	}
	return "closed"
}

// pluginCardOf fills a card from st and the plugin's last manifest.
func (u *ui) pluginCardOf(locale string, st pluginhost.Status) *pluginCard {
	c := &pluginCard{Name: st.Name, Title: st.Name, Version: st.Version, State: string(st.State),
		StateLabel: i18n.T(locale, "ui.plugins.state."+string(st.State)), Badge: stateBadge(st.State),
		Healthy: st.Healthy, Restarts: st.Restarts, Crashes: st.Crashes, LastError: st.LastError, StartedAt: st.StartedAt}
	if m := u.a.Plugins.Supervisor.LastManifest(st.Name); m != nil {
		c.Described = true
		if m.GetDisplayName() != "" {
			c.Title = m.GetDisplayName()
		}
		c.Description = m.GetDescription()
		if c.Version == "" {
			c.Version = m.GetVersion()
		}
		c.HasSettings = len(strings.TrimSpace(string(m.GetSettingsSchemaJson()))) > 0
	}
	return c
}

// pluginCards returns every installed plugin with its switches in the
// tenant of ctx, and the resolved switches by plugin.
func (u *ui) pluginCards(r *http.Request) ([]*pluginCard, map[string]*pluginhost.Resolved, error) {
	ctx := r.Context()
	locale := i18n.FromContext(ctx)
	tid := tenants.MustFromContext(ctx).ID
	var cards []*pluginCard
	res := map[string]*pluginhost.Resolved{}
	for _, st := range u.a.Plugins.Supervisor.Status() {
		rs, err := u.a.Plugins.Switches.Resolve(ctx, tid, st.Name)
		if err != nil {
			return nil, nil, err
		}
		c := u.pluginCardOf(locale, st)
		c.Killed, c.TenantOn = rs.Killed, rs.TenantOn
		cards = append(cards, c)
		res[st.Name] = rs
	}
	return cards, res, nil
}

// pluginCard returns the card of {plugin} with its switches in the tenant,
// or NotFound for a plugin that is not installed.
func (u *ui) pluginCard(r *http.Request) (*pluginCard, *pluginhost.Resolved, error) {
	name := r.PathValue("plugin")
	for _, st := range u.a.Plugins.Supervisor.Status() {
		if st.Name != name {
			continue
		}
		ctx := r.Context()
		rs, err := u.a.Plugins.Switches.Resolve(ctx, tenants.MustFromContext(ctx).ID, name)
		if err != nil {
			return nil, nil, err
		}
		c := u.pluginCardOf(i18n.FromContext(ctx), st)
		c.Killed, c.TenantOn = rs.Killed, rs.TenantOn
		return c, rs, nil
	}
	return nil, nil, errNotFound
}

// pluginsData is the tenant console's plugins page.
type pluginsData struct {
	Plugins []*pluginCard
	// Rows are the regions × plugins matrix, one row per region the
	// caller sees (a city, then its districts).
	Rows    []*matrixRow
	CanEdit bool
}

// matrixRow is one region of the matrix.
type matrixRow struct {
	ID, Name string
	District bool
	Cells    []*matrixCell
}

// matrixCell is one plugin's switch in one region.
type matrixCell struct {
	Plugin, Region, RegionName, PluginTitle string
	On                                      bool
	// Dim: the cell has no effect now (the tenant's switch is off or the
	// platform killed the plugin).
	Dim     bool
	CanEdit bool
}

func newMatrixCell(c *pluginCard, rs *pluginhost.Resolved, regionID, regionName string, canEdit bool) *matrixCell {
	return &matrixCell{Plugin: c.Name, PluginTitle: c.Title, Region: regionID, RegionName: regionName,
		On: rs.Regions[regionID], Dim: !rs.TenantOn || rs.Killed, CanEdit: canEdit}
}

// pluginsBody loads the plugins page for the caller with access c.
func (u *ui) pluginsBody(r *http.Request, c web.ConsoleAccess) (*pluginsData, error) {
	cards, res, err := u.pluginCards(r)
	if err != nil {
		return nil, err
	}
	x, err := u.regions(r.Context())
	if err != nil {
		return nil, err
	}
	d := &pluginsData{Plugins: cards, CanEdit: u.canManagePlugins(r)}
	sees := func(id string) bool { return c.Admin || c.Regions || slices.Contains(c.Managed, id) }
	row := func(reg *tenants.Region, district bool) {
		if !sees(reg.ID) {
			return
		}
		mr := &matrixRow{ID: reg.ID, Name: reg.Name, District: district}
		for _, card := range cards {
			mr.Cells = append(mr.Cells, newMatrixCell(card, res[card.Name], reg.ID, x.Name(reg.ID), d.CanEdit))
		}
		d.Rows = append(d.Rows, mr)
	}
	for _, city := range x.Tree {
		row(city, false)
		for _, dist := range city.Children {
			row(dist, true)
		}
	}
	return d, nil
}

// pluginsPage lists the installed plugins with the tenant's switches and
// the regions × plugins matrix.
func (u *ui) pluginsPage(w http.ResponseWriter, r *http.Request) {
	c, ok := u.access(w, r)
	if !ok {
		return
	}
	d, err := u.pluginsBody(r, c)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	pages.Render(w, r, http.StatusOK, "plugins", pluginPage(r, pluginTab, c, d))
}

// switchValue reads the form's "on" ("1" or "0"); anything else is bad
// input.
func switchValue(r *http.Request) (bool, error) {
	switch web.FormOf(r).Get("on") {
	case "1":
		return true, nil
	case "0":
		return false, nil
	}
	return false, core.Errorf(core.Invalid, "ui.plugins.bad_switch")
}

// setTenantSwitch switches {plugin} on or off for the whole tenant. htmx
// requests get the page's body back (the cards and the matrix, whose
// cells look disabled while the tenant's switch is off).
func (u *ui) setTenantSwitch(w http.ResponseWriter, r *http.Request) {
	c, ok := u.access(w, r)
	if !ok {
		return
	}
	card, _, err := u.pluginCard(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	on, err := switchValue(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := u.a.Plugins.Switches.SetEnabled(r.Context(), card.Name, pluginhost.LevelTenant, "", &on, actor(r)); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if !web.IsHTMX(r) {
		web.SetFlash(w, web.FlashSuccess, "ui.plugins.flash_switched")
		web.Redirect(w, r, "/admin/plugins#plugin-", card.Name)
		return
	}
	d, err := u.pluginsBody(r, c)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	page := pluginPage(r, pluginTab, c, d)
	page.Flash = &web.Flash{Kind: web.FlashSuccess, Key: "ui.plugins.flash_switched"}
	pages.Fragment(w, r, http.StatusOK, "plugins", "plugins-body", page)
}

// setRegionSwitch sets {plugin}'s cell of the matrix for {region}. htmx
// requests get the cell back.
func (u *ui) setRegionSwitch(w http.ResponseWriter, r *http.Request) {
	c, ok := u.access(w, r)
	if !ok {
		return
	}
	card, _, err := u.pluginCard(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	ctx, region := r.Context(), r.PathValue("region")
	x, err := u.regions(ctx)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if _, ok := x.Names[region]; !ok {
		httpx.Error(w, r, errNotFound)
		return
	}
	on, err := switchValue(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := u.a.Plugins.Switches.SetEnabled(ctx, card.Name, pluginhost.LevelRegion, region, &on, actor(r)); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if !web.IsHTMX(r) {
		web.SetFlash(w, web.FlashSuccess, "ui.plugins.flash_switched")
		web.Redirect(w, r, "/admin/plugins#matrix")
		return
	}
	_, rs, err := u.pluginCard(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	cell := newMatrixCell(card, rs, region, x.Name(region), true)
	pages.Fragment(w, r, http.StatusOK, "plugins", "plugin-cell-fragment", pluginPage(r, pluginTab, c, cell))
}

// The states of a shop's override.
const (
	shopAsRegion = "region"
	shopOn       = "on"
	shopOff      = "off"
)

// pluginShopsData is the shop overrides page of one plugin.
type pluginShopsData struct {
	Plugin  *pluginCard
	Query   string
	Rows    []*shopOverrideRow
	Pager   pager
	CanEdit bool
}

// shopOverrideRow is one shop with the plugin's switch for it.
type shopOverrideRow struct {
	Plugin *pluginCard
	Shop   *merchant.Shop
	Region string
	// State is region, on or off; RegionOn the matrix's cell of the
	// shop's region; Active whether the plugin runs for the shop now.
	State     string
	RegionOn  bool
	Active    bool
	HasConfig bool
	CanEdit   bool
}

func newShopOverrideRow(card *pluginCard, rs *pluginhost.Resolved, x *regionIndex, sh *merchant.Shop, canEdit bool) *shopOverrideRow {
	region := ""
	if sh.RegionID != nil {
		region = *sh.RegionID
	}
	row := &shopOverrideRow{Plugin: card, Shop: sh, Region: x.Name(region), State: shopAsRegion, RegionOn: rs.Regions[region],
		Active: rs.ActiveFor(region, sh.ID), HasConfig: len(rs.ShopConfig[sh.ID]) > 0, CanEdit: canEdit}
	if on, ok := rs.Shops[sh.ID]; ok {
		row.State = map[bool]string{true: shopOn, false: shopOff}[on]
	}
	return row
}

// pluginShops lists the shops the caller sees (searched by name,
// paginated) with the plugin's switch for each: as its region, on or off.
func (u *ui) pluginShops(w http.ResponseWriter, r *http.Request) {
	c, ok := u.access(w, r)
	if !ok {
		return
	}
	card, rs, err := u.pluginCard(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	ctx := r.Context()
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	n, window := pageWindow(r)
	list, err := u.a.Merchants.ShopsFor(ctx, web.Principal(r), merchant.ShopFilter{Query: q, Page: window})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	list, pg := newPager(r, "/admin/plugins/"+card.Name+"/shops", n, list)
	x, err := u.regions(ctx)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d := &pluginShopsData{Plugin: card, Query: q, Pager: pg, CanEdit: u.canManagePlugins(r)}
	for _, sh := range list {
		d.Rows = append(d.Rows, newShopOverrideRow(card, rs, x, sh, d.CanEdit))
	}
	pages.Render(w, r, http.StatusOK, "plugins_shops", pluginPage(r, "ui.plugins.shops_title", c, d))
}

// setShopSwitch sets {plugin}'s override for {shop}: as its region, on or
// off. htmx requests get the shop's row back.
func (u *ui) setShopSwitch(w http.ResponseWriter, r *http.Request) {
	c, ok := u.access(w, r)
	if !ok {
		return
	}
	card, _, err := u.pluginCard(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	ctx := r.Context()
	sh, err := u.a.Merchants.ShopByID(ctx, r.PathValue("shop"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	var on *bool
	switch web.FormOf(r).Get("state") {
	case shopAsRegion:
	case shopOn:
		on = new(bool)
		*on = true
	case shopOff:
		on = new(bool)
	default:
		httpx.Error(w, r, core.Errorf(core.Invalid, "ui.plugins.bad_switch"))
		return
	}
	if err := u.a.Plugins.Switches.SetEnabled(ctx, card.Name, pluginhost.LevelShop, sh.ID, on, actor(r)); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if !web.IsHTMX(r) {
		web.SetFlash(w, web.FlashSuccess, "ui.plugins.flash_switched")
		web.Redirect(w, r, "/admin/plugins/", card.Name, "/shops#shop-", sh.ID)
		return
	}
	card, rs, err := u.pluginCard(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	x, err := u.regions(ctx)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	row := newShopOverrideRow(card, rs, x, sh, true)
	pages.Fragment(w, r, http.StatusOK, "plugins_shops", "shop-override-fragment", pluginPage(r, "ui.plugins.shops_title", c, row))
}

// pluginSettingsData is the settings form of one plugin: the tenant's
// (Shop nil) or one shop's override.
type pluginSettingsData struct {
	Plugin *pluginCard
	Shop   *merchant.Shop
	Fields []*settingField
	Action string
	// Unavailable: the plugin never described itself, so its settings
	// are not known.
	Unavailable bool
	// BadSchema: its settings schema does not parse.
	BadSchema bool
}

// settingsTarget loads what the settings routes need: the plugin, its
// switches, the shop of a shop override (nil for the tenant's), and the
// form's fields.
func (u *ui) settingsTarget(r *http.Request) (*pluginSettingsData, *pluginhost.Resolved, error) {
	card, rs, err := u.pluginCard(r)
	if err != nil {
		return nil, nil, err
	}
	d := &pluginSettingsData{Plugin: card, Action: "/admin/plugins/" + card.Name + "/settings"}
	if id := r.PathValue("shop"); id != "" {
		sh, err := u.a.Merchants.ShopByID(r.Context(), id)
		if err != nil {
			return nil, nil, err
		}
		d.Shop = sh
		d.Action = "/admin/plugins/" + card.Name + "/shops/" + sh.ID + "/settings"
	}
	m := u.a.Plugins.Supervisor.LastManifest(card.Name)
	if m == nil {
		d.Unavailable = true
		return d, rs, nil
	}
	fields, err := parseSettingsSchema(i18n.FromContext(r.Context()), m.GetSettingsSchemaJson(), d.Shop != nil)
	if err != nil {
		d.BadSchema = true
		return d, rs, nil
	}
	d.Fields = fields
	tenantCfg, locale := rs.TenantConfig, i18n.FromContext(r.Context())
	for _, fd := range fields {
		if d.Shop != nil {
			inherited := tenantCfg[fd.Name]
			if len(inherited) == 0 {
				inherited = fd.defaultRaw
			}
			if len(inherited) > 0 {
				fd.Inherited = fd.display(locale, inherited)
			}
			fd.Current = rs.ShopConfig[d.Shop.ID][fd.Name]
		} else {
			fd.Current = tenantCfg[fd.Name]
		}
	}
	return d, rs, nil
}

// settingsPageTitle is the title key of the settings page.
func settingsPageTitle(d *pluginSettingsData) string {
	if d.Shop != nil {
		return "ui.plugins.shop_settings_title"
	}
	return "ui.plugins.settings_title"
}

// pluginSettings shows the settings form: the stored values (the
// schema's defaults for unset ones at tenant level; empty, with the
// inherited value shown, in a shop's override).
func (u *ui) pluginSettings(w http.ResponseWriter, r *http.Request) {
	c, ok := u.access(w, r)
	if !ok {
		return
	}
	d, _, err := u.settingsTarget(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	f := &web.Form{Values: map[string][]string{}}
	for _, fd := range d.Fields {
		switch {
		case len(fd.Current) > 0:
			f.Values.Set(fd.Name, fd.formValue(fd.Current))
		case d.Shop == nil && len(fd.defaultRaw) > 0:
			f.Values.Set(fd.Name, fd.formValue(fd.defaultRaw))
		}
	}
	page := pluginPage(r, settingsPageTitle(d), c, d)
	page.Form = f
	pages.Render(w, r, http.StatusOK, "plugins_settings", page)
}

// savePluginSettings saves the form through the plugin's checks. Inputs
// that do not parse (a word in a number field, an amount that is not
// one) and the schema's and the plugin's objections are shown next to
// their fields with the values as submitted (400), and nothing is saved.
func (u *ui) savePluginSettings(w http.ResponseWriter, r *http.Request) {
	c, ok := u.access(w, r)
	if !ok {
		return
	}
	d, _, err := u.settingsTarget(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if d.Unavailable || d.BadSchema {
		httpx.Error(w, r, &core.Error{Code: core.Unavailable, Message: "plugin.unavailable", Args: []any{d.Plugin.Name}})
		return
	}
	ctx := r.Context()
	locale := i18n.FromContext(ctx)
	f := web.FormOf(r)
	cfg, errs := readSettings(locale, d.Fields, f)
	fail := func(status int) {
		page := pluginPage(r, settingsPageTitle(d), c, d)
		page.Form = f
		pages.Render(w, r, status, "plugins_settings", page)
	}
	if len(errs) > 0 {
		f.Errors = errs
		f.Message = i18n.T(locale, "error.invalid_input")
		fail(http.StatusBadRequest)
		return
	}
	shopID := ""
	if d.Shop != nil {
		shopID = d.Shop.ID
	}
	if err := u.a.Plugins.Switches.SetConfig(ctx, d.Plugin.Name, shopID, cfg, actor(r)); err != nil {
		if core.ErrorCode(err) == core.Unavailable {
			status, desc := httpx.Describe(r, err)
			f.Message = desc.Message
			fail(status)
			return
		}
		status, shown := f.Fail(r, err)
		if !shown {
			httpx.Error(w, r, err)
			return
		}
		// Errors not about a field of the form (the whole object, a
		// nested key) go above it.
		for k, msg := range f.Errors {
			if !hasField(d.Fields, k) {
				f.Message += "（" + msg + "）"
				delete(f.Errors, k)
			}
		}
		fail(status)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "web.flash.saved")
	web.Redirect(w, r, d.Action)
}

// auditRow is one entry of a plugin's audit log, in words.
type auditRow struct {
	At                           time.Time
	Actor, Level, Target, Action string
	Old, New                     string
	Settings                     bool
}

// pluginAuditData is a plugin's audit log page.
type pluginAuditData struct {
	Plugin *pluginCard
	Rows   []*auditRow
}

// auditLimit is how many audit entries the page shows.
const auditLimit = 200

// pluginAudit shows who changed the plugin's switches and settings: when,
// at which level, for which region or shop, and the old and new values.
func (u *ui) pluginAudit(w http.ResponseWriter, r *http.Request) {
	c, ok := u.access(w, r)
	if !ok {
		return
	}
	card, _, err := u.pluginCard(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	ctx := r.Context()
	locale := i18n.FromContext(ctx)
	entries, err := u.a.Plugins.Switches.Audit(ctx, card.Name, auditLimit)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	x, err := u.regions(ctx)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	shops := map[string]string{}
	value := func(e *pluginhost.AuditEntry, v string) string {
		if e.Action == "settings" {
			return v
		}
		if v == "inherit" && e.Level != pluginhost.LevelShop {
			v = "off" // a tenant's or region's switch never set is off
		}
		return i18n.T(locale, "ui.plugins.value."+v)
	}
	d := &pluginAuditData{Plugin: card}
	for _, e := range entries {
		row := &auditRow{At: e.At, Actor: e.ActorName, Level: i18n.T(locale, "ui.plugins.level."+e.Level),
			Action: i18n.T(locale, "ui.plugins.action."+e.Action), Old: value(e, e.OldValue), New: value(e, e.NewValue),
			Settings: e.Action == "settings"}
		switch e.Level {
		case pluginhost.LevelTenant:
			row.Target = i18n.T(locale, "ui.plugins.whole_tenant")
		case pluginhost.LevelRegion:
			row.Target = x.Name(e.TargetID)
		case pluginhost.LevelShop:
			name, ok := shops[e.TargetID]
			if !ok {
				if sh, err := u.a.Merchants.ShopByID(ctx, e.TargetID); err == nil {
					name = sh.Name
				}
				shops[e.TargetID] = name
			}
			row.Target = name
		}
		if row.Target == "" {
			row.Target = e.TargetID
		}
		d.Rows = append(d.Rows, row)
	}
	pages.Render(w, r, http.StatusOK, "plugins_audit", pluginPage(r, "ui.plugins.audit_title", c, d))
}

// pluginDeadLettersData is a plugin's dead letters and last job runs.
type pluginDeadLettersData struct {
	Plugin  *pluginCard
	Letters []*deadLetterRow
	Runs    []*pluginhost.JobTick
}

// deadLetterRow is one dead letter with its shop's name.
type deadLetterRow struct {
	*pluginhost.DeadLetter
	Shop     string
	CanRetry bool
}

// pluginDeadLetters lists the events (and job runs) the plugin failed
// for good, with a retry button for events, and its last job runs.
func (u *ui) pluginDeadLetters(w http.ResponseWriter, r *http.Request) {
	c, ok := u.access(w, r)
	if !ok {
		return
	}
	card, _, err := u.pluginCard(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	ctx := r.Context()
	letters, err := u.a.Plugins.Outbox.DeadLetters(ctx, card.Name, 100)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	runs, err := u.a.Plugins.Scheduler.LastRuns(ctx, card.Name, 20)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d := &pluginDeadLettersData{Plugin: card, Runs: runs}
	shops := map[string]string{}
	for _, dl := range letters {
		row := &deadLetterRow{DeadLetter: dl, CanRetry: dl.Kind == "event" && dl.RetriedAt == nil}
		if dl.ShopID != "" {
			name, ok := shops[dl.ShopID]
			if !ok {
				name = dl.ShopID
				if sh, err := u.a.Merchants.ShopByID(ctx, dl.ShopID); err == nil {
					name = sh.Name
				}
				shops[dl.ShopID] = name
			}
			row.Shop = name
		}
		d.Letters = append(d.Letters, row)
	}
	pages.Render(w, r, http.StatusOK, "plugins_dead_letters", pluginPage(r, "ui.plugins.dead_letters_title", c, d))
}

// retryDeadLetter delivers dead letter {id} of {plugin} again. Another
// tenant's or another plugin's letter is NotFound; one retried already is
// a Conflict, shown as a message on the page.
func (u *ui) retryDeadLetter(w http.ResponseWriter, r *http.Request) {
	card, _, err := u.pluginCard(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	ctx, id := r.Context(), r.PathValue("id")
	if _, err := uuid.Parse(id); err != nil {
		httpx.Error(w, r, errNotFound)
		return
	}
	err = u.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		n, err := db.Select(ctx, tx, (*pluginhost.DeadLetter)(nil)).Where("id = ? AND plugin = ?", id, card.Name).Count(ctx)
		if err == nil && n == 0 {
			err = errNotFound
		}
		return err
	})
	if err == nil {
		err = u.a.Plugins.Outbox.Retry(ctx, id)
	}
	switch {
	case err == nil:
		web.SetFlash(w, web.FlashSuccess, "ui.plugins.flash_retried")
	case core.ErrorCode(err) == core.Conflict:
		web.SetFlash(w, web.FlashError, "ui.plugins.flash_retried_already")
	default:
		httpx.Error(w, r, err)
		return
	}
	web.Redirect(w, r, "/admin/plugins/", card.Name, "/dead-letters")
}

// platformPluginsData is the platform's plugins page.
type platformPluginsData struct {
	Plugins []*platformPluginRow
}

// platformPluginRow is one plugin on the platform's page with its kill
// switch form.
type platformPluginRow struct {
	*pluginCard
	KilledAt    time.Time
	Quarantined bool
	Form        *web.Form
}

// platformPlugins lists every installed plugin with its process's state
// and last log lines, its kill switch and, when quarantined, Restart.
func (u *ui) platformPlugins(w http.ResponseWriter, r *http.Request) {
	u.renderPlatformPlugins(w, r, http.StatusOK, "", nil)
}

// renderPlatformPlugins renders the page; the row of plugin failed, if
// any, shows form f with its errors.
func (u *ui) renderPlatformPlugins(w http.ResponseWriter, r *http.Request, status int, failed string, f *web.Form) {
	ctx := r.Context()
	locale := i18n.FromContext(ctx)
	var kills []*pluginhost.KillSwitch
	if err := u.a.DB.DB.NewSelect().Model(&kills).Scan(ctx); err != nil {
		httpx.Error(w, r, err)
		return
	}
	byName := map[string]*pluginhost.KillSwitch{}
	for _, k := range kills {
		byName[k.Plugin] = k
	}
	d := &platformPluginsData{}
	for _, st := range u.a.Plugins.Supervisor.Status() {
		row := &platformPluginRow{pluginCard: u.pluginCardOf(locale, st), Quarantined: st.State == pluginhost.StateQuarantined, Form: &web.Form{}}
		row.Logs = strings.Join(st.Logs, "\n")
		if k := byName[st.Name]; k != nil && k.Disabled {
			row.Killed, row.KillReason, row.KilledAt = true, k.Reason, k.UpdatedAt
		}
		if st.Name == failed {
			row.Form = f
		}
		d.Plugins = append(d.Plugins, row)
	}
	pages.Render(w, r, status, "plugins_platform", &web.Page{
		Title: title(r, "ui.plugins.platform_title"), Area: web.AreaPlatform, Nav: "platform", Data: d,
	})
}

// platformPlugin returns the installed plugin {plugin}, or NotFound.
func (u *ui) platformPlugin(r *http.Request) (string, error) {
	name := r.PathValue("plugin")
	if !slices.Contains(u.a.Plugins.Supervisor.Names(), name) {
		return "", errNotFound
	}
	return name, nil
}

// platformKill switches {plugin} off on the whole platform (on=0, with a
// reason) or back on (on=1).
func (u *ui) platformKill(w http.ResponseWriter, r *http.Request) {
	name, err := u.platformPlugin(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	f := web.FormOf(r)
	reason := strings.TrimSpace(f.Get("reason"))
	var disabled bool
	switch f.Get("on") {
	case "0":
		disabled = true
		if reason == "" {
			f.Errors = map[string]string{"reason": i18n.T(i18n.FromContext(r.Context()), "field.required")}
			u.renderPlatformPlugins(w, r, http.StatusBadRequest, name, f)
			return
		}
		if len([]rune(reason)) > 200 {
			reason = string([]rune(reason)[:200])
		}
	case "1":
		reason = ""
	default:
		httpx.Error(w, r, core.Errorf(core.Invalid, "ui.plugins.bad_switch"))
		return
	}
	if err := u.a.Plugins.Switches.SetKill(r.Context(), name, disabled, reason, actor(r)); err != nil {
		httpx.Error(w, r, err)
		return
	}
	flash := "ui.plugins.flash_revived"
	if disabled {
		flash = "ui.plugins.flash_killed"
	}
	web.SetFlash(w, web.FlashSuccess, flash)
	web.Redirect(w, r, "/admin/plugins#plugin-", name)
}

// platformRestart starts a quarantined plugin again.
func (u *ui) platformRestart(w http.ResponseWriter, r *http.Request) {
	name, err := u.platformPlugin(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	switch err := u.a.Plugins.Supervisor.Restart(name); {
	case err == nil:
		web.SetFlash(w, web.FlashSuccess, "ui.plugins.flash_restarted")
	case core.ErrorCode(err) == core.Conflict:
		web.SetFlash(w, web.FlashError, "ui.plugins.flash_not_quarantined")
	default:
		httpx.Error(w, r, err)
		return
	}
	web.Redirect(w, r, "/admin/plugins#plugin-", name)
}

// settingField is one input of a settings form, built from one property
// of the plugin's settings schema.
type settingField struct {
	// Name is the property's name and the form field's.
	Name string
	// Input is how it is entered: checkbox (a boolean of the tenant's
	// settings), tristate (a shop's boolean: inherit, yes or no), select
	// (an enum), number, money (a *_fen property, entered in yuan), text,
	// or fixed (a type the form cannot edit, kept as stored).
	Input       string
	Label, Help string
	Required    bool
	// Min, Max and Step are the number input's attributes; MaxLength the
	// text input's.
	Min, Max, Step string
	MaxLength      int
	Options        []option
	// Inherited is what a shop's empty field stands for: the tenant's
	// value or the schema's default, in words.
	Inherited string
	// Current is the stored value (JSON), if any.
	Current json.RawMessage

	typ            string
	defaultRaw     json.RawMessage
	enum           []json.RawMessage
	minFen, maxFen *int64
}

// CurrentText is the stored value as JSON text (for fixed fields).
func (fd *settingField) CurrentText() string { return string(fd.Current) }

// schemaProperty is what the form reads of one property of a settings
// schema (JSON Schema draft 2020-12).
type schemaProperty struct {
	Type             json.RawMessage   `json:"type"`
	Title            string            `json:"title"`
	Description      string            `json:"description"`
	Enum             []json.RawMessage `json:"enum"`
	Default          json.RawMessage   `json:"default"`
	Minimum          *json.Number      `json:"minimum"`
	Maximum          *json.Number      `json:"maximum"`
	ExclusiveMinimum *json.Number      `json:"exclusiveMinimum"`
	ExclusiveMaximum *json.Number      `json:"exclusiveMaximum"`
	MaxLength        *int              `json:"maxLength"`
}

// schemaType is the property's type: the string, or the first of a list
// that is not "null".
func schemaType(raw json.RawMessage) string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		for _, t := range many {
			if t != "null" {
				return t
			}
		}
	}
	return ""
}

// parseSettingsSchema turns the top-level properties of a settings schema
// into form fields, in the schema's order; shop builds a shop override's
// form (nothing required, booleans may inherit). An empty schema has no
// fields.
func parseSettingsSchema(locale string, raw []byte, shop bool) ([]*settingField, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	var doc struct {
		Properties json.RawMessage `json:"properties"`
		Required   []string        `json:"required"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	if len(doc.Properties) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(doc.Properties))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("settings schema: properties is not an object")
	}
	var out []*settingField
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		var p schemaProperty
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("settings schema: property %s: %w", name, err)
		}
		out = append(out, newSettingField(locale, name, &p, !shop && slices.Contains(doc.Required, name), shop))
	}
	return out, nil
}

func newSettingField(locale, name string, p *schemaProperty, required, shop bool) *settingField {
	fd := &settingField{Name: name, Label: p.Title, Required: required, typ: schemaType(p.Type), defaultRaw: p.Default, enum: p.Enum}
	if fd.Label == "" {
		fd.Label = name
	}
	var help []string
	if p.Description != "" {
		help = append(help, p.Description)
	}
	numeric := fd.typ == "integer" || fd.typ == "number"
	switch {
	case len(p.Enum) > 0:
		fd.Input = "select"
		blank := "ui.plugins.choose"
		if shop {
			blank = "ui.plugins.inherit"
		}
		fd.Options = append(fd.Options, option{Value: "", Label: i18n.T(locale, blank)})
		for _, e := range p.Enum {
			v := enumValue(e)
			fd.Options = append(fd.Options, option{Value: v, Label: v})
		}
	case fd.typ == "boolean" && shop:
		fd.Input = "tristate"
		fd.Options = []option{{Value: "", Label: i18n.T(locale, "ui.plugins.inherit")},
			{Value: "true", Label: i18n.T(locale, "ui.plugins.yes")}, {Value: "false", Label: i18n.T(locale, "ui.plugins.no")}}
	case fd.typ == "boolean":
		fd.Input = "checkbox"
	case numeric && strings.HasSuffix(name, "_fen"):
		fd.Input = "money"
		fd.minFen = bound(p.Minimum, p.ExclusiveMinimum, 1)
		fd.maxFen = bound(p.Maximum, p.ExclusiveMaximum, -1)
		help = append(help, i18n.T(locale, "ui.plugins.money_help"))
		switch {
		case fd.minFen != nil && fd.maxFen != nil:
			help = append(help, i18n.T(locale, "ui.plugins.range_money", catalog.FormatYuan(*fd.minFen), catalog.FormatYuan(*fd.maxFen)))
		case fd.minFen != nil:
			help = append(help, i18n.T(locale, "ui.plugins.money_min_help", catalog.FormatYuan(*fd.minFen)))
		case fd.maxFen != nil:
			help = append(help, i18n.T(locale, "ui.plugins.money_max_help", catalog.FormatYuan(*fd.maxFen)))
		}
	case numeric:
		fd.Input = "number"
		fd.Step = "any"
		if fd.typ == "integer" {
			fd.Step = "1"
		}
		if p.Minimum != nil {
			fd.Min = p.Minimum.String()
		}
		if p.Maximum != nil {
			fd.Max = p.Maximum.String()
		}
	case fd.typ == "string":
		fd.Input = "text"
		if p.MaxLength != nil {
			fd.MaxLength = *p.MaxLength
		}
	default:
		fd.Input = "fixed"
		help = append(help, i18n.T(locale, "ui.plugins.fixed_help"))
	}
	if len(p.Default) > 0 {
		help = append(help, i18n.T(locale, "ui.plugins.default", fd.display(locale, p.Default)))
	}
	fd.Help = strings.Join(help, i18n.T(locale, "ui.plugins.sep"))
	return fd
}

// bound is an integer bound in fen of a money property: the inclusive
// one, else the exclusive one moved by step; nil when neither is an
// integer.
func bound(incl, excl *json.Number, step int64) *int64 {
	if incl != nil {
		if n, err := incl.Int64(); err == nil {
			return &n
		}
	}
	if excl != nil {
		if n, err := excl.Int64(); err == nil {
			n += step
			return &n
		}
	}
	return nil
}

// enumValue is the form's value of an enum member: a string as it is,
// anything else as its JSON.
func enumValue(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(bytes.TrimSpace(raw))
}

// formValue is the form's text for a stored value.
func (fd *settingField) formValue(raw json.RawMessage) string {
	switch fd.Input {
	case "money":
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			if fen, err := n.Int64(); err == nil {
				return catalog.FormatYuan(fen)
			}
		}
	case "select", "text":
		return enumValue(raw)
	}
	return string(bytes.TrimSpace(raw))
}

// display is a stored value in words, for the inherited value and the
// default.
func (fd *settingField) display(locale string, raw json.RawMessage) string {
	switch fd.typ {
	case "boolean":
		var b bool
		if json.Unmarshal(raw, &b) == nil {
			return i18n.T(locale, map[bool]string{true: "ui.plugins.yes", false: "ui.plugins.no"}[b])
		}
	}
	if fd.Input == "money" {
		return i18n.T(locale, "ui.plugins.yuan", fd.formValue(raw))
	}
	return fd.formValue(raw)
}

// jsonNumber is a JSON number literal.
var jsonNumber = regexp.MustCompile(`^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$`)

// readSettings reads the submitted form into a settings object (JSON):
// empty fields are left out (a shop's inherit the tenant's), booleans of
// the tenant's settings are false when unchecked, fixed fields keep their
// stored value, amounts in yuan become fen. Inputs that do not parse are
// returned as field errors in locale.
func readSettings(locale string, fields []*settingField, f *web.Form) ([]byte, map[string]string) {
	cfg := map[string]json.RawMessage{}
	errs := map[string]string{}
	for _, fd := range fields {
		s := strings.TrimSpace(f.Get(fd.Name))
		switch fd.Input {
		case "checkbox":
			cfg[fd.Name] = json.RawMessage(strconv.FormatBool(s == "true"))
			continue
		case "fixed":
			if len(fd.Current) > 0 {
				cfg[fd.Name] = fd.Current
			}
			continue
		}
		if s == "" {
			continue
		}
		switch fd.Input {
		case "tristate":
			if s != "true" && s != "false" {
				errs[fd.Name] = i18n.T(locale, "ui.plugins.want_choice")
				continue
			}
			cfg[fd.Name] = json.RawMessage(s)
		case "select":
			found := false
			for _, e := range fd.enum {
				if enumValue(e) == s {
					cfg[fd.Name], found = e, true
					break
				}
			}
			if !found {
				errs[fd.Name] = i18n.T(locale, "ui.plugins.want_choice")
			}
		case "money":
			neg := strings.HasPrefix(s, "-")
			fen, ok := catalog.ParseYuan(strings.TrimPrefix(s, "-"))
			if !ok {
				errs[fd.Name] = i18n.T(locale, "ui.plugins.want_money")
				continue
			}
			if neg {
				fen = -fen
			}
			switch {
			case fd.minFen != nil && fen < *fd.minFen:
				errs[fd.Name] = i18n.T(locale, "ui.plugins.money_min", catalog.FormatYuan(*fd.minFen))
				continue
			case fd.maxFen != nil && fen > *fd.maxFen:
				errs[fd.Name] = i18n.T(locale, "ui.plugins.money_max", catalog.FormatYuan(*fd.maxFen))
				continue
			}
			cfg[fd.Name] = json.RawMessage(strconv.FormatInt(fen, 10))
		case "number":
			if fd.typ == "integer" {
				n, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					errs[fd.Name] = i18n.T(locale, "ui.plugins.want_integer")
					continue
				}
				cfg[fd.Name] = json.RawMessage(strconv.FormatInt(n, 10))
				continue
			}
			if !jsonNumber.MatchString(s) {
				errs[fd.Name] = i18n.T(locale, "ui.plugins.want_number")
				continue
			}
			cfg[fd.Name] = json.RawMessage(s)
		default:
			b, _ := json.Marshal(s)
			cfg[fd.Name] = b
		}
	}
	b, _ := json.Marshal(cfg)
	return b, errs
}

// hasField reports whether fields has one named name.
func hasField(fields []*settingField, name string) bool {
	for _, fd := range fields {
		if fd.Name == name {
			return true
		}
	}
	return false
}
