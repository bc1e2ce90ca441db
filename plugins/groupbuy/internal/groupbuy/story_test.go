package groupbuy_test

import (
	"context"
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/plugins/groupbuy/internal/groupbuy"
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// A leader opens a group, two friends join through the leader's invite and
// pay: the group fills, every hold is released, the leader gets a rebate
// coupon and uses it on the next order. A second group times out and its
// paid orders are cancelled with a refund.
func TestGroupStory(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		camp := e.createCampaign(t, campaignSpec{})

		// The leader opens a group at the leader price, with a hold.
		cart := e.adjust(t, "leader", line("l1", 1, attrs(camp, "", "")))
		if len(cart.GetErrors()) != 0 || len(cart.GetAdjustments()) != 1 || len(cart.GetHolds()) != 1 {
			t.Fatalf("leader's cart = %v", cart)
		}
		a := cart.GetAdjustments()[0]
		if a.GetCode() != groupbuy.CodeLeaderPrice || a.GetAmountFen() != 1790-regular || a.GetAllocations()[0].GetAmountFen() != 1790-regular ||
			a.GetAllocations()[0].GetLineId() != "l1" || a.GetLabel() != "团长价" {
			t.Errorf("leader adjustment = %v", a)
		}
		if h := cart.GetHolds()[0]; h.GetLineId() != "l1" || h.GetReason() != "拼团中，成团后发货" {
			t.Errorf("hold = %v", h)
		}
		lo := order("o-leader", "leader", 1, 1790, attrs(camp, "", ""))
		e.event(t, groupbuy.EventOrderPlaced, lo)
		gid := e.groupOf(t, "o-leader")
		if g := e.group(t, gid); g.Status != groupbuy.GroupPending || g.LeaderCustomerID != "leader" {
			t.Fatalf("after placed: group = %+v", g)
		}
		e.event(t, groupbuy.EventOrderPaid, lo)
		g := e.group(t, gid)
		if g.Status != groupbuy.GroupOpen || !g.ExpiresAt.Equal(e.clock.Now().Add(24*time.Hour)) {
			t.Fatalf("after paid: group = %+v, want open until %v", g, e.clock.Now().Add(24*time.Hour))
		}

		// Amy joins at the group price through the leader's link.
		cart = e.adjust(t, "amy", line("a1", 1, attrs(camp, gid, "leader")))
		if len(cart.GetErrors()) != 0 || cart.GetAdjustments()[0].GetCode() != groupbuy.CodeGroupPrice ||
			cart.GetAdjustments()[0].GetAmountFen() != 1990-regular {
			t.Fatalf("amy's cart = %v", cart)
		}
		e.buy(t, "o-amy", "amy", 1990, attrs(camp, gid, "leader"))
		if g := e.group(t, gid); g.Status != groupbuy.GroupOpen {
			t.Fatalf("2 of 3 paid: group %s", g.Status)
		}
		if n := len(e.host.CallsTo("ReleaseOrderHold")); n != 0 {
			t.Fatalf("%d holds released before the group filled", n)
		}

		// Bob fills the group.
		bob := e.buy(t, "o-bob", "bob", 1990, attrs(camp, gid, "leader"))
		if g := e.group(t, gid); g.Status != groupbuy.GroupSucceeded || g.FinishedAt.IsZero() {
			t.Fatalf("3 of 3 paid: group = %+v", g)
		}
		releases := callsTo[*pluginv1.ReleaseOrderHoldRequest](e.host, "ReleaseOrderHold")
		got := map[string]string{}
		for _, r := range releases {
			got[r.GetHoldId()] = r.GetIdempotencyKey()
		}
		want := map[string]string{}
		for _, o := range []string{"o-leader", "o-amy", "o-bob"} {
			want["hold-groupbuy-"+o] = "release-" + gid + "-" + o
		}
		if len(releases) != 3 || !equalMaps(got, want) {
			t.Fatalf("releases = %v, want %v", got, want)
		}
		if c := e.campaign(t, camp); c.Sold != 3 || c.PendingQty != 0 {
			t.Errorf("campaign sold %d pending %d, want 3 and 0", c.Sold, c.PendingQty)
		}
		emails := callsTo[*pluginv1.SendEmailRequest](e.host, "SendEmail")
		if len(emails) != 1 || emails[0].GetCustomerId() != "leader" {
			t.Fatalf("rebate e-mails = %v, want one to the leader", emails)
		}

		// The same event again (three deliveries in all) changes nothing.
		calls := len(e.host.Calls())
		for range 2 {
			if err := e.deliver(t, "ev-bob-paid-again", groupbuy.EventOrderPaid, bob); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.deliver(t, "ev-bob-paid-again", groupbuy.EventOrderPaid, bob); err != nil {
			t.Fatal(err)
		}
		if c := e.campaign(t, camp); c.Sold != 3 || len(e.host.Calls()) != calls {
			t.Errorf("after redelivery: sold %d, host calls %d → %d", c.Sold, calls, len(e.host.Calls()))
		}

		// The leader's rebate: 3 yuan off an order of 20 yuan or more in the shop.
		cart = e.adjust(t, "leader", line("x1", 1, nil))
		if len(cart.GetAdjustments()) != 1 || cart.GetAdjustments()[0].GetCode() != groupbuy.CodeInviteRebate ||
			cart.GetAdjustments()[0].GetAmountFen() != -300 || len(cart.GetAdjustments()[0].GetAllocations()) != 0 {
			t.Fatalf("leader's next cart = %v, want the rebate", cart)
		}
		if cart := e.adjust(t, "amy", line("x1", 1, nil)); len(cart.GetAdjustments()) != 0 {
			t.Errorf("amy invited nobody but gets %v", cart.GetAdjustments())
		}
		plain := &pluginv1.Order{Id: "o-leader-2", ShopId: shopID, CustomerId: "leader", TotalFen: regular - 300,
			Lines: []*pluginv1.OrderLine{{SkuId: sku, ProductId: product, Quantity: 1, UnitPriceFen: regular, TotalFen: regular}}}
		e.event(t, groupbuy.EventOrderPlaced, plain)
		if cart := e.adjust(t, "leader", line("x1", 1, nil)); len(cart.GetAdjustments()) != 0 {
			t.Errorf("a coupon reserved by a placed order is offered again: %v", cart.GetAdjustments())
		}
		e.event(t, groupbuy.EventOrderPaid, plain)
		var used string
		if err := e.st.DB.NewRaw("SELECT used_order_id FROM groupbuy_coupons WHERE tenant_id = ? AND customer_id = 'leader'", tenantID).
			Scan(context.Background(), &used); err != nil || used != "o-leader-2" {
			t.Errorf("coupon used by %q (%v), want o-leader-2", used, err)
		}

		// A second group: two of three pay, then time runs out.
		e.buy(t, "o-cat", "cat", 1790, attrs(camp, "", ""))
		g2 := e.groupOf(t, "o-cat")
		e.buy(t, "o-dan", "dan", 1990, attrs(camp, g2, ""))
		e.clock.Advance(23 * time.Hour)
		e.runJob(t, shop("{}", 1)) // not due yet
		if g := e.group(t, g2); g.Status != groupbuy.GroupOpen {
			t.Fatalf("group expired early: %s", g.Status)
		}
		e.clock.Advance(2 * time.Hour)
		resp := e.runJob(t, tenantWide(regionID))
		if g := e.group(t, g2); g.Status != groupbuy.GroupFailed {
			t.Fatalf("after the deadline: group %s, want failed (%s)", g.Status, resp.GetSummary())
		}
		cancels := callsTo[*pluginv1.CancelOrderRequest](e.host, "CancelOrder")
		gotCancel := map[string]string{}
		for _, c := range cancels {
			if !c.GetRefund() {
				t.Errorf("cancel of %s without refund", c.GetOrderId())
			}
			gotCancel[c.GetOrderId()] = c.GetIdempotencyKey()
		}
		wantCancel := map[string]string{"o-cat": "expire-" + g2 + "-o-cat", "o-dan": "expire-" + g2 + "-o-dan"}
		if len(cancels) != 2 || !equalMaps(gotCancel, wantCancel) {
			t.Fatalf("cancels = %v, want %v", gotCancel, wantCancel)
		}
		for _, m := range e.members(t, g2) {
			if m.Status != groupbuy.MemberRefunded {
				t.Errorf("member %s: %s, want refunded", m.CustomerID, m.Status)
			}
		}
		if c := e.campaign(t, camp); c.Sold != 3 {
			t.Errorf("sold %d after the refunds, want 3", c.Sold)
		}
		// The run after changes nothing.
		calls = len(e.host.Calls())
		e.runJob(t, tenantWide(regionID))
		if len(e.host.Calls()) != calls {
			t.Errorf("a second run made %d more host calls", len(e.host.Calls())-calls)
		}
	})
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// A group of 4 with virtual success at 40% succeeds at its deadline with 2
// paid members, not with 1.
func TestVirtualSuccess(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		camp := e.createCampaign(t, campaignSpec{GroupSize: 4, VirtualPct: 40})
		e.buy(t, "o-a1", "amy", 1790, attrs(camp, "", ""))
		two := e.groupOf(t, "o-a1")
		e.buy(t, "o-b1", "bob", 1990, attrs(camp, two, ""))
		e.buy(t, "o-c1", "cat", 1790, attrs(camp, "", ""))
		one := e.groupOf(t, "o-c1")

		e.clock.Advance(25 * time.Hour)
		e.runJob(t, tenantWide(regionID))
		if g := e.group(t, two); g.Status != groupbuy.GroupSucceeded {
			t.Errorf("2 of 4 at 40%%: %s, want succeeded", g.Status)
		}
		if g := e.group(t, one); g.Status != groupbuy.GroupFailed {
			t.Errorf("1 of 4 at 40%%: %s, want failed", g.Status)
		}
		if n := len(e.host.CallsTo("ReleaseOrderHold")); n != 2 {
			t.Errorf("%d holds released, want 2", n)
		}
		cancels := callsTo[*pluginv1.CancelOrderRequest](e.host, "CancelOrder")
		if len(cancels) != 1 || cancels[0].GetOrderId() != "o-c1" {
			t.Errorf("cancels = %v, want o-c1 only", cancels)
		}
	})
}

