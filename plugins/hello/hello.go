package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
)

// badgeSlot is the storefront slot hello fills on product pages.
const badgeSlot = "product.badge"

// messages holds hello's texts in zh-CN and en.
var messages = sdk.Messages{
	"hello.config.invalid":         {"zh-CN": "设置不是有效的 JSON 对象", "en": "Settings are not a valid JSON object"},
	"hello.threshold_fen.required": {"zh-CN": "请填写门槛金额", "en": "Threshold is required"},
	"hello.threshold_fen.min":      {"zh-CN": "门槛金额不能为负数", "en": "Threshold cannot be negative"},
	"hello.off_fen.required":       {"zh-CN": "请填写优惠金额", "en": "Discount is required"},
	"hello.off_fen.min":            {"zh-CN": "优惠金额至少为 1 分", "en": "Discount must be at least 1 fen"},
	"hello.off_fen.max":            {"zh-CN": "优惠金额不能超过门槛 {max}", "en": "Discount cannot exceed the threshold of {max}"},
	"hello.adjustment.label":       {"zh-CN": "满{threshold}减{off}", "en": "{off} off orders of {threshold} or more"},
	"hello.badge":                  {"zh-CN": "满{threshold}减{off}", "en": "{off} off {threshold}+"},
}

// config is hello's settings for one tenant, region and shop.
type config struct {
	ThresholdFen *int64 `json:"threshold_fen"`
	OffFen       *int64 `json:"off_fen"`
}

// rule is what hello builds from a valid config and caches per tenant.
type rule struct {
	thresholdFen, offFen int64
}

// hello implements the plugin. It embeds sdk.Unimplemented and adds the
// hooks its manifest declares.
type hello struct {
	sdk.Unimplemented
	rules *sdk.Instances[*rule]
}

func newHello() *hello {
	return &hello{rules: sdk.NewInstances(10_000, buildRule)}
}

// buildRule turns a tenant's config into a rule; it runs once per tenant,
// region, shop and config version.
func buildRule(t *sdk.Tenant) (*rule, error) {
	cfg, errs := parseConfig(t, t.Config)
	if len(errs) > 0 {
		return nil, fmt.Errorf("config version %d: %s", t.ConfigVersion, errs[0].GetMessageKey())
	}
	return &rule{thresholdFen: *cfg.ThresholdFen, offFen: *cfg.OffFen}, nil
}

// parseConfig decodes and checks settings, returning field errors.
func parseConfig(t *sdk.Tenant, raw []byte) (config, []*pluginv1.FieldError) {
	var cfg config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return cfg, []*pluginv1.FieldError{messages.FieldError(t, "", "hello.config.invalid", nil)}
	}
	var errs []*pluginv1.FieldError
	switch {
	case cfg.ThresholdFen == nil:
		errs = append(errs, messages.FieldError(t, "/threshold_fen", "hello.threshold_fen.required", nil))
	case *cfg.ThresholdFen < 0:
		errs = append(errs, messages.FieldError(t, "/threshold_fen", "hello.threshold_fen.min", nil))
	}
	switch {
	case cfg.OffFen == nil:
		errs = append(errs, messages.FieldError(t, "/off_fen", "hello.off_fen.required", nil))
	case *cfg.OffFen < 1:
		errs = append(errs, messages.FieldError(t, "/off_fen", "hello.off_fen.min", nil))
	case cfg.ThresholdFen != nil && *cfg.ThresholdFen >= 0 && *cfg.OffFen > *cfg.ThresholdFen:
		errs = append(errs, messages.FieldError(t, "/off_fen", "hello.off_fen.max",
			map[string]string{"max": strconv.FormatInt(*cfg.ThresholdFen, 10)}))
	}
	return cfg, errs
}

// ValidateConfig reports what is wrong with settings an admin is saving.
func (h *hello) ValidateConfig(_ context.Context, t *sdk.Tenant, configJSON []byte) ([]*pluginv1.FieldError, error) {
	_, errs := parseConfig(t, configJSON)
	return errs, nil
}

// AdjustCart takes off_fen off a shop's lines when their subtotal reaches
// threshold_fen, spread over the lines in proportion to their subtotals.
func (h *hello) AdjustCart(_ context.Context, t *sdk.Tenant, req *pluginv1.AdjustCartRequest) (*pluginv1.AdjustCartResponse, error) {
	r, err := h.rules.Get(t)
	if err != nil {
		return nil, sdk.Invalid("hello: %v", err)
	}
	// The lines are what the discount falls on, so their sum is the subtotal.
	var subtotal int64
	for _, l := range req.GetLines() {
		subtotal += max(0, l.GetSubtotalFen())
	}
	if subtotal < r.thresholdFen || subtotal <= 0 {
		return &pluginv1.AdjustCartResponse{}, nil
	}
	off := min(r.offFen, subtotal)
	params := map[string]string{"threshold": yuan(r.thresholdFen), "off": yuan(r.offFen)}
	return &pluginv1.AdjustCartResponse{Adjustments: []*pluginv1.Adjustment{{
		Code:        "hello.fixed-off",
		Label:       messages.Text(t.Locale, "hello.adjustment.label", params),
		AmountFen:   -off,
		Allocations: allocate(-off, req.GetLines()),
	}}}, nil
}

// allocate spreads amount (at most the lines' subtotal) over lines in
// proportion to their subtotals; the fen left over by rounding go one each
// to the first lines with room, so the allocations add up to amount exactly.
func allocate(amount int64, lines []*pluginv1.CartLine) []*pluginv1.LineAllocation {
	var total int64
	for _, l := range lines {
		total += max(0, l.GetSubtotalFen())
	}
	if total == 0 {
		return nil
	}
	sign, abs := int64(1), amount
	if amount < 0 {
		sign, abs = -1, -amount
	}
	out := make([]*pluginv1.LineAllocation, 0, len(lines))
	var given int64
	for _, l := range lines {
		share := abs * max(0, l.GetSubtotalFen()) / total
		given += share
		out = append(out, &pluginv1.LineAllocation{LineId: l.GetLineId(), AmountFen: share})
	}
	for i := 0; given < abs; i = (i + 1) % len(out) {
		if lines[i].GetSubtotalFen() > out[i].AmountFen {
			out[i].AmountFen++
			given++
		}
	}
	for _, a := range out {
		a.AmountFen *= sign
	}
	return out
}

// SlotContent fills the product badge with the tenant's offer.
func (h *hello) SlotContent(_ context.Context, t *sdk.Tenant, _ *pluginv1.SlotContentRequest) (*pluginv1.SlotContentResponse, error) {
	r, err := h.rules.Get(t)
	if err != nil {
		return nil, sdk.Invalid("hello: %v", err)
	}
	params := map[string]string{"threshold": yuan(r.thresholdFen), "off": yuan(r.offFen)}
	return &pluginv1.SlotContentResponse{
		Items:        []*pluginv1.SlotItem{{Badge: messages.Text(t.Locale, "hello.badge", params)}},
		CacheSeconds: 60,
	}, nil
}

// yuan formats fen as yuan for people: 1990 → "19.90", 10000 → "100".
func yuan(fen int64) string {
	if fen%100 == 0 {
		return strconv.FormatInt(fen/100, 10)
	}
	return fmt.Sprintf("%d.%02d", fen/100, fen%100)
}
