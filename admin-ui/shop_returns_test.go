package adminui_test

import (
	"net/url"
	"testing"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/web/webtest"
)

// TestShopReturnDaysSetting: the owner sets the shop's returns window on
// the shop page (15 days, then 0, then empty for the tenant's 7); -1, 91,
// "abc" and "1.5" are refused next to the field in Chinese and English
// and write nothing, not even the other fields; another shop's owner and
// another tenant get 404 and change nothing.
func TestShopReturnDaysSetting(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		fx := newShopFixture(t, d)
		m := fx.m
		b := m.SignedIn(fx.owner)
		page := "/merchant/shops/" + fx.sh.ID
		post := page + "/profile"
		stored := func() *merchant.Shop {
			t.Helper()
			sh, err := fx.e.App.Merchants.ShopByID(m.Ctx, fx.sh.ID)
			if err != nil {
				t.Fatal(err)
			}
			return sh
		}
		form := url.Values{"name": {fx.sh.Name}, "contact_phone": {"13800138000"}, "theme_color": {"#1f7a3d"}}

		r := webtest.Want(t, b.Get(page+"?lang=zh-CN"), 200, "shop page")
		webtest.Contains(t, r, "shop page", `id="f-return_days" type="text" name="return_days" value=""`, `placeholder="7"`,
			"留空则使用市集默认（7 天）")
		form.Set("return_days", "15")
		webtest.Want(t, b.Post(post, form), 303, "15 days")
		if sh := stored(); sh.ReturnDays == nil || *sh.ReturnDays != 15 {
			t.Fatalf("15 days stored as %v", sh.ReturnDays)
		}
		r = webtest.Want(t, b.Get(page), 200, "shop page 15")
		webtest.Contains(t, r, "shop page 15", `name="return_days" value="15"`)

		for _, bad := range []string{"-1", "91", "abc", "1.5"} {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			f.Set("return_days", bad)
			f.Set("name", "改了名字")
			r = webtest.Want(t, b.Post(post+"?lang=zh-CN", f), 400, "bad "+bad)
			webtest.Contains(t, r, "bad "+bad, `id="e-return_days">请输入 0 到 90 之间的整数天数`, `value="`+bad+`"`)
			r = webtest.Want(t, b.Post(post+"?lang=en", f), 400, "bad en "+bad)
			webtest.Contains(t, r, "bad en "+bad, `id="e-return_days">Enter a whole number of days from 0 to 90`)
			if sh := stored(); sh.ReturnDays == nil || *sh.ReturnDays != 15 || sh.Name != fx.sh.Name {
				t.Fatalf("%q was written: %v %q", bad, sh.ReturnDays, sh.Name)
			}
		}

		form.Set("return_days", "0")
		webtest.Want(t, b.Post(post, form), 303, "no returns")
		if sh := stored(); sh.ReturnDays == nil || *sh.ReturnDays != 0 {
			t.Fatalf("0 days stored as %v", sh.ReturnDays)
		}
		r = webtest.Want(t, b.Get(page), 200, "shop page 0")
		webtest.Contains(t, r, "shop page 0", `name="return_days" value="0"`)

		// Another shop's owner and another tenant: 404, nothing changes.
		other := m.Account("李经理", "", "")
		m.Shop(other, "wangcheng-rice", "望城稻香米油", m.Yuelu)
		ob := m.SignedIn(other)
		form.Set("return_days", "30")
		webtest.Want(t, ob.Post(post, form), 404, "other shop's owner")
		form.Set("return_days", "abc")
		webtest.Want(t, ob.Post(post, form), 404, "other shop's owner, bad input")
		m2 := fx.e.NewMarket("网上供销社·株洲")
		owner2 := m2.Account("赵场长", "", "")
		m2.Shop(owner2, "zz-veg", "株洲蔬菜", m2.Yuelu)
		b2 := m2.SignedIn(owner2)
		form.Set("return_days", "30")
		webtest.Want(t, b2.Post(post, form), 404, "another tenant")
		webtest.Want(t, b2.Get(page), 404, "another tenant's page")
		if sh := stored(); sh.ReturnDays == nil || *sh.ReturnDays != 0 {
			t.Fatalf("others changed the window: %v", sh.ReturnDays)
		}

		// Empty: the tenant's default again.
		form.Set("return_days", " ")
		webtest.Want(t, b.Post(post, form), 303, "default")
		if sh := stored(); sh.ReturnDays != nil {
			t.Fatalf("cleared window stored as %d", *sh.ReturnDays)
		}
		checkLanguages(t, b, page)
	})
}
