package cart

import "github.com/jishi-dev/jishi/core/i18n"

func init() {
	i18n.Add(i18n.ZH, map[string]string{
		"cart.error.full":               "购物车最多放 %d 种商品，请先结算或删除一些",
		"cart.error.not_sold":           "该商品已不再销售，只能从购物车删除",
		"cart.field.qty_range":          "数量须为 1 到 999 之间的整数",
		"cart.field.line_max":           "每种商品最多 %d 件（购物车里已有 %d 件）",
		"cart.field.purchase_limit":     "该商品每单限购 %d 件",
		"cart.field.purchase_limit_had": "该商品每单限购 %d 件（购物车里已有 %d 件）",
		"cart.field.sku_invalid":        "找不到这个规格",
		"cart.field.sku_not_sold":       "该商品已下架或店铺暂停营业，不能购买",
		"cart.field.region_invalid":     "请选择本市集的一个区域",
		"cart.note.price_up":            "价格上涨：从 ¥%s 涨到 ¥%s",
		"cart.note.price_down":          "价格下降：从 ¥%s 降到 ¥%s",
		"cart.note.out_of_stock":        "现已售罄",
		"cart.note.short":               "库存不足，仅剩 %d 件",
		"cart.note.over_limit":          "该商品现在每单限购 %d 件，请减少数量",
		"cart.note.unavailable":         "该商品已不再销售",
		"cart.note.back_in_stock":       "已恢复供应",
	})
	i18n.Add(i18n.EN, map[string]string{
		"cart.error.full":               "A cart holds at most %d different items; check out or remove some first",
		"cart.error.not_sold":           "This item is no longer sold; it can only be removed from the cart",
		"cart.field.qty_range":          "Enter a whole number from 1 to 999",
		"cart.field.line_max":           "At most %d of one item (the cart holds %d)",
		"cart.field.purchase_limit":     "Limited to %d per order",
		"cart.field.purchase_limit_had": "Limited to %d per order (the cart holds %d)",
		"cart.field.sku_invalid":        "No such SKU",
		"cart.field.sku_not_sold":       "This item is not on sale, or its shop is closed",
		"cart.field.region_invalid":     "Choose a region of this marketplace",
		"cart.note.price_up":            "Price went up from ¥%s to ¥%s",
		"cart.note.price_down":          "Price went down from ¥%s to ¥%s",
		"cart.note.out_of_stock":        "Now out of stock",
		"cart.note.short":               "Only %d left",
		"cart.note.over_limit":          "Now limited to %d per order; lower the quantity",
		"cart.note.unavailable":         "No longer sold",
		"cart.note.back_in_stock":       "Available again",
	})
}
