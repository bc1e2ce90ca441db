package promo_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/promo"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// env is one tenant with its admin, a shop with its owner and a product
// with two SKUs: A at 10.00 (list 10.00) and B at 20.00 (list 25.00).
type env struct {
	t         *testing.T
	d         *db.DB
	ctx       context.Context
	tenant    *tenants.Tenant
	identity  *identity.Service
	authz     *authz.Enforcer
	merchants *merchant.Service
	catalog   *catalog.Service
	svc       *promo.Service
	admin     *identity.Principal
	owner     *identity.Principal
	shop      *merchant.Shop
	product   string
	skuA      string
	skuB      string
	region    string
}

// services builds the services of the promo tests on d (without core/app,
// so the test needs nothing else of the shopping core).
type services struct {
	identity  *identity.Service
	authz     *authz.Enforcer
	merchants *merchant.Service
	catalog   *catalog.Service
	prov      *tenants.Provisioner
}

func newServices(t *testing.T, d *db.DB) *services {
	t.Helper()
	s := &services{identity: identity.New(identity.Config{DB: d, Mailer: &identity.OutboxMailer{DB: d}, FastHashing: true})}
	var err error
	if s.authz, err = authz.New(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	s.merchants = merchant.New(merchant.Deps{DB: d, Authz: s.authz, Identity: s.identity, Storage: merchant.NewLocalStorage(t.TempDir())})
	s.catalog = catalog.New(catalog.Deps{DB: d, Authz: s.authz, Merchants: s.merchants})
	s.prov = &tenants.Provisioner{BaseDomain: "localhost"}
	s.prov.AddStep("flagship", s.merchants.ProvisionFlagship)
	s.prov.AddStep("categories", func(ctx context.Context, tx bun.IDB, _ *tenants.Tenant, _ tenants.CreateInput) error {
		return catalog.CreateTree(ctx, tx, nil, catalog.DefaultTree)
	})
	return s
}

func newEnv(t *testing.T, d *db.DB, s *services) *env {
	t.Helper()
	ctx := context.Background()
	slug := "pm-" + strings.ReplaceAll(tenants.NewID()[24:], "-", "")
	tn, err := s.prov.Create(ctx, d, tenants.CreateInput{Slug: slug, Name: "网上供销社"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, d: d, ctx: tenants.WithTenant(ctx, tn), tenant: tn, identity: s.identity, authz: s.authz,
		merchants: s.merchants, catalog: s.catalog, svc: promo.New(promo.Deps{DB: d, Authz: s.authz, Merchants: s.merchants})}
	var vegetables string
	err = d.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) error {
		city, err := tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "changsha", Name: "长沙市"})
		if err != nil {
			return err
		}
		r, err := tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "yuelu", Name: "岳麓区", ParentID: city.ID})
		if err != nil {
			return err
		}
		e.region = r.ID
		tree, err := catalog.Tree(ctx, tx)
		for _, c := range tree {
			for _, k := range c.Children {
				if k.Code == "vegetables" {
					vegetables = k.ID
				}
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.admin = e.user("admin", authz.TenantAdmin, authz.TenantDomain(tn.ID))
	e.shop, e.owner = e.openShop("veg")
	pr, err := s.catalog.Create(e.ctx, e.owner, e.shop.ID, catalog.ProductInput{
		CategoryID: vegetables, Name: "小白菜", Status: catalog.ProductActive,
		SKUs: []catalog.SKUInput{{Code: "A", Spec: "500g", PriceFen: 1000}, {Code: "B", Spec: "1kg", PriceFen: 2000, ListPriceFen: 2500}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.product, e.skuA, e.skuB = pr.ID, pr.SKUs[0].ID, pr.SKUs[1].ID
	return e
}

func (e *env) user(name, role, domain string) *identity.Principal {
	e.t.Helper()
	email := name + "-" + tenants.NewID()[24:] + "@example.com"
	var u *identity.User
	err := e.d.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		u, err = e.identity.CreateUser(ctx, tx, identity.UserInput{Email: email, Name: name, Password: "correct horse battery"})
		if err != nil || role == "" {
			return err
		}
		return e.authz.Assign(ctx, tx, u.ID, role, domain)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return &identity.Principal{Kind: identity.KindTenant, UserID: u.ID, TenantID: e.tenant.ID, Name: name, Email: email}
}

func (e *env) openShop(slug string) (*merchant.Shop, *identity.Principal) {
	e.t.Helper()
	owner := e.user(slug+"-owner", "", "")
	ap, err := e.merchants.Apply(e.ctx, owner, merchant.ApplicationInput{
		ShopName: "岳麓山农家菜园 " + slug, Slug: slug, ContactName: "王芳", ContactPhone: "13800138000",
		LicenceNo: "91430104MA4L1234X5", MainCategories: []string{"fresh"}, RegionID: e.region, ExpectedProducts: 50,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if ap, err = e.merchants.Approve(e.ctx, e.admin, ap.ID); err != nil {
		e.t.Fatal(err)
	}
	sh, err := e.merchants.ShopByID(e.ctx, *ap.ShopID)
	if err != nil {
		e.t.Fatal(err)
	}
	return sh, owner
}

// window is an RFC 3339 window from now+from to now+to.
func window(from, to time.Duration) promo.Window {
	now := time.Now()
	return promo.Window{StartsAt: now.Add(from).Format(time.RFC3339), EndsAt: now.Add(to).Format(time.RFC3339)}
}

var running = window(-time.Hour, 24*time.Hour)

// must returns v, or fails the test (by panicking, which fails it with
// the stack) when err is not nil.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func (e *env) lines(qtyA, qtyB int) []promo.Line {
	var out []promo.Line
	if qtyA > 0 {
		out = append(out, promo.Line{Key: "a", ShopID: e.shop.ID, ProductID: e.product, SKUID: e.skuA, Qty: qtyA, UnitFen: 1000, ListFen: 1000})
	}
	if qtyB > 0 {
		out = append(out, promo.Line{Key: "b", ShopID: e.shop.ID, ProductID: e.product, SKUID: e.skuB, Qty: qtyB, UnitFen: 2000, ListFen: 2500})
	}
	return out
}

func (e *env) price(b promo.Basket) (*promo.Result, error) {
	var r *promo.Result
	err := e.d.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		r, err = e.svc.Price(ctx, tx, b)
		return err
	})
	return r, err
}

// checkout prices b and redeems it for owner in one transaction.
func (e *env) checkout(b promo.Basket, owner string) (*promo.Result, error) {
	var r *promo.Result
	err := e.d.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		if r, err = e.svc.Price(ctx, tx, b); err != nil {
			return err
		}
		return e.svc.Redeem(ctx, tx, r, b.UserID, owner)
	})
	return r, err
}

func fieldErr(t *testing.T, err error, code core.Code, field, contains string) {
	t.Helper()
	var e *core.Error
	// Fields hold message keys, or messages already rendered where they
	// carry amounts; the edge translates the keys as i18n.T does here.
	if !errors.As(err, &e) || e.Code != code || e.Fields[field] == "" || !strings.Contains(i18n.T(i18n.ZH, e.Fields[field]), contains) {
		t.Fatalf("want %s on %q containing %q, got %v", code, field, contains, err)
	}
}

func TestPriceRedeemUnredeem(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, newServices(t, d))
		vip := e.user("vip", "", "")
		agent := e.user("agent", "", "")
		gv := must(e.svc.CreateGroup(e.ctx, e.admin, promo.GroupInput{Name: "会员", Kind: promo.GroupVIP}))
		gw := must(e.svc.CreateGroup(e.ctx, e.admin, promo.GroupInput{Name: "授权代理", Kind: promo.GroupWholesale}))
		must(e.svc.AddMember(e.ctx, e.admin, gv.ID, promo.MemberInput{UserID: vip.UserID}))
		must(e.svc.AddMember(e.ctx, e.admin, gw.ID, promo.MemberInput{Login: strings.ToUpper(agent.Email)}))
		must(e.svc.CreatePriceList(e.ctx, e.owner, e.shop.ID, promo.PriceListInput{GroupID: gv.ID, Name: "会员价",
			Entries: []promo.PriceEntryInput{{SKUID: e.skuA, PriceFen: 900}}}))
		must(e.svc.CreatePriceList(e.ctx, e.owner, e.shop.ID, promo.PriceListInput{GroupID: gw.ID, Name: "批发价",
			Entries: []promo.PriceEntryInput{{SKUID: e.skuA, MinQty: 10, PriceFen: 900}, {SKUID: e.skuA, MinQty: 50, PriceFen: 850}}}))
		fl := must(e.svc.CreateFlashSale(e.ctx, e.owner, e.shop.ID, promo.FlashSaleInput{SKUID: e.skuB, Name: "限时特卖",
			Window: running, PriceFen: 1800, QtyCap: 5}))
		must(e.svc.CreatePromotion(e.ctx, e.owner, e.shop.ID, promo.PromotionInput{Kind: promo.KindThreshold, Name: "满100减10",
			Window: running, Tiers: []promo.Tier{{MinFen: 10000, OffFen: 1000}, {MinFen: 20000, OffFen: 2500}}}))
		cp := must(e.svc.CreateCoupon(e.ctx, e.owner, e.shop.ID, promo.CouponInput{Code: "Veg-10", Name: "满50减5",
			Window: running, MinSpendFen: 5000, AmountOffFen: 500, TotalLimit: 1}))

		// Display prices: each shopper sees what applies to them.
		q := []promo.PriceQuery{{SKUID: e.skuA, Qty: 1, PriceFen: 1000, ListFen: 1000}, {SKUID: e.skuB, Qty: 1, PriceFen: 2000, ListFen: 2500}}
		for _, c := range []struct {
			who          string
			qtyA         int
			a, b         int64
			labelA, lblB string
		}{
			{"", 1, 1000, 1800, "", "flash"},
			{vip.UserID, 1, 900, 1800, "member", "flash"},
			{agent.UserID, 1, 1000, 1800, "", "flash"},
			{agent.UserID, 10, 900, 1800, "tier", "flash"},
			{agent.UserID, 60, 850, 1800, "tier", "flash"},
		} {
			q[0].Qty = c.qtyA
			var ps map[string]promo.Price
			err := d.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
				ps, err = e.svc.Prices(ctx, tx, c.who, q)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if ps[e.skuA].UnitFen != c.a || ps[e.skuA].Label != c.labelA || ps[e.skuB].UnitFen != c.b || ps[e.skuB].Label != c.lblB {
				t.Errorf("%s ×%d: %+v", c.who, c.qtyA, ps)
			}
		}

		// The VIP buys 10 A (member 9.00) and 2 B (flash 18.00): 126.00,
		// 满100减10, coupon 5 off: 111.00.
		b := promo.Basket{UserID: vip.UserID, Lines: e.lines(10, 2), Coupons: []string{"  veg-10 "}}
		r, err := e.checkout(b, "group-1")
		if err != nil {
			t.Fatal(err)
		}
		if r.SubtotalFen != 12600 || r.DiscountFen != 1500 || r.TotalFen != 11100 || len(r.CouponIDs) != 1 || r.Lines[1].FlashSaleID != fl.ID {
			t.Fatalf("result %+v", r)
		}
		got := must(e.svc.Coupon(e.ctx, e.owner, e.shop.ID, cp.ID))
		fs := must(e.svc.FlashSale(e.ctx, e.owner, e.shop.ID, fl.ID))
		if got.UsedCount != 1 || fs.Sold != 2 {
			t.Fatalf("after redeem: used %d, sold %d", got.UsedCount, fs.Sold)
		}
		// The total limit cannot fall below the uses.
		cin := promo.CouponInput{Code: "Veg-10", Name: "满50减5", Window: running, MinSpendFen: 5000, AmountOffFen: 500, TotalLimit: 1}
		cin.TotalLimit = 0
		if got = must(e.svc.UpdateCoupon(e.ctx, e.owner, e.shop.ID, cp.ID, cin)); got.UsedCount != 1 || got.TotalLimit != 0 {
			t.Fatalf("updated coupon %+v", got)
		}
		cin.TotalLimit = 1
		must(e.svc.UpdateCoupon(e.ctx, e.owner, e.shop.ID, cp.ID, cin))
		fs2 := promo.FlashSaleInput{SKUID: e.skuB, Name: "限时特卖", Window: running, PriceFen: 1800, QtyCap: 1}
		_, err = e.svc.UpdateFlashSale(e.ctx, e.owner, e.shop.ID, fl.ID, fs2)
		fieldErr(t, err, core.Invalid, "qty_cap", "2")
		// The coupon is used up now; flash units left: 3.
		_, err = e.price(b)
		fieldErr(t, err, core.Invalid, "coupons.0", "")
		_, err = e.price(promo.Basket{UserID: vip.UserID, Lines: e.lines(0, 4)})
		fieldErr(t, err, core.Conflict, "lines.0.qty", "3")

		// The order is cancelled: both come back, once.
		for i := 0; i < 2; i++ {
			if err := d.RunInTx(e.ctx, func(ctx context.Context, tx bun.IDB) error { return e.svc.Unredeem(ctx, tx, "group-1") }); err != nil {
				t.Fatal(err)
			}
			got = must(e.svc.Coupon(e.ctx, e.owner, e.shop.ID, cp.ID))
			fs = must(e.svc.FlashSale(e.ctx, e.owner, e.shop.ID, fl.ID))
			if got.UsedCount != 0 || fs.Sold != 0 {
				t.Fatalf("after unredeem %d: used %d, sold %d", i, got.UsedCount, fs.Sold)
			}
		}
		if _, err := e.price(b); err != nil {
			t.Fatalf("coupon given back: %v", err)
		}
		// A used coupon and a flash sale that sold cannot be deleted.
		if _, err := e.checkout(b, "group-2"); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.DeleteCoupon(e.ctx, e.owner, e.shop.ID, cp.ID); core.ErrorCode(err) != core.Conflict {
			t.Fatalf("delete used coupon: %v", err)
		}
		if err := e.svc.DeleteFlashSale(e.ctx, e.owner, e.shop.ID, fl.ID); core.ErrorCode(err) != core.Conflict {
			t.Fatalf("delete flash sale that sold: %v", err)
		}
	})
}