func TestLeaderLeaves(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		camp := e.createCampaign(t, campaignSpec{})
		lo := e.buy(t, "o-leader", "leader", 1790, attrs(camp, "", ""))
		gid := e.groupOf(t, "o-leader")
		e.buy(t, "o-amy", "amy", 1990, attrs(camp, gid, ""))
		e.buy(t, "o-bob-plain", "bob", 2990, nil) // not a group buy: no member
		e.event(t, groupbuy.EventOrderCancelled, lo)

		g := e.group(t, gid)
		if g.Status != groupbuy.GroupOpen || g.LeaderCustomerID != "amy" {
			t.Fatalf("after the leader left: group = %+v, want open, led by amy", g)
		}
		roles := map[string]string{}
		for _, m := range e.members(t, gid) {
			roles[m.CustomerID] = m.Role + "/" + m.Status
		}
		if roles["amy"] != "leader/paid" || roles["leader"] != "member/left" {
			t.Errorf("members = %v", roles)
		}
		if c := e.campaign(t, camp); c.Sold != 1 {
			t.Errorf("sold %d, want 1", c.Sold)
		}

		// A lone leader leaving cancels the group.
		solo := e.buy(t, "o-cat", "cat", 1790, attrs(camp, "", ""))
		g2 := e.groupOf(t, "o-cat")
		e.event(t, groupbuy.EventOrderCancelled, solo)
		if g := e.group(t, g2); g.Status != groupbuy.GroupCancelled || g.FinishedAt.IsZero() {
			t.Errorf("lone leader left: group = %+v, want cancelled", g)
		}
		if c := e.campaign(t, camp); c.Sold != 1 || c.PendingQty != 0 {
			t.Errorf("sold %d pending %d, want 1 and 0", c.Sold, c.PendingQty)
		}
		if n := len(e.host.CallsTo("CancelOrder")); n != 0 {
			t.Errorf("%d CancelOrder calls for orders the host cancelled itself", n)
		}
	})
}

