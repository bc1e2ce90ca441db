package authz

import "strings"

// PlatformDomain is the domain of the platform console, outside every
// tenant.
const PlatformDomain = "platform"

// TenantDomain returns "t/{tenantID}".
func TenantDomain(tenantID string) string { return "t/" + tenantID }

// RegionDomain returns "t/{tenantID}/r/{regionID}".
func RegionDomain(tenantID, regionID string) string { return "t/" + tenantID + "/r/" + regionID }

// ShopDomain returns "t/{tenantID}/r/{regionID}/s/{shopID}" ("t/{tenantID}/s/{shopID}"
// when regionID is empty). Checks use the form with the region; shop
// assignments are stored without it, so that moving a shop to another
// region keeps its owners and staff.
func ShopDomain(tenantID, regionID, shopID string) string {
	if regionID == "" {
		return "t/" + tenantID + "/s/" + shopID
	}
	return "t/" + tenantID + "/r/" + regionID + "/s/" + shopID
}

// PickupPointDomain returns "t/{tenantID}/r/{regionID}/pp/{pointID}"
// ("t/{tenantID}/pp/{pointID}" when regionID is empty), the domain of a
// pickup point (社区服务中心). Like shops, checks use the form with the
// region and operator assignments are stored without it, so that moving a
// point to another region keeps its operators; a region-wide assignment
// ("t/T/r/R") covers every point of the region.
func PickupPointDomain(tenantID, regionID, pointID string) string {
	if regionID == "" {
		return "t/" + tenantID + "/pp/" + pointID
	}
	return "t/" + tenantID + "/r/" + regionID + "/pp/" + pointID
}

// Covers reports whether an assignment stored in domain pattern holds in
// request domain req: when every key/value pair of pattern ("t/T", "r/R",
// "s/S", "pp/P") is also a pair of req. "*" covers every domain; an empty pattern
// covers none. It is the domain-matching function of the enforcer's role
// manager, which calls it as Covers(request, stored).
func Covers(req, pattern string) bool {
	if pattern == "" {
		return false
	}
	if pattern == "*" || req == pattern {
		return true
	}
	// Every tenant domain starts with its tenant pair, so a pattern of
	// another tenant is rejected by this prefix test before any parsing.
	if strings.HasPrefix(pattern, "t/") {
		head := pattern
		if i := strings.IndexByte(pattern[2:], '/'); i >= 0 {
			head = pattern[:2+i]
		}
		if !strings.HasPrefix(req, head) || len(req) > len(head) && req[len(head)] != '/' {
			return false
		}
	}
	for pattern != "" {
		var k, v string
		k, pattern, _ = strings.Cut(pattern, "/")
		v, pattern, _ = strings.Cut(pattern, "/")
		if !hasPair(req, k, v) {
			return false
		}
	}
	return true
}

func hasPair(dom, k, v string) bool {
	for dom != "" {
		var k2, v2 string
		k2, dom, _ = strings.Cut(dom, "/")
		v2, dom, _ = strings.Cut(dom, "/")
		if k2 == k && v2 == v {
			return true
		}
	}
	return false
}

// domainParts is a parsed tenant domain.
type domainParts struct {
	tenant, region, shop, point string
}

// parseDomain splits a tenant domain "t/T[/r/R][/s/S | /pp/P]" into its
// parts. It reports false for "platform", "*" and anything malformed
// (including a shop and a pickup point in one domain).
func parseDomain(dom string) (domainParts, bool) {
	var d domainParts
	if !strings.HasPrefix(dom, "t/") {
		return d, false
	}
	seen := ""
	for rest := dom; rest != ""; {
		var k, v string
		k, rest, _ = strings.Cut(rest, "/")
		v, rest, _ = strings.Cut(rest, "/")
		if v == "" || strings.Contains(seen, k) {
			return d, false
		}
		switch {
		case k == "t" && seen == "":
			d.tenant = v
		case k == "r" && seen == "t":
			d.region = v
		case k == "s" && (seen == "t" || seen == "tr"):
			d.shop = v
		case k == "pp" && (seen == "t" || seen == "tr"):
			d.point = v
		default:
			return d, false
		}
		seen += k
	}
	return d, true
}

// tenantOf returns the tenant of a tenant domain, "" for any other.
func tenantOf(dom string) string {
	d, ok := parseDomain(dom)
	if !ok {
		return ""
	}
	return d.tenant
}
