package groupbuy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// checkoutURL is the host's buy-now checkout for one unit of the campaign's
// SKU with the line attributes that open (no group) or join a group.
func checkoutURL(base string, c *Campaign, groupID, inviter string) string {
	u := base + "/checkout?sku=" + url.QueryEscape(c.SkuID) + "&qty=1&attr." + AttrCampaign + "=" + url.QueryEscape(c.ID)
	if groupID != "" {
		u += "&attr." + AttrGroup + "=" + url.QueryEscape(groupID)
	}
	if inviter != "" {
		u += "&attr." + AttrInviter + "=" + url.QueryEscape(inviter)
	}
	return u
}

// CampaignView is a campaign as shoppers see it.
type CampaignView struct {
	ID              string    `json:"id"`
	ShopID          string    `json:"shop_id"`
	ProductID       string    `json:"product_id"`
	SkuID           string    `json:"sku_id"`
	Title           string    `json:"title"`
	ImageURL        string    `json:"image_url,omitempty"`
	GroupPriceFen   int64     `json:"group_price_fen"`
	LeaderPriceFen  int64     `json:"leader_price_fen"`
	RegularPriceFen int64     `json:"regular_price_fen"`
	GroupSize       int       `json:"group_size"`
	FillHours       int       `json:"fill_hours"`
	StartsAt        time.Time `json:"starts_at"`
	EndsAt          time.Time `json:"ends_at"`
	Remaining       int64     `json:"remaining"`
	DailySpecial    bool      `json:"daily_special"`
	WeeklyDeal      bool      `json:"weekly_deal"`
	Status          string    `json:"status"`
	Live            bool      `json:"live"`
	URL             string    `json:"url"`
	OpenGroupURL    string    `json:"open_group_url,omitempty"`
}

func (p *Plugin) campaignView(c *Campaign, mount, base, inviter string, now time.Time) CampaignView {
	v := CampaignView{
		ID: c.ID, ShopID: c.ShopID, ProductID: c.ProductID, SkuID: c.SkuID, Title: c.Title, ImageURL: c.ImageURL,
		GroupPriceFen: c.GroupPriceFen, LeaderPriceFen: c.LeaderPriceFen, RegularPriceFen: c.RegularPriceFen,
		GroupSize: c.GroupSize, FillHours: c.FillHours, StartsAt: c.StartsAt, EndsAt: c.EndsAt, Remaining: c.Remaining(),
		DailySpecial: c.DailySpecial, WeeklyDeal: c.WeeklyDeal, Status: c.Status, Live: c.Live(now),
		URL: mount + "/campaigns/" + c.ID,
	}
	if v.Live && v.Remaining > 0 {
		v.OpenGroupURL = checkoutURL(base, c, "", inviter)
	}
	return v
}

// today answers GET /today: live campaigns of the shops the call admits,
// daily specials first, then weekly deals, then those ending soonest.
func (p *Plugin) today(ctx context.Context, c *httpCall) error {
	t, now := c.t, p.clock()
	var cs []Campaign
	q := p.st.DB.NewSelect().Model(&cs).Where("tenant_id = ?", t.ID).Where("status = ?", CampaignActive).
		Where("starts_at <= ?", now).Where("ends_at > ?", now).
		OrderExpr("daily_special DESC, weekly_deal DESC, ends_at, id").Limit(200)
	if err := inScope(q, t).Scan(ctx); err != nil {
		return fmt.Errorf("today's campaigns: %w", err)
	}
	views := make([]CampaignView, 0, len(cs))
	for i := range cs {
		if t.ActiveFor(cs[i].RegionID, cs[i].ShopID) {
			views = append(views, p.campaignView(&cs[i], c.req.GetMount(), c.req.GetBase(), "", now))
		}
	}
	if c.wantJSON {
		return c.json(http.StatusOK, map[string]any{"campaigns": views})
	}
	return p.html(c, http.StatusOK, "groupbuy.page.today", "today.html", struct {
		base
		Campaigns []CampaignView
	}{c.base(), views})
}

// visibleCampaign reads a campaign shoppers may see: of a shop the call
// admits, approved (active, paused or ended). errNotFound otherwise.
func (p *Plugin) visibleCampaign(ctx context.Context, t *sdk.Tenant, id string) (*Campaign, error) {
	c := new(Campaign)
	q := p.st.DB.NewSelect().Model(c).Where("tenant_id = ?", t.ID).Where("id = ?", id).
		Where("status IN ('active', 'paused', 'ended')")
	if err := inScope(q, t).Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errNotFound
		}
		return nil, fmt.Errorf("campaign %s: %w", id, err)
	}
	if !t.ActiveFor(c.RegionID, c.ShopID) {
		return nil, errNotFound
	}
	return c, nil
}

