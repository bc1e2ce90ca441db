// Package billingtest checks the ledger's invariants in other packages'
// scenario tests: call AssertBalanced after every step that moves money.
package billingtest

import (
	"context"
	"testing"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// AssertBalanced fails t unless, in every tenant of d: the postings sum to
// zero; every journal entry has at least two postings that sum to zero;
// and every shopper's stored balance (customer_balances) equals the credit
// balance of their customer_balance account in the ledger.
func AssertBalanced(t testing.TB, d *db.DB) {
	t.Helper()
	ctx := context.Background()
	var ts []*tenants.Tenant
	if err := d.NewSelect().Model(&ts).Scan(ctx); err != nil {
		t.Fatalf("billingtest: list tenants: %v", err)
	}
	for _, tn := range ts {
		tctx := tenants.WithTenant(ctx, tn)
		err := d.RunInReadTx(tctx, func(ctx context.Context, tx bun.IDB) error {
			var sum int64
			if err := tx.NewRaw(`SELECT CAST(COALESCE(SUM(amount_fen), 0) AS bigint) FROM postings WHERE tenant_id = ?`, tn.ID).Scan(ctx, &sum); err != nil {
				return err
			}
			if sum != 0 {
				t.Errorf("billingtest: tenant %s: postings sum to %d fen, want 0", tn.Slug, sum)
			}
			var bad []struct {
				ID    string `bun:"id"`
				Lines int    `bun:"lines"`
				Sum   int64  `bun:"sum"`
			}
			err := tx.NewRaw(`SELECT je.id, COUNT(po.line_no) AS lines, CAST(COALESCE(SUM(po.amount_fen), 0) AS bigint) AS sum
				FROM journal_entries je LEFT JOIN postings po ON po.tenant_id = je.tenant_id AND po.entry_id = je.id
				WHERE je.tenant_id = ? GROUP BY je.id
				HAVING COUNT(po.line_no) < 2 OR COALESCE(SUM(po.amount_fen), 0) <> 0`, tn.ID).Scan(ctx, &bad)
			if err != nil {
				return err
			}
			for _, b := range bad {
				t.Errorf("billingtest: tenant %s: entry %s has %d lines summing to %d fen", tn.Slug, b.ID, b.Lines, b.Sum)
			}
			var diff []struct {
				UserID string `bun:"user_id"`
				Stored int64  `bun:"stored"`
				Ledger int64  `bun:"ledger"`
			}
			err = tx.NewRaw(`SELECT u.user_id, CAST(COALESCE(cb.balance_fen, 0) AS bigint) AS stored,
				CAST(COALESCE((SELECT -SUM(po.amount_fen) FROM postings po WHERE po.tenant_id = ? AND po.account_kind = 'customer_balance'
				  AND po.account_owner = u.user_id), 0) AS bigint) AS ledger
				FROM (SELECT CAST(user_id AS text) AS user_id FROM customer_balances WHERE tenant_id = ?
				      UNION SELECT account_owner FROM postings WHERE tenant_id = ? AND account_kind = 'customer_balance') u
				LEFT JOIN customer_balances cb ON cb.tenant_id = ? AND CAST(cb.user_id AS text) = u.user_id`,
				tn.ID, tn.ID, tn.ID, tn.ID).Scan(ctx, &diff)
			if err != nil {
				return err
			}
			for _, x := range diff {
				if x.Stored != x.Ledger {
					t.Errorf("billingtest: tenant %s: shopper %s has %d fen stored but %d fen in the ledger", tn.Slug, x.UserID, x.Stored, x.Ledger)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("billingtest: tenant %s: %v", tn.Slug, err)
		}
	}
}
