package report

import (
	"strconv"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core/billing"
	"github.com/uptrace/bun"
)

// Account kinds grouped the way the reports read them.
var (
	// tenderKinds are where shoppers' money for orders comes from
	// (billing.TenderAccount).
	tenderKinds = []string{billing.AccountOfflineReceivable, billing.AccountCustomerBalance, billing.AccountTenderClearing}
	// partyKinds are owned by a shop (or, for invoices, a pickup point).
	partyKinds = []string{billing.AccountShopPayable, billing.AccountOfflineReceivable, billing.AccountInvoiceReceivable}
	// floatKinds are what the platform owes shoppers and card holders.
	floatKinds = []string{billing.AccountCustomerBalance, billing.AccountStoredValue}
	// sourceKinds keep their owner in the tenant's series (the revenue
	// source, the card issuer, the provider).
	sourceKinds = []string{billing.AccountRevenue, billing.AccountStoredValue, billing.AccountTenderClearing}
	// orderKinds are the entries of one shop's order.
	orderKinds = []string{billing.KindOrderPaid, billing.KindOrderRefunded}
)

func isOneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

// flow is the sum of the postings of one group: in part "s" (the series)
// per bucket, entry kind, account kind and owner (for sourceKinds); in
// part "p" (parties) per shop or pickup point, entry kind and account
// kind, with bucket -1 before the period and 0 in it; in part "o" the
// number of order_paid entries per bucket; in the shop statement per
// bucket, entry kind and account kind. Bucket -1 is before the period.
type flow struct {
	Part  string `bun:"part"`
	B     int    `bun:"b"`
	Kind  string `bun:"kind"`
	AKind string `bun:"akind"`
	Owner string `bun:"owner"`
	Net   int64  `bun:"net"`
	N     int64  `bun:"n"`
}

// bucketExpr returns an SQL expression giving the bucket of p that the
// instant col falls in: -1 before p, 0 … len(p.Buckets)-1 inside (col must
// be before p.End). It is a balanced tree of comparisons, so a row costs
// log2(buckets) of them; args receives the bounds in the order of their
// placeholders. Times are compared as the dialect writes them (bun writes
// UTC "2006-01-02 15:04:05.999999+00:00" on both engines, which is also
// how created_at is stored on SQLite).
func bucketExpr(col string, p Period, args *[]any) string {
	bounds := make([]time.Time, len(p.Buckets)+1)
	for i, b := range p.Buckets {
		bounds[i] = b.Start
	}
	bounds[len(p.Buckets)] = p.End
	var tree func(lo, hi int) string
	tree = func(lo, hi int) string {
		if hi-lo == 1 {
			return strconv.Itoa(lo)
		}
		mid := (lo + hi) / 2
		*args = append(*args, bounds[mid])
		left := tree(lo, mid)
		right := tree(mid, hi)
		return "CASE WHEN " + col + " < ? THEN " + left + " ELSE " + right + " END"
	}
	*args = append(*args, bounds[0])
	return "CASE WHEN " + col + " < ? THEN -1 ELSE " + tree(0, len(p.Buckets)) + " END"
}

