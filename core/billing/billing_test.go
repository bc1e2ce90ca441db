package billing_test

import (
	"context"
	"testing"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/billing/billingtest"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

func TestPostValidation(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		pay := billing.ShopPayable(e.shop.ID)
		ok := []billing.Line{{Account: pay, AmountFen: 100}, {Account: billing.Commission, AmountFen: -100}}
		for name, c := range map[string]struct {
			e     billing.Entry
			field string
		}{
			"one line":           {billing.Entry{Kind: "manual", Lines: ok[:1]}, "lines"},
			"no lines":           {billing.Entry{Kind: "manual"}, "lines"},
			"unbalanced":         {billing.Entry{Kind: "manual", Lines: []billing.Line{{pay, 100}, {billing.Commission, -99}}}, "lines"},
			"zero line":          {billing.Entry{Kind: "manual", Lines: []billing.Line{{pay, 100}, {billing.Commission, 0}, {billing.Promotion, -100}}}, "lines.1.amount_fen"},
			"huge line":          {billing.Entry{Kind: "manual", Lines: []billing.Line{{pay, billing.MaxPostingFen + 1}, {billing.Commission, -billing.MaxPostingFen - 1}}}, "lines.0.amount_fen"},
			"unknown kind":       {billing.Entry{Kind: "manual", Lines: []billing.Line{{billing.Account{Kind: "cash_box"}, 100}, {billing.Commission, -100}}}, "lines.0.account"},
			"payable no owner":   {billing.Entry{Kind: "manual", Lines: []billing.Line{{billing.ShopPayable(""), 100}, {billing.Commission, -100}}}, "lines.0.account"},
			"platform owned":     {billing.Entry{Kind: "manual", Lines: []billing.Line{{pay, 100}, {billing.Account{Kind: billing.AccountCommission, Owner: "x"}, -100}}}, "lines.1.account"},
			"bad clearing":       {billing.Entry{Kind: "manual", Lines: []billing.Line{{billing.TenderClearing("Stripe!"), 100}, {pay, -100}}}, "lines.0.account"},
			"no kind":            {billing.Entry{Lines: ok}, "kind"},
			"bad kind":           {billing.Entry{Kind: "Order Paid", Lines: ok}, "kind"},
			"bad actor":          {billing.Entry{Kind: "manual", ActorID: "someone", Lines: ok}, "actor_id"},
			"reference too long": {billing.Entry{Kind: "manual", Reference: string(make([]byte, 101)), Lines: ok}, "reference"},
		} {
			err := e.tx(func(ctx context.Context, tx bun.IDB) error { return e.b.Post(ctx, tx, c.e) })
			if code(err) != core.Invalid || fields(err)[c.field] == "" {
				t.Errorf("%s: want invalid %s, got %v", name, c.field, err)
			}
		}
		if n, p, s := e.counts(); n != 0 || p != 0 || s != 0 {
			t.Fatalf("bad entries wrote %d entries, %d postings, sum %d", n, p, s)
		}
		err := e.tx(func(ctx context.Context, tx bun.IDB) error {
			return e.b.Post(ctx, tx, billing.Entry{Kind: "manual", Reference: "T-1", ActorID: e.admin.UserID,
				Lines: []billing.Line{{pay, 300}, {billing.Commission, -100}, {billing.Promotion, -200}}})
		})
		if err != nil {
			t.Fatal(err)
		}
		if n, p, s := e.counts(); n != 1 || p != 3 || s != 0 {
			t.Fatalf("posted: %d entries, %d postings, sum %d", n, p, s)
		}
		if e.balance(pay) != 300 || e.balance(billing.Commission) != -100 || e.balance(billing.ShopPayable(e.shop2.ID)) != 0 {
			t.Fatal("balances")
		}
		billingtest.AssertBalanced(t, d)
	})
}

