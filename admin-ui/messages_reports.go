package adminui

import "github.com/jishi-dev/jishi/core/i18n"

// The messages of the report pages (the tables' and columns' labels are
// core/report's).
func init() {
	i18n.Add(i18n.ZH, map[string]string{
		"ui.reports.title":       "经营报表",
		"ui.reports.shop_title":  "对账报表",
		"ui.reports.from":        "开始日期",
		"ui.reports.to":          "结束日期",
		"ui.reports.group":       "汇总方式",
		"ui.reports.group_day":   "按日",
		"ui.reports.group_month": "按月",
		"ui.reports.show":        "查看",
		"ui.reports.period_note": "%s 至 %s（含），按 %s 时区计日；金额单位：元（%s）",
		"ui.reports.csv":         "导出 CSV",
		"ui.reports.none":        "这段时间没有记录",
		"ui.reports.owed_total":  "应付各店铺合计",
		"ui.reports.owed_chart":  "应结余额最多的店铺",
		"ui.reports.opening":     "期初应结余额",
	})
	i18n.Add(i18n.EN, map[string]string{
		"ui.reports.title":       "Reports",
		"ui.reports.shop_title":  "Statement",
		"ui.reports.from":        "From",
		"ui.reports.to":          "To",
		"ui.reports.group":       "Group by",
		"ui.reports.group_day":   "Day",
		"ui.reports.group_month": "Month",
		"ui.reports.show":        "Show",
		"ui.reports.period_note": "%s to %s inclusive, days in %s; amounts in yuan (%s)",
		"ui.reports.csv":         "Export CSV",
		"ui.reports.none":        "Nothing in this period",
		"ui.reports.owed_total":  "Owed to shops",
		"ui.reports.owed_chart":  "Shops the platform owes most",
		"ui.reports.opening":     "Payable at start",
	})
}
