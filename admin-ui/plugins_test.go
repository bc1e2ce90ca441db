package adminui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/pluginhost"
	"github.com/jishi-dev/jishi/core/pluginhost/pluginhosttest"
	"github.com/jishi-dev/jishi/core/web/webtest"
	"github.com/jishi-dev/jishi/tenants"
)

// pluginEnv is a test server running one real plugin process, with a
// marketplace, its tenant admin and two shops (岳麓区 and 芙蓉区).
type pluginEnv struct {
	e          *webtest.Env
	m          *webtest.Market
	admin      *webtest.Browser
	adminAcc   *webtest.Account
	yuelu      *merchant.Shop
	furong     *merchant.Shop
	plugin     string
	pluginBase string
}

// newPluginEnv starts the server with the plugin built from pkg (a
// directory relative to the repository root) installed as name, and waits
// until its process runs.
func newPluginEnv(t *testing.T, d *db.DB, name, pkg string) *pluginEnv {
	t.Helper()
	e := webtest.NewWith(t, d, app.Config{PluginDir: pluginhosttest.Install(t, map[string]string{name: pkg})})
	waitRunning(t, e, name)
	m := e.NewMarket("网上供销社")
	pe := &pluginEnv{e: e, m: m, plugin: name, pluginBase: "/admin/plugins/" + name}
	pe.adminAcc = m.Account("管理员", authz.TenantAdmin, authz.TenantDomain(m.Tenant.ID))
	pe.admin = m.SignedIn(pe.adminAcc)
	pe.yuelu = m.Shop(m.Account("王场长", "", ""), "yuelu-veg", "岳麓蔬菜基地", m.Yuelu)
	pe.furong = m.Shop(m.Account("李经理", "", ""), "furong-rice", "芙蓉稻香米油", m.Furong)
	return pe
}

