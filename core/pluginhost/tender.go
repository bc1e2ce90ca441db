package pluginhost

import (
	"context"
	"errors"
	"strings"
	"time"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
)

// defaultTenderDeadline bounds a tender call whose manifest declares no
// deadline.
const defaultTenderDeadline = 10 * time.Second

// TenderProviderName is the payment provider name of plugin's tender
// ("plugin_giftcard"): a checkout pays with it by naming it as provider,
// and the ledger clears its money through tender_clearing under it.
func TenderProviderName(plugin string) string {
	return "plugin_" + strings.ReplaceAll(plugin, "-", "_")
}

// TenderPlugin returns the plugin behind a provider name, when an
// installed plugin declares the tender hook; "" otherwise.
func (h *Host) TenderPlugin(provider string) string {
	if h.Supervisor == nil || !strings.HasPrefix(provider, "plugin_") {
		return ""
	}
	for _, name := range h.Supervisor.Names() {
		if TenderProviderName(name) != provider {
			continue
		}
		m := h.Supervisor.LastManifest(name)
		if m == nil || hookSpec(m, pluginv1.HookName_HOOK_NAME_TENDER) != nil {
			return name // a plugin not described yet is asked, and fails closed
		}
	}
	return ""
}

// ErrTenderInactive is returned for a tender of a plugin that is not
// switched on for every shop the payment pays.
var ErrTenderInactive = errors.New("not switched on for every shop of the payment")

// TenderCall makes one tender call (authorize, capture, void or refund) to
// plugin for the tenant of c, which must be active for every shop of
// shops (each with its region). Tenders fail closed: any failure — the
// plugin down, late, failing, its circuit open — is an error (an
// UnavailableError), never a silent success.
func (h *Host) TenderCall(ctx context.Context, c Call, plugin string, shops map[string]string,
	fn func(ctx context.Context, client pluginv1.PluginClient, tc *pluginv1.TenantContext) (*pluginv1.TenderResponse, error)) (*pluginv1.TenderResponse, error) {
	if h.Supervisor == nil {
		return nil, &UnavailableError{Plugin: plugin, Err: errors.New("no plugins")}
	}
	r, err := h.Switches.Resolve(ctx, c.Tenant.ID, plugin)
	if err != nil {
		return nil, err
	}
	for shop, region := range shops {
		if !r.ActiveFor(region, shop) {
			return nil, &UnavailableError{Plugin: plugin, Err: ErrTenderInactive}
		}
	}
	client, err := h.Supervisor.Client(plugin)
	if err != nil {
		return nil, &UnavailableError{Plugin: plugin, Err: err}
	}
	m, err := h.Supervisor.Manifest(plugin)
	if err != nil {
		return nil, &UnavailableError{Plugin: plugin, Err: err}
	}
	spec := hookSpec(m, pluginv1.HookName_HOOK_NAME_TENDER)
	if spec == nil {
		return nil, &UnavailableError{Plugin: plugin, Err: errors.New("does not declare the tender hook")}
	}
	var res *pluginv1.TenderResponse
	err = h.invoke(ctx, target{name: plugin, client: client, manifest: m, resolved: r, spec: spec}, defaultTenderDeadline,
		func(ctx context.Context) error {
			dl, _ := ctx.Deadline()
			var err error
			res, err = fn(ctx, client, h.tenantContext(plugin, m, r, c, "tender", dl))
			return err
		})
	if err != nil {
		return nil, &UnavailableError{Plugin: plugin, Err: err}
	}
	return res, nil
}
