package groupbuy_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/plugins/groupbuy/migrations"
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk/sdktest"
)

// BenchmarkAdjustCart prices a three-line cart — one line joining an open
// group, two plain lines — through gRPC in-process on SQLite, among 50
// campaigns and 50 open groups.
func BenchmarkAdjustCart(b *testing.B) {
	e := newEnv(b, sdktest.Store(b, migrations.FS))
	var camp, gid string
	for i := range 50 {
		camp = e.createCampaign(b, campaignSpec{GroupSize: 5, Limit: 10, Quota: 400})
		e.buy(b, fmt.Sprint("o-", i), "leader", 1790, attrs(camp, "", ""))
		gid = e.groupOf(b, fmt.Sprint("o-", i))
	}
	plain := func(id, sku string) *pluginv1.CartLine {
		return &pluginv1.CartLine{LineId: id, ShopId: shopID, ProductId: "p-" + sku, SkuId: sku, Quantity: 1, UnitPriceFen: 1000, SubtotalFen: 1000}
	}
	req := &pluginv1.AdjustCartRequest{Tenant: shop("{}", 1), CustomerId: "amy", Currency: "CNY", Lines: []*pluginv1.CartLine{
		line("join", 1, attrs(camp, gid, "leader")), plain("a", "sku-a"), plain("b", "sku-b"),
	}}
	ctx := context.Background()
	if r, err := e.c.AdjustCart(ctx, req); err != nil || len(r.GetErrors()) != 0 || len(r.GetHolds()) != 1 {
		b.Fatalf("AdjustCart = %v, %v", r, err)
	}
	b.Run("cart", func(b *testing.B) {
		b.ReportAllocs()
		var took []time.Duration
		for b.Loop() {
			start := time.Now()
			if _, err := e.c.AdjustCart(ctx, req); err != nil {
				b.Fatal(err)
			}
			took = append(took, time.Since(start))
		}
		slices.Sort(took)
		b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
	})
	// The same gRPC round trip without reading the database: a slot call
	// with no product. The cart's own cost is the difference.
	b.Run("round-trip", func(b *testing.B) {
		slot := &pluginv1.SlotContentRequest{Tenant: shop("{}", 1), Slot: "product.badge"}
		for b.Loop() {
			if _, err := e.c.SlotContent(ctx, slot); err != nil {
				b.Fatal(err)
			}
		}
	})
}