// waitRunning polls the supervisor until plugin name runs.
func waitRunning(t *testing.T, e *webtest.Env, name string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, st := range e.App.Plugins.Supervisor.Status() {
			if st.Name == name && st.State == pluginhost.StateRunning {
				return
			}
			if st.Name == name && time.Now().After(deadline) {
				t.Fatalf("plugin %s is %s: %s\n%s", name, st.State, st.LastError, strings.Join(st.Logs, "\n"))
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("plugin %s is not installed", name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// resolved reads the plugin's switches in m's tenant afresh.
func (pe *pluginEnv) resolved(t *testing.T, m *webtest.Market) *pluginhost.Resolved {
	t.Helper()
	pe.e.App.Plugins.Switches.Invalidate("*")
	r, err := pe.e.App.Plugins.Switches.Resolve(m.Ctx, m.Tenant.ID, pe.plugin)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// audit returns the plugin's audit log in m's tenant, newest first.
func (pe *pluginEnv) audit(t *testing.T, m *webtest.Market) []*pluginhost.AuditEntry {
	t.Helper()
	es, err := pe.e.App.Plugins.Switches.Audit(m.Ctx, pe.plugin, 100)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// untranslatedPlugins finds a message key of the plugin pages printed as
// such.
var untranslatedPlugins = regexp.MustCompile(`\b(?:ui|web|error|field|plugin)\.[a-z_]+(?:\.[a-z_]+)+\b`)

// checkPluginLanguages opens paths with b in zh-CN and en: each answers
// 200 in its language and prints no raw message key.
func checkPluginLanguages(t *testing.T, b *webtest.Browser, paths ...string) {
	t.Helper()
	for _, p := range paths {
		for _, lang := range []string{"zh-CN", "en"} {
			sep := "?"
			if strings.Contains(p, "?") {
				sep = "&"
			}
			what := p + " " + lang
			r := webtest.Want(t, b.Get(p+sep+"lang="+lang), 200, what)
			webtest.Contains(t, r, what, `<html lang="`+lang+`">`, "</html>")
			if k := untranslatedPlugins.FindString(r.Body); k != "" {
				t.Errorf("%s: untranslated key %q", what, k)
			}
		}
	}
}

// TestPluginSwitches: the tenant admin sees the installed plugin with its
// process's state, switches it on for the tenant (the matrix's cells stop
// looking disabled) and for a region through the matrix (with htmx and
// without), overrides it for shops (on, off, as the region), and every
// change is in the audit log with the old and new values and the admin as
// actor. Bad switch values are refused and write nothing; ids of another
// tenant's region or shop and unknown plugins are 404; a region manager
// sees the page for their region but cannot switch anything (403).
func TestPluginSwitches(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		pe := newPluginEnv(t, d, "hello", "plugins/hello")
		m, b := pe.m, pe.admin
		cell := `id="cell-hello-` + m.Yuelu.ID + `"`

		r := webtest.Want(t, b.Get("/admin/plugins"), 200, "plugins")
		webtest.Contains(t, r, "plugins", "Hello discount", `id="plugin-hello"`, "运行中", "0.1.0", "本市集未启用",
			`id="tenant-switch-hello"`, `id="matrix"`, "长沙市", "岳麓区", "芙蓉区", cell+` class="cell" data-enabled="false" data-dim="true"`,
			`href="/t/`+m.Tenant.Slug+`/admin/plugins"`)
		webtest.Lacks(t, r, "plugins", "停用（平台）")

		// The tenant's switch, without JavaScript.
		webtest.Want(t, b.Post(pe.pluginBase+"/tenant", url.Values{"on": {"maybe"}}), 400, "bad tenant switch")
		if rs := pe.resolved(t, m); rs.TenantOn || len(pe.audit(t, m)) != 0 {
			t.Fatalf("a bad switch value was written: %+v", rs)
		}
		r = webtest.Want(t, b.Post(pe.pluginBase+"/tenant", url.Values{"on": {"1"}}), http.StatusSeeOther, "tenant on")
		if !strings.HasSuffix(r.Location(), "/admin/plugins#plugin-hello") {
			t.Fatalf("tenant on: Location %q", r.Location())
		}
		if !pe.resolved(t, m).TenantOn {
			t.Fatal("the tenant's switch is not on")
		}
		r = webtest.Want(t, b.Get("/admin/plugins"), 200, "plugins after tenant on")
		webtest.Contains(t, r, "plugins after tenant on", "开关已更新", "本市集已启用", cell+` class="cell" data-enabled="false" data-dim="false"`)

		// A cell of the matrix with htmx: the cell comes back.
		r = webtest.Want(t, b.HTMX(pe.pluginBase+"/regions/"+m.Yuelu.ID, url.Values{"on": {"1"}}), 200, "region on")
		webtest.Contains(t, r, "region on", cell, `data-enabled="true"`, `name="on" value="0"`)
		webtest.Lacks(t, r, "region on", "<!doctype html>", `id="matrix"`)
		rs := pe.resolved(t, m)
		if !rs.Regions[m.Yuelu.ID] || rs.Regions[m.Furong.ID] || !rs.ActiveFor(m.Yuelu.ID, pe.yuelu.ID) || rs.ActiveFor(m.Furong.ID, pe.furong.ID) {
			t.Fatalf("after 岳麓区 on: %+v", rs)
		}
		es := pe.audit(t, m)
		if len(es) != 2 {
			t.Fatalf("audit: %d entries", len(es))
		}
		if e := es[0]; e.Level != pluginhost.LevelRegion || e.TargetID != m.Yuelu.ID || e.Action != "enable" ||
			e.OldValue != "inherit" || e.NewValue != "on" || e.ActorID != pe.adminAcc.ID || e.ActorName != "管理员" {
			t.Fatalf("audit of the cell: %+v", e)
		}
		if e := es[1]; e.Level != pluginhost.LevelTenant || e.Action != "enable" || e.NewValue != "on" || e.ActorID != pe.adminAcc.ID {
			t.Fatalf("audit of the tenant switch: %+v", e)
		}
		// And off again without JavaScript.
		r = webtest.Want(t, b.Post(pe.pluginBase+"/regions/"+m.Yuelu.ID, url.Values{"on": {"0"}}), http.StatusSeeOther, "region off")
		if !strings.HasSuffix(r.Location(), "/admin/plugins#matrix") {
			t.Fatalf("region off: Location %q", r.Location())
		}
		if pe.resolved(t, m).Regions[m.Yuelu.ID] {
			t.Fatal("岳麓区 is still on")
		}
		if e := pe.audit(t, m)[0]; e.Action != "disable" || e.OldValue != "on" || e.NewValue != "off" {
			t.Fatalf("audit of region off: %+v", e)
		}
		webtest.Want(t, b.HTMX(pe.pluginBase+"/regions/"+m.Yuelu.ID, url.Values{"on": {"1"}}), 200, "region on again")

		// Shop overrides: off inside a region that is on, on inside one
		// that is off, then back to the region.
		shops := pe.pluginBase + "/shops"
		r = webtest.Want(t, b.Get(shops), 200, "shops")
		webtest.Contains(t, r, "shops", "岳麓蔬菜基地", "芙蓉稻香米油", `id="shop-`+pe.yuelu.ID+`" data-state="region" data-active="true"`,
			`id="shop-`+pe.furong.ID+`" data-state="region" data-active="false"`, `id="shop-`+pe.yuelu.ID+`-off"`,
			`href="/t/`+m.Tenant.Slug+shops+`/`+pe.yuelu.ID+`/settings"`)
		r = webtest.Want(t, b.Get(shops+"?q="+url.QueryEscape("芙蓉")), 200, "shops search")
		webtest.Contains(t, r, "shops search", "芙蓉稻香米油")
		webtest.Lacks(t, r, "shops search", "岳麓蔬菜基地")

		r = webtest.Want(t, b.HTMX(shops+"/"+pe.yuelu.ID, url.Values{"state": {"off"}}), 200, "shop off")
		webtest.Contains(t, r, "shop off", `id="shop-`+pe.yuelu.ID+`" data-state="off" data-active="false"`)
		webtest.Lacks(t, r, "shop off", "<!doctype html>")
		webtest.Want(t, b.Post(shops+"/"+pe.furong.ID, url.Values{"state": {"on"}}), http.StatusSeeOther, "shop on")
		rs = pe.resolved(t, m)
		if on, ok := rs.Shops[pe.yuelu.ID]; !ok || on || rs.ActiveFor(m.Yuelu.ID, pe.yuelu.ID) {
			t.Fatalf("岳麓蔬菜基地 should be off: %+v", rs.Shops)
		}
		if on, ok := rs.Shops[pe.furong.ID]; !ok || !on || !rs.ActiveFor(m.Furong.ID, pe.furong.ID) {
			t.Fatalf("芙蓉稻香米油 should be on: %+v", rs.Shops)
		}
		r = webtest.Want(t, b.HTMX(shops+"/"+pe.yuelu.ID, url.Values{"state": {"region"}}), 200, "shop as region")
		webtest.Contains(t, r, "shop as region", `data-state="region" data-active="true"`)
		rs = pe.resolved(t, m)
		if _, ok := rs.Shops[pe.yuelu.ID]; ok || !rs.ActiveFor(m.Yuelu.ID, pe.yuelu.ID) {
			t.Fatalf("岳麓蔬菜基地 should follow its region: %+v", rs.Shops)
		}
		if e := pe.audit(t, m)[0]; e.Level != pluginhost.LevelShop || e.TargetID != pe.yuelu.ID || e.Action != "inherit" ||
			e.OldValue != "off" || e.NewValue != "inherit" || e.ActorName != "管理员" {
			t.Fatalf("audit of the shop override: %+v", e)
		}
		before := len(pe.audit(t, m))
		webtest.Want(t, b.Post(shops+"/"+pe.yuelu.ID, url.Values{"state": {"sometimes"}}), 400, "bad shop state")

		r = webtest.Want(t, b.Get(pe.pluginBase+"/audit"), 200, "audit page")
		webtest.Contains(t, r, "audit page", "管理员", "长沙市 · 岳麓区", "岳麓蔬菜基地", "整个市集", "改为随区域",
			`<span class="audit-old">关</span> → <span class="audit-new">随区域</span>`)

		// Unknown plugins, another tenant's region and shop: 404, nothing
		// written anywhere.
		m2 := pe.e.NewMarket("网上供销社·株洲")
		sh2 := m2.Shop(m2.Account("赵场长", "", ""), "zz-veg", "株洲蔬菜", m2.Yuelu)
		for _, c := range []struct {
			path string
			form url.Values
		}{
			{pe.pluginBase + "/regions/" + m2.Yuelu.ID, url.Values{"on": {"1"}}},
			{pe.pluginBase + "/regions/not-a-region", url.Values{"on": {"1"}}},
			{pe.pluginBase + "/shops/" + sh2.ID, url.Values{"state": {"on"}}},
			{pe.pluginBase + "/shops/not-a-shop", url.Values{"state": {"on"}}},
			{pe.pluginBase + "/shops/" + sh2.ID + "/settings", url.Values{"threshold_fen": {"1"}, "off_fen": {"1"}}},
			{"/admin/plugins/nope/tenant", url.Values{"on": {"1"}}},
			{"/admin/plugins/nope/regions/" + m.Yuelu.ID, url.Values{"on": {"1"}}},
			{"/admin/plugins/nope/shops/" + pe.yuelu.ID, url.Values{"state": {"on"}}},
			{"/admin/plugins/nope/settings", url.Values{}},
		} {
			webtest.Want(t, b.Post(c.path, c.form), 404, "POST "+c.path)
			webtest.Want(t, b.HTMX(c.path, c.form), 404, "htmx "+c.path)
		}
		for _, p := range []string{"/admin/plugins/nope/shops", "/admin/plugins/nope/settings", "/admin/plugins/nope/audit",
			"/admin/plugins/nope/dead-letters", pe.pluginBase + "/shops/" + sh2.ID + "/settings"} {
			webtest.Want(t, b.Get(p), 404, "GET "+p)
		}
		if n := len(pe.audit(t, m)); n != before {
			t.Fatalf("refused changes were written: %d audit entries, want %d", n, before)
		}
		if rs := pe.resolved(t, m2); rs.TenantOn || len(rs.Regions) != 0 || len(rs.Shops) != 0 {
			t.Fatalf("the other tenant's switches changed: %+v", rs)
		}
		if rs := pe.resolved(t, m); rs.Regions[m2.Yuelu.ID] || len(rs.Shops) != 1 {
			t.Fatalf("switches for the other tenant's ids were written: %+v", rs)
		}

		// A region manager of 岳麓区 sees its row only and switches nothing.
		rm, _ := m.User("岳麓区经理", authz.RegionManager, authz.RegionDomain(m.Tenant.ID, m.Yuelu.ID))
		r = webtest.Want(t, rm.Get("/admin/plugins"), 200, "rm plugins")
		webtest.Contains(t, r, "rm plugins", "Hello discount", `id="region-`+m.Yuelu.ID+`"`, cell)
		webtest.Lacks(t, r, "rm plugins", `id="region-`+m.Furong.ID+`"`, `class="inline cell-switch"`, `id="tenant-switch-hello"`, "plugin-settings")
		r = webtest.Want(t, rm.Get(shops), 200, "rm shops")
		webtest.Contains(t, r, "rm shops", "岳麓蔬菜基地")
		webtest.Lacks(t, r, "rm shops", "芙蓉稻香米油", `class="inline shop-switch"`)
		webtest.Want(t, rm.HTMX(pe.pluginBase+"/regions/"+m.Yuelu.ID, url.Values{"on": {"0"}}), 403, "rm toggles a cell")
		webtest.Want(t, rm.Post(pe.pluginBase+"/tenant", url.Values{"on": {"0"}}), 403, "rm toggles the tenant")
		webtest.Want(t, rm.Post(shops+"/"+pe.yuelu.ID, url.Values{"state": {"off"}}), 403, "rm overrides a shop")
		webtest.Want(t, rm.Get(pe.pluginBase+"/settings"), 403, "rm settings")
		webtest.Want(t, rm.Post(pe.pluginBase+"/settings", url.Values{"threshold_fen": {"1"}, "off_fen": {"1"}}), 403, "rm saves settings")
		webtest.Want(t, rm.Get(pe.pluginBase+"/audit"), 403, "rm audit")
		if rs := pe.resolved(t, m); !rs.TenantOn || !rs.Regions[m.Yuelu.ID] {
			t.Fatalf("the region manager changed switches: %+v", rs)
		}
		shopper, _ := m.User("顾客", "", "")
		webtest.Want(t, shopper.Get("/admin/plugins"), 403, "shopper plugins")
		webtest.Want(t, shopper.Get(shops), 403, "shopper shop overrides")

		// The tenant's switch with htmx: the page's body comes back, its
		// cells looking disabled again.
		r = webtest.Want(t, b.HTMX(pe.pluginBase+"/tenant", url.Values{"on": {"0"}}), 200, "tenant off")
		webtest.Contains(t, r, "tenant off", `<div id="plugins-body">`, "开关已更新", "本市集未启用", cell+` class="cell" data-enabled="true" data-dim="true"`)
		webtest.Lacks(t, r, "tenant off", "<!doctype html>")
		if rs := pe.resolved(t, m); rs.TenantOn || !rs.Regions[m.Yuelu.ID] || rs.ActiveFor(m.Yuelu.ID, pe.yuelu.ID) {
			t.Fatalf("after the tenant's switch off: %+v", rs)
		}

		checkPluginLanguages(t, b, "/admin/plugins", shops, pe.pluginBase+"/settings", shops+"/"+pe.yuelu.ID+"/settings",
			pe.pluginBase+"/audit", pe.pluginBase+"/dead-letters")
		checkPluginLanguages(t, rm, "/admin/plugins", shops)
	})
}

// TestPluginSettingsForm: the settings form is built from hello's schema
// (money in yuan); a value below the minimum or of the wrong type is
// refused next to its field in the user's language (400) with the values
// kept, as is what the plugin's own check refuses, and nothing is saved;
// good values are saved in fen, shown again in yuan and audited; a shop's
// override is saved on its own and shows the tenant's values it inherits.
func TestPluginSettingsForm(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		pe := newPluginEnv(t, d, "hello", "plugins/hello")
		m, b := pe.m, pe.admin
		path := pe.pluginBase + "/settings"

		r := webtest.Want(t, b.Get(path), 200, "settings")
		webtest.Contains(t, r, "settings", `id="settings-form"`, `action="/t/`+m.Tenant.Slug+path+`"`,
			`<label for="f-threshold_fen">Cart subtotal that earns the discount (fen) <span class="req"`,
			`id="f-threshold_fen" type="text" inputmode="decimal" name="threshold_fen" value=""`,
			`id="f-off_fen" type="text" inputmode="decimal" name="off_fen"`, "以元为单位填写（如 3.00），保存为分", "最少 0.01 元")

		nothingSaved := func(what string) {
			t.Helper()
			rs := pe.resolved(t, m)
			if len(rs.TenantConfig) != 0 || len(pe.audit(t, m)) != 0 {
				t.Fatalf("%s: saved %v", what, rs.TenantConfig)
			}
		}
		r = webtest.Want(t, b.Post(path, url.Values{"threshold_fen": {"50"}, "off_fen": {"0"}}), 400, "below minimum")
		webtest.Contains(t, r, "below minimum", `<p class="field-error" id="e-off_fen">不能少于 0.01 元</p>`, `value="50"`, `value="0"`)
		nothingSaved("below minimum")
		r = webtest.Want(t, b.Post(path, url.Values{"threshold_fen": {"五十"}, "off_fen": {"3"}}), 400, "wrong type")
		webtest.Contains(t, r, "wrong type", `id="e-threshold_fen">请输入金额（元）`, `value="五十"`)
		nothingSaved("wrong type")
		// Missing: the schema's required, from the host.
		r = webtest.Want(t, b.Post(path, url.Values{"threshold_fen": {"50"}}), 400, "missing")
		webtest.Contains(t, r, "missing", `id="e-off_fen">必填`)
		nothingSaved("missing")
		// What the plugin's ValidateConfig refuses: more off than the
		// threshold; in the user's language.
		r = webtest.Want(t, b.Post(path, url.Values{"threshold_fen": {"10"}, "off_fen": {"20"}}), 400, "plugin refuses")
		webtest.Contains(t, r, "plugin refuses", `id="e-off_fen">优惠金额不能超过门槛 1000</p>`, `value="10"`, `value="20"`)
		nothingSaved("plugin refuses")
		// The same in English (the language sticks to the browser after).
		r = webtest.Want(t, b.Post(path+"?lang=en", url.Values{"threshold_fen": {"50"}, "off_fen": {"0"}}), 400, "below minimum en")
		webtest.Contains(t, r, "below minimum en", `id="e-off_fen">Must be at least ¥0.01</p>`)
		r = webtest.Want(t, b.Post(path+"?lang=en", url.Values{"threshold_fen": {"10"}, "off_fen": {"20"}}), 400, "plugin refuses en")
		webtest.Contains(t, r, "plugin refuses en", `id="e-off_fen">Discount cannot exceed the threshold of 1000</p>`)
		nothingSaved("plugin refuses en")
		b.Get("/admin/plugins?lang=zh-CN")

		r = webtest.Want(t, b.Post(path, url.Values{"threshold_fen": {"50"}, "off_fen": {"3.00"}}), http.StatusSeeOther, "save")
		if !strings.HasSuffix(r.Location(), path) {
			t.Fatalf("save: Location %q", r.Location())
		}
		rs := pe.resolved(t, m)
		if string(rs.TenantConfig["threshold_fen"]) != "5000" || string(rs.TenantConfig["off_fen"]) != "300" || len(rs.TenantConfig) != 2 {
			t.Fatalf("saved settings: %s", rs.Config(""))
		}
		r = webtest.Want(t, b.Get(path), 200, "settings saved")
		webtest.Contains(t, r, "settings saved", "已保存", `name="threshold_fen" value="50.00"`, `name="off_fen" value="3.00"`)
		es := pe.audit(t, m)
		if len(es) != 1 || es[0].Action != "settings" || es[0].OldValue != "{}" || es[0].ActorID != pe.adminAcc.ID {
			t.Fatalf("audit of settings: %+v", es)
		}
		var saved map[string]int64
		if err := json.Unmarshal([]byte(es[0].NewValue), &saved); err != nil || saved["threshold_fen"] != 5000 || saved["off_fen"] != 300 {
			t.Fatalf("audited new value %q: %v", es[0].NewValue, err)
		}

		// A shop's override: the tenant's values show as what an empty
		// field inherits; what is filled in is saved for the shop alone.
		shopPath := pe.pluginBase + "/shops/" + pe.yuelu.ID + "/settings"
		r = webtest.Want(t, b.Get(shopPath), 200, "shop settings")
		webtest.Contains(t, r, "shop settings", "岳麓蔬菜基地", `action="/t/`+m.Tenant.Slug+shopPath+`"`,
			`name="threshold_fen" value="" placeholder="50.00 元"`, `name="off_fen" value="" placeholder="3.00 元"`, "留空则沿用：50.00 元")
		webtest.Lacks(t, r, "shop settings", `<span class="req"`)
		r = webtest.Want(t, b.Post(shopPath, url.Values{"threshold_fen": {"20"}, "off_fen": {"0"}}), 400, "shop below minimum")
		webtest.Contains(t, r, "shop below minimum", `id="e-off_fen">不能少于 0.01 元`)
		webtest.Want(t, b.Post(shopPath, url.Values{"threshold_fen": {"20"}, "off_fen": {"2"}}), http.StatusSeeOther, "shop save")
		rs = pe.resolved(t, m)
		shopCfg := rs.ShopConfig[pe.yuelu.ID]
		if string(shopCfg["threshold_fen"]) != "2000" || string(shopCfg["off_fen"]) != "200" || string(rs.TenantConfig["threshold_fen"]) != "5000" {
			t.Fatalf("shop override: shop %v, tenant %v", shopCfg, rs.TenantConfig)
		}
		if _, ok := rs.ShopConfig[pe.furong.ID]; ok {
			t.Fatal("the other shop got an override")
		}
		r = webtest.Want(t, b.Get(shopPath), 200, "shop settings saved")
		webtest.Contains(t, r, "shop settings saved", `name="threshold_fen" value="20.00" placeholder="50.00 元"`)
		r = webtest.Want(t, b.Get(pe.pluginBase+"/shops"), 200, "shops with override")
		webtest.Contains(t, r, "shops with override", "已单独设置")
	})
}

// TestPluginDeadLetters: the tenant admin sees the plugin's dead letters
// and retries one once (twice is refused with a message); another
// tenant's letter is 404 and stays as it was.
func TestPluginDeadLetters(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		pe := newPluginEnv(t, d, "hello", "plugins/hello")
		m, b := pe.m, pe.admin
		letter := func(m *webtest.Market, shopID string) string {
			t.Helper()
			id := tenants.NewID()
			payload, _ := json.Marshal(pluginhost.DeliverArgs{Plugin: "hello", TenantID: m.Tenant.ID, ShopID: shopID,
				EventID: tenants.NewID(), Type: "order.paid", At: time.Now().UTC()})
			m.Exec(`INSERT INTO plugin_dead_letters (tenant_id, id, plugin, kind, event_id, event_type, shop_id, payload, attempts, last_error, created_at)
				VALUES (?, ?, 'hello', 'event', ?, 'order.paid', ?, ?, 7, 'hello: boom', ?)`,
				m.Tenant.ID, id, tenants.NewID(), shopID, string(payload), time.Now().UTC())
			return id
		}
		id := letter(m, pe.yuelu.ID)
		m2 := pe.e.NewMarket("网上供销社·株洲")
		other := letter(m2, "")
		base := pe.pluginBase + "/dead-letters"

		r := webtest.Want(t, b.Get(base), 200, "dead letters")
		webtest.Contains(t, r, "dead letters", `id="dead-letter-`+id+`"`, "order.paid", "岳麓蔬菜基地", "hello: boom", `id="retry-`+id+`"`, `id="job-runs-none"`)
		webtest.Lacks(t, r, "dead letters", other)

		webtest.Want(t, b.Post(base+"/"+other+"/retry", nil), 404, "another tenant's letter")
		webtest.Want(t, b.Post(base+"/not-an-id/retry", nil), 404, "not an id")
		webtest.Want(t, b.Post("/admin/plugins/nope/dead-letters/"+id+"/retry", nil), 404, "unknown plugin")
		r = webtest.Want(t, b.Post(base+"/"+id+"/retry", nil), http.StatusSeeOther, "retry")
		if !strings.HasSuffix(r.Location(), base) {
			t.Fatalf("retry: Location %q", r.Location())
		}
		r = webtest.Want(t, b.Get(base), 200, "after retry")
		webtest.Contains(t, r, "after retry", "已重新投递", `class="small muted retried"`)
		webtest.Lacks(t, r, "after retry", `id="retry-`+id+`"`)
		webtest.Want(t, b.Post(base+"/"+id+"/retry", nil), http.StatusSeeOther, "retry again")
		webtest.Contains(t, b.Get(base), "retried already", "这条失败记录已重新投递过")

		ls, err := pe.e.App.Plugins.Outbox.DeadLetters(m2.Ctx, "hello", 10)
		if err != nil || len(ls) != 1 || ls[0].RetriedAt != nil {
			t.Fatalf("the other tenant's letter: %+v %v", ls, err)
		}
		rm, _ := m.User("岳麓区经理", authz.RegionManager, authz.RegionDomain(m.Tenant.ID, m.Yuelu.ID))
		webtest.Want(t, rm.Get(base), 403, "rm dead letters")
	})
}

