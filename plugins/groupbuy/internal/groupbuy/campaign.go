package groupbuy

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
	"github.com/uptrace/bun"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Limits of a campaign.
const (
	MinGroupSize = 2
	MaxGroupSize = 50
	MinFillHours = 1
	MaxFillHours = 72
	MaxTitle     = 100
)

// CampaignInput is a campaign a merchant creates, as JSON
// (POST /campaigns with Content-Type application/json) or from the form.
type CampaignInput struct {
	Title             string    `json:"title"`
	ProductID         string    `json:"product_id"`
	SkuID             string    `json:"sku_id"`
	GroupPriceFen     int64     `json:"group_price_fen"`
	LeaderPriceFen    int64     `json:"leader_price_fen"`
	GroupSize         int       `json:"group_size"`
	FillHours         int       `json:"fill_hours"`
	StartsAt          time.Time `json:"starts_at"`
	EndsAt            time.Time `json:"ends_at"`
	PerShopperLimit   int       `json:"per_shopper_limit"`
	Quota             int64     `json:"quota"`
	SoloAllowed       *bool     `json:"solo_allowed"` // default true
	VirtualSuccessPct int       `json:"virtual_success_pct"`
	DailySpecial      bool      `json:"daily_special"`
	WeeklyDeal        bool      `json:"weekly_deal"`
}

// parseCampaignJSON decodes a JSON campaign.
func parseCampaignJSON(t *sdk.Tenant, body []byte) (CampaignInput, []*pluginv1.FieldError) {
	var in CampaignInput
	if err := json.Unmarshal(body, &in); err != nil {
		return in, []*pluginv1.FieldError{fieldError(t, "", "groupbuy.input.invalid")}
	}
	return in, nil
}

// formTime is the layout of a datetime-local input, in the tenant's zone.
const formTime = "2006-01-02T15:04"

// parseCampaignForm reads the HTML form: prices in yuan ("9.90"), times in
// the tenant's zone. A blank leader price is the group price.
func (p *Plugin) parseCampaignForm(t *sdk.Tenant, form url.Values) (CampaignInput, []*pluginv1.FieldError) {
	var in CampaignInput
	var errs []*pluginv1.FieldError
	get := func(k string) string { return strings.TrimSpace(form.Get(k)) }
	in.Title, in.ProductID, in.SkuID = get("title"), get("product_id"), get("sku_id")
	price := func(name, field string) int64 {
		v := get(name)
		if v == "" {
			return 0
		}
		fen, ok := parseYuan(v)
		if !ok {
			errs = append(errs, fieldError(t, field, "groupbuy.price.invalid"))
		}
		return fen
	}
	in.GroupPriceFen = price("group_price", "/group_price_fen")
	in.LeaderPriceFen = price("leader_price", "/leader_price_fen")
	if get("leader_price") == "" {
		in.LeaderPriceFen = in.GroupPriceFen
	}
	integer := func(name string) int64 {
		v := get(name)
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			errs = append(errs, fieldError(t, "/"+name, "groupbuy.number.invalid"))
		}
		return n
	}
	in.GroupSize = int(integer("group_size"))
	in.FillHours = int(integer("fill_hours"))
	in.PerShopperLimit = int(integer("per_shopper_limit"))
	in.Quota = integer("quota")
	in.VirtualSuccessPct = int(integer("virtual_success_pct"))
	when := func(name string) time.Time {
		v := get(name)
		if v == "" {
			return time.Time{}
		}
		tm, err := time.ParseInLocation(formTime, v, p.zone)
		if err != nil {
			errs = append(errs, fieldError(t, "/"+name, "groupbuy.time.invalid"))
		}
		return tm
	}
	in.StartsAt, in.EndsAt = when("starts_at"), when("ends_at")
	solo := form.Get("solo_allowed") != ""
	in.SoloAllowed = &solo
	in.DailySpecial = form.Get("daily_special") != ""
	in.WeeklyDeal = form.Get("weekly_deal") != ""
	return in, errs
}

