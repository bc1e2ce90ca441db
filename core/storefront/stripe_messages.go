package storefront

import "github.com/jishi-dev/jishi/core/i18n"

func init() {
	i18n.Add(i18n.ZH, map[string]string{
		"sf.provider.stripe":        "在线支付",
		"sf.list_sep":               "、",
		"sf.stripe.pay_title":       "完成支付",
		"sf.stripe.pay":             "支付",
		"sf.stripe.processing":      "支付处理中，到账后订单会自动更新为已付款。",
		"sf.stripe.unavailable":     "支付组件未能加载，请检查网络后刷新页面。",
		"sf.balance.redeem":         "充值卡充值",
		"sf.balance.code":           "卡密",
		"sf.balance.code_hint":      "16 位卡密，大小写、空格和横线均可",
		"sf.balance.redeem_submit":  "充值到余额",
		"sf.balance.flash.redeemed": "充值成功，余额已到账",
		"sf.balance.topup":          "在线充值",
		"sf.balance.amount":         "充值金额（元）",
		"sf.balance.amount_hint":    "1 元到 5000 元",
		"sf.balance.topup_submit":   "去支付",
		"sf.balance.topup_pay":      "支付充值",
	})
	i18n.Add(i18n.EN, map[string]string{
		"sf.provider.stripe":        "Pay online",
		"sf.list_sep":               ", ",
		"sf.stripe.pay_title":       "Complete your payment",
		"sf.stripe.pay":             "Pay",
		"sf.stripe.processing":      "Your payment is being processed; the orders show as paid once it arrives.",
		"sf.stripe.unavailable":     "The payment form could not load; check your connection and reload the page.",
		"sf.balance.redeem":         "Redeem a stored-value card",
		"sf.balance.code":           "Card code",
		"sf.balance.code_hint":      "16 characters; case, spaces and dashes do not matter",
		"sf.balance.redeem_submit":  "Add to my balance",
		"sf.balance.flash.redeemed": "Done: the card's value is on your balance",
		"sf.balance.topup":          "Top up online",
		"sf.balance.amount":         "Amount (yuan)",
		"sf.balance.amount_hint":    "1 to 5,000 yuan",
		"sf.balance.topup_submit":   "Continue to payment",
		"sf.balance.topup_pay":      "Pay the top-up",
	})
}