func TestCommissionRounding(t *testing.T) {
	for _, c := range []struct {
		net  int64
		bp   int
		want int64
	}{
		{1000, 500, 50}, {999, 500, 50}, {989, 500, 49}, {990, 500, 50}, // 49.95 → 50, 49.45 → 49, 49.5 → 50
		{10, 500, 1}, {9, 500, 0}, {1, 5000, 1}, {1, 4999, 0}, // half up at exactly .5
		{0, 500, 0}, {12345, 0, 0}, {12345, 10000, 12345}, {150, 333, 5}, {333, 333, 11},
		{10_000_000_000, 10000, 10_000_000_000}, {10_000_000_000, 1, 1_000_000},
	} {
		if got := billing.CommissionOn(c.net, c.bp); got != c.want {
			t.Errorf("CommissionOn(%d, %d) = %d, want %d", c.net, c.bp, got, c.want)
		}
	}
}

// paid posts an order of shop sh.
func (e *env) paid(m billing.OrderMoney) error {
	return e.tx(func(ctx context.Context, tx bun.IDB) error { return e.b.OrderPaid(ctx, tx, m) })
}

func (e *env) refund(m billing.RefundMoney) (*billing.RefundResult, error) {
	var r *billing.RefundResult
	err := e.tx(func(ctx context.Context, tx bun.IDB) (err error) {
		r, err = e.b.Refund(ctx, tx, m)
		return err
	})
	return r, err
}

func TestOrderPaidAndRefunded(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		tender := billing.TenderClearing("stripe")
		pay := billing.ShopPayable(e.shop.ID)
		m := billing.OrderMoney{OrderID: "order-1", OrderNumber: "JS20260310-0001", ShopID: e.shop.ID, Tender: "stripe",
			Lines: []billing.OrderLine{
				{Ref: "L1", CategoryID: e.cat["vegetables"], NetFen: 1000, PlatformDiscountFen: 100}, // 50 commission
				{Ref: "L2", CategoryID: e.cat["rice"], NetFen: 999},                                  // 49.95 → 50
				{Ref: "L3", CategoryID: e.cat["apples"], NetFen: 9, PlatformDiscountFen: 9},          // 0.45 → 0, free to the shopper
			},
			ShippingFen: 800, ShippingDiscountFen: 200, ShippingFundedBy: billing.FundedByPlatform, ActorID: e.owner.UserID}
		if err := e.paid(m); err != nil {
			t.Fatal(err)
		}
		want := func(step string, tenderFen, promo, payable, commission int64) {
			t.Helper()
			got := [4]int64{e.balance(tender), e.balance(billing.Promotion), e.balance(pay), e.balance(billing.Commission)}
			if got != [4]int64{tenderFen, promo, payable, commission} {
				t.Fatalf("%s: tender, promotion, payable, commission = %v, want %v", step, got, [4]int64{tenderFen, promo, payable, commission})
			}
			billingtest.AssertBalanced(t, d)
		}
		// The shopper paid 900 + 999 + 0 + 800; the platform funded 100 + 9 + 200;
		// the shop earns 1000 + 999 + 9 + 800 + 200 − 100.
		want("paid", 2699, 309, -2908, -100)
		var o *billing.ChargedOrder
		err := e.a.DB.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
			o, err = e.b.Charged(ctx, tx, "order-1")
			return err
		})
		if err != nil || len(o.Lines) != 3 || o.Commission() != 100 || o.Lines[0].RateBP != 500 || o.Lines[2].PaidFen != 0 {
			t.Fatalf("charged %+v %v", o, err)
		}
		// Posting the same order again is refused.
		if err := e.paid(m); code(err) != core.Conflict {
			t.Fatalf("second OrderPaid: %v", err)
		}

		// Refund L1 in two parts: the reversals add up to exactly what was charged.
		r, err := e.refund(billing.RefundMoney{OrderID: "order-1", Reference: "RF-1", Lines: []billing.RefundLine{{Ref: "L1", AmountFen: 300}}})
		if err != nil || *r != (billing.RefundResult{TenderFen: 300, CommissionReversedFen: 17, PromoReversedFen: 33, ShopFen: 316}) {
			t.Fatalf("refund 1: %+v %v", r, err)
		}
		want("refund 1", 2399, 276, -2592, -83)
		r, err = e.refund(billing.RefundMoney{OrderID: "order-1", Reference: "RF-2", Lines: []billing.RefundLine{{Ref: "L1", AmountFen: 600}}})
		if err != nil || *r != (billing.RefundResult{TenderFen: 600, CommissionReversedFen: 33, PromoReversedFen: 67, ShopFen: 634}) {
			t.Fatalf("refund 2: %+v %v", r, err)
		}
		want("refund 2", 1799, 209, -1958, -50)
		// Nothing more can come back for L1, nor for the free L3; nothing is written.
		entries, _, _ := e.counts()
		for _, rl := range []billing.RefundLine{{Ref: "L1", AmountFen: 1}, {Ref: "L3", AmountFen: 1}} {
			if _, err := e.refund(billing.RefundMoney{OrderID: "order-1", Lines: []billing.RefundLine{rl}}); code(err) != core.Conflict {
				t.Fatalf("over-refund %s: %v", rl.Ref, err)
			}
		}
		if _, err := e.refund(billing.RefundMoney{OrderID: "order-1", Lines: []billing.RefundLine{{Ref: "L2", AmountFen: 10}}, ShippingFen: 801}); code(err) != core.Conflict {
			t.Fatalf("over-refund shipping: %v", err)
		}
		// L2 and the shipping: the platform's shipping discount comes back too.
		r, err = e.refund(billing.RefundMoney{OrderID: "order-1", Lines: []billing.RefundLine{{Ref: "L2", AmountFen: 999}}, ShippingFen: 800})
		if err != nil || *r != (billing.RefundResult{TenderFen: 1799, CommissionReversedFen: 50, PromoReversedFen: 200, ShopFen: 1949}) {
			t.Fatalf("refund 3: %+v %v", r, err)
		}
		// Everything paid went back; the shop keeps the platform's 9 fen for the free line.
		want("refund 3", 0, 9, -9, 0)
		if n, _, _ := e.counts(); n != entries+1 {
			t.Fatalf("refused refunds wrote entries: %d → %d", entries, n)
		}
		if _, err := e.refund(billing.RefundMoney{OrderID: "order-1", ShippingFen: 1}); code(err) != core.Conflict {
			t.Fatalf("shipping refunded twice: %v", err)
		}
	})
}

