package adminui

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/payment"
	"github.com/jishi-dev/jishi/core/stripepay"
	"github.com/jishi-dev/jishi/core/web"
	"github.com/uptrace/bun"
)

// registerPayments mounts the tenant's payment settings (Stripe keys and
// methods, the stored-value float, issuing stored-value cards) and a
// shop's payouts page (Stripe Connect onboarding and transfers).
func (u *ui) registerPayments(rt *httpx.Router) {
	h := func(method, path, perm string, resource bool, fn http.HandlerFunc) {
		rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: method, Path: path, Perm: perm, Resource: resource, Handler: fn})
	}
	h("GET", "/admin/payments", billing.PermSettings, false, u.paymentsPage)
	h("POST", "/admin/payments/stripe", billing.PermSettings, false, u.saveStripe)
	h("POST", "/admin/payments/cards", payment.PermCustomerManage, false, u.issueCards)
	h("GET", "/merchant/shops/{id}/payouts", merchant.PermViewShop, true, u.payoutsPage)
	h("POST", "/merchant/shops/{id}/payouts/onboard", merchant.PermStaff, true, u.onboard)
}

// paymentsData is the tenant's payments page.
type paymentsData struct {
	Stripe  *stripepay.SettingsView
	Methods []methodOption
	Float   *payment.Float
	// Issued are the codes of the batch just issued (shown once).
	Issued []*payment.IssuedCard
	Cards  *web.Form
	Host   string // the tenant's host, for the webhook address
}

type methodOption struct {
	Value   string
	Checked bool
}

func (u *ui) paymentsPage(w http.ResponseWriter, r *http.Request) {
	u.renderPayments(w, r, http.StatusOK, nil, nil, nil)
}

func (u *ui) renderPayments(w http.ResponseWriter, r *http.Request, status int, f, cards *web.Form, issued []*payment.IssuedCard) {
	c, ok := u.access(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	d := &paymentsData{Issued: issued, Cards: cards, Host: r.Host}
	err := u.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		d.Stripe, err = u.a.Stripe.View(ctx, tx)
		return err
	})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	for _, m := range stripepay.Methods {
		on := strings.Contains(","+strings.Join(d.Stripe.Methods, ",")+",", ","+m+",")
		if f != nil {
			on = f.Checked("methods", m)
		}
		d.Methods = append(d.Methods, methodOption{Value: m, Checked: on})
	}
	if d.Float, err = u.a.Payments.Balance.FloatOf(ctx, web.Principal(r)); err != nil {
		d.Float = nil // shown only to who may manage customers
	}
	if f == nil {
		f = web.NewForm(map[string]string{"publishable_key": d.Stripe.PublishableKey, "country": d.Stripe.Country})
	}
	if d.Cards == nil {
		d.Cards = web.NewForm(map[string]string{"count": "10", "funded": payment.FundedSold, "tender": "cash"})
	}
	p := consolePage(r, "ui.payments.title", c, d)
	p.Form = f
	pages.Render(w, r, status, "payments", p)
}

func (u *ui) saveStripe(w http.ResponseWriter, r *http.Request) {
	f := web.FormOf(r)
	in := stripepay.SettingsInput{SecretKey: f.Get("secret_key"), PublishableKey: f.Get("publishable_key"),
		WebhookSecret: f.Get("webhook_secret"), Methods: f.Values["methods"], Country: f.Get("country"), Clear: f.Get("clear") == "1"}
	if _, err := u.a.Stripe.Save(r.Context(), in); err != nil {
		status, ok := f.Fail(r, err)
		if !ok {
			httpx.Error(w, r, err)
			return
		}
		u.renderPayments(w, r, status, f, nil, nil)
		return
	}
	web.SetFlash(w, web.FlashSuccess, "ui.payments.flash.saved")
	web.Redirect(w, r, "/admin/payments")
}

func (u *ui) issueCards(w http.ResponseWriter, r *http.Request) {
	f := web.FormOf(r)
	count, _ := strconv.Atoi(strings.TrimSpace(f.Get("count")))
	fen, ok := catalog.ParseYuan(f.Get("amount"))
	in := payment.IssueInput{Reference: f.Get("reference"), Count: count, AmountFen: fen,
		Funded: f.Get("funded"), Tender: f.Get("tender"), ActorID: web.Principal(r).UserID}
	if !ok {
		in.AmountFen = -1
	}
	var out []*payment.IssuedCard
	err := u.a.DB.RunInTx(r.Context(), func(ctx context.Context, tx bun.IDB) (err error) {
		out, err = u.a.Payments.IssueCards(ctx, tx, in)
		return err
	})
	if err != nil {
		status, ok := f.Fail(r, core.RenameField(err, "amount_fen", "amount"))
		if !ok {
			httpx.Error(w, r, err)
			return
		}
		u.renderPayments(w, r, status, nil, f, nil)
		return
	}
	u.renderPayments(w, r, http.StatusCreated, nil, nil, out)
}

// payoutsData is a shop's payouts page.
type payoutsData struct {
	Shop      *merchant.Shop
	Offered   bool
	Account   *stripepay.Account
	Usable    bool
	CanManage bool
	Owed      string
	Transfers []*stripepay.Transfer
	Returned  bool // back from Stripe's onboarding
}

func (u *ui) payoutsPage(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	sh, err := u.a.Merchants.ShopFor(ctx, p, r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d := &payoutsData{Shop: sh, CanManage: u.a.Authz.Allowed(ctx, p, sh.AuthzDomain(), merchant.PermStaff)}
	if r.URL.Query().Get("stripe") == "return" && d.CanManage {
		d.Returned = true
		if _, err := u.a.Stripe.Refresh(ctx, sh.ID); err != nil {
			u.a.Stripe.Logger.Warn("refresh stripe account", "shop", sh.ID, "error", err)
		}
	}
	err = u.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		d.Offered = u.a.Stripe.Offered(ctx, tx)
		var err error
		if d.Account, err = u.a.Stripe.AccountOf(ctx, tx, sh.ID); err != nil {
			return err
		}
		d.Usable = d.Account.Usable()
		if d.Transfers, err = u.a.Stripe.TransfersOf(ctx, tx, sh.ID, 50); err != nil {
			return err
		}
		pos, err := u.a.Billing.Position(ctx, tx, sh.ID)
		if err != nil {
			return err
		}
		d.Owed = yuan(pos.OwedFen)
		return nil
	})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	c, _ := web.Console(ctx, u.a, p)
	pages.Render(w, r, http.StatusOK, "payouts", &web.Page{
		Title: title(r, "ui.payouts.title"), Area: web.AreaMerchant, Console: c.Any(), ThemeColor: sh.ThemeColor, Data: d,
	})
}

func (u *ui) onboard(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	sh, err := u.a.Merchants.ShopFor(ctx, p, r.PathValue("id"))
	if err == nil {
		err = u.a.Authz.Check(ctx, p, sh.AuthzDomain(), merchant.PermStaff)
	}
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	base := u.a.Config.PublicURL + web.Link(r, "/merchant/shops/", sh.ID, "/payouts")
	url, err := u.a.Stripe.Onboard(ctx, sh.ID, p.Email, base+"?stripe=return", base+"?stripe=refresh")
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	http.Redirect(w, r, url, http.StatusSeeOther)
}
