// Package stripepay takes payments through Stripe (github.com/stripe/stripe-go/v76):
//
//   - the payment provider "stripe": one PaymentIntent per checkout group
//     (card, alipay, wechat_pay as the tenant chooses), amount in fen,
//     currency from the tenant, transfer_group = the checkout group; the
//     shopper's browser confirms it with Stripe.js, and the payment is
//     settled when Stripe's payment_intent.succeeded webhook arrives;
//   - Connect: shops onboard to Express accounts; once an order is paid,
//     its shop's share (what the ledger credited to the shop's payable:
//     goods and shipping less commission) is sent by a separate transfer
//     (source_transaction = the charge), and a refund reverses the shop's
//     share of it; a shop without a usable account accrues its share as a
//     payable until it connects, and is then paid the accrued balance;
//   - webhooks at /webhooks/stripe: the signature is verified on the raw
//     body (300-second tolerance), the event stored once by id and
//     processed by a job, which records the event as processed in the
//     transaction that applies it;
//   - top-ups of the stored balance (惠农通) by card.
//
// Every call to Stripe carries an idempotency key derived from our own
// records (jishi-pi-{payment}, jishi-tr-{order}, jishi-re-{refund},
// jishi-acct-{shop}, …), so a retry never charges, transfers or refunds
// twice.
//
// Keys: a tenant may store its own Stripe keys (stripe_settings); else the
// platform's from the environment (JISHI_STRIPE_SECRET_KEY,
// JISHI_STRIPE_PUBLISHABLE_KEY, JISHI_STRIPE_WEBHOOK_SECRET) apply. With
// neither, Stripe is not offered and the other providers still sell.
// Secret keys are never logged nor shown back but for their last four
// characters.
package stripepay

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/jobs"
	"github.com/jishi-dev/jishi/core/payment"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
	"github.com/uptrace/bun"
)

// ProviderName is the payment provider's registry name and the tender of
// its orders in the ledger (tender_clearing:stripe).
const ProviderName = "stripe"

// Payment methods a tenant may offer.
var Methods = []string{"card", "alipay", "wechat_pay"}

// Tolerance is how old a webhook's signature may be.
const Tolerance = 300 * time.Second

// Config is the platform's Stripe configuration (from the environment).
type Config struct {
	SecretKey      string // JISHI_STRIPE_SECRET_KEY
	PublishableKey string // JISHI_STRIPE_PUBLISHABLE_KEY
	WebhookSecret  string // JISHI_STRIPE_WEBHOOK_SECRET
	// APIBase is Stripe's API address (JISHI_STRIPE_API_BASE): "" for
	// https://api.stripe.com; stripe-mock's in tests.
	APIBase string
	// HTTPClient calls Stripe (nil: a client with a 30-second timeout).
	HTTPClient *http.Client
}

// Settings are a tenant's Stripe settings as stored.
type Settings struct {
	bun.BaseModel `bun:"table:stripe_settings,alias:sts"`

	TenantID       string    `bun:"tenant_id,pk" json:"-"`
	SecretKey      string    `bun:"secret_key,notnull" json:"-"`
	PublishableKey string    `bun:"publishable_key,notnull" json:"publishable_key"`
	WebhookSecret  string    `bun:"webhook_secret,notnull" json:"-"`
	Methods        string    `bun:"methods,notnull" json:"-"`
	Country        string    `bun:"country,notnull" json:"country"`
	UpdatedAt      time.Time `bun:"updated_at,notnull" json:"updated_at"`
}

// Keys are the keys and choices that apply to a tenant.
type Keys struct {
	Secret, Publishable, Webhook string
	Methods                      []string
	Country                      string
	Own                          bool // the tenant's own keys, not the platform's
}

// Usable reports whether Stripe can be offered with k.
func (k Keys) Usable() bool { return k.Secret != "" && k.Publishable != "" }

// Masked shows a secret as its kind prefix and last four characters.
func Masked(secret string) string {
	if secret == "" {
		return ""
	}
	prefix := ""
	if i := strings.LastIndex(secret, "_"); i > 0 && i < 12 {
		prefix = secret[:i+1]
	}
	if len(secret) <= len(prefix)+4 {
		return prefix + "••••"
	}
	return prefix + "••••" + secret[len(secret)-4:]
}

// Deps are the services Stripe payments use.
type Deps struct {
	DB       *db.DB
	Authz    *authz.Enforcer
	Billing  *billing.Service
	Payments *payment.Service
	Jobs     *jobs.Service
	Logger   *slog.Logger
}

// Hooks are what the app does when Stripe settles something; set before
// the server starts.
type Hooks struct {
	// Paid runs when a checkout payment succeeded, in the transaction that
	// settles it (payment already marked paid): mark the orders paid and
	// post them to the ledger. It answers the order ids with their shops.
	Paid func(ctx context.Context, tx bun.IDB, p *payment.Payment) error
	// Late runs when a checkout payment succeeded after its orders were
	// cancelled (unpaid too long); it reports whether the group is
	// cancelled, in which case the money is given back.
	Cancelled func(ctx context.Context, tx bun.IDB, groupRef string) (bool, error)
	// InvoicePaid marks a platform invoice paid (invoice.paid webhook).
	InvoicePaid func(ctx context.Context, tx bun.IDB, invoiceID, method, ref string) error
	// ShopUsable reports whether a shop may receive transfers (approved,
	// not suspended).
	ShopUsable func(ctx context.Context, idb bun.IDB, shopID string) (bool, error)
}

