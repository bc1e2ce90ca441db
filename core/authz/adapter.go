package authz

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	"github.com/uptrace/bun"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/tenants"
)

// Assignment is one stored role assignment: UserID holds Role in Domain.
// Assignments live in the tenant table role_assignments.
type Assignment struct {
	bun.BaseModel `bun:"table:role_assignments"`

	TenantID  string    `bun:"tenant_id,pk" json:"-"`
	ID        string    `bun:"id,pk" json:"id"`
	UserID    string    `bun:"user_id,notnull" json:"user_id"`
	Role      string    `bun:"role,notnull" json:"role"`
	Domain    string    `bun:"domain,notnull" json:"domain"`
	CreatedAt time.Time `bun:"created_at,notnull" json:"created_at"`
}

// subject is the casbin subject of a tenant user (identity.Principal's
// Subject for tenant accounts).
func subject(userID string) string { return "user:" + userID }

// rule is the casbin grouping rule of a.
func (a *Assignment) rule() []string { return []string{subject(a.UserID), a.Role, a.Domain} }

// Filter selects what Adapter.LoadFilteredPolicy loads: the role templates
// and the assignments of TenantID (templates only when TenantID is "").
type Filter struct {
	TenantID string
}

// Adapter is the casbin adapter of Jishi's policy: the role templates
// (p rules) come from the embedded roles.csv and cannot be changed at run
// time; the assignments (g rules) are rows of role_assignments, loaded one
// tenant at a time. It implements persist.Adapter and
// persist.FilteredAdapter.
type Adapter struct {
	db       *db.DB
	filtered bool
}

var (
	_ persist.Adapter         = (*Adapter)(nil)
	_ persist.FilteredAdapter = (*Adapter)(nil)
)

// NewAdapter returns the adapter reading and writing d.
func NewAdapter(d *db.DB) *Adapter { return &Adapter{db: d} }

var errTemplates = errors.New("authz: role templates are embedded (roles.csv) and cannot be changed at run time")

// LoadPolicy loads the role templates only: assignments are loaded per
// tenant, on demand, with LoadFilteredPolicy.
func (a *Adapter) LoadPolicy(m model.Model) error {
	a.filtered = false
	return loadTemplates(m)
}

func loadTemplates(m model.Model) error {
	for _, r := range templates {
		if err := persist.LoadPolicyArray([]string{"p", r.role, r.obj, r.act}, m); err != nil {
			return fmt.Errorf("load role template %v: %w", r, err)
		}
	}
	return nil
}

// LoadFilteredPolicy loads the role templates and the assignments of the
// tenant named by filter (a Filter or *Filter).
func (a *Adapter) LoadFilteredPolicy(m model.Model, filter any) error {
	var f Filter
	switch v := filter.(type) {
	case Filter:
		f = v
	case *Filter:
		if v != nil {
			f = *v
		}
	default:
		return fmt.Errorf("authz: unsupported policy filter %T", filter)
	}
	a.filtered = true
	if err := loadTemplates(m); err != nil {
		return err
	}
	if f.TenantID == "" {
		return nil
	}
	rules, err := a.tenantRules(context.Background(), f.TenantID)
	if err != nil {
		return err
	}
	for _, r := range rules {
		if err := persist.LoadPolicyArray(append([]string{"g"}, r...), m); err != nil {
			return err
		}
	}
	return nil
}

// IsFiltered reports whether the last load was filtered.
func (a *Adapter) IsFiltered() bool { return a.filtered }

// SavePolicy is not supported: assignments are written one by one
// (Enforcer.Assign), templates not at all.
func (a *Adapter) SavePolicy(model.Model) error {
	return errors.New("authz: saving the whole policy is not supported; assign roles one by one")
}

// AddPolicy stores a grouping rule (subject "user:{id}", role, domain) as
// an assignment in the tenant of its domain.
func (a *Adapter) AddPolicy(sec, ptype string, rule []string) error {
	as, err := assignmentOf(sec, rule)
	if err != nil {
		return err
	}
	ctx := tenantCtx(context.Background(), as.TenantID)
	return a.db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		return insertAssignment(ctx, tx, as)
	})
}

// RemovePolicy deletes the assignment a grouping rule stands for.
func (a *Adapter) RemovePolicy(sec, ptype string, rule []string) error {
	as, err := assignmentOf(sec, rule)
	if err != nil {
		return err
	}
	ctx := tenantCtx(context.Background(), as.TenantID)
	return a.db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		_, err := deleteAssignment(ctx, tx, as.UserID, as.Role, as.Domain)
		return err
	})
}

