package adminui_test

import (
	"net/url"
	"testing"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/web/webtest"
)

// TestPickupConsole: an operator sees the points they run and the orders
// on their way to one; a wrong pickup code or name is refused and nothing
// is written; the right ones hand the order over, recording who and when;
// another point's operator, the shop's owner and another tenant's
// operator get 404.
func TestPickupConsole(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		fx := newShopFixture(t, d)
		m := fx.m
		pt, err := fx.e.App.Fulfil.CreatePickupPoint(m.Ctx, fx.admin.Principal, fulfil.PickupPointInput{
			Name: "麓山社区服务中心", Address: "岳麓区麓山路 8 号", RegionID: m.Yuelu.ID, Hours: "08:00–20:00"})
		if err != nil {
			t.Fatal(err)
		}
		other, err := fx.e.App.Fulfil.CreatePickupPoint(m.Ctx, fx.admin.Principal, fulfil.PickupPointInput{
			Name: "桃子湖服务站", Address: "岳麓区桃子湖路 2 号", RegionID: m.Yuelu.ID})
		if err != nil {
			t.Fatal(err)
		}
		op := m.Account("周站长", "", "")
		otherOp := m.Account("钱站长", "", "")
		if _, err := fx.e.App.Fulfil.AddOperator(m.Ctx, fx.admin.Principal, pt.ID, fulfil.OperatorInput{UserID: op.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := fx.e.App.Fulfil.AddOperator(m.Ctx, fx.admin.Principal, other.ID, fulfil.OperatorInput{UserID: otherOp.ID}); err != nil {
			t.Fatal(err)
		}
		ready := fx.place(t, 2, order.MethodPickup, pt.ID)
		onTheWay := fx.place(t, 1, order.MethodPickup, pt.ID)
		for _, to := range []string{order.StatusAccepted, order.StatusPacked, order.StatusReadyForPickup} {
			if _, err := fx.e.App.Orders.Transition(m.Ctx, fx.owner.Principal, fx.sh.ID, ready.ID, order.TransitionInput{To: to}); err != nil {
				t.Fatal(err)
			}
		}
		if ready.PickupCode == "" {
			t.Fatal("no pickup code")
		}
		wrongCode := "000000"
		if ready.PickupCode == wrongCode {
			wrongCode = "111111"
		}

		b := m.SignedIn(op)
		r := webtest.Want(t, b.Get("/pickup"), 200, "pickup home")
		webtest.Contains(t, r, "pickup home", `id="point-`+pt.ID+`"`, "麓山社区服务中心", "岳麓区麓山路 8 号")
		webtest.Lacks(t, r, "pickup home", "桃子湖服务站")
		page := "/pickup/points/" + pt.ID
		r = webtest.Want(t, b.Get(page), 200, "point")
		webtest.Contains(t, r, "point", `id="handover-form"`, `id="pickup-order-`+ready.Number+`"`, `id="pickup-order-`+onTheWay.Number+`"`,
			"待取货", "已付款", "1 个待取货", "尾号 8000")
		webtest.Lacks(t, r, "point", ready.PickupCode, "13800138000")

		// A wrong code, or a wrong name, is refused and nothing is written.
		for _, form := range []url.Values{
			{"number": {ready.Number}, "pickup_code": {wrongCode}, "name": {"王芳"}},
			{"number": {ready.Number}, "pickup_code": {ready.PickupCode}, "name": {"王芬"}},
		} {
			r = webtest.Want(t, b.Post(page+"/handover", form), 400, "wrong code or name")
			webtest.Contains(t, r, "wrong code or name", `id="handover-error"`, "取货码或姓名不符，未交付", `value="`+ready.Number+`"`)
			webtest.Lacks(t, r, "wrong code or name", `id="handover-result"`)
			if o := fx.order(t, ready.ID); o.Status != order.StatusReadyForPickup || o.HandedOverBy != nil {
				t.Fatalf("a refused handover wrote: %s", o.Status)
			}
		}
		r = webtest.Want(t, b.Post(page+"/handover", url.Values{"number": {ready.Number}, "pickup_code": {"12ab"}, "name": {"王芳"}}), 400, "malformed code")
		webtest.Contains(t, r, "malformed code", `id="e-pickup_code">取货码为 6 位数字`)
		r = webtest.Want(t, b.Post(page+"/handover", url.Values{"number": {"999999999999"}, "pickup_code": {"123456"}, "name": {"王芳"}}), 400, "unknown number")
		webtest.Contains(t, r, "unknown number", `id="e-number">本自提点没有待取的这个订单号`)
		// Not ready yet: refused with the reason.
		r = webtest.Want(t, b.Post(page+"/handover", url.Values{"number": {onTheWay.Number}, "pickup_code": {onTheWay.PickupCode}, "name": {"王芳"}}), 409, "not ready")
		webtest.Contains(t, r, "not ready", "订单当前状态为 已付款，不能改为 已取货")

		// Another point's operator and the shop's owner cannot hand over here.
		for _, br := range []*webtest.Browser{m.SignedIn(otherOp), m.SignedIn(fx.owner)} {
			webtest.Want(t, br.Get(page), 404, "not this point's operator")
			webtest.Want(t, br.Post(page+"/handover", url.Values{"number": {ready.Number}, "pickup_code": {ready.PickupCode}, "name": {"王芳"}}), 404, "other hands over")
		}
		m2 := fx.e.NewMarket("网上供销社·株洲")
		admin2 := m2.Account("管理员", "tenant_admin", "t/"+m2.Tenant.ID)
		pt2, err := fx.e.App.Fulfil.CreatePickupPoint(m2.Ctx, admin2.Principal, fulfil.PickupPointInput{Name: "株洲站", Address: "芦淞区 1 号", RegionID: m2.Yuelu.ID})
		if err != nil {
			t.Fatal(err)
		}
		op2 := m2.Account("孙站长", "", "")
		if _, err := fx.e.App.Fulfil.AddOperator(m2.Ctx, admin2.Principal, pt2.ID, fulfil.OperatorInput{UserID: op2.ID}); err != nil {
			t.Fatal(err)
		}
		b2 := m2.SignedIn(op2)
		r = webtest.Want(t, b2.Get("/pickup"), 200, "other tenant's pickup home")
		webtest.Contains(t, r, "other tenant's pickup home", "株洲站")
		webtest.Lacks(t, r, "other tenant's pickup home", "麓山社区服务中心")
		webtest.Want(t, b2.Get(page), 404, "this point from another tenant")
		webtest.Want(t, b2.Post(page+"/handover", url.Values{"number": {ready.Number}, "pickup_code": {ready.PickupCode}, "name": {"王芳"}}), 404, "another tenant hands over")
		webtest.Want(t, b.Get("/pickup/points/"+pt2.ID), 404, "another tenant's point")
		if o := fx.order(t, ready.ID); o.Status != order.StatusReadyForPickup {
			t.Fatalf("others handed over: %s", o.Status)
		}
		r = webtest.Want(t, m.SignedIn(fx.shopper).Get("/pickup"), 200, "a shopper's pickup home")
		webtest.Contains(t, r, "a shopper's pickup home", `id="no-points"`)

		// The right code and name (spaces and full-width digits are fine).
		r = webtest.Want(t, b.Post(page+"/handover", url.Values{"number": {ready.Number}, "pickup_code": {ready.PickupCode}, "name": {" 王 芳 "}}), 200, "handover")
		webtest.Contains(t, r, "handover", `id="handover-result"`, `id="handover-result-number">`+ready.Number, `id="handover-result-by">周站长`)
		webtest.Lacks(t, r, "handover", `id="pickup-order-`+ready.Number+`"`)
		o := fx.order(t, ready.ID)
		if o.Status != order.StatusPickedUp || o.HandedOverBy == nil || *o.HandedOverBy != op.ID || o.DeliveredAt == nil {
			t.Fatalf("after handover: %s %v", o.Status, o.HandedOverBy)
		}
		r = webtest.Want(t, b.Post(page+"/handover", url.Values{"number": {ready.Number}, "pickup_code": {ready.PickupCode}, "name": {"王芳"}}), 409, "again")
		webtest.Contains(t, r, "again", "订单当前状态为 已取货")

		checkLanguages(t, b, "/pickup", page)
	})
}
