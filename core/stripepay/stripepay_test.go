package stripepay

import (
	"context"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/tenants"
)

func TestMasked(t *testing.T) {
	for in, want := range map[string]string{
		"":                         "",
		"sk_test_abcdefgh1234":     "sk_test_••••1234",
		"whsec_0123456789abcdef":   "whsec_••••cdef",
		"sk_live_1":                "sk_live_••••",
		"noprefixsecretvalue98765": "••••8765",
	} {
		if got := Masked(in); got != want {
			t.Errorf("Masked(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	in := "request failed: key sk_test_abcDEF123 and whsec_xyz789 rk_live_q1 end"
	got := redact(in)
	for _, secret := range []string{"sk_test_abcDEF123", "whsec_xyz789", "rk_live_q1"} {
		if strings.Contains(got, secret) {
			t.Fatalf("redact left %q in %q", secret, got)
		}
	}
	if strings.Count(got, "[redacted]") != 3 || !strings.HasSuffix(got, " end") {
		t.Fatalf("redact = %q", got)
	}
}

func TestSplitMethods(t *testing.T) {
	for in, want := range map[string]string{
		"":                          "card",
		"card,alipay,wechat_pay":    "card,alipay,wechat_pay",
		" alipay , bitcoin,alipay ": "alipay",
		"bitcoin":                   "card",
	} {
		if got := strings.Join(splitMethods(in), ","); got != want {
			t.Errorf("splitMethods(%q) = %q, want %q", in, got, want)
		}
	}
}

// Idempotency keys are derived from our records: the same parts give the
// same key in one tenant, and differ across tenants and parts.
func TestIdem(t *testing.T) {
	a := tenants.WithTenant(context.Background(), &tenants.Tenant{ID: "01a00000-0000-7000-8000-000000000001"})
	b := tenants.WithTenant(context.Background(), &tenants.Tenant{ID: "01a00000-0000-7000-8000-000000000002"})
	k := idem(a, "pi", "p1")
	if k != idem(a, "pi", "p1") || !strings.HasPrefix(k, "jishi-pi-") {
		t.Fatalf("key %q not stable", k)
	}
	if k == idem(b, "pi", "p1") || k == idem(a, "pi", "p2") || strings.Contains(k, "p1") {
		t.Fatal("keys collide or leak ids")
	}
}
