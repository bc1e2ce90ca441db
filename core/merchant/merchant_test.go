package merchant_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// env is one tenant with two districts, a tenant admin and the services.
type env struct {
	t       *testing.T
	a       *app.App
	m       *merchant.Service
	tenant  *tenants.Tenant
	ctx     context.Context // carries the tenant
	city    *tenants.Region
	yuelu   *tenants.Region // district
	furong  *tenants.Region // district
	admin   *identity.Principal
	counter int
}

func newApp(t *testing.T, d *db.DB) *app.App {
	t.Helper()
	dir := t.TempDir()
	a, err := app.NewWithDB(context.Background(), app.Config{FastHashing: true, DataDir: dir}, d)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newEnv(t *testing.T, a *app.App) *env {
	t.Helper()
	ctx := context.Background()
	slug := "mt-" + strings.ReplaceAll(tenants.NewID()[24:], "-", "")
	tn, err := a.Provisioner.Create(ctx, a.DB, tenants.CreateInput{Slug: slug, Name: "网上供销社"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, a: a, m: a.Merchants, tenant: tn, ctx: tenants.WithTenant(ctx, tn)}
	err = a.DB.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		if e.city, err = tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "changsha", Name: "长沙市"}); err != nil {
			return err
		}
		if e.yuelu, err = tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "yuelu", Name: "岳麓区", ParentID: e.city.ID}); err != nil {
			return err
		}
		e.furong, err = tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "furong", Name: "芙蓉区", ParentID: e.city.ID})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.admin = e.user("admin", authz.TenantAdmin, authz.TenantDomain(tn.ID))
	return e
}

// user creates an account (e-mail {name}-{n}@example.com) holding role in
// domain when role is not empty, and returns its principal.
func (e *env) user(name, role, domain string) *identity.Principal {
	e.t.Helper()
	e.counter++
	email := name + "-" + tenants.NewID()[24:] + "@example.com"
	var u *identity.User
	err := e.a.DB.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		u, err = e.a.Identity.CreateUser(ctx, tx, identity.UserInput{Email: email, Name: name, Password: "correct horse battery"})
		if err != nil || role == "" {
			return err
		}
		return e.a.Authz.Assign(ctx, tx, u.ID, role, domain)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return &identity.Principal{Kind: identity.KindTenant, UserID: u.ID, TenantID: e.tenant.ID, Name: name, Email: email}
}

// input returns a valid application for the district yuelu.
func (e *env) input(slug string) merchant.ApplicationInput {
	return merchant.ApplicationInput{
		ShopName: "岳麓山农家菜园", Slug: slug, ContactName: "王芳", ContactPhone: "138 0013 8000",
		ContactEmail: "Wang@Example.com", LicenceNo: "91430104MA4L1234X5", MainCategories: []string{"fresh", "fruit"},
		RegionID: e.yuelu.ID, ExpectedProducts: 40,
	}
}

// must returns v, failing the test given to the result when err is set:
// must(f())(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func wantCode(t *testing.T, err error, code core.Code) {
	t.Helper()
	if core.ErrorCode(err) != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

func wantField(t *testing.T, err error, field, key string) {
	t.Helper()
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Code != core.Invalid {
		t.Fatalf("want invalid %s=%s, got %v", field, key, err)
	}
	if got, ok := ce.Fields[field]; !ok || (key != "" && got != key) {
		t.Fatalf("want field %s=%s, got %v", field, key, ce.Fields)
	}
}

