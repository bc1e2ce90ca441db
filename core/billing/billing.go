// Package billing is the marketplace's double-entry ledger: every money
// movement is one journal entry whose postings sum to zero, written in the
// same transaction as the change that caused it (checkout, a refund, a
// collection, a top-up). Amounts are int64 fen; a debit is positive and a
// credit negative, so the sum of all postings of a tenant is always zero
// (Sum) and an account's balance is the sum of its postings (Balance).
//
// # Chart of accounts
//
// An account is a kind plus an owner:
//
//	kind                owner         nature     meaning of its balance
//	shop_payable        shop id       liability  credit: what the platform owes the shop
//	                                             (debit: what the shop owes the platform)
//	offline_receivable  shop id       asset      debit: cash shoppers still owe for
//	                                             orders paid offline, to be collected
//	                                             by the shop (pay on pickup/delivery)
//	customer_balance    user id       liability  credit: the shopper's stored balance
//	                                             (惠农通) the platform owes back
//	tender_clearing     provider      asset      debit: money a payment provider
//	                                             (stripe, a gift-card plugin) holds
//	                                             for the platform until payout
//	platform_commission ""            revenue    credit: commission earned
//	platform_promotion  ""            expense    debit: platform-funded discounts
//	platform_cash       ""            asset      debit: money received for balance
//	                                             top-ups and invoices paid offline
//	platform_revenue    source        revenue    credit: what the platform billed
//	                                             merchants and pickup points, by
//	                                             source (plan, franchise, sms, ads,
//	                                             storage, usage)
//	invoice_receivable  shop or       asset      debit: what a merchant or pickup
//	                    pickup point id          point owes on issued invoices
//	stored_value        issuer        liability  credit: value of stored-value cards
//	                                             issued and not yet redeemed ("" for
//	                                             the platform, else the plugin name)
//
// The tender of an order (TenderAccount) is the account its shopper's
// money comes from: offline_receivable of the order's shop for "offline",
// customer_balance of the shopper for "balance", tender_clearing of the
// provider for any other provider.
//
// # Entries
//
// order_paid (OrderPaid): debit the tender with what the shopper paid,
// debit platform_promotion with the platform-funded discounts (of goods,
// and of shipping when the platform funded it), credit shop_payable with
// goods net of shop-funded discounts plus shipping (plus a platform-funded
// shipping discount) less commission, credit platform_commission.
//
// Commission is charged per order line on the goods net of shop-funded
// discounts (platform-funded discounts do not lower it; shipping carries
// none) at the line's rate in basis points: the shop's override, else the
// override of the line's category or of its nearest ancestor that has one,
// else the tenant's default (tenants.Settings.Commission). It is rounded
// half up to the fen: commission = ⌊(net × rate + 5000) / 10000⌋. The
// rate and commission of every line are stored with the order
// (ledger_order_lines) so that refunds reverse exactly what was charged.
//
// order_refunded (OrderRefunded): credit the tender with the amount given
// back, and reverse in proportion the line's commission (debit
// platform_commission) and platform-funded discount (credit
// platform_promotion), debiting shop_payable with the rest. The reversal
// is computed on the cumulative refund of the line, rounded half up:
// reversed so far = round(commission × refunded so far / paid), so the
// reversals of a line never exceed what was charged for it and the refund
// that completes the line takes exactly the remainder. Shipping refunds
// reverse a platform-funded shipping discount the same way.
//
// offline_collected (Collected): the shop collected cash for an order paid
// offline and keeps it, so the platform owes the shop that much less:
// debit shop_payable, credit offline_receivable. offline_cash_returned
// (CashReturned): the shop gave collected cash back to the shopper for a
// refund (which OrderRefunded credited to the receivable): debit
// offline_receivable, credit shop_payable.
//
// balance_credit (BalanceCredited): a shopper's balance was topped up
// (or credited by support): debit platform_cash, credit customer_balance.
//
// Every method works in the tenant carried by ctx; ids of other tenants
// are not found.
package billing

