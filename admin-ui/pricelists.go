package adminui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/promo"
	"github.com/jishi-dev/jishi/core/web"
)

// registerPriceLists mounts the merchant console's price lists: a shop's
// prices for the tenant's customer groups (a member price per SKU, and
// for wholesale groups tier prices from a minimum quantity) on one page,
// and the form of each (create, edit, deactivate). Amounts are entered in
// yuan. Every route is a Resource route: the promo service checks
// price:manage in the shop's domain.
func (u *ui) registerPriceLists(rt *httpx.Router) {
	h := func(method, path string, fn http.HandlerFunc) {
		rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: method, Path: path, Perm: promo.PermPrices, Resource: true, Handler: fn})
	}
	h("GET", "/merchant/shops/{id}/price-lists", u.priceLists)
	h("GET", "/merchant/shops/{id}/price-lists/new", u.newPriceList)
	h("POST", "/merchant/shops/{id}/price-lists", u.createPriceList)
	h("GET", "/merchant/shops/{id}/price-lists/{list}", u.editPriceList)
	h("POST", "/merchant/shops/{id}/price-lists/{list}", u.savePriceList)
	h("POST", "/merchant/shops/{id}/price-lists/{list}/deactivate", u.deactivatePriceList)
}

// priceListShown is how many entries of a list the list page shows.
const priceListShown = 5

// priceListRow is one price list of the list page.
type priceListRow struct {
	ID, Name, Group, State, Badge string
	Active                        bool
	// Entries are the first priceListShown prices, described; More is
	// how many are left out, Count how many there are.
	Entries     []string
	More, Count int
}

// priceListsData is a shop's price lists page.
type priceListsData struct {
	Shop  *merchant.Shop
	Lists []priceListRow
	// NoGroups: the tenant has no customer group yet (its admin makes
	// them), so no list can be made.
	NoGroups bool
}

// groupLabel is "批发客户 · 批发（授权代理）".
func groupLabel(locale string, g *promo.CustomerGroup) string {
	return g.Name + " · " + i18n.T(locale, "ui.group_kind."+g.Kind)
}

// entryLabel describes one price: "{SKU}：¥4.50" or "{SKU}：10 件起 ¥4.00".
func entryLabel(locale string, e *promo.PriceEntry, skus *skuIndex) string {
	if e.MinQty > 1 {
		return i18n.T(locale, "ui.pricelist.tier_entry", skus.label(e.SKUID), e.MinQty, yuan(e.PriceFen))
	}
	return i18n.T(locale, "ui.pricelist.member_entry", skus.label(e.SKUID), yuan(e.PriceFen))
}

// priceListState is the list's state and badge: in force or off.
func priceListState(locale string, active bool) (string, string) {
	if active {
		return i18n.T(locale, "ui.pricelist.state_on"), "active"
	}
	return i18n.T(locale, "ui.promo.state_off"), "closed"
}

