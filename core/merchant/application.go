package merchant

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/validate"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"
)

// Field limits of an application.
const (
	ShopNameMin         = 2
	ShopNameMax         = 30
	MaxMainCategories   = 5
	MaxExpectedProducts = 100000
)

var openStatuses = []string{ApplicationSubmitted, ApplicationChangesRequested}

// licenceRE: the old 15-digit registration number, or the 18-character
// unified social credit code (统一社会信用代码, GB 32100-2015 alphabet:
// digits and capitals without I, O, S, V, Z).
var licenceRE = regexp.MustCompile(`^(?:[0-9]{15}|[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10})$`)

// NormalizeLicence folds full-width characters, drops spaces and hyphens
// and upper-cases a business licence number.
func NormalizeLicence(s string) string {
	s = norm.NFKC.String(strings.TrimSpace(s))
	s = strings.NewReplacer(" ", "", "-", "").Replace(s)
	return strings.ToUpper(s)
}

// validID reports whether id can name a row at all (ids are UUIDs); other
// strings are answered NotFound without a query.
func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil
}

// checkApplication validates in for the tenant in ctx and returns the
// application's fields. self is the id of the application being edited
// ("" for a new one), whose own slug does not count as taken.
func (s *Service) checkApplication(ctx context.Context, tx bun.IDB, t *tenants.Tenant, in ApplicationInput, self string) (*Application, error) {
	var fe core.FieldErrors
	a := &Application{ViaFlagship: in.ViaFlagship, ExpectedProducts: in.ExpectedProducts}
	a.ShopName = validate.Text(&fe, "shop_name", in.ShopName, ShopNameMin, ShopNameMax)
	if !in.ViaFlagship {
		a.Slug = validate.Slug(&fe, "slug", in.Slug)
	}
	a.ContactName = validate.Text(&fe, "contact_name", in.ContactName, 1, 30)
	a.ContactPhone = validate.Phone(&fe, "contact_phone", in.ContactPhone, true)
	a.ContactEmail = validate.Email(&fe, "contact_email", in.ContactEmail, false)
	a.LicenceNo = NormalizeLicence(in.LicenceNo)
	switch {
	case a.LicenceNo == "":
		fe.Add("licence_no", "field.required")
	case !licenceRE.MatchString(a.LicenceNo):
		fe.Add("licence_no", "merchant.field.licence_invalid")
	}
	a.MainCategories = CategoryCodes{}
	seen := map[string]bool{}
	for _, c := range in.MainCategories {
		c = strings.ToLower(strings.TrimSpace(c))
		if !IsMainCategory(c) {
			fe.Add("main_categories", "merchant.field.category_invalid")
			continue
		}
		if !seen[c] {
			seen[c] = true
			a.MainCategories = append(a.MainCategories, c)
		}
	}
	if n := len(a.MainCategories); n == 0 || n > MaxMainCategories || len(in.MainCategories) > MaxMainCategories {
		fe.Add("main_categories", "merchant.field.categories_count")
	}
	minProducts := t.Settings.MinProductsForOwnShop
	if minProducts <= 0 {
		minProducts = tenants.DefaultSettings().MinProductsForOwnShop
	}
	offerFlagship := false
	switch {
	case in.ExpectedProducts < 0 || in.ExpectedProducts > MaxExpectedProducts:
		fe.Add("expected_products", "merchant.field.range")
	case in.ExpectedProducts < minProducts && !in.ViaFlagship:
		fe.Add("expected_products", "merchant.field.expected_products_low")
		offerFlagship = true
	}

	// The region must be a district of this tenant; another tenant's id is
	// just an invalid choice here.
	if strings.TrimSpace(in.RegionID) == "" {
		fe.Add("region_id", "field.required")
	} else {
		r, err := tenants.RegionByID(ctx, tx, strings.TrimSpace(in.RegionID))
		switch {
		case core.IsNotFound(err):
			fe.Add("region_id", "merchant.field.region_invalid")
		case err != nil:
			return nil, fmt.Errorf("check region: %w", err)
		case r.Level != tenants.LevelDistrict:
			fe.Add("region_id", "merchant.field.region_invalid")
		default:
			a.RegionID = r.ID
		}
	}

	if a.Slug != "" && fe["slug"] == "" {
		taken, err := s.slugTaken(ctx, tx, a.Slug, self)
		if err != nil {
			return nil, err
		}
		if taken {
			fe.Add("slug", "field.slug_taken")
		}
	}
	if err := fe.Err(); err != nil {
		if offerFlagship && len(fe) == 1 {
			e := err.(*core.Error)
			e.Message, e.Args = "merchant.error.flagship_offered", []any{minProducts}
		}
		return nil, err
	}
	return a, nil
}

// slugTaken reports whether slug belongs to a shop of the tenant in ctx, or
// to an open application other than self.
func (s *Service) slugTaken(ctx context.Context, tx bun.IDB, slug, self string) (bool, error) {
	n, err := db.Select(ctx, tx, (*Shop)(nil)).Where("s.slug = ?", slug).Count(ctx)
	if err != nil {
		return false, fmt.Errorf("check shop slug: %w", err)
	}
	if n > 0 {
		return true, nil
	}
	q := db.Select(ctx, tx, (*Application)(nil)).Where("a.slug = ?", slug).Where("a.status IN (?)", bun.List(openStatuses))
	if self != "" {
		q = q.Where("a.id <> ?", self)
	}
	n, err = q.Count(ctx)
	if err != nil {
		return false, fmt.Errorf("check application slug: %w", err)
	}
	return n > 0, nil
}

