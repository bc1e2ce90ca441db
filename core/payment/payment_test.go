package payment_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/billing/billingtest"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/payment"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// credit puts n fen on user's balance.
func (e *env) credit(user string, n int64) {
	e.t.Helper()
	err := e.tx(func(ctx context.Context, tx bun.IDB) error {
		return e.pay.Balance.Credit(ctx, tx, payment.Credit{UserID: user, AmountFen: n, Reference: "test"})
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) balanceOf(user string) int64 {
	e.t.Helper()
	var n int64
	err := e.a.DB.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		n, err = e.pay.Balance.BalanceOf(ctx, tx, user)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// checkout is what the checkout does in its transaction: start the
// payment, then post each order that is paid or due to the ledger (one
// line per order, all of it the shop's goods).
func (e *env) checkout(provider, user string, parts ...payment.NewPart) (*payment.Payment, error) {
	var p *payment.Payment
	err := e.tx(func(ctx context.Context, tx bun.IDB) (err error) {
		p, err = e.pay.Start(ctx, tx, payment.NewPayment{GroupRef: "g-" + tenants.NewID(), Provider: provider, UserID: user, Parts: parts})
		if err != nil || p.Status == payment.StatusPending {
			return err
		}
		for _, pt := range parts {
			err := e.b.OrderPaid(ctx, tx, billing.OrderMoney{OrderID: pt.OrderRef, ShopID: pt.ShopID, Tender: provider, UserID: user,
				Lines: []billing.OrderLine{{Ref: "l", NetFen: pt.AmountFen}}})
			if err != nil {
				return err
			}
		}
		return nil
	})
	return p, err
}

// refund is what the order package does for a refund of an order's line.
func (e *env) refund(p *payment.Payment, orderID string, n int64) (*payment.Payment, error) {
	var out *payment.Payment
	err := e.tx(func(ctx context.Context, tx bun.IDB) (err error) {
		if out, err = e.pay.Refund(ctx, tx, p.ID, orderID, n, "RF-"+orderID); err != nil {
			return err
		}
		return e.b.OrderRefunded(ctx, tx, billing.RefundMoney{OrderID: orderID, Reference: "RF-" + orderID,
			Lines: []billing.RefundLine{{Ref: "l", AmountFen: n}}})
	})
	return out, err
}

func (e *env) get(ctx context.Context, id string) (*payment.Payment, error) {
	var p *payment.Payment
	err := e.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		p, err = e.pay.Get(ctx, tx, id)
		return err
	})
	return p, err
}

func (e *env) payments() int {
	e.t.Helper()
	var n int
	err := e.a.DB.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) error {
		c, err := tx.NewSelect().Table("payments").Where("tenant_id = ?", e.tenant.ID).Count(ctx)
		n = int(c)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestBalanceConcurrentPayments(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		buyer := e.user("buyer", "", "")
		e.credit(buyer.UserID, 200)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, short := 0, 0
		var other []error
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.checkout(payment.ProviderBalance, buyer.UserID,
					payment.NewPart{OrderRef: "c-" + strconv.Itoa(i), ShopID: e.shop.ID, AmountFen: 10})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case code(err) == core.Conflict:
					short++
				default:
					other = append(other, err)
				}
			}()
		}
		wg.Wait()
		if ok != 20 || short != 30 || len(other) != 0 {
			t.Fatalf("%d paid, %d short, errors %v; want 20 paid and 30 short", ok, short, other)
		}
		if b := e.balanceOf(buyer.UserID); b != 0 {
			t.Fatalf("balance %d, want 0", b)
		}
		if e.payments() != 20 || e.balance(billing.CustomerBalance(buyer.UserID)) != 0 ||
			e.balance(billing.ShopPayable(e.shop.ID)) != -(200-20*1) { // 10 fen at 5% is 0.5 → 1 fen each
			t.Fatalf("payments %d, ledger balance %d, payable %d", e.payments(),
				e.balance(billing.CustomerBalance(buyer.UserID)), e.balance(billing.ShopPayable(e.shop.ID)))
		}
		billingtest.AssertBalanced(t, d)
	})
}