// A pending group whose leader never pays is cancelled after an hour, and
// its order with it.
func TestUnpaidGroupCancelled(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		camp := e.createCampaign(t, campaignSpec{})
		e.event(t, groupbuy.EventOrderPlaced, order("o-late", "leader", 1, 1790, attrs(camp, "", "")))
		gid := e.groupOf(t, "o-late")
		e.clock.Advance(59 * time.Minute)
		e.runJob(t, tenantWide(regionID))
		if g := e.group(t, gid); g.Status != groupbuy.GroupPending {
			t.Fatalf("after 59 minutes: %s", g.Status)
		}
		e.clock.Advance(2 * time.Minute)
		e.runJob(t, tenantWide(regionID))
		if g := e.group(t, gid); g.Status != groupbuy.GroupCancelled {
			t.Fatalf("after 61 minutes: %s, want cancelled", g.Status)
		}
		cancels := callsTo[*pluginv1.CancelOrderRequest](e.host, "CancelOrder")
		if len(cancels) != 1 || cancels[0].GetOrderId() != "o-late" || cancels[0].GetIdempotencyKey() != "expire-"+gid+"-o-late" {
			t.Fatalf("cancels = %v", cancels)
		}
		if c := e.campaign(t, camp); c.PendingQty != 0 {
			t.Errorf("pending %d, want 0", c.PendingQty)
		}
		// Paying after all: the order is refunded, not counted.
		e.event(t, groupbuy.EventOrderPaid, order("o-late", "leader", 1, 1790, attrs(camp, "", "")))
		if c := e.campaign(t, camp); c.Sold != 0 {
			t.Errorf("sold %d after a payment to a cancelled group", c.Sold)
		}
	})
}

