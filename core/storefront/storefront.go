// Package storefront is the shopper's side of a marketplace, rendered on
// the server: the marketplace home (shops, categories, customer service),
// each shop's storefront, sign-in, registration, password reset and the
// shopper's account page. Pages are public unless they show the caller's
// own data.
package storefront

import (
	"context"
	"embed"
	"html/template"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/web"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages are the storefront's templates, parsed once.
var pages = web.MustParse(templateFS, template.FuncMap{
	"initial": initial,
	"catName": merchant.CategoryName,
	"catLabel": func(c *catalog.Category, locale string) string {
		return c.Label(locale)
	},
	"cartCount": cartCount,
	"yuan":      yuan,
}, "templates/*.html")

// site holds the storefront's services.
type site struct {
	a     *app.App
	homes sync.Map // tenant id → *homeEntry
}

var errNotFound = core.Errorf(core.NotFound, "error.not_found")

// Register mounts the storefront's pages on the tenant area of rt.
func Register(rt *httpx.Router, a *app.App) {
	s := &site{a: a}
	public := func(method, path string, h http.HandlerFunc) {
		rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: method, Path: path, Public: true, Handler: h})
	}
	signedIn := func(method, path string, h http.HandlerFunc) {
		rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: method, Path: path, Perm: httpx.PermSignedIn, Handler: h})
	}
	public("GET", "/", s.home)
	public("GET", "/s/{shop}", s.shopRedirect)
	public("GET", "/s/{shop}/{$}", s.shop)
	public("GET", "/s/{shop}/p/{id}", s.product)
	public("GET", "/c/{id}", s.categoryPage)
	public("GET", "/search", s.searchPage)
	public("GET", "/orders/lookup", s.lookupForm)
	public("POST", "/orders/lookup", s.lookup)
	public("GET", "/login", s.loginForm)
	public("POST", "/login", s.login)
	public("GET", "/register", s.registerForm)
	public("POST", "/register", s.register)
	public("GET", "/password-reset", s.resetForm)
	public("POST", "/password-reset", s.requestReset)
	public("GET", "/password-reset/confirm", s.resetConfirmForm)
	public("POST", "/password-reset/confirm", s.resetConfirm)
	signedIn("POST", "/logout", s.logout)
	signedIn("GET", "/account", s.account)

	// Buying: the cart (anonymous visitors' too, behind the jishi_cart
	// cookie), checkout, the shopper's orders and balance.
	public("GET", "/cart", s.cartPage)
	public("POST", "/cart/lines", s.addToCart)
	public("POST", "/cart/lines/{id}", s.setCartQty)
	public("POST", "/cart/lines/{id}/remove", s.removeCartLine)
	public("POST", "/cart/empty", s.emptyCart)
	public("POST", "/cart/region", s.setCartRegion)
	signedIn("GET", "/checkout", s.checkoutPage)
	signedIn("POST", "/checkout", s.checkoutPost)
	signedIn("GET", "/orders", s.ordersPage)
	signedIn("GET", "/orders/{id}", s.orderPage)
	signedIn("POST", "/orders/{id}/cancel", s.cancelOrder)
	signedIn("GET", "/orders/group/{id}", s.groupPage)
	signedIn("GET", "/account/balance", s.balancePage)
	signedIn("POST", "/account/balance/redeem", s.redeemCard)
	signedIn("POST", "/account/balance/topup", s.topUp)
}

// homeData is the marketplace home.
type homeData struct {
	Announcement string
	Shops        []*merchant.Shop
	Categories   []*catalog.Category
}

// home is the marketplace's home page: its announcement, the shops open
// to shoppers (active, and suspended ones marked as such), the category
// tree and the customer-service centre. Every other unmatched GET of the
// tenant area lands here too and is answered 404.
func (s *site) home(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		httpx.Error(w, r, errNotFound)
		return
	}
	ctx := r.Context()
	t := tenants.MustFromContext(ctx)
	shops, cats, err := s.homeContent(ctx, t)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d := &homeData{Announcement: strings.TrimSpace(t.Settings.Announcement), Shops: shops, Categories: cats}
	s.render(w, r, http.StatusOK, "home", &web.Page{Area: web.AreaStorefront, Data: d, Console: s.console(r)})
}

// homeTTL bounds how long the home page's shops and categories are served
// from memory. A change made through this process shows at once (the
// merchant service's generation moves); one made on another server
// instance shows within homeTTL.
const homeTTL = 3 * time.Second

type homeEntry struct {
	shops []*merchant.Shop
	cats  []*catalog.Category
	gen   uint64
	at    time.Time
}

// homeContent returns the shops open to shoppers (active, and suspended
// ones marked as such) and the category tree of tenant t, from the cache
// when it is fresh. The cached slices are shared and read only.
func (s *site) homeContent(ctx context.Context, t *tenants.Tenant) ([]*merchant.Shop, []*catalog.Category, error) {
	gen := s.a.Merchants.Generation()
	if v, ok := s.homes.Load(t.ID); ok {
		e := v.(*homeEntry)
		if e.gen == gen && time.Since(e.at) < homeTTL {
			return e.shops, e.cats, nil
		}
	}
	all, err := s.a.Merchants.Shops(ctx, merchant.ShopFilter{})
	if err != nil {
		return nil, nil, err
	}
	e := &homeEntry{gen: gen, at: time.Now()}
	for _, sh := range all {
		if sh.Status == merchant.ShopActive || sh.Status == merchant.ShopSuspended {
			e.shops = append(e.shops, sh)
		}
	}
	err = s.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		e.cats, err = catalog.Tree(ctx, tx)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	s.homes.Store(t.ID, e)
	return e.shops, e.cats, nil
}

// shopRedirect sends /s/{shop} to /s/{shop}/ with the resolution base (the
// mux's own redirect would drop it).
func (s *site) shopRedirect(w http.ResponseWriter, r *http.Request) {
	web.Redirect(w, r, "/s/", r.PathValue("shop"), "/")
}

// shopData is one shop's storefront.
type shopData struct {
	Shop *merchant.Shop
	// Selling is false for a suspended shop: no buy buttons then.
	Selling  bool
	Flagship bool
}

// shop is a shop's storefront: banner, logo, name, description, service
// promises, returns policy, contacts, announcement, in the shop's theme
// colour. A suspended shop says so and sells nothing; pending, closed and
// unknown shops are 404.
func (s *site) shop(w http.ResponseWriter, r *http.Request) {
	sh, err := s.a.Merchants.StorefrontShop(r.Context(), r.PathValue("shop"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "shop", &web.Page{
		Title: sh.Name, Area: web.AreaStorefront, ThemeColor: sh.ThemeColor, Console: s.console(r),
		Data: &shopData{Shop: sh, Selling: sh.Selling(), Flagship: sh.IsFlagship},
	})
}

// console reports whether the caller may open the tenant console (for the
// navigation).
func (s *site) console(r *http.Request) bool {
	p := web.Principal(r)
	if p == nil {
		return false
	}
	c, err := web.Console(r.Context(), s.a, p)
	return err == nil && c.Any()
}

// initial is the first character of a name, shown when a shop has no logo.
func initial(s string) string {
	for _, r := range strings.TrimSpace(s) {
		return string(r)
	}
	return "?"
}
