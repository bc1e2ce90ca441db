package merchant

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/validate"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Profile field limits.
const (
	DescriptionMax     = 2000
	ServicePromisesMax = 1000
	ReturnsPolicyMax   = 2000
	AnnouncementMax    = 200
	StatusReasonMax    = 200
	// ReturnDaysMax is the longest returns window a shop may offer.
	ReturnDaysMax = 90
)

// ReturnsWindow returns the shop's returns window (无理由退货) in days
// under tenant settings ts: the shop's own when it set one (0: no returns
// without reason), else the tenant's default (Settings.Returns()).
func (s *Shop) ReturnsWindow(ts tenants.Settings) int {
	if s.ReturnDays != nil {
		return *s.ReturnDays
	}
	return ts.Returns()
}

// ShopChange is told, inside the transaction that changed it, that shop
// shopID of the tenant in ctx was renamed or changed status (suspended,
// resumed, closed). An error rolls the change back.
type ShopChange func(ctx context.Context, tx bun.IDB, shopID string) error

// shopHooks holds the ShopChange hooks of each Service. (A field of
// Service would do; the hooks live here to keep the change to this file.)
var shopHooks sync.Map // *Service → []ShopChange

// OnShopChange registers f to be called whenever a shop's name or status
// changes (e.g. to re-index the shop's products for search). Register
// hooks while building the app, before the service is used.
func (s *Service) OnShopChange(f ShopChange) {
	fs, _ := shopHooks.Load(s)
	hooks, _ := fs.([]ShopChange)
	shopHooks.Store(s, append(hooks[:len(hooks):len(hooks)], f))
}

// shopChanged calls the ShopChange hooks for shop id in tx.
func (s *Service) shopChanged(ctx context.Context, tx bun.IDB, id string) error {
	fs, _ := shopHooks.Load(s)
	hooks, _ := fs.([]ShopChange)
	for _, f := range hooks {
		if err := f(ctx, tx, id); err != nil {
			return fmt.Errorf("shop %s changed: %w", id, err)
		}
	}
	return nil
}

// withHost fills the storefront hosts of shops from the tenant in ctx.
func withHost(ctx context.Context, shops ...*Shop) {
	t := tenants.MustFromContext(ctx)
	for _, sh := range shops {
		sh.Host = ShopHost(t, sh.Slug)
	}
}

func likePattern(q string) string {
	q = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(q))
	return "%" + q + "%"
}

// shopQuery applies f to a shop query.
func shopQuery(q *bun.SelectQuery, f ShopFilter) *bun.SelectQuery {
	if f.Status != "" {
		q = q.Where("s.status = ?", f.Status)
	}
	if f.RegionID != "" {
		q = q.Where("s.region_id = ?", f.RegionID)
	}
	if qs := strings.TrimSpace(f.Query); qs != "" {
		pat := likePattern(qs)
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where(`lower(s.name) LIKE ? ESCAPE '\'`, pat).WhereOr(`s.slug LIKE ? ESCAPE '\'`, pat)
		})
	}
	return f.Page.apply(q.Order("s.is_flagship DESC", "s.created_at", "s.id"))
}