func (u *ui) priceLists(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	locale := i18n.FromContext(ctx)
	shopID := r.PathValue("id")
	all := merchant.Page{Limit: 500}
	pls, err := u.a.Promo.PriceLists(ctx, p, shopID, all)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	gs, err := u.a.Promo.ShopGroups(ctx, p, shopID, all)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	sh, err := u.shopByID(r, shopID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	skus, err := u.shopSKUs(r, sh.ID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	groups := map[string]string{}
	for _, g := range gs {
		groups[g.ID] = groupLabel(locale, g)
	}
	d := &priceListsData{Shop: sh, NoGroups: len(gs) == 0}
	for _, pl := range pls {
		row := priceListRow{ID: pl.ID, Name: pl.Name, Group: groups[pl.GroupID], Active: pl.Active, Count: len(pl.Entries)}
		row.State, row.Badge = priceListState(locale, pl.Active)
		for i, e := range pl.Entries {
			if i == priceListShown {
				row.More = len(pl.Entries) - i
				break
			}
			row.Entries = append(row.Entries, entryLabel(locale, e, skus))
		}
		d.Lists = append(d.Lists, row)
	}
	pages.Render(w, r, http.StatusOK, "pricelists", u.shopPage(r, sh, "ui.pricelists.title", nil, d))
}

// entryRow is one price row of the form; its inputs are named
// "entries.{I}.{field}" like the service's field errors.
type entryRow struct{ I int }

// N is the row's number, from 1.
func (e entryRow) N() int { return e.I + 1 }

// Name returns the input name of field of the row.
func (e entryRow) Name(field string) string { return "entries." + strconv.Itoa(e.I) + "." + field }

var entryFields = []string{"sku_id", "min_qty", "price_fen"}

// entryCount is the number of price rows of f (1–MaxEntries).
func entryCount(f *web.Form) int {
	n, err := strconv.Atoi(f.Get("entry_count"))
	if err != nil || n < 1 {
		n = 1
	}
	return min(n, promo.MaxEntries)
}

// editEntryRows applies the form's row buttons: op "add_entry" adds an
// empty row, "remove_entry:{i}" removes row i. It reports whether there
// was one.
func editEntryRows(f *web.Form) bool {
	op := f.Get("op")
	n := entryCount(f)
	switch {
	case op == "add_entry":
		if n < promo.MaxEntries {
			f.Values.Set("entry_count", strconv.Itoa(n+1))
		}
		return true
	case strings.HasPrefix(op, "remove_entry:"):
		i, err := strconv.Atoi(strings.TrimPrefix(op, "remove_entry:"))
		if err != nil || i < 0 || i >= n || n == 1 {
			return true
		}
		for j := i; j < n-1; j++ {
			from, to := entryRow{I: j + 1}, entryRow{I: j}
			for _, fl := range entryFields {
				f.Values.Set(to.Name(fl), f.Get(from.Name(fl)))
			}
		}
		last := entryRow{I: n - 1}
		for _, fl := range entryFields {
			f.Values.Del(last.Name(fl))
		}
		f.Values.Set("entry_count", strconv.Itoa(n-1))
		return true
	}
	return false
}

// priceListFormData is the form of a price list (new when ID is "").
type priceListFormData struct {
	Shop   *merchant.Shop
	ID     string
	Action string
	Groups []option
	SKUs   []option
	Rows   []entryRow
	State  string
	Badge  string
}

// priceListForm reads stored price list item of shop shopID into a form
// (one empty row after its prices), with its state.
func (u *ui) priceListForm(r *http.Request, shopID, item string) (*web.Form, string, string, error) {
	pl, err := u.a.Promo.PriceList(r.Context(), web.Principal(r), shopID, item)
	if err != nil {
		return nil, "", "", err
	}
	f := web.NewForm(map[string]string{"name": pl.Name, "group_id": pl.GroupID, "entry_count": strconv.Itoa(len(pl.Entries) + 1)})
	if pl.Active {
		f.Values.Set("active", "1")
	}
	for i, e := range pl.Entries {
		row := entryRow{I: i}
		f.Values.Set(row.Name("sku_id"), e.SKUID)
		f.Values.Set(row.Name("min_qty"), strconv.Itoa(e.MinQty))
		f.Values.Set(row.Name("price_fen"), catalog.FormatYuan(e.PriceFen))
	}
	state, badge := priceListState(i18n.FromContext(r.Context()), pl.Active)
	return f, state, badge, nil
}

// renderPriceListForm shows the price-list form for shop sh (item "" for
// a new list).
func (u *ui) renderPriceListForm(w http.ResponseWriter, r *http.Request, status int, sh *merchant.Shop, item, state, badge string, f *web.Form) {
	ctx, p := r.Context(), web.Principal(r)
	locale := i18n.FromContext(ctx)
	gs, err := u.a.Promo.ShopGroups(ctx, p, sh.ID, merchant.Page{Limit: 500})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	skus, err := u.shopSKUs(r, sh.ID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d := &priceListFormData{Shop: sh, ID: item, State: state, Badge: badge, SKUs: skus.Options,
		Action: "/merchant/shops/" + sh.ID + "/price-lists"}
	if item != "" {
		d.Action += "/" + item
	}
	for _, g := range gs {
		d.Groups = append(d.Groups, option{Value: g.ID, Label: groupLabel(locale, g), On: f.Get("group_id") == g.ID})
	}
	for i := range entryCount(f) {
		d.Rows = append(d.Rows, entryRow{I: i})
	}
	f.Values.Set("entry_count", strconv.Itoa(len(d.Rows)))
	title := "ui.pricelist.title_new"
	if item != "" {
		title = "ui.pricelist.title_edit"
	}
	pages.Render(w, r, status, "pricelist_edit", u.shopPage(r, sh, title, f, d))
}

// newPriceList shows an empty form: active, three price rows.
func (u *ui) newPriceList(w http.ResponseWriter, r *http.Request) {
	shopID := r.PathValue("id")
	if _, err := u.a.Promo.PriceLists(r.Context(), web.Principal(r), shopID, merchant.Page{Limit: 1}); err != nil {
		httpx.Error(w, r, err)
		return
	}
	sh, err := u.shopByID(r, shopID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	f := web.NewForm(map[string]string{"active": "1", "entry_count": "3"})
	u.renderPriceListForm(w, r, http.StatusOK, sh, "", "", "", f)
}

func (u *ui) editPriceList(w http.ResponseWriter, r *http.Request) {
	u.showPriceList(w, r, nil)
}

// showPriceList renders the edit form of the price list in the path: with
// the stored values, or with f (rows added or removed before saving).
func (u *ui) showPriceList(w http.ResponseWriter, r *http.Request, f *web.Form) {
	shopID, item := r.PathValue("id"), r.PathValue("list")
	stored, state, badge, err := u.priceListForm(r, shopID, item)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	sh, err := u.shopByID(r, shopID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if f == nil {
		f = stored
	}
	u.renderPriceListForm(w, r, http.StatusOK, sh, item, state, badge, f)
}

// priceListInput reads form f: prices in yuan; rows left wholly empty are
// left out (pi.rows maps the service's entry positions to the form's
// rows); what does not parse is sent as -1 and noted in pi.bad.
func priceListInput(f *web.Form, pi *promoInput) promo.PriceListInput {
	active := f.Get("active") != ""
	in := promo.PriceListInput{GroupID: f.Get("group_id"), Name: f.Get("name"), Active: &active, Entries: []promo.PriceEntryInput{}}
	for i := range entryCount(f) {
		row := entryRow{I: i}
		if strings.TrimSpace(f.Get(row.Name("sku_id"))+f.Get(row.Name("min_qty"))+f.Get(row.Name("price_fen"))) == "" {
			continue
		}
		in.Entries = append(in.Entries, promo.PriceEntryInput{SKUID: f.Get(row.Name("sku_id")),
			MinQty: pi.number(f, row.Name("min_qty")), PriceFen: pi.requiredMoney(f, row.Name("price_fen"))})
		pi.rows = append(pi.rows, i)
	}
	return in
}

// failPriceList shows the form again with err on it: the service's
// messages next to their fields (entries renamed to the form's rows), the
// form's own where an input did not parse.
func (u *ui) failPriceList(w http.ResponseWriter, r *http.Request, shopID, item string, f *web.Form, pi *promoInput, err error) {
	status, ok := f.Fail(r, err)
	if !ok || core.ErrorCode(err) == core.NotFound || core.ErrorCode(err) == core.Forbidden {
		httpx.Error(w, r, err)
		return
	}
	if len(f.Errors) > 0 {
		errs := map[string]string{}
		for k, msg := range f.Errors {
			if rest, found := strings.CutPrefix(k, "entries."); found {
				i, field, ok := strings.Cut(rest, ".")
				n, convErr := strconv.Atoi(i)
				if ok && convErr == nil && n >= 0 && n < len(pi.rows) {
					k = entryRow{I: pi.rows[n]}.Name(field)
				}
			}
			errs[k] = msg
		}
		f.Errors = errs
	}
	locale := i18n.FromContext(r.Context())
	for k, key := range pi.bad {
		if f.Errors == nil {
			f.Errors = map[string]string{}
		}
		f.Errors[k] = i18n.T(locale, key)
	}
	sh, serr := u.shopByID(r, shopID)
	if serr != nil {
		httpx.Error(w, r, serr)
		return
	}
	state, badge := "", ""
	if item != "" {
		if _, st, bd, err := u.priceListForm(r, shopID, item); err == nil {
			state, badge = st, bd
		}
	}
	u.renderPriceListForm(w, r, status, sh, item, state, badge, f)
}

func (u *ui) createPriceList(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	shopID := r.PathValue("id")
	f := web.FormOf(r)
	if editEntryRows(f) {
		if _, err := u.a.Promo.PriceLists(ctx, p, shopID, merchant.Page{Limit: 1}); err != nil {
			httpx.Error(w, r, err)
			return
		}
		sh, err := u.shopByID(r, shopID)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		u.renderPriceListForm(w, r, http.StatusOK, sh, "", "", "", f)
		return
	}
	pi := &promoInput{bad: map[string]string{}}
	pl, err := u.a.Promo.CreatePriceList(ctx, p, shopID, priceListInput(f, pi))
	if err != nil {
		u.failPriceList(w, r, shopID, "", f, pi, err)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "ui.promo.flash_created")
	web.Redirect(w, r, "/merchant/shops/", shopID, "/price-lists#pricelist-", pl.ID)
}

func (u *ui) savePriceList(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	shopID, item := r.PathValue("id"), r.PathValue("list")
	f := web.FormOf(r)
	if editEntryRows(f) {
		u.showPriceList(w, r, f)
		return
	}
	pi := &promoInput{bad: map[string]string{}}
	if _, err := u.a.Promo.UpdatePriceList(ctx, p, shopID, item, priceListInput(f, pi)); err != nil {
		u.failPriceList(w, r, shopID, item, f, pi, err)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "web.flash.saved")
	web.Redirect(w, r, "/merchant/shops/", shopID, "/price-lists/", item)
}

// deactivatePriceList takes a price list out of force: it is saved again
// as it is, inactive (its prices stay for turning it on again).
func (u *ui) deactivatePriceList(w http.ResponseWriter, r *http.Request) {
	shopID, item := r.PathValue("id"), r.PathValue("list")
	f, _, _, err := u.priceListForm(r, shopID, item)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	f.Values.Del("active")
	pi := &promoInput{bad: map[string]string{}}
	if _, err := u.a.Promo.UpdatePriceList(r.Context(), web.Principal(r), shopID, item, priceListInput(f, pi)); err != nil {
		u.failPriceList(w, r, shopID, item, f, pi, err)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "ui.promo.flash_deactivated")
	web.Redirect(w, r, "/merchant/shops/", shopID, "/price-lists#pricelist-", item)
}