import (
	"context"
	"fmt"
	"math/bits"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// The account kinds of the chart of accounts (see the package doc).
const (
	AccountShopPayable       = "shop_payable"
	AccountOfflineReceivable = "offline_receivable"
	AccountCustomerBalance   = "customer_balance"
	AccountTenderClearing    = "tender_clearing"
	AccountCommission        = "platform_commission"
	AccountPromotion         = "platform_promotion"
	AccountPlatformCash      = "platform_cash"
	AccountRevenue           = "platform_revenue"
	AccountInvoiceReceivable = "invoice_receivable"
	AccountStoredValue       = "stored_value"
)

// Revenue sources (owners of platform_revenue).
const (
	RevenuePlan      = "plan"
	RevenueFranchise = "franchise"
	RevenueSMS       = "sms"
	RevenueAds       = "ads"
	RevenueStorage   = "storage"
	RevenueUsage     = "usage" // any other metered usage
)

// RevenueSources lists the sources of platform_revenue, with commission
// (its own account) as the reports show them.
var RevenueSources = []string{RevenuePlan, RevenueFranchise, RevenueSMS, RevenueAds, RevenueStorage, RevenueUsage}

// AccountKinds lists the kinds of the chart of accounts.
var AccountKinds = []string{
	AccountShopPayable, AccountOfflineReceivable, AccountCustomerBalance, AccountTenderClearing,
	AccountCommission, AccountPromotion, AccountPlatformCash, AccountRevenue, AccountInvoiceReceivable,
	AccountStoredValue,
}

// Entry kinds written by this package.
const (
	KindOrderPaid       = "order_paid"
	KindOrderRefunded   = "order_refunded"
	KindCollected       = "offline_collected"
	KindCashReturned    = "offline_cash_returned"
	KindBalanceCredited = "balance_credit"
)

// Entry kinds posted by other packages, named here so that reports and
// statements agree on them.
const (
	// KindPayout: a shop's share left the platform (a Stripe Connect
	// transfer): debit shop_payable, credit the tender it left from.
	KindPayout = "payout"
	// KindPayoutReversed: a payout came back (a refund reversed the
	// transfer): debit the tender, credit shop_payable.
	KindPayoutReversed = "payout_reversed"
	// KindUsage: metered usage billed as it happens (SMS, ad-slot
	// bookings, storage): debit invoice_receivable, credit
	// platform_revenue of its source.
	KindUsage = "usage"
	// KindInvoiceIssued: an invoice's fees (plans, franchise) less its
	// promotional credits: debit invoice_receivable, credit
	// platform_revenue (credits: debit platform_promotion).
	KindInvoiceIssued = "invoice_issued"
	// KindInvoiceSettled: an invoice paid from what the platform owed the
	// shop: debit shop_payable, credit invoice_receivable.
	KindInvoiceSettled = "invoice_settled"
	// KindInvoicePaid: an invoice paid by Stripe or offline: debit the
	// tender (tender_clearing or platform_cash), credit
	// invoice_receivable.
	KindInvoicePaid = "invoice_paid"
	// KindInvoiceVoided: an issued invoice voided: the reverse of what it
	// still had receivable.
	KindInvoiceVoided = "invoice_voided"
	// KindStoredValueIssued: a stored-value card sold or issued: debit
	// the tender (or platform_promotion for a gift), credit stored_value.
	KindStoredValueIssued = "stored_value_issued"
	// KindStoredValueRedeemed: a card's code redeemed into a shopper's
	// balance: debit stored_value, credit customer_balance.
	KindStoredValueRedeemed = "stored_value_redeemed"
	// KindTopUp: a shopper topped up the balance through a payment
	// provider: debit the tender, credit customer_balance.
	KindTopUp = "balance_topup"
)

// Tenders with an account of their own (TenderAccount); any other
// provider's money clears through tender_clearing.
const (
	TenderOffline = "offline"
	TenderBalance = "balance"
)

// Who funded a discount (as promo.Allocation.FundedBy).
const (
	FundedByShop     = "shop"
	FundedByPlatform = "platform"
)

// Permissions.
const (
	PermLedgerRead = "ledger:read"     // shop statements (shop domain), summary (tenant domain)
	PermSettings   = "tenant:settings" // commission overrides
)

// Limits of the input.
const (
	MaxAmountFen  int64 = 10_000_000_000        // one amount of an order or refund (1亿元)
	MaxPostingFen int64 = 1_000_000_000_000_000 // one posting line
	MaxEntryLines       = 1000
	MaxOrderLines       = 500
	RefMax              = 100 // order ids, numbers, line refs, references
	MemoMax             = 200
	MaxRateBP           = 10000
)

var (
	errNotFound   = core.Errorf(core.NotFound, "error.not_found")
	errForbidden  = core.Errorf(core.Forbidden, "error.forbidden")
	errPosted     = core.Errorf(core.Conflict, "billing.error.already_posted")
	errNotPosted  = core.Errorf(core.NotFound, "billing.error.order_not_posted")
	errExceeds    = core.Errorf(core.Conflict, "billing.error.refund_exceeds")
	errConcurrent = core.Errorf(core.Conflict, "billing.error.concurrent_change")
)

// Deps are the services the ledger uses.
type Deps struct {
	DB    *db.DB
	Authz *authz.Enforcer
}

// Service is the ledger's API.
type Service struct {
	Deps
	now func() time.Time
}

// New returns the service.
func New(d Deps) *Service { return &Service{Deps: d, now: time.Now} }

// Account is one account of the chart: a kind and its owner (a shop id, a
// user id, a provider name, or "" for the platform's own accounts).
type Account struct {
	Kind  string `json:"kind"`
	Owner string `json:"owner"`
}

func (a Account) String() string { return a.Kind + ":" + a.Owner }

// ShopPayable is what the platform owes shop shopID.
func ShopPayable(shopID string) Account { return Account{AccountShopPayable, shopID} }

// OfflineReceivable is the cash shop shopID is to collect from shoppers.
func OfflineReceivable(shopID string) Account { return Account{AccountOfflineReceivable, shopID} }

// CustomerBalance is the stored balance of user userID.
func CustomerBalance(userID string) Account { return Account{AccountCustomerBalance, userID} }

// Revenue is the platform's revenue account of source.
func Revenue(source string) Account { return Account{AccountRevenue, source} }

// InvoiceReceivable is what merchant or pickup point owner (a shop or
// pickup point id) owes on issued invoices.
func InvoiceReceivable(owner string) Account { return Account{AccountInvoiceReceivable, owner} }

// StoredValue is the liability for unredeemed stored-value cards of
// issuer ("" for the platform, else a plugin name).
func StoredValue(issuer string) Account { return Account{AccountStoredValue, issuer} }

// TenderClearing is the money provider holds for the platform.
func TenderClearing(provider string) Account { return Account{AccountTenderClearing, provider} }

// The platform's own accounts.
var (
	Commission   = Account{Kind: AccountCommission}
	Promotion    = Account{Kind: AccountPromotion}
	PlatformCash = Account{Kind: AccountPlatformCash}
)

var providerName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// valid reports whether a is an account of the chart with a well-formed
// owner.
func (a Account) valid() bool {
	switch a.Kind {
	case AccountShopPayable, AccountOfflineReceivable, AccountCustomerBalance:
		return validID(a.Owner)
	case AccountTenderClearing, AccountRevenue:
		return providerName.MatchString(a.Owner)
	case AccountInvoiceReceivable:
		return validID(a.Owner)
	case AccountStoredValue:
		return a.Owner == "" || providerName.MatchString(a.Owner)
	case AccountCommission, AccountPromotion, AccountPlatformCash:
		return a.Owner == ""
	}
	return false
}

// TenderAccount returns the account the money of an order paid with
// tender (a provider name) comes from: the shop's offline receivable for
// "offline", the shopper's balance for "balance", the provider's clearing
// account otherwise. Invalid (field "tender" or "user_id") when the tender
// is malformed or "balance" lacks the shopper.
func TenderAccount(tender, shopID, userID string) (Account, error) {
	var fe core.FieldErrors
	var a Account
	switch tender {
	case TenderOffline:
		a = OfflineReceivable(shopID)
	case TenderBalance:
		if !validID(userID) {
			fe.Add("user_id", "billing.field.user_required")
		}
		a = CustomerBalance(userID)
	default:
		if !providerName.MatchString(tender) {
			fe.Add("tender", "field.invalid")
		}
		a = TenderClearing(tender)
	}
	return a, fe.Err()
}

// Line is one posting of an entry: a debit (AmountFen > 0) or a credit
// (AmountFen < 0) of an account.
type Line struct {
	Account   Account `json:"account"`
	AmountFen int64   `json:"amount_fen"`
}

// Entry is a journal entry to post.
type Entry struct {
	Kind      string // what happened, e.g. order_paid ([a-z_], up to 40)
	Reference string // e.g. the order number or refund reference
	OrderRef  string // the order id when the entry is about one order
	Memo      string // a note, e.g. why support credited a balance
	ActorID   string // the user who caused it; "" for the system
	Lines     []Line
}

// journalEntry is the stored entry.
type journalEntry struct {
	bun.BaseModel `bun:"table:journal_entries,alias:je"`

	TenantID  string    `bun:"tenant_id,pk"`
	ID        string    `bun:"id,pk"`
	Kind      string    `bun:"kind,notnull"`
	Reference string    `bun:"reference,notnull"`
	OrderRef  string    `bun:"order_ref,notnull"`
	Memo      string    `bun:"memo,notnull"`
	ActorID   *string   `bun:"actor_id"`
	CreatedAt time.Time `bun:"created_at,notnull"`
}

// posting is one stored line of an entry.
type posting struct {
	bun.BaseModel `bun:"table:postings,alias:po"`

	TenantID     string `bun:"tenant_id,pk"`
	EntryID      string `bun:"entry_id,pk"`
	LineNo       int    `bun:"line_no,pk"`
	AccountKind  string `bun:"account_kind,notnull"`
	AccountOwner string `bun:"account_owner,notnull"`
	AmountFen    int64  `bun:"amount_fen,notnull"`
}

var entryKind = regexp.MustCompile(`^[a-z][a-z_]{0,39}$`)

func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil && len(id) == 36
}

