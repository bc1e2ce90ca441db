package groupbuy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"time"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
)

// AdminCampaign is a campaign in the merchant's list, with its groups
// counted by status.
type AdminCampaign struct {
	*Campaign
	Open      int `json:"groups_open"`
	Succeeded int `json:"groups_succeeded"`
	Failed    int `json:"groups_failed"`
}

// adminCampaigns answers GET /campaigns in a shop's console.
func (p *Plugin) adminCampaigns(ctx context.Context, c *httpCall) error {
	t := c.t
	if t.ShopID == "" {
		return errShopRequired
	}
	var cs []*Campaign
	if err := p.st.DB.NewSelect().Model(&cs).Where("tenant_id = ?", t.ID).Where("shop_id = ?", t.ShopID).
		OrderExpr("created_at DESC, id").Limit(200).Scan(ctx); err != nil {
		return fmt.Errorf("campaigns: %w", err)
	}
	var counts []struct {
		CampaignID string `bun:"campaign_id"`
		Status     string `bun:"status"`
		N          int    `bun:"n"`
	}
	if err := p.st.DB.NewSelect().Table("groupbuy_groups").Column("campaign_id", "status").ColumnExpr("count(*) AS n").
		Where("tenant_id = ?", t.ID).Where("shop_id = ?", t.ShopID).Group("campaign_id", "status").Scan(ctx, &counts); err != nil {
		return fmt.Errorf("group counts: %w", err)
	}
	rows := make([]AdminCampaign, len(cs))
	at := make(map[string]*AdminCampaign, len(cs))
	for i, camp := range cs {
		rows[i].Campaign = camp
		at[camp.ID] = &rows[i]
	}
	for _, n := range counts {
		r := at[n.CampaignID]
		if r == nil {
			continue
		}
		switch n.Status {
		case GroupOpen:
			r.Open += n.N
		case GroupSucceeded:
			r.Succeeded += n.N
		case GroupFailed:
			r.Failed += n.N
		}
	}
	s, err := p.settings(t)
	if err != nil {
		return err
	}
	used, err := p.monthUsage(ctx, t, p.clock().In(p.zone).Format("2006-01"))
	if err != nil {
		return err
	}
	if c.wantJSON {
		return c.json(http.StatusOK, map[string]any{"campaigns": rows, "month_used": used, "month_included": s.IncludedCampaignsPerMonth})
	}
	return p.html(c, http.StatusOK, "groupbuy.page.campaigns", "admin_campaigns.html", struct {
		base
		Campaigns      []AdminCampaign
		Used, Included int
	}{c.base(), rows, used, s.IncludedCampaignsPerMonth})
}

// campaignForm is the data of the new-campaign form.
type campaignForm struct {
	base
	Form   url.Values
	Errors map[string]string // JSON pointer ("" for the whole form) → message
}

// Value returns the form's value of name.
func (f campaignForm) Value(name string) string { return f.Form.Get(name) }

// Checked reports whether the checkbox name is ticked.
func (f campaignForm) Checked(name string) bool { return f.Form.Get(name) != "" }

// adminNewCampaign answers GET /campaigns/new: the form with defaults.
func (p *Plugin) adminNewCampaign(ctx context.Context, c *httpCall) error {
	if c.t.ShopID == "" {
		return errShopRequired
	}
	now := p.clock().In(p.zone)
	start := now.Truncate(time.Minute) // live at once; the merchant may move it
	form := url.Values{
		"group_size": {"3"}, "fill_hours": {"24"}, "per_shopper_limit": {"1"}, "quota": {"100"},
		"virtual_success_pct": {"0"}, "solo_allowed": {"on"},
		"starts_at": {start.Format(formTime)}, "ends_at": {start.AddDate(0, 0, 7).Format(formTime)},
	}
	for _, k := range []string{"product_id", "sku_id"} {
		if v := c.r.URL.Query().Get(k); v != "" {
			form.Set(k, v)
		}
	}
	return p.html(c, http.StatusOK, "groupbuy.page.new", "admin_form.html", campaignForm{base: c.base(), Form: form})
}

// adminCreateCampaign answers POST /campaigns: 303 to the new campaign, or
// 400 with the form and its field errors (JSON in, JSON out: 201 with the
// campaign, or 400 {"errors": [...]}).
func (p *Plugin) adminCreateCampaign(ctx context.Context, c *httpCall) error {
	t := c.t
	if t.ShopID == "" {
		return errShopRequired
	}
	var in CampaignInput
	var errs []*pluginv1.FieldError
	var form url.Values
	ct, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	isJSON := ct == "application/json"
	if isJSON {
		in, errs = parseCampaignJSON(t, c.req.GetBody())
	} else {
		var err error
		if form, err = url.ParseQuery(string(c.req.GetBody())); err != nil {
			form = url.Values{}
		}
		in, errs = p.parseCampaignForm(t, form)
		if err != nil {
			errs = append(errs, fieldError(t, "", "groupbuy.input.invalid"))
		}
	}
	var camp *Campaign
	if len(errs) == 0 {
		var err error
		camp, errs, err = p.CreateCampaign(ctx, t, c.req.GetIdentity().GetUserId(), in)
		if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		if isJSON || c.wantJSON {
			return c.json(http.StatusBadRequest, map[string]any{"errors": errs})
		}
		msgs := map[string]string{}
		for _, e := range errs {
			if _, ok := msgs[e.GetField()]; !ok {
				msgs[e.GetField()] = e.GetMessage()
			}
		}
		return p.html(c, http.StatusBadRequest, "groupbuy.page.new", "admin_form.html", campaignForm{base: c.base(), Form: form, Errors: msgs})
	}
	if isJSON || c.wantJSON {
		return c.json(http.StatusCreated, camp)
	}
	return c.redirect("/campaigns/" + camp.ID)
}