func TestBalancePayAndRefund(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		buyer := e.user("buyer", "", "")
		e.credit(buyer.UserID, 600)
		e.credit(buyer.UserID, 400)
		if b := e.balanceOf(buyer.UserID); b != 1000 || e.balance(billing.PlatformCash) != 1000 {
			t.Fatalf("credited %d", b)
		}
		// Short by 1 fen: refused, nothing written.
		if _, err := e.checkout(payment.ProviderBalance, buyer.UserID, payment.NewPart{OrderRef: "x", ShopID: e.shop.ID, AmountFen: 1001}); code(err) != core.Conflict {
			t.Fatalf("overspend: %v", err)
		}
		if e.payments() != 0 || e.balanceOf(buyer.UserID) != 1000 {
			t.Fatal("a refused payment wrote")
		}
		p, err := e.checkout(payment.ProviderBalance, buyer.UserID,
			payment.NewPart{OrderRef: "o-a", ShopID: e.shop.ID, AmountFen: 400}, payment.NewPart{OrderRef: "o-b", ShopID: e.shop2.ID, AmountFen: 200})
		if err != nil || p.Status != payment.StatusPaid || p.AmountFen != 600 || len(p.Parts) != 2 {
			t.Fatalf("pay %+v %v", p, err)
		}
		if e.balanceOf(buyer.UserID) != 400 || e.balance(billing.CustomerBalance(buyer.UserID)) != -400 {
			t.Fatal("balance after paying")
		}
		if p, err = e.refund(p, "o-a", 150); err != nil || p.Status != payment.StatusPartiallyRefunded {
			t.Fatalf("refund %+v %v", p, err)
		}
		if e.balanceOf(buyer.UserID) != 550 {
			t.Fatalf("balance after refund %d", e.balanceOf(buyer.UserID))
		}
		// 250 of o-a is left: 251 is refused and changes nothing.
		if _, err := e.refund(p, "o-a", 251); code(err) != core.Conflict {
			t.Fatalf("over-refund: %v", err)
		}
		if e.balanceOf(buyer.UserID) != 550 {
			t.Fatal("a refused refund credited the balance")
		}
		if _, err := e.refund(p, "o-a", 250); err != nil {
			t.Fatal(err)
		}
		if p, err = e.refund(p, "o-b", 200); err != nil || p.Status != payment.StatusRefunded || p.Parts[0].RefundedFen != 400 {
			t.Fatalf("refund all %+v %v", p, err)
		}
		if e.balanceOf(buyer.UserID) != 1000 || e.balance(billing.ShopPayable(e.shop.ID)) != 0 || e.balance(billing.Commission) != 0 {
			t.Fatal("balances after refunding everything")
		}
		if _, err := e.refund(p, "o-b", 1); code(err) != core.Conflict {
			t.Fatalf("refund of a refunded payment: %v", err)
		}
		mine, err := e.pay.Balance.Mine(e.ctx, buyer)
		if err != nil || mine.BalanceFen != 1000 || mine.UserID != buyer.UserID {
			t.Fatalf("mine %+v %v", mine, err)
		}
		billingtest.AssertBalanced(t, d)
	})
}

