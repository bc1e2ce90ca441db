package tenants

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/validate"
	"github.com/uptrace/bun"
)

// TxRunner runs a function in a transaction bound to the tenant in ctx;
// core/db.DB is one.
type TxRunner interface {
	RunInTx(ctx context.Context, fn func(ctx context.Context, tx bun.IDB) error) error
}

// CreateInput is what a platform admin submits to create a tenant.
type CreateInput struct {
	Slug          string   `json:"slug"`
	Name          string   `json:"name"`
	Domains       []string `json:"domains"`
	TimeZone      string   `json:"time_zone"`
	Currency      string   `json:"currency"`
	DefaultLocale string   `json:"default_locale"`
	// The first tenant admin; optional. Provisioning steps registered by
	// the identity context create the account.
	AdminEmail    string `json:"admin_email"`
	AdminName     string `json:"admin_name"`
	AdminPassword string `json:"admin_password"`
}

// Step is one part of provisioning a tenant, run inside the provisioning
// transaction with the new tenant in ctx. Core contexts register steps (the
// flagship shop, the first admin) so that this package needs none of them.
type Step func(ctx context.Context, tx bun.IDB, t *Tenant, in CreateInput) error

// Provisioner creates tenants: the row, its domains, default settings and
// every registered Step, in one transaction.
type Provisioner struct {
	// BaseDomain gives every tenant the host {slug}.{BaseDomain}
	// (default "localhost").
	BaseDomain string
	steps      []namedStep
}

type namedStep struct {
	name string
	fn   Step
}

// AddStep registers a provisioning step; steps run in the order added.
func (p *Provisioner) AddStep(name string, fn Step) {
	p.steps = append(p.steps, namedStep{name, fn})
}

var hostRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// Validate checks in and returns it normalised. Returns Invalid with field
// errors.
func (p *Provisioner) Validate(in CreateInput) (CreateInput, error) {
	var fe core.FieldErrors
	in.Slug = validate.Slug(&fe, "slug", in.Slug)
	in.Name = validate.Text(&fe, "name", in.Name, 1, 60)
	if in.TimeZone == "" {
		in.TimeZone = DefaultTimeZone
	}
	if _, err := time.LoadLocation(in.TimeZone); err != nil || strings.TrimSpace(in.TimeZone) == "" || strings.EqualFold(in.TimeZone, "local") {
		fe.Add("time_zone", "field.invalid")
	}
	if in.Currency == "" {
		in.Currency = DefaultCurrency
	}
	if !regexp.MustCompile(`^[A-Z]{3}$`).MatchString(in.Currency) {
		fe.Add("currency", "field.invalid")
	}
	if in.DefaultLocale == "" {
		in.DefaultLocale = DefaultLocale
	}
	if in.DefaultLocale != "zh-CN" && in.DefaultLocale != "en" {
		fe.Add("default_locale", "field.invalid")
	}
	base := p.BaseDomain
	if base == "" {
		base = "localhost"
	}
	seen := map[string]bool{}
	var domains []string
	add := func(d string) {
		if !seen[d] {
			seen[d] = true
			domains = append(domains, d)
		}
	}
	if in.Slug != "" {
		add(in.Slug + "." + base)
	}
	for _, d := range in.Domains {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == "" {
			continue
		}
		if len(d) > 253 || !hostRE.MatchString(d) {
			fe.Add("domains", "field.invalid")
			continue
		}
		add(d)
	}
	in.Domains = domains
	if in.AdminEmail != "" || in.AdminPassword != "" {
		in.AdminEmail = validate.Email(&fe, "admin_email", in.AdminEmail, true)
		in.AdminName = validate.Text(&fe, "admin_name", in.AdminName, 0, 40)
		if len(in.AdminPassword) < 8 {
			fe.Add("admin_password", "field.too_short")
		}
	}
	return in, fe.Err()
}

// Create validates in and provisions the tenant in one transaction: the
// tenant, its domains ({slug}.{BaseDomain} always), default settings and
// the registered steps. Returns Invalid with field errors for bad input, a
// taken slug or a taken domain; nothing is written then.
func (p *Provisioner) Create(ctx context.Context, db TxRunner, in CreateInput) (*Tenant, error) {
	in, err := p.Validate(in)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	t := &Tenant{
		ID: NewID(), Slug: in.Slug, Name: in.Name, TimeZone: in.TimeZone, Currency: in.Currency,
		DefaultLocale: in.DefaultLocale, Settings: DefaultSettings(), Status: StatusActive,
		CreatedAt: now, UpdatedAt: now, Domains: in.Domains,
	}
	ctx = WithTenant(ctx, t)
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var fe core.FieldErrors
		if n, err := tx.NewSelect().Model((*Tenant)(nil)).Where("slug = ?", t.Slug).Count(ctx); err != nil {
			return err
		} else if n > 0 {
			fe.Add("slug", "field.slug_taken")
		}
		if n, err := tx.NewSelect().Model((*Domain)(nil)).Where("domain IN (?)", bun.List(t.Domains)).Count(ctx); err != nil {
			return err
		} else if n > 0 {
			fe.Add("domains", "field.slug_taken")
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(t).Exec(ctx); err != nil {
			if isUnique(err) {
				fe.Add("slug", "field.slug_taken")
				return fe.Err()
			}
			return fmt.Errorf("insert tenant: %w", err)
		}
		for _, d := range t.Domains {
			if _, err := tx.NewInsert().Model(&Domain{Domain: d, TenantID: t.ID, CreatedAt: now}).Exec(ctx); err != nil {
				if isUnique(err) {
					fe.Add("domains", "field.slug_taken")
					return fe.Err()
				}
				return fmt.Errorf("insert domain %s: %w", d, err)
			}
		}
		for _, s := range p.steps {
			if err := s.fn(ctx, tx, t, in); err != nil {
				return fmt.Errorf("provision %s: %s: %w", t.Slug, s.name, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// UpdateSettings replaces the settings of the tenant in ctx.
func UpdateSettings(ctx context.Context, idb bun.IDB, s Settings) error {
	t := MustFromContext(ctx)
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = idb.NewUpdate().Model((*Tenant)(nil)).Set("settings = ?", string(b)).Set("updated_at = ?", time.Now().UTC()).
		Where("id = ?", t.ID).Exec(ctx)
	return err
}
