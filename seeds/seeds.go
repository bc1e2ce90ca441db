// Package seeds loads the demo marketplaces: 网上供销社·长沙
// (changsha-coop) and 网上供销社·株洲 (zhuzhou-coop), with regions,
// categories, shops, a pending merchant application and a demo user for
// every role.
package seeds

// CONTRACT STUB: the seeds work replaces this file.

import (
	"context"

	"github.com/jishi-dev/jishi/core/app"
)

// Login is one demo account printed at start.
type Login struct {
	Role, Tenant, Login, Password, URL string
}

// Needed reports whether the database holds no tenant yet.
func Needed(ctx context.Context, a *app.App) (bool, error) { return false, nil }

// Load seeds the demo tenants into a's database and returns the demo
// logins. It is meant for an empty database.
func Load(ctx context.Context, a *app.App) ([]Login, error) { return nil, nil }

// Logins returns the demo logins (for printing when already seeded).
func Logins(a *app.App) []Login { return nil }