func TestOfflineCollect(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		buyer := e.user("buyer", "", "")
		p, err := e.checkout(payment.ProviderOffline, buyer.UserID,
			payment.NewPart{OrderRef: "o1", ShopID: e.shop.ID, AmountFen: 1000}, payment.NewPart{OrderRef: "o2", ShopID: e.shop2.ID, AmountFen: 500})
		if err != nil || p.Status != payment.StatusDue {
			t.Fatalf("offline %+v %v", p, err)
		}
		recvA, payA := billing.OfflineReceivable(e.shop.ID), billing.ShopPayable(e.shop.ID)
		recvB, payB := billing.OfflineReceivable(e.shop2.ID), billing.ShopPayable(e.shop2.ID)
		if e.balance(recvA) != 1000 || e.balance(payA) != -950 {
			t.Fatal("receivable after checkout")
		}
		collect := func(orderID string) (*payment.Part, error) {
			var pt *payment.Part
			err := e.tx(func(ctx context.Context, tx bun.IDB) (err error) {
				pt, err = e.pay.Offline.Collect(ctx, tx, p.ID, orderID, e.owner.UserID)
				return err
			})
			return pt, err
		}
		// Before collection a refund only lowers what is due.
		if p, err = e.refund(p, "o1", 200); err != nil || p.Status != payment.StatusDue {
			t.Fatalf("refund before collection %+v %v", p, err)
		}
		if e.balance(recvA) != 800 || e.balance(payA) != -760 { // commission 50 − 10 reversed
			t.Fatalf("after refund: receivable %d payable %d", e.balance(recvA), e.balance(payA))
		}
		pt, err := collect("o1")
		if err != nil || pt.CollectedFen != 800 || pt.CollectedAt == nil {
			t.Fatalf("collect %+v %v", pt, err)
		}
		// The shop keeps the 800 in cash and owes the platform its 40 fen commission.
		if e.balance(recvA) != 0 || e.balance(payA) != 40 {
			t.Fatalf("after collection: receivable %d payable %d", e.balance(recvA), e.balance(payA))
		}
		if _, err := collect("o1"); code(err) != core.Conflict {
			t.Fatalf("collected twice: %v", err)
		}
		if got, _ := e.get(e.ctx, p.ID); got.Status != payment.StatusDue {
			t.Fatalf("o2 is still due: %s", got.Status)
		}
		if _, err := collect("o2"); err != nil {
			t.Fatal(err)
		}
		got, err := e.get(e.ctx, p.ID)
		if err != nil || got.Status != payment.StatusPartiallyRefunded {
			t.Fatalf("after collecting all %+v %v", got, err)
		}
		// After collection a refund is cash the shop hands back.
		if _, err := e.refund(p, "o2", 100); err != nil {
			t.Fatal(err)
		}
		if e.balance(recvB) != 0 || e.balance(payB) != 20 { // the commission on the 400 kept
			t.Fatalf("after cash refund: receivable %d payable %d", e.balance(recvB), e.balance(payB))
		}
		if _, err := e.refund(p, "o1", 801); code(err) != core.Conflict {
			t.Fatalf("over-refund: %v", err)
		}
		if _, err := e.refund(p, "o1", 800); err != nil {
			t.Fatal(err)
		}
		if e.balance(recvA) != 0 || e.balance(payA) != 0 {
			t.Fatalf("after refunding o1: receivable %d payable %d", e.balance(recvA), e.balance(payA))
		}
		// A balance payment is never collected.
		e.credit(buyer.UserID, 50)
		bp, err := e.checkout(payment.ProviderBalance, buyer.UserID, payment.NewPart{OrderRef: "o3", ShopID: e.shop.ID, AmountFen: 50})
		if err != nil {
			t.Fatal(err)
		}
		err = e.tx(func(ctx context.Context, tx bun.IDB) error {
			_, err := e.pay.Offline.Collect(ctx, tx, bp.ID, "o3", "")
			return err
		})
		if code(err) != core.Conflict {
			t.Fatalf("collecting a balance payment: %v", err)
		}
		billingtest.AssertBalanced(t, d)
	})
}