// A job whose scope leaves out the shop's region does nothing to its groups.
func TestJobScope(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		camp := e.createCampaign(t, campaignSpec{})
		e.buy(t, "o-1", "leader", 1790, attrs(camp, "", ""))
		gid := e.groupOf(t, "o-1")
		e.clock.Advance(8 * 24 * time.Hour) // past the group's deadline and the campaign's end
		before := len(e.host.Calls())

		e.runJob(t, tenantWide("furong"))
		disabled := tenantWide(regionID)
		disabled.DisabledShopIds = []string{shopID}
		e.runJob(t, disabled)
		if g, c := e.group(t, gid), e.campaign(t, camp); g.Status != groupbuy.GroupOpen || c.Status != groupbuy.CampaignActive || len(e.host.Calls()) != before {
			t.Fatalf("out of scope: group %s, campaign %s, %d host calls", g.Status, c.Status, len(e.host.Calls())-before)
		}

		enabled := tenantWide("furong")
		enabled.EnabledShopIds = []string{shopID}
		e.runJob(t, enabled)
		if g, c := e.group(t, gid), e.campaign(t, camp); g.Status != groupbuy.GroupFailed || c.Status != groupbuy.CampaignEnded {
			t.Fatalf("in scope: group %s, campaign %s", g.Status, c.Status)
		}
	})
}