func TestApplyApproveOpensShop(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		alice := e.user("alice", "", "")
		ap := must(e.m.Apply(e.ctx, alice, e.input("Yuelu-Farm")))(t)
		if ap.Status != merchant.ApplicationSubmitted || ap.Slug != "yuelu-farm" || ap.ContactPhone != "13800138000" ||
			ap.ContactEmail != "wang@example.com" || len(ap.MainCategories) != 2 {
			t.Fatalf("application not normalised: %+v", ap)
		}
		mine := must(e.m.MyApplications(e.ctx, alice))(t)
		if len(mine) != 1 || mine[0].ID != ap.ID || mine[0].MainCategories[1] != "fruit" {
			t.Fatalf("my applications: %+v", mine)
		}
		queue := must(e.m.Applications(e.ctx, e.admin, merchant.ApplicationFilter{Status: merchant.ApplicationSubmitted}))(t)
		if len(queue) != 1 || queue[0].ID != ap.ID {
			t.Fatalf("review queue: %+v", queue)
		}

		ap = must(e.m.Approve(e.ctx, e.admin, ap.ID))(t)
		if ap.Status != merchant.ApplicationApproved || ap.ShopID == nil || ap.ReviewedBy == nil || *ap.ReviewedBy != e.admin.UserID {
			t.Fatalf("approved application: %+v", ap)
		}
		sh := must(e.m.ShopByID(e.ctx, *ap.ShopID))(t)
		if sh.Status != merchant.ShopActive || !sh.Selling() || sh.Slug != "yuelu-farm" || sh.Name != "岳麓山农家菜园" ||
			sh.OwnerID == nil || *sh.OwnerID != alice.UserID || sh.RegionID == nil || *sh.RegionID != e.yuelu.ID ||
			sh.Host != "yuelu-farm."+e.tenant.Slug+".localhost" || sh.ContactPhone != "13800138000" {
			t.Fatalf("shop: %+v", sh)
		}
		if got := must(e.m.ShopBySlug(e.ctx, "ＹＵＥＬＵ-farm"))(t); got.ID != sh.ID {
			t.Fatalf("by slug: %+v", got)
		}
		my := must(e.m.MyShops(e.ctx, alice))(t)
		if len(my) != 1 || my[0].ID != sh.ID {
			t.Fatalf("my shops: %+v", my)
		}
		staff := must(e.m.Staff(e.ctx, alice, sh.ID))(t)
		if len(staff) != 1 || staff[0].UserID != alice.UserID || staff[0].Role != authz.MerchantOwner || staff[0].Name != "alice" {
			t.Fatalf("staff: %+v", staff)
		}
		// The owner role, assigned on t/{tenant}/s/{shop}, holds in the
		// shop's full domain; nobody else holds it.
		if !e.a.Authz.Allowed(e.ctx, alice, sh.AuthzDomain(), merchant.PermEditProfile) {
			t.Fatal("owner cannot edit the profile")
		}
		bob := e.user("bob", "", "")
		if e.a.Authz.Allowed(e.ctx, bob, sh.AuthzDomain(), merchant.PermEditProfile) {
			t.Fatal("a stranger may edit the profile")
		}
		// Decided: a second decision conflicts; the slug is taken.
		_, err := e.m.Reject(e.ctx, e.admin, ap.ID, "too late")
		wantCode(t, err, core.Conflict)
		_, err = e.m.Apply(e.ctx, bob, e.input("yuelu-farm"))
		wantField(t, err, "slug", "field.slug_taken")
		// The shop is listed for shoppers, after the flagship store.
		shops := must(e.m.Shops(e.ctx, merchant.ShopFilter{Status: merchant.ShopActive}))(t)
		if len(shops) != 2 || !shops[0].IsFlagship || shops[1].ID != sh.ID {
			t.Fatalf("active shops: %+v", shops)
		}
		if got := must(e.m.Shops(e.ctx, merchant.ShopFilter{Query: "农家"}))(t); len(got) != 1 || got[0].ID != sh.ID {
			t.Fatalf("query: %+v", got)
		}
		if got := must(e.m.Shops(e.ctx, merchant.ShopFilter{Query: "%"}))(t); len(got) != 0 {
			t.Fatalf("query %%: %+v", got)
		}
	})
}

func TestRejectAndRequestChanges(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		alice := e.user("alice", "", "")
		ap := must(e.m.Apply(e.ctx, alice, e.input("alice-farm")))(t)
		_, err := e.m.Reject(e.ctx, e.admin, ap.ID, "  ")
		wantField(t, err, "reason", "field.required")
		_, err = e.m.RequestChanges(e.ctx, e.admin, ap.ID, "")
		wantField(t, err, "note", "field.required")

		ap = must(e.m.RequestChanges(e.ctx, e.admin, ap.ID, "请上传清晰的营业执照号"))(t)
		if ap.Status != merchant.ApplicationChangesRequested {
			t.Fatalf("status %s", ap.Status)
		}
		_, err = e.m.Approve(e.ctx, e.admin, ap.ID)
		wantCode(t, err, core.Conflict) // only submitted applications are reviewed
		in := e.input("alice-farm")
		in.LicenceNo = "430104000012345"
		ap = must(e.m.UpdateApplication(e.ctx, alice, ap.ID, in))(t)
		if ap.Status != merchant.ApplicationSubmitted || ap.LicenceNo != "430104000012345" {
			t.Fatalf("resubmitted: %+v", ap)
		}
		ap = must(e.m.Reject(e.ctx, e.admin, ap.ID, "经营范围不符"))(t)
		mine := must(e.m.MyApplications(e.ctx, alice))(t)
		if mine[0].Status != merchant.ApplicationRejected || mine[0].ReviewNote != "经营范围不符" || mine[0].ShopID != nil {
			t.Fatalf("applicant's view: %+v", mine[0])
		}
		_, err = e.m.UpdateApplication(e.ctx, alice, ap.ID, in)
		wantCode(t, err, core.Conflict)
		_, err = e.m.Withdraw(e.ctx, alice, ap.ID)
		wantCode(t, err, core.Conflict)
		// Rejected frees the slug and the applicant may apply again.
		must(e.m.Apply(e.ctx, alice, e.input("alice-farm")))(t)
	})
}

