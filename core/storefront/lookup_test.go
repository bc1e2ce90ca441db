package storefront_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/order/ordertest"
	"github.com/jishi-dev/jishi/core/web/webtest"
)

// TestOrderLookupPage: the form (with its CSRF token) looks an order up
// by number and the phone's last four digits and shows its date, payment
// and shipping; a wrong pair, and another tenant's order, say the order
// was not found (404); malformed input shows the field errors (400); a
// post without the CSRF token is refused.
func TestOrderLookupPage(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("网上供销社")
		owner := m.Account("张老板", "", "")
		sh := m.Shop(owner, "xiangguo-fruit", "湘果鲜果园", m.Yuelu)
		pr := product(t, m, owner, sh.ID, categories(t, m)["strawberries"], "长沙有机草莓", 3980)
		shopper := m.Account("王芳", "", "")
		g, err := ordertest.Place(m.Ctx, m.App.Orders, m.App.DB, nil,
			ordertest.Input(shopper.ID, ordertest.Shop(sh.ID, ordertest.Courier(m.Yuelu.ID, 800, 0), ordertest.Line(pr.SKUs[0].ID, 2, 3980))), "")
		if err != nil {
			t.Fatal(err)
		}
		o := g.Orders[0]
		placed := o.PlacedAt.In(m.Tenant.Location()).Format("2006-01-02")
		b := m.Anonymous()
		r := webtest.Want(t, b.Get("/orders/lookup"), 200, "form")
		webtest.Contains(t, r, "form", "订单查询", `name="number"`, `name="phone_last4"`, `name="csrf_token"`)

		r = webtest.Want(t, b.Post("/orders/lookup", url.Values{"number": {o.Number}, "phone_last4": {"8000"}}), 200, "unpaid")
		webtest.Contains(t, r, "unpaid", "订单 "+o.Number, placed, "未付款", "未发货")
		webtest.Lacks(t, r, "unpaid", "王芳", "麓山南路", "13800138000", "长沙有机草莓")

		// Paid and shipped.
		paid, err := ordertest.Place(m.Ctx, m.App.Orders, m.App.DB, nil,
			ordertest.Input(shopper.ID, ordertest.Shop(sh.ID, ordertest.Courier(m.Yuelu.ID, 800, 0), ordertest.Line(pr.SKUs[0].ID, 1, 3980))), order.PaymentPaid)
		if err != nil {
			t.Fatal(err)
		}
		po := paid.Orders[0]
		for _, in := range []order.TransitionInput{{To: order.StatusAccepted}, {To: order.StatusPacked},
			{To: order.StatusShipped, Courier: "顺丰", TrackingNo: "SF1234567890"}} {
			if _, err := m.App.Orders.Transition(m.Ctx, owner.Principal, sh.ID, po.ID, in); err != nil {
				t.Fatal(err)
			}
		}
		r = webtest.Want(t, b.Post("/orders/lookup", url.Values{"number": {po.Number}, "phone_last4": {"８０００"}}), 200, "shipped")
		webtest.Contains(t, r, "shipped", "已付款", "已发货", "发货日期")
		webtest.Lacks(t, r, "shipped", "SF1234567890")
		r = webtest.Want(t, b.Post("/orders/lookup?lang=en", url.Values{"number": {po.Number}, "phone_last4": {"8000"}}), 200, "shipped en")
		webtest.Contains(t, r, "shipped en", "Paid", "Shipped on")

		// Wrong pair: one message, whichever part is wrong.
		webtest.Want(t, b.Get("/orders/lookup?lang=zh-CN"), 200, "back to Chinese")
		for _, in := range []url.Values{{"number": {o.Number}, "phone_last4": {"0000"}},
			{"number": {strings.Repeat("1", 12)}, "phone_last4": {"8000"}}} {
			r = webtest.Want(t, b.Post("/orders/lookup", in), 404, "wrong pair")
			webtest.Contains(t, r, "wrong pair", "没有找到这个订单", `value="`+in.Get("number")+`"`)
			webtest.Lacks(t, r, "wrong pair", "未付款")
		}
		// Malformed input.
		r = webtest.Want(t, b.Post("/orders/lookup", url.Values{"number": {"12"}, "phone_last4": {"abcd"}}), 400, "malformed")
		webtest.Contains(t, r, "malformed", "订单号为 12 位数字", "请输入手机号后 4 位", `aria-invalid="true"`)
		webtest.Want(t, b.Post("/orders/lookup", url.Values{}), 400, "empty")
		// Without the CSRF token.
		webtest.Want(t, b.PostNoCSRF("/orders/lookup", url.Values{"number": {o.Number}, "phone_last4": {"8000"}}), 403, "no csrf")
		// Another tenant's order is not found here.
		other := e.NewMarket("株洲供销社")
		r = webtest.Want(t, other.Anonymous().Post("/orders/lookup", url.Values{"number": {o.Number}, "phone_last4": {"8000"}}), 404, "other tenant")
		webtest.Lacks(t, r, "other tenant", "未付款")
	})
}
