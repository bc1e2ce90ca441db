package groupbuy

import (
	"strconv"
	"strings"
	"unicode/utf8"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
)

// messages holds the plugin's texts in zh-CN and en.
var messages = sdk.Messages{
	// Settings.
	"groupbuy.config.invalid":                       {"zh-CN": "设置不是有效的 JSON 对象", "en": "Settings are not a valid JSON object"},
	"groupbuy.included_campaigns_per_month.range":   {"zh-CN": "每月赠送场次须在 0 到 100 之间", "en": "Included campaigns per month must be between 0 and 100"},
	"groupbuy.invite_rebate_fen.min":                {"zh-CN": "返利金额不能为负数", "en": "The rebate cannot be negative"},
	"groupbuy.invite_rebate_min_spend_fen.min":      {"zh-CN": "使用门槛不能为负数", "en": "The minimum spend cannot be negative"},
	"groupbuy.invite_rebate_fen.below_min_spend":    {"zh-CN": "返利金额须低于使用门槛 ¥{min_spend}", "en": "The rebate must be below the minimum spend of ¥{min_spend}"},
	"groupbuy.campaign.monthly_limit":               {"zh-CN": "本月赠送的 {included} 场拼团已用完", "en": "This month's {included} included campaigns are used up"},
	"groupbuy.input.invalid":                        {"zh-CN": "请求内容无法读取", "en": "The request could not be read"},
	"groupbuy.title.required":                       {"zh-CN": "请填写活动标题", "en": "Title is required"},
	"groupbuy.title.max":                            {"zh-CN": "活动标题不能超过 {max} 个字", "en": "Title cannot be longer than {max} characters"},
	"groupbuy.product_id.required":                  {"zh-CN": "请填写商品编号", "en": "Product is required"},
	"groupbuy.sku_id.required":                      {"zh-CN": "请填写规格编号", "en": "SKU is required"},
	"groupbuy.sku_id.not_found":                     {"zh-CN": "本店没有这个商品规格", "en": "This shop has no such SKU"},
	"groupbuy.group_size.range":                     {"zh-CN": "成团人数须在 {min} 到 {max} 人之间", "en": "Group size must be between {min} and {max}"},
	"groupbuy.group_price_fen.min":                  {"zh-CN": "拼团价须大于 0", "en": "Group price must be above zero"},
	"groupbuy.group_price_fen.below_regular":        {"zh-CN": "拼团价须低于原价 ¥{regular}", "en": "Group price must be below the regular price of ¥{regular}"},
	"groupbuy.leader_price_fen.min":                 {"zh-CN": "团长价须大于 0", "en": "Leader price must be above zero"},
	"groupbuy.leader_price_fen.max":                 {"zh-CN": "团长价不能高于拼团价", "en": "Leader price cannot be above the group price"},
	"groupbuy.starts_at.required":                   {"zh-CN": "请填写开始时间", "en": "Start time is required"},
	"groupbuy.ends_at.required":                     {"zh-CN": "请填写结束时间", "en": "End time is required"},
	"groupbuy.ends_at.after_start":                  {"zh-CN": "结束时间须晚于开始时间", "en": "End time must be after the start time"},
	"groupbuy.fill_hours.range":                     {"zh-CN": "成团时限须在 {min} 到 {max} 小时之间", "en": "Time to fill must be between {min} and {max} hours"},
	"groupbuy.per_shopper_limit.min":                {"zh-CN": "每人限购至少 1 件", "en": "The per-shopper limit must be at least 1"},
	"groupbuy.quota.min":                            {"zh-CN": "活动限量至少 1 件", "en": "The quota must be at least 1"},
	"groupbuy.quota.stock":                          {"zh-CN": "活动限量不能超过可售库存 {stock} 件", "en": "The quota cannot exceed the {stock} units in stock"},
	"groupbuy.virtual_success_pct.range":            {"zh-CN": "模拟成团比例须在 0 到 100 之间", "en": "Virtual success must be between 0 and 100 percent"},
	"groupbuy.number.invalid":                       {"zh-CN": "请填写整数", "en": "Enter a whole number"},
	"groupbuy.price.invalid":                        {"zh-CN": "请填写金额，最多两位小数", "en": "Enter an amount with at most two decimals"},
	"groupbuy.time.invalid":                         {"zh-CN": "时间格式不正确", "en": "Enter a valid date and time"},
	"groupbuy.campaign.state":                       {"zh-CN": "活动当前状态不允许此操作", "en": "The campaign's state does not allow this"},
	"groupbuy.adjustment.group_price":               {"zh-CN": "拼团价", "en": "Group price"},
	"groupbuy.adjustment.leader_price":              {"zh-CN": "团长价", "en": "Group leader price"},
	"groupbuy.adjustment.invite_rebate":             {"zh-CN": "拼团邀请返利 ¥{amount}", "en": "Group-buy invite rebate ¥{amount}"},
	"groupbuy.hold.reason":                          {"zh-CN": "拼团中，成团后发货", "en": "Waiting for the group to fill; ships once it does"},
	"groupbuy.cancel.expired":                       {"zh-CN": "拼团未在时限内成团，订单已取消并退款", "en": "The group did not fill in time; the order is cancelled and refunded"},
	"groupbuy.cancel.unpaid":                        {"zh-CN": "团长未付款，拼团已取消", "en": "The group leader did not pay; the group is cancelled"},
	"groupbuy.cancel.closed":                        {"zh-CN": "该团已结束，订单已取消", "en": "The group has closed; the order is cancelled"},
	"groupbuy.cart.guest":                           {"zh-CN": "请先登录再参加拼团", "en": "Sign in to buy in a group"},
	"groupbuy.cart.campaign_unavailable":            {"zh-CN": "该拼团活动不存在或已下架", "en": "This group buy does not exist or has been withdrawn"},
	"groupbuy.cart.not_started":                     {"zh-CN": "该拼团活动尚未开始", "en": "This group buy has not started yet"},
	"groupbuy.cart.ended":                           {"zh-CN": "该拼团活动已结束", "en": "This group buy has ended"},
	"groupbuy.cart.sku_mismatch":                    {"zh-CN": "该商品规格不参加此拼团", "en": "This SKU is not part of the group buy"},
	"groupbuy.cart.duplicate":                       {"zh-CN": "同一拼团只能加入一行", "en": "A group buy can be in only one line of the cart"},
	"groupbuy.cart.group_unavailable":               {"zh-CN": "该团已结束，请另开一团", "en": "This group is no longer open; start a new one"},
	"groupbuy.cart.group_full":                      {"zh-CN": "该团已满员，请另开一团", "en": "This group is full; start a new one"},
	"groupbuy.cart.already_joined":                  {"zh-CN": "您已在该团中", "en": "You are already in this group"},
	"groupbuy.cart.limit":                           {"zh-CN": "每人限购 {limit} 件", "en": "Limit {limit} per shopper"},
	"groupbuy.cart.sold_out":                        {"zh-CN": "拼团名额已抢光", "en": "This group buy is sold out"},
	"groupbuy.cart.quota":                           {"zh-CN": "拼团仅剩 {left} 件", "en": "Only {left} left at the group price"},
	"groupbuy.cart.solo_not_allowed":                {"zh-CN": "该商品仅限拼团购买", "en": "This product is only sold in groups"},
	"groupbuy.badge":                                {"zh-CN": "{size}人团", "en": "{size}-person group"},
	"groupbuy.price.title":                          {"zh-CN": "拼团价", "en": "Group price"},
	"groupbuy.email.rebate.subject":                 {"zh-CN": "您邀请的好友拼团成功，返利券已到账", "en": "Your friend's group filled: here is your rebate"},
	"groupbuy.email.rebate.text":                    {"zh-CN": "感谢您邀请好友参加拼团！您获得一张 ¥{amount} 的返利券（券码 {code}），在本店消费满 ¥{min_spend} 时结账自动抵扣。", "en": "Thanks for inviting a friend to the group buy! You have a ¥{amount} rebate (code {code}), taken off automatically at checkout on orders of ¥{min_spend} or more in this shop."},
	"groupbuy.status.pending_approval":              {"zh-CN": "待审核", "en": "Awaiting approval"},
	"groupbuy.status.active":                        {"zh-CN": "进行中", "en": "Active"},
	"groupbuy.status.paused":                        {"zh-CN": "已暂停", "en": "Paused"},
	"groupbuy.status.rejected":                      {"zh-CN": "未通过", "en": "Rejected"},
	"groupbuy.status.ended":                         {"zh-CN": "已结束", "en": "Ended"},
	"groupbuy.status.pending":                       {"zh-CN": "待团长付款", "en": "Waiting for the leader to pay"},
	"groupbuy.status.open":                          {"zh-CN": "拼团中", "en": "Open"},
	"groupbuy.status.succeeded":                     {"zh-CN": "已成团", "en": "Filled"},
	"groupbuy.status.failed":                        {"zh-CN": "未成团", "en": "Did not fill"},
	"groupbuy.status.cancelled":                     {"zh-CN": "已取消", "en": "Cancelled"},
	"groupbuy.member.pending":                       {"zh-CN": "待付款", "en": "Not paid"},
	"groupbuy.member.paid":                          {"zh-CN": "已付款", "en": "Paid"},
	"groupbuy.member.left":                          {"zh-CN": "已退出", "en": "Left"},
	"groupbuy.member.refunded":                      {"zh-CN": "已退款", "en": "Refunded"},
	"groupbuy.role.leader":                          {"zh-CN": "团长", "en": "Leader"},
	"groupbuy.role.member":                          {"zh-CN": "团员", "en": "Member"},
	"groupbuy.page.today":                           {"zh-CN": "今日拼团", "en": "Today's group buys"},
	"groupbuy.page.today.empty":                     {"zh-CN": "今天暂无拼团，明天再来看看吧。", "en": "No group buys today; come back tomorrow."},
	"groupbuy.page.daily_special":                   {"zh-CN": "每日特价", "en": "Daily special"},
	"groupbuy.page.weekly_deal":                     {"zh-CN": "每周超低价", "en": "Weekly super deal"},
	"groupbuy.page.group_price":                     {"zh-CN": "拼团价", "en": "Group price"},
	"groupbuy.page.leader_price":                    {"zh-CN": "团长价", "en": "Leader price"},
	"groupbuy.page.regular_price":                   {"zh-CN": "单买价", "en": "Regular price"},
	"groupbuy.page.size":                            {"zh-CN": "{size}人成团，{hours}小时内有效", "en": "{size} people, {hours} hours to fill"},
	"groupbuy.page.ends":                            {"zh-CN": "活动截止", "en": "Ends"},
	"groupbuy.page.left":                            {"zh-CN": "剩余 {left} 件", "en": "{left} left"},
	"groupbuy.page.open_group":                      {"zh-CN": "开团", "en": "Start a group"},
	"groupbuy.page.join_group":                      {"zh-CN": "参团", "en": "Join the group"},
	"groupbuy.page.open_groups":                     {"zh-CN": "正在拼团，可直接参与", "en": "Open groups you can join"},
	"groupbuy.page.no_open_groups":                  {"zh-CN": "暂无进行中的团，快来开团吧。", "en": "No open groups yet: start one."},
	"groupbuy.page.need":                            {"zh-CN": "还差 {n} 人", "en": "{n} more needed"},
	"groupbuy.page.progress":                        {"zh-CN": "已拼 {n}/{size} 人", "en": "{n} of {size} joined"},
	"groupbuy.page.remaining":                       {"zh-CN": "剩余 {h} 小时 {m} 分", "en": "{h} h {m} min left"},
	"groupbuy.page.expired":                         {"zh-CN": "已截止", "en": "Time is up"},
	"groupbuy.page.invite":                          {"zh-CN": "邀请好友参团", "en": "Invite friends"},
	"groupbuy.page.invite_hint":                     {"zh-CN": "复制链接发给好友，好友拼团成功后您将获得返利券。", "en": "Send this link to friends; you get a rebate when the group fills."},
	"groupbuy.page.members":                         {"zh-CN": "团员", "en": "Members"},
	"groupbuy.page.group":                           {"zh-CN": "拼团详情", "en": "Group"},
	"groupbuy.page.not_available":                   {"zh-CN": "该拼团暂不可参加", "en": "This group buy cannot be joined now"},
	"groupbuy.page.campaigns":                       {"zh-CN": "拼团活动", "en": "Group-buy campaigns"},
	"groupbuy.page.campaigns.empty":                 {"zh-CN": "还没有拼团活动。", "en": "No campaigns yet."},
	"groupbuy.page.new":                             {"zh-CN": "新建拼团", "en": "New campaign"},
	"groupbuy.page.col.title":                       {"zh-CN": "活动", "en": "Campaign"},
	"groupbuy.page.col.status":                      {"zh-CN": "状态", "en": "Status"},
	"groupbuy.page.col.sold":                        {"zh-CN": "已售/限量", "en": "Sold / quota"},
	"groupbuy.page.col.groups":                      {"zh-CN": "拼团中/成团/未成团", "en": "Open / filled / failed"},
	"groupbuy.page.col.window":                      {"zh-CN": "活动时间", "en": "Window"},
	"groupbuy.page.col.shop":                        {"zh-CN": "店铺", "en": "Shop"},
	"groupbuy.page.col.actions":                     {"zh-CN": "操作", "en": "Actions"},
	"groupbuy.page.col.leader":                      {"zh-CN": "团长", "en": "Leader"},
	"groupbuy.page.col.members":                     {"zh-CN": "团员", "en": "Members"},
	"groupbuy.page.col.expires":                     {"zh-CN": "截止", "en": "Expires"},
	"groupbuy.page.col.order":                       {"zh-CN": "订单", "en": "Order"},
	"groupbuy.page.col.quantity":                    {"zh-CN": "数量", "en": "Qty"},
	"groupbuy.page.col.amount":                      {"zh-CN": "金额", "en": "Amount"},
	"groupbuy.page.pause":                           {"zh-CN": "暂停", "en": "Pause"},
	"groupbuy.page.resume":                          {"zh-CN": "恢复", "en": "Resume"},
	"groupbuy.page.approve":                         {"zh-CN": "通过", "en": "Approve"},
	"groupbuy.page.reject":                          {"zh-CN": "驳回", "en": "Reject"},
	"groupbuy.page.approvals":                       {"zh-CN": "拼团审核", "en": "Campaign approvals"},
	"groupbuy.page.approvals.empty":                 {"zh-CN": "没有待审核的拼团活动。", "en": "No campaigns are waiting for approval."},
	"groupbuy.page.revenue":                         {"zh-CN": "成团金额", "en": "Revenue from filled groups"},
	"groupbuy.page.pending_revenue":                 {"zh-CN": "拼团中金额", "en": "In open groups"},
	"groupbuy.page.results":                         {"zh-CN": "拼团结果", "en": "Results"},
	"groupbuy.page.no_groups":                       {"zh-CN": "还没有人开团。", "en": "Nobody has started a group yet."},
	"groupbuy.page.back":                            {"zh-CN": "返回列表", "en": "Back to the list"},
	"groupbuy.page.save":                            {"zh-CN": "创建活动", "en": "Create campaign"},
	"groupbuy.page.form_errors":                     {"zh-CN": "请修改标出的内容后再提交。", "en": "Please correct the marked fields."},
	"groupbuy.page.monthly":                         {"zh-CN": "本月已创建 {used} 场，赠送 {included} 场", "en": "{used} created this month, {included} included"},
	"groupbuy.field.title":                          {"zh-CN": "活动标题（留空用商品名）", "en": "Title (blank: the product's name)"},
	"groupbuy.field.product_id":                     {"zh-CN": "商品编号", "en": "Product id"},
	"groupbuy.field.sku_id":                         {"zh-CN": "规格编号", "en": "SKU id"},
	"groupbuy.field.group_price":                    {"zh-CN": "拼团价（元）", "en": "Group price (yuan)"},
	"groupbuy.field.leader_price":                   {"zh-CN": "团长价（元，留空同拼团价）", "en": "Leader price (yuan; blank: the group price)"},
	"groupbuy.field.group_size":                     {"zh-CN": "成团人数", "en": "Group size"},
	"groupbuy.field.fill_hours":                     {"zh-CN": "成团时限（小时）", "en": "Hours to fill"},
	"groupbuy.field.starts_at":                      {"zh-CN": "开始时间", "en": "Starts"},
	"groupbuy.field.ends_at":                        {"zh-CN": "结束时间", "en": "Ends"},
	"groupbuy.field.per_shopper_limit":              {"zh-CN": "每人限购", "en": "Limit per shopper"},
	"groupbuy.field.quota":                          {"zh-CN": "活动限量", "en": "Quota"},
	"groupbuy.field.solo_allowed":                   {"zh-CN": "允许单独购买", "en": "May also be bought alone"},
	"groupbuy.field.virtual_success_pct":            {"zh-CN": "模拟成团比例（%，0 为关闭）", "en": "Virtual success (%; 0: off)"},
	"groupbuy.field.daily_special":                  {"zh-CN": "每日特价", "en": "Daily special"},
	"groupbuy.field.weekly_deal":                    {"zh-CN": "每周超低价", "en": "Weekly super deal"},
	"groupbuy.error.not_found":                      {"zh-CN": "没有找到该拼团", "en": "Not found"},
	"groupbuy.error.internal":                       {"zh-CN": "出错了，请稍后再试", "en": "Something went wrong; please try again"},
	"groupbuy.error.shop_required":                  {"zh-CN": "请在店铺后台打开此页面", "en": "Open this page from a shop's console"},
	"groupbuy.error.tenant_required":                {"zh-CN": "请在平台后台打开此页面", "en": "Open this page from the marketplace console"},
	"groupbuy.job.summary":                          {"zh-CN": "成团 {succeeded} 个，未成团 {failed} 个，取消 {cancelled} 个，结束活动 {ended} 个", "en": "{succeeded} groups filled, {failed} failed, {cancelled} cancelled, {ended} campaigns ended"},
	"groupbuy.page.guest_invite":                    {"zh-CN": "登录后可获得专属邀请链接。", "en": "Sign in to get your own invite link."},
	"groupbuy.page.countdown":                       {"zh-CN": "成团倒计时", "en": "Time left"},
	"groupbuy.page.view_group":                      {"zh-CN": "查看", "en": "View"},
	"groupbuy.page.billable":                        {"zh-CN": "计费", "en": "Billed"},
	"groupbuy.page.member_you":                      {"zh-CN": "（你）", "en": " (you)"},
	"groupbuy.page.seats_left":                      {"zh-CN": "空位", "en": "Open seat"},
	"groupbuy.page.created":                         {"zh-CN": "创建时间", "en": "Created"},
	"groupbuy.page.group_status_note.succeeded":     {"zh-CN": "拼团成功，商家将尽快发货。", "en": "The group filled; the shop ships soon."},
	"groupbuy.page.group_status_note.failed":        {"zh-CN": "未能在时限内成团，已付款项将原路退回。", "en": "The group did not fill in time; payments are refunded."},
	"groupbuy.page.group_status_note.cancelled":     {"zh-CN": "该团已取消。", "en": "This group was cancelled."},
	"groupbuy.page.group_status_note.pending":       {"zh-CN": "团长付款后即可参团。", "en": "Others can join once the leader has paid."},
	"groupbuy.page.group_status_note.already":       {"zh-CN": "您已在该团中，邀请好友一起拼吧。", "en": "You are in this group: invite friends to fill it."},
	"groupbuy.page.group_status_note.full":          {"zh-CN": "该团名额已满，等待团员付款。", "en": "The group is full, waiting for members to pay."},
	"groupbuy.page.group_status_note.not_available": {"zh-CN": "活动已暂停或结束，暂不能参团。", "en": "The campaign is paused or over; the group cannot be joined."},
}