// validateCampaign checks the rules that need no catalog; field errors use
// the JSON API's pointers.
func validateCampaign(t *sdk.Tenant, in *CampaignInput) []*pluginv1.FieldError {
	var errs []*pluginv1.FieldError
	add := func(field, key string, kv ...string) { errs = append(errs, fieldError(t, field, key, kv...)) }
	if utf8.RuneCountInString(in.Title) > MaxTitle {
		add("/title", "groupbuy.title.max", "max", strconv.Itoa(MaxTitle))
	}
	if in.ProductID == "" {
		add("/product_id", "groupbuy.product_id.required")
	}
	if in.SkuID == "" {
		add("/sku_id", "groupbuy.sku_id.required")
	}
	if in.GroupSize < MinGroupSize || in.GroupSize > MaxGroupSize {
		add("/group_size", "groupbuy.group_size.range", "min", strconv.Itoa(MinGroupSize), "max", strconv.Itoa(MaxGroupSize))
	}
	if in.GroupPriceFen <= 0 {
		add("/group_price_fen", "groupbuy.group_price_fen.min")
	}
	switch {
	case in.LeaderPriceFen <= 0:
		add("/leader_price_fen", "groupbuy.leader_price_fen.min")
	case in.GroupPriceFen > 0 && in.LeaderPriceFen > in.GroupPriceFen:
		add("/leader_price_fen", "groupbuy.leader_price_fen.max")
	}
	switch {
	case in.StartsAt.IsZero():
		add("/starts_at", "groupbuy.starts_at.required")
	case in.EndsAt.IsZero():
		add("/ends_at", "groupbuy.ends_at.required")
	case !in.EndsAt.After(in.StartsAt):
		add("/ends_at", "groupbuy.ends_at.after_start")
	}
	if in.FillHours < MinFillHours || in.FillHours > MaxFillHours {
		add("/fill_hours", "groupbuy.fill_hours.range", "min", strconv.Itoa(MinFillHours), "max", strconv.Itoa(MaxFillHours))
	}
	if in.PerShopperLimit < 1 {
		add("/per_shopper_limit", "groupbuy.per_shopper_limit.min")
	}
	if in.Quota < 1 {
		add("/quota", "groupbuy.quota.min")
	}
	if in.VirtualSuccessPct < 0 || in.VirtualSuccessPct > 100 {
		add("/virtual_success_pct", "groupbuy.virtual_success_pct.range")
	}
	return errs
}

// hasField reports whether errs has an error for field.
func hasField(errs []*pluginv1.FieldError, field string) bool {
	for _, e := range errs {
		if e.GetField() == field {
			return true
		}
	}
	return false
}

// errFieldErrors carries field errors out of a transaction.
type errFieldErrors []*pluginv1.FieldError

func (e errFieldErrors) Error() string { return "invalid campaign" }

