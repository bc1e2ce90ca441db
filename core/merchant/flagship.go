package merchant

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// FlagshipName is the flagship store's name when the tenant's own name
// does not fit before it.
const FlagshipName = "官方旗舰店"

// ProvisionFlagship creates tenant t's flagship store (官方旗舰店): slug
// FlagshipSlug, active, no owner and no region; tenant admins run it and
// merchants with too few products for a shop of their own sell through it.
// It is a tenants.Step, run inside the provisioning transaction with t in
// ctx, and does nothing when t already has a flagship store.
func (s *Service) ProvisionFlagship(ctx context.Context, tx bun.IDB, t *tenants.Tenant, in tenants.CreateInput) error {
	n, err := db.Select(ctx, tx, (*Shop)(nil)).Where("s.is_flagship = ?", true).Count(ctx)
	if err != nil {
		return fmt.Errorf("look for flagship store: %w", err)
	}
	if n > 0 {
		return nil
	}
	name := FlagshipName
	if full := t.Name + FlagshipName; utf8.RuneCountInString(full) <= ShopNameMax {
		name = full
	}
	now := time.Now().UTC()
	sh := &Shop{
		TenantID: t.ID, ID: tenants.NewID(), Slug: FlagshipSlug, Name: name, IsFlagship: true, Status: ShopActive,
		ContactEmail: t.Settings.ContactEmail, CreatedAt: now, UpdatedAt: now,
	}
	if _, err := tx.NewInsert().Model(sh).Exec(ctx); err != nil {
		return fmt.Errorf("create flagship store: %w", err)
	}
	return nil
}

// IsFlagshipSupplier reports whether userID is an approved supplier of the
// flagship store of the tenant in ctx.
func (s *Service) IsFlagshipSupplier(ctx context.Context, userID string) (bool, error) {
	if !validID(userID) {
		return false, nil
	}
	var n int64
	err := s.read(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		n, err = db.Select(ctx, tx, (*FlagshipSupplier)(nil)).Where("fs.user_id = ?", userID).Count(ctx)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("look up flagship supplier: %w", err)
	}
	return n > 0, nil
}
