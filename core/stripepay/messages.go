package stripepay

import "github.com/jishi-dev/jishi/core/i18n"

func init() {
	i18n.Add(i18n.ZH, map[string]string{
		"stripe.error.refused":         "Stripe 拒绝了请求：%s",
		"stripe.error.unavailable":     "暂时无法连接 Stripe，请稍后再试",
		"stripe.error.not_configured":  "本市场尚未开通 Stripe 支付",
		"stripe.error.signature":       "Webhook 签名无效或已过期",
		"stripe.error.no_account":      "该店铺尚未完成 Stripe 收款账户开通",
		"stripe.field.topup_range":     "充值金额须在 1 元到 5000 元之间",
		"stripe.field.secret_key":      "密钥格式不对（应以 sk_test_、sk_live_、rk_test_ 或 rk_live_ 开头）",
		"stripe.field.publishable_key": "可公开密钥格式不对（应以 pk_test_ 或 pk_live_ 开头）",
		"stripe.field.webhook_secret":  "Webhook 签名密钥格式不对（应以 whsec_ 开头）",
		"stripe.field.methods":         "请至少选择一种支付方式：银行卡、支付宝、微信支付",
		"stripe.method.card":           "银行卡",
		"stripe.method.alipay":         "支付宝",
		"stripe.method.wechat_pay":     "微信支付",
	})
	i18n.Add(i18n.EN, map[string]string{
		"stripe.error.refused":         "Stripe refused the request: %s",
		"stripe.error.unavailable":     "Stripe cannot be reached right now; try again later",
		"stripe.error.not_configured":  "This marketplace does not take payments through Stripe",
		"stripe.error.signature":       "The webhook signature is invalid or too old",
		"stripe.error.no_account":      "The shop has not finished setting up its Stripe payout account",
		"stripe.field.topup_range":     "Top up between 1 and 5,000 yuan",
		"stripe.field.secret_key":      "A secret key starts with sk_test_, sk_live_, rk_test_ or rk_live_",
		"stripe.field.publishable_key": "A publishable key starts with pk_test_ or pk_live_",
		"stripe.field.webhook_secret":  "A webhook signing secret starts with whsec_",
		"stripe.field.methods":         "Choose at least one of card, Alipay and WeChat Pay",
		"stripe.method.card":           "Card",
		"stripe.method.alipay":         "Alipay",
		"stripe.method.wechat_pay":     "WeChat Pay",
	})
}
