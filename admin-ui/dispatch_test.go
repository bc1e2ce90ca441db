package adminui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	adminui "github.com/jishi-dev/jishi/admin-ui"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/dispatch/dispatchtest"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/order/ordertest"
	"github.com/jishi-dev/jishi/core/web/webtest"
	"github.com/uptrace/bun"
)

var untranslatedDispatch = regexp.MustCompile(`\b(?:ui|web|error|field|dispatch|order)\.[a-z_]+(?:\.[a-z_]+)*\b`)

// withDispatchPages mounts the dispatch pages on e's server unless
// adminui.Register already does.
func withDispatchPages(e *webtest.Env) {
	srv := e.Handler.(*httpx.Server)
	for _, rt := range srv.Router.Routes() {
		if rt.Path == "/merchant/shops/{id}/dispatch" {
			return
		}
	}
	adminui.RegisterDispatch(srv.Router, e.App)
}

// TestDispatchConsole: the owner sees the day's batch with links to the
// CSV, the pick list and the labels; the print pages hold the pick list
// per warehouse and one label per order with QR code, barcode and
// traceability; the ship form refuses a missing tracking number next to
// the field and ships nothing, then ships the checked order and says so;
// another shop's owner gets 404; every page in both languages.
func TestDispatchConsole(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		withDispatchPages(e)
		m := e.NewMarket("网上供销社")
		owner := m.Account("王场长", "", "")
		sh := m.Shop(owner, "yuelu-veg", "岳麓蔬菜基地", m.Yuelu)
		admin := m.Account("管理员", authz.TenantAdmin, authz.TenantDomain(m.Tenant.ID))
		shopper := m.Account("顾客", "", "")
		pr, err := e.App.Catalog.Create(m.Ctx, owner.Principal, sh.ID, catalog.ProductInput{
			CategoryID: leafCategory(t, m, "vegetables"), Name: "小白菜", Status: catalog.ProductActive,
			SKUs: []catalog.SKUInput{{Code: "XBC-500", Spec: "500g", PriceFen: 500}},
		})
		if err != nil {
			t.Fatal(err)
		}
		sku := pr.SKUs[0].ID
		wh, err := e.App.Inventory.CreateWarehouse(m.Ctx, admin.Principal, inventory.WarehouseInput{Kind: "main", Name: "长沙总仓", RegionID: m.City.ID})
		if err != nil {
			t.Fatal(err)
		}
		today := time.Now().In(m.Tenant.Location())
		if _, err := e.App.Inventory.Receive(m.Ctx, owner.Principal, sh.ID, inventory.LotInput{SKUID: sku, WarehouseID: wh.ID, Quantity: 50,
			ReceivedOn: today.Format("2006-01-02"), BestBefore: today.AddDate(0, 0, 5).Format("2006-01-02"),
			HarvestedOn: today.AddDate(0, 0, -1).Format("2006-01-02"), Producer: "李大爷", Base: "岳麓山基地"}); err != nil {
			t.Fatal(err)
		}
		placed := time.Date(2026, 3, 10, 10, 0, 0, 0, m.Tenant.Location())
		place := func(h int) *order.Order {
			t.Helper()
			o, err := dispatchtest.Place(m.Ctx, e.App, dispatchtest.Spec{ShopID: sh.ID, UserID: shopper.ID,
				Delivery: ordertest.Courier(m.Yuelu.ID, 800, 0), Lines: []order.LineInput{ordertest.Line(sku, 2, 500)}, PlacedAt: placed.Add(time.Duration(h) * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		o1, o2, held := place(0), place(1), place(2)
		if err := dispatchtest.Hold(m.Ctx, e.App, held.ID, "group_buy"); err != nil {
			t.Fatal(err)
		}
		b := m.SignedIn(owner)
		base := "/merchant/shops/" + sh.ID + "/dispatch"
		q := "?date=2026-03-10"

		r := webtest.Want(t, b.Get(base+q), 200, "dispatch page")
		webtest.Contains(t, r, "dispatch page", "每日发货", o1.Number, o2.Number, "王芳", "岳麓区麓山南路 1 号", "XBC-500 小白菜 500g ×2",
			"/api/v1/merchant/shops/"+sh.ID+"/dispatch/orders.csv?date=2026-03-10", base+"/pick-list?date=2026-03-10",
			base+"/labels?date=2026-03-10", "暂扣中的订单", held.Number, "group_buy", "截单时间 14:00", "2 个订单", `name="tracking_`+o1.ID+`"`)
		webtest.Want(t, b.Get(base+"?date=2026-02-30"), 400, "bad date")

		r = webtest.Want(t, b.Get(base+"/pick-list"+q), 200, "pick list")
		webtest.Contains(t, r, "pick list", "<!doctype html>", "@page", "长沙总仓", "XBC-500", `<td class="qty">4</td>`, "李大爷", o1.Number, o2.Number)
		webtest.Lacks(t, r, "pick list", held.Number, `class="tabbar"`)

		r = webtest.Want(t, b.Get(base+"/labels"+q), 200, "labels")
		webtest.Contains(t, r, "labels", "@media print", "page-break-after: always", `id="label-`+o1.Number+`"`, `id="label-`+o2.Number+`"`,
			`<svg class="qr"`, `<svg class="barcode"`, "138****8000", "岳麓山基地", "李大爷", "明日达")
		webtest.Lacks(t, r, "labels", held.Number, "13800138000")
		if n := strings.Count(r.Body, `<section class="label"`); n != 2 {
			t.Fatalf("%d labels", n)
		}

		// Ship: a missing tracking number is shown next to its input and
		// nothing is shipped.
		form := url.Values{"date": {"2026-03-10"}, "courier": {"顺丰"}, "orders": {o1.ID, o2.ID}, "tracking_" + o1.ID: {"SF100"}}
		r = webtest.Want(t, b.Post(base+"/ship", form), 400, "ship without tracking")
		webtest.Contains(t, r, "ship without tracking", `<p class="field-error">必填</p>`, `value="SF100"`, `value="顺丰"`)
		status := func(id string) string {
			var o *order.Order
			err := e.App.DB.RunInReadTx(m.Ctx, func(ctx context.Context, tx bun.IDB) (err error) {
				o, err = e.App.Orders.Order(ctx, tx, id)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return o.Status
		}
		if status(o1.ID) != order.StatusPaid || status(o2.ID) != order.StatusPaid {
			t.Fatal("a bad ship request shipped")
		}
		form = url.Values{"date": {"2026-03-10"}, "courier": {"顺丰"}, "orders": {o1.ID}, "tracking_" + o1.ID: {"SF100"}}
		r = webtest.Want(t, b.Post(base+"/ship", form), 200, "ship")
		webtest.Contains(t, r, "ship", "发货结果：1 个已发货，0 个未发货", `id="result-`+o1.ID+`"`)
		if status(o1.ID) != order.StatusShipped || status(o2.ID) != order.StatusPaid {
			t.Fatalf("shipped %s %s", status(o1.ID), status(o2.ID))
		}
		r = webtest.Want(t, b.Get(base+q), 200, "after ship")
		webtest.Lacks(t, r, "after ship", `id="order-`+o1.ID+`"`)

		for _, p := range []string{base + q, base + "/pick-list" + q, base + "/labels" + q, base} {
			for _, lang := range []string{"zh-CN", "en"} {
				sep := "?"
				if strings.Contains(p, "?") {
					sep = "&"
				}
				what := p + " " + lang
				r := webtest.Want(t, b.Get(p+sep+"lang="+lang), 200, what)
				webtest.Contains(t, r, what, `<html lang="`+lang+`">`, "</html>")
				if k := untranslatedDispatch.FindString(r.Body); k != "" {
					t.Errorf("%s: untranslated key %q", what, k)
				}
			}
		}

		// Another shop's owner, a shopper and another tenant's shop: 404.
		other := m.Account("李经理", "", "")
		m.Shop(other, "wangcheng-rice", "望城稻香米油", m.Yuelu)
		for _, br := range []*webtest.Browser{m.SignedIn(other), m.SignedIn(shopper)} {
			webtest.Want(t, br.Get(base+q), 404, "other's dispatch")
			webtest.Want(t, br.Get(base+"/pick-list"+q), 404, "other's pick list")
			webtest.Want(t, br.Get(base+"/labels"+q), 404, "other's labels")
			webtest.Want(t, br.Post(base+"/ship", form), 404, "other ships")
		}
		m2 := e.NewMarket("网上供销社·株洲")
		owner2 := m2.Account("赵场长", "", "")
		sh2 := m2.Shop(owner2, "zz-veg", "株洲蔬菜", m2.Yuelu)
		webtest.Want(t, b.Get("/merchant/shops/"+sh2.ID+"/dispatch"+q), 404, "another tenant's shop")
		webtest.Want(t, m2.SignedIn(owner2).Get(base+q), 404, "this shop from another tenant")
		if status(o2.ID) != order.StatusPaid {
			t.Fatal("others shipped")
		}
		// A tenant admin may run any shop's dispatch.
		webtest.Want(t, m.SignedIn(admin).Get(base+q), http.StatusOK, "tenant admin")
	})
}