// AdminGroup is a group of a campaign with its members, for the merchant.
type AdminGroup struct {
	*Group
	Members []*Member `json:"members"`
	Paid    int       `json:"paid"`
}

// adminCampaign answers GET /campaigns/{id} in a shop's console: the
// campaign's groups and members and the revenue of filled groups.
func (p *Plugin) adminCampaign(ctx context.Context, c *httpCall) error {
	t := c.t
	if t.ShopID == "" {
		return errShopRequired
	}
	camp := new(Campaign)
	err := p.st.DB.NewSelect().Model(camp).Where("tenant_id = ?", t.ID).Where("shop_id = ?", t.ShopID).
		Where("id = ?", c.r.PathValue("id")).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return errNotFound
	}
	if err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	var gs []*Group
	if err := p.st.DB.NewSelect().Model(&gs).Where("tenant_id = ?", t.ID).Where("campaign_id = ?", camp.ID).
		OrderExpr("opened_at DESC, id").Limit(200).Scan(ctx); err != nil {
		return fmt.Errorf("groups: %w", err)
	}
	var ms []*Member
	if err := p.st.DB.NewSelect().Model(&ms).Where("tenant_id = ?", t.ID).Where("campaign_id = ?", camp.ID).
		Order("group_id", "position").Scan(ctx); err != nil {
		return fmt.Errorf("members: %w", err)
	}
	groups := make([]AdminGroup, len(gs))
	at := make(map[string]*AdminGroup, len(gs))
	for i, g := range gs {
		groups[i].Group = g
		at[g.ID] = &groups[i]
	}
	var revenue, pending int64
	for _, m := range ms {
		g := at[m.GroupID]
		if g == nil {
			continue
		}
		g.Members = append(g.Members, m)
		if m.Status != MemberPaid {
			continue
		}
		g.Paid++
		switch g.Status {
		case GroupSucceeded:
			revenue += m.TotalFen
		case GroupOpen:
			pending += m.TotalFen
		}
	}
	if c.wantJSON {
		return c.json(http.StatusOK, map[string]any{"campaign": camp, "groups": groups, "revenue_fen": revenue, "pending_fen": pending})
	}
	return p.html(c, http.StatusOK, "groupbuy.page.results", "admin_campaign.html", struct {
		base
		Campaign         *Campaign
		Groups           []AdminGroup
		Revenue, Pending int64
	}{c.base(), camp, groups, revenue, pending})
}

// adminChange answers POST /campaigns/{id}/{action}: 303 back (to the
// campaign in a shop's console, to the approvals in the tenant's), or the
// campaign as JSON; 404 for a campaign the call may not see, 409 when its
// state does not allow the action.
func (p *Plugin) adminChange(action string) routeHandler {
	return func(ctx context.Context, c *httpCall) error {
		if (action == "pause" || action == "resume") && c.t.ShopID == "" {
			return errShopRequired
		}
		camp, err := p.ChangeCampaign(ctx, c.t, c.r.PathValue("id"), action)
		if err != nil {
			return err
		}
		if c.wantJSON {
			return c.json(http.StatusOK, camp)
		}
		if action == "approve" || action == "reject" {
			return c.redirect("/approvals")
		}
		return c.redirect("/campaigns/" + camp.ID)
	}
}

// approvals answers GET /approvals in the tenant's console: campaigns of
// the shops the call admits waiting for approval.
func (p *Plugin) approvals(ctx context.Context, c *httpCall) error {
	t := c.t
	var cs []*Campaign
	q := p.st.DB.NewSelect().Model(&cs).Where("tenant_id = ?", t.ID).Where("status = ?", CampaignPendingApproval).
		OrderExpr("created_at, id").Limit(200)
	if err := inScope(q, t).Scan(ctx); err != nil {
		return fmt.Errorf("campaigns awaiting approval: %w", err)
	}
	out := make([]*Campaign, 0, len(cs))
	for _, camp := range cs {
		if t.ActiveFor(camp.RegionID, camp.ShopID) {
			out = append(out, camp)
		}
	}
	if c.wantJSON {
		return c.json(http.StatusOK, map[string]any{"campaigns": out})
	}
	return p.html(c, http.StatusOK, "groupbuy.page.approvals", "approvals.html", struct {
		base
		Campaigns []*Campaign
	}{c.base(), out})
}
