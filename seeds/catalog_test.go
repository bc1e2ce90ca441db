package seeds

import (
	"testing"

	"github.com/jishi-dev/jishi/core/catalog"
)

// TestCatalogTables: the generated catalogue has at least 200 products in
// changsha-coop and some in zhuzhou-coop, 1–3 SKUs each, unique names and
// codes per shop, and the products the demo story names.
func TestCatalogTables(t *testing.T) {
	cs, zz := catalogProducts("changsha-coop"), catalogProducts("zhuzhou-coop")
	if len(cs) < 200 || len(zz) < 20 {
		t.Fatalf("%d products in changsha-coop, %d in zhuzhou-coop", len(cs), len(zz))
	}
	names, codes := map[string]bool{}, map[string]bool{}
	perShop := map[string]int{}
	for _, p := range append(cs, zz...) {
		perShop[p.Shop]++
		if n := len(p.Input.SKUs); n < 1 || n > 3 {
			t.Errorf("%s: %d SKUs", p.Input.Name, n)
		}
		if names[p.Shop+"/"+p.Input.Name] {
			t.Errorf("%s: name twice in %s", p.Input.Name, p.Shop)
		}
		names[p.Shop+"/"+p.Input.Name] = true
		for _, k := range p.Input.SKUs {
			if codes[p.Shop+"/"+k.Code] {
				t.Errorf("%s: code %s twice", p.Input.Name, k.Code)
			}
			codes[p.Shop+"/"+k.Code] = true
			if lo, hi := catalog.SuggestedPrice(k.CostFen); k.PriceFen < lo || k.PriceFen > hi || k.ListPriceFen < k.PriceFen {
				t.Errorf("%s %s: price %d, list %d for cost %d", p.Input.Name, k.Spec, k.PriceFen, k.ListPriceFen, k.CostFen)
			}
		}
	}
	for _, n := range []string{"草莓", "有机草莓", "草莓干", "炎陵黄桃", "麻阳冰糖橙"} {
		if !names["xiangguo-fruit/"+n] {
			t.Errorf("xiangguo-fruit lacks %s", n)
		}
	}
	for _, shop := range []string{"yuelu-veg", "wangcheng-rice", "xiangguo-fruit", "xiangcha-honey", "flagship", "yanling-peach", "zhuzhou-grain"} {
		if perShop[shop] < 10 {
			t.Errorf("%s: %d products", shop, perShop[shop])
		}
	}
}
