package authz

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
)

//go:embed model.conf
var modelText string

//go:embed roles.csv
var rolesCSV string

// roles lists the role templates, from the most to the least powerful.
var roles = []string{PlatformAdmin, TenantAdmin, RegionManager, MerchantOwner, MerchantStaff, PickupOperator, Shopper}

// templateRule is one line of roles.csv: role may do act on obj.
type templateRule struct{ role, obj, act string }

// templates are the parsed role templates, fixed at build time.
var templates = mustParseTemplates(rolesCSV)

func mustParseTemplates(text string) []templateRule {
	var out []templateRule
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ",")
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		if len(f) != 4 || f[0] != "p" || f[1] == "" || f[2] == "" || f[3] == "" {
			panic(fmt.Sprintf("authz: roles.csv line %d: want \"p, role, object, action\": %q", n+1, line))
		}
		if !slices.Contains(roles, f[1]) {
			panic(fmt.Sprintf("authz: roles.csv line %d: unknown role %q", n+1, f[1]))
		}
		out = append(out, templateRule{f[1], f[2], f[3]})
	}
	return out
}

// grants reports whether the template of role grants act on obj.
func grants(role, obj, act string) bool {
	for _, r := range templates {
		if r.role == role && (r.obj == "*" || r.obj == obj) && (r.act == "*" || r.act == act) {
			return true
		}
	}
	return false
}

// Roles returns the names of the role templates, from the most to the
// least powerful.
func Roles() []string { return slices.Clone(roles) }

// Permissions returns, sorted, every permission ("object:action") some
// role template grants by name. Wildcards are not permissions: the
// platform administrator's "*:*" adds none.
func Permissions() []string {
	var out []string
	for _, r := range templates {
		if r.obj == "*" || r.act == "*" {
			continue
		}
		p := r.obj + ":" + r.act
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// Known reports whether some role template grants perm by name, so that a
// route naming a permission nobody holds (a typo) can be caught by a test.
func Known(perm string) bool {
	obj, act, ok := strings.Cut(perm, ":")
	if !ok || obj == "" || act == "" || obj == "*" || act == "*" {
		return false
	}
	for _, r := range templates {
		if r.obj == obj && r.act == act {
			return true
		}
	}
	return false
}

// RolePermissions returns, sorted, the permissions the template of role
// grants by name ("*:*" for the platform administrator's wildcard).
func RolePermissions(role string) []string {
	var out []string
	for _, r := range templates {
		if r.role == role {
			out = append(out, r.obj+":"+r.act)
		}
	}
	slices.Sort(out)
	return out
}