// Runs at once settle each expired group once: one CancelOrder per order.
// Four runs race over the groups; then a run stuck in its first host call
// does not make a second run call for the same orders.
func TestConcurrentJobsExpireOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		camp := e.createCampaign(t, campaignSpec{GroupSize: 5, Limit: 10})
		openGroups := func(round string) []string {
			var groups []string
			for _, c := range []string{"amy", "bob", "cat"} {
				e.buy(t, "o-"+round+c, c, 1790, attrs(camp, "", ""))
				gid := e.groupOf(t, "o-"+round+c)
				groups = append(groups, gid)
				for _, m := range []string{"dan", "eve"} {
					e.buy(t, "o-"+round+c+m, m, 1990, attrs(camp, gid, ""))
				}
			}
			return groups
		}
		run := func() error {
			_, err := e.c.RunJob(context.Background(), &pluginv1.RunJobRequest{Tenant: tenantWide(regionID), JobName: groupbuy.JobExpireGroups})
			return err
		}
		checkOnce := func(groups []string, orders int) {
			t.Helper()
			per := map[string]int{}
			for _, c := range callsTo[*pluginv1.CancelOrderRequest](e.host, "CancelOrder") {
				per[c.GetOrderId()]++
			}
			if len(per) != orders {
				t.Errorf("orders cancelled: %v, want %d", per, orders)
			}
			for id, n := range per {
				if n != 1 {
					t.Errorf("order %s cancelled %d times", id, n)
				}
			}
			for _, g := range groups {
				if st := e.group(t, g).Status; st != groupbuy.GroupFailed {
					t.Errorf("group %s: %s", g, st)
				}
			}
			if c := e.campaign(t, camp); c.Sold != 0 {
				t.Errorf("sold %d, want 0", c.Sold)
			}
		}

		first := openGroups("a")
		e.clock.Advance(25 * time.Hour)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() { errs[i] = run() })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		checkOnce(first, 9)

		second := openGroups("b")
		e.clock.Advance(25 * time.Hour)
		stuck, release := make(chan struct{}), make(chan struct{})
		var calls atomic.Int32
		e.host.Handle("CancelOrder", func(_ context.Context, req proto.Message) (proto.Message, error) {
			if calls.Add(1) == 1 {
				close(stuck)
				<-release
			}
			return &pluginv1.CancelOrderResponse{Order: &pluginv1.Order{Id: req.(*pluginv1.CancelOrderRequest).GetOrderId(), Status: "cancelled"}}, nil
		})
		done := make(chan error, 1)
		go func() { done <- run() }()
		<-stuck
		if err := run(); err != nil {
			t.Errorf("second run: %v", err)
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatalf("first run: %v", err)
		}
		checkOnce(append(first, second...), 18)
	})
}

// A host call that fails makes HandleEvent fail; the retry makes the calls
// still due and no others.
func TestFailedReleaseIsRetried(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		camp := e.createCampaign(t, campaignSpec{GroupSize: 2})
		e.buy(t, "o-leader", "leader", 1790, attrs(camp, "", ""))
		gid := e.groupOf(t, "o-leader")
		var mu sync.Mutex
		fail := true
		e.host.Handle("ReleaseOrderHold", func(_ context.Context, req proto.Message) (proto.Message, error) {
			mu.Lock()
			defer mu.Unlock()
			if fail && req.(*pluginv1.ReleaseOrderHoldRequest).GetHoldId() == "hold-groupbuy-o-amy" {
				return nil, status.Error(codes.Unavailable, "host is restarting")
			}
			return &pluginv1.ReleaseOrderHoldResponse{}, nil
		})
		amy := order("o-amy", "amy", 1, 1990, attrs(camp, gid, ""))
		e.event(t, groupbuy.EventOrderPlaced, amy)
		err := e.deliver(t, "ev-amy-paid", groupbuy.EventOrderPaid, amy)
		if status.Code(err) != codes.Unavailable {
			t.Fatalf("paid with a failing release: %v, want Unavailable", err)
		}
		if g := e.group(t, gid); g.Status != groupbuy.GroupSucceeded {
			t.Fatalf("group %s, want succeeded (the state change is committed)", g.Status)
		}
		mu.Lock()
		fail = false
		mu.Unlock()
		if err := e.deliver(t, "ev-amy-paid", groupbuy.EventOrderPaid, amy); err != nil {
			t.Fatalf("retry: %v", err)
		}
		var holds []string
		for _, r := range callsTo[*pluginv1.ReleaseOrderHoldRequest](e.host, "ReleaseOrderHold") {
			holds = append(holds, r.GetHoldId())
		}
		sort.Strings(holds)
		want := []string{"hold-groupbuy-o-amy", "hold-groupbuy-o-amy", "hold-groupbuy-o-leader"}
		if len(holds) != 3 || holds[0] != want[0] || holds[1] != want[1] || holds[2] != want[2] {
			t.Fatalf("releases = %v, want %v", holds, want)
		}
		if err := e.deliver(t, "ev-amy-paid", groupbuy.EventOrderPaid, amy); err != nil || len(e.host.CallsTo("ReleaseOrderHold")) != 3 {
			t.Errorf("a third delivery: %v, %d releases", err, len(e.host.CallsTo("ReleaseOrderHold")))
		}
	})
}

