package authz

import (
	"slices"
	"sync"

	"github.com/casbin/casbin/v2/log"
	"github.com/casbin/casbin/v2/rbac"
)

// roleIndex is the enforcer's casbin role manager: for each subject, the
// (role, domain) pairs assigned to it. HasLink asks the domain-matching
// function (Covers, registered with AddNamedDomainMatchingFunc and called
// as fn(request domain, stored domain) like casbin's own domain manager
// does) about the subject's own assignments only.
//
// Casbin's default domain manager answers a request domain it has not
// stored (every "t/T/r/R/s/S" a check asks about, since shop assignments are
// stored as "t/T/s/S") by matching it against every stored domain of every
// tenant, once per role of the model: milliseconds per check with a few
// thousand shops. It also withdraws a removed assignment from every domain
// the removed one covers, even where the user holds the same role through
// another assignment. This index costs a few comparisons per check and
// removes exactly what was removed.
//
// Roles do not inherit roles here: a grouping rule always links a user to
// a role template.
type roleIndex struct {
	mu      sync.RWMutex
	links   map[string]map[[2]string]bool // subject → {role, domain}
	matchFn rbac.MatchingFunc
}

var _ rbac.RoleManager = (*roleIndex)(nil)

func newRoleIndex() *roleIndex { return &roleIndex{links: map[string]map[[2]string]bool{}} }

func domainOf(domain []string) string {
	if len(domain) == 0 {
		return ""
	}
	return domain[0]
}

// Clear forgets every link.
func (x *roleIndex) Clear() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.links = map[string]map[[2]string]bool{}
	return nil
}

// AddLink records that name1 holds role name2 in domain.
func (x *roleIndex) AddLink(name1, name2 string, domain ...string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	m := x.links[name1]
	if m == nil {
		m = map[[2]string]bool{}
		x.links[name1] = m
	}
	m[[2]string{name2, domainOf(domain)}] = true
	return nil
}

// BuildRelationship is a deprecated no-op of the interface.
func (x *roleIndex) BuildRelationship(string, string, ...string) error { return nil }

// DeleteLink forgets that name1 holds role name2 in domain (exactly that
// domain).
func (x *roleIndex) DeleteLink(name1, name2 string, domain ...string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if m := x.links[name1]; m != nil {
		delete(m, [2]string{name2, domainOf(domain)})
		if len(m) == 0 {
			delete(x.links, name1)
		}
	}
	return nil
}

// HasLink reports whether name1 holds role name2 through an assignment
// whose domain covers domain.
func (x *roleIndex) HasLink(name1, name2 string, domain ...string) (bool, error) {
	if name1 == name2 {
		return true, nil
	}
	dom := domainOf(domain)
	x.mu.RLock()
	defer x.mu.RUnlock()
	for k := range x.links[name1] {
		if k[0] == name2 && x.match(dom, k[1]) {
			return true, nil
		}
	}
	return false, nil
}

// GetRoles returns, sorted, the roles name holds in domain.
func (x *roleIndex) GetRoles(name string, domain ...string) ([]string, error) {
	dom := domainOf(domain)
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []string
	for k := range x.links[name] {
		if x.match(dom, k[1]) && !slices.Contains(out, k[0]) {
			out = append(out, k[0])
		}
	}
	slices.Sort(out)
	return out, nil
}

// GetUsers returns, sorted, the subjects holding role name in domain.
func (x *roleIndex) GetUsers(name string, domain ...string) ([]string, error) {
	dom := domainOf(domain)
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []string
	for sub, m := range x.links {
		for k := range m {
			if k[0] == name && x.match(dom, k[1]) {
				out = append(out, sub)
				break
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// GetImplicitRoles is GetRoles: roles do not inherit roles.
func (x *roleIndex) GetImplicitRoles(name string, domain ...string) ([]string, error) {
	return x.GetRoles(name, domain...)
}

// GetImplicitUsers is GetUsers: roles do not inherit roles.
func (x *roleIndex) GetImplicitUsers(name string, domain ...string) ([]string, error) {
	return x.GetUsers(name, domain...)
}

// GetDomains returns, sorted, the domains of name's assignments.
func (x *roleIndex) GetDomains(name string) ([]string, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []string
	for k := range x.links[name] {
		if !slices.Contains(out, k[1]) {
			out = append(out, k[1])
		}
	}
	slices.Sort(out)
	return out, nil
}

// GetAllDomains returns, sorted, the domains of all assignments.
func (x *roleIndex) GetAllDomains() ([]string, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	seen := map[string]bool{}
	var out []string
	for _, m := range x.links {
		for k := range m {
			if !seen[k[1]] {
				seen[k[1]] = true
				out = append(out, k[1])
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// PrintRoles prints nothing: the enforcer's log is off.
func (x *roleIndex) PrintRoles() error { return nil }

// SetLogger is a no-op.
func (x *roleIndex) SetLogger(log.Logger) {}

// Match reports whether an assignment stored in domain pattern holds in
// domain str.
func (x *roleIndex) Match(str, pattern string) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.match(str, pattern)
}

func (x *roleIndex) match(str, pattern string) bool {
	if str == pattern {
		return true
	}
	return x.matchFn != nil && x.matchFn(str, pattern)
}

// AddMatchingFunc is not supported: role names are never patterns.
func (x *roleIndex) AddMatchingFunc(string, rbac.MatchingFunc) {
	panic("authz: role name patterns are not supported")
}

// AddDomainMatchingFunc sets the domain-matching function, called as
// fn(request domain, stored domain).
func (x *roleIndex) AddDomainMatchingFunc(_ string, fn rbac.MatchingFunc) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.matchFn = fn
}

// DeleteDomain forgets every assignment stored in domain.
func (x *roleIndex) DeleteDomain(domain string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	for sub, m := range x.links {
		for k := range m {
			if k[1] == domain {
				delete(m, k)
			}
		}
		if len(m) == 0 {
			delete(x.links, sub)
		}
	}
	return nil
}