// CreateCampaign creates a campaign for the call's shop after checking in
// against its rules and the catalog (GetProducts answers only that shop's
// products): the SKU must be the shop's, the group price below the SKU's
// price (the regular price), the quota within its available stock. It
// returns field errors for what is wrong. A shop past the month's included
// campaigns is refused ("" field) unless extra campaigns are allowed; such
// a campaign is billable, and its usage is recorded once it is active. The
// campaign waits for approval when the tenant requires it.
func (p *Plugin) CreateCampaign(ctx context.Context, t *sdk.Tenant, createdBy string, in CampaignInput) (*Campaign, []*pluginv1.FieldError, error) {
	if t.ShopID == "" {
		return nil, nil, fmt.Errorf("create campaign: no shop in the call")
	}
	s, err := p.settings(t)
	if err != nil {
		return nil, nil, err
	}
	in.Title = strings.TrimSpace(in.Title)
	errs := validateCampaign(t, &in)
	var product *pluginv1.Product
	var sku *pluginv1.Sku
	if in.ProductID != "" && in.SkuID != "" {
		resp, err := sdk.Host(t).GetProducts(ctx, &pluginv1.GetProductsRequest{ProductIds: []string{in.ProductID}})
		switch {
		case status.Code(err) == codes.NotFound: // another shop's product
			resp = &pluginv1.GetProductsResponse{}
		case err != nil:
			return nil, nil, fmt.Errorf("create campaign: read product %s: %w", in.ProductID, err)
		}
		for _, pr := range resp.GetProducts() {
			if pr.GetId() != in.ProductID || pr.GetShopId() != t.ShopID {
				continue
			}
			for _, sk := range pr.GetSkus() {
				if sk.GetId() == in.SkuID {
					product, sku = pr, sk
				}
			}
		}
		if sku == nil {
			errs = append(errs, fieldError(t, "/sku_id", "groupbuy.sku_id.not_found"))
		}
	}
	if sku != nil {
		if in.GroupPriceFen > 0 && in.GroupPriceFen >= sku.GetPriceFen() && !hasField(errs, "/group_price_fen") {
			errs = append(errs, fieldError(t, "/group_price_fen", "groupbuy.group_price_fen.below_regular", "regular", yuan(sku.GetPriceFen())))
		}
		if in.Quota > sku.GetStockAvailable() && !hasField(errs, "/quota") {
			errs = append(errs, fieldError(t, "/quota", "groupbuy.quota.stock", "stock", strconv.FormatInt(sku.GetStockAvailable(), 10)))
		}
	}
	if len(errs) > 0 {
		return nil, errs, nil
	}

	now := p.clock()
	c := &Campaign{
		TenantID: t.ID, ID: newID(), ShopID: t.ShopID, RegionID: t.RegionID, ProductID: in.ProductID, SkuID: in.SkuID,
		Title: in.Title, ImageURL: product.GetImageUrl(), GroupPriceFen: in.GroupPriceFen, LeaderPriceFen: in.LeaderPriceFen,
		RegularPriceFen: sku.GetPriceFen(), GroupSize: in.GroupSize, FillHours: in.FillHours,
		StartsAt: in.StartsAt.UTC().Truncate(time.Microsecond), EndsAt: in.EndsAt.UTC().Truncate(time.Microsecond),
		PerShopperLimit: in.PerShopperLimit, Quota: in.Quota, SoloAllowed: in.SoloAllowed == nil || *in.SoloAllowed,
		VirtualSuccessPct: in.VirtualSuccessPct, DailySpecial: in.DailySpecial, WeeklyDeal: in.WeeklyDeal,
		Status: CampaignActive, UsageMonth: now.In(p.zone).Format("2006-01"), CreatedAt: now, CreatedBy: createdBy, UpdatedAt: now,
	}
	if c.Title == "" {
		c.Title = product.GetName()
		if sku.GetName() != "" {
			c.Title += " " + sku.GetName()
		}
		if utf8.RuneCountInString(c.Title) > MaxTitle {
			c.Title = string([]rune(c.Title)[:MaxTitle])
		}
	}
	if s.RequireApproval {
		c.Status = CampaignPendingApproval
	}
	err = p.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		included, err := p.takeIncluded(ctx, tx, t, c.UsageMonth, s.IncludedCampaignsPerMonth)
		if err != nil {
			return err
		}
		if !included {
			if !s.ExtraCampaignsAllowed {
				return errFieldErrors{fieldError(t, "", "groupbuy.campaign.monthly_limit", "included", strconv.Itoa(s.IncludedCampaignsPerMonth))}
			}
			c.Billable = true
			if _, err := tx.NewRaw(`INSERT INTO groupbuy_campaign_usage (tenant_id, shop_id, month, included_used, extra_used)
				VALUES (?, ?, ?, 0, 1)
				ON CONFLICT (tenant_id, shop_id, month) DO UPDATE SET extra_used = groupbuy_campaign_usage.extra_used + 1`,
				t.ID, t.ShopID, c.UsageMonth).Exec(ctx); err != nil {
				return fmt.Errorf("count extra campaign: %w", err)
			}
		}
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return fmt.Errorf("insert campaign: %w", err)
		}
		return nil
	})
	var fe errFieldErrors
	if errors.As(err, &fe) {
		return nil, fe, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("create campaign: %w", err)
	}
	if c.Billable && c.Status == CampaignActive {
		if err := p.settleUsage(ctx, t); err != nil {
			// The next event or job run records it.
			t.Logger().Warn("campaign usage not recorded yet", "campaign", c.ID, "error", err)
		}
	}
	p.hot.forget(t.ID, c.ShopID) // a cart without group-buy lines sees it at once
	return c, nil, nil
}