// Every event delivered three times has the effect of one delivery: a
// placed order reserves one rebate coupon even when the shopper holds two.
func TestEventsDeliveredThrice(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		camp := e.createCampaign(t, campaignSpec{GroupSize: 2, Limit: 5})
		for _, friend := range []string{"amy", "bob"} {
			e.buy(t, "o-lead-"+friend, "leader", 1790, attrs(camp, "", ""))
			gid := e.groupOf(t, "o-lead-"+friend)
			e.buy(t, "o-"+friend, friend, 1990, attrs(camp, gid, "leader"))
		}
		var coupons int
		if err := e.st.DB.NewRaw("SELECT count(*) FROM groupbuy_coupons WHERE tenant_id = ? AND customer_id = 'leader'", tenantID).
			Scan(context.Background(), &coupons); err != nil || coupons != 2 {
			t.Fatalf("leader's coupons: %d (%v), want 2", coupons, err)
		}

		thrice := func(id, typ string, o *pluginv1.Order) {
			t.Helper()
			for range 3 {
				if err := e.deliver(t, id, typ, o); err != nil {
					t.Fatal(err)
				}
			}
		}
		plain := &pluginv1.Order{Id: "o-plain", ShopId: shopID, CustomerId: "leader",
			Lines: []*pluginv1.OrderLine{{SkuId: sku, ProductId: product, Quantity: 1, UnitPriceFen: regular, TotalFen: regular}}}
		thrice("ev-plain-placed", groupbuy.EventOrderPlaced, plain)
		var reserved int
		if err := e.st.DB.NewRaw("SELECT count(*) FROM groupbuy_coupons WHERE tenant_id = ? AND pending_order_id = 'o-plain'", tenantID).
			Scan(context.Background(), &reserved); err != nil || reserved != 1 {
			t.Errorf("coupons reserved by one order: %d (%v), want 1", reserved, err)
		}

		joiner := order("o-cat", "cat", 2, 1790, attrs(camp, "", ""))
		thrice("ev-cat-placed", groupbuy.EventOrderPlaced, joiner)
		thrice("ev-cat-paid", groupbuy.EventOrderPaid, joiner)
		if c := e.campaign(t, camp); c.Sold != 6 || c.PendingQty != 0 {
			t.Errorf("after paid ×3: sold %d pending %d, want 6 and 0", c.Sold, c.PendingQty)
		}
		thrice("ev-cat-cancelled", groupbuy.EventOrderCancelled, joiner)
		if c := e.campaign(t, camp); c.Sold != 4 {
			t.Errorf("after cancelled ×3: sold %d, want 4", c.Sold)
		}
	})
}
