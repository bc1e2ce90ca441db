package sdk

import (
	"strings"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
)

// DefaultLocale is the locale used when the tenant's locale has no text.
const DefaultLocale = "zh-CN"

// Messages is a plugin's own message catalogue: message key → locale →
// text, with {name} placeholders. Keys are prefixed with the plugin's name
// ("hello.off_fen.max").
type Messages map[string]map[string]string

// Text returns the text of key in locale, with params substituted. It falls
// back to the locale's language ("zh-Hans" → "zh-CN", "en-GB" → "en"), then
// to DefaultLocale, then to the key itself.
func (m Messages) Text(locale, key string, params map[string]string) string {
	texts := m[key]
	text, ok := texts[locale]
	if !ok {
		lang, _, _ := strings.Cut(strings.ToLower(locale), "-")
		for l, s := range texts {
			if ll, _, _ := strings.Cut(strings.ToLower(l), "-"); lang != "" && ll == lang {
				text, ok = s, true
				break
			}
		}
	}
	if !ok {
		text, ok = texts[DefaultLocale]
	}
	if !ok {
		return key
	}
	for k, v := range params {
		text = strings.ReplaceAll(text, "{"+k+"}", v)
	}
	return text
}

// FieldError returns a field error for the JSON pointer field ("/off_fen",
// "" for the whole input) with the message key, its text in the tenant's
// locale and its params.
func (m Messages) FieldError(t *Tenant, field, key string, params map[string]string) *pluginv1.FieldError {
	return &pluginv1.FieldError{Field: field, MessageKey: key, Message: m.Text(t.Locale, key, params), Params: params}
}
