package billing_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/billing/billingtest"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/uptrace/bun"
)

func TestShopStatementAndSummary(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a := newApp(t, d)
		e := newEnv(t, a)
		// An order paid offline (commission 50), the cash collected by
		// the shop, then an order paid by card (commission 100).
		if err := e.paid(billing.OrderMoney{OrderID: "s-1", OrderNumber: "N-1", ShopID: e.shop.ID, Tender: "offline",
			Lines: []billing.OrderLine{{Ref: "a", NetFen: 1000}}}); err != nil {
			t.Fatal(err)
		}
		err := e.tx(func(ctx context.Context, tx bun.IDB) error {
			return e.b.Collected(ctx, tx, billing.Collection{OrderID: "s-1", OrderNumber: "N-1", ShopID: e.shop.ID, AmountFen: 1000, ActorID: e.owner.UserID})
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.paid(billing.OrderMoney{OrderID: "s-2", OrderNumber: "N-2", ShopID: e.shop.ID, Tender: "stripe",
			Lines: []billing.OrderLine{{Ref: "a", NetFen: 2000}}}); err != nil {
			t.Fatal(err)
		}
		// Another shop's order does not show.
		if err := e.paid(billing.OrderMoney{OrderID: "s-3", ShopID: e.shop2.ID, Tender: "stripe",
			Lines: []billing.OrderLine{{Ref: "a", NetFen: 500}}}); err != nil {
			t.Fatal(err)
		}
		st, err := e.b.ShopStatement(e.ctx, e.owner, e.shop.ID, merchant.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			ref            string
			owed, recv, bl int64
		}
		var got []row
		for _, l := range st.Lines {
			got = append(got, row{l.Reference, l.OwedFen, l.ReceivableFen, l.BalanceFen})
		}
		want := []row{{"N-2", 1900, 0, 1850}, {"N-1", -1000, -1000, -50}, {"N-1", 950, 1000, 950}}
		if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Fatalf("statement %+v, want %+v", got, want)
		}
		if st.OwedFen != 1850 || st.ReceivableFen != 0 || st.Lines[1].Kind != billing.KindCollected {
			t.Fatalf("statement balance %+v", st.ShopBalance)
		}
		st, err = e.b.ShopStatement(e.ctx, e.admin, e.shop.ID, merchant.Page{Limit: 2, Offset: 1})
		if err != nil || len(st.Lines) != 2 || st.Lines[0].BalanceFen != -50 || st.Lines[1].BalanceFen != 950 {
			t.Fatalf("second page %+v %v", st, err)
		}
		b, err := e.b.ShopBalance(e.ctx, e.owner, e.shop.ID)
		if err != nil || b.OwedFen != 1850 {
			t.Fatalf("balance %+v %v", b, err)
		}
		empty, err := e.b.ShopStatement(e.ctx, e.owner2, e.shop2.ID, merchant.Page{Offset: 5})
		if err != nil || len(empty.Lines) != 0 || empty.OwedFen != 475 {
			t.Fatalf("past the end %+v %v", empty, err)
		}

		// Who may read it.
		staff := e.user("staff", authz.MerchantStaff, merchant.OwnerDomain(e.tenant.ID, e.shop.ID))
		buyer := e.user("buyer", "", "")
		other := newEnv(t, a)
		for name, c := range map[string]struct {
			ctx  context.Context
			p    any
			want core.Code
		}{
			"other shop's owner": {e.ctx, e.owner2, core.NotFound},
			"staff":              {e.ctx, staff, core.Forbidden},
			"shopper":            {e.ctx, buyer, core.NotFound},
			"other tenant admin": {other.ctx, other.admin, core.NotFound},
			"anonymous":          {e.ctx, nil, core.Unauthenticated},
		} {
			p := principal(c.p)
			if _, err := e.b.ShopStatement(c.ctx, p, e.shop.ID, merchant.Page{}); code(err) != c.want {
				t.Errorf("%s statement: want %s, got %v", name, c.want, err)
			}
			if _, err := e.b.ShopBalance(c.ctx, p, e.shop.ID); code(err) != c.want {
				t.Errorf("%s balance: want %s, got %v", name, c.want, err)
			}
		}
		if _, err := e.b.ShopStatement(e.ctx, e.admin, "not-a-shop", merchant.Page{}); code(err) != core.NotFound {
			t.Errorf("bad shop id: %v", err)
		}

		sum, err := e.b.Summary(e.ctx, e.admin)
		if err != nil || sum.SumFen != 0 || sum.Entries != 4 || len(sum.Kinds) != len(billing.AccountKinds) {
			t.Fatalf("summary %+v %v", sum, err)
		}
		kinds := map[string]int64{}
		for _, k := range sum.Kinds {
			kinds[k.Kind] = k.BalanceFen
		}
		if kinds[billing.AccountCommission] != -(50+100+25) || kinds[billing.AccountShopPayable] != -(1850+475) ||
			kinds[billing.AccountTenderClearing] != 2500 || kinds[billing.AccountOfflineReceivable] != 0 {
			t.Fatalf("summary kinds %+v", kinds)
		}
		if _, err := e.b.Summary(e.ctx, e.owner); code(err) != core.Forbidden {
			t.Fatalf("owner summary: %v", err)
		}
		// The other tenant's ledger is empty and knows nothing of these orders.
		if s, err := e.b.Summary(other.ctx, other.admin); err != nil || s.Entries != 0 {
			t.Fatalf("other tenant summary %+v %v", s, err)
		}
		if _, err := other.refund(billing.RefundMoney{OrderID: "s-2", Lines: []billing.RefundLine{{Ref: "a", AmountFen: 1}}}); code(err) != core.NotFound {
			t.Fatalf("other tenant refunds our order: %v", err)
		}
		if other.balance(billing.ShopPayable(e.shop.ID)) != 0 {
			t.Fatal("other tenant sees our shop's payable")
		}
		billingtest.AssertBalanced(t, d)
	})
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	msgs []string
}