// takeIncluded counts one of the month's included campaigns for the shop and
// reports whether one was left.
func (p *Plugin) takeIncluded(ctx context.Context, tx bun.Tx, t *sdk.Tenant, month string, included int) (bool, error) {
	if included <= 0 {
		return false, nil
	}
	var used []int
	err := tx.NewRaw(`INSERT INTO groupbuy_campaign_usage (tenant_id, shop_id, month, included_used, extra_used)
		VALUES (?, ?, ?, 1, 0)
		ON CONFLICT (tenant_id, shop_id, month) DO UPDATE SET included_used = groupbuy_campaign_usage.included_used + 1
		WHERE groupbuy_campaign_usage.included_used < ?
		RETURNING included_used`, t.ID, t.ShopID, month, included).Scan(ctx, &used)
	if err != nil {
		return false, fmt.Errorf("count included campaign: %w", err)
	}
	return len(used) == 1, nil
}

// monthUsage returns how many campaigns the shop created in the month.
func (p *Plugin) monthUsage(ctx context.Context, t *sdk.Tenant, month string) (int, error) {
	var u campaignUsage
	err := p.st.DB.NewSelect().Model(&u).Where("tenant_id = ?", t.ID).Where("shop_id = ?", t.ShopID).Where("month = ?", month).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("campaign usage: %w", err)
	}
	return u.IncludedUsed + u.ExtraUsed, nil
}

// errState is returned for a state change the campaign's state does not allow.
var errState = errors.New("campaign state does not allow this")

// errNotFound is returned for a campaign or group the caller may not see.
var errNotFound = errors.New("not found")

// transitions are the state changes of the admin routes: from → to.
var transitions = map[string][2]string{
	"pause":   {CampaignActive, CampaignPaused},
	"resume":  {CampaignPaused, CampaignActive},
	"approve": {CampaignPendingApproval, CampaignActive},
	"reject":  {CampaignPendingApproval, CampaignRejected},
}

// ChangeCampaign applies action ("pause", "resume", "approve", "reject")
// to campaign id. The campaign must be visible to the call: the call's
// shop's own, or on a tenant-wide call one of a shop the scope admits;
// otherwise errNotFound. errState when the campaign is not in the state
// the action starts from. A rejected campaign gives its month's slot back.
func (p *Plugin) ChangeCampaign(ctx context.Context, t *sdk.Tenant, id, action string) (*Campaign, error) {
	tr, ok := transitions[action]
	if !ok {
		return nil, fmt.Errorf("change campaign: unknown action %q", action)
	}
	now := p.clock()
	c := new(Campaign)
	err := p.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewSelect().Model(c).Where("tenant_id = ?", t.ID).Where("id = ?", id)
		if p.st.Postgres() {
			q = q.For("UPDATE")
		}
		if err := inScope(q, t).Scan(ctx); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return errNotFound
			}
			return err
		}
		if !t.ActiveFor(c.RegionID, c.ShopID) {
			return errNotFound
		}
		if c.Status != tr[0] {
			return errState
		}
		c.Status, c.UpdatedAt = tr[1], now
		if _, err := tx.NewUpdate().Model(c).Column("status", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		if action == "reject" {
			col := "included_used"
			if c.Billable {
				col = "extra_used"
			}
			if _, err := tx.NewRaw("UPDATE groupbuy_campaign_usage SET ? = ? - 1 WHERE tenant_id = ? AND shop_id = ? AND month = ? AND ? > 0",
				bun.Ident(col), bun.Ident(col), t.ID, c.ShopID, c.UsageMonth, bun.Ident(col)).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, errNotFound) || errors.Is(err, errState) {
			return nil, err
		}
		return nil, fmt.Errorf("%s campaign %s: %w", action, id, err)
	}
	if c.Billable && c.Status == CampaignActive {
		if err := p.settleUsage(ctx, t); err != nil {
			t.Logger().Warn("campaign usage not recorded yet", "campaign", c.ID, "error", err)
		}
	}
	p.hot.forget(t.ID, c.ShopID) // a cart without group-buy lines sees it at once
	return c, nil
}
