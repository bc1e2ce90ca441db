package groupbuy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/plugins/groupbuy/internal/groupbuy"
	"github.com/jishi-dev/jishi/plugins/groupbuy/migrations"
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk/sdktest"
	"github.com/jishi-dev/jishi/plugins/sdk/store"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const (
	tenantID = "tenant-1"
	shopID   = "shop-1"
	regionID = "yuelu"
	product  = "prod-rice"
	sku      = "sku-rice-5kg"
	regular  = int64(2990) // the SKU's price
	stock    = int64(500)
)

// clock is the plugin's clock in tests; it moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is one plugin served in-process over gRPC on a real store, with a
// fake host answering its callbacks.
type env struct {
	t      *testing.T
	st     *store.Store
	host   *sdktest.FakeHost
	clock  *clock
	plugin *groupbuy.Plugin
	c      pluginv1.PluginClient
	events int
}

// forEachStore runs fn on SQLite, and on PostgreSQL when JISHI_TEST_POSTGRES
// is set.
func forEachStore(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	stores := sdktest.Stores(t, migrations.FS)
	names := make([]string, 0, len(stores))
	for name := range stores {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) { fn(t, newEnv(t, stores[name])) })
	}
}

func newEnv(t testing.TB, st *store.Store) *env {
	host := sdktest.NewHost(t)
	host.Use(t)
	clk := &clock{now: time.Date(2025, 6, 10, 2, 0, 0, 0, time.UTC)} // 10:00 in Shanghai
	p := groupbuy.New(st, groupbuy.Options{Now: clk.Now})
	e := &env{st: st, host: host, clock: clk, plugin: p, c: sdktest.Serve(t, groupbuy.Manifest(), p)}
	if tt, ok := t.(*testing.T); ok {
		e.t = tt
	}
	host.SetProduct(&pluginv1.Product{Id: product, ShopId: shopID, Name: "五常大米", Published: true, Skus: []*pluginv1.Sku{
		{Id: sku, Name: "5kg", PriceFen: regular, ListPriceFen: 3990, StockAvailable: stock},
	}})
	for _, id := range []string{"leader", "amy", "bob", "cat", "dan", "eve"} {
		host.SetCustomer(&pluginv1.Customer{Id: id, DisplayName: "顾客" + id})
	}
	return e
}

// shop is the TenantContext of a call for shop-1 in region yuelu.
func shop(config string, version int64) *pluginv1.TenantContext {
	return &pluginv1.TenantContext{
		TenantId: tenantID, RegionId: regionID, ShopId: shopID, ConfigJson: []byte(config), ConfigVersion: version,
		Capability: "cap-" + shopID, Locale: "zh-CN",
	}
}

// tenantWide is the TenantContext of a tenant-wide call active in regions.
func tenantWide(regions ...string) *pluginv1.TenantContext {
	return &pluginv1.TenantContext{
		TenantId: tenantID, ConfigJson: []byte("{}"), ConfigVersion: 1, Capability: "cap-tenant", Locale: "zh-CN",
		ActiveRegionIds: regions,
	}
}

// campaignSpec is a campaign to create; zero fields take defaults.
type campaignSpec struct {
	GroupSize, FillHours, Limit, VirtualPct int
	Quota                                   int64
	GroupPrice, LeaderPrice                 int64
	SoloAllowed                             *bool
}

// createCampaign creates a live campaign through POST /campaigns (JSON) in
// shop-1's console and returns its id.
func (e *env) createCampaign(t testing.TB, s campaignSpec) string {
	t.Helper()
	in := map[string]any{
		"title": "五常大米拼团", "product_id": product, "sku_id": sku,
		"group_price_fen": or64(s.GroupPrice, 1990), "leader_price_fen": or64(s.LeaderPrice, 1790),
		"group_size": or(s.GroupSize, 3), "fill_hours": or(s.FillHours, 24),
		"starts_at": e.clock.Now().Add(-time.Hour), "ends_at": e.clock.Now().Add(7 * 24 * time.Hour),
		"per_shopper_limit": or(s.Limit, 2), "quota": or64(s.Quota, 100), "virtual_success_pct": s.VirtualPct,
	}
	if s.SoloAllowed != nil {
		in["solo_allowed"] = *s.SoloAllowed
	}
	resp := e.post(t, shop(`{"included_campaigns_per_month": 100}`, 100), "/campaigns", in)
	if resp.GetStatus() != http.StatusCreated {
		t.Fatalf("create campaign: %d %s", resp.GetStatus(), resp.GetBody())
	}
	var c struct{ ID string }
	if err := json.Unmarshal(resp.GetBody(), &c); err != nil || c.ID == "" {
		t.Fatalf("create campaign: %s: %v", resp.GetBody(), err)
	}
	return c.ID
}

