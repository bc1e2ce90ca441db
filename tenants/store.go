package tenants

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/validate"
	"github.com/uptrace/bun"
)

// NewID returns a new UUIDv7 string, the id type of every Jishi row.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

var errNotFound = core.Errorf(core.NotFound, "error.not_found")

// BySlug returns the tenant with slug (normalised). Returns NotFound if
// there is none.
func BySlug(ctx context.Context, idb bun.IDB, slug string) (*Tenant, error) {
	t := new(Tenant)
	err := idb.NewSelect().Model(t).Where("slug = ?", validate.NormalizeSlug(slug)).Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return t, loadDomains(ctx, idb, t)
}

// ByID returns the tenant with id. Returns NotFound if there is none.
func ByID(ctx context.Context, idb bun.IDB, id string) (*Tenant, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, errNotFound
	}
	t := new(Tenant)
	if err := idb.NewSelect().Model(t).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return t, loadDomains(ctx, idb, t)
}

// ByDomain returns the tenant that owns host name domain. Returns NotFound
// if none does.
func ByDomain(ctx context.Context, idb bun.IDB, domain string) (*Tenant, error) {
	d := new(Domain)
	if err := idb.NewSelect().Model(d).Where("domain = ?", strings.ToLower(domain)).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return ByID(ctx, idb, d.TenantID)
}

// List returns every tenant ordered by slug.
func List(ctx context.Context, idb bun.IDB) ([]*Tenant, error) {
	var ts []*Tenant
	if err := idb.NewSelect().Model(&ts).Order("slug").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	var ds []Domain
	if err := idb.NewSelect().Model(&ds).Order("domain").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list tenant domains: %w", err)
	}
	byID := map[string]*Tenant{}
	for _, t := range ts {
		byID[t.ID] = t
	}
	for _, d := range ds {
		if t := byID[d.TenantID]; t != nil {
			t.Domains = append(t.Domains, d.Domain)
		}
	}
	return ts, nil
}

func loadDomains(ctx context.Context, idb bun.IDB, t *Tenant) error {
	var ds []Domain
	if err := idb.NewSelect().Model(&ds).Where("tenant_id = ?", t.ID).Order("domain").Scan(ctx); err != nil {
		return fmt.Errorf("load domains of %s: %w", t.Slug, err)
	}
	t.Domains = t.Domains[:0]
	for _, d := range ds {
		t.Domains = append(t.Domains, d.Domain)
	}
	return nil
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errNotFound
	}
	return err
}

// Regions returns the tenant's regions (tenant from ctx) as a forest of
// cities with their districts, each level sorted by sort then name.
func Regions(ctx context.Context, idb bun.IDB) ([]*Region, error) {
	var rs []*Region
	if err := idb.NewSelect().Model(&rs).Where("tenant_id = ?", ID(ctx)).Order("sort", "name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list regions: %w", err)
	}
	return Tree(rs), nil
}

// Tree links a flat list of regions into a forest.
func Tree(rs []*Region) []*Region {
	byID := map[string]*Region{}
	for _, r := range rs {
		r.Children = nil
		byID[r.ID] = r
	}
	var roots []*Region
	for _, r := range rs {
		if r.ParentID != nil && byID[*r.ParentID] != nil {
			p := byID[*r.ParentID]
			p.Children = append(p.Children, r)
		} else {
			roots = append(roots, r)
		}
	}
	sort.SliceStable(roots, func(i, j int) bool { return roots[i].Sort < roots[j].Sort })
	return roots
}

// RegionByID returns one region of the tenant in ctx. Returns NotFound if
// the id names no region of this tenant.
//
// Regions are never changed or deleted once created (only with their
// tenant), so a region found is kept in memory: checkout, stock and
// delivery ask for the same few regions on every request.
func RegionByID(ctx context.Context, idb bun.IDB, id string) (*Region, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, errNotFound
	}
	key := regionKey{ID(ctx), id}
	if r, ok := regionCache.Load(key); ok {
		c := *r.(*Region)
		return &c, nil
	}
	r := new(Region)
	if err := idb.NewSelect().Model(r).Where("tenant_id = ? AND id = ?", key.tenant, id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	if regionCount.Load() < maxCachedRegions {
		c := *r
		if _, loaded := regionCache.LoadOrStore(key, &c); !loaded {
			regionCount.Add(1)
		}
	}
	return r, nil
}

// The regions RegionByID found, by tenant and id; at most
// maxCachedRegions of them (beyond that they are read each time).
var (
	regionCache sync.Map
	regionCount atomic.Int64
)

const maxCachedRegions = 100000

type regionKey struct{ tenant, id string }

// RegionInput is what a tenant admin submits to create a region.
type RegionInput struct {
	ParentID string `json:"parent_id"`
	Code     string `json:"code"`
	Name     string `json:"name"`
	Sort     int    `json:"sort"`
}

// CreateRegion adds a region to the tenant in ctx: a city when ParentID is
// empty, otherwise a district of that city. Returns Invalid with field
// errors for bad input and when the code is taken.
func CreateRegion(ctx context.Context, idb bun.IDB, in RegionInput) (*Region, error) {
	var fe core.FieldErrors
	name := validate.Text(&fe, "name", in.Name, 1, 40)
	code := validate.Slug(&fe, "code", in.Code)
	r := &Region{TenantID: ID(ctx), ID: NewID(), Code: code, Name: name, Level: LevelCity, Sort: in.Sort, CreatedAt: time.Now().UTC()}
	if in.ParentID != "" {
		p, err := RegionByID(ctx, idb, in.ParentID)
		switch {
		case core.IsNotFound(err):
			fe.Add("parent_id", "field.invalid")
		case err != nil:
			return nil, err
		case p.Level != LevelCity:
			fe.Add("parent_id", "field.invalid")
		default:
			r.ParentID = &p.ID
			r.Level = LevelDistrict
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if _, err := idb.NewInsert().Model(r).Exec(ctx); err != nil {
		if isUnique(err) {
			fe.Add("code", "field.slug_taken")
			return nil, fe.Err()
		}
		return nil, fmt.Errorf("create region %s: %w", code, err)
	}
	return r, nil
}

func isUnique(err error) bool {
	s := err.Error()
	return strings.Contains(s, "SQLSTATE 23505") || strings.Contains(s, "UNIQUE constraint failed")
}
