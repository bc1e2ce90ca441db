package authz

import "github.com/jishi-dev/jishi/core/i18n"

// RoleKey returns the i18n key of role's display name ("role.tenant_admin").
func RoleKey(role string) string { return "role." + role }

func init() {
	i18n.Add(i18n.ZH, map[string]string{
		"role.platform_admin":  "平台管理员",
		"role.tenant_admin":    "市场管理员",
		"role.region_manager":  "区域经理",
		"role.merchant_owner":  "店主",
		"role.merchant_staff":  "店员",
		"role.pickup_operator": "自提点操作员",
		"role.shopper":         "顾客",
	})
	i18n.Add(i18n.EN, map[string]string{
		"role.platform_admin":  "Platform administrator",
		"role.tenant_admin":    "Marketplace administrator",
		"role.region_manager":  "Region manager",
		"role.merchant_owner":  "Shop owner",
		"role.merchant_staff":  "Shop staff",
		"role.pickup_operator": "Pickup point operator",
		"role.shopper":         "Shopper",
	})
}
