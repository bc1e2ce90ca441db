package pluginhost

import "github.com/jishi-dev/jishi/core/i18n"

func init() {
	i18n.Add(i18n.ZH, map[string]string{
		"plugin.unavailable":           "插件 %s 暂不可用，请稍后再试",
		"plugin.not_found":             "没有名为 %s 的插件",
		"plugin.not_quarantined":       "插件 %s 未被隔离，无需重新启动",
		"plugin.host_stopped":          "插件服务已停止，不能启动插件 %s",
		"plugin.bad_schema":            "插件 %s 的设置说明有误，暂不能保存设置",
		"plugin.config.invalid":        "插件 %s 的设置有误，请检查标出的字段",
		"plugin.config.not_json":       "设置必须是 JSON 对象",
		"plugin.config.type":           "类型不对，应为 %s",
		"plugin.config.min":            "不能小于 %s",
		"plugin.config.max":            "不能大于 %s",
		"plugin.config.min_length":     "至少 %d 个字符",
		"plugin.config.max_length":     "最多 %d 个字符",
		"plugin.config.enum":           "不是可选的值",
		"plugin.config.unknown":        "没有这个设置项",
		"plugin.config.invalid_value":  "取值无效",
		"plugin.dead_letter_not_found": "没有这条失败记录",
		"plugin.dead_letter_retried":   "这条失败记录已重新投递过",
		"plugin.dead_letter_not_event": "只有事件可以重新投递",
		"plugin.route_unavailable":     "插件 %s 暂不可用，请稍后再试",
	})
	i18n.Add(i18n.EN, map[string]string{
		"plugin.unavailable":           "Plugin %s is unavailable; try again shortly",
		"plugin.not_found":             "There is no plugin named %s",
		"plugin.not_quarantined":       "Plugin %s is not quarantined; there is nothing to restart",
		"plugin.host_stopped":          "The plugin host has stopped; plugin %s cannot be started",
		"plugin.bad_schema":            "Plugin %s declares a broken settings schema; settings cannot be saved",
		"plugin.config.invalid":        "The settings of plugin %s are not valid; see the marked fields",
		"plugin.config.not_json":       "Settings must be a JSON object",
		"plugin.config.type":           "Wrong type; expected %s",
		"plugin.config.min":            "Must be at least %s",
		"plugin.config.max":            "Must be at most %s",
		"plugin.config.min_length":     "At least %d characters",
		"plugin.config.max_length":     "At most %d characters",
		"plugin.config.enum":           "Not one of the allowed values",
		"plugin.config.unknown":        "There is no such setting",
		"plugin.config.invalid_value":  "Invalid value",
		"plugin.dead_letter_not_found": "There is no such failed delivery",
		"plugin.dead_letter_retried":   "This failed delivery was retried already",
		"plugin.dead_letter_not_event": "Only events can be delivered again",
		"plugin.route_unavailable":     "Plugin %s is unavailable; try again shortly",
	})
}