// TestRedeemRace: checkouts racing for the last use of a coupon, and for
// a flash sale's last units: exactly as many win as the caps allow.
func TestRedeemRace(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, newServices(t, d))
		must(e.svc.CreateCoupon(e.ctx, e.owner, e.shop.ID, promo.CouponInput{Code: "LAST1", Name: "最后一张",
			Window: running, MinSpendFen: 5000, AmountOffFen: 500, TotalLimit: 1}))
		fl := must(e.svc.CreateFlashSale(e.ctx, e.owner, e.shop.ID, promo.FlashSaleInput{SKUID: e.skuB, Name: "秒杀",
			Window: running, PriceFen: 1800, QtyCap: 5}))
		race := func(n int, b func(i int) promo.Basket) (wins int, errs []error) {
			var mu sync.Mutex
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					<-start
					_, err := e.checkout(b(i), fmt.Sprintf("race-%d-%s", i, tenants.NewID()))
					mu.Lock()
					defer mu.Unlock()
					if err == nil {
						wins++
					} else {
						errs = append(errs, err)
					}
				}(i)
			}
			close(start)
			wg.Wait()
			return wins, errs
		}
		wins, errs := race(6, func(int) promo.Basket {
			return promo.Basket{Lines: e.lines(6, 0), Coupons: []string{"last1"}}
		})
		if wins != 1 {
			t.Fatalf("coupon: %d winners, errors %v", wins, errs)
		}
		for _, err := range errs {
			if c := core.ErrorCode(err); c != core.Conflict && c != core.Invalid {
				t.Fatalf("coupon loser: %v", err)
			}
		}
		var used int
		err := d.RunInReadTx(e.ctx, func(ctx context.Context, tx bun.IDB) error {
			return tx.NewSelect().Table("coupons").Column("used_count").Where("tenant_id = ? AND code_key = 'LAST1'", e.tenant.ID).Scan(ctx, &used)
		})
		if err != nil || used != 1 {
			t.Fatalf("used_count %d, %v", used, err)
		}

		// Flash: 5 units, six checkouts of 2 each: two win, sold is 4.
		wins, errs = race(6, func(int) promo.Basket { return promo.Basket{Lines: e.lines(0, 2)} })
		if wins != 2 {
			t.Fatalf("flash: %d winners, errors %v", wins, errs)
		}
		for _, err := range errs {
			fieldErr(t, err, core.Conflict, "lines.0.qty", "1")
		}
		if fs := must(e.svc.FlashSale(e.ctx, e.owner, e.shop.ID, fl.ID)); fs.Sold != 4 {
			t.Fatalf("sold %d", fs.Sold)
		}
	})
}

