package authz

import "testing"

// TestPickupPointDomain pins the pickup-point domain grammar
// "t/T[/r/R]/pp/P" next to the existing forms, which must parse as before.
func TestPickupPointDomain(t *testing.T) {
	if got := PickupPointDomain("T", "R", "P"); got != "t/T/r/R/pp/P" {
		t.Errorf("PickupPointDomain with region = %q", got)
	}
	if got := PickupPointDomain("T", "", "P"); got != "t/T/pp/P" {
		t.Errorf("PickupPointDomain without region = %q", got)
	}
	for _, c := range []struct {
		dom  string
		want domainParts
		ok   bool
	}{
		{"t/T", domainParts{tenant: "T"}, true},
		{"t/T/r/R", domainParts{tenant: "T", region: "R"}, true},
		{"t/T/s/S", domainParts{tenant: "T", shop: "S"}, true},
		{"t/T/r/R/s/S", domainParts{tenant: "T", region: "R", shop: "S"}, true},
		{"t/T/pp/P", domainParts{tenant: "T", point: "P"}, true},
		{"t/T/r/R/pp/P", domainParts{tenant: "T", region: "R", point: "P"}, true},
		{"t/T/pp/P/s/S", domainParts{}, false},
		{"t/T/s/S/pp/P", domainParts{}, false},
		{"t/T/pp/P/r/R", domainParts{}, false},
		{"t/T/pp/P/pp/Q", domainParts{}, false},
		{"t/T/p/P", domainParts{}, false},
		{"t/T/pp", domainParts{}, false},
		{"t/T/pp/", domainParts{}, false},
		{"pp/P", domainParts{}, false},
		{"platform", domainParts{}, false},
		{"*", domainParts{}, false},
	} {
		got, ok := parseDomain(c.dom)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("parseDomain(%q) = %+v, %v; want %+v, %v", c.dom, got, ok, c.want, c.ok)
		}
		if want := c.want.tenant; tenantOf(c.dom) != want {
			t.Errorf("tenantOf(%q) = %q, want %q", c.dom, tenantOf(c.dom), want)
		}
	}
	for _, c := range []struct {
		req, pattern string
		want         bool
	}{
		{"t/T/r/R/pp/P", "t/T/pp/P", true},  // an operator's assignment holds wherever the point is
		{"t/T/r/R2/pp/P", "t/T/pp/P", true}, // … also after the point moved
		{"t/T/r/R/pp/P", "t/T/r/R", true},   // region-wide operators (the seed's)
		{"t/T/r/R/pp/P", "t/T", true},       // tenant admins
		{"t/T/r/R/pp/P2", "t/T/pp/P", false},
		{"t/T/r/R2/pp/P", "t/T/r/R", false},
		{"t/T2/r/R/pp/P", "t/T/pp/P", false},
		{"t/T/r/R/s/P", "t/T/pp/P", false}, // a shop is not a point with the same id
		{"t/T/r/R/pp/P", "t/T/s/P", false},
		{"t/T/pp/P", "t/T/r/R/pp/P", false},
	} {
		if got := Covers(c.req, c.pattern); got != c.want {
			t.Errorf("Covers(%q, %q) = %v, want %v", c.req, c.pattern, got, c.want)
		}
	}
}
