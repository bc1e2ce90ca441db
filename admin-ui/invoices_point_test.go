package adminui_test

import (
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/invoicing"
	"github.com/jishi-dev/jishi/core/web/webtest"
)

// TestPickupPointInvoices: a pickup point's operator sees its franchise
// invoice in the pickup console (list, printable page, JSON); another
// point's operator, a shop owner and another tenant's operator get 404.
func TestPickupPointInvoices(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		fx := newShopFixture(t, d)
		m, a := fx.m, fx.e.App
		pt, err := a.Fulfil.CreatePickupPoint(m.Ctx, fx.admin.Principal, fulfil.PickupPointInput{
			Name: "麓山社区服务中心", Address: "岳麓区麓山路 8 号", RegionID: m.Yuelu.ID})
		if err != nil {
			t.Fatal(err)
		}
		other, err := a.Fulfil.CreatePickupPoint(m.Ctx, fx.admin.Principal, fulfil.PickupPointInput{
			Name: "桃子湖服务站", Address: "岳麓区桃子湖路 2 号", RegionID: m.Yuelu.ID})
		if err != nil {
			t.Fatal(err)
		}
		op, otherOp := m.Account("周站长", "", ""), m.Account("钱站长", "", "")
		for pid, acc := range map[string]string{pt.ID: op.ID, other.ID: otherOp.ID} {
			if _, err := a.Fulfil.AddOperator(m.Ctx, fx.admin.Principal, pid, fulfil.OperatorInput{UserID: acc}); err != nil {
				t.Fatal(err)
			}
		}
		plans, err := a.Invoicing.Plans(m.Ctx, fx.admin.Principal)
		if err != nil {
			t.Fatal(err)
		}
		var franchise string
		for _, p := range plans {
			if p.Code == invoicing.PlanFranchise {
				franchise = p.ID
			}
		}
		period := invoicing.PeriodOf(time.Now(), m.Tenant.Location())
		if _, err := a.Invoicing.Assign(m.Ctx, fx.admin.Principal, invoicing.AssignInput{OwnerID: pt.ID, PlanID: franchise, StartsOn: period.FirstDay()}); err != nil {
			t.Fatal(err)
		}
		_, end := period.Bounds(m.Tenant.Location())
		a.Invoicing.SetClock(func() time.Time { return end.Add(time.Hour) })
		defer a.Invoicing.SetClock(time.Now)
		if _, err := a.Invoicing.GeneratePeriod(m.Ctx, fx.admin.Principal, period.String(), true); err != nil {
			t.Fatal(err)
		}
		list, err := a.Invoicing.Invoices(m.Ctx, fx.admin.Principal, invoicing.Filter{OwnerID: pt.ID})
		if err != nil || len(list) != 1 || list[0].TotalFen != 1_280_000 {
			t.Fatalf("franchise invoice %v %v", list, err)
		}
		inv := list[0]

		b := m.SignedIn(op)
		webtest.Contains(t, webtest.Want(t, b.Get("/pickup/points/"+pt.ID), 200, "point"), "point", `id="point-invoices-link"`)
		r := webtest.Want(t, b.Get("/pickup/points/"+pt.ID+"/invoices"), 200, "invoices")
		webtest.Contains(t, r, "invoices", `id="point-invoices"`, `id="invoice-`+inv.ID+`"`, inv.Number,
			`href="/t/`+m.Tenant.Slug+`/pickup/points/`+pt.ID+`/invoices/`+inv.ID+`"`)
		r = webtest.Want(t, b.Get("/pickup/points/"+pt.ID+"/invoices/"+inv.ID), 200, "invoice")
		webtest.Contains(t, r, "invoice", `id="invoice"`, inv.Number)
		webtest.Lacks(t, r, "invoice", `id="void-form"`, `id="pay-form"`)
		webtest.Want(t, b.Get("/api/v1/pickup/points/"+pt.ID+"/invoices"), 200, "api list")
		webtest.Want(t, b.Get("/api/v1/pickup/points/"+pt.ID+"/invoices/"+inv.ID), 200, "api invoice")
		// Not this point's invoice through another point's path.
		webtest.Want(t, m.SignedIn(otherOp).Get("/pickup/points/"+other.ID+"/invoices/"+inv.ID), 404, "through another point")
		for name, br := range map[string]*webtest.Browser{"other operator": m.SignedIn(otherOp), "shop owner": m.SignedIn(fx.owner)} {
			webtest.Want(t, br.Get("/pickup/points/"+pt.ID+"/invoices"), 404, name)
			webtest.Want(t, br.Get("/pickup/points/"+pt.ID+"/invoices/"+inv.ID), 404, name)
			webtest.Want(t, br.Get("/api/v1/pickup/points/"+pt.ID+"/invoices"), 404, name+" api")
		}
		m2 := fx.e.NewMarket("网上供销社·株洲")
		admin2 := m2.Account("管理员", "tenant_admin", "t/"+m2.Tenant.ID)
		pt2, err := a.Fulfil.CreatePickupPoint(m2.Ctx, admin2.Principal, fulfil.PickupPointInput{Name: "株洲站", Address: "芦淞区 1 号", RegionID: m2.Yuelu.ID})
		if err != nil {
			t.Fatal(err)
		}
		op2 := m2.Account("孙站长", "", "")
		if _, err := a.Fulfil.AddOperator(m2.Ctx, admin2.Principal, pt2.ID, fulfil.OperatorInput{UserID: op2.ID}); err != nil {
			t.Fatal(err)
		}
		b2 := m2.SignedIn(op2)
		webtest.Want(t, b2.Get("/pickup/points/"+pt.ID+"/invoices"), 404, "another tenant's point")
		webtest.Want(t, b2.Get("/pickup/points/"+pt2.ID+"/invoices/"+inv.ID), 404, "another tenant's invoice")
		webtest.Want(t, b2.Get("/api/v1/pickup/points/"+pt2.ID+"/invoices/"+inv.ID), 404, "another tenant's invoice api")
	})
}
