package web

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/jishi-dev/jishi/core/i18n"
)

// FlashCookie carries a one-time message to the page after a redirect.
const FlashCookie = "jishi_flash"

// Flash kinds.
const (
	FlashSuccess = "success"
	FlashInfo    = "info"
	FlashError   = "error"
)

// Flash is a one-time message: an i18n key shown once on the next page.
// Only registered keys are shown, so a forged cookie can show nothing but
// the product's own messages.
type Flash struct {
	Kind string
	Key  string
}

var flashKeyRE = regexp.MustCompile(`^[a-z0-9_.-]{1,80}$`)

// SetFlash stores a message (an i18n key) for the next page this browser
// renders.
func SetFlash(w http.ResponseWriter, kind, key string) {
	if kind != FlashSuccess && kind != FlashInfo && kind != FlashError {
		kind = FlashInfo
	}
	http.SetCookie(w, &http.Cookie{Name: FlashCookie, Value: kind + "|" + key, Path: "/", MaxAge: 60,
		HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// takeFlash returns the pending message of r, if any, and clears it.
func takeFlash(w http.ResponseWriter, r *http.Request) *Flash {
	c, err := r.Cookie(FlashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: FlashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	kind, key, ok := strings.Cut(c.Value, "|")
	if !ok || !flashKeyRE.MatchString(key) || !i18n.Has(i18n.ZH, key) {
		return nil
	}
	if kind != FlashSuccess && kind != FlashInfo && kind != FlashError {
		kind = FlashInfo
	}
	return &Flash{Kind: kind, Key: key}
}