func TestOneOpenApplicationAndWithdraw(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		alice, bob := e.user("alice", "", ""), e.user("bob", "", "")
		ap := must(e.m.Apply(e.ctx, alice, e.input("first-farm")))(t)
		_, err := e.m.Apply(e.ctx, alice, e.input("second-farm"))
		wantCode(t, err, core.Conflict)
		// Someone else's application is not there for bob.
		_, err = e.m.UpdateApplication(e.ctx, bob, ap.ID, e.input("bob-farm"))
		wantCode(t, err, core.NotFound)
		_, err = e.m.Withdraw(e.ctx, bob, ap.ID)
		wantCode(t, err, core.NotFound)
		// An open application holds its slug, but not against itself.
		_, err = e.m.Apply(e.ctx, bob, e.input("ＦＩＲＳＴ-farm"))
		wantField(t, err, "slug", "field.slug_taken")
		must(e.m.UpdateApplication(e.ctx, alice, ap.ID, e.input("first-farm")))(t)
		ap = must(e.m.Withdraw(e.ctx, alice, ap.ID))(t)
		if ap.Status != merchant.ApplicationWithdrawn {
			t.Fatalf("status %s", ap.Status)
		}
		_, err = e.m.Approve(e.ctx, e.admin, ap.ID)
		wantCode(t, err, core.Conflict)
		must(e.m.Apply(e.ctx, bob, e.input("first-farm")))(t)
		must(e.m.Apply(e.ctx, alice, e.input("second-farm")))(t)
	})
}

func TestSmallApplicantOfferedFlagship(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		flagship := must(e.m.FlagshipShop(e.ctx))(t)
		if flagship.Slug != merchant.FlagshipSlug || !flagship.IsFlagship || flagship.OwnerID != nil || !flagship.Selling() {
			t.Fatalf("flagship: %+v", flagship)
		}
		carol := e.user("carol", "", "")
		in := e.input("carol-honey")
		in.ExpectedProducts = 3
		_, err := e.m.Apply(e.ctx, carol, in)
		wantField(t, err, "expected_products", "merchant.field.expected_products_low")
		var ce *core.Error
		if errors.As(err, &ce); ce.Message != "merchant.error.flagship_offered" || len(ce.Args) != 1 || ce.Args[0] != 10 {
			t.Fatalf("offer: %+v", ce)
		}
		if mine := must(e.m.MyApplications(e.ctx, carol))(t); len(mine) != 0 {
			t.Fatalf("written: %+v", mine)
		}
		in.ViaFlagship = true
		ap := must(e.m.Apply(e.ctx, carol, in))(t)
		if ap.Slug != "" || !ap.ViaFlagship {
			t.Fatalf("flagship application: %+v", ap)
		}
		ap = must(e.m.Approve(e.ctx, e.admin, ap.ID))(t)
		if ap.Status != merchant.ApplicationApproved || ap.ShopID != nil {
			t.Fatalf("approved: %+v", ap)
		}
		if ok := must(e.m.IsFlagshipSupplier(e.ctx, carol.UserID))(t); !ok {
			t.Fatal("carol is not a flagship supplier")
		}
		if my := must(e.m.MyShops(e.ctx, carol))(t); len(my) != 0 {
			t.Fatalf("carol got shops: %+v", my)
		}
		// The flagship store is never closed, and "flagship" is reserved.
		_, err = e.m.SetStatus(e.ctx, e.admin, flagship.ID, merchant.ShopClosed, "")
		wantCode(t, err, core.Conflict)
		in = e.input("flagship")
		_, err = e.m.Apply(e.ctx, e.user("dave", "", ""), in)
		wantField(t, err, "slug", "field.slug_reserved")
	})
}