// Shops returns the shops of the tenant in ctx that match f, the flagship
// store first, then oldest first. It checks no permission: the storefront
// lists active shops with it (f.Status = ShopActive).
func (s *Service) Shops(ctx context.Context, f ShopFilter) ([]*Shop, error) {
	shops := []*Shop{}
	if f.RegionID != "" && !validID(f.RegionID) {
		return shops, nil
	}
	err := s.read(ctx, func(ctx context.Context, tx bun.IDB) error {
		return shopQuery(db.Select(ctx, tx, &shops), f).Scan(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("list shops: %w", err)
	}
	withHost(ctx, shops...)
	return shops, nil
}

// ShopsFor returns the shops matching f that p may see in the admin
// console: all for a tenant admin, those of their regions for a region
// manager (PermListShops in the shop's region domain), none for others;
// f.Page picks a window. Returns Unauthenticated without a tenant
// principal.
func (s *Service) ShopsFor(ctx context.Context, p *identity.Principal, f ShopFilter) ([]*Shop, error) {
	t, err := tenantPrincipal(ctx, p)
	if err != nil {
		return nil, err
	}
	shops := []*Shop{}
	if f.RegionID != "" && !validID(f.RegionID) {
		return shops, nil
	}
	err = s.read(ctx, func(ctx context.Context, tx bun.IDB) error {
		all, mine, err := s.reach(ctx, tx, t, p, PermListShops)
		if err != nil {
			return err
		}
		q := shopQuery(db.Select(ctx, tx, &shops), f)
		if !all {
			q = q.Where("s.region_id IN (?)", bun.List(mine))
		}
		return q.Scan(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("list shops: %w", err)
	}
	withHost(ctx, shops...)
	return shops, nil
}

// ShopCounts returns how many shops p may see in the admin console are
// in each status.
func (s *Service) ShopCounts(ctx context.Context, p *identity.Principal) (map[string]int, error) {
	t, err := tenantPrincipal(ctx, p)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	err = s.read(ctx, func(ctx context.Context, tx bun.IDB) error {
		all, mine, err := s.reach(ctx, tx, t, p, PermListShops)
		if err != nil {
			return err
		}
		q := db.Select(ctx, tx, (*Shop)(nil)).Column("s.status").ColumnExpr("count(*)").Group("s.status")
		if !all {
			q = q.Where("s.region_id IN (?)", bun.List(mine))
		}
		return countByStatus(ctx, q, out)
	})
	if err != nil {
		return nil, fmt.Errorf("count shops: %w", err)
	}
	return out, nil
}

func loadShop(ctx context.Context, tx bun.IDB, id string) (*Shop, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	sh := new(Shop)
	if err := db.Select(ctx, tx, sh).Where("s.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	withHost(ctx, sh)
	return sh, nil
}

// ShopByID returns shop id of the tenant in ctx, whatever its status.
// Returns NotFound for absent ids and other tenants' shops.
func (s *Service) ShopByID(ctx context.Context, id string) (*Shop, error) {
	var sh *Shop
	err := s.read(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		sh, err = loadShop(ctx, tx, id)
		return err
	})
	return sh, err
}

// ShopBySlug returns the shop with slug (case- and width-insensitive) of
// the tenant in ctx, whatever its status. Returns NotFound if none.
func (s *Service) ShopBySlug(ctx context.Context, slug string) (*Shop, error) {
	slug = validate.NormalizeSlug(slug)
	sh := new(Shop)
	err := s.read(ctx, func(ctx context.Context, tx bun.IDB) error {
		return db.Select(ctx, tx, sh).Where("s.slug = ?", slug).Scan(ctx)
	})
	if err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	withHost(ctx, sh)
	return sh, nil
}

// StorefrontShop returns the shop whose storefront is at slug: an active
// shop, or a suspended one (its storefront says so and Selling is false).
// Returns NotFound for pending, closed and absent shops.
func (s *Service) StorefrontShop(ctx context.Context, slug string) (*Shop, error) {
	sh, err := s.ShopBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	if sh.Status != ShopActive && sh.Status != ShopSuspended {
		return nil, errNotFound
	}
	return sh, nil
}

// FlagshipShop returns the flagship store (官方旗舰店) of the tenant in
// ctx. Returns NotFound when the tenant has none.
func (s *Service) FlagshipShop(ctx context.Context) (*Shop, error) {
	sh := new(Shop)
	err := s.read(ctx, func(ctx context.Context, tx bun.IDB) error {
		return db.Select(ctx, tx, sh).Where("s.is_flagship = ?", true).Scan(ctx)
	})
	if err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	withHost(ctx, sh)
	return sh, nil
}

// MyShops returns the shops p owns or works for, oldest first, whatever
// their status. Returns Unauthenticated without a tenant principal.
func (s *Service) MyShops(ctx context.Context, p *identity.Principal) ([]*Shop, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	shops := []*Shop{}
	err := s.read(ctx, func(ctx context.Context, tx bun.IDB) error {
		staff := db.Select(ctx, tx, (*StaffMember)(nil)).Column("ss.shop_id").Where("ss.user_id = ?", p.UserID)
		return db.Select(ctx, tx, &shops).
			WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
				return q.Where("s.owner_id = ?", p.UserID).WhereOr("s.id IN (?)", staff)
			}).Order("s.created_at", "s.id").Scan(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("list my shops: %w", err)
	}
	withHost(ctx, shops...)
	return shops, nil
}

// authorizeShop returns nil when p holds perm on sh; Forbidden when p may
// see sh (PermViewShop or PermListShops there) but not do this; NotFound
// otherwise, so that a shop outside p's reach does not exist for p.
func (s *Service) authorizeShop(ctx context.Context, p *identity.Principal, sh *Shop, perm string) error {
	dom := sh.AuthzDomain()
	if s.allowed(ctx, p, dom, perm) {
		return nil
	}
	if s.allowed(ctx, p, dom, PermViewShop) || s.allowed(ctx, p, dom, PermListShops) {
		return s.check(ctx, p, dom, perm)
	}
	return errNotFound
}

// shopFor loads shop id in tx and authorises perm on it for p.
func (s *Service) shopFor(ctx context.Context, tx bun.IDB, p *identity.Principal, id, perm string) (*Shop, error) {
	sh, err := loadShop(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeShop(ctx, p, sh, perm); err != nil {
		return nil, err
	}
	return sh, nil
}

// ShopFor returns shop id for p's merchant console. p needs PermViewShop
// in the shop's domain. Returns NotFound when the shop is absent, another
// tenant's, or not p's to see.
func (s *Service) ShopFor(ctx context.Context, p *identity.Principal, id string) (*Shop, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	var sh *Shop
	err := s.read(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		sh, err = s.shopFor(ctx, tx, p, id, PermViewShop)
		return err
	})
	return sh, err
}

var colorRE = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// UpdateProfile replaces the profile of shop id: name, description,
// service promises, returns policy, returns window, contacts, theme
// colour and announcement. p needs PermEditProfile in the shop's domain.
// A nil ReturnDays gives the shop the tenant's default window again.
//
// Returns NotFound when the shop is absent or outside p's reach; Forbidden
// when p may see it but not edit it; Conflict for a closed shop; Invalid
// with field errors for bad input, "return_days" outside 0 to
// ReturnDaysMax among them (nothing is written then).
func (s *Service) UpdateProfile(ctx context.Context, p *identity.Principal, id string, in ProfileInput) (*Shop, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	var fe core.FieldErrors
	name := validate.Text(&fe, "name", in.Name, ShopNameMin, ShopNameMax)
	desc := validate.Text(&fe, "description", in.Description, 0, DescriptionMax)
	promises := validate.Text(&fe, "service_promises", in.ServicePromises, 0, ServicePromisesMax)
	returns := validate.Text(&fe, "returns_policy", in.ReturnsPolicy, 0, ReturnsPolicyMax)
	phone := validate.Phone(&fe, "contact_phone", in.ContactPhone, true)
	email := validate.Email(&fe, "contact_email", in.ContactEmail, false)
	color := strings.ToLower(strings.TrimSpace(in.ThemeColor))
	if color != "" && !colorRE.MatchString(color) {
		fe.Add("theme_color", "merchant.field.color_invalid")
	}
	announcement := validate.Text(&fe, "announcement", in.Announcement, 0, AnnouncementMax)
	var returnDays *int
	if in.ReturnDays != nil {
		if d := *in.ReturnDays; d < 0 || d > ReturnDaysMax {
			fe.Add("return_days", "merchant.field.return_days_range")
		} else {
			returnDays = &d
		}
	}
	var sh *Shop
	err := s.write(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		if sh, err = s.shopFor(ctx, tx, p, id, PermEditProfile); err != nil {
			return err
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if sh.Status == ShopClosed {
			return core.Errorf(core.Conflict, "merchant.error.shop_state")
		}
		renamed := sh.Name != name
		sh.Name, sh.Description, sh.ServicePromises, sh.ReturnsPolicy = name, desc, promises, returns
		sh.ContactPhone, sh.ContactEmail, sh.ThemeColor, sh.Announcement = phone, email, color, announcement
		sh.ReturnDays, sh.UpdatedAt = returnDays, time.Now().UTC()
		_, err = db.Update(ctx, tx, sh).Column("name", "description", "service_promises", "returns_policy",
			"contact_phone", "contact_email", "theme_color", "announcement", "return_days", "updated_at").WherePK().Exec(ctx)
		if err != nil {
			return fmt.Errorf("update profile of shop %s: %w", sh.ID, err)
		}
		if renamed {
			return s.shopChanged(ctx, tx, sh.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sh, nil
}

// CanMove reports whether a shop may go from status from to status to:
// pending → active, active → suspended, suspended → active, and any status
// but closed → closed (closed is final).
func CanMove(from, to string) bool {
	switch to {
	case ShopActive:
		return from == ShopPending || from == ShopSuspended
	case ShopSuspended:
		return from == ShopActive
	case ShopClosed:
		return from != ShopClosed
	}
	return false
}

// SetStatus moves shop id to status (ShopActive, ShopSuspended or
// ShopClosed) with reason, which is required to suspend and shown to the
// merchant. p needs PermManageShop in the shop's domain (region managers
// reach only their regions' shops).
//
// Returns NotFound when the shop is absent or outside p's reach; Forbidden
// when p may see it but not manage it; Invalid for an unknown status or a
// missing reason; Conflict for a move CanMove forbids and for closing the
// flagship store.
func (s *Service) SetStatus(ctx context.Context, p *identity.Principal, id, status, reason string) (*Shop, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	var fe core.FieldErrors
	min := 0
	if status == ShopSuspended {
		min = 1
	}
	reason = validate.Text(&fe, "reason", reason, min, StatusReasonMax)
	if status != ShopActive && status != ShopSuspended && status != ShopClosed {
		fe.Add("status", "merchant.field.status_invalid")
	}
	var sh *Shop
	err := s.write(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		if sh, err = s.shopFor(ctx, tx, p, id, PermManageShop); err != nil {
			return err
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if status == ShopClosed && sh.IsFlagship {
			return core.Errorf(core.Conflict, "merchant.error.flagship_close")
		}
		if !CanMove(sh.Status, status) {
			return core.Errorf(core.Conflict, "merchant.error.shop_state")
		}
		from := sh.Status
		if status == ShopActive {
			reason = "" // an open shop shows no suspension reason
		}
		sh.Status, sh.SuspendedReason, sh.UpdatedAt = status, reason, time.Now().UTC()
		res, err := db.Update(ctx, tx, sh).Column("status", "suspended_reason", "updated_at").WherePK().
			Where("s.status = ?", from).Exec(ctx)
		if err != nil {
			return fmt.Errorf("set status of shop %s: %w", sh.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return core.Errorf(core.Conflict, "merchant.error.shop_state")
		}
		return s.shopChanged(ctx, tx, sh.ID)
	})
	if err != nil {
		return nil, err
	}
	return sh, nil
}
