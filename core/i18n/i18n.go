// Package i18n holds the message catalogue of Jishi in zh-CN (the default)
// and en. Packages register their own messages with Add, usually in init.
package i18n

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// The supported locales.
const (
	ZH = "zh-CN"
	EN = "en"
)

// Default is the locale used when nothing else is known.
const Default = ZH

var (
	mu      sync.RWMutex
	catalog = map[string]map[string]string{ZH: {}, EN: {}}
)

// Add registers messages for a locale; a later Add overrides a key.
func Add(locale string, msgs map[string]string) {
	mu.Lock()
	defer mu.Unlock()
	m, ok := catalog[locale]
	if !ok {
		m = map[string]string{}
		catalog[locale] = m
	}
	for k, v := range msgs {
		m[k] = v
	}
}

// T translates key into locale, formatting args with fmt.Sprintf when
// given. It falls back to zh-CN, then to the key itself.
func T(locale, key string, args ...any) string {
	mu.RLock()
	s, ok := catalog[Normalize(locale)][key]
	if !ok {
		s, ok = catalog[Default][key]
	}
	mu.RUnlock()
	if !ok {
		s = key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Has reports whether key exists in locale.
func Has(locale, key string) bool {
	mu.RLock()
	defer mu.RUnlock()
	_, ok := catalog[Normalize(locale)][key]
	return ok
}

// Keys returns every key registered for locale.
func Keys(locale string) []string {
	mu.RLock()
	defer mu.RUnlock()
	var ks []string
	for k := range catalog[Normalize(locale)] {
		ks = append(ks, k)
	}
	return ks
}

// Normalize maps a language tag to a supported locale ("en-US" → "en",
// "zh", "zh-Hans" → "zh-CN"); unknown tags give "".
func Normalize(tag string) string {
	t := strings.ToLower(strings.TrimSpace(tag))
	switch {
	case t == "":
		return ""
	case strings.HasPrefix(t, "zh"):
		return ZH
	case strings.HasPrefix(t, "en"):
		return EN
	}
	return ""
}

// FromRequest picks the locale of a request: the "lang" query parameter,
// then the "lang" cookie, then Accept-Language, then fallback.
func FromRequest(r *http.Request, fallback string) string {
	if l := Normalize(r.URL.Query().Get("lang")); l != "" {
		return l
	}
	if c, err := r.Cookie("lang"); err == nil {
		if l := Normalize(c.Value); l != "" {
			return l
		}
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(part, ";")
		if l := Normalize(tag); l != "" {
			return l
		}
	}
	if l := Normalize(fallback); l != "" {
		return l
	}
	return Default
}

type ctxKey struct{}

// WithLocale returns ctx carrying locale.
func WithLocale(ctx context.Context, locale string) context.Context {
	return context.WithValue(ctx, ctxKey{}, locale)
}

// FromContext returns the locale in ctx, or Default.
func FromContext(ctx context.Context) string {
	if l, ok := ctx.Value(ctxKey{}).(string); ok && l != "" {
		return l
	}
	return Default
}

func init() {
	Add(ZH, map[string]string{
		"error.invalid_input":     "提交的内容有误，请检查标出的字段",
		"error.not_found":         "找不到该内容",
		"error.conflict":          "与现有数据冲突",
		"error.forbidden":         "没有权限执行此操作",
		"error.unauthenticated":   "请先登录",
		"error.too_many_requests": "尝试次数过多，请稍后再试",
		"error.unavailable":       "服务暂时不可用，请稍后再试",
		"error.internal":          "服务器内部错误，请稍后再试",
		"field.required":          "必填",
		"field.too_long":          "太长了",
		"field.too_short":         "太短了",
		"field.invalid":           "格式不正确",
		"field.slug_invalid":      "只能包含小写字母、数字和连字符，3到32个字符，以字母开头",
		"field.slug_reserved":     "该名称为系统保留，请换一个",
		"field.slug_taken":        "该名称已被占用",
		"field.phone_invalid":     "请输入有效的中国大陆手机号",
		"field.email_invalid":     "请输入有效的电子邮箱",
		"field.html_not_allowed":  "不能包含 HTML 标签",
	})
	Add(EN, map[string]string{
		"error.invalid_input":     "Some fields need your attention",
		"error.not_found":         "Not found",
		"error.conflict":          "This conflicts with existing data",
		"error.forbidden":         "You are not allowed to do this",
		"error.unauthenticated":   "Please sign in first",
		"error.too_many_requests": "Too many attempts, please try again later",
		"error.unavailable":       "The service is temporarily unavailable",
		"error.internal":          "Internal server error, please try again later",
		"field.required":          "Required",
		"field.too_long":          "Too long",
		"field.too_short":         "Too short",
		"field.invalid":           "Invalid format",
		"field.slug_invalid":      "Use 3–32 lowercase letters, digits or hyphens, starting with a letter",
		"field.slug_reserved":     "This name is reserved, please choose another",
		"field.slug_taken":        "This name is already taken",
		"field.phone_invalid":     "Enter a valid mainland China mobile number",
		"field.email_invalid":     "Enter a valid e-mail address",
		"field.html_not_allowed":  "HTML tags are not allowed",
	})
}
