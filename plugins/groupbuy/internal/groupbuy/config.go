package groupbuy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
)

// settingsSchema is the JSON Schema of the plugin's settings; the admin
// console builds its form from it and the host checks it before
// ValidateConfig.
const settingsSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "require_approval": {
      "type": "boolean", "default": false,
      "title": "New campaigns wait for the tenant's approval (新活动需平台审核)"
    },
    "included_campaigns_per_month": {
      "type": "integer", "minimum": 0, "maximum": 100, "default": 2,
      "title": "Campaigns included per shop and month (每店每月赠送拼团场次)"
    },
    "extra_campaigns_allowed": {
      "type": "boolean", "default": false,
      "title": "Shops may create more campaigns, billed as usage (超出后按次计费)"
    },
    "invite_rebate_fen": {
      "type": "integer", "minimum": 0, "default": 300,
      "title": "Invite rebate coupon value, fen (邀请返利券面额，分)"
    },
    "invite_rebate_min_spend_fen": {
      "type": "integer", "minimum": 0, "default": 2000,
      "title": "Minimum spend to use the rebate, fen (返利券使用门槛，分)"
    }
  },
  "additionalProperties": false
}`

// Settings are the plugin's settings for one tenant, region and shop, with
// the schema's defaults filled in.
type Settings struct {
	RequireApproval           bool  `json:"require_approval"`
	IncludedCampaignsPerMonth int   `json:"included_campaigns_per_month"`
	ExtraCampaignsAllowed     bool  `json:"extra_campaigns_allowed"`
	InviteRebateFen           int64 `json:"invite_rebate_fen"`
	InviteRebateMinSpendFen   int64 `json:"invite_rebate_min_spend_fen"`
}

// DefaultSettings are the settings of a tenant that has saved none.
func DefaultSettings() Settings {
	return Settings{IncludedCampaignsPerMonth: 2, InviteRebateFen: 300, InviteRebateMinSpendFen: 2000}
}

// parseSettings decodes settings over the defaults and checks them,
// returning field errors for what is wrong.
func parseSettings(t *sdk.Tenant, raw []byte) (Settings, []*pluginv1.FieldError) {
	s := DefaultSettings()
	if len(bytes.TrimSpace(raw)) == 0 {
		return s, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, []*pluginv1.FieldError{messages.FieldError(t, "", "groupbuy.config.invalid", nil)}
	}
	var errs []*pluginv1.FieldError
	if s.IncludedCampaignsPerMonth < 0 || s.IncludedCampaignsPerMonth > 100 {
		errs = append(errs, messages.FieldError(t, "/included_campaigns_per_month", "groupbuy.included_campaigns_per_month.range", nil))
	}
	if s.InviteRebateFen < 0 {
		errs = append(errs, messages.FieldError(t, "/invite_rebate_fen", "groupbuy.invite_rebate_fen.min", nil))
	}
	if s.InviteRebateMinSpendFen < 0 {
		errs = append(errs, messages.FieldError(t, "/invite_rebate_min_spend_fen", "groupbuy.invite_rebate_min_spend_fen.min", nil))
	}
	// A rebate as large as the spend it needs would make orders free.
	if s.InviteRebateFen > 0 && s.InviteRebateMinSpendFen > 0 && s.InviteRebateFen >= s.InviteRebateMinSpendFen {
		errs = append(errs, messages.FieldError(t, "/invite_rebate_fen", "groupbuy.invite_rebate_fen.below_min_spend",
			map[string]string{"min_spend": yuan(s.InviteRebateMinSpendFen)}))
	}
	return s, errs
}

// buildSettings is the factory of the per-tenant settings cache.
func buildSettings(t *sdk.Tenant) (*Settings, error) {
	s, errs := parseSettings(t, t.Config)
	if len(errs) > 0 {
		return nil, fmt.Errorf("settings version %d: %s %s", t.ConfigVersion, errs[0].GetField(), errs[0].GetMessageKey())
	}
	return &s, nil
}

// ValidateConfig reports what is wrong with settings an admin is saving
// beyond the schema: the rebate must stay below its minimum spend when both
// are set.
func (p *Plugin) ValidateConfig(_ context.Context, t *sdk.Tenant, configJSON []byte) ([]*pluginv1.FieldError, error) {
	_, errs := parseSettings(t, configJSON)
	return errs, nil
}

// settings returns the tenant's settings, built once per config version.
func (p *Plugin) settings(t *sdk.Tenant) (*Settings, error) {
	s, err := p.configs.Get(t)
	if err != nil {
		return nil, sdk.Invalid("groupbuy: %v", err)
	}
	return s, nil
}