// checkRef validates an opaque reference (order id, number, line ref).
func checkRef(fe *core.FieldErrors, field, s string, required bool) {
	switch {
	case s == "" && required:
		fe.Add(field, "field.required")
	case len(s) > RefMax:
		fe.Add(field, "field.too_long")
	case strings.TrimSpace(s) != s || strings.ContainsAny(s, "\x00\r\n\t"):
		fe.Add(field, "field.invalid")
	}
}

// Post writes e in tx, the caller's transaction (bound to the tenant in
// ctx). Returns Invalid with field errors when e has fewer than two lines
// or more than MaxEntryLines ("lines"), its lines do not sum to zero
// ("lines": billing.field.unbalanced), a line's amount is zero or beyond
// MaxPostingFen ("lines.{i}.amount_fen"), an account is not of the chart
// ("lines.{i}.account"), or the kind, reference or actor are malformed.
// Nothing is written then.
func (s *Service) Post(ctx context.Context, tx bun.IDB, e Entry) error {
	_, err := s.post(ctx, tx, e)
	return err
}

func (s *Service) post(ctx context.Context, tx bun.IDB, e Entry) (string, error) {
	ids, err := s.postEntries(ctx, tx, []Entry{e})
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// checkEntry validates e (see Post).
func checkEntry(e Entry) error {
	var fe core.FieldErrors
	if !entryKind.MatchString(e.Kind) {
		fe.Add("kind", "field.invalid")
	}
	checkRef(&fe, "reference", e.Reference, false)
	checkRef(&fe, "order_ref", e.OrderRef, false)
	if len([]rune(e.Memo)) > MemoMax {
		fe.Add("memo", "field.too_long")
	}
	if e.ActorID != "" && !validID(e.ActorID) {
		fe.Add("actor_id", "field.invalid")
	}
	if len(e.Lines) < 2 || len(e.Lines) > MaxEntryLines {
		fe.Add("lines", "billing.field.lines_count")
	}
	var sum int64
	amountsOK := true
	for i, l := range e.Lines {
		if !l.Account.valid() {
			fe.Add("lines."+strconv.Itoa(i)+".account", "billing.field.account_invalid")
		}
		if l.AmountFen == 0 || l.AmountFen > MaxPostingFen || l.AmountFen < -MaxPostingFen {
			fe.Add("lines."+strconv.Itoa(i)+".amount_fen", "billing.field.posting_amount")
			amountsOK = false
			continue
		}
		sum += l.AmountFen
	}
	if amountsOK && len(e.Lines) >= 2 && len(e.Lines) <= MaxEntryLines && sum != 0 {
		fe.Add("lines", "billing.field.unbalanced")
	}
	return fe.Err()
}

// postEntries writes es (each validated as Post does; none is written
// when one is bad) with two statements, and answers their ids.
func (s *Service) postEntries(ctx context.Context, tx bun.IDB, es []Entry) ([]string, error) {
	for _, e := range es {
		if err := checkEntry(e); err != nil {
			return nil, err
		}
	}
	tid := db.TenantID(ctx)
	now := s.now().UTC()
	jes := make([]*journalEntry, len(es))
	ids := make([]string, len(es))
	var ps []*posting
	for i, e := range es {
		je := &journalEntry{TenantID: tid, ID: tenants.NewID(), Kind: e.Kind, Reference: e.Reference,
			OrderRef: e.OrderRef, Memo: e.Memo, CreatedAt: now}
		if e.ActorID != "" {
			je.ActorID = &e.ActorID
		}
		jes[i], ids[i] = je, je.ID
		for n, l := range e.Lines {
			ps = append(ps, &posting{TenantID: tid, EntryID: je.ID, LineNo: n, AccountKind: l.Account.Kind,
				AccountOwner: l.Account.Owner, AmountFen: l.AmountFen})
		}
	}
	if _, err := tx.NewInsert().Model(&jes).Exec(ctx); err != nil {
		return nil, fmt.Errorf("post %s entry: %w", es[0].Kind, err)
	}
	if _, err := tx.NewInsert().Model(&ps).Exec(ctx); err != nil {
		return nil, fmt.Errorf("post %s lines: %w", es[0].Kind, err)
	}
	return ids, nil
}

// PostNonZero posts e in tx without its zero lines, merging lines of the
// same account; when fewer than two lines remain (nothing moved) it posts
// nothing. Errors as Post.
func (s *Service) PostNonZero(ctx context.Context, tx bun.IDB, e Entry) error {
	return s.postAll(ctx, tx, []Entry{e}, true)
}

// postAll posts es at once; with nonZero, each as postNonZero would.
func (s *Service) postAll(ctx context.Context, tx bun.IDB, es []Entry, nonZero bool) error {
	var out []Entry
	for _, e := range es {
		if nonZero {
			if e = withoutZeroLines(e); len(e.Lines) < 2 {
				continue
			}
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil
	}
	_, err := s.postEntries(ctx, tx, out)
	return err
}

// withoutZeroLines is e with lines of one account merged and zero lines
// dropped.
func withoutZeroLines(e Entry) Entry {
	var lines []Line
	idx := map[Account]int{}
	for _, l := range e.Lines {
		if i, ok := idx[l.Account]; ok {
			lines[i].AmountFen += l.AmountFen
			continue
		}
		idx[l.Account] = len(lines)
		lines = append(lines, l)
	}
	e.Lines = nil
	for _, l := range lines {
		if l.AmountFen != 0 {
			e.Lines = append(e.Lines, l)
		}
	}
	return e
}

// Sum returns the sum of every posting of the tenant in ctx: 0, always.
func (s *Service) Sum(ctx context.Context, idb bun.IDB) (int64, error) {
	var n int64
	err := db.Select(ctx, idb, (*posting)(nil)).ColumnExpr("CAST(COALESCE(SUM(po.amount_fen), 0) AS bigint)").Scan(ctx, &n)
	if err != nil {
		return 0, fmt.Errorf("sum postings: %w", err)
	}
	return n, nil
}

// Balance returns the balance of account a: the sum of its postings
// (positive: a debit balance; negative: a credit balance). An account
// without postings has 0.
func (s *Service) Balance(ctx context.Context, idb bun.IDB, a Account) (int64, error) {
	var n int64
	err := db.Select(ctx, idb, (*posting)(nil)).ColumnExpr("CAST(COALESCE(SUM(po.amount_fen), 0) AS bigint)").
		Where("po.account_kind = ?", a.Kind).Where("po.account_owner = ?", a.Owner).Scan(ctx, &n)
	if err != nil {
		return 0, fmt.Errorf("balance of %s: %w", a, err)
	}
	return n, nil
}

// mulDivHalfUp returns a × b / c rounded half up, for a, b >= 0 and c > 0,
// without overflowing in the product (the result must fit in int64).
func mulDivHalfUp(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	half := uint64(c) / 2
	lo, carry := bits.Add64(lo, half, 0)
	hi += carry
	q, _ := bits.Div64(hi, lo, uint64(c))
	return int64(q)
}

// tenantPrincipal returns the tenant in ctx when p is a signed-in account
// of it.
func tenantPrincipal(ctx context.Context, p *identity.Principal) (*tenants.Tenant, error) {
	return identity.TenantOf(ctx, p)
}

// checkTenant authorises perm for p in the tenant's domain.
func (s *Service) checkTenant(ctx context.Context, p *identity.Principal, perm string) (*tenants.Tenant, error) {
	t, err := tenantPrincipal(ctx, p)
	if err != nil {
		return nil, err
	}
	if err := s.Authz.Check(ctx, p, authz.TenantDomain(t.ID), perm); err != nil {
		return nil, err
	}
	return t, nil
}

// loadShop reads shop id of the tenant in ctx.
func loadShop(ctx context.Context, tx bun.IDB, id string) (*merchant.Shop, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	sh := new(merchant.Shop)
	if err := db.Select(ctx, tx, sh).Where("s.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return sh, nil
}

// shopFor loads shop id and authorises p to read its ledger: Forbidden
// when p may see the shop but not its ledger; NotFound otherwise.
func (s *Service) shopFor(ctx context.Context, tx bun.IDB, p *identity.Principal, id string) (*merchant.Shop, error) {
	sh, err := loadShop(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	dom := sh.AuthzDomain()
	if s.Authz.Allowed(ctx, p, dom, PermLedgerRead) {
		return sh, nil
	}
	if s.Authz.Allowed(ctx, p, dom, merchant.PermViewShop) || s.Authz.Allowed(ctx, p, dom, merchant.PermListShops) {
		return nil, errForbidden
	}
	return nil, errNotFound
}
