package adminui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/stripepay"
	"github.com/jishi-dev/jishi/core/stripepay/stripetest"
	"github.com/jishi-dev/jishi/core/web/webtest"
)

// TestPaymentsConsole: the tenant admin sets Stripe keys (bad shapes are
// field errors; secrets never shown back), issues stored-value cards and
// sees the float; a shop owner starts Stripe onboarding from the payouts
// page. Another shop's or tenant's payouts page is 404.
func TestPaymentsConsole(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.NewWith(t, d, app.Config{Stripe: stripepay.Config{APIBase: stripetest.URL(t)}})
		m := e.NewMarket("网上供销社")
		admin, _ := m.User("管理员", authz.TenantAdmin, authz.TenantDomain(m.Tenant.ID))
		owner := m.Account("王场长", "", "")
		shop := m.Shop(owner, "yuelu-veg", "岳麓蔬菜基地", m.Yuelu)
		other := m.Account("李经理", "", "")
		m.Shop(other, "furong-rice", "芙蓉稻香米油", m.Furong)
		ob, otherB := m.SignedIn(owner), m.SignedIn(other)

		// No keys anywhere: Stripe is off, the payouts page says so.
		r := webtest.Want(t, admin.Get("/admin/payments"), 200, "payments")
		webtest.Contains(t, r, "payments", `id="stripe-form"`, "未开通 Stripe", `id="float-total"`, `id="cards-form"`, "/webhooks/stripe")
		webtest.Contains(t, webtest.Want(t, ob.Get("/merchant/shops/"+shop.ID+"/payouts"), 200, "payouts off"), "payouts off", "尚未开通 Stripe 在线支付")

		// Bad keys: field errors, nothing saved.
		r = webtest.Want(t, admin.Post("/admin/payments/stripe", url.Values{"secret_key": {"pk_test_wrongkind123"}, "publishable_key": {"sk_x"},
			"methods": {"card", "bitcoin"}}), http.StatusBadRequest, "bad keys")
		webtest.Contains(t, r, "bad keys", "密钥格式不对", "可公开密钥格式不对", "请至少选择一种支付方式")
		webtest.Want(t, admin.Post("/admin/payments/stripe", url.Values{"secret_key": {stripetest.SecretKey}, "publishable_key": {stripetest.PublishableKey},
			"webhook_secret": {stripetest.WebhookSecret}, "methods": {"card", "alipay"}}), http.StatusSeeOther, "save keys")
		r = webtest.Want(t, admin.Get("/admin/payments"), 200, "payments on")
		webtest.Contains(t, r, "payments on", "已开通 Stripe 在线支付", "使用本市场自己的 Stripe 账户", "sk_test_••••cdef", `value="alipay" checked`)
		for _, secret := range []string{stripetest.SecretKey, stripetest.WebhookSecret} {
			if strings.Contains(string(r.Body), secret) {
				t.Fatalf("payments page shows a secret")
			}
		}
		// A shop owner may not change them.
		webtest.Want(t, ob.Post("/admin/payments/stripe", url.Values{"methods": {"card"}}), http.StatusForbidden, "owner saves keys")

		// Cards: a batch shows its codes once.
		r = webtest.Want(t, admin.Post("/admin/payments/cards", url.Values{"reference": {"B-1"}, "count": {"2"}, "amount": {"-1"}, "funded": {"sold"}, "tender": {"cash"}}), http.StatusBadRequest, "bad cards")
		webtest.Contains(t, r, "bad cards", "每张卡面额")
		r = webtest.Want(t, admin.Post("/admin/payments/cards", url.Values{"reference": {"B-1"}, "count": {"2"}, "amount": {"50"}, "funded": {"sold"}, "tender": {"cash"}}), http.StatusCreated, "cards")
		webtest.Contains(t, r, "cards", `id="issued-cards"`, `class="card-code code"`, "¥100.00")

		// Payouts: the owner starts onboarding and is sent to Stripe.
		r = webtest.Want(t, ob.Get("/merchant/shops/"+shop.ID+"/payouts"), 200, "payouts")
		webtest.Contains(t, r, "payouts", `id="onboard-form"`, "开通 Stripe 收款")
		r = webtest.Want(t, ob.Post("/merchant/shops/"+shop.ID+"/payouts/onboard", nil), http.StatusSeeOther, "onboard")
		if loc := r.Location(); !strings.HasPrefix(loc, "http") || strings.Contains(loc, m.Tenant.Slug) {
			t.Fatalf("onboarding sent to %q", loc)
		}
		r = webtest.Want(t, ob.Get("/merchant/shops/"+shop.ID+"/payouts?stripe=return"), 200, "returned")
		webtest.Contains(t, r, "returned", `class="code">acct_`, `id="details-submitted" data-on="false"`, "继续完成开通")
		// Another shop's owner, another tenant: 404.
		webtest.Want(t, otherB.Get("/merchant/shops/"+shop.ID+"/payouts"), http.StatusNotFound, "other owner")
		webtest.Want(t, otherB.Post("/merchant/shops/"+shop.ID+"/payouts/onboard", nil), http.StatusNotFound, "other owner onboard")
		m2 := e.NewMarket("株洲供销社")
		admin2, _ := m2.User("管理员2", authz.TenantAdmin, authz.TenantDomain(m2.Tenant.ID))
		webtest.Want(t, admin2.Get("/merchant/shops/"+shop.ID+"/payouts"), http.StatusNotFound, "other tenant")
	})
}
