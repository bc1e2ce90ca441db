// Package validate holds the input rules shared by every bounded context:
// names, slugs, phone numbers and e-mail addresses. Each check records an
// i18n key in a core.FieldErrors so the caller answers with field-level
// errors in the user's language.
package validate

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jishi-dev/jishi/core"
	"golang.org/x/text/unicode/norm"
)

// Text trims s and checks it: required when min > 0, at most max runes, no
// control characters and no HTML tags. It returns the trimmed value.
func Text(fe *core.FieldErrors, field, s string, min, max int) string {
	s = strings.TrimSpace(norm.NFC.String(s))
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0 && min > 0:
		fe.Add(field, "field.required")
	case n < min:
		fe.Add(field, "field.too_short")
	case n > max:
		fe.Add(field, "field.too_long")
	case !utf8.ValidString(s):
		fe.Add(field, "field.invalid")
	case strings.ContainsAny(s, "<>"):
		fe.Add(field, "field.html_not_allowed")
	default:
		for _, r := range s {
			if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
				fe.Add(field, "field.invalid")
				break
			}
		}
	}
	return s
}

var slugRE = regexp.MustCompile(`^[a-z][a-z0-9-]{1,30}[a-z0-9]$`)

// Reserved lists slugs no tenant or shop may take: they collide with host
// names, routes or roles.
var Reserved = map[string]bool{
	"www": true, "admin": true, "api": true, "app": true, "static": true,
	"assets": true, "mail": true, "smtp": true, "ftp": true, "root": true,
	"platform": true, "merchant": true, "console": true, "login": true,
	"logout": true, "help": true, "support": true, "status": true,
	"healthz": true, "readyz": true, "metrics": true, "webhooks": true,
	"localhost": true, "test": true, "shop": true, "store": true,
	"official": true, "flagship": true, "jishi": true, "system": true,
}

// NormalizeSlug folds a slug to its canonical form: full-width characters
// become ASCII (NFKC) and letters lower case, so "Shop" and "ｓｈｏｐ" are
// the same slug.
func NormalizeSlug(s string) string {
	return strings.ToLower(strings.TrimSpace(norm.NFKC.String(s)))
}

// Slug normalises s and checks its shape and the reserved list. It returns
// the normalised slug.
func Slug(fe *core.FieldErrors, field, s string) string {
	s = NormalizeSlug(s)
	switch {
	case s == "":
		fe.Add(field, "field.required")
	case !slugRE.MatchString(s) || strings.Contains(s, "--"):
		fe.Add(field, "field.slug_invalid")
	case Reserved[s]:
		fe.Add(field, "field.slug_reserved")
	}
	return s
}

var phoneRE = regexp.MustCompile(`^1[3-9][0-9]{9}$`)

// NormalizePhone strips spaces, dashes and a +86 / 0086 prefix and folds
// full-width digits.
func NormalizePhone(s string) string {
	s = norm.NFKC.String(strings.TrimSpace(s))
	s = strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(s)
	s = strings.TrimPrefix(s, "+86")
	s = strings.TrimPrefix(s, "0086")
	return s
}

// Phone checks a mainland China mobile number (11 digits starting 13–19)
// and returns it normalised. Empty is allowed unless required.
func Phone(fe *core.FieldErrors, field, s string, required bool) string {
	s = NormalizePhone(s)
	if s == "" {
		if required {
			fe.Add(field, "field.required")
		}
		return ""
	}
	if !phoneRE.MatchString(s) {
		fe.Add(field, "field.phone_invalid")
	}
	return s
}

// NormalizeEmail trims and lower-cases an address.
func NormalizeEmail(s string) string {
	return strings.ToLower(strings.TrimSpace(norm.NFKC.String(s)))
}

// Email checks an e-mail address and returns it normalised. Empty is
// allowed unless required.
func Email(fe *core.FieldErrors, field, s string, required bool) string {
	s = NormalizeEmail(s)
	if s == "" {
		if required {
			fe.Add(field, "field.required")
		}
		return ""
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 || !strings.Contains(s[strings.LastIndex(s, "@"):], ".") ||
		strings.ContainsAny(s, "<>\"' ;") {
		fe.Add(field, "field.email_invalid")
	}
	return s
}