func TestPaymentBadInput(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a := newApp(t, d)
		e := newEnv(t, a)
		buyer := e.user("buyer", "", "")
		part := func() []payment.NewPart {
			return []payment.NewPart{{OrderRef: "o", ShopID: e.shop.ID, AmountFen: 100}}
		}
		for name, c := range map[string]struct {
			in    payment.NewPayment
			field string
		}{
			"no group":         {payment.NewPayment{Provider: "offline", Parts: part()}, "group_ref"},
			"unknown provider": {payment.NewPayment{GroupRef: "g", Provider: "stripe", Parts: part()}, "provider"},
			"bad user":         {payment.NewPayment{GroupRef: "g", Provider: "offline", UserID: "me", Parts: part()}, "user_id"},
			"no parts":         {payment.NewPayment{GroupRef: "g", Provider: "offline"}, "parts"},
			"no order":         {payment.NewPayment{GroupRef: "g", Provider: "offline", Parts: []payment.NewPart{{ShopID: e.shop.ID, AmountFen: 1}}}, "parts.0.order_ref"},
			"twice":            {payment.NewPayment{GroupRef: "g", Provider: "offline", Parts: append(part(), part()...)}, "parts.1.order_ref"},
			"bad shop":         {payment.NewPayment{GroupRef: "g", Provider: "offline", Parts: []payment.NewPart{{OrderRef: "o", ShopID: "s", AmountFen: 1}}}, "parts.0.shop_id"},
			"negative":         {payment.NewPayment{GroupRef: "g", Provider: "offline", Parts: []payment.NewPart{{OrderRef: "o", ShopID: e.shop.ID, AmountFen: -1}}}, "parts.0.amount_fen"},
			"huge":             {payment.NewPayment{GroupRef: "g", Provider: "offline", Parts: []payment.NewPart{{OrderRef: "o", ShopID: e.shop.ID, AmountFen: payment.MaxAmountFen + 1}}}, "parts.0.amount_fen"},
			"zero total":       {payment.NewPayment{GroupRef: "g", Provider: "offline", Parts: []payment.NewPart{{OrderRef: "o", ShopID: e.shop.ID}}}, "amount_fen"},
		} {
			err := e.tx(func(ctx context.Context, tx bun.IDB) error { _, err := e.pay.Start(ctx, tx, c.in); return err })
			if code(err) != core.Invalid || fields(err)[c.field] == "" {
				t.Errorf("%s: want invalid %s, got %v", name, c.field, err)
			}
		}
		other := newEnv(t, a)
		for name, in := range map[string]payment.NewPayment{
			"unknown shop":  {GroupRef: "g", Provider: "offline", Parts: []payment.NewPart{{OrderRef: "o", ShopID: tenants.NewID(), AmountFen: 1}}},
			"other's shop":  {GroupRef: "g", Provider: "offline", Parts: []payment.NewPart{{OrderRef: "o", ShopID: other.shop.ID, AmountFen: 1}}},
			"other's buyer": {GroupRef: "g", Provider: "balance", UserID: other.owner.UserID, Parts: part()},
		} {
			err := e.tx(func(ctx context.Context, tx bun.IDB) error { _, err := e.pay.Start(ctx, tx, in); return err })
			if code(err) != core.NotFound {
				t.Errorf("%s: want not found, got %v", name, err)
			}
		}
		if err := e.tx(func(ctx context.Context, tx bun.IDB) error {
			_, err := e.pay.Start(ctx, tx, payment.NewPayment{GroupRef: "g", Provider: "balance", Parts: part()})
			return err
		}); code(err) != core.Conflict {
			t.Errorf("balance without a shopper: %v", err)
		}
		if e.payments() != 0 {
			t.Fatal("bad payments were written")
		}

		// Credits.
		for name, c := range map[string]struct {
			c     payment.Credit
			field string
		}{
			"zero":      {payment.Credit{UserID: buyer.UserID}, "amount_fen"},
			"negative":  {payment.Credit{UserID: buyer.UserID, AmountFen: -5}, "amount_fen"},
			"too much":  {payment.Credit{UserID: buyer.UserID, AmountFen: payment.MaxCreditFen + 1}, "amount_fen"},
			"long memo": {payment.Credit{UserID: buyer.UserID, AmountFen: 5, Memo: string(make([]rune, 201))}, "memo"},
		} {
			err := e.tx(func(ctx context.Context, tx bun.IDB) error { return e.pay.Balance.Credit(ctx, tx, c.c) })
			if code(err) != core.Invalid || fields(err)[c.field] == "" {
				t.Errorf("credit %s: want invalid %s, got %v", name, c.field, err)
			}
		}
		for name, user := range map[string]string{"unknown": tenants.NewID(), "other tenant's": other.owner.UserID, "not an id": "bob"} {
			err := e.tx(func(ctx context.Context, tx bun.IDB) error {
				return e.pay.Balance.Credit(ctx, tx, payment.Credit{UserID: user, AmountFen: 5})
			})
			if code(err) != core.NotFound {
				t.Errorf("credit %s user: %v", name, err)
			}
		}
		if _, err := e.pay.Balance.CreditCustomer(e.ctx, e.admin, buyer.UserID, 100, " "); fields(err)["reason"] == "" {
			t.Errorf("credit without a reason: %v", err)
		}
		if _, err := e.pay.Balance.CreditCustomer(e.ctx, e.owner, buyer.UserID, 100, "goodwill"); code(err) != core.Forbidden {
			t.Errorf("owner credits: %v", err)
		}
		if _, err := e.pay.Balance.CreditCustomer(other.ctx, other.admin, buyer.UserID, 100, "goodwill"); code(err) != core.NotFound {
			t.Errorf("other tenant credits our shopper: %v", err)
		}
		if e.balanceOf(buyer.UserID) != 0 {
			t.Fatal("bad credits were written")
		}
		cb, err := e.pay.Balance.CreditCustomer(e.ctx, e.admin, buyer.UserID, 100, "补偿：配送延误")
		if err != nil || cb.BalanceFen != 100 {
			t.Fatalf("credit %+v %v", cb, err)
		}

		// Refunds and collections of what does not exist, or is another tenant's.
		p, err := e.checkout(payment.ProviderOffline, buyer.UserID, payment.NewPart{OrderRef: "o", ShopID: e.shop.ID, AmountFen: 100})
		if err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]struct {
			ctx     context.Context
			id, ord string
			n       int64
			want    core.Code
		}{
			"zero":            {e.ctx, p.ID, "o", 0, core.Invalid},
			"unknown payment": {e.ctx, tenants.NewID(), "o", 1, core.NotFound},
			"unknown order":   {e.ctx, p.ID, "zz", 1, core.NotFound},
			"other tenant":    {other.ctx, p.ID, "o", 1, core.NotFound},
		} {
			err := e.a.DB.RunInTx(c.ctx, func(ctx context.Context, tx bun.IDB) error {
				_, err := e.pay.Refund(ctx, tx, c.id, c.ord, c.n, "r")
				return err
			})
			if code(err) != c.want {
				t.Errorf("refund %s: want %s, got %v", name, c.want, err)
			}
		}
		err = other.tx(func(ctx context.Context, tx bun.IDB) error {
			_, err := e.pay.Offline.Collect(ctx, tx, p.ID, "o", "")
			return err
		})
		if code(err) != core.NotFound {
			t.Errorf("other tenant collects: %v", err)
		}
		if _, err := e.get(other.ctx, p.ID); code(err) != core.NotFound {
			t.Errorf("other tenant reads the payment: %v", err)
		}
		if _, err := e.pay.Balance.Mine(other.ctx, buyer); code(err) != core.Unauthenticated {
			t.Errorf("balance on another tenant: %v", err)
		}
		billingtest.AssertBalanced(t, d)
	})
}

