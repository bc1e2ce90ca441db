package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/billing/billingtest"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/pluginhost"
	"github.com/uptrace/bun"
)

type gbGroup struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Leader  string `json:"leader_customer_id"`
	Paid    int    `json:"paid"`
	Members []struct {
		CustomerID string `json:"customer_id"`
		OrderID    string `json:"order_id"`
		Status     string `json:"status"`
	} `json:"members"`
}

// groups reads the campaign's groups from the merchant's console (JSON).
func (m *pluginMarket) groups(owner *shopper, shopID, campaign string) []gbGroup {
	m.t.Helper()
	owner.accept = "application/json"
	defer func() { owner.accept = "" }()
	var out struct {
		Groups []gbGroup `json:"groups"`
	}
	owner.want(http.StatusOK, "GET", "/merchant/shops/"+shopID+"/p/groupbuy/campaigns/"+campaign, nil, &out)
	return out.Groups
}

// waitGroup polls until some group satisfies ok.
func (m *pluginMarket) waitGroup(owner *shopper, shopID, campaign, what string, ok func(gbGroup) bool) gbGroup {
	m.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, g := range m.groups(owner, shopID, campaign) {
			if ok(g) {
				return g
			}
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("%s: groups %+v", what, m.groups(owner, shopID, campaign))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// buy checks out one unit of the shop's SKU with the group-buy attributes,
// paid on pickup, and returns the order.
func (m *pluginMarket) buy(b *shopper, c *checkoutShop, attrs map[string]string, key string) *order.Order {
	m.t.Helper()
	lines := []map[string]any{{"sku_id": c.sku, "qty": 1, "attributes": attrs}}
	body := map[string]any{"region_id": m.yuelu.ID, "lines": lines, "recipient": "王小明", "phone": "13800138000", "provider": "offline",
		"shops": []map[string]any{{"shop_id": c.shop.ID, "method": "pickup", "pickup_point_id": m.point.ID}}}
	var q quoteOut
	b.want(http.StatusOK, "POST", "/api/v1/checkout/quote", body, &q)
	body["expected_total_fen"] = q.TotalFen
	code, out, _ := b.place(key, body)
	if code != http.StatusCreated {
		m.t.Fatalf("place %s: %d %s", key, code, out)
	}
	var p placedOut
	if err := json.Unmarshal(out, &p); err != nil {
		m.t.Fatal(err)
	}
	return p.Group.Orders[0]
}

func (m *pluginMarket) order(id string) *order.Order {
	m.t.Helper()
	var o *order.Order
	err := m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		o, err = m.a.Orders.Order(ctx, tx, id)
		return err
	})
	if err != nil {
		m.t.Fatal(err)
	}
	return o
}

func standingHolds(o *order.Order) int {
	n := 0
	for _, h := range o.Holds {
		if h.ReleasedAt == nil {
			n++
		}
	}
	return n
}