func TestReviewPermissions(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		// A tenant admin who applies cannot approve the application.
		ap := must(e.m.Apply(e.ctx, e.admin, e.input("admin-farm")))(t)
		_, err := e.m.Approve(e.ctx, e.admin, ap.ID)
		wantCode(t, err, core.Forbidden)
		_, err = e.m.Reject(e.ctx, e.admin, ap.ID, "self")
		wantCode(t, err, core.Forbidden)

		// Region managers review only their region.
		yueluMgr := e.user("yuelu-mgr", authz.RegionManager, authz.RegionDomain(e.tenant.ID, e.yuelu.ID))
		furongMgr := e.user("furong-mgr", authz.RegionManager, authz.RegionDomain(e.tenant.ID, e.furong.ID))
		alice := e.user("alice", "", "")
		ap2 := must(e.m.Apply(e.ctx, alice, e.input("alice-farm")))(t)
		for _, f := range []func() error{
			func() error { _, err := e.m.ApplicationForReview(e.ctx, furongMgr, ap2.ID); return err },
			func() error { _, err := e.m.Approve(e.ctx, furongMgr, ap2.ID); return err },
			func() error { _, err := e.m.Reject(e.ctx, furongMgr, ap2.ID, "no"); return err },
			func() error { _, err := e.m.RequestChanges(e.ctx, furongMgr, ap2.ID, "no"); return err },
			// A plain account sees no applications but its own, and those only as the applicant.
			func() error { _, err := e.m.ApplicationForReview(e.ctx, alice, ap2.ID); return err },
			func() error { _, err := e.m.Approve(e.ctx, alice, ap2.ID); return err },
		} {
			wantCode(t, f(), core.NotFound)
		}
		if got := must(e.m.Applications(e.ctx, furongMgr, merchant.ApplicationFilter{}))(t); len(got) != 0 {
			t.Fatalf("furong manager sees %d applications", len(got))
		}
		if got := must(e.m.Applications(e.ctx, yueluMgr, merchant.ApplicationFilter{}))(t); len(got) != 2 {
			t.Fatalf("yuelu manager sees %d applications", len(got))
		}
		ap2 = must(e.m.Approve(e.ctx, yueluMgr, ap2.ID))(t)
		sh := must(e.m.ShopByID(e.ctx, *ap2.ShopID))(t)

		// Shops: the furong manager cannot reach the yuelu shop; the
		// yuelu manager suspends and resumes it; the owner cannot.
		_, err = e.m.SetStatus(e.ctx, furongMgr, sh.ID, merchant.ShopSuspended, "检查")
		wantCode(t, err, core.NotFound)
		_, err = e.m.SetStatus(e.ctx, alice, sh.ID, merchant.ShopClosed, "")
		wantCode(t, err, core.Forbidden)
		if got := must(e.m.ShopsFor(e.ctx, furongMgr, merchant.ShopFilter{}))(t); len(got) != 0 {
			t.Fatalf("furong manager lists %d shops", len(got))
		}
		if got := must(e.m.ShopsFor(e.ctx, yueluMgr, merchant.ShopFilter{}))(t); len(got) != 1 || got[0].ID != sh.ID {
			t.Fatalf("yuelu manager lists %+v", got)
		}
		if got := must(e.m.ShopsFor(e.ctx, e.admin, merchant.ShopFilter{}))(t); len(got) != 2 {
			t.Fatalf("admin lists %d shops", len(got))
		}
		must(e.m.SetStatus(e.ctx, yueluMgr, sh.ID, merchant.ShopSuspended, "食品安全抽检"))(t)
		if got := must(e.m.SetStatus(e.ctx, yueluMgr, sh.ID, merchant.ShopActive, "整改完成"))(t); got.SuspendedReason != "" {
			t.Errorf("resumed shop keeps the reason %q", got.SuspendedReason)
		}
		// The region manager cannot touch the flagship store (no region).
		flagship := must(e.m.FlagshipShop(e.ctx))(t)
		_, err = e.m.SetStatus(e.ctx, yueluMgr, flagship.ID, merchant.ShopSuspended, "x")
		wantCode(t, err, core.NotFound)
	})
}

func TestConcurrentApprovalsOpenOneShop(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		admin2 := e.user("admin2", authz.TenantAdmin, authz.TenantDomain(e.tenant.ID))
		ap := must(e.m.Apply(e.ctx, e.user("racer", "", ""), e.input("race-farm")))(t)
		errs := make(chan error, 2)
		for _, p := range []*identity.Principal{e.admin, admin2} {
			go func() { _, err := e.m.Approve(e.ctx, p, ap.ID); errs <- err }()
		}
		var ok, conflict int
		for range 2 {
			switch err := <-errs; core.ErrorCode(err) {
			case "":
				ok++
			case core.Conflict:
				conflict++
			default:
				t.Fatal(err)
			}
		}
		if ok != 1 || conflict != 1 {
			t.Fatalf("%d approvals, %d conflicts", ok, conflict)
		}
		if shops := must(e.m.ShopsFor(e.ctx, e.admin, merchant.ShopFilter{Query: "race-farm"}))(t); len(shops) != 1 {
			t.Fatalf("shops: %+v", shops)
		}
	})
}

func TestShopStatusMachine(t *testing.T) {
	for _, c := range []struct {
		from, to string
		ok       bool
	}{
		{merchant.ShopPending, merchant.ShopActive, true},
		{merchant.ShopPending, merchant.ShopSuspended, false},
		{merchant.ShopPending, merchant.ShopClosed, true},
		{merchant.ShopActive, merchant.ShopSuspended, true},
		{merchant.ShopActive, merchant.ShopActive, false},
		{merchant.ShopActive, merchant.ShopClosed, true},
		{merchant.ShopSuspended, merchant.ShopActive, true},
		{merchant.ShopSuspended, merchant.ShopClosed, true},
		{merchant.ShopClosed, merchant.ShopActive, false},
		{merchant.ShopClosed, merchant.ShopSuspended, false},
		{merchant.ShopClosed, merchant.ShopClosed, false},
		{merchant.ShopActive, merchant.ShopPending, false},
	} {
		if got := merchant.CanMove(c.from, c.to); got != c.ok {
			t.Errorf("%s → %s: got %v", c.from, c.to, got)
		}
	}
	for status, selling := range map[string]bool{merchant.ShopPending: false, merchant.ShopActive: true, merchant.ShopSuspended: false, merchant.ShopClosed: false} {
		if (&merchant.Shop{Status: status}).Selling() != selling {
			t.Errorf("%s: Selling() != %v", status, selling)
		}
	}
}

// openShop applies for and approves a shop for a new owner.
func (e *env) openShop(slug string) (*merchant.Shop, *identity.Principal) {
	e.t.Helper()
	owner := e.user(slug+"-owner", "", "")
	ap := must(e.m.Apply(e.ctx, owner, e.input(slug)))(e.t)
	ap = must(e.m.Approve(e.ctx, e.admin, ap.ID))(e.t)
	return must(e.m.ShopByID(e.ctx, *ap.ShopID))(e.t), owner
}

