package tenants

import "context"

type tenantKey struct{}

// WithTenant returns ctx carrying t as the request's tenant.
func WithTenant(ctx context.Context, t *Tenant) context.Context {
	return context.WithValue(ctx, tenantKey{}, t)
}

// FromContext returns the tenant in ctx, if any.
func FromContext(ctx context.Context) (*Tenant, bool) {
	t, ok := ctx.Value(tenantKey{}).(*Tenant)
	return t, ok && t != nil
}

// MustFromContext returns the tenant in ctx and panics when there is none:
// tenant-scoped code running without a tenant is a bug, never "all
// tenants".
func MustFromContext(ctx context.Context) *Tenant {
	t, ok := FromContext(ctx)
	if !ok {
		panic("tenants: no tenant in context")
	}
	return t
}

// ID returns the id of the tenant in ctx and panics when there is none.
func ID(ctx context.Context) string { return MustFromContext(ctx).ID }