func TestRefundReversalRounding(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		admin := e.admin
		for i, c := range []struct {
			net, promo int64
			bp         int
			refunds    []int64
			commission []int64 // reversed by each refund
			promos     []int64
		}{
			{1000, 0, 500, []int64{333, 333, 333, 1}, []int64{17, 16, 17, 0}, []int64{0, 0, 0, 0}},
			{7, 0, 5000, []int64{1, 1, 1, 1, 1, 1, 1}, []int64{1, 0, 1, 0, 1, 0, 1}, []int64{0, 0, 0, 0, 0, 0, 0}}, // 4 fen over 7
			{2, 0, 5000, []int64{1, 1}, []int64{1, 0}, []int64{0, 0}},                                              // 0.5 rounds up
			{1200, 200, 1000, []int64{500, 499, 1}, []int64{60, 60, 0}, []int64{100, 100, 0}},
			{10_000_000_000, 0, 10000, []int64{3_333_333_333, 6_666_666_667}, []int64{3_333_333_333, 6_666_666_667}, []int64{0, 0}},
		} {
			if _, err := e.b.SetCommissionRate(e.ctx, admin, billing.ScopeShop, e.shop.ID, c.bp); err != nil {
				t.Fatal(err)
			}
			id := "round-" + string(rune('a'+i))
			if err := e.paid(billing.OrderMoney{OrderID: id, ShopID: e.shop.ID, Tender: "offline",
				Lines: []billing.OrderLine{{Ref: "x", NetFen: c.net, PlatformDiscountFen: c.promo}}}); err != nil {
				t.Fatal(err)
			}
			var sumC, sumP int64
			for j, amt := range c.refunds {
				r, err := e.refund(billing.RefundMoney{OrderID: id, Lines: []billing.RefundLine{{Ref: "x", AmountFen: amt}}})
				if err != nil {
					t.Fatalf("case %d refund %d: %v", i, j, err)
				}
				if r.CommissionReversedFen != c.commission[j] || r.PromoReversedFen != c.promos[j] {
					t.Errorf("case %d refund %d: reversed commission %d promo %d, want %d %d", i, j,
						r.CommissionReversedFen, r.PromoReversedFen, c.commission[j], c.promos[j])
				}
				sumC += r.CommissionReversedFen
				sumP += r.PromoReversedFen
			}
			if want := billing.CommissionOn(c.net, c.bp); sumC != want || sumP != c.promo {
				t.Errorf("case %d: reversed %d commission and %d promo in all, charged %d and %d", i, sumC, sumP, want, c.promo)
			}
		}
		// Every order was refunded in full: nothing is owed either way.
		if e.balance(billing.ShopPayable(e.shop.ID)) != 0 || e.balance(billing.Commission) != 0 ||
			e.balance(billing.OfflineReceivable(e.shop.ID)) != 0 || e.balance(billing.Promotion) != 0 {
			t.Fatal("balances after full refunds")
		}
		billingtest.AssertBalanced(t, d)
	})
}