func TestSuspendCloseAndStorefront(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		sh, _ := e.openShop("veg-stall")
		_, err := e.m.SetStatus(e.ctx, e.admin, sh.ID, merchant.ShopSuspended, "")
		wantField(t, err, "reason", "field.required")
		_, err = e.m.SetStatus(e.ctx, e.admin, sh.ID, "deleted", "x")
		wantField(t, err, "status", "")
		sh = must(e.m.SetStatus(e.ctx, e.admin, sh.ID, merchant.ShopSuspended, "价格违规"))(t)
		if sh.Selling() || sh.SuspendedReason != "价格违规" {
			t.Fatalf("suspended: %+v", sh)
		}
		front := must(e.m.StorefrontShop(e.ctx, "veg-stall"))(t)
		if front.Status != merchant.ShopSuspended || front.Selling() || front.Public().Selling {
			t.Fatalf("storefront of a suspended shop: %+v", front)
		}
		if active := must(e.m.Shops(e.ctx, merchant.ShopFilter{Status: merchant.ShopActive}))(t); len(active) != 1 {
			t.Fatalf("suspended shop still listed: %+v", active)
		}
		_, err = e.m.SetStatus(e.ctx, e.admin, sh.ID, merchant.ShopSuspended, "again")
		wantCode(t, err, core.Conflict)
		must(e.m.SetStatus(e.ctx, e.admin, sh.ID, merchant.ShopClosed, "商户申请关店"))(t)
		_, err = e.m.StorefrontShop(e.ctx, "veg-stall")
		wantCode(t, err, core.NotFound)
		_, err = e.m.SetStatus(e.ctx, e.admin, sh.ID, merchant.ShopActive, "")
		wantCode(t, err, core.Conflict)
	})
}

func TestProfileAndImages(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		sh, owner := e.openShop("fruit-box")
		in := merchant.ProfileInput{
			Name: "果园直送", Description: "当季水果，产地直发", ServicePromises: "坏果包赔", ReturnsPolicy: "签收24小时内可退",
			ContactPhone: "+86 139-0000-0000", ContactEmail: "shop@example.com", ThemeColor: "#2E7D32", Announcement: "端午节照常发货",
		}
		got := must(e.m.UpdateProfile(e.ctx, owner, sh.ID, in))(t)
		if got.Name != "果园直送" || got.ThemeColor != "#2e7d32" || got.ContactPhone != "13900000000" {
			t.Fatalf("profile: %+v", got)
		}
		for _, c := range []struct {
			edit  func(*merchant.ProfileInput)
			field string
		}{
			{func(p *merchant.ProfileInput) { p.Name = "果" }, "name"},
			{func(p *merchant.ProfileInput) { p.Name = strings.Repeat("果", 31) }, "name"},
			{func(p *merchant.ProfileInput) { p.Name = "<b>果园</b>" }, "name"},
			{func(p *merchant.ProfileInput) { p.Description = "<script>alert(1)</script>" }, "description"},
			{func(p *merchant.ProfileInput) { p.ThemeColor = "green" }, "theme_color"},
			{func(p *merchant.ProfileInput) { p.ThemeColor = "#12345" }, "theme_color"},
			{func(p *merchant.ProfileInput) { p.ContactPhone = "12345" }, "contact_phone"},
			{func(p *merchant.ProfileInput) { p.ContactEmail = "not-an-email" }, "contact_email"},
			{func(p *merchant.ProfileInput) { p.Announcement = strings.Repeat("告", 201) }, "announcement"},
		} {
			bad := in
			c.edit(&bad)
			_, err := e.m.UpdateProfile(e.ctx, owner, sh.ID, bad)
			wantField(t, err, c.field, "")
		}
		if cur := must(e.m.ShopByID(e.ctx, sh.ID))(t); cur.Name != "果园直送" {
			t.Fatalf("bad input was written: %+v", cur)
		}
		stranger := e.user("stranger", "", "")
		_, err := e.m.UpdateProfile(e.ctx, stranger, sh.ID, in)
		wantCode(t, err, core.NotFound)
		_, err = e.m.ShopFor(e.ctx, stranger, sh.ID)
		wantCode(t, err, core.NotFound)

		png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)
		path := must(e.m.SetLogo(e.ctx, owner, sh.ID, "logo.png", "image/png", png))(t)
		if !strings.HasPrefix(path, "/uploads/"+sh.ID+"/logo-") || !strings.HasSuffix(path, ".png") {
			t.Fatalf("logo path %q", path)
		}
		b, ctype := must2(t)(e.m.Upload(e.ctx, path))
		if !bytes.Equal(b, png) || ctype != "image/png" {
			t.Fatalf("upload read back: %d bytes, %s", len(b), ctype)
		}
		if cur := must(e.m.ShopByID(e.ctx, sh.ID))(t); cur.LogoPath != path {
			t.Fatalf("logo path not stored: %+v", cur)
		}
		// A replaced logo's file goes away.
		path2 := must(e.m.SetLogo(e.ctx, owner, sh.ID, "logo.png", "", png))(t)
		_, _, err = e.m.Upload(e.ctx, path)
		wantCode(t, err, core.NotFound)
		jpeg := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 64)...)
		bpath := must(e.m.SetBanner(e.ctx, owner, sh.ID, "b.jpg", "image/jpeg", jpeg))(t)
		if !strings.HasSuffix(bpath, ".jpg") {
			t.Fatalf("banner path %q", bpath)
		}
		for name, data := range map[string][]byte{
			"html":  []byte("<html><script>alert(1)</script></html>"),
			"svg":   []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
			"empty": nil,
			"big":   append(append([]byte{}, png...), make([]byte, merchant.MaxImageBytes)...),
		} {
			_, err := e.m.SetBanner(e.ctx, owner, sh.ID, name, "image/png", data)
			wantField(t, err, "file", "")
		}
		_, err = e.m.SetLogo(e.ctx, stranger, sh.ID, "x.png", "image/png", png)
		wantCode(t, err, core.NotFound)
		for _, p := range []string{"../" + e.tenant.ID + path2[len("/uploads"):], sh.ID + "/../../etc/passwd", "/uploads/" + sh.ID + "/x.html", ""} {
			_, _, err := e.m.Upload(e.ctx, p)
			wantCode(t, err, core.NotFound)
		}
	})
}