func or(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

func or64(v, d int64) int64 {
	if v == 0 {
		return d
	}
	return v
}

// post sends a JSON POST to an admin route.
func (e *env) post(t testing.TB, tc *pluginv1.TenantContext, path string, body any) *pluginv1.HandleHTTPResponse {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return e.http(t, &pluginv1.HandleHTTPRequest{
		Tenant: tc, Method: "POST", Path: path, Body: b, Area: pluginv1.RouteArea_ROUTE_AREA_ADMIN,
		Mount:    "/merchant/shops/" + tc.GetShopId() + "/p/groupbuy",
		Headers:  []*pluginv1.Header{{Name: "Content-Type", Values: []string{"application/json"}}, {Name: "Accept", Values: []string{"application/json"}}},
		Identity: &pluginv1.Identity{Authenticated: true, UserId: "merchant-1", Kind: "merchant", Permissions: []string{"promo:manage"}},
	})
}

func (e *env) http(t testing.TB, req *pluginv1.HandleHTTPRequest) *pluginv1.HandleHTTPResponse {
	t.Helper()
	resp, err := e.c.HandleHTTP(context.Background(), req)
	if err != nil {
		t.Fatalf("HandleHTTP %s %s: %v", req.GetMethod(), req.GetPath(), err)
	}
	return resp
}

// get sends a GET to route path in area as the user, asking for JSON when
// asJSON.
func (e *env) get(t testing.TB, tc *pluginv1.TenantContext, area pluginv1.RouteArea, path, rawQuery, user string, asJSON bool) *pluginv1.HandleHTTPResponse {
	t.Helper()
	req := &pluginv1.HandleHTTPRequest{
		Tenant: tc, Method: "GET", Path: path, RawQuery: rawQuery, Area: area, Mount: "/p/groupbuy", CsrfToken: "csrf-123",
		Identity: &pluginv1.Identity{Authenticated: user != "", UserId: user, Kind: "shopper"},
	}
	if asJSON {
		req.Headers = []*pluginv1.Header{{Name: "Accept", Values: []string{"application/json"}}}
	}
	return e.http(t, req)
}

// line is a cart line of shop-1's SKU at the regular price.
func line(id string, qty int32, attrs map[string]string) *pluginv1.CartLine {
	return &pluginv1.CartLine{LineId: id, ShopId: shopID, ProductId: product, SkuId: sku, Quantity: qty,
		UnitPriceFen: regular, SubtotalFen: regular * int64(qty), Attributes: attrs}
}

// attrs are the line attributes of joining group (or opening one when
// group is empty) of campaign, invited by inviter.
func attrs(campaign, group, inviter string) map[string]string {
	a := map[string]string{groupbuy.AttrCampaign: campaign}
	if group != "" {
		a[groupbuy.AttrGroup] = group
	}
	if inviter != "" {
		a[groupbuy.AttrInviter] = inviter
	}
	return a
}

// adjust calls AdjustCart for shop-1.
func (e *env) adjust(t testing.TB, customer string, lines ...*pluginv1.CartLine) *pluginv1.AdjustCartResponse {
	t.Helper()
	req := &pluginv1.AdjustCartRequest{Tenant: shop("{}", 1), CustomerId: customer, Currency: "CNY", Lines: lines}
	for _, l := range lines {
		req.SubtotalFen += l.GetSubtotalFen()
	}
	resp, err := e.c.AdjustCart(context.Background(), req)
	if err != nil {
		t.Fatalf("AdjustCart: %v", err)
	}
	return resp
}

// order is shop-1's order of qty units through the group-buy line attributes.
func order(id, customer string, qty int32, unitFen int64, a map[string]string) *pluginv1.Order {
	return &pluginv1.Order{
		Id: id, ShopId: shopID, RegionId: regionID, CustomerId: customer, Status: "held", Currency: "CNY",
		TotalFen: unitFen * int64(qty), HoldIds: []string{"hold-groupbuy-" + id},
		Lines: []*pluginv1.OrderLine{{SkuId: sku, ProductId: product, Name: "五常大米 5kg", Quantity: qty,
			UnitPriceFen: regular, TotalFen: unitFen * int64(qty), Attributes: a}},
	}
}

// deliver sends one event for shop-1 with the given id.
func (e *env) deliver(t testing.TB, id, typ string, o *pluginv1.Order) error {
	t.Helper()
	payload, err := protojson.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.c.HandleEvent(context.Background(), &pluginv1.HandleEventRequest{
		Tenant: shop("{}", 1), Attempt: 1,
		Event: &pluginv1.Event{Id: id, Type: typ, PayloadJson: payload, OccurredAt: timestamppb.New(e.clock.Now())},
	})
	return err
}

// event delivers a new event and fails the test on error.
func (e *env) event(t testing.TB, typ string, o *pluginv1.Order) {
	t.Helper()
	e.events++
	if err := e.deliver(t, fmt.Sprintf("ev-%d", e.events), typ, o); err != nil {
		t.Fatalf("%s %s: %v", typ, o.GetId(), err)
	}
}

// buy places and pays an order of one unit for customer.
func (e *env) buy(t testing.TB, orderID, customer string, unitFen int64, a map[string]string) *pluginv1.Order {
	t.Helper()
	o := order(orderID, customer, 1, unitFen, a)
	e.event(t, groupbuy.EventOrderPlaced, o)
	e.event(t, groupbuy.EventOrderPaid, o)
	return o
}

// groupOf returns the group the order's member is in.
func (e *env) groupOf(t testing.TB, orderID string) string {
	t.Helper()
	var id string
	if err := e.st.DB.NewRaw("SELECT group_id FROM groupbuy_members WHERE tenant_id = ? AND order_id = ?", tenantID, orderID).
		Scan(context.Background(), &id); err != nil {
		t.Fatalf("group of order %s: %v", orderID, err)
	}
	return id
}

// group reads a group.
func (e *env) group(t testing.TB, id string) groupbuy.Group {
	t.Helper()
	var g groupbuy.Group
	if err := e.st.DB.NewSelect().Model(&g).Where("tenant_id = ? AND id = ?", tenantID, id).Scan(context.Background()); err != nil {
		t.Fatalf("group %s: %v", id, err)
	}
	return g
}

// campaign reads a campaign.
func (e *env) campaign(t testing.TB, id string) groupbuy.Campaign {
	t.Helper()
	var c groupbuy.Campaign
	if err := e.st.DB.NewSelect().Model(&c).Where("tenant_id = ? AND id = ?", tenantID, id).Scan(context.Background()); err != nil {
		t.Fatalf("campaign %s: %v", id, err)
	}
	return c
}

// members reads a group's members by position.
func (e *env) members(t testing.TB, groupID string) []groupbuy.Member {
	t.Helper()
	var ms []groupbuy.Member
	if err := e.st.DB.NewSelect().Model(&ms).Where("tenant_id = ? AND group_id = ?", tenantID, groupID).Order("position").
		Scan(context.Background()); err != nil {
		t.Fatalf("members of %s: %v", groupID, err)
	}
	return ms
}

// runJob runs expire-groups for tc.
func (e *env) runJob(t testing.TB, tc *pluginv1.TenantContext) *pluginv1.RunJobResponse {
	t.Helper()
	resp, err := e.c.RunJob(context.Background(), &pluginv1.RunJobRequest{Tenant: tc, JobName: groupbuy.JobExpireGroups, RunId: "run", ScheduledAt: timestamppb.New(e.clock.Now())})
	if err != nil {
		t.Fatalf("RunJob: %v", err)
	}
	return resp
}

// callsTo returns the requests of method sent to the fake host, typed.
func callsTo[T any](h *sdktest.FakeHost, method string) []T {
	var out []T
	for _, c := range h.CallsTo(method) {
		out = append(out, c.Request.(T))
	}
	return out
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }
