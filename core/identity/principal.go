package identity

import "context"

// Kind says which population an account belongs to.
type Kind string

// The account kinds. Platform accounts (the SaaS operator) are global;
// tenant accounts (tenant staff, merchants, pickup operators, shoppers)
// belong to one tenant.
const (
	KindPlatform Kind = "platform"
	KindTenant   Kind = "tenant"
)

// Principal is the authenticated caller of a request.
type Principal struct {
	Kind     Kind
	UserID   string
	TenantID string // "" for platform accounts
	Name     string
	Email    string
	Phone    string
	// SessionID is the hashed id of the session that authenticated the
	// request; "" when a bearer token did.
	SessionID string
	// TokenID is the id of the API token that authenticated the request.
	TokenID string
}

// Subject is the casbin subject naming this principal.
func (p *Principal) Subject() string {
	if p.Kind == KindPlatform {
		return "platform:" + p.UserID
	}
	return "user:" + p.UserID
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal in ctx, if any.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}