// RemoveFilteredPolicy deletes the assignments matching a grouping-rule
// filter. The filter must fix the domain (field 2), which names the
// tenant; empty values match anything.
func (a *Adapter) RemoveFilteredPolicy(sec, ptype string, fieldIndex int, fieldValues ...string) error {
	if sec != "g" {
		return errTemplates
	}
	fields := make([]string, 3)
	for i, v := range fieldValues {
		if fieldIndex+i < 3 {
			fields[fieldIndex+i] = v
		}
	}
	if fieldIndex < 0 || fieldIndex > 2 || fields[2] == "" {
		return errors.New("authz: a filtered removal of assignments must name the domain")
	}
	tid := tenantOf(fields[2])
	if tid == "" {
		return fmt.Errorf("authz: domain %q names no tenant", fields[2])
	}
	ctx := tenantCtx(context.Background(), tid)
	return a.db.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		q := db.Delete(ctx, tx, (*Assignment)(nil)).Where("domain = ?", fields[2])
		if fields[0] != "" {
			uid, ok := strings.CutPrefix(fields[0], "user:")
			if !ok {
				return fmt.Errorf("authz: subject %q is not a tenant user", fields[0])
			}
			q = q.Where("user_id = ?", uid)
		}
		if fields[1] != "" {
			q = q.Where("role = ?", fields[1])
		}
		_, err := q.Exec(ctx)
		return err
	})
}

// assignmentOf turns a grouping rule into an assignment.
func assignmentOf(sec string, rule []string) (*Assignment, error) {
	if sec != "g" {
		return nil, errTemplates
	}
	if len(rule) != 3 {
		return nil, fmt.Errorf("authz: grouping rule %v: want subject, role, domain", rule)
	}
	uid, ok := strings.CutPrefix(rule[0], "user:")
	if !ok {
		return nil, fmt.Errorf("authz: subject %q is not a tenant user", rule[0])
	}
	tid := tenantOf(rule[2])
	if tid == "" {
		return nil, fmt.Errorf("authz: domain %q names no tenant", rule[2])
	}
	return &Assignment{TenantID: tid, UserID: uid, Role: rule[1], Domain: rule[2]}, nil
}

// tenantCtx returns ctx bound to tenant tid, enough for RunInTx and
// RunInReadTx to admit its rows under row-level security.
func tenantCtx(ctx context.Context, tid string) context.Context {
	if t, ok := tenants.FromContext(ctx); ok && t.ID == tid {
		return ctx
	}
	return tenants.WithTenant(ctx, &tenants.Tenant{ID: tid})
}

// tenantRules reads the grouping rules of tenant tid.
func (a *Adapter) tenantRules(ctx context.Context, tid string) ([][]string, error) {
	var rows []*Assignment
	ctx = tenantCtx(ctx, tid)
	err := a.db.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		return db.Select(ctx, tx, &rows).Column("user_id", "role", "domain").Scan(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("load role assignments of tenant %s: %w", tid, err)
	}
	out := make([][]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.rule())
	}
	return out, nil
}

// insertAssignment stores as (new id, now) unless the same assignment
// exists already.
func insertAssignment(ctx context.Context, tx bun.IDB, as *Assignment) error {
	as.TenantID = db.TenantID(ctx)
	if as.ID == "" {
		as.ID = tenants.NewID()
	}
	if as.CreatedAt.IsZero() {
		as.CreatedAt = time.Now().UTC()
	}
	_, err := tx.NewInsert().Model(as).On("CONFLICT (tenant_id, user_id, role, domain) DO NOTHING").Exec(ctx)
	if err != nil {
		return fmt.Errorf("assign %s in %s to %s: %w", as.Role, as.Domain, as.UserID, err)
	}
	return nil
}

// deleteAssignment removes an assignment and reports whether there was
// one.
func deleteAssignment(ctx context.Context, tx bun.IDB, userID, role, domain string) (bool, error) {
	res, err := db.Delete(ctx, tx, (*Assignment)(nil)).
		Where("user_id = ?", userID).Where("role = ?", role).Where("domain = ?", domain).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("unassign %s in %s from %s: %w", role, domain, userID, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}