// GroupView is a group as shoppers see it.
type GroupView struct {
	ID         string       `json:"id"`
	CampaignID string       `json:"campaign_id"`
	Status     string       `json:"status"`
	GroupSize  int          `json:"group_size"`
	Paid       int          `json:"paid"`
	Seats      int          `json:"seats"`
	Need       int          `json:"need"`
	ExpiresAt  time.Time    `json:"expires_at,omitzero"`
	Remaining  string       `json:"remaining,omitempty"`
	Leader     string       `json:"leader"`
	Members    []MemberView `json:"members,omitempty"`
	URL        string       `json:"url"`
	JoinURL    string       `json:"join_url,omitempty"`
	InviteURL  string       `json:"invite_url,omitempty"`
	Joined     bool         `json:"joined"`
	Note       string       `json:"note,omitempty"`
}

// MemberView is a member as other shoppers see it: a masked nickname.
type MemberView struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	Status string `json:"status"`
	You    bool   `json:"you,omitempty"`
}

// groupRow is a group with its member counts.
type groupRow struct {
	Group `bun:",extend"`
	Paid  int `bun:"paid"`
	Seats int `bun:"seats"`
}

const groupCounts = `(SELECT count(*) FROM groupbuy_members AS m WHERE m.tenant_id = g.tenant_id AND m.group_id = g.id AND m.status = 'paid') AS paid,
	(SELECT count(*) FROM groupbuy_members AS m WHERE m.tenant_id = g.tenant_id AND m.group_id = g.id AND m.status IN ('pending', 'paid')) AS seats`

// remaining says how long is left until at, for people.
func remaining(locale string, now, at time.Time) string {
	d := at.Sub(now)
	if d <= 0 {
		return text(locale, "groupbuy.page.expired")
	}
	h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
	return text(locale, "groupbuy.page.remaining", "h", itoa(h), "m", itoa(m))
}

// customerNames returns the masked nicknames of customers, best effort: a
// failed read leaves them masked as "***".
func customerNames(ctx context.Context, t *sdk.Tenant, ids []string) map[string]string {
	names := make(map[string]string, len(ids))
	for _, id := range ids {
		names[id] = maskName("")
	}
	if len(ids) == 0 {
		return names
	}
	resp, err := sdk.Host(t).GetCustomers(ctx, &pluginv1.GetCustomersRequest{CustomerIds: ids[:min(len(ids), 100)]})
	if err != nil {
		t.Logger().Warn("customer names not read", "error", err)
		return names
	}
	for _, cu := range resp.GetCustomers() {
		names[cu.GetId()] = maskName(cu.GetDisplayName())
	}
	return names
}

// campaignPage answers GET /campaigns/{id} on the storefront: the offer,
// the button that opens a group, and the open groups to join.
func (p *Plugin) campaignPage(ctx context.Context, c *httpCall) error {
	t, now := c.t, p.clock()
	camp, err := p.visibleCampaign(ctx, t, c.r.PathValue("id"))
	if err != nil {
		return err
	}
	viewer := c.req.GetIdentity().GetUserId()
	inviter := c.r.URL.Query().Get("inviter")
	if inviter == viewer {
		inviter = ""
	}
	var rows []groupRow
	err = p.st.DB.NewSelect().TableExpr("groupbuy_groups AS g").ColumnExpr("g.*").ColumnExpr(groupCounts).
		Where("g.tenant_id = ?", t.ID).Where("g.campaign_id = ?", camp.ID).Where("g.status = ?", GroupOpen).
		Where("g.expires_at > ?", now).OrderExpr("g.expires_at, g.id").Limit(20).Scan(ctx, &rows)
	if err != nil {
		return fmt.Errorf("open groups of %s: %w", camp.ID, err)
	}
	leaders := make([]string, 0, len(rows))
	for _, r := range rows {
		leaders = append(leaders, r.LeaderCustomerID)
	}
	names := customerNames(ctx, t, leaders)
	view := p.campaignView(camp, c.req.GetMount(), c.req.GetBase(), inviter, now)
	groups := make([]GroupView, 0, len(rows))
	for _, r := range rows {
		g := GroupView{
			ID: r.ID, CampaignID: r.CampaignID, Status: r.Status, GroupSize: r.GroupSize, Paid: r.Paid, Seats: r.Seats,
			Need: max(0, r.GroupSize-r.Paid), ExpiresAt: r.ExpiresAt, Remaining: remaining(t.Locale, now, r.ExpiresAt),
			Leader: names[r.LeaderCustomerID], URL: c.req.GetMount() + "/groups/" + r.ID,
		}
		if view.Live && r.Seats < r.GroupSize && r.LeaderCustomerID != viewer {
			g.JoinURL = checkoutURL(c.req.GetBase(), camp, r.ID, inviter)
		}
		groups = append(groups, g)
	}
	if c.wantJSON {
		return c.json(http.StatusOK, map[string]any{"campaign": view, "groups": groups})
	}
	return p.html(c, http.StatusOK, "groupbuy.page.group", "campaign.html", struct {
		base
		Campaign CampaignView
		Groups   []GroupView
	}{c.base(), view, groups})
}

