package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/server"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

const marketPassword = "correct horse battery"

// market is a server with one tenant, a district pair and its tenant admin.
type market struct {
	t      *testing.T
	a      *app.App
	h      http.Handler
	tenant *tenants.Tenant
	ctx    context.Context
	yuelu  *tenants.Region
	furong *tenants.Region
	admin  *shopper
}

func newMarketServer(t *testing.T, d *db.DB) (*app.App, http.Handler) {
	t.Helper()
	dir := t.TempDir()
	a, err := app.NewWithDB(context.Background(), app.Config{FastHashing: true, DataDir: dir}, d)
	if err != nil {
		t.Fatal(err)
	}
	return a, server.New(a)
}

func newMarket(t *testing.T, a *app.App, h http.Handler) *market {
	t.Helper()
	ctx := context.Background()
	slug := "ht-" + strings.ReplaceAll(tenants.NewID()[24:], "-", "")
	tn, err := a.Provisioner.Create(ctx, a.DB, tenants.CreateInput{Slug: slug, Name: "网上供销社"})
	if err != nil {
		t.Fatal(err)
	}
	s := &market{t: t, a: a, h: h, tenant: tn, ctx: tenants.WithTenant(ctx, tn)}
	err = a.DB.RunInTx(s.ctx, func(ctx context.Context, tx bun.IDB) error {
		city, err := tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "changsha", Name: "长沙市"})
		if err != nil {
			return err
		}
		if s.yuelu, err = tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "yuelu", Name: "岳麓区", ParentID: city.ID}); err != nil {
			return err
		}
		s.furong, err = tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "furong", Name: "芙蓉区", ParentID: city.ID})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s.admin = s.user("admin", authz.TenantAdmin, authz.TenantDomain(tn.ID))
	return s
}

// shopper is a signed-in (or anonymous) client of one tenant, on its dev
// path /t/{tenant}, keeping cookies and sending the CSRF token back.
type shopper struct {
	t       *testing.T
	h       http.Handler
	base    string
	userID  string
	email   string
	cookies map[string]string
	// accept, when set, is sent as the Accept header.
	accept string
}

// user creates an account holding role in domain (none when role is ""),
// signs it in and returns its shopper.
func (s *market) user(name, role, domain string) *shopper {
	s.t.Helper()
	email := name + "-" + tenants.NewID()[24:] + "@example.com"
	var u *identity.User
	err := s.a.DB.RunInTx(s.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		u, err = s.a.Identity.CreateUser(ctx, tx, identity.UserInput{Email: email, Name: name, Password: marketPassword})
		if err != nil || role == "" {
			return err
		}
		return s.a.Authz.Assign(ctx, tx, u.ID, role, domain)
	})
	if err != nil {
		s.t.Fatal(err)
	}
	token, _, err := s.a.Identity.Login(s.ctx, email, marketPassword)
	if err != nil {
		s.t.Fatal(err)
	}
	b := s.anonymous()
	b.userID, b.email = u.ID, email
	b.cookies[identity.SessionCookie] = token
	return b
}

// anonymous returns a shopper without a session that has fetched a page
// (and so holds the CSRF cookie).
func (s *market) anonymous() *shopper {
	b := &shopper{t: s.t, h: s.h, base: "/t/" + s.tenant.Slug, cookies: map[string]string{}}
	if code, _ := b.do("GET", "/api/v1/tenant", nil); code != http.StatusOK {
		s.t.Fatalf("GET /api/v1/tenant: %d", code)
	}
	if b.cookies[httpx.CSRFCookie] == "" {
		s.t.Fatal("no CSRF cookie")
	}
	return b
}

// send makes a request with body (JSON unless it is a *multipart body)
// and returns the status and response body.
func (b *shopper) send(method, path string, body []byte, ctype string) (int, []byte) {
	b.t.Helper()
	r := httptest.NewRequest(method, b.base+path, bytes.NewReader(body))
	r.Host = "localhost"
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	if b.accept != "" {
		r.Header.Set("Accept", b.accept)
	}
	for k, v := range b.cookies {
		r.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	if c := b.cookies[httpx.CSRFCookie]; c != "" && method != "GET" {
		r.Header.Set("X-CSRF-Token", c)
	}
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		b.cookies[c.Name] = c.Value
	}
	return w.Code, w.Body.Bytes()
}