func TestOrderMoneyValidation(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		good := func() billing.OrderMoney {
			return billing.OrderMoney{OrderID: "o-1", ShopID: e.shop.ID, Tender: "offline",
				Lines: []billing.OrderLine{{Ref: "a", NetFen: 100}}}
		}
		for name, c := range map[string]struct {
			mod   func(*billing.OrderMoney)
			field string
		}{
			"no order":        {func(m *billing.OrderMoney) { m.OrderID = "" }, "order_id"},
			"bad shop":        {func(m *billing.OrderMoney) { m.ShopID = "shop" }, "shop_id"},
			"no tender":       {func(m *billing.OrderMoney) { m.Tender = "" }, "tender"},
			"bad tender":      {func(m *billing.OrderMoney) { m.Tender = "Cash Box" }, "tender"},
			"balance no user": {func(m *billing.OrderMoney) { m.Tender = "balance" }, "user_id"},
			"no lines":        {func(m *billing.OrderMoney) { m.Lines = nil }, "lines"},
			"negative net":    {func(m *billing.OrderMoney) { m.Lines[0].NetFen = -1 }, "lines.0.net_fen"},
			"huge net":        {func(m *billing.OrderMoney) { m.Lines[0].NetFen = billing.MaxAmountFen + 1 }, "lines.0.net_fen"},
			"discount > net":  {func(m *billing.OrderMoney) { m.Lines[0].PlatformDiscountFen = 101 }, "lines.0.platform_discount_fen"},
			"no line ref":     {func(m *billing.OrderMoney) { m.Lines[0].Ref = "" }, "lines.0.ref"},
			"duplicate line":  {func(m *billing.OrderMoney) { m.Lines = append(m.Lines, m.Lines[0]) }, "lines.1.ref"},
			"bad category":    {func(m *billing.OrderMoney) { m.Lines[0].CategoryID = "veg" }, "lines.0.category_id"},
			"negative ship":   {func(m *billing.OrderMoney) { m.ShippingFen = -5 }, "shipping_fen"},
			"unfunded ship":   {func(m *billing.OrderMoney) { m.ShippingDiscountFen = 5 }, "shipping_funded_by"},
			"bad funder":      {func(m *billing.OrderMoney) { m.ShippingDiscountFen, m.ShippingFundedBy = 5, "bank" }, "shipping_funded_by"},
			"bad actor":       {func(m *billing.OrderMoney) { m.ActorID = "me" }, "actor_id"},
		} {
			m := good()
			c.mod(&m)
			if err := e.paid(m); code(err) != core.Invalid || fields(err)[c.field] == "" {
				t.Errorf("%s: want invalid %s, got %v", name, c.field, err)
			}
		}
		m := good()
		m.ShopID = tenants.NewID()
		if err := e.paid(m); code(err) != core.NotFound {
			t.Errorf("unknown shop: %v", err)
		}
		if n, p, _ := e.counts(); n != 0 || p != 0 {
			t.Fatalf("bad orders wrote %d entries", n)
		}
		// Refund input.
		if err := e.paid(good()); err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]struct {
			m     billing.RefundMoney
			field string
		}{
			"nothing":      {billing.RefundMoney{OrderID: "o-1"}, "lines"},
			"zero":         {billing.RefundMoney{OrderID: "o-1", Lines: []billing.RefundLine{{Ref: "a"}}}, "lines.0.amount_fen"},
			"negative":     {billing.RefundMoney{OrderID: "o-1", Lines: []billing.RefundLine{{Ref: "a", AmountFen: -10}}}, "lines.0.amount_fen"},
			"unknown line": {billing.RefundMoney{OrderID: "o-1", Lines: []billing.RefundLine{{Ref: "zz", AmountFen: 10}}}, "lines.0.ref"},
			"twice":        {billing.RefundMoney{OrderID: "o-1", Lines: []billing.RefundLine{{Ref: "a", AmountFen: 10}, {Ref: "a", AmountFen: 10}}}, "lines.1.ref"},
			"no order":     {billing.RefundMoney{Lines: []billing.RefundLine{{Ref: "a", AmountFen: 10}}}, "order_id"},
			"neg shipping": {billing.RefundMoney{OrderID: "o-1", ShippingFen: -1}, "shipping_fen"},
		} {
			if _, err := e.refund(c.m); code(err) != core.Invalid || fields(err)[c.field] == "" {
				t.Errorf("refund %s: want invalid %s, got %v", name, c.field, err)
			}
		}
		if _, err := e.refund(billing.RefundMoney{OrderID: "o-404", Lines: []billing.RefundLine{{Ref: "a", AmountFen: 1}}}); code(err) != core.NotFound {
			t.Errorf("refund of an unknown order: %v", err)
		}
		if n, _, _ := e.counts(); n != 1 {
			t.Fatalf("bad refunds wrote entries: %d", n)
		}
		billingtest.AssertBalanced(t, d)
	})
}