// groupPage answers GET /groups/{id}: members, progress, countdown, the
// invite link and the button that joins.
func (p *Plugin) groupPage(ctx context.Context, c *httpCall) error {
	t, now := c.t, p.clock()
	var row groupRow
	q := p.st.DB.NewSelect().TableExpr("groupbuy_groups AS g").ColumnExpr("g.*").ColumnExpr(groupCounts).
		Where("g.tenant_id = ?", t.ID).Where("g.id = ?", c.r.PathValue("id"))
	if err := q.Scan(ctx, &row); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return errNotFound
		}
		return fmt.Errorf("group: %w", err)
	}
	camp, err := p.visibleCampaign(ctx, t, row.CampaignID)
	if err != nil {
		return err
	}
	var ms []Member
	if err := p.st.DB.NewSelect().Model(&ms).Where("tenant_id = ?", t.ID).Where("group_id = ?", row.ID).
		Where("status IN ('pending', 'paid')").Order("position").Scan(ctx); err != nil {
		return fmt.Errorf("members of group %s: %w", row.ID, err)
	}
	viewer := c.req.GetIdentity().GetUserId()
	inviter := c.r.URL.Query().Get("inviter")
	if inviter == viewer {
		inviter = ""
	}
	ids := make([]string, 0, len(ms))
	for _, m := range ms {
		ids = append(ids, m.CustomerID)
	}
	names := customerNames(ctx, t, ids)
	mount := c.req.GetMount()
	g := GroupView{
		ID: row.ID, CampaignID: row.CampaignID, Status: row.Status, GroupSize: row.GroupSize, Paid: row.Paid, Seats: row.Seats,
		Need: max(0, row.GroupSize-row.Paid), ExpiresAt: row.ExpiresAt, Leader: names[row.LeaderCustomerID],
		URL: mount + "/groups/" + row.ID,
	}
	if !row.ExpiresAt.IsZero() {
		g.Remaining = remaining(t.Locale, now, row.ExpiresAt)
	}
	for _, m := range ms {
		you := viewer != "" && m.CustomerID == viewer
		g.Joined = g.Joined || you
		g.Members = append(g.Members, MemberView{Name: names[m.CustomerID], Role: m.Role, Status: m.Status, You: you})
	}
	if viewer != "" {
		g.InviteURL = mount + "/groups/" + row.ID + "?inviter=" + url.QueryEscape(viewer)
	}
	open := row.Status == GroupOpen && row.ExpiresAt.After(now)
	switch {
	case row.Status != GroupOpen && row.Status != GroupPending:
		g.Note = text(t.Locale, "groupbuy.page.group_status_note."+row.Status)
	case row.Status == GroupPending:
		g.Note = text(t.Locale, "groupbuy.page.group_status_note.pending")
	case g.Joined:
		g.Note = text(t.Locale, "groupbuy.page.group_status_note.already")
	case !camp.Live(now) || camp.Remaining() <= 0 || !open:
		g.Note = text(t.Locale, "groupbuy.page.group_status_note.not_available")
	case row.Seats >= row.GroupSize:
		g.Note = text(t.Locale, "groupbuy.page.group_status_note.full")
	default:
		g.JoinURL = checkoutURL(c.req.GetBase(), camp, row.ID, inviter)
	}
	view := p.campaignView(camp, mount, c.req.GetBase(), inviter, now)
	if c.wantJSON {
		return c.json(http.StatusOK, map[string]any{"campaign": view, "group": g})
	}
	return p.html(c, http.StatusOK, "groupbuy.page.group", "group.html", struct {
		base
		Campaign CampaignView
		Group    GroupView
		Empty    int
	}{c.base(), view, g, max(0, row.GroupSize-len(g.Members))})
}
