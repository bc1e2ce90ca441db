package stripepay

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/uptrace/bun"
)

// Top-up limits (fen): from 1 yuan to 5,000 yuan a top-up.
const (
	MinTopUpFen int64 = 100
	MaxTopUpFen int64 = 500_000
)

// TopUp starts a top-up of shopper userID's stored balance (惠农通) by
// amountFen through Stripe: a PaymentIntent whose success credits the
// balance (balance_topup: debit tender_clearing:stripe, credit
// customer_balance). key is the request's idempotency key: the same key
// answers the same intent. Invalid ("amount_fen") outside the limits,
// Conflict stripe.error.not_configured without Stripe keys.
func (s *Service) TopUp(ctx context.Context, userID string, amountFen int64, key string) (*Checkout, error) {
	var fe core.FieldErrors
	if amountFen < MinTopUpFen || amountFen > MaxTopUpFen {
		fe.Add("amount_fen", "stripe.field.topup_range")
	}
	if key == "" || len(key) > 100 {
		fe.Add("idempotency_key", "field.invalid")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out *Checkout
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		keys, err := s.KeysFor(ctx, tx)
		if err != nil {
			return err
		}
		if !keys.Usable() {
			return errNotConfigured
		}
		it, secret, err := s.createIntent(ctx, tx, keys, KindTopUp, amountFen, "", userID, "", idem(ctx, "topup", userID, key))
		if err != nil {
			return err
		}
		// A replayed key: Stripe answered the first intent; report it as stored.
		stored := new(Intent)
		if err := tx.NewSelect().Model(stored).Where("sti.tenant_id = ?", db.TenantID(ctx)).Where("sti.id = ?", it.ID).Scan(ctx); err != nil {
			return err
		}
		if stored.UserID == nil || *stored.UserID != userID || stored.AmountFen != amountFen {
			return core.Errorf(core.Conflict, "checkout.error.key_reused")
		}
		out = &Checkout{IntentID: it.ID, Status: stored.Status, AmountFen: amountFen, Currency: stored.Currency,
			ClientSecret: secret, PublishableKey: keys.Publishable, Methods: keys.Methods}
		return nil
	})
	return out, err
}

// TopUpOf returns shopper userID's top-up intent id (its status and, while
// pending, what Stripe.js needs); NotFound for another's.
func (s *Service) TopUpOf(ctx context.Context, idb bun.IDB, userID, intentID string) (*Checkout, error) {
	it := new(Intent)
	err := idb.NewSelect().Model(it).Where("sti.tenant_id = ?", db.TenantID(ctx)).Where("sti.id = ?", intentID).
		Where("sti.kind = ?", KindTopUp).Where("sti.user_id = ?", userID).Scan(ctx)
	if err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return s.checkoutOf(ctx, idb, it)
}

// SettingsView is a tenant's Stripe settings as shown: secrets masked.
type SettingsView struct {
	Own            bool     `json:"own_keys"`
	SecretKey      string   `json:"secret_key"`
	PublishableKey string   `json:"publishable_key"`
	WebhookSecret  string   `json:"webhook_secret"`
	Methods        []string `json:"methods"`
	Country        string   `json:"country"`
	Offered        bool     `json:"offered"`
	PlatformKeys   bool     `json:"platform_keys"` // the platform configured Stripe
}

// View returns the tenant's settings with secrets masked.
func (s *Service) View(ctx context.Context, idb bun.IDB) (*SettingsView, error) {
	k, err := s.KeysFor(ctx, idb)
	if err != nil {
		return nil, err
	}
	return &SettingsView{Own: k.Own, SecretKey: Masked(k.Secret), PublishableKey: k.Publishable, WebhookSecret: Masked(k.Webhook),
		Methods: k.Methods, Country: k.Country, Offered: k.Usable(), PlatformKeys: s.cfg.SecretKey != ""}, nil
}

