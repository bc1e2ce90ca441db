package merchant_test

import (
	"testing"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
)

func days(n int) *int { return &n }

// TestShopReturnDays: a shop starts on the tenant's returns window; its
// owner sets one of 0 to 90 days (0: no returns without reason) and
// clears it again; a window outside 0–90 is refused on return_days and
// nothing is written; another shop's owner and another tenant's admin
// get NotFound.
func TestShopReturnDays(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a := newApp(t, d)
		e := newEnv(t, a)
		sh, owner := e.openShop("rice-shop")
		if sh.ReturnDays != nil || sh.ReturnsWindow(e.tenant.Settings) != tenants.DefaultReturnDays {
			t.Fatalf("a new shop's window: %v, %d", sh.ReturnDays, sh.ReturnsWindow(e.tenant.Settings))
		}
		in := merchant.ProfileInput{Name: "稻香米油", ContactPhone: "13800138000", ReturnDays: days(15)}
		got := must(e.m.UpdateProfile(e.ctx, owner, sh.ID, in))(t)
		if got.ReturnDays == nil || *got.ReturnDays != 15 || got.ReturnsWindow(e.tenant.Settings) != 15 {
			t.Fatalf("15 days: %v", got.ReturnDays)
		}
		for _, n := range []int{0, merchant.ReturnDaysMax} {
			in.ReturnDays = days(n)
			must(e.m.UpdateProfile(e.ctx, owner, sh.ID, in))(t)
			if cur := must(e.m.ShopByID(e.ctx, sh.ID))(t); cur.ReturnDays == nil || *cur.ReturnDays != n || cur.ReturnsWindow(e.tenant.Settings) != n {
				t.Fatalf("%d days stored as %v", n, cur.ReturnDays)
			}
		}
		in.ReturnDays = days(15)
		must(e.m.UpdateProfile(e.ctx, owner, sh.ID, in))(t)

		for _, n := range []int{-1, merchant.ReturnDaysMax + 1, 1000} {
			bad := in
			bad.ReturnDays = days(n)
			bad.Name = "改了名字"
			_, err := e.m.UpdateProfile(e.ctx, owner, sh.ID, bad)
			wantField(t, err, "return_days", "merchant.field.return_days_range")
		}
		if cur := must(e.m.ShopByID(e.ctx, sh.ID))(t); cur.ReturnDays == nil || *cur.ReturnDays != 15 || cur.Name != "稻香米油" {
			t.Fatalf("refused input was written: %v %q", cur.ReturnDays, cur.Name)
		}

		// Another shop's owner, another tenant's admin: NotFound, nothing changes.
		_, other := e.openShop("other-shop")
		_, err := e.m.UpdateProfile(e.ctx, other, sh.ID, merchant.ProfileInput{Name: "稻香米油", ContactPhone: "13800138000", ReturnDays: days(3)})
		wantCode(t, err, core.NotFound)
		f := newEnv(t, a)
		_, err = f.m.UpdateProfile(f.ctx, f.admin, sh.ID, merchant.ProfileInput{Name: "稻香米油", ContactPhone: "13800138000", ReturnDays: days(3)})
		wantCode(t, err, core.NotFound)
		_, err = f.m.UpdateProfile(f.ctx, f.admin, sh.ID, merchant.ProfileInput{Name: "稻香米油", ContactPhone: "13800138000", ReturnDays: days(-1)})
		wantCode(t, err, core.NotFound)
		if cur := must(e.m.ShopByID(e.ctx, sh.ID))(t); *cur.ReturnDays != 15 {
			t.Fatalf("others changed the window: %d", *cur.ReturnDays)
		}

		// Cleared: the tenant's default again, whatever it is.
		in.ReturnDays = nil
		got = must(e.m.UpdateProfile(e.ctx, owner, sh.ID, in))(t)
		cur := must(e.m.ShopByID(e.ctx, sh.ID))(t)
		if got.ReturnDays != nil || cur.ReturnDays != nil || cur.ReturnsWindow(tenants.Settings{ReturnDays: 10}) != 10 {
			t.Fatalf("cleared: %v %v", got.ReturnDays, cur.ReturnDays)
		}
	})
}
