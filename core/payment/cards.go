package payment

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Stored-value card statuses.
const (
	CardIssued   = "issued"
	CardRedeemed = "redeemed"
	CardVoid     = "void"
)

// Limits of stored-value cards.
const (
	MaxCardFen   int64 = 500_000 // one card: 5,000 yuan at most
	MaxCardBatch int   = 1000
	// Redeem attempts: a shopper who enters this many wrong codes within
	// the window must wait for it to pass.
	MaxBadRedeems   int           = 10
	BadRedeemWindow time.Duration = time.Hour
)

// How a batch of cards was paid for (the debit of stored_value_issued).
const (
	FundedSold = "sold" // sold through a tender: debit tender_clearing:{tender} (platform_cash for "cash")
	FundedGift = "gift" // given away: debit platform_promotion
)

// Card is a stored-value card as stored (never its code).
type Card struct {
	bun.BaseModel `bun:"table:stored_value_cards,alias:svc"`

	TenantID   string     `bun:"tenant_id,pk" json:"-"`
	ID         string     `bun:"id,pk" json:"id"`
	CodeHash   string     `bun:"code_hash,notnull" json:"-"`
	Last4      string     `bun:"last4,notnull" json:"last4"`
	Issuer     string     `bun:"issuer,notnull" json:"issuer"`
	Reference  string     `bun:"reference,notnull" json:"reference"`
	AmountFen  int64      `bun:"amount_fen,notnull" json:"amount_fen"`
	Status     string     `bun:"status,notnull" json:"status"`
	IssuedAt   time.Time  `bun:"issued_at,notnull" json:"issued_at"`
	ExpiresAt  *time.Time `bun:"expires_at" json:"expires_at,omitempty"`
	RedeemedBy *string    `bun:"redeemed_by" json:"redeemed_by,omitempty"`
	RedeemedAt *time.Time `bun:"redeemed_at" json:"redeemed_at,omitempty"`
}

// IssueInput is a batch of cards to issue.
type IssueInput struct {
	// Issuer is "" for the platform, else the plugin selling the cards.
	Issuer    string     `json:"issuer"`
	Reference string     `json:"reference"` // the issuer's batch reference: issuing it again answers nothing new
	Count     int        `json:"count"`
	AmountFen int64      `json:"amount_fen"` // of each card
	Funded    string     `json:"funded"`     // FundedSold or FundedGift
	Tender    string     `json:"tender"`     // for FundedSold: the provider that took the money ("cash" for the counter)
	ExpiresAt *time.Time `json:"expires_at"`
	ActorID   string     `json:"-"`
}

// IssuedCard is a new card with its code, which is shown only now.
type IssuedCard struct {
	*Card
	Code string `json:"code"`
}

var issuerRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// IssueCards issues in.Count cards of in.AmountFen in tx and posts them
// to the ledger (stored_value_issued: debit the tender, or
// platform_promotion for a gift, credit stored_value:{issuer}). A batch
// whose reference the issuer already used answers Conflict
// payment.error.batch_issued and writes nothing. Invalid with field
// errors: issuer, reference, count (1 to 1000), amount_fen (1 fen to
// 5,000 yuan), funded, tender, expires_at (in the past).
func (s *Service) IssueCards(ctx context.Context, tx bun.IDB, in IssueInput) ([]*IssuedCard, error) {
	var fe core.FieldErrors
	if in.Issuer != "" && !issuerRe.MatchString(in.Issuer) {
		fe.Add("issuer", "field.invalid")
	}
	checkRef(&fe, "reference", in.Reference)
	if in.Count < 1 || in.Count > MaxCardBatch {
		fe.Add("count", "payment.field.card_count")
	}
	if in.AmountFen < 1 || in.AmountFen > MaxCardFen {
		fe.Add("amount_fen", "payment.field.card_amount")
	}
	var debit billing.Account
	switch in.Funded {
	case FundedGift:
		debit = billing.Promotion
	case FundedSold:
		switch {
		case in.Tender == "cash":
			debit = billing.PlatformCash
		case issuerRe.MatchString(in.Tender) && in.Tender != ProviderBalance && in.Tender != ProviderOffline:
			debit = billing.TenderClearing(in.Tender)
		default:
			fe.Add("tender", "field.invalid")
		}
	default:
		fe.Add("funded", "field.invalid")
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(s.now()) {
		fe.Add("expires_at", "payment.field.card_expired")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	n, err := tx.NewSelect().Model((*Card)(nil)).Where("svc.tenant_id = ?", db.TenantID(ctx)).
		Where("svc.issuer = ?", in.Issuer).Where("svc.reference = ?", in.Reference).Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("look up card batch: %w", err)
	}
	if n > 0 {
		return nil, core.Errorf(core.Conflict, "payment.error.batch_issued")
	}
	now := s.now().UTC()
	out := make([]*IssuedCard, in.Count)
	rows := make([]*Card, in.Count)
	for i := range out {
		code, err := newCardCode()
		if err != nil {
			return nil, err
		}
		c := &Card{TenantID: db.TenantID(ctx), ID: tenants.NewID(), CodeHash: cardHash(ctx, code), Last4: code[len(code)-4:],
			Issuer: in.Issuer, Reference: in.Reference, AmountFen: in.AmountFen, Status: CardIssued, IssuedAt: now, ExpiresAt: in.ExpiresAt}
		rows[i], out[i] = c, &IssuedCard{Card: c, Code: code}
	}
	if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return nil, fmt.Errorf("store cards: %w", err)
	}
	total := in.AmountFen * int64(in.Count)
	err = s.Billing.Post(ctx, tx, billing.Entry{
		Kind: billing.KindStoredValueIssued, Reference: in.Reference, Memo: in.Issuer, ActorID: in.ActorID,
		Lines: []billing.Line{{Account: debit, AmountFen: total}, {Account: billing.StoredValue(in.Issuer), AmountFen: -total}},
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// cardAlphabet is Crockford's base 32: no I, L, O or U to misread.
const cardAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newCardCode returns a random 16-character code (80 bits).
func newCardCode() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("card code: %w", err)
	}
	out := make([]byte, 16)
	for i, x := range b {
		out[i] = cardAlphabet[int(x)%32]
	}
	return string(out), nil
}

// NormalizeCode reads a code as typed: case, spaces and dashes ignored,
// and the letters Crockford's alphabet leaves out read as the digits they
// look like.
func NormalizeCode(code string) string {
	r := strings.NewReplacer(" ", "", "-", "", "　", "", "I", "1", "L", "1", "O", "0")
	return r.Replace(strings.ToUpper(strings.TrimSpace(code)))
}

// cardHash is what is stored of a code: keyed by the tenant, so the same
// code in two tenants does not collide and a hash says nothing elsewhere.
func cardHash(ctx context.Context, code string) string {
	h := sha256.Sum256([]byte(db.TenantID(ctx) + ":" + NormalizeCode(code)))
	return hex.EncodeToString(h[:])
}

// redeemGuard counts shoppers' wrong codes.
type redeemGuard struct {
	mu  sync.Mutex
	bad map[string][]time.Time
}

var guard = &redeemGuard{bad: map[string][]time.Time{}}

func (g *redeemGuard) blocked(key string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	recent := g.bad[key][:0]
	for _, t := range g.bad[key] {
		if now.Sub(t) < BadRedeemWindow {
			recent = append(recent, t)
		}
	}
	g.bad[key] = recent
	return len(recent) >= MaxBadRedeems
}

func (g *redeemGuard) fail(key string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.bad[key] = append(g.bad[key], now)
}

// Redeem puts the value of the card with code on shopper p's balance, once
// (a conditional UPDATE: two redemptions of one code cannot both succeed),
// and posts stored_value_redeemed (debit stored_value:{issuer}, credit
// customer_balance). Invalid ("code": payment.field.card_unknown) for a
// code that is not an issued card of the tenant, expired or used;
// TooManyRequests after MaxBadRedeems wrong codes within the window.
func (b *Balance) Redeem(ctx context.Context, p *identity.Principal, code string) (*CustomerBalance, error) {
	t, err := identity.TenantOf(ctx, p)
	if err != nil {
		return nil, err
	}
	key := t.ID + "/" + p.UserID
	now := b.s.now()
	if guard.blocked(key, now) {
		return nil, core.Errorf(core.TooManyRequests, "payment.error.redeem_blocked")
	}
	unknown := func() error {
		guard.fail(key, now)
		var fe core.FieldErrors
		fe.Add("code", "payment.field.card_unknown")
		return fe.Err()
	}
	norm := NormalizeCode(code)
	if len(norm) != 16 {
		return nil, unknown()
	}
	err = b.s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		c := new(Card)
		err := tx.NewUpdate().Model(c).Set("status = ?", CardRedeemed).Set("redeemed_by = ?", p.UserID).Set("redeemed_at = ?", now.UTC()).
			Where("svc.tenant_id = ?", db.TenantID(ctx)).Where("svc.code_hash = ?", cardHash(ctx, norm)).Where("svc.status = ?", CardIssued).
			Where("svc.expires_at IS NULL OR svc.expires_at > ?", now.UTC()).Returning("*").Scan(ctx)
		if err != nil {
			if db.NotFound(err, errNotFound) == errNotFound {
				return unknown()
			}
			return fmt.Errorf("redeem card: %w", err)
		}
		if err := b.add(ctx, tx, p.UserID, c.AmountFen); err != nil {
			return err
		}
		return b.s.Billing.BalanceCredited(ctx, tx, billing.BalanceCredit{
			UserID: p.UserID, AmountFen: c.AmountFen, Reference: "card:" + c.ID, Memo: "****" + c.Last4, ActorID: p.UserID,
			Kind: billing.KindStoredValueRedeemed, From: billing.StoredValue(c.Issuer),
		})
	})
	if err != nil {
		return nil, err
	}
	return b.Mine(ctx, p)
}