func TestCommissionOverridePrecedence(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a := newApp(t, d)
		e := newEnv(t, a)
		rate := func(shop *merchant.Shop, cat string) int {
			t.Helper()
			var n int
			err := a.DB.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
				n, err = e.b.RateFor(ctx, tx, shop.ID, e.cat[cat])
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		set := func(scope, target string, bp int) {
			t.Helper()
			if _, err := e.b.SetCommissionRate(e.ctx, e.admin, scope, target, bp); err != nil {
				t.Fatal(err)
			}
		}
		if rate(e.shop, "vegetables") != 500 || rate(e.shop, "") != 500 {
			t.Fatal("tenant default")
		}
		set(billing.ScopeCategory, e.cat["fresh"], 300) // the subtree of 生鲜食材
		if rate(e.shop, "vegetables") != 300 || rate(e.shop, "fresh") != 300 || rate(e.shop, "rice") != 500 {
			t.Fatal("category subtree override")
		}
		set(billing.ScopeCategory, e.cat["vegetables"], 200) // the nearest override wins
		set(billing.ScopeCategory, e.cat["vegetables"], 250) // and is replaced, not duplicated
		if rate(e.shop, "vegetables") != 250 || rate(e.shop, "meat") != 300 {
			t.Fatal("nearest category override")
		}
		set(billing.ScopeShop, e.shop.ID, 800) // the shop's rate wins over every category's
		if rate(e.shop, "vegetables") != 800 || rate(e.shop, "rice") != 800 || rate(e.shop2, "vegetables") != 250 {
			t.Fatal("shop override")
		}
		// OrderPaid uses the rates of the moment and stores them.
		if err := e.paid(billing.OrderMoney{OrderID: "p-1", ShopID: e.shop2.ID, Tender: "offline", Lines: []billing.OrderLine{
			{Ref: "veg", CategoryID: e.cat["vegetables"], NetFen: 10000}, {Ref: "pork", CategoryID: e.cat["meat"], NetFen: 10000},
			{Ref: "rice", CategoryID: e.cat["rice"], NetFen: 10000}}}); err != nil {
			t.Fatal(err)
		}
		if got := e.balance(billing.Commission); got != -(250 + 300 + 500) {
			t.Fatalf("commission %d", got)
		}
		// A tenant's default rate comes from its settings.
		tn := *e.tenant
		tn.Settings.CommissionBP = 600
		ctx6 := tenants.WithTenant(context.Background(), &tn)
		err := a.DB.RunInReadTx(ctx6, func(ctx context.Context, tx bun.IDB) error {
			if n, err := e.b.RateFor(ctx, tx, e.shop2.ID, e.cat["rice"]); err != nil || n != 600 {
				t.Fatalf("default from settings: %d %v", n, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		list, err := e.b.CommissionRates(e.ctx, e.admin)
		if err != nil || list.DefaultBP != 500 || len(list.Overrides) != 3 || list.Overrides[0].Scope != billing.ScopeShop ||
			list.Overrides[0].TargetName != e.shop.Name {
			t.Fatalf("list %+v %v", list, err)
		}
		if err := e.b.DeleteCommissionRate(e.ctx, e.admin, billing.ScopeShop, e.shop.ID); err != nil {
			t.Fatal(err)
		}
		if rate(e.shop, "vegetables") != 250 {
			t.Fatal("after deleting the shop override")
		}
		if err := e.b.DeleteCommissionRate(e.ctx, e.admin, billing.ScopeShop, e.shop.ID); code(err) != core.NotFound {
			t.Fatalf("delete twice: %v", err)
		}

		// Bad input and other people: nothing changes.
		staff := e.user("staff", authz.MerchantStaff, merchant.OwnerDomain(e.tenant.ID, e.shop.ID))
		other := newEnv(t, a)
		for name, c := range map[string]struct {
			err  error
			want core.Code
		}{
			"rate too high": {set2(e, e.admin, billing.ScopeShop, e.shop.ID, 10001), core.Invalid},
			"negative rate": {set2(e, e.admin, billing.ScopeShop, e.shop.ID, -1), core.Invalid},
			"owner":         {set2(e, e.owner, billing.ScopeShop, e.shop.ID, 100), core.Forbidden},
			"staff":         {set2(e, staff, billing.ScopeShop, e.shop.ID, 100), core.Forbidden},
			"bad scope":     {set2(e, e.admin, "region", e.shop.ID, 100), core.NotFound},
			"unknown shop":  {set2(e, e.admin, billing.ScopeShop, tenants.NewID(), 100), core.NotFound},
			"other's shop":  {set2(e, e.admin, billing.ScopeShop, other.shop.ID, 100), core.NotFound},
			"other's cat":   {set2(e, e.admin, billing.ScopeCategory, other.cat["rice"], 100), core.NotFound},
			"not a uuid":    {set2(e, e.admin, billing.ScopeCategory, "rice", 100), core.NotFound},
			"other admin":   {set2(other, other.admin, billing.ScopeShop, e.shop.ID, 100), core.NotFound},
			"anonymous":     {set2(e, nil, billing.ScopeShop, e.shop.ID, 100), core.Unauthenticated},
			"foreign admin": {set2(e, other.admin, billing.ScopeShop, e.shop.ID, 100), core.Unauthenticated},
		} {
			if code(c.err) != c.want {
				t.Errorf("%s: want %s, got %v", name, c.want, c.err)
			}
		}
		if _, err := e.b.CommissionRates(e.ctx, e.owner); code(err) != core.Forbidden {
			t.Errorf("owner lists rates: %v", err)
		}
		if err := e.b.DeleteCommissionRate(other.ctx, other.admin, billing.ScopeCategory, e.cat["vegetables"]); code(err) != core.NotFound {
			t.Errorf("other tenant deletes: %v", err)
		}
		list, _ = e.b.CommissionRates(e.ctx, e.admin)
		if len(list.Overrides) != 2 {
			t.Fatalf("overrides after refused changes: %+v", list.Overrides)
		}
	})
}

func set2(e *env, p *identity.Principal, scope, target string, bp int) error {
	_, err := e.b.SetCommissionRate(e.ctx, p, scope, target, bp)
	return err
}
