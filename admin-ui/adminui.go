// Package adminui is the server-rendered consoles of Jishi, their
// templates embedded in the binary:
//
//   - the platform host: the landing page listing the marketplaces, the
//     platform admins' sign-in and console (tenants, create-tenant form);
//   - a tenant's console at /admin, for tenant admins and region
//     managers: regions, the merchant-application review queue, shops
//     with suspend and resume;
//   - the merchant console at /merchant: the application form and its
//     status, then the merchant's shops with their profile, images and
//     staff.
//
// Every route declares its permission; routes whose permission depends on
// the region or shop they touch are Resource routes and the merchant
// context checks them. Buttons that change one record post with htmx and
// swap the record's fragment; without JavaScript the same forms post and
// redirect.
package adminui

import (
	"context"
	"embed"
	"html/template"
	"net/http"
	"strings"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/web"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = web.MustParse(templateFS, template.FuncMap{
	"catName": merchant.CategoryName,
	"initial": func(s string) string {
		for _, r := range strings.TrimSpace(s) {
			return string(r)
		}
		return "?"
	},
	"appStatus":  func(locale, s string) string { return i18n.T(locale, "ui.app_status."+s) },
	"shopStatus": func(locale, s string) string { return i18n.T(locale, "ui.shop_status."+s) },
	"roleName":   func(locale, s string) string { return i18n.T(locale, "ui.role."+s) },
	"yuan":       yuan,
}, "templates/*.html")

var (
	errNotFound  = core.Errorf(core.NotFound, "error.not_found")
	errForbidden = core.Errorf(core.Forbidden, "error.forbidden")
)

// ui holds the consoles' services.
type ui struct{ a *app.App }

// Register mounts the platform pages and the tenant and merchant consoles
// on rt.
func Register(rt *httpx.Router, a *app.App) {
	u := &ui{a: a}
	u.registerPlatform(rt)
	u.registerConsole(rt)
	u.registerMerchant(rt)
	u.registerProducts(rt)
	u.registerImport(rt)
	u.registerDispatch(rt)
	u.registerOrders(rt)
	u.registerPromos(rt)
	u.registerStock(rt)
	u.registerPickup(rt)
	u.registerPlugins(rt)
	u.registerInvoices(rt)
	u.registerReports(rt)
	u.registerPayments(rt)
}

// title translates key in the request's language.
func title(r *http.Request, key string, args ...any) string {
	return i18n.T(i18n.FromContext(r.Context()), key, args...)
}

// regionIndex is the tenant's regions: the tree, and every region by id
// with its display name ("长沙市 · 岳麓区" for a district).
type regionIndex struct {
	Tree  []*tenants.Region
	Names map[string]string
}

// Name returns the display name of region id ("" for none).
func (x *regionIndex) Name(id string) string {
	if x == nil {
		return ""
	}
	return x.Names[id]
}

// NamePtr is Name for an optional id.
func (x *regionIndex) NamePtr(id *string) string {
	if id == nil {
		return ""
	}
	return x.Name(*id)
}

func (u *ui) regions(ctx context.Context) (*regionIndex, error) {
	x := &regionIndex{Names: map[string]string{}}
	err := u.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		x.Tree, err = tenants.Regions(ctx, tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, c := range x.Tree {
		x.Names[c.ID] = c.Name
		for _, d := range c.Children {
			x.Names[d.ID] = c.Name + " · " + d.Name
		}
	}
	return x, nil
}