func must2(t *testing.T) func([]byte, string, error) ([]byte, string) {
	return func(b []byte, s string, err error) ([]byte, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b, s
	}
}

func TestInvitations(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		sh, owner := e.openShop("tea-house")
		helper := e.user("helper", "", "")
		other := e.user("other", "", "")
		_, _, err := e.m.Invite(e.ctx, owner, sh.ID, merchant.InviteInput{})
		wantField(t, err, "email", "merchant.field.contact_required")
		_, _, err = e.m.Invite(e.ctx, owner, sh.ID, merchant.InviteInput{Email: helper.Email, Role: "tenant_admin"})
		wantField(t, err, "role", "merchant.field.role_invalid")
		_, _, err = e.m.Invite(e.ctx, other, sh.ID, merchant.InviteInput{Email: helper.Email})
		wantCode(t, err, core.NotFound)

		inv, token, err := e.m.Invite(e.ctx, owner, sh.ID, merchant.InviteInput{Email: strings.ToUpper(helper.Email)})
		if err != nil {
			t.Fatal(err)
		}
		if inv.Role != authz.MerchantStaff || token == "" || strings.Contains(inv.TokenHash, token) || inv.ExpiresAt.Sub(inv.CreatedAt) != merchant.InvitationTTL {
			t.Fatalf("invitation: %+v", inv)
		}
		if open := must(e.m.Invitations(e.ctx, owner, sh.ID))(t); len(open) != 1 || open[0].ID != inv.ID {
			t.Fatalf("open invitations: %+v", open)
		}
		_, err = e.m.AcceptInvitation(e.ctx, other, token)
		wantCode(t, err, core.Forbidden)
		_, err = e.m.AcceptInvitation(e.ctx, helper, token+"x")
		wantCode(t, err, core.NotFound)
		m := must(e.m.AcceptInvitation(e.ctx, helper, token))(t)
		if m.UserID != helper.UserID || m.Role != authz.MerchantStaff || m.ShopID != sh.ID || m.Name == "" || (m.Email == "" && m.Phone == "") {
			t.Fatalf("member: %+v", m)
		}
		_, err = e.m.AcceptInvitation(e.ctx, helper, token)
		wantCode(t, err, core.NotFound)
		if my := must(e.m.MyShops(e.ctx, helper))(t); len(my) != 1 || my[0].ID != sh.ID {
			t.Fatalf("helper's shops: %+v", my)
		}
		if !e.a.Authz.Allowed(e.ctx, helper, sh.AuthzDomain(), merchant.PermViewShop) {
			t.Fatal("staff cannot view the shop")
		}
		if staff := must(e.m.Staff(e.ctx, owner, sh.ID))(t); len(staff) != 2 {
			t.Fatalf("staff: %+v", staff)
		}
		if open := must(e.m.Invitations(e.ctx, owner, sh.ID))(t); len(open) != 0 {
			t.Fatalf("accepted invitation still open: %+v", open)
		}
		// Staff do not manage staff; the founding owner stays.
		_, _, err = e.m.Invite(e.ctx, helper, sh.ID, merchant.InviteInput{Email: other.Email})
		wantCode(t, err, core.Forbidden)
		err = e.m.RemoveStaff(e.ctx, owner, sh.ID, owner.UserID)
		wantCode(t, err, core.Conflict)
		err = e.m.RemoveStaff(e.ctx, owner, sh.ID, other.UserID)
		wantCode(t, err, core.NotFound)
		if err := e.m.RemoveStaff(e.ctx, owner, sh.ID, helper.UserID); err != nil {
			t.Fatal(err)
		}
		if my := must(e.m.MyShops(e.ctx, helper))(t); len(my) != 0 {
			t.Fatalf("removed helper still has shops: %+v", my)
		}
		if e.a.Authz.Allowed(e.ctx, helper, sh.AuthzDomain(), merchant.PermViewShop) {
			t.Fatal("removed staff can still view the shop")
		}
		// An owner invitation by phone.
		inv2, token2, err := e.m.Invite(e.ctx, owner, sh.ID, merchant.InviteInput{Phone: "13912345678", Role: authz.MerchantOwner})
		if err != nil || inv2.Phone != "13912345678" {
			t.Fatalf("phone invitation: %+v %v", inv2, err)
		}
		_, err = e.m.AcceptInvitation(e.ctx, helper, token2)
		wantCode(t, err, core.Forbidden)
	})
}

