// Package merchant holds merchant applications and their review, shops,
// shop profiles and storefront settings, shop status and staff.
package merchant

// CONTRACT STUB: the merchant work replaces this file.

import (
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
)

// Deps are the services the merchant context uses.
type Deps struct {
	DB       *db.DB
	Authz    *authz.Enforcer
	Identity *identity.Service
}

// Service is the merchant context's API.
type Service struct{ Deps }

// New returns the service.
func New(d Deps) *Service { return &Service{Deps: d} }