func TestCouponReasons(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		s := newServices(t, d)
		e, other := newEnv(t, d, s), newEnv(t, d, s)
		buyer, buyer2 := e.user("buyer", "", ""), e.user("buyer2", "", "")
		mk := func(env *env, shop string, in promo.CouponInput) {
			t.Helper()
			in.Name = "券"
			if in.AmountOffFen == 0 {
				in.AmountOffFen = 500
			}
			if in.MinSpendFen == 0 {
				in.MinSpendFen = 5000
			}
			p := env.owner
			if shop == "" {
				p = env.admin
			}
			must(env.svc.CreateCoupon(env.ctx, p, shop, in))
		}
		mk(e, e.shop.ID, promo.CouponInput{Code: "OLD", Window: window(-48*time.Hour, -time.Hour)})
		mk(e, e.shop.ID, promo.CouponInput{Code: "SOON", Window: window(time.Hour, 48*time.Hour)})
		mk(e, e.shop.ID, promo.CouponInput{Code: "BIG", Window: running, MinSpendFen: 20000, AmountOffFen: 1000})
		off := false
		mk(e, e.shop.ID, promo.CouponInput{Code: "OFF", Window: running, Active: &off})
		mk(e, e.shop.ID, promo.CouponInput{Code: "ONCE", Window: running, PerUserLimit: 1})
		mk(e, "", promo.CouponInput{Code: "PLAT", Window: running, TotalLimit: 1})
		mk(other, other.shop.ID, promo.CouponInput{Code: "THEIRS", Window: running})

		basket := func(user string, codes ...string) promo.Basket {
			return promo.Basket{UserID: user, Lines: e.lines(10, 0), Coupons: codes}
		}
		for _, c := range []struct{ code, contains string }{
			{"NOPE", "没有"}, {"THEIRS", "没有"}, {"OLD", "过期"}, {"SOON", "起可用"}, {"OFF", "停用"},
			{"big", "还差 100.00 元"},
		} {
			_, err := e.price(basket(buyer.UserID, c.code))
			fieldErr(t, err, core.Invalid, "coupons.0", c.contains)
		}
		// Per-user limit: the buyer used ONCE; buyer2 may still.
		if _, err := e.checkout(basket(buyer.UserID, "once"), "o-1"); err != nil {
			t.Fatal(err)
		}
		_, err := e.price(basket(buyer.UserID, "ONCE"))
		fieldErr(t, err, core.Invalid, "coupons.0", "上限")
		if _, err := e.price(basket(buyer2.UserID, "ONCE")); err != nil {
			t.Fatal(err)
		}
		// Total limit of a platform coupon, funded by the platform.
		r, err := e.checkout(basket(buyer.UserID, "plat"), "o-2")
		if err != nil {
			t.Fatal(err)
		}
		if a := r.Lines[0].Allocations; len(a) != 1 || a[0].FundedBy != promo.FundedByPlatform || a[0].AmountFen != 500 {
			t.Fatalf("platform coupon allocations %+v", a)
		}
		_, err = e.price(basket(buyer2.UserID, "PLAT"))
		fieldErr(t, err, core.Invalid, "coupons.0", "领完")
		// Two shop coupons of one shop; the same code twice.
		mk(e, e.shop.ID, promo.CouponInput{Code: "TWO", Window: running})
		_, err = e.price(basket(buyer2.UserID, "ONCE", "TWO"))
		fieldErr(t, err, core.Invalid, "coupons.1", "")
		_, err = e.price(basket(buyer2.UserID, "ONCE", "once"))
		fieldErr(t, err, core.Invalid, "coupons.1", "")
	})
}

