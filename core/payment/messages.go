package payment

import "github.com/jishi-dev/jishi/core/i18n"

func init() {
	i18n.Add(i18n.ZH, map[string]string{
		"payment.error.insufficient_balance": "余额不足",
		"payment.error.refund_exceeds":       "退款金额超过了该订单的实付金额",
		"payment.error.state":                "该付款当前状态不允许此操作",
		"payment.error.not_due":              "该订单没有待收的货款",
		"payment.field.provider_unknown":     "不支持该支付方式",
		"payment.field.declined":             "支付未获通过",
		"payment.error.declined":             "支付未获通过，请换一种支付方式",
		"payment.field.parts_count":          "每笔付款包含 1 到 100 个订单",
		"payment.field.duplicate_order":      "订单重复",
		"payment.field.amount_range":         "金额须为 0 到 1 亿元之间的整数（分）",
		"payment.field.amount_zero":          "付款总额须大于零",
		"payment.field.refund_range":         "退款金额须为大于零的整数（分）",
		"payment.field.credit_range":         "金额须为 1 分到 100 万元之间的整数（分）",
		"payment.field.card_count":           "每批发卡 1 到 1000 张",
		"payment.field.card_amount":          "每张卡面额须在 1 分到 5000 元之间",
		"payment.field.card_expired":         "有效期须晚于现在",
		"payment.field.card_unknown":         "卡密无效、已使用或已过期",
		"payment.error.batch_issued":         "这一批卡已经发过了",
		"payment.error.redeem_blocked":       "输错卡密次数过多，请一小时后再试",
	})
	i18n.Add(i18n.EN, map[string]string{
		"payment.error.insufficient_balance": "Insufficient balance",
		"payment.error.refund_exceeds":       "The refund exceeds what was paid for this order",
		"payment.error.state":                "The payment's status does not allow this",
		"payment.error.not_due":              "Nothing is due for this order",
		"payment.field.provider_unknown":     "This payment method is not available",
		"payment.field.declined":             "The payment was declined",
		"payment.error.declined":             "The payment was declined; choose another way to pay",
		"payment.field.parts_count":          "A payment covers 1 to 100 orders",
		"payment.field.duplicate_order":      "This order appears twice",
		"payment.field.amount_range":         "Enter a whole number of fen from 0 to 10,000,000,000",
		"payment.field.amount_zero":          "The payment's total must be above zero",
		"payment.field.refund_range":         "Enter a refund of at least 1 fen",
		"payment.field.credit_range":         "Enter a whole number of fen from 1 to 100,000,000",
		"payment.field.card_count":           "Issue 1 to 1,000 cards at a time",
		"payment.field.card_amount":          "A card holds 1 fen to 5,000 yuan",
		"payment.field.card_expired":         "The expiry must be in the future",
		"payment.field.card_unknown":         "This code is not valid, was used already or has expired",
		"payment.error.batch_issued":         "This batch of cards was issued already",
		"payment.error.redeem_blocked":       "Too many wrong codes; try again in an hour",
	})
}