// Float is the stored value the platform holds for shoppers.
type Float struct {
	BalancesFen    int64 `json:"balances_fen"`        // on shoppers' balances
	CardsFen       int64 `json:"cards_fen"`           // on issued cards not yet redeemed
	FloatFen       int64 `json:"float_fen"`           // both
	Shoppers       int   `json:"shoppers"`            // with a balance above zero
	CardsIssued    int   `json:"cards_issued"`        // still to redeem
	CardsRedeemed  int   `json:"cards_redeemed"`      // redeemed so far
	LedgerBalances int64 `json:"ledger_balances_fen"` // the ledger's customer_balance accounts (equal to BalancesFen)
}

// FloatOf returns the tenant's stored-value float; p needs
// PermCustomerManage in the tenant's domain.
func (b *Balance) FloatOf(ctx context.Context, p *identity.Principal) (*Float, error) {
	if _, err := identity.TenantOf(ctx, p); err != nil {
		return nil, err
	}
	if err := b.s.Authz.Check(ctx, p, "t/"+db.TenantID(ctx), PermCustomerManage); err != nil {
		return nil, err
	}
	f := &Float{}
	err := b.s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		tid := db.TenantID(ctx)
		err := tx.NewSelect().TableExpr("customer_balances").ColumnExpr("coalesce(sum(balance_fen), 0)").
			ColumnExpr("count(*) FILTER (WHERE balance_fen > 0)").Where("tenant_id = ?", tid).Scan(ctx, &f.BalancesFen, &f.Shoppers)
		if err != nil {
			return fmt.Errorf("sum balances: %w", err)
		}
		err = tx.NewSelect().Model((*Card)(nil)).
			ColumnExpr("coalesce(sum(CASE WHEN svc.status = 'issued' THEN svc.amount_fen ELSE 0 END), 0)").
			ColumnExpr("count(*) FILTER (WHERE svc.status = 'issued')").ColumnExpr("count(*) FILTER (WHERE svc.status = 'redeemed')").
			Where("svc.tenant_id = ?", tid).Scan(ctx, &f.CardsFen, &f.CardsIssued, &f.CardsRedeemed)
		if err != nil {
			return fmt.Errorf("sum cards: %w", err)
		}
		return tx.NewSelect().TableExpr("postings").ColumnExpr("coalesce(-sum(amount_fen), 0)").Where("tenant_id = ?", tid).
			Where("account_kind = ?", billing.AccountCustomerBalance).Scan(ctx, &f.LedgerBalances)
	})
	f.FloatFen = f.BalancesFen + f.CardsFen
	return f, err
}