// Apply submits p's application to sell on the marketplace of the tenant in
// ctx. Any signed-in account of the tenant may apply; it may have one open
// application at a time.
//
// Returns Unauthenticated without a tenant principal; Invalid with field
// errors for bad input (a taken slug is "field.slug_taken"; an applicant
// expecting fewer products than the tenant's MinProductsForOwnShop who did
// not choose ViaFlagship gets an error on expected_products offering the
// flagship store); Conflict when p already has an open application.
// Nothing is written on error.
func (s *Service) Apply(ctx context.Context, p *identity.Principal, in ApplicationInput) (*Application, error) {
	t, err := tenantPrincipal(ctx, p)
	if err != nil {
		return nil, err
	}
	var a *Application
	err = s.write(ctx, func(ctx context.Context, tx bun.IDB) error {
		n, err := db.Select(ctx, tx, (*Application)(nil)).Where("a.applicant_id = ?", p.UserID).
			Where("a.status IN (?)", bun.List(openStatuses)).Count(ctx)
		if err != nil {
			return fmt.Errorf("count open applications: %w", err)
		}
		if n > 0 {
			return core.Errorf(core.Conflict, "merchant.error.application_open")
		}
		if a, err = s.checkApplication(ctx, tx, t, in, ""); err != nil {
			return err
		}
		now := time.Now().UTC()
		a.TenantID, a.ID, a.ApplicantID = t.ID, tenants.NewID(), p.UserID
		a.Status, a.CreatedAt, a.UpdatedAt = ApplicationSubmitted, now, now
		if _, err := tx.NewInsert().Model(a).Exec(ctx); err != nil {
			return applicationWriteError(err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// applicationWriteError maps a unique violation of the open-application
// indexes to the error a racing duplicate would have got.
func applicationWriteError(err error) error {
	if !db.IsUniqueViolation(err) {
		return fmt.Errorf("write application: %w", err)
	}
	if strings.Contains(err.Error(), "slug") {
		return &core.Error{Code: core.Invalid, Message: "error.invalid_input", Fields: map[string]string{"slug": "field.slug_taken"}}
	}
	return core.Errorf(core.Conflict, "merchant.error.application_open")
}

// ownApplication loads p's application id in tx; NotFound when it is
// absent or someone else's.
func ownApplication(ctx context.Context, tx bun.IDB, p *identity.Principal, id string) (*Application, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	a := new(Application)
	err := db.Select(ctx, tx, a).Where("a.id = ?", id).Where("a.applicant_id = ?", p.UserID).Scan(ctx)
	if err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return a, nil
}

// MyApplications returns p's applications, newest first, with their
// status and the reviewer's note (a rejection reason or the changes asked
// for). Returns Unauthenticated without a tenant principal.
func (s *Service) MyApplications(ctx context.Context, p *identity.Principal) ([]*Application, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	as := []*Application{}
	err := s.read(ctx, func(ctx context.Context, tx bun.IDB) error {
		return db.Select(ctx, tx, &as).Where("a.applicant_id = ?", p.UserID).Order("a.created_at DESC", "a.id DESC").Scan(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("list my applications: %w", err)
	}
	return as, nil
}

// MyApplication returns p's application id. Returns NotFound when it is
// absent or someone else's.
func (s *Service) MyApplication(ctx context.Context, p *identity.Principal, id string) (*Application, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	var a *Application
	err := s.read(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		a, err = ownApplication(ctx, tx, p, id)
		return err
	})
	return a, err
}

// UpdateApplication replaces the fields of p's open application id with in
// and (re)submits it: an application with changes requested goes back to
// submitted. The same rules as Apply hold.
//
// Returns NotFound when the application is absent or someone else's;
// Conflict when it is no longer open (approved, rejected or withdrawn);
// Invalid with field errors for bad input.
func (s *Service) UpdateApplication(ctx context.Context, p *identity.Principal, id string, in ApplicationInput) (*Application, error) {
	t, err := tenantPrincipal(ctx, p)
	if err != nil {
		return nil, err
	}
	var a *Application
	err = s.write(ctx, func(ctx context.Context, tx bun.IDB) error {
		cur, err := ownApplication(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if !cur.Open() {
			return core.Errorf(core.Conflict, "merchant.error.application_state")
		}
		if a, err = s.checkApplication(ctx, tx, t, in, cur.ID); err != nil {
			return err
		}
		a.TenantID, a.ID, a.ApplicantID, a.CreatedAt = cur.TenantID, cur.ID, cur.ApplicantID, cur.CreatedAt
		a.Status, a.ReviewNote, a.ReviewedBy, a.ReviewedAt = ApplicationSubmitted, cur.ReviewNote, cur.ReviewedBy, cur.ReviewedAt
		a.UpdatedAt = time.Now().UTC()
		res, err := db.Update(ctx, tx, a).
			Column("shop_name", "slug", "contact_name", "contact_phone", "contact_email", "licence_no",
				"main_categories", "region_id", "expected_products", "via_flagship", "status", "updated_at").
			WherePK().Where("a.status IN (?)", bun.List(openStatuses)).Exec(ctx)
		if err != nil {
			return applicationWriteError(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return core.Errorf(core.Conflict, "merchant.error.application_state")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Withdraw withdraws p's open application id.
//
// Returns NotFound when the application is absent or someone else's;
// Conflict when it is no longer open.
func (s *Service) Withdraw(ctx context.Context, p *identity.Principal, id string) (*Application, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	var a *Application
	err := s.write(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		if a, err = ownApplication(ctx, tx, p, id); err != nil {
			return err
		}
		a.Status, a.UpdatedAt = ApplicationWithdrawn, time.Now().UTC()
		res, err := db.Update(ctx, tx, a).Column("status", "updated_at").WherePK().
			Where("a.status IN (?)", bun.List(openStatuses)).Exec(ctx)
		if err != nil {
			return fmt.Errorf("withdraw application: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return core.Errorf(core.Conflict, "merchant.error.application_state")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}