// do sends v as JSON (no body when nil).
func (b *shopper) do(method, path string, v any) (int, []byte) {
	b.t.Helper()
	if v == nil {
		return b.send(method, path, nil, "")
	}
	body, err := json.Marshal(v)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.send(method, path, body, "application/json")
}

// want sends v and checks the status, decoding the answer into out.
func (b *shopper) want(status int, method, path string, v, out any) []byte {
	b.t.Helper()
	code, body := b.do(method, path, v)
	if code != status {
		b.t.Fatalf("%s %s: want %d, got %d: %s", method, path, status, code, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			b.t.Fatalf("%s %s: %v: %s", method, path, err, body)
		}
	}
	return body
}

func (b *shopper) upload(path, ctype string, data []byte) (int, []byte) {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="logo.png"`)
	h.Set("Content-Type", ctype)
	pw, _ := mw.CreatePart(h)
	pw.Write(data)
	mw.Close()
	return b.send("POST", path, buf.Bytes(), mw.FormDataContentType())
}

type apiError struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

func (s *market) input(slug string) merchant.ApplicationInput {
	return merchant.ApplicationInput{
		ShopName: "岳麓山农家菜园", Slug: slug, ContactName: "王芳", ContactPhone: "13800138000",
		LicenceNo: "91430104MA4L1234X5", MainCategories: []string{"fresh"}, RegionID: s.yuelu.ID, ExpectedProducts: 50,
	}
}

// openShop has a new owner apply and the admin approve.
func (s *market) openShop(slug string) (*merchant.Shop, *shopper) {
	s.t.Helper()
	owner := s.user(slug+"-owner", "", "")
	var ap merchant.Application
	owner.want(http.StatusCreated, "POST", "/api/v1/merchant/applications", s.input(slug), &ap)
	s.admin.want(http.StatusOK, "POST", "/api/v1/admin/applications/"+ap.ID+"/approve", nil, &ap)
	var sh merchant.Shop
	owner.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+*ap.ShopID+"/profile", nil, &sh)
	return &sh, owner
}

var pngImage = append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)

func TestHTTPApplyApproveRunShop(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s := newMarket(t, a, h)
		alice := s.user("alice", "", "")
		anon := s.anonymous()

		// CSRF: a cookie-authenticated POST without the token is refused.
		r := httptest.NewRequest("POST", alice.base+"/api/v1/merchant/applications", strings.NewReader(`{}`))
		r.Host = "localhost"
		r.AddCookie(&http.Cookie{Name: identity.SessionCookie, Value: alice.cookies[identity.SessionCookie]})
		r.AddCookie(&http.Cookie{Name: httpx.CSRFCookie, Value: alice.cookies[httpx.CSRFCookie]})
		w := httptest.NewRecorder()
		s.h.ServeHTTP(w, r)
		if w.Code != http.StatusForbidden {
			t.Fatalf("POST without CSRF token: %d", w.Code)
		}
		// Anonymous callers cannot apply.
		if code, _ := anon.do("POST", "/api/v1/merchant/applications", s.input("anon-shop")); code != http.StatusUnauthorized {
			t.Fatalf("anonymous apply: %d", code)
		}

		var ap merchant.Application
		alice.want(http.StatusCreated, "POST", "/api/v1/merchant/applications", s.input("Alice-Farm"), &ap)
		if ap.Status != merchant.ApplicationSubmitted || ap.Slug != "alice-farm" {
			t.Fatalf("application: %+v", ap)
		}
		var mine struct{ Applications []merchant.Application }
		alice.want(http.StatusOK, "GET", "/api/v1/merchant/applications/mine", nil, &mine)
		if len(mine.Applications) != 1 || mine.Applications[0].ID != ap.ID {
			t.Fatalf("mine: %+v", mine)
		}
		var queue struct{ Applications []merchant.Application }
		s.admin.want(http.StatusOK, "GET", "/api/v1/admin/applications?status=submitted", nil, &queue)
		if len(queue.Applications) != 1 || queue.Applications[0].ID != ap.ID {
			t.Fatalf("queue: %+v", queue)
		}
		s.admin.want(http.StatusOK, "GET", "/api/v1/admin/applications/"+ap.ID, nil, nil)
		s.admin.want(http.StatusOK, "POST", "/api/v1/admin/applications/"+ap.ID+"/approve", nil, &ap)
		if ap.Status != merchant.ApplicationApproved || ap.ShopID == nil {
			t.Fatalf("approved: %+v", ap)
		}
		shopID := *ap.ShopID

		// Shoppers see the active shop, without private fields.
		var list struct{ Shops []map[string]any }
		body := anon.want(http.StatusOK, "GET", "/api/v1/shops", nil, &list)
		if len(list.Shops) != 2 || list.Shops[1]["slug"] != "alice-farm" || list.Shops[1]["selling"] != true ||
			list.Shops[1]["host"] != "alice-farm."+s.tenant.Slug+".localhost" {
			t.Fatalf("public shops: %s", body)
		}
		if strings.Contains(string(body), alice.userID) || strings.Contains(string(body), "owner_id") {
			t.Fatalf("public shops reveal the owner: %s", body)
		}
		anon.want(http.StatusOK, "GET", "/api/v1/shops/ALICE-FARM", nil, nil)

		// The owner runs the shop.
		var my struct{ Shops []merchant.Shop }
		alice.want(http.StatusOK, "GET", "/api/v1/merchant/shops", nil, &my)
		if len(my.Shops) != 1 || my.Shops[0].ID != shopID || my.Shops[0].Status != merchant.ShopActive {
			t.Fatalf("my shops: %+v", my)
		}
		var sh merchant.Shop
		alice.want(http.StatusOK, "PUT", "/api/v1/merchant/shops/"+shopID+"/profile", merchant.ProfileInput{
			Name: "爱丽丝农场", Description: "有机蔬菜", ContactPhone: "13800138000", ThemeColor: "#336699",
		}, &sh)
		if sh.Name != "爱丽丝农场" || sh.ThemeColor != "#336699" {
			t.Fatalf("profile: %+v", sh)
		}
		code, body := alice.upload("/api/v1/merchant/shops/"+shopID+"/logo", "image/png", pngImage)
		var up struct{ Path string }
		if code != http.StatusOK || json.Unmarshal(body, &up) != nil || !strings.HasPrefix(up.Path, "/uploads/"+shopID+"/") {
			t.Fatalf("logo upload: %d %s", code, body)
		}
		code, body = anon.send("GET", up.Path, nil, "")
		if code != http.StatusOK || !bytes.Equal(body, pngImage) {
			t.Fatalf("GET %s: %d", up.Path, code)
		}
		code, body = alice.upload("/api/v1/merchant/shops/"+shopID+"/banner", "text/html", []byte("<html><script>alert(1)</script>"))
		if code != http.StatusBadRequest || !strings.Contains(string(body), `"file"`) {
			t.Fatalf("html banner: %d %s", code, body)
		}
		code, body = alice.upload("/api/v1/merchant/shops/"+shopID+"/banner", "image/png", append(append([]byte{}, pngImage...), make([]byte, 3<<20)...))
		if code != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), `"file"`) {
			t.Fatalf("oversized banner: %d %s, want 413 naming the file", code, body)
		}

		// Suspended: shown, not selling, not listed. Closed: gone.
		s.admin.want(http.StatusBadRequest, "POST", "/api/v1/admin/shops/"+shopID+"/suspend", nil, nil)
		s.admin.want(http.StatusOK, "POST", "/api/v1/admin/shops/"+shopID+"/suspend", map[string]string{"reason": "食品安全抽检"}, &sh)
		var pub merchant.PublicShop
		anon.want(http.StatusOK, "GET", "/api/v1/shops/alice-farm", nil, &pub)
		if pub.Status != merchant.ShopSuspended || pub.Selling {
			t.Fatalf("suspended storefront: %+v", pub)
		}
		anon.want(http.StatusOK, "GET", "/api/v1/shops", nil, &list)
		if len(list.Shops) != 1 {
			t.Fatalf("suspended shop listed: %+v", list)
		}
		var admin struct{ Shops []merchant.Shop }
		s.admin.want(http.StatusOK, "GET", "/api/v1/admin/shops?status=suspended", nil, &admin)
		if len(admin.Shops) != 1 || admin.Shops[0].SuspendedReason != "食品安全抽检" {
			t.Fatalf("admin shops: %+v", admin)
		}
		s.admin.want(http.StatusOK, "POST", "/api/v1/admin/shops/"+shopID+"/resume", nil, nil)
		anon.want(http.StatusOK, "GET", "/api/v1/shops/alice-farm", nil, &pub)
		if !pub.Selling {
			t.Fatalf("resumed: %+v", pub)
		}
		s.admin.want(http.StatusOK, "POST", "/api/v1/admin/shops/"+shopID+"/close", map[string]string{"reason": "商户申请"}, nil)
		anon.want(http.StatusNotFound, "GET", "/api/v1/shops/alice-farm", nil, nil)
		s.admin.want(http.StatusConflict, "POST", "/api/v1/admin/shops/"+shopID+"/resume", nil, nil)
	})
}

func TestHTTPReviewOutcomes(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s := newMarket(t, a, h)
		bob := s.user("bob", "", "")
		var ap merchant.Application
		bob.want(http.StatusCreated, "POST", "/api/v1/merchant/applications", s.input("bob-farm"), &ap)
		s.admin.want(http.StatusBadRequest, "POST", "/api/v1/admin/applications/"+ap.ID+"/request-changes", nil, nil)
		s.admin.want(http.StatusOK, "POST", "/api/v1/admin/applications/"+ap.ID+"/request-changes", map[string]string{"note": "请补充联系邮箱"}, &ap)
		in := s.input("bob-farm")
		in.ContactEmail = "bob@example.com"
		bob.want(http.StatusOK, "PUT", "/api/v1/merchant/applications/"+ap.ID, in, &ap)
		if ap.Status != merchant.ApplicationSubmitted || ap.ContactEmail != "bob@example.com" {
			t.Fatalf("resubmitted: %+v", ap)
		}
		s.admin.want(http.StatusBadRequest, "POST", "/api/v1/admin/applications/"+ap.ID+"/reject", map[string]string{"reason": ""}, nil)
		s.admin.want(http.StatusOK, "POST", "/api/v1/admin/applications/"+ap.ID+"/reject", map[string]string{"reason": "营业执照与经营类目不符"}, nil)
		var mine struct{ Applications []merchant.Application }
		bob.want(http.StatusOK, "GET", "/api/v1/merchant/applications/mine", nil, &mine)
		if mine.Applications[0].Status != merchant.ApplicationRejected || mine.Applications[0].ReviewNote != "营业执照与经营类目不符" {
			t.Fatalf("rejection not shown: %+v", mine)
		}
		s.admin.want(http.StatusConflict, "POST", "/api/v1/admin/applications/"+ap.ID+"/approve", nil, nil)

		// A small applicant is offered the flagship store.
		in = s.input("bob-honey")
		in.ExpectedProducts = 4
		var eb apiError
		bob.want(http.StatusBadRequest, "POST", "/api/v1/merchant/applications", in, &eb)
		if eb.Error.Fields["expected_products"] == "" || !strings.Contains(eb.Error.Message, "官方旗舰店") ||
			!strings.Contains(eb.Error.Fields["expected_products"], "官方旗舰店") {
			t.Fatalf("no flagship offer: %+v", eb)
		}
		// In English too.
		bob.want(http.StatusBadRequest, "POST", "/api/v1/merchant/applications?lang=en", in, &eb)
		if !strings.Contains(eb.Error.Message, "flagship") {
			t.Fatalf("english offer: %+v", eb)
		}
		in.ViaFlagship = true
		bob.want(http.StatusCreated, "POST", "/api/v1/merchant/applications", in, &ap)
		s.admin.want(http.StatusOK, "POST", "/api/v1/admin/applications/"+ap.ID+"/approve", nil, &ap)
		if ap.ShopID != nil {
			t.Fatalf("flagship supplier got a shop: %+v", ap)
		}
		var my struct{ Shops []merchant.Shop }
		bob.want(http.StatusOK, "GET", "/api/v1/merchant/shops", nil, &my)
		if len(my.Shops) != 0 {
			t.Fatalf("bob's shops: %+v", my)
		}

		// Withdraw.
		carol := s.user("carol", "", "")
		carol.want(http.StatusCreated, "POST", "/api/v1/merchant/applications", s.input("carol-farm"), &ap)
		carol.want(http.StatusConflict, "POST", "/api/v1/merchant/applications", s.input("carol-farm2"), nil)
		bob.want(http.StatusNotFound, "POST", "/api/v1/merchant/applications/"+ap.ID+"/withdraw", nil, nil)
		carol.want(http.StatusOK, "POST", "/api/v1/merchant/applications/"+ap.ID+"/withdraw", nil, &ap)
		if ap.Status != merchant.ApplicationWithdrawn {
			t.Fatalf("withdrawn: %+v", ap)
		}
	})
}

func TestHTTPReviewPermissions(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s := newMarket(t, a, h)
		// Self-approval is forbidden even for a tenant admin.
		var own merchant.Application
		s.admin.want(http.StatusCreated, "POST", "/api/v1/merchant/applications", s.input("admin-farm"), &own)
		s.admin.want(http.StatusForbidden, "POST", "/api/v1/admin/applications/"+own.ID+"/approve", nil, nil)

		furong := s.user("furong-mgr", authz.RegionManager, authz.RegionDomain(s.tenant.ID, s.furong.ID))
		yuelu := s.user("yuelu-mgr", authz.RegionManager, authz.RegionDomain(s.tenant.ID, s.yuelu.ID))
		dave := s.user("dave", "", "")
		var ap merchant.Application
		dave.want(http.StatusCreated, "POST", "/api/v1/merchant/applications", s.input("dave-farm"), &ap)
		for _, c := range []struct{ method, path string }{
			{"GET", "/api/v1/admin/applications/" + ap.ID},
			{"POST", "/api/v1/admin/applications/" + ap.ID + "/approve"},
			{"POST", "/api/v1/admin/applications/" + ap.ID + "/reject"},
			{"POST", "/api/v1/admin/applications/" + ap.ID + "/request-changes"},
		} {
			code, body := furong.do(c.method, c.path, map[string]string{})
			if code != http.StatusNotFound && code != http.StatusForbidden {
				t.Fatalf("region manager outside region: %s %s: %d %s", c.method, c.path, code, body)
			}
			if strings.Contains(string(body), "dave-farm") {
				t.Fatalf("%s %s reveals the application: %s", c.method, c.path, body)
			}
			if code, _ := dave.do(c.method, c.path, map[string]string{}); code != http.StatusNotFound && code != http.StatusForbidden {
				t.Fatalf("applicant reviewing: %s %s: %d", c.method, c.path, code)
			}
		}
		var queue struct{ Applications []merchant.Application }
		furong.want(http.StatusOK, "GET", "/api/v1/admin/applications", nil, &queue)
		if len(queue.Applications) != 0 {
			t.Fatalf("furong manager's queue: %+v", queue)
		}
		yuelu.want(http.StatusOK, "GET", "/api/v1/admin/applications", nil, &queue)
		if len(queue.Applications) != 2 {
			t.Fatalf("yuelu manager's queue: %+v", queue)
		}
		yuelu.want(http.StatusOK, "POST", "/api/v1/admin/applications/"+ap.ID+"/approve", nil, &ap)
		shopID := *ap.ShopID
		if code, _ := furong.do("POST", "/api/v1/admin/shops/"+shopID+"/suspend", map[string]string{"reason": "x"}); code != http.StatusNotFound && code != http.StatusForbidden {
			t.Fatalf("suspend outside region: %d", code)
		}
		var shops struct{ Shops []merchant.Shop }
		furong.want(http.StatusOK, "GET", "/api/v1/admin/shops", nil, &shops)
		if len(shops.Shops) != 0 {
			t.Fatalf("furong manager's shops: %+v", shops)
		}
		yuelu.want(http.StatusOK, "POST", "/api/v1/admin/shops/"+shopID+"/suspend", map[string]string{"reason": "抽检"}, nil)
		// The owner may not manage the shop's status.
		if code, _ := dave.do("POST", "/api/v1/admin/shops/"+shopID+"/resume", nil); code != http.StatusForbidden && code != http.StatusNotFound {
			t.Fatalf("owner resumes: %d", code)
		}
	})
}

func TestHTTPStaffInvitation(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s := newMarket(t, a, h)
		sh, owner := s.openShop("tea-house")
		helper := s.user("helper", "", "")
		var inv struct {
			Invitation merchant.Invitation
			Token      string
		}
		owner.want(http.StatusBadRequest, "POST", "/api/v1/merchant/shops/"+sh.ID+"/staff", map[string]string{"email": "nope"}, nil)
		owner.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+sh.ID+"/staff", map[string]string{"email": helper.email}, &inv)
		if inv.Token == "" || inv.Invitation.Role != authz.MerchantStaff {
			t.Fatalf("invitation: %+v", inv)
		}
		var staff struct {
			Staff       []merchant.StaffMember
			Invitations []merchant.Invitation
		}
		body := owner.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+sh.ID+"/staff", nil, &staff)
		if len(staff.Staff) != 1 || len(staff.Invitations) != 1 || strings.Contains(string(body), inv.Token) {
			t.Fatalf("staff page: %s", body)
		}
		helper.want(http.StatusNotFound, "GET", "/api/v1/merchant/shops/"+sh.ID+"/profile", nil, nil)
		helper.want(http.StatusOK, "POST", "/api/v1/merchant/invitations/accept", map[string]string{"token": inv.Token}, nil)
		helper.want(http.StatusNotFound, "POST", "/api/v1/merchant/invitations/accept", map[string]string{"token": inv.Token}, nil)
		helper.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+sh.ID+"/profile", nil, nil)
		var my struct{ Shops []merchant.Shop }
		helper.want(http.StatusOK, "GET", "/api/v1/merchant/shops", nil, &my)
		if len(my.Shops) != 1 || my.Shops[0].ID != sh.ID {
			t.Fatalf("helper's shops: %+v", my)
		}
		owner.want(http.StatusNoContent, "DELETE", "/api/v1/merchant/shops/"+sh.ID+"/staff/"+helper.userID, nil, nil)
		helper.want(http.StatusNotFound, "GET", "/api/v1/merchant/shops/"+sh.ID+"/profile", nil, nil)
	})
}

// TestHTTPOtherTenantOrShopIs404 asks for every resource with another
// tenant's or another shop's id: 404, and the body names nothing of it.
func TestHTTPOtherTenantOrShopIs404(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		home, away := newMarket(t, a, h), newMarket(t, a, h)
		sh, owner := home.openShop("secret-garden")
		_, otherOwner := home.openShop("next-door")
		var pending merchant.Application
		home.user("pat", "", "").want(http.StatusCreated, "POST", "/api/v1/merchant/applications", home.input("hidden-plan"), &pending)
		var inv struct{ Token string }
		owner.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+sh.ID+"/staff", map[string]string{"email": "guest@example.com"}, &inv)
		code, body := owner.upload("/api/v1/merchant/shops/"+sh.ID+"/logo", "image/png", pngImage)
		var up struct{ Path string }
		if code != http.StatusOK || json.Unmarshal(body, &up) != nil {
			t.Fatalf("logo: %d %s", code, body)
		}

		awayUser := away.user("mallory", "", "")
		secrets := []string{sh.ID, pending.ID, "secret-garden", "hidden-plan", owner.userID, home.tenant.ID}
		check := func(who *shopper, method, path string, v any) {
			t.Helper()
			code, body := who.do(method, path, v)
			if code != http.StatusNotFound {
				t.Fatalf("%s %s: want 404, got %d: %s", method, path, code, body)
			}
			for _, s := range secrets {
				if strings.Contains(string(body), s) {
					t.Fatalf("%s %s: body reveals %q: %s", method, path, s, body)
				}
			}
		}
		profile := merchant.ProfileInput{Name: "改名了", ContactPhone: "13800138000"}
		for _, who := range []*shopper{away.admin, awayUser} {
			check(who, "GET", "/api/v1/admin/applications/"+pending.ID, nil)
			check(who, "POST", "/api/v1/admin/applications/"+pending.ID+"/approve", nil)
			check(who, "POST", "/api/v1/admin/applications/"+pending.ID+"/reject", map[string]string{"reason": "x"})
			check(who, "POST", "/api/v1/admin/applications/"+pending.ID+"/request-changes", map[string]string{"note": "x"})
			check(who, "PUT", "/api/v1/merchant/applications/"+pending.ID, away.input("hidden-plan"))
			check(who, "POST", "/api/v1/merchant/applications/"+pending.ID+"/withdraw", nil)
			check(who, "GET", "/api/v1/merchant/applications/"+pending.ID, nil)
			check(who, "GET", "/api/v1/shops/secret-garden", nil)
			check(who, "GET", "/api/v1/merchant/shops/"+sh.ID+"/profile", nil)
			check(who, "PUT", "/api/v1/merchant/shops/"+sh.ID+"/profile", profile)
			check(who, "GET", "/api/v1/merchant/shops/"+sh.ID+"/staff", nil)
			check(who, "POST", "/api/v1/merchant/shops/"+sh.ID+"/staff", map[string]string{"email": "x@example.com"})
			check(who, "DELETE", "/api/v1/merchant/shops/"+sh.ID+"/staff/"+owner.userID, nil)
			check(who, "POST", "/api/v1/admin/shops/"+sh.ID+"/suspend", map[string]string{"reason": "x"})
			check(who, "POST", "/api/v1/admin/shops/"+sh.ID+"/close", nil)
			check(who, "POST", "/api/v1/merchant/invitations/accept", map[string]string{"token": inv.Token})
			check(who, "GET", up.Path, nil)
			if code, body := who.upload("/api/v1/merchant/shops/"+sh.ID+"/logo", "image/png", pngImage); code != http.StatusNotFound {
				t.Fatalf("upload to another tenant's shop: %d %s", code, body)
			}
		}
		// Lists of the other tenant are empty of home's rows.
		for _, path := range []string{"/api/v1/admin/applications", "/api/v1/admin/shops", "/api/v1/shops"} {
			_, body := away.admin.do("GET", path, nil)
			for _, s := range secrets {
				if strings.Contains(string(body), s) {
					t.Fatalf("%s reveals %q: %s", path, s, body)
				}
			}
		}
		// Another shop's owner in the same tenant.
		check(otherOwner, "GET", "/api/v1/merchant/shops/"+sh.ID+"/profile", nil)
		check(otherOwner, "PUT", "/api/v1/merchant/shops/"+sh.ID+"/profile", profile)
		check(otherOwner, "GET", "/api/v1/merchant/shops/"+sh.ID+"/staff", nil)
		check(otherOwner, "POST", "/api/v1/merchant/shops/"+sh.ID+"/staff", map[string]string{"email": "x@example.com"})
		check(otherOwner, "DELETE", "/api/v1/merchant/shops/"+sh.ID+"/staff/"+owner.userID, nil)
		if code, _ := otherOwner.upload("/api/v1/merchant/shops/"+sh.ID+"/banner", "image/png", pngImage); code != http.StatusNotFound {
			t.Fatalf("upload to another shop: %d", code)
		}
		// Nothing changed at home.
		var cur merchant.Shop
		owner.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+sh.ID+"/profile", nil, &cur)
		if cur.Name != sh.Name || cur.Status != merchant.ShopActive {
			t.Fatalf("home shop changed: %+v", cur)
		}
	})
}

func TestHTTPBadApplicationInput(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s := newMarket(t, a, h)
		s.openShop("shop-one")
		applicant := s.user("applicant", "", "")
		for _, c := range []struct {
			name  string
			edit  func(*merchant.ApplicationInput)
			field string
		}{
			{"empty name", func(in *merchant.ApplicationInput) { in.ShopName = "" }, "shop_name"},
			{"long name", func(in *merchant.ApplicationInput) { in.ShopName = strings.Repeat("长", 31) }, "shop_name"},
			{"script name", func(in *merchant.ApplicationInput) { in.ShopName = "<script>alert(1)</script>" }, "shop_name"},
			{"reserved www", func(in *merchant.ApplicationInput) { in.Slug = "www" }, "slug"},
			{"reserved admin", func(in *merchant.ApplicationInput) { in.Slug = "admin" }, "slug"},
			{"reserved api", func(in *merchant.ApplicationInput) { in.Slug = "api" }, "slug"},
			{"reserved Shop", func(in *merchant.ApplicationInput) { in.Slug = "Shop" }, "slug"},
			{"reserved ｓｈｏｐ", func(in *merchant.ApplicationInput) { in.Slug = "ｓｈｏｐ" }, "slug"},
			{"taken full width", func(in *merchant.ApplicationInput) { in.Slug = "ＳＨＯＰ－ＯＮＥ" }, "slug"},
			{"sql slug", func(in *merchant.ApplicationInput) { in.Slug = "'; DROP TABLE shops; --" }, "slug"},
			{"bad phone", func(in *merchant.ApplicationInput) { in.ContactPhone = "110" }, "contact_phone"},
			{"bad email", func(in *merchant.ApplicationInput) { in.ContactEmail = "x@@example.com" }, "contact_email"},
			{"bad licence", func(in *merchant.ApplicationInput) { in.LicenceNo = "'; DROP TABLE shops; --" }, "licence_no"},
			{"bad category", func(in *merchant.ApplicationInput) { in.MainCategories = []string{"<script>"} }, "main_categories"},
			{"bad region", func(in *merchant.ApplicationInput) { in.RegionID = "'; DROP TABLE shops; --" }, "region_id"},
		} {
			t.Run(c.name, func(t *testing.T) {
				in := s.input("fresh-shop")
				c.edit(&in)
				var eb apiError
				applicant.want(http.StatusBadRequest, "POST", "/api/v1/merchant/applications", in, &eb)
				if eb.Error.Code != "invalid" || eb.Error.Fields[c.field] == "" {
					t.Fatalf("fields: %+v", eb)
				}
				if strings.Contains(eb.Error.Fields[c.field], ".") && strings.HasPrefix(eb.Error.Fields[c.field], "field") {
					t.Fatalf("untranslated message: %+v", eb)
				}
			})
		}
		// Malformed JSON and unknown fields.
		if code, _ := applicant.send("POST", "/api/v1/merchant/applications", []byte(`{"shop_name":`), "application/json"); code != http.StatusBadRequest {
			t.Fatalf("malformed JSON: %d", code)
		}
		if code, _ := applicant.send("POST", "/api/v1/merchant/applications", []byte(`{"status":"approved"}`), "application/json"); code != http.StatusBadRequest {
			t.Fatalf("unknown field: %d", code)
		}
		var mine struct{ Applications []merchant.Application }
		applicant.want(http.StatusOK, "GET", "/api/v1/merchant/applications/mine", nil, &mine)
		if len(mine.Applications) != 0 {
			t.Fatalf("bad input was written: %+v", mine)
		}
		var shops struct{ Shops []merchant.PublicShop }
		applicant.want(http.StatusOK, "GET", "/api/v1/shops", nil, &shops)
		if len(shops.Shops) != 2 {
			t.Fatalf("shops: %+v", shops)
		}
	})
}

// countingReader counts the bytes the server consumed from a body.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestHTTPOversizedFormIsNotReadBeforeTheLimit: the CSRF check of a form
// post (which reads the csrf_token field) runs after the route's body
// limit is in place, so a 20 MB upload to a 3 MB route is cut off near
// 3 MB and refused, whatever it carries at its end.
func TestHTTPOversizedFormIsNotReadBeforeTheLimit(t *testing.T) {
	a, h := newMarketServer(t, dbtest.SQLite(t))
	s := newMarket(t, a, h)
	sh, owner := s.openShop("big-upload")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "logo.png")
	fw.Write(pngImage)
	fw.Write(make([]byte, 20<<20))
	mw.WriteField("csrf_token", owner.cookies[httpx.CSRFCookie])
	mw.Close()
	body := &countingReader{r: &buf}
	r := httptest.NewRequest("POST", owner.base+"/api/v1/merchant/shops/"+sh.ID+"/logo", body)
	r.Host = "localhost"
	r.Header.Set("Content-Type", mw.FormDataContentType())
	for k, v := range owner.cookies {
		r.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden && w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("20 MB logo: %d, want 403 or 413: %s", w.Code, w.Body)
	}
	if body.n > 4<<20 {
		t.Errorf("the server read %d bytes of a body limited to 3 MiB", body.n)
	}
}
