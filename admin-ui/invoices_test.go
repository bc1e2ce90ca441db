package adminui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/billing/billingtest"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/invoicing"
	"github.com/jishi-dev/jishi/core/web/webtest"
)

// TestInvoiceConsoles: the tenant admin's billing page (default plans
// from provisioning, a new plan with a bad fee first, plans assigned, the
// gift pack granted once), the month generated and issued from the
// invoice list, the printable invoice (print stylesheet, lines in both
// languages), an invoice marked paid offline (a missing reference first)
// and the franchise invoice voided; the merchant sees its shop's invoices
// and the printable one; another shop's owner, another tenant's admin and
// a merchant on the tenant pages get 404 or 403.
func TestInvoiceConsoles(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("网上供销社")
		admin, adminAcc := m.User("管理员", authz.TenantAdmin, authz.TenantDomain(m.Tenant.ID))
		ownerAcc := m.Account("王场长", "", "")
		veg := m.Shop(ownerAcc, "yuelu-veg", "岳麓蔬菜基地", m.Yuelu)
		owner2Acc := m.Account("李老板", "", "")
		rice := m.Shop(owner2Acc, "yuelu-rice", "岳麓米行", m.Yuelu)
		owner, owner2 := m.SignedIn(ownerAcc), m.SignedIn(owner2Acc)
		pt, err := e.App.Fulfil.CreatePickupPoint(m.Ctx, adminAcc.Principal, fulfil.PickupPointInput{
			Name: "麓山社区服务中心", Address: "岳麓区麓山路 8 号", RegionID: m.Yuelu.ID})
		if err != nil {
			t.Fatal(err)
		}
		period := invoicing.PeriodOf(time.Now(), m.Tenant.Location())

		r := webtest.Want(t, admin.Get("/admin/billing"), http.StatusOK, "billing page")
		webtest.Contains(t, r, "billing page", `id="plan-franchise"`, "社区服务中心加盟费", "¥12800.00", `id="account-`+veg.ID+`"`,
			`id="account-`+pt.ID+`"`, `id="gift-`+veg.ID+`"`, `id="price-sms"`, "¥0.05")
		r = webtest.Want(t, admin.Post("/admin/billing/plans", url.Values{"name": {"专业版"}, "code": {"pro"}, "owner_kind": {"shop"},
			"interval": {"monthly"}, "fee": {"99.999"}, "revenue_source": {"plan"}}), http.StatusBadRequest, "bad fee")
		webtest.Contains(t, r, "bad fee", `id="e-fee"`, `value="专业版"`)
		webtest.Want(t, admin.Post("/admin/billing/plans", url.Values{"name": {"专业版"}, "code": {"pro"}, "owner_kind": {"shop"},
			"interval": {"monthly"}, "fee": {"99"}, "revenue_source": {"plan"}}), http.StatusSeeOther, "new plan")
		plans, err := e.App.Invoicing.Plans(m.Ctx, adminAcc.Principal)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]string{}
		for _, p := range plans {
			ids[p.Code] = p.ID
		}
		r = webtest.Want(t, admin.Post("/admin/billing/assign", url.Values{"owner_id": {veg.ID}, "plan_id": {ids[invoicing.PlanFranchise]},
			"starts_on": {period.FirstDay()}}), http.StatusBadRequest, "shop on the franchise")
		webtest.Contains(t, r, "shop on the franchise", `id="e-plan_id"`)
		for owner, plan := range map[string]string{veg.ID: ids["pro"], pt.ID: ids[invoicing.PlanFranchise]} {
			webtest.Want(t, admin.Post("/admin/billing/assign", url.Values{"owner_id": {owner}, "plan_id": {plan},
				"starts_on": {period.FirstDay()}}), http.StatusSeeOther, "assign")
		}
		webtest.Want(t, admin.Post("/admin/billing/shops/"+veg.ID+"/gift-pack", nil), http.StatusSeeOther, "gift pack")
		webtest.Want(t, admin.Post("/admin/billing/shops/"+veg.ID+"/gift-pack", nil), http.StatusConflict, "gift pack again")
		r = webtest.Want(t, admin.Get("/admin/billing"), http.StatusOK, "billing page after")
		webtest.Contains(t, r, "billing page after", "首页广告位（天）：剩余 7 / 7", "专业版 · ¥99.00/月")
		webtest.Lacks(t, r, "billing page after", `id="gift-`+veg.ID+`"`)
		webtest.Want(t, owner.Post("/admin/billing/shops/"+rice.ID+"/gift-pack", nil), http.StatusForbidden, "merchant grants")

		if _, err := e.App.Invoicing.PostUsage(m.Ctx, adminAcc.Principal, invoicing.UsageInput{OwnerID: veg.ID, Metric: "sms", Quantity: 100, IdemKey: "u1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.App.Invoicing.PostUsage(m.Ctx, adminAcc.Principal, invoicing.UsageInput{OwnerID: veg.ID, Metric: "ad_slot_day", Quantity: 3, IdemKey: "u2"}); err != nil {
			t.Fatal(err)
		}

		// Generate the month: refused while it runs, then issued.
		r = webtest.Want(t, admin.Post("/admin/invoices/generate", url.Values{"period": {period.String()}, "issue": {"1"}}), http.StatusBadRequest, "open month")
		webtest.Contains(t, r, "open month", `id="e-period"`)
		_, end := period.Bounds(m.Tenant.Location())
		e.App.Invoicing.SetClock(func() time.Time { return end.Add(time.Hour) })
		r = webtest.Want(t, admin.Post("/admin/invoices/generate", url.Values{"period": {period.String()}, "issue": {"1"}}), http.StatusOK, "generate")
		webtest.Contains(t, r, "generate", `id="generate-result"`, "新建 2 张", "岳麓蔬菜基地", "麓山社区服务中心")
		list, err := e.App.Invoicing.Invoices(m.Ctx, adminAcc.Principal, invoicing.Filter{Period: period.String()})
		if err != nil || len(list) != 2 {
			t.Fatalf("invoices %v %d", err, len(list))
		}
		byOwner := map[string]*invoicing.Invoice{}
		for _, inv := range list {
			byOwner[inv.OwnerID] = inv
		}
		vegInv, ptInv := byOwner[veg.ID], byOwner[pt.ID]
		r = webtest.Want(t, admin.Get("/admin/invoices?status=open&period="+period.String()), http.StatusOK, "open invoices")
		webtest.Contains(t, r, "open invoices", `id="invoice-`+vegInv.ID+`"`, `id="invoice-`+ptInv.ID+`"`)
		r = webtest.Want(t, admin.Get("/admin/invoices?status=paid"), http.StatusOK, "paid invoices")
		webtest.Contains(t, r, "paid invoices", `id="no-invoices"`)

		// The printable invoice: 99 + 100 SMS × 0.05 + 3 days × 50 − 3 days credited = 104.
		page := "/admin/invoices/" + vegInv.ID
		r = webtest.Want(t, admin.Get(page), http.StatusOK, "invoice")
		webtest.Contains(t, r, "invoice", "@media print", `id="invoice-number"`, vegInv.Number, "套餐：专业版", "短信（条）", "¥0.05",
			"赠送抵扣：首页广告位（天）", "−¥150.00", `<dd class="grand" id="invoice-total">¥104.00</dd>`, `id="pay-form"`, `id="void-form"`)
		r = webtest.Want(t, admin.Get(page+"?lang=en"), http.StatusOK, "invoice en")
		webtest.Contains(t, r, "invoice en", "Plan: 专业版", "SMS (messages)", "Credit: Homepage ad slot (days)")
		admin.Get(page + "?lang=zh-CN") // back to Chinese (the language sticks in a cookie)
		r = webtest.Want(t, admin.Post(page+"/mark-paid", url.Values{"ref": {""}}), http.StatusBadRequest, "no receipt")
		webtest.Contains(t, r, "no receipt", `id="e-ref"`)
		webtest.Want(t, admin.Post(page+"/mark-paid", url.Values{"ref": {"RCPT-1"}, "note": {"银行转账"}}), http.StatusSeeOther, "mark paid")
		r = webtest.Want(t, admin.Get(page), http.StatusOK, "paid invoice")
		webtest.Contains(t, r, "paid invoice", `data-status="paid"`, "RCPT-1", "线下付款")
		webtest.Lacks(t, r, "paid invoice", `id="pay-form"`, `id="void-form"`)
		webtest.Want(t, admin.Post(page+"/void", url.Values{"reason": {"x"}}), http.StatusConflict, "void a paid invoice")
		webtest.Want(t, admin.Post("/admin/invoices/"+ptInv.ID+"/void", url.Values{"reason": {"加盟终止"}}), http.StatusSeeOther, "void")
		r = webtest.Want(t, admin.Get("/admin/invoices/"+ptInv.ID), http.StatusOK, "void invoice")
		webtest.Contains(t, r, "void invoice", `data-status="void"`, "加盟终止", "¥12800.00")

		// The merchant's pages.
		mine := "/merchant/shops/" + veg.ID + "/invoices"
		r = webtest.Want(t, owner.Get(mine), http.StatusOK, "merchant list")
		webtest.Contains(t, r, "merchant list", `id="invoice-`+vegInv.ID+`"`, vegInv.Number)
		webtest.Lacks(t, r, "merchant list", ptInv.Number)
		r = webtest.Want(t, owner.Get(mine+"/"+vegInv.ID), http.StatusOK, "merchant invoice")
		webtest.Contains(t, r, "merchant invoice", `id="invoice-lines"`, "@media print")
		webtest.Lacks(t, r, "merchant invoice", `id="void-form"`, `id="pay-form"`)
		r = webtest.Want(t, owner2.Get("/merchant/shops/"+rice.ID+"/invoices"), http.StatusOK, "other merchant's list")
		webtest.Contains(t, r, "other merchant's list", `id="no-invoices"`)

		away := e.NewMarket("另一个集市")
		awayAdmin, _ := away.User("管理员", authz.TenantAdmin, authz.TenantDomain(away.Tenant.ID))
		for name, c := range map[string]struct {
			b    *webtest.Browser
			path string
			code int
		}{
			"other shop's owner, the list":          {owner2, mine, http.StatusNotFound},
			"other shop's owner, the invoice":       {owner2, mine + "/" + vegInv.ID, http.StatusNotFound},
			"other shop's owner, through own shop":  {owner2, "/merchant/shops/" + rice.ID + "/invoices/" + vegInv.ID, http.StatusNotFound},
			"other tenant's admin, tenant page":     {awayAdmin, page, http.StatusNotFound},
			"other tenant's admin, merchant page":   {awayAdmin, mine + "/" + vegInv.ID, http.StatusNotFound},
			"merchant on the tenant's invoice list": {owner, "/admin/invoices", http.StatusForbidden},
			"merchant on the tenant's invoice":      {owner, page, http.StatusForbidden},
		} {
			if got := c.b.Get(c.path); got.Code != c.code {
				t.Errorf("%s: %d, want %d", name, got.Code, c.code)
			}
		}
		if got := awayAdmin.Post("/admin/invoices/"+ptInv.ID+"/mark-paid", url.Values{"ref": {"X"}}); got.Code != http.StatusNotFound {
			t.Errorf("other tenant's admin marks paid: %d", got.Code)
		}

		// Every billing page in both languages, every key translated.
		keyRE := regexp.MustCompile(`\b(?:ui|invoicing)\.[a-z_]+(?:\.[a-z_]+)+\b`)
		for _, c := range []struct {
			b    *webtest.Browser
			path string
		}{{admin, "/admin/invoices"}, {admin, "/admin/billing"}, {admin, page}, {admin, "/admin/invoices/" + ptInv.ID},
			{owner, mine}, {owner, mine + "/" + vegInv.ID}} {
			for _, lang := range []string{"zh-CN", "en"} {
				sep := "?"
				if strings.Contains(c.path, "?") {
					sep = "&"
				}
				r := webtest.Want(t, c.b.Get(c.path+sep+"lang="+lang), http.StatusOK, c.path+" "+lang)
				if k := keyRE.FindString(r.Body); k != "" {
					t.Errorf("%s %s: untranslated key %q", c.path, lang, k)
				}
			}
		}
		billingtest.AssertBalanced(t, d)
	})
}
