package merchant

import "github.com/jishi-dev/jishi/core/i18n"

// Category is a top-level product category a merchant names as its main
// business when applying. The catalog context builds the full tree below
// these codes.
type Category struct {
	Code   string `json:"code"`
	Name   string `json:"name"`    // zh-CN
	NameEN string `json:"name_en"` // en
}

// MainCategories are the top-level categories of the co-op marketplace
// (the seed's 生鲜食材, 粮油干货, 新鲜水果, 名优特产, 套餐卡券), in display
// order.
var MainCategories = []Category{
	{Code: "fresh", Name: "生鲜食材", NameEN: "Fresh food"},
	{Code: "grain-oil", Name: "粮油干货", NameEN: "Grain, oil & dry goods"},
	{Code: "fruit", Name: "新鲜水果", NameEN: "Fresh fruit"},
	{Code: "specialty", Name: "名优特产", NameEN: "Regional specialties"},
	{Code: "cards", Name: "套餐卡券", NameEN: "Bundles & cards"},
}

// IsMainCategory reports whether code names one of MainCategories.
func IsMainCategory(code string) bool {
	for _, c := range MainCategories {
		if c.Code == code {
			return true
		}
	}
	return false
}

// CategoryName returns the name of the main category code in locale, or
// code itself when it is unknown.
func CategoryName(locale, code string) string {
	if !IsMainCategory(code) {
		return code
	}
	return i18n.T(locale, "merchant.category."+code)
}

func init() {
	zh, en := map[string]string{}, map[string]string{}
	for _, c := range MainCategories {
		zh["merchant.category."+c.Code] = c.Name
		en["merchant.category."+c.Code] = c.NameEN
	}
	i18n.Add(i18n.ZH, zh)
	i18n.Add(i18n.EN, en)
}