func (r *recorder) Errorf(format string, args ...any) { r.msgs = append(r.msgs, format) }
func (r *recorder) Fatalf(format string, args ...any) { r.msgs = append(r.msgs, "fatal: "+format) }
func (r *recorder) Helper()                           {}

func TestAssertBalancedCatchesDamage(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		if err := e.paid(billing.OrderMoney{OrderID: "d-1", ShopID: e.shop.ID, Tender: "stripe",
			Lines: []billing.OrderLine{{Ref: "a", NetFen: 1000}}}); err != nil {
			t.Fatal(err)
		}
		r := &recorder{TB: t}
		billingtest.AssertBalanced(r, d)
		if len(r.msgs) != 0 {
			t.Fatalf("balanced ledger reported: %v", r.msgs)
		}
		// A posting written behind the ledger's back, and a balance that
		// the ledger never heard of.
		err := e.tx(func(ctx context.Context, tx bun.IDB) error {
			if _, err := tx.NewRaw(`INSERT INTO postings (tenant_id, entry_id, line_no, account_kind, account_owner, amount_fen)
				SELECT tenant_id, id, 99, 'platform_cash', '', 7 FROM journal_entries WHERE tenant_id = ?`, e.tenant.ID).Exec(ctx); err != nil {
				return err
			}
			_, err := tx.NewRaw(`INSERT INTO customer_balances (tenant_id, user_id, balance_fen, updated_at) VALUES (?, ?, 500, CURRENT_TIMESTAMP)`,
				e.tenant.ID, e.owner.UserID).Exec(ctx)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		r = &recorder{TB: t}
		billingtest.AssertBalanced(r, d)
		all := strings.Join(r.msgs, "\n")
		if !strings.Contains(all, "postings sum") || !strings.Contains(all, "entry %s") || !strings.Contains(all, "stored but") {
			t.Fatalf("damage not reported: %v", r.msgs)
		}
		// Repair it: the PostgreSQL database is shared by the package's tests.
		err = e.tx(func(ctx context.Context, tx bun.IDB) error {
			if _, err := tx.NewRaw(`DELETE FROM postings WHERE tenant_id = ? AND line_no = 99`, e.tenant.ID).Exec(ctx); err != nil {
				return err
			}
			_, err := tx.NewRaw(`DELETE FROM customer_balances WHERE tenant_id = ?`, e.tenant.ID).Exec(ctx)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		billingtest.AssertBalanced(t, d)
	})
}
