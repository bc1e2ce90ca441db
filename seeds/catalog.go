package seeds

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// catalogProduct is one generated demo product of a shop.
type catalogProduct struct {
	Shop     string
	Supplier bool
	Category string // category code
	Input    catalog.ProductInput
}

// catalogProducts expands the tables of catalog_data.go into the demo
// products of tenant slug: every item in every grade of its shop, with 1
// to 3 SKUs. Costs shrink with size (5 % for the second size, 10 % for
// the third); retail prices are cost × 3.2 to 3.7 ending in .90, list
// prices 20 % above rounded up to the yuan. Every 25th product is a
// draft.
func catalogProducts(slug string) []catalogProduct {
	var out []catalogProduct
	for _, sc := range catalogSeeds {
		if sc.Tenant != slug {
			continue
		}
		n := 0
		for _, g := range sc.Grades {
			for _, it := range sc.Items {
				n++
				in := catalog.ProductInput{
					Name: g.Prefix + it.Name + g.Suffix, Status: catalog.ProductActive, Origin: it.Origin,
					Certifications: append(append([]string{}, it.Certs...), g.Certs...), Attributes: sc.Attributes,
					Description: it.Name + "，产自" + it.Origin + "，供销社严选，产地直供。",
				}
				if len(out)%25 == 24 {
					in.Status = catalog.ProductDraft
				}
				skus := 1 + (n % 3)
				for i, sp := range sc.Specs[:skus] {
					cost := it.CostFen * g.CostPct / 100
					if sp.Grams > 0 {
						cost = cost * int64(sp.Grams) / 500
					} else {
						cost *= []int64{1, 3, 10}[i]
					}
					cost = cost * int64(100-5*i) / 100
					price := retail(cost, int64(32+(n+i)%6))
					list := (price*12/10 + 99) / 100 * 100
					in.SKUs = append(in.SKUs, catalog.SKUInput{
						Code: sc.CodePrefix + "-" + fmt.Sprintf("%03d", n) + "-" + strconv.Itoa(i+1), Spec: sp.Label,
						PriceFen: price, ListPriceFen: list, CostFen: cost, WeightG: sp.Grams,
						Barcode:       fmt.Sprintf("69%05d%04d%02d", len(sc.CodePrefix)*1000+int(sc.CodePrefix[0]), n, i+1),
						PurchaseLimit: []int{0, 0, 5}[i],
					})
				}
				out = append(out, catalogProduct{Shop: sc.Shop, Supplier: sc.Supplier, Category: it.Category, Input: in})
			}
		}
	}
	return out
}

// retail is cost × tenths / 10, ending in .90 when that stays within the
// suggested range (cost × 3 to 4), else rounded to the 10 fen.
func retail(cost, tenths int64) int64 {
	p := cost * tenths / 10
	lo, hi := catalog.SuggestedPrice(cost)
	if q := p/100*100 + 90; q >= lo && q <= hi {
		return q
	}
	if q := p / 10 * 10; q >= lo {
		return q
	}
	return lo
}

// Demo supplier of the flagship store: a small farm selling through it.
const (
	supplierEmail = "supplier@changsha-coop.local"
	supplierName  = "天心散养鸡场 孙大姐"
)

// seededProduct is a demo product as the catalog stored it.
type seededProduct struct {
	Seed    catalogProduct
	Product *catalog.Product
}

// loadCatalog loads tenant t's demo products through the catalog
// service, as each shop's owner (the tenant admin for the flagship
// store), and returns them. Supplier items get a demo supplier who
// applied to sell through the flagship store and was approved.
func loadCatalog(ctx context.Context, a *app.App, t *tenants.Tenant, ts tenantSeed, users map[string]*identity.User) ([]seededProduct, error) {
	products := catalogProducts(ts.Slug)
	if len(products) == 0 {
		return nil, nil
	}
	cats := map[string]string{}
	err := a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		tree, err := catalog.Tree(ctx, tx)
		for _, c := range tree {
			cats[c.Code] = c.ID
			for _, k := range c.Children {
				cats[k.Code] = k.ID
			}
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("categories: %w", err)
	}
	admin := principal(t, users[ts.user("tenant_admin").Email])
	owners := map[string]*identity.Principal{}
	shops := map[string]string{}
	for _, ss := range ts.Shops {
		sh, err := a.Merchants.ShopBySlug(ctx, ss.Slug)
		if err != nil {
			return nil, fmt.Errorf("shop %s: %w", ss.Slug, err)
		}
		shops[ss.Slug], owners[ss.Slug] = sh.ID, principal(t, users[ss.Owner])
	}
	flagship, err := a.Merchants.FlagshipShop(ctx)
	if err != nil {
		return nil, fmt.Errorf("flagship store: %w", err)
	}
	shops[merchant.FlagshipSlug], owners[merchant.FlagshipSlug] = flagship.ID, admin
	supplierID := ""
	var out []seededProduct
	for _, p := range products {
		if p.Input.CategoryID = cats[p.Category]; p.Input.CategoryID == "" {
			return nil, fmt.Errorf("product %s: no category %s", p.Input.Name, p.Category)
		}
		if p.Supplier && supplierID == "" {
			if supplierID, err = flagshipSupplier(ctx, a, t, admin); err != nil {
				return nil, err
			}
		}
		if p.Supplier {
			p.Input.SupplierID = supplierID
		}
		pr, err := a.Catalog.Create(ctx, owners[p.Shop], shops[p.Shop], p.Input)
		if err != nil {
			return nil, fmt.Errorf("product %s of %s: %w", p.Input.Name, p.Shop, err)
		}
		if pr, err = a.Catalog.AddImage(ctx, owners[p.Shop], pr.ID, "image/png", productImage(p.Category, p.Input.Name)); err != nil {
			return nil, fmt.Errorf("image of %s: %w", p.Input.Name, err)
		}
		out = append(out, seededProduct{Seed: p, Product: pr})
	}
	return out, nil
}

// flagshipSupplier creates the demo supplier's account, has it apply to
// sell through the flagship store, approves it and returns its user id.
func flagshipSupplier(ctx context.Context, a *app.App, t *tenants.Tenant, admin *identity.Principal) (string, error) {
	var u *identity.User
	var region string
	err := a.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		u, err = a.Identity.CreateUser(ctx, tx, identity.UserInput{Email: supplierEmail, Phone: "13800000011", Name: supplierName, Password: DemoPassword})
		if err != nil {
			return err
		}
		rs, err := tenants.Regions(ctx, tx)
		if err == nil && len(rs) > 0 && len(rs[0].Children) > 0 {
			region = rs[0].Children[0].ID
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("supplier account: %w", err)
	}
	ap, err := a.Merchants.Apply(ctx, principal(t, u), merchant.ApplicationInput{
		ShopName: "天心散养鸡场", ContactName: "孙大姐", ContactPhone: "13800000011", ContactEmail: supplierEmail,
		LicenceNo: "92430103MA4R7PQR8T", MainCategories: []string{"fresh"}, RegionID: region, ExpectedProducts: 6, ViaFlagship: true,
	})
	if err != nil {
		return "", fmt.Errorf("supplier application: %w", err)
	}
	if _, err := a.Merchants.Approve(ctx, admin, ap.ID); err != nil {
		return "", fmt.Errorf("approve supplier: %w", err)
	}
	return u.ID, nil
}
