// Package seeds loads the demo marketplaces: 网上供销社·长沙
// (changsha-coop) and 网上供销社·株洲 (zhuzhou-coop), with regions,
// categories, shops, a pending merchant application and a demo user for
// every role. Everything goes through the same services the HTTP API uses
// (provisioning, registration, applications and their review), so the
// demo data obeys every rule real data does.
package seeds

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Login is one demo account printed at start.
type Login struct {
	Role, Tenant, Login, Password, URL string
}

// Needed reports whether the database holds no tenant yet.
func Needed(ctx context.Context, a *app.App) (bool, error) {
	ts, err := tenants.List(ctx, a.DB.DB)
	if err != nil {
		return false, fmt.Errorf("list tenants: %w", err)
	}
	return len(ts) == 0, nil
}

// Load seeds the demo tenants into a's database and returns the demo
// logins. It is meant for an empty database: a tenant slug that exists
// already makes it fail before anything of that tenant is written.
func Load(ctx context.Context, a *app.App) ([]Login, error) {
	if err := a.Identity.CreatePlatformAdmin(ctx, PlatformAdminEmail, "平台管理员", DemoPassword); err != nil {
		return nil, fmt.Errorf("platform admin: %w", err)
	}
	for _, ts := range demo {
		start := time.Now()
		if err := loadTenant(ctx, a, ts); err != nil {
			return nil, fmt.Errorf("seed %s: %w", ts.Slug, err)
		}
		slog.Info("seeded demo marketplace", "tenant", ts.Slug, "took", time.Since(start).Round(time.Millisecond))
	}
	return Logins(a), nil
}