func TestOtherTenantIsInvisible(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a := newApp(t, d)
		e, f := newEnv(t, a), newEnv(t, a)
		sh, owner := e.openShop("home-shop")
		pending := must(e.m.Apply(e.ctx, e.user("pat", "", ""), e.input("pending-shop")))(t)
		_, token, err := e.m.Invite(e.ctx, owner, sh.ID, merchant.InviteInput{Email: "x@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 16)...)
		logo := must(e.m.SetLogo(e.ctx, owner, sh.ID, "", "", png))(t)

		// Tenant f's admin and users, with tenant e's ids.
		fUser := f.user("fuser", "", "")
		wantCode(t, errOf(f.m.ShopByID(f.ctx, sh.ID)), core.NotFound)
		wantCode(t, errOf(f.m.ShopBySlug(f.ctx, "home-shop")), core.NotFound)
		wantCode(t, errOf(f.m.ShopFor(f.ctx, f.admin, sh.ID)), core.NotFound)
		wantCode(t, errOf(f.m.ApplicationForReview(f.ctx, f.admin, pending.ID)), core.NotFound)
		wantCode(t, errOf(f.m.Approve(f.ctx, f.admin, pending.ID)), core.NotFound)
		wantCode(t, errOf(f.m.Reject(f.ctx, f.admin, pending.ID, "x")), core.NotFound)
		wantCode(t, errOf(f.m.UpdateApplication(f.ctx, fUser, pending.ID, f.input("x-shop"))), core.NotFound)
		wantCode(t, errOf(f.m.UpdateProfile(f.ctx, f.admin, sh.ID, merchant.ProfileInput{Name: "xx", ContactPhone: "13800000000"})), core.NotFound)
		wantCode(t, errOf(f.m.SetStatus(f.ctx, f.admin, sh.ID, merchant.ShopSuspended, "x")), core.NotFound)
		wantCode(t, errOf(f.m.Staff(f.ctx, f.admin, sh.ID)), core.NotFound)
		wantCode(t, errOf(f.m.Invitations(f.ctx, f.admin, sh.ID)), core.NotFound)
		_, _, err = f.m.Invite(f.ctx, f.admin, sh.ID, merchant.InviteInput{Email: "y@example.com"})
		wantCode(t, err, core.NotFound)
		wantCode(t, errOf(f.m.AcceptInvitation(f.ctx, fUser, token)), core.NotFound)
		wantCode(t, f.m.RemoveStaff(f.ctx, f.admin, sh.ID, owner.UserID), core.NotFound)
		_, err = f.m.SetLogo(f.ctx, f.admin, sh.ID, "", "", png)
		wantCode(t, err, core.NotFound)
		_, _, err = f.m.Upload(f.ctx, logo)
		wantCode(t, err, core.NotFound)
		if got := must(f.m.Applications(f.ctx, f.admin, merchant.ApplicationFilter{}))(t); len(got) != 0 {
			t.Fatalf("tenant f sees e's applications: %+v", got)
		}
		if got := must(f.m.Shops(f.ctx, merchant.ShopFilter{}))(t); len(got) != 1 || !got[0].IsFlagship {
			t.Fatalf("tenant f sees: %+v", got)
		}
		// Another tenant's region is an invalid choice, not a lookup.
		in := f.input("f-shop")
		in.RegionID = e.yuelu.ID
		_, err = f.m.Apply(f.ctx, fUser, in)
		wantField(t, err, "region_id", "merchant.field.region_invalid")
		// A principal of tenant e is nobody in tenant f.
		_, err = f.m.MyShops(f.ctx, owner)
		wantCode(t, err, core.Unauthenticated)
	})
}

func errOf[T any](_ T, err error) error { return err }