// TestPlatformPluginConsole: a platform admin sees the plugin's process
// and its last log lines, switches it off on the whole platform (a reason
// is required) so that it is active for no tenant and the tenant console
// says "停用（平台）", then back on; Restart of a running plugin is refused
// with a message; a tenant admin's session cannot reach the page.
func TestPlatformPluginConsole(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		pe := newPluginEnv(t, d, "hello", "plugins/hello")
		m, e := pe.m, pe.e
		sw := e.App.Plugins.Switches
		t.Cleanup(func() {
			// The PostgreSQL database is shared by the package's tests.
			_ = sw.SetKill(context.Background(), "hello", false, "", pluginhost.Actor{})
		})
		m2 := e.NewMarket("网上供销社·株洲")
		on := true
		for _, mk := range []*webtest.Market{m, m2} {
			for _, c := range []struct{ level, target string }{{pluginhost.LevelTenant, ""}, {pluginhost.LevelRegion, mk.Yuelu.ID}} {
				if err := sw.SetEnabled(mk.Ctx, "hello", c.level, c.target, &on, pluginhost.Actor{ID: "test"}); err != nil {
					t.Fatal(err)
				}
			}
			if !pe.resolved(t, mk).ActiveFor(mk.Yuelu.ID, "") {
				t.Fatal("hello is not active before the kill switch")
			}
		}

		email := "root-" + strings.ReplaceAll(tenants.NewID()[24:], "-", "") + "@jishi.local"
		if err := e.App.Identity.CreatePlatformAdmin(context.Background(), email, "平台管理员", webtest.Password); err != nil {
			t.Fatal(err)
		}
		pb := e.Browser("localhost", "")
		pb.Get("/admin/login")
		webtest.Want(t, pb.Post("/admin/login", url.Values{"email": {email}, "password": {webtest.Password}}), http.StatusSeeOther, "platform sign-in")

		r := webtest.Want(t, pb.Get("/admin/plugins"), 200, "platform plugins")
		webtest.Contains(t, r, "platform plugins", "Hello discount", `id="plugin-hello"`, "运行中", `<pre class="small code plugin-logs">`,
			`action="/admin/plugins/hello/kill"`, `id="kill-hello"`)
		webtest.Lacks(t, r, "platform plugins", `id="restart-hello"`, "停用（平台）")

		r = webtest.Want(t, pb.Post("/admin/plugins/hello/kill", url.Values{"on": {"0"}, "reason": {"  "}}), 400, "kill without reason")
		webtest.Contains(t, r, "kill without reason", `id="e-reason-hello">必填`)
		if rs := pe.resolved(t, m); rs.Killed {
			t.Fatal("killed without a reason")
		}
		webtest.Want(t, pb.Post("/admin/plugins/nope/kill", url.Values{"on": {"0"}, "reason": {"x"}}), 404, "kill unknown plugin")
		webtest.Want(t, pb.Post("/admin/plugins/hello/kill", url.Values{"on": {"0"}, "reason": {"优惠计算有误"}}), http.StatusSeeOther, "kill")
		for _, mk := range []*webtest.Market{m, m2} {
			if rs := pe.resolved(t, mk); !rs.Killed || rs.ActiveFor(mk.Yuelu.ID, "") || rs.ActiveAnywhere() {
				t.Fatalf("%s: hello still active after the kill switch: %+v", mk.Tenant.Name, rs)
			}
		}
		// The server's own cache was dropped too: the tenant console says so.
		r = webtest.Want(t, pe.admin.Get("/admin/plugins"), 200, "tenant console after kill")
		webtest.Contains(t, r, "tenant console after kill", "停用（平台）", "平台已停用该插件", `data-dim="true"`)
		r = webtest.Want(t, pb.Get("/admin/plugins"), 200, "platform after kill")
		webtest.Contains(t, r, "platform after kill", "插件已在全平台停用", "停用（平台）", "优惠计算有误", `id="kill-hello"`, "恢复启用")

		webtest.Want(t, pb.Post("/admin/plugins/hello/restart", nil), http.StatusSeeOther, "restart running")
		webtest.Contains(t, pb.Get("/admin/plugins"), "restart running", "插件未被隔离，无需重新启动")
		webtest.Want(t, pb.Post("/admin/plugins/nope/restart", nil), 404, "restart unknown plugin")

		webtest.Want(t, pb.Post("/admin/plugins/hello/kill", url.Values{"on": {"1"}}), http.StatusSeeOther, "revive")
		if rs := pe.resolved(t, m2); rs.Killed || !rs.ActiveFor(m2.Yuelu.ID, "") {
			t.Fatalf("hello not back after revive: %+v", rs)
		}

		r = webtest.Want(t, pb.Get("/admin/plugins?lang=en"), 200, "platform plugins en")
		webtest.Contains(t, r, "platform plugins en", `<html lang="en">`, "Platform plugins", "Running")
		if k := untranslatedPlugins.FindString(r.Body); k != "" {
			t.Errorf("platform plugins en: untranslated key %q", k)
		}

		// A tenant admin's session is not a platform session.
		tb := e.Browser("localhost", "")
		tb.Cookies = pe.admin.Cookies
		webtest.Want(t, tb.Get("/admin/plugins"), http.StatusSeeOther, "tenant session on the platform")
		webtest.Want(t, tb.Post("/admin/plugins/hello/kill", url.Values{"on": {"0"}, "reason": {"x"}}), http.StatusSeeOther, "tenant session kills")
		if rs := pe.resolved(t, m); rs.Killed {
			t.Fatal("a tenant session switched the plugin off")
		}
	})
}