func TestManageRejectsBadInput(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		s := newServices(t, d)
		e, other := newEnv(t, d, s), newEnv(t, d, s)
		gv := must(e.svc.CreateGroup(e.ctx, e.admin, promo.GroupInput{Name: "会员", Kind: promo.GroupVIP}))
		sh := e.shop.ID

		// The discount floor (70% of list) on every kind, naming the bound in yuan.
		_, err := e.svc.CreateFlashSale(e.ctx, e.owner, sh, promo.FlashSaleInput{SKUID: e.skuB, Name: "x", Window: running, PriceFen: 1700, QtyCap: 5})
		fieldErr(t, err, core.Invalid, "price_fen", "17.50")
		_, err = e.svc.CreatePromotion(e.ctx, e.owner, sh, promo.PromotionInput{Kind: promo.KindThreshold, Name: "x", Window: running,
			Tiers: []promo.Tier{{MinFen: 10000, OffFen: 1000}, {MinFen: 20000, OffFen: 7000}}})
		fieldErr(t, err, core.Invalid, "tiers.1.off_fen", "60.00")
		_, err = e.svc.CreateCoupon(e.ctx, e.owner, sh, promo.CouponInput{Code: "TOO-MUCH", Name: "x", Window: running, MinSpendFen: 5000, AmountOffFen: 2000})
		fieldErr(t, err, core.Invalid, "amount_off_fen", "15.00")
		_, err = e.svc.CreateCoupon(e.ctx, e.owner, sh, promo.CouponInput{Code: "HALF", Name: "x", Window: running, PercentOff: 50})
		fieldErr(t, err, core.Invalid, "percent_off", "30%")
		_, err = e.svc.CreatePriceList(e.ctx, e.owner, sh, promo.PriceListInput{GroupID: gv.ID, Name: "x",
			Entries: []promo.PriceEntryInput{{SKUID: e.skuA, PriceFen: 600}}})
		fieldErr(t, err, core.Invalid, "entries.0.price_fen", "7.00")
		// Tier prices are for wholesale groups; SKUs of other shops are unknown.
		_, err = e.svc.CreatePriceList(e.ctx, e.owner, sh, promo.PriceListInput{GroupID: gv.ID, Name: "x",
			Entries: []promo.PriceEntryInput{{SKUID: e.skuA, MinQty: 10, PriceFen: 900}, {SKUID: other.skuA, PriceFen: 900}}})
		fieldErr(t, err, core.Invalid, "entries.0.min_qty", "")
		fieldErr(t, err, core.Invalid, "entries.1.sku_id", "")
		// Windows, amounts.
		_, err = e.svc.CreatePromotion(e.ctx, e.owner, sh, promo.PromotionInput{Kind: promo.KindThreshold, Name: "x",
			Window: window(time.Hour, -time.Hour), Tiers: []promo.Tier{{MinFen: -1, OffFen: 0}}})
		fieldErr(t, err, core.Invalid, "ends_at", "")
		fieldErr(t, err, core.Invalid, "tiers.0.min_fen", "")
		fieldErr(t, err, core.Invalid, "tiers.0.off_fen", "")
		_, err = e.svc.CreateCoupon(e.ctx, e.owner, sh, promo.CouponInput{Code: "x", Name: "", Window: promo.Window{StartsAt: "tomorrow"},
			MinSpendFen: promo.MaxFen + 1, AmountOffFen: 100, TotalLimit: -1})
		for _, f := range []string{"code", "name", "starts_at", "ends_at", "min_spend_fen", "total_limit"} {
			fieldErr(t, err, core.Invalid, f, "")
		}
		_, err = e.svc.CreateFlashSale(e.ctx, e.owner, sh, promo.FlashSaleInput{SKUID: e.skuB, Name: "x", Window: running, PriceFen: 2000, QtyCap: 0})
		fieldErr(t, err, core.Invalid, "price_fen", "20.00")
		fieldErr(t, err, core.Invalid, "qty_cap", "")
		// Nothing was written.
		pg := merchant.Page{}
		if ps := must(e.svc.Promotions(e.ctx, e.owner, sh, pg)); len(ps) != 0 {
			t.Fatalf("promotions written: %+v", ps)
		}
		if cs := must(e.svc.Coupons(e.ctx, e.owner, sh, pg)); len(cs) != 0 {
			t.Fatalf("coupons written: %+v", cs)
		}
		if fs := must(e.svc.FlashSales(e.ctx, e.owner, sh, pg)); len(fs) != 0 {
			t.Fatalf("flash sales written: %+v", fs)
		}
		if ls := must(e.svc.PriceLists(e.ctx, e.owner, sh, pg)); len(ls) != 0 {
			t.Fatalf("price lists written: %+v", ls)
		}

		// Inside a big-promotion window the floor does not bind.
		big := *e.tenant
		big.Settings.BigPromotions = []tenants.PromoWindow{{Name: "双11", Start: time.Now().Add(-2 * time.Hour), End: time.Now().Add(48 * time.Hour)}}
		bctx := tenants.WithTenant(context.Background(), &big)
		must(e.svc.CreateFlashSale(bctx, e.owner, sh, promo.FlashSaleInput{SKUID: e.skuB, Name: "双11", Window: running, PriceFen: 1000, QtyCap: 5}))

		// Another tenant's and another shop's ids do not exist.
		o2 := other.owner
		if _, err := e.svc.Promotions(e.ctx, o2, sh, pg); core.ErrorCode(err) != core.Unauthenticated && !core.IsNotFound(err) {
			t.Fatalf("another tenant's owner: %v", err)
		}
		next, nextOwner := e.openShop("next")
		fs := must(e.svc.FlashSales(e.ctx, e.owner, sh, pg))[0]
		if _, err := e.svc.FlashSale(e.ctx, nextOwner, next.ID, fs.ID); !core.IsNotFound(err) {
			t.Fatalf("another shop's flash sale: %v", err)
		}
		if _, err := e.svc.FlashSales(e.ctx, nextOwner, sh, pg); !core.IsNotFound(err) {
			t.Fatalf("another shop's list: %v", err)
		}
		if _, err := e.svc.Group(other.ctx, other.admin, gv.ID); !core.IsNotFound(err) {
			t.Fatalf("another tenant's group: %v", err)
		}
	})
}