// SettingsInput changes a tenant's settings. Empty secrets keep the stored
// ones; Clear drops the tenant's own keys (the platform's apply again).
type SettingsInput struct {
	SecretKey      string   `json:"secret_key"`
	PublishableKey string   `json:"publishable_key"`
	WebhookSecret  string   `json:"webhook_secret"`
	Methods        []string `json:"methods"`
	Country        string   `json:"country"`
	Clear          bool     `json:"clear"`
}

var (
	secretKeyRe = regexp.MustCompile(`^(sk|rk)_(test|live)_[0-9A-Za-z]{8,250}$`)
	publicKeyRe = regexp.MustCompile(`^pk_(test|live)_[0-9A-Za-z]{8,250}$`)
	whsecRe     = regexp.MustCompile(`^whsec_[0-9A-Za-z+/=]{8,250}$`)
	countryRe   = regexp.MustCompile(`^[A-Z]{2}$`)
)

// Save stores in as the tenant's settings (the caller checked the
// permission). Invalid with field errors: secret_key, publishable_key,
// webhook_secret (shape), methods (unknown or none), country.
func (s *Service) Save(ctx context.Context, in SettingsInput) (*SettingsView, error) {
	var fe core.FieldErrors
	in.SecretKey, in.PublishableKey, in.WebhookSecret = strings.TrimSpace(in.SecretKey), strings.TrimSpace(in.PublishableKey), strings.TrimSpace(in.WebhookSecret)
	if in.SecretKey != "" && !secretKeyRe.MatchString(in.SecretKey) {
		fe.Add("secret_key", "stripe.field.secret_key")
	}
	if in.PublishableKey != "" && !publicKeyRe.MatchString(in.PublishableKey) {
		fe.Add("publishable_key", "stripe.field.publishable_key")
	}
	if in.WebhookSecret != "" && !whsecRe.MatchString(in.WebhookSecret) {
		fe.Add("webhook_secret", "stripe.field.webhook_secret")
	}
	if len(in.Methods) == 0 {
		fe.Add("methods", "stripe.field.methods")
	}
	for _, m := range in.Methods {
		if !slices.Contains(Methods, m) {
			fe.Add("methods", "stripe.field.methods")
		}
	}
	in.Country = strings.ToUpper(strings.TrimSpace(in.Country))
	if in.Country != "" && !countryRe.MatchString(in.Country) {
		fe.Add("country", "field.invalid")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out *SettingsView
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		st := new(Settings)
		err := tx.NewSelect().Model(st).Where("sts.tenant_id = ?", db.TenantID(ctx)).Scan(ctx)
		if err != nil && err != errNoRows {
			return err
		}
		st.TenantID = db.TenantID(ctx)
		if in.Clear {
			st.SecretKey, st.PublishableKey, st.WebhookSecret = "", "", ""
		}
		if in.SecretKey != "" {
			st.SecretKey = in.SecretKey
		}
		if in.PublishableKey != "" {
			st.PublishableKey = in.PublishableKey
		}
		if in.WebhookSecret != "" {
			st.WebhookSecret = in.WebhookSecret
		}
		if st.SecretKey != "" && st.PublishableKey == "" {
			fe.Add("publishable_key", "field.required")
			return fe.Err()
		}
		st.Methods, st.Country, st.UpdatedAt = strings.Join(in.Methods, ","), in.Country, s.now().UTC()
		if _, err := tx.NewInsert().Model(st).On("CONFLICT (tenant_id) DO UPDATE").
			Set("secret_key = EXCLUDED.secret_key, publishable_key = EXCLUDED.publishable_key, webhook_secret = EXCLUDED.webhook_secret").
			Set("methods = EXCLUDED.methods, country = EXCLUDED.country, updated_at = EXCLUDED.updated_at").Exec(ctx); err != nil {
			return fmt.Errorf("save stripe settings: %w", err)
		}
		out, err = s.View(ctx, tx)
		return err
	})
	s.keys.Delete(db.TenantID(ctx))
	return out, err
}