func TestApplicationInputRules(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, newApp(t, d))
		taken := must(e.m.Apply(e.ctx, e.user("first", "", ""), e.input("VegShop")))(t)
		if taken.Slug != "vegshop" {
			t.Fatalf("slug %q", taken.Slug)
		}
		applicant := e.user("applicant", "", "")
		for _, c := range []struct {
			name  string
			edit  func(*merchant.ApplicationInput)
			field string
			key   string
		}{
			{"empty name", func(in *merchant.ApplicationInput) { in.ShopName = "   " }, "shop_name", "field.required"},
			{"short name", func(in *merchant.ApplicationInput) { in.ShopName = "店" }, "shop_name", "field.too_short"},
			{"long name", func(in *merchant.ApplicationInput) { in.ShopName = strings.Repeat("菜", 31) }, "shop_name", "field.too_long"},
			{"script name", func(in *merchant.ApplicationInput) { in.ShopName = "<script>alert(1)</script>" }, "shop_name", "field.html_not_allowed"},
			{"sql name", func(in *merchant.ApplicationInput) { in.ShopName = "'; DROP TABLE shops; --" }, "", ""},
			{"sql slug", func(in *merchant.ApplicationInput) { in.Slug = "'; DROP TABLE shops; --" }, "slug", "field.slug_invalid"},
			{"reserved www", func(in *merchant.ApplicationInput) { in.Slug = "www" }, "slug", "field.slug_reserved"},
			{"reserved admin", func(in *merchant.ApplicationInput) { in.Slug = "ADMIN" }, "slug", "field.slug_reserved"},
			{"reserved api", func(in *merchant.ApplicationInput) { in.Slug = "ａｐｉ" }, "slug", "field.slug_reserved"},
			{"reserved Shop", func(in *merchant.ApplicationInput) { in.Slug = "Shop" }, "slug", "field.slug_reserved"},
			{"duplicate slug full width", func(in *merchant.ApplicationInput) { in.Slug = "ｖｅｇｓｈｏｐ" }, "slug", "field.slug_taken"},
			{"duplicate slug case", func(in *merchant.ApplicationInput) { in.Slug = "VEGSHOP" }, "slug", "field.slug_taken"},
			{"empty slug", func(in *merchant.ApplicationInput) { in.Slug = "" }, "slug", "field.required"},
			{"bad phone", func(in *merchant.ApplicationInput) { in.ContactPhone = "12345678901" }, "contact_phone", "field.phone_invalid"},
			{"no phone", func(in *merchant.ApplicationInput) { in.ContactPhone = "" }, "contact_phone", "field.required"},
			{"bad email", func(in *merchant.ApplicationInput) { in.ContactEmail = "a@b" }, "contact_email", "field.email_invalid"},
			{"email injection", func(in *merchant.ApplicationInput) { in.ContactEmail = "a@b.com'; DROP TABLE shops; --" }, "contact_email", "field.email_invalid"},
			{"licence short", func(in *merchant.ApplicationInput) { in.LicenceNo = "12345" }, "licence_no", "merchant.field.licence_invalid"},
			{"licence letter I", func(in *merchant.ApplicationInput) { in.LicenceNo = "91430104MA4L1234I5" }, "licence_no", "merchant.field.licence_invalid"},
			{"licence empty", func(in *merchant.ApplicationInput) { in.LicenceNo = "" }, "licence_no", "field.required"},
			{"no categories", func(in *merchant.ApplicationInput) { in.MainCategories = nil }, "main_categories", "merchant.field.categories_count"},
			{"unknown category", func(in *merchant.ApplicationInput) { in.MainCategories = []string{"weapons"} }, "main_categories", "merchant.field.category_invalid"},
			{"six categories", func(in *merchant.ApplicationInput) {
				in.MainCategories = []string{"fresh", "fruit", "cards", "specialty", "grain-oil", "fresh"}
			}, "main_categories", "merchant.field.categories_count"},
			{"no region", func(in *merchant.ApplicationInput) { in.RegionID = "" }, "region_id", "field.required"},
			{"city not district", func(in *merchant.ApplicationInput) { in.RegionID = e.city.ID }, "region_id", "merchant.field.region_invalid"},
			{"garbage region", func(in *merchant.ApplicationInput) { in.RegionID = "'; DROP TABLE shops; --" }, "region_id", "merchant.field.region_invalid"},
			{"negative products", func(in *merchant.ApplicationInput) { in.ExpectedProducts = -1 }, "expected_products", "merchant.field.range"},
			{"too many products", func(in *merchant.ApplicationInput) { in.ExpectedProducts = 100001 }, "expected_products", "merchant.field.range"},
		} {
			t.Run(c.name, func(t *testing.T) {
				in := e.input("fresh-shop")
				c.edit(&in)
				ap, err := e.m.Apply(e.ctx, applicant, in)
				if c.field == "" { // accepted as plain text, stored verbatim
					if err != nil || ap.ShopName != "'; DROP TABLE shops; --" {
						t.Fatalf("%v %+v", err, ap)
					}
					must(e.m.Withdraw(e.ctx, applicant, ap.ID))(t)
					return
				}
				wantField(t, err, c.field, c.key)
			})
		}
		mine := must(e.m.MyApplications(e.ctx, applicant))(t)
		if len(mine) != 1 || mine[0].Status != merchant.ApplicationWithdrawn {
			t.Fatalf("bad input was written: %+v", mine)
		}
		if shops := must(e.m.Shops(e.ctx, merchant.ShopFilter{}))(t); len(shops) != 1 {
			t.Fatalf("shops: %+v", shops)
		}
		// Valid variants: a 15-digit licence, full-width input, no e-mail.
		in := e.input("ｆｒｅｓｈ-shop")
		in.LicenceNo, in.ContactEmail, in.ContactPhone = "４３０１０４０００００１２３４", "", "１３９００００００００"
		ap := must(e.m.Apply(e.ctx, applicant, in))(t)
		if ap.Slug != "fresh-shop" || ap.LicenceNo != "430104000001234" || ap.ContactPhone != "13900000000" {
			t.Fatalf("normalised: %+v", ap)
		}
	})
}
