package search

import "github.com/jishi-dev/jishi/core/i18n"

func init() {
	i18n.Add(i18n.ZH, map[string]string{
		"search.field.query_too_long": "搜索词不能超过 64 个字",
		"search.field.price":          "请输入有效的价格（单位：分）",
		"search.field.price_range":    "最高价不能低于最低价",
		"search.field.sort":           "排序方式只能是综合、销量、价格升序、价格降序或最新",
		"search.field.limit":          "每页条数应在 1 到 200 之间",
		"search.field.offset":         "翻页位置应在 0 到 10000 之间",
	})
	i18n.Add(i18n.EN, map[string]string{
		"search.field.query_too_long": "The search may be at most 64 characters",
		"search.field.price":          "Enter a valid price in fen",
		"search.field.price_range":    "The highest price cannot be below the lowest",
		"search.field.sort":           "Sort by relevance, sales, price_asc, price_desc or newest",
		"search.field.limit":          "Ask for 1 to 200 results per page",
		"search.field.offset":         "The offset must be between 0 and 10000",
	})
}