func loadTenant(ctx context.Context, a *app.App, ts tenantSeed) error {
	admin := ts.user("tenant_admin")
	t, err := a.Provisioner.Create(ctx, a.DB, tenants.CreateInput{
		Slug: ts.Slug, Name: ts.Name,
		AdminEmail: admin.Email, AdminName: admin.Name, AdminPassword: DemoPassword,
	})
	if err != nil {
		return fmt.Errorf("provision: %w", err)
	}
	ctx = tenants.WithTenant(ctx, t)

	regions := map[string]string{} // code → id
	users := map[string]*identity.User{}
	err = a.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		s := t.Settings
		s.ContactEmail = admin.Email
		s.Announcement = ts.Announcement
		if err := tenants.UpdateSettings(ctx, tx, s); err != nil {
			return err
		}
		city, err := tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: ts.City.Code, Name: ts.City.Name})
		if err != nil {
			return fmt.Errorf("region %s: %w", ts.City.Code, err)
		}
		regions[ts.City.Code] = city.ID
		for i, d := range ts.Districts {
			r, err := tenants.CreateRegion(ctx, tx, tenants.RegionInput{ParentID: city.ID, Code: d.Code, Name: d.Name, Sort: i})
			if err != nil {
				return fmt.Errorf("region %s: %w", d.Code, err)
			}
			regions[d.Code] = r.ID
		}
		for _, us := range ts.Users {
			if us.Role == "tenant_admin" {
				u, err := a.Identity.UserByLogin(ctx, tx, us.Email)
				if err != nil {
					return fmt.Errorf("tenant admin: %w", err)
				}
				users[us.Email] = u
				continue
			}
			u, err := a.Identity.CreateUser(ctx, tx, identity.UserInput{Email: us.Email, Phone: us.Phone, Name: us.Name, Password: DemoPassword})
			if err != nil {
				return fmt.Errorf("user %s: %w", us.Email, err)
			}
			users[us.Email] = u
			if us.Role == authz.RegionManager || us.Role == authz.PickupOperator {
				if err := a.Authz.Assign(ctx, tx, u.ID, us.Role, authz.RegionDomain(t.ID, regions[us.Region])); err != nil {
					return fmt.Errorf("assign %s to %s: %w", us.Role, us.Email, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Shops open the way real ones do: the owner applies, the tenant
	// admin approves, the owner fills in the storefront profile.
	adminP := principal(t, users[admin.Email])
	for _, ss := range ts.Shops {
		owner := principal(t, users[ss.Owner])
		app, err := a.Merchants.Apply(ctx, owner, ss.application(regions))
		if err != nil {
			return fmt.Errorf("apply for %s: %w", ss.Slug, err)
		}
		app, err = a.Merchants.Approve(ctx, adminP, app.ID)
		if err != nil {
			return fmt.Errorf("approve %s: %w", ss.Slug, err)
		}
		if app.ShopID == nil {
			return fmt.Errorf("approve %s: no shop opened", ss.Slug)
		}
		if _, err := a.Merchants.UpdateProfile(ctx, owner, *app.ShopID, merchant.ProfileInput{
			Name: ss.Name, Description: ss.Description, ServicePromises: ss.ServicePromises,
			ReturnsPolicy: ss.ReturnsPolicy, ContactPhone: ss.Phone, ThemeColor: ss.ThemeColor,
			Announcement: ss.Announcement,
		}); err != nil {
			return fmt.Errorf("profile of %s: %w", ss.Slug, err)
		}
		for _, us := range ts.Users {
			if us.Role != authz.MerchantStaff || us.Shop != ss.Slug {
				continue
			}
			_, token, err := a.Merchants.Invite(ctx, owner, *app.ShopID, merchant.InviteInput{Email: us.Email})
			if err != nil {
				return fmt.Errorf("invite %s: %w", us.Email, err)
			}
			if _, err := a.Merchants.AcceptInvitation(ctx, principal(t, users[us.Email]), token); err != nil {
				return fmt.Errorf("%s joins %s: %w", us.Email, ss.Slug, err)
			}
		}
	}
	for _, ss := range ts.Pending {
		if _, err := a.Merchants.Apply(ctx, principal(t, users[ss.Owner]), ss.application(regions)); err != nil {
			return fmt.Errorf("apply for %s: %w", ss.Slug, err)
		}
	}
	products, err := loadCatalog(ctx, a, t, ts, users)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := loadInventory(ctx, a, t, ts, users, regions, products); err != nil {
		return err
	}
	slog.Debug("seeded demo stock", "tenant", ts.Slug, "took", time.Since(start).Round(time.Millisecond))
	return loadShopping(ctx, a, t, ts, users, regions, products)
}

func principal(t *tenants.Tenant, u *identity.User) *identity.Principal {
	p := &identity.Principal{Kind: identity.KindTenant, UserID: u.ID, TenantID: t.ID, Name: u.Name}
	if u.Email != nil {
		p.Email = *u.Email
	}
	if u.Phone != nil {
		p.Phone = *u.Phone
	}
	return p
}

func (ts tenantSeed) user(role string) userSeed {
	for _, u := range ts.Users {
		if u.Role == role {
			return u
		}
	}
	panic("seeds: " + ts.Slug + " has no " + role)
}

func (ss shopSeed) application(regions map[string]string) merchant.ApplicationInput {
	return merchant.ApplicationInput{
		ShopName: ss.Name, Slug: ss.Slug, ContactName: ss.ContactName, ContactPhone: ss.Phone,
		ContactEmail: ss.Owner, LicenceNo: ss.Licence, MainCategories: ss.Categories,
		RegionID: regions[ss.Region], ExpectedProducts: ss.ExpectedProducts,
	}
}

// Logins returns the demo logins with the URLs to sign in at; none when
// the demo marketplaces are not in a's database.
func Logins(a *app.App) []Login {
	if _, err := tenants.BySlug(context.Background(), a.DB.DB, demo[0].Slug); err != nil {
		return nil
	}
	base := strings.TrimRight(a.Config.PublicURL, "/")
	out := []Login{{Role: "platform_admin", Tenant: "-", Login: PlatformAdminEmail, Password: DemoPassword, URL: base + "/admin/login"}}
	for _, ts := range demo {
		for _, us := range ts.Users {
			out = append(out, Login{Role: us.Role, Tenant: ts.Slug, Login: us.Email, Password: DemoPassword,
				URL: base + "/t/" + ts.Slug + landing(us.Role)})
		}
	}
	return out
}

// landing is where each role starts after signing in.
func landing(role string) string {
	switch role {
	case "tenant_admin", "region_manager":
		return "/admin"
	case "merchant_owner", "merchant_staff":
		return "/merchant"
	default:
		return "/login"
	}
}
