package checkout

import (
	"strconv"

	"github.com/jishi-dev/jishi/core/i18n"
)

func init() {
	i18n.Add(i18n.ZH, map[string]string{
		"checkout.error.cart_empty":          "购物车是空的",
		"checkout.error.changed":             "订单金额已变化：您确认的是 %s 元，现在是 %s 元，请重新确认",
		"checkout.error.key_reused":          "该请求编号已用于另一笔订单",
		"checkout.error.out_of_stock":        "有商品库存不足，未能下单",
		"checkout.field.too_many_lines":      "每次最多结算 100 种商品",
		"checkout.field.qty":                 "数量须为 1 到 999 之间的整数",
		"checkout.field.repeated_sku":        "同一规格只能出现一次",
		"checkout.field.too_many_attributes": "每行最多 8 个附加属性",
		"checkout.field.bad_attribute":       "附加属性格式不正确",
		"checkout.field.plugin_unavailable":  "该商品的活动暂时无法确认，请稍后再试",
		"checkout.field.plugin_not_here":     "该活动在此店铺不可用",
		"checkout.error.plugin_unavailable":  "活动服务（%s）暂时不可用，请稍后再试",
		"checkout.field.too_many_coupons":    "每次最多使用 5 张优惠券",
		"checkout.field.unknown_region":      "请选择本市集的一个区域",
		"checkout.field.unknown_sku":         "没有这个商品",
		"checkout.field.not_selling":         "该商品已下架或店铺暂停营业",
		"checkout.field.over_limit":          "超过该商品的限购数量",
		"checkout.field.out_of_stock":        "库存不足",
		"checkout.field.shop_not_in_cart":    "这家店没有要结算的商品",
		"checkout.field.delivery_required":   "请为这家店选择配送方式",
		"checkout.field.key_required":        "下单请求须带 Idempotency-Key",
		"checkout.field.key_too_long":        "Idempotency-Key 最长 100 个字符",
		"checkout.field.unknown_provider":    "不支持这种支付方式",
		"checkout.field.total_changed":       "金额已变化，请重新确认",
	})
	i18n.Add(i18n.EN, map[string]string{
		"checkout.error.cart_empty":          "Your cart is empty",
		"checkout.error.changed":             "The total changed: you confirmed %s yuan, it is now %s yuan; please confirm again",
		"checkout.error.key_reused":          "This request key was already used for another order",
		"checkout.error.out_of_stock":        "Something ran out of stock; nothing was ordered",
		"checkout.field.too_many_lines":      "At most 100 items per checkout",
		"checkout.field.qty":                 "Quantity must be a whole number from 1 to 999",
		"checkout.field.repeated_sku":        "Each variant may appear once",
		"checkout.field.too_many_attributes": "A line takes at most 8 attributes",
		"checkout.field.bad_attribute":       "A line attribute is malformed",
		"checkout.field.plugin_unavailable":  "The offer on this item cannot be confirmed right now; try again shortly",
		"checkout.field.plugin_not_here":     "This offer is not available at this shop",
		"checkout.error.plugin_unavailable":  "The %s service is unavailable right now; try again shortly",
		"checkout.field.too_many_coupons":    "At most 5 coupons per checkout",
		"checkout.field.unknown_region":      "Choose one of this marketplace's regions",
		"checkout.field.unknown_sku":         "No such product",
		"checkout.field.not_selling":         "This product is no longer sold, or its shop is closed",
		"checkout.field.over_limit":          "More than this product's purchase limit",
		"checkout.field.out_of_stock":        "Not enough in stock",
		"checkout.field.shop_not_in_cart":    "Nothing from this shop is being bought",
		"checkout.field.delivery_required":   "Choose a delivery method for this shop",
		"checkout.field.key_required":        "Placing an order needs an Idempotency-Key",
		"checkout.field.key_too_long":        "The Idempotency-Key is at most 100 characters",
		"checkout.field.unknown_provider":    "This payment method is not offered",
		"checkout.field.total_changed":       "The total changed; please confirm again",
	})
}

func itoa(i int) string { return strconv.Itoa(i) }

// yuan formats fen as yuan with two decimals.
func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return sign + strconv.FormatInt(fen/100, 10) + "." + strconv.FormatInt(fen%100/10, 10) + strconv.FormatInt(fen%10, 10)
}
