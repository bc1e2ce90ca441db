// Package catalog holds what a marketplace sells: the tenant's category
// tree, and each shop's products with their SKUs (prices in fen) and
// images (Service). Products sit in leaf categories; listing by a
// category includes the categories below it.
package catalog

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/validate"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Category is a node of a tenant's category tree.
type Category struct {
	bun.BaseModel `bun:"table:categories"`

	TenantID  string    `bun:"tenant_id,pk" json:"-"`
	ID        string    `bun:"id,pk" json:"id"`
	ParentID  *string   `bun:"parent_id" json:"parent_id,omitempty"`
	Code      string    `bun:"code,notnull" json:"code"`
	Name      string    `bun:"name,notnull" json:"name"`
	NameEn    string    `bun:"name_en,notnull" json:"name_en"`
	Sort      int       `bun:"sort,notnull" json:"sort"`
	CreatedAt time.Time `bun:"created_at,notnull" json:"-"`

	Children []*Category `bun:"-" json:"children,omitempty"`
}

// Label returns the name in locale ("en" uses NameEn when set).
func (c *Category) Label(locale string) string {
	if locale == "en" && c.NameEn != "" {
		return c.NameEn
	}
	return c.Name
}

// Tree returns the tenant's (from ctx) categories as a forest, each level
// ordered by sort.
func Tree(ctx context.Context, idb bun.IDB) ([]*Category, error) {
	var cs []*Category
	if err := db.Select(ctx, idb, &cs).Order("sort", "code").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	byID := map[string]*Category{}
	for _, c := range cs {
		byID[c.ID] = c
	}
	var roots []*Category
	for _, c := range cs {
		if c.ParentID != nil && byID[*c.ParentID] != nil {
			p := byID[*c.ParentID]
			p.Children = append(p.Children, c)
		} else {
			roots = append(roots, c)
		}
	}
	sort.SliceStable(roots, func(i, j int) bool { return roots[i].Sort < roots[j].Sort })
	return roots, nil
}

// CategoryInput is one category to create; Children are created beneath
// it.
type CategoryInput struct {
	Code     string          `json:"code"`
	Name     string          `json:"name"`
	NameEn   string          `json:"name_en"`
	Children []CategoryInput `json:"children,omitempty"`
}

// CreateTree adds the categories of in (recursively) under parent (nil for
// top level) for the tenant in ctx. Returns Invalid with field errors for
// bad names or codes, or a code already in use.
func CreateTree(ctx context.Context, tx bun.IDB, parent *string, in []CategoryInput) error {
	for i, c := range in {
		var fe core.FieldErrors
		name := validate.Text(&fe, "name", c.Name, 1, 30)
		nameEn := validate.Text(&fe, "name_en", c.NameEn, 0, 60)
		code := validate.Slug(&fe, "code", c.Code)
		if err := fe.Err(); err != nil {
			return err
		}
		cat := &Category{TenantID: tenants.ID(ctx), ID: tenants.NewID(), ParentID: parent, Code: code,
			Name: name, NameEn: nameEn, Sort: i, CreatedAt: time.Now().UTC()}
		if _, err := tx.NewInsert().Model(cat).Exec(ctx); err != nil {
			if db.IsUniqueViolation(err) {
				fe.Add("code", "field.slug_taken")
				return fe.Err()
			}
			return fmt.Errorf("create category %s: %w", code, err)
		}
		if err := CreateTree(ctx, tx, &cat.ID, c.Children); err != nil {
			return err
		}
	}
	return nil
}

// DefaultTree is the co-op marketplace's category tree from the seed
// plans: 生鲜食材, 粮油干货, 新鲜水果, 名优特产, 套餐卡券.
var DefaultTree = []CategoryInput{
	{Code: "fresh", Name: "生鲜食材", NameEn: "Fresh food", Children: []CategoryInput{
		{Code: "vegetables", Name: "蔬菜", NameEn: "Vegetables"},
		{Code: "mushrooms", Name: "菌菇", NameEn: "Mushrooms"},
		{Code: "meat", Name: "猪牛羊肉", NameEn: "Pork, beef & lamb"},
		{Code: "poultry", Name: "鸡鸭", NameEn: "Chicken & duck"},
	}},
	{Code: "grain-oil", Name: "粮油干货", NameEn: "Grain, oil & dry goods", Children: []CategoryInput{
		{Code: "rice", Name: "大米", NameEn: "Rice"},
		{Code: "grains", Name: "杂粮", NameEn: "Coarse grains"},
		{Code: "camellia-oil", Name: "茶油", NameEn: "Camellia oil"},
		{Code: "cooking-oil", Name: "食用油", NameEn: "Cooking oil"},
	}},
	{Code: "fruit", Name: "新鲜水果", NameEn: "Fresh fruit", Children: []CategoryInput{
		{Code: "apples", Name: "苹果", NameEn: "Apples"},
		{Code: "strawberries", Name: "草莓", NameEn: "Strawberries"},
		{Code: "melons", Name: "瓜果类", NameEn: "Melons"},
	}},
	{Code: "specialty", Name: "名优特产", NameEn: "Regional specialties", Children: []CategoryInput{
		{Code: "tea", Name: "茶叶", NameEn: "Tea"},
		{Code: "honey", Name: "蜂蜜", NameEn: "Honey"},
		{Code: "local-specialty", Name: "特产", NameEn: "Local specialties"},
	}},
	{Code: "cards", Name: "套餐卡券", NameEn: "Bundles & cards", Children: []CategoryInput{
		{Code: "meal-kits", Name: "食材套餐", NameEn: "Meal kits"},
		{Code: "pickup-cards", Name: "提货卡", NameEn: "Pickup cards"},
		{Code: "stored-value-cards", Name: "充值卡", NameEn: "Stored-value cards"},
		{Code: "monthly-delivery", Name: "包月配送", NameEn: "Monthly delivery"},
	}},
}