// TestGroupBuyStory runs the story through the real host and the
// real group-buy process: the plugin is switched on for Yuelu and not for
// Furong; a Yuelu merchant creates a campaign (bad settings answer field
// errors); a shopper opens a group and pays, two friends join through the
// invite and pay; the group fills and the three orders leave their hold;
// a second group does not fill in time and its order is cancelled by the
// job; the Furong shop has no group-buy pages; the ledger balances.
func TestGroupBuyStory(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := newPluginMarketWith(t, d, 2, "groupbuy", map[string]string{"groupbuy": "plugins/groupbuy"})
		if err := m.a.StartJobs(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			m.a.StopJobs(ctx) //nolint:errcheck
		})
		m.moveShop(m.shops[1].shop.ID, m.furong.ID)
		fruit, other := m.shops[0], m.shops[1]
		sw := m.a.Plugins.Switches
		for _, step := range []struct {
			level, target string
		}{{pluginhost.LevelTenant, ""}, {pluginhost.LevelRegion, m.yuelu.ID}} {
			if err := sw.SetEnabled(m.ctx, "groupbuy", step.level, step.target, on(true), m.actor); err != nil {
				t.Fatal(err)
			}
		}
		var productID string
		err := m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
			return tx.NewSelect().TableExpr("skus").Column("product_id").Where("tenant_id = ? AND id = ?", m.tenant.ID, fruit.sku).Scan(ctx, &productID)
		})
		if err != nil {
			t.Fatal(err)
		}

		// The shop's console links to the plugin's pages; the Furong shop's
		// does not.
		if code, body := fruit.owner.do("GET", "/merchant/shops/"+fruit.shop.ID, nil); code != http.StatusOK || !strings.Contains(string(body), `data-plugin="groupbuy"`) {
			t.Fatalf("Yuelu shop console: %d, link to the group-buy pages missing", code)
		}
		if _, body := other.owner.do("GET", "/merchant/shops/"+other.shop.ID, nil); strings.Contains(string(body), `data-plugin="groupbuy"`) {
			t.Fatal("Furong shop console links to group buying")
		}

		// The merchant creates a campaign: bad settings first.
		start := time.Now().Add(-time.Hour).UTC()
		campaign := map[string]any{"title": "草莓 3 人团", "product_id": productID, "sku_id": fruit.sku,
			"group_price_fen": 400, "leader_price_fen": 350, "group_size": 3, "fill_hours": 2,
			"starts_at": start, "ends_at": start.Add(7 * 24 * time.Hour), "per_shopper_limit": 2, "quota": 20}
		bad := map[string]any{}
		for k, v := range campaign {
			bad[k] = v
		}
		bad["group_size"], bad["leader_price_fen"], bad["ends_at"], bad["quota"] = 1, 450, start.Add(-time.Hour), 100000
		code, body := fruit.owner.do("POST", "/merchant/shops/"+fruit.shop.ID+"/p/groupbuy/campaigns", bad)
		for _, f := range []string{"/group_size", "/leader_price_fen", "/ends_at", "/quota"} {
			if code != http.StatusBadRequest || !strings.Contains(string(body), f) {
				t.Fatalf("bad campaign: %d %s (want a field error on %s)", code, body, f)
			}
		}
		var camp struct {
			ID string `json:"id"`
		}
		fruit.owner.want(http.StatusCreated, "POST", "/merchant/shops/"+fruit.shop.ID+"/p/groupbuy/campaigns", campaign, &camp)
		// Not in Furong: its merchant has no group-buy console, its
		// product page no group-buy badge.
		if code, _ := other.owner.do("POST", "/merchant/shops/"+other.shop.ID+"/p/groupbuy/campaigns", campaign); code != http.StatusNotFound {
			t.Fatalf("Furong merchant: %d, want 404", code)
		}
		anon := m.anonymous()
		if code, body := anon.do("GET", "/p/groupbuy/today", nil); code != http.StatusOK || !strings.Contains(string(body), "草莓 3 人团") {
			t.Fatalf("today's group buys: %d", code)
		}

		// The leader opens a group at the leader price, held.
		a, b, c := m.user("leader", "", ""), m.user("friend1", "", ""), m.user("friend2", "", "")
		oa := m.buy(a, fruit, map[string]string{"groupbuy.campaign": camp.ID}, "lead")
		if oa.TotalFen != 350 || standingHolds(m.order(oa.ID)) != 1 {
			t.Fatalf("leader's order: total %d, holds %d", oa.TotalFen, standingHolds(m.order(oa.ID)))
		}
		g := m.waitGroup(fruit.owner, fruit.shop.ID, camp.ID, "group opened by the leader's payment",
			func(g gbGroup) bool { return g.Leader == a.userID && g.Status == "open" })
		// Two friends join through the invite and pay.
		join := map[string]string{"groupbuy.campaign": camp.ID, "groupbuy.group": g.ID, "groupbuy.inviter": a.userID}
		ob := m.buy(b, fruit, join, "join-b")
		oc := m.buy(c, fruit, join, "join-c")
		if ob.TotalFen != 400 || oc.TotalFen != 400 {
			t.Fatalf("members pay the group price: %d %d", ob.TotalFen, oc.TotalFen)
		}
		m.waitGroup(fruit.owner, fruit.shop.ID, camp.ID, "group filled", func(x gbGroup) bool { return x.ID == g.ID && x.Status == "succeeded" })
		deadline := time.Now().Add(15 * time.Second)
		for _, id := range []string{oa.ID, ob.ID, oc.ID} {
			for standingHolds(m.order(id)) != 0 {
				if time.Now().After(deadline) {
					t.Fatalf("order %s still held after the group filled", id)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		// Released: the shop can accept them (the way to the pick list).
		fruit.owner.want(http.StatusOK, "POST", "/api/v1/merchant/shops/"+fruit.shop.ID+"/orders/"+oa.ID+"/transitions", map[string]any{"to": "accepted"}, nil)

		// A second group does not fill in time: the job cancels its order.
		dd := m.user("late", "", "")
		od := m.buy(dd, fruit, map[string]string{"groupbuy.campaign": camp.ID}, "lonely")
		g2 := m.waitGroup(fruit.owner, fruit.shop.ID, camp.ID, "second group open", func(x gbGroup) bool { return x.Leader == dd.userID && x.Status == "open" })
		later := &pluginhost.Scheduler{Host: m.a.Plugins.Host, Now: func() time.Time { return time.Now().Add(3 * time.Hour) }}
		if n, err := later.RunDue(context.Background()); err != nil || n != 1 {
			t.Fatalf("expiry run: %d runs, %v", n, err)
		}
		m.waitGroup(fruit.owner, fruit.shop.ID, camp.ID, "second group failed", func(x gbGroup) bool { return x.ID == g2.ID && x.Status == "failed" })
		if o := m.order(od.ID); o.Status != order.StatusCancelled {
			t.Fatalf("the failed group's order is %s, want cancelled", o.Status)
		}
		billingtest.AssertBalanced(t, d)

		// Switched off for Yuelu: no group-buy pages there any more.
		if err := sw.SetEnabled(m.ctx, "groupbuy", pluginhost.LevelRegion, m.yuelu.ID, on(false), m.actor); err != nil {
			t.Fatal(err)
		}
		if code, _ := anon.do("GET", "/p/groupbuy/campaigns/"+camp.ID, nil); code != http.StatusNotFound {
			t.Fatalf("campaign page with the region switched off: %d, want 404", code)
		}
	})
}