// Service is Stripe payments.
type Service struct {
	Deps
	Hooks
	cfg     Config
	clients sync.Map // secret key → *client.API
	keys    sync.Map // tenant id → cachedKeys (the webhook's)
	now     func() time.Time
}

// New returns the service; it registers the provider with d.Payments and
// its jobs with d.Jobs.
func New(d Deps, cfg Config) *Service {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	s := &Service{Deps: d, cfg: cfg, now: time.Now}
	d.Payments.Registry.Register(&Provider{s: s})
	s.registerJobs()
	return s
}

// client returns the API client for secret.
func (s *Service) client(secret string) *client.API {
	if c, ok := s.clients.Load(secret); ok {
		return c.(*client.API)
	}
	cfg := &stripe.BackendConfig{
		HTTPClient:    s.cfg.HTTPClient,
		LeveledLogger: quietLogger{s.Logger},
	}
	if s.cfg.APIBase != "" {
		cfg.URL = stripe.String(s.cfg.APIBase)
	}
	backends := &stripe.Backends{
		API:     stripe.GetBackendWithConfig(stripe.APIBackend, cfg),
		Connect: stripe.GetBackendWithConfig(stripe.ConnectBackend, cfg),
		Uploads: stripe.GetBackendWithConfig(stripe.UploadsBackend, cfg),
	}
	c := client.New(secret, backends)
	s.clients.Store(secret, c)
	return c
}

// quietLogger passes Stripe's library errors to slog without request
// details (which may name keys).
type quietLogger struct{ l *slog.Logger }

func (q quietLogger) Debugf(string, ...any) {}
func (q quietLogger) Infof(string, ...any)  {}
func (q quietLogger) Warnf(format string, v ...any) {
	q.l.Warn("stripe", "message", redact(fmt.Sprintf(format, v...)))
}
func (q quietLogger) Errorf(format string, v ...any) {
	q.l.Error("stripe", "message", redact(fmt.Sprintf(format, v...)))
}

// redact hides anything shaped like a Stripe secret in s.
func redact(s string) string {
	for _, p := range []string{"sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"} {
		for {
			i := strings.Index(s, p)
			if i < 0 {
				break
			}
			j := i + len(p)
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
				j++
			}
			s = s[:i] + "[redacted]" + s[j:]
		}
	}
	return s
}

// KeysFor returns the keys that apply to the tenant of ctx, read in idb.
func (s *Service) KeysFor(ctx context.Context, idb bun.IDB) (Keys, error) {
	st := new(Settings)
	err := idb.NewSelect().Model(st).Where("sts.tenant_id = ?", db.TenantID(ctx)).Scan(ctx)
	if err != nil && !errors.Is(err, errNoRows) {
		return Keys{}, fmt.Errorf("read stripe settings: %w", err)
	}
	k := Keys{Secret: s.cfg.SecretKey, Publishable: s.cfg.PublishableKey, Webhook: s.cfg.WebhookSecret, Methods: []string{"card"}}
	if err == nil {
		if st.SecretKey != "" {
			k = Keys{Secret: st.SecretKey, Publishable: st.PublishableKey, Webhook: st.WebhookSecret, Own: true}
		}
		k.Methods = splitMethods(st.Methods)
		k.Country = st.Country
	}
	return k, nil
}

func splitMethods(v string) []string {
	var out []string
	for _, m := range strings.Split(v, ",") {
		if m = strings.TrimSpace(m); slices.Contains(Methods, m) && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		out = []string{"card"}
	}
	return out
}

// Offered reports whether Stripe can be used in the tenant of ctx.
func (s *Service) Offered(ctx context.Context, idb bun.IDB) bool {
	k, err := s.KeysFor(ctx, idb)
	return err == nil && k.Usable()
}

// currency is the tenant's currency as Stripe spells it.
func currency(ctx context.Context) string {
	if t, ok := tenants.FromContext(ctx); ok && t.Currency != "" {
		return strings.ToLower(t.Currency)
	}
	return "cny"
}

// idem derives an idempotency key from our own records: the tenant and
// the parts given, hashed so that no id leaks into Stripe's logs.
func idem(ctx context.Context, kind string, parts ...string) string {
	h := sha256.Sum256([]byte(db.TenantID(ctx) + "|" + strings.Join(parts, "|")))
	return "jishi-" + kind + "-" + hex.EncodeToString(h[:16])
}

// stripeErr turns a Stripe error into ours: a card decline or invalid
// request is the shopper's or the shop's problem (Conflict with Stripe's
// message), anything else is unavailable.
func stripeErr(op string, err error) error {
	var se *stripe.Error
	if errors.As(err, &se) {
		switch se.Type {
		case stripe.ErrorTypeCard, stripe.ErrorTypeInvalidRequest:
			return &core.Error{Code: core.Conflict, Message: "stripe.error.refused", Args: []any{se.Msg}, Err: fmt.Errorf("stripe %s: %w", op, err)}
		}
	}
	return &core.Error{Code: core.Unavailable, Message: "stripe.error.unavailable", Err: fmt.Errorf("stripe %s: %s", op, redact(err.Error()))}
}

func metadata(ctx context.Context, kv ...string) map[string]string {
	m := map[string]string{"tenant_id": db.TenantID(ctx)}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}
