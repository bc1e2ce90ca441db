package pluginhost

import "github.com/jishi-dev/jishi/core/i18n"

func init() {
	i18n.Add(i18n.ZH, map[string]string{
		"plugin.unavailable":     "插件 %s 暂不可用，请稍后再试",
		"plugin.not_found":       "没有名为 %s 的插件",
		"plugin.not_quarantined": "插件 %s 未被隔离，无需重新启动",
		"plugin.host_stopped":    "插件服务已停止，不能启动插件 %s",
	})
	i18n.Add(i18n.EN, map[string]string{
		"plugin.unavailable":     "Plugin %s is unavailable; try again shortly",
		"plugin.not_found":       "There is no plugin named %s",
		"plugin.not_quarantined": "Plugin %s is not quarantined; there is nothing to restart",
		"plugin.host_stopped":    "The plugin host has stopped; plugin %s cannot be started",
	})
}