// text returns the message of key in locale with name/value pairs
// substituted ("size", "3").
func text(locale, key string, kv ...string) string {
	var params map[string]string
	if len(kv) > 0 {
		params = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			params[kv[i]] = kv[i+1]
		}
	}
	return messages.Text(locale, key, params)
}

// fieldError returns the field error of key in t's locale.
func fieldError(t *sdk.Tenant, field, key string, kv ...string) *pluginv1.FieldError {
	var params map[string]string
	if len(kv) > 0 {
		params = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			params[kv[i]] = kv[i+1]
		}
	}
	return messages.FieldError(t, field, key, params)
}

// yuan formats fen as yuan with two decimals: 1990 → "19.90".
func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return sign + strconv.FormatInt(fen/100, 10) + "." + strconv.FormatInt(fen%100/10, 10) + strconv.FormatInt(fen%10, 10)
}

// parseYuan reads a yuan amount with at most two decimals ("12", "12.8",
// "¥12.80") as fen, without floating point.
func parseYuan(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "¥"), "￥")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || len(whole) > 10 {
		return 0, false
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return 0, false
			}
		}
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	frac = (frac + "00")[:2]
	f, _ := strconv.ParseInt(frac, 10, 64)
	return w*100 + f, true
}

// maskName shows a shopper's nickname to other shoppers: its first
// character and stars ("小明" → "小*", "Alice" → "A****").
func maskName(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return "***"
	}
	r, size := utf8.DecodeRuneInString(name)
	rest := utf8.RuneCountInString(name[size:])
	return string(r) + strings.Repeat("*", max(1, rest))
}