// card is a provider in the manner of Stripe PaymentIntents: the payment
// waits for the shopper's browser and settles by webhook.
type card struct{ refunds int }

func (*card) Name() string { return "card" }
func (*card) Pay(ctx context.Context, tx bun.IDB, p *payment.Payment) (string, error) {
	p.ProviderRef = "pi_" + p.ID[:8]
	p.ClientData = map[string]string{"client_secret": p.ProviderRef + "_secret"}
	return payment.StatusPending, nil
}
func (c *card) Refund(context.Context, bun.IDB, *payment.Payment, string, int64, string) error {
	c.refunds++
	return nil
}

func TestPendingProviderSettles(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		c := &card{}
		e.pay.Registry.Register(c)
		func() {
			defer func() {
				if recover() == nil {
					t.Error("registering a provider twice did not panic")
				}
			}()
			e.pay.Registry.Register(&card{})
		}()
		if names := e.pay.Registry.Names(); len(names) != 3 || names[0] != "balance" || names[1] != "card" {
			t.Fatalf("providers %v", names)
		}
		p, err := e.checkout("card", "", payment.NewPart{OrderRef: "o", ShopID: e.shop.ID, AmountFen: 1000})
		if err != nil || p.Status != payment.StatusPending || p.ClientData["client_secret"] == "" {
			t.Fatalf("pending %+v %v", p, err)
		}
		got, err := e.get(e.ctx, p.ID)
		if err != nil || got.ProviderRef != p.ProviderRef || got.ClientData != nil {
			t.Fatalf("stored %+v %v", got, err)
		}
		if _, err := e.refund(p, "o", 1); code(err) != core.Conflict {
			t.Fatalf("refund of a pending payment: %v", err)
		}
		settle := func(status string) (*payment.Payment, error) {
			var out *payment.Payment
			err := e.tx(func(ctx context.Context, tx bun.IDB) (err error) {
				out, err = e.pay.Settle(ctx, tx, p.ID, status)
				if err == nil && status == payment.StatusPaid { // the webhook posts the order then
					err = e.b.OrderPaid(ctx, tx, billing.OrderMoney{OrderID: "o", ShopID: e.shop.ID, Tender: "card",
						Lines: []billing.OrderLine{{Ref: "l", NetFen: 1000}}})
				}
				return err
			})
			return out, err
		}
		if _, err := settle(payment.StatusDue); code(err) != core.Invalid {
			t.Fatalf("settle due: %v", err)
		}
		if p, err = settle(payment.StatusPaid); err != nil || p.Status != payment.StatusPaid {
			t.Fatalf("settle %+v %v", p, err)
		}
		if _, err := settle(payment.StatusFailed); code(err) != core.Conflict {
			t.Fatalf("settled twice: %v", err)
		}
		if e.balance(billing.TenderClearing("card")) != 1000 {
			t.Fatal("card clearing")
		}
		if _, err := e.refund(p, "o", 300); err != nil || c.refunds != 1 {
			t.Fatalf("refund %v, provider refunds %d", err, c.refunds)
		}
		if e.balance(billing.TenderClearing("card")) != 700 {
			t.Fatal("card clearing after refund")
		}
		billingtest.AssertBalanced(t, d)
	})
}
