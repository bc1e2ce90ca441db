package billing

import "github.com/jishi-dev/jishi/core/i18n"

func init() {
	i18n.Add(i18n.ZH, map[string]string{
		"billing.error.already_posted":    "该订单的付款已经记账",
		"billing.error.order_not_posted":  "该订单没有付款记录",
		"billing.error.refund_exceeds":    "退款金额超过了实付金额",
		"billing.error.concurrent_change": "该订单正在另一笔退款中处理，请重试",
		"billing.field.user_required":     "余额支付须指明顾客",
		"billing.field.lines_count":       "分录行数不对",
		"billing.field.account_invalid":   "不是科目表中的账户",
		"billing.field.posting_amount":    "金额须为非零整数（分）",
		"billing.field.unbalanced":        "借贷不平：各行合计须为零",
		"billing.field.duplicate_line":    "订单行重复",
		"billing.field.amount_range":      "金额须为 0 到 100000000 元之间的整数（分）",
		"billing.field.amount_positive":   "金额须为大于零的整数（分），最多 1 亿元",
		"billing.field.discount_range":    "平台补贴不能为负，也不能超过该行金额",
		"billing.field.funded_by":         "出资方只能是店铺或平台",
		"billing.field.refund_range":      "退款金额须为大于零的整数（分）",
		"billing.field.refund_empty":      "请至少退一行商品或运费",
		"billing.field.unknown_line":      "该订单没有这一行",
		"billing.field.rate_range":        "佣金比例须为 0 到 10000 之间的整数（万分之）",
		"billing.field.integer":           "请输入整数",
	})
	i18n.Add(i18n.EN, map[string]string{
		"billing.error.already_posted":    "This order's payment is already in the ledger",
		"billing.error.order_not_posted":  "This order has no payment in the ledger",
		"billing.error.refund_exceeds":    "The refund exceeds what was paid",
		"billing.error.concurrent_change": "Another refund of this order is in progress; try again",
		"billing.field.user_required":     "A balance payment needs the shopper",
		"billing.field.lines_count":       "Wrong number of lines",
		"billing.field.account_invalid":   "Not an account of the chart of accounts",
		"billing.field.posting_amount":    "Enter a non-zero whole number of fen",
		"billing.field.unbalanced":        "Debits and credits do not balance: the lines must sum to zero",
		"billing.field.duplicate_line":    "This order line appears twice",
		"billing.field.amount_range":      "Enter a whole number of fen from 0 to 10,000,000,000",
		"billing.field.amount_positive":   "Enter a whole number of fen from 1 to 10,000,000,000",
		"billing.field.discount_range":    "The platform discount cannot be negative or exceed the line",
		"billing.field.funded_by":         "Funded by must be shop or platform",
		"billing.field.refund_range":      "Enter a refund of at least 1 fen",
		"billing.field.refund_empty":      "Refund at least one line or the shipping",
		"billing.field.unknown_line":      "The order has no such line",
		"billing.field.rate_range":        "Enter a rate from 0 to 10000 basis points",
		"billing.field.integer":           "Enter a whole number",
	})
}