// tenantFlows is the one statement of the tenant report (one statement,
// so that its parts see the same snapshot of the ledger on both engines).
func tenantFlows(tenantID string, p Period) (string, []any) {
	var q strings.Builder
	var args []any
	// The series: every account, by bucket; before the period only the
	// float's accounts (their opening balance).
	bucket := bucketExpr("je.created_at", p, &args)
	q.WriteString(`SELECT 's' AS part, x.b AS b, x.kind AS kind, x.akind AS akind, x.owner AS owner,
	CAST(SUM(x.amt) AS bigint) AS net, CAST(0 AS bigint) AS n
FROM (SELECT ` + bucket + ` AS b, je.kind AS kind, po.account_kind AS akind,
		CASE WHEN po.account_kind IN (?) THEN po.account_owner ELSE '' END AS owner, po.amount_fen AS amt
	FROM postings po JOIN journal_entries je ON je.tenant_id = po.tenant_id AND je.id = po.entry_id
	WHERE po.tenant_id = ? AND je.created_at < ? AND (je.created_at >= ? OR po.account_kind IN (?))) x
GROUP BY x.b, x.kind, x.akind, x.owner
UNION ALL
`)
	args = append(args, bun.List(sourceKinds), tenantID, p.End, p.Start, bun.List(floatKinds))
	// The number of orders, by bucket.
	args = append(args, billing.KindOrderPaid) // the placeholder before the bucket's
	bucket = bucketExpr("je.created_at", p, &args)
	q.WriteString(`SELECT 'o', x.b, ?, '', '', CAST(0 AS bigint), CAST(COUNT(*) AS bigint)
FROM (SELECT ` + bucket + ` AS b FROM journal_entries je
	WHERE je.tenant_id = ? AND je.kind = ? AND je.created_at >= ? AND je.created_at < ?) x
GROUP BY x.b
UNION ALL
`)
	args = append(args, tenantID, billing.KindOrderPaid, p.Start, p.End)
	// The parties: their accounts before and in the period, and the
	// commission of their orders in the period.
	q.WriteString(`SELECT 'p', x.b, x.kind, x.akind, x.owner, CAST(SUM(x.amt) AS bigint), CAST(0 AS bigint)
FROM (SELECT CASE WHEN je.created_at < ? THEN -1 ELSE 0 END AS b, je.kind AS kind, po.account_kind AS akind,
		CASE WHEN po.account_kind IN (?) THEN po.account_owner ELSE COALESCE(CAST(lo.shop_id AS text), '') END AS owner,
		po.amount_fen AS amt
	FROM postings po JOIN journal_entries je ON je.tenant_id = po.tenant_id AND je.id = po.entry_id
	LEFT JOIN ledger_orders lo ON lo.tenant_id = je.tenant_id AND lo.order_ref = je.order_ref AND je.kind IN (?)
	WHERE po.tenant_id = ? AND je.created_at < ?
		AND (po.account_kind IN (?) OR (po.account_kind = ? AND je.kind IN (?) AND je.created_at >= ?))) x
GROUP BY x.b, x.kind, x.akind, x.owner`)
	args = append(args, p.Start, bun.List(partyKinds), bun.List(orderKinds), tenantID, p.End,
		bun.List(partyKinds), billing.AccountCommission, bun.List(orderKinds), p.Start)
	return q.String(), args
}

// shopFlows is the statement of the shop statement: the shop's accounts
// before and in the period, and the commission of its orders in the
// period, by bucket, entry kind and account kind.
func shopFlows(tenantID, shopID string, p Period) (string, []any) {
	var args []any
	bucket := bucketExpr("je.created_at", p, &args)
	q := `SELECT 'm' AS part, x.b AS b, x.kind AS kind, x.akind AS akind, '' AS owner,
	CAST(SUM(x.amt) AS bigint) AS net, CAST(0 AS bigint) AS n
FROM (SELECT ` + bucket + ` AS b, je.kind AS kind, po.account_kind AS akind, po.amount_fen AS amt
	FROM postings po JOIN journal_entries je ON je.tenant_id = po.tenant_id AND je.id = po.entry_id
	WHERE po.tenant_id = ? AND je.created_at < ? AND (
		(po.account_kind IN (?) AND po.account_owner = ?)
		OR (po.account_kind = ? AND je.kind IN (?) AND je.created_at >= ? AND je.order_ref IN (
			SELECT lo.order_ref FROM ledger_orders lo WHERE lo.tenant_id = ? AND lo.shop_id = ?)))) x
GROUP BY x.b, x.kind, x.akind`
	args = append(args, tenantID, p.End, bun.List(partyKinds), shopID,
		billing.AccountCommission, bun.List(orderKinds), p.Start, tenantID, shopID)
	return q, args
}
