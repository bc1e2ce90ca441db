package identity

import (
	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/i18n"
)

// The errors of the identity context. Sign-in failures deliberately say
// nothing about which of login and password was wrong, or whether the
// account exists.
var (
	errLoginFailed  = core.Errorf(core.Unauthenticated, "identity.error.login_failed")
	errLocked       = core.Errorf(core.TooManyRequests, "identity.error.locked")
	errTooMany      = core.Errorf(core.TooManyRequests, "identity.error.too_many")
	errBadToken     = core.Errorf(core.Unauthenticated, "identity.error.bad_token")
	errNotSignedIn  = core.Errorf(core.Unauthenticated, "error.unauthenticated")
	errNotFound     = core.Errorf(core.NotFound, "error.not_found")
	errResetInvalid = &core.Error{Code: core.Invalid, Message: "identity.error.reset_invalid",
		Fields: map[string]string{"token": "identity.field.reset_token_invalid"}}
)

func init() {
	i18n.Add(i18n.ZH, map[string]string{
		"identity.error.login_failed":        "账号或密码错误",
		"identity.error.locked":              "登录失败次数过多，请 5 分钟后再试",
		"identity.error.too_many":            "操作过于频繁，请 10 分钟后再试",
		"identity.error.bad_token":           "访问令牌无效或已撤销",
		"identity.error.reset_invalid":       "重置链接无效、已使用或已过期，请重新申请",
		"identity.field.email_or_phone":      "请填写手机号或电子邮箱（至少一项）",
		"identity.field.email_taken":         "该电子邮箱已注册",
		"identity.field.phone_taken":         "该手机号已注册",
		"identity.field.password_too_short":  "密码至少需要 8 个字符",
		"identity.field.password_too_long":   "密码最多 128 个字符",
		"identity.field.reset_token_invalid": "链接无效或已过期",
		"identity.mail.reset_subject":        "重置您的密码",
		"identity.mail.reset_body":           "您好 %s：\n\n我们收到了重置您账户密码的请求。请在 1 小时内打开下面的链接设置新密码（链接只能使用一次）：\n\n%s\n\n如果这不是您本人的操作，请忽略本邮件，您的密码不会改变。\n",
	})
	i18n.Add(i18n.EN, map[string]string{
		"identity.error.login_failed":        "Wrong login or password",
		"identity.error.locked":              "Too many failed sign-ins; please try again in 5 minutes",
		"identity.error.too_many":            "Too many attempts; please try again in 10 minutes",
		"identity.error.bad_token":           "The access token is invalid or has been revoked",
		"identity.error.reset_invalid":       "This reset link is invalid, used or expired; please request a new one",
		"identity.field.email_or_phone":      "Enter a mobile number or an e-mail address (at least one)",
		"identity.field.email_taken":         "This e-mail address is already registered",
		"identity.field.phone_taken":         "This mobile number is already registered",
		"identity.field.password_too_short":  "The password needs at least 8 characters",
		"identity.field.password_too_long":   "The password may have at most 128 characters",
		"identity.field.reset_token_invalid": "Invalid or expired link",
		"identity.mail.reset_subject":        "Reset your password",
		"identity.mail.reset_body":           "Hello %s,\n\nWe received a request to reset the password of your account. Open the link below within one hour to choose a new one (it works once):\n\n%s\n\nIf you did not ask for this, ignore this e-mail; your password stays as it is.\n",
	})
}
