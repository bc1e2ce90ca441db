package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/payment"
	"github.com/jishi-dev/jishi/core/pluginhost"
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/tenants"
)

// pluginTender is a payment provider served by a plugin's tender hooks
// (a gift card, a voucher). Paying is two-phase with idempotency keys
// derived from the payment: authorize, then capture, both in the
// checkout's transaction; if that transaction does not commit, the
// capture is refunded (or the authorisation voided) through the plugin.
// Every failure fails the checkout (tenders fail closed).
type pluginTender struct {
	a      *App
	plugin string
}

func (t *pluginTender) Name() string { return pluginhost.TenderProviderName(t.plugin) }

// call makes one tender call for the payment's shops.
func (t *pluginTender) call(ctx context.Context, tx bun.IDB, p *payment.Payment,
	fn func(ctx context.Context, c pluginv1.PluginClient, tc *pluginv1.TenantContext) (*pluginv1.TenderResponse, error)) (*pluginv1.TenderResponse, error) {
	var shops []string
	for _, pt := range p.Parts {
		shops = append(shops, pt.ShopID)
	}
	regions, err := shopRegions(ctx, tx, shops)
	if err != nil {
		return nil, err
	}
	c := pluginhost.Call{Tenant: tenants.MustFromContext(ctx), RequestID: httpx.RequestID(ctx), Locale: i18n.FromContext(ctx)}
	return t.a.Plugins.Host.TenderCall(ctx, c, t.plugin, regions, fn)
}

// declined is the checkout's answer to a tender the plugin declined.
func declined(res *pluginv1.TenderResponse) error {
	msg := res.GetDeclineMessage()
	if msg == "" {
		msg = "payment.field.declined"
	}
	return &core.Error{Code: core.Invalid, Message: "payment.error.declined", Fields: map[string]string{"provider": msg}}
}

// unavailable is the checkout's answer to a tender that could not be made.
func (t *pluginTender) unavailable(err error) error {
	return &core.Error{Code: core.Unavailable, Message: "plugin.unavailable", Args: []any{t.plugin}, Err: err}
}

// Pay implements payment.Provider.
func (t *pluginTender) Pay(ctx context.Context, tx bun.IDB, p *payment.Payment) (string, error) {
	currency := tenants.MustFromContext(ctx).Currency
	// Whatever happens from here, a checkout that does not commit gives
	// back what the plugin took: the capture refunded, else the
	// authorisation voided (both keyed on the payment, so repeating them
	// does nothing new).
	var authRef, captureRef string
	db.AfterRollback(ctx, func() { t.undo(context.WithoutCancel(ctx), tx, p, authRef, captureRef) })
	res, err := t.call(ctx, tx, p, func(ctx context.Context, c pluginv1.PluginClient, tc *pluginv1.TenantContext) (*pluginv1.TenderResponse, error) {
		return c.AuthorizeTender(ctx, &pluginv1.AuthorizeTenderRequest{Tenant: tc, PaymentId: p.ID, CheckoutGroupId: p.GroupRef,
			CustomerId: p.User(), AmountFen: p.AmountFen, Currency: currency, IdempotencyKey: "authorize-" + p.ID})
	})
	switch {
	case err != nil:
		return "", t.unavailable(err)
	case res.GetStatus() == pluginv1.TenderStatus_TENDER_STATUS_DECLINED:
		return "", declined(res)
	case res.GetStatus() != pluginv1.TenderStatus_TENDER_STATUS_AUTHORIZED || res.GetAmountFen() != p.AmountFen:
		return "", t.unavailable(fmt.Errorf("authorize answered %s for %d fen of %d", res.GetStatus(), res.GetAmountFen(), p.AmountFen))
	}
	authRef = res.GetProviderReference()
	res, err = t.call(ctx, tx, p, func(ctx context.Context, c pluginv1.PluginClient, tc *pluginv1.TenantContext) (*pluginv1.TenderResponse, error) {
		return c.CaptureTender(ctx, &pluginv1.CaptureTenderRequest{Tenant: tc, PaymentId: p.ID, ProviderReference: authRef,
			AmountFen: p.AmountFen, Currency: currency, IdempotencyKey: "capture-" + p.ID})
	})
	if err != nil {
		return "", t.unavailable(err)
	}
	if res.GetStatus() != pluginv1.TenderStatus_TENDER_STATUS_CAPTURED || res.GetAmountFen() != p.AmountFen {
		return "", t.unavailable(fmt.Errorf("capture answered %s for %d fen of %d", res.GetStatus(), res.GetAmountFen(), p.AmountFen))
	}
	captureRef = res.GetProviderReference()
	if captureRef == "" {
		captureRef = authRef
	}
	p.ProviderRef = captureRef
	return payment.StatusPaid, nil
}

// undo gives back what a payment took when its checkout rolled back.
func (t *pluginTender) undo(ctx context.Context, tx bun.IDB, p *payment.Payment, authRef, captureRef string) {
	if authRef == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	currency := tenants.MustFromContext(ctx).Currency
	_, err := t.call(ctx, t.a.DB.DB, p, func(ctx context.Context, c pluginv1.PluginClient, tc *pluginv1.TenantContext) (*pluginv1.TenderResponse, error) {
		if captureRef != "" {
			return c.RefundTender(ctx, &pluginv1.RefundTenderRequest{Tenant: tc, PaymentId: p.ID, ProviderReference: captureRef,
				AmountFen: p.AmountFen, Currency: currency, IdempotencyKey: "rollback-" + p.ID, Reason: "checkout rolled back"})
		}
		return c.VoidTender(ctx, &pluginv1.VoidTenderRequest{Tenant: tc, PaymentId: p.ID, ProviderReference: authRef,
			IdempotencyKey: "void-" + p.ID})
	})
	if err != nil {
		slog.Error("plugin tender not given back after a rolled-back checkout", "plugin", t.plugin, "payment", p.ID,
			"captured", captureRef != "", "error", err)
	}
}

// Refund implements payment.Provider: the plugin returns amountFen of the
// captured payment, keyed on the refund.
func (t *pluginTender) Refund(ctx context.Context, tx bun.IDB, p *payment.Payment, orderID string, amountFen int64, ref string) error {
	res, err := t.call(ctx, tx, p, func(ctx context.Context, c pluginv1.PluginClient, tc *pluginv1.TenantContext) (*pluginv1.TenderResponse, error) {
		return c.RefundTender(ctx, &pluginv1.RefundTenderRequest{Tenant: tc, PaymentId: p.ID, ProviderReference: p.ProviderRef,
			AmountFen: amountFen, Currency: tenants.MustFromContext(ctx).Currency, IdempotencyKey: "refund-" + ref,
			Reason: "order " + orderID})
	})
	if err != nil {
		return t.unavailable(err)
	}
	if res.GetStatus() == pluginv1.TenderStatus_TENDER_STATUS_DECLINED {
		return declined(res)
	}
	if res.GetStatus() != pluginv1.TenderStatus_TENDER_STATUS_REFUNDED {
		return t.unavailable(errors.New("refund answered " + res.GetStatus().String()))
	}
	return nil
}

// tenderFallback answers the payment registry's unknown names: the
// tender of an installed plugin that declares it.
func (a *App) tenderFallback(name string) (payment.Provider, bool) {
	if a.Plugins == nil {
		return nil, false
	}
	if p := a.Plugins.Host.TenderPlugin(name); p != "" {
		return &pluginTender{a: a, plugin: p}, true
	}
	return nil, false
}
