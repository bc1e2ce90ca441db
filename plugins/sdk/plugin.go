package sdk

import (
	"context"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
)

// Plugin is what Serve serves. Implementations embed Unimplemented and add
// the methods of the hook interfaces below for the hooks their manifest
// declares; Serve refuses to start when a declared hook is not implemented.
// A hook that is not both declared and implemented answers UNIMPLEMENTED.
type Plugin interface {
	// Health reports whether the process can serve; a non-nil error answers
	// NOT_SERVING with the error's text. Unimplemented reports serving.
	Health(ctx context.Context) error

	embedsUnimplemented()
}

// Unimplemented is the base every Plugin embeds. It implements no hook, and
// reports the process healthy.
type Unimplemented struct{}

// Health reports the process as serving.
func (Unimplemented) Health(context.Context) error { return nil }

func (Unimplemented) embedsUnimplemented() {}

// CartAdjuster serves the AdjustCart hook (HOOK_NAME_ADJUST_CART): discounts
// and fees for one shop's lines of a cart. Amounts are fen, negative for a
// discount; allocations, when given, add up to the adjustment's amount.
type CartAdjuster interface {
	AdjustCart(ctx context.Context, t *Tenant, req *pluginv1.AdjustCartRequest) (*pluginv1.AdjustCartResponse, error)
}

// TenderProvider serves the tender hooks (HOOK_NAME_TENDER): a way to pay.
// Every call carries an idempotency key; a retry with the same key must not
// move money again.
type TenderProvider interface {
	AuthorizeTender(ctx context.Context, t *Tenant, req *pluginv1.AuthorizeTenderRequest) (*pluginv1.TenderResponse, error)
	CaptureTender(ctx context.Context, t *Tenant, req *pluginv1.CaptureTenderRequest) (*pluginv1.TenderResponse, error)
	VoidTender(ctx context.Context, t *Tenant, req *pluginv1.VoidTenderRequest) (*pluginv1.TenderResponse, error)
	RefundTender(ctx context.Context, t *Tenant, req *pluginv1.RefundTenderRequest) (*pluginv1.TenderResponse, error)
}

// EventHandler serves the HandleEvent hook (HOOK_NAME_HANDLE_EVENT). Delivery
// is at least once: dedupe on the event id. An error makes the host retry.
type EventHandler interface {
	HandleEvent(ctx context.Context, t *Tenant, req *pluginv1.HandleEventRequest) (*pluginv1.HandleEventResponse, error)
}

// JobRunner serves the RunJob hook (HOOK_NAME_RUN_JOB): one run of one of the
// manifest's jobs for one tenant. Calls for jobs the manifest does not
// declare answer INVALID_ARGUMENT without reaching RunJob.
type JobRunner interface {
	RunJob(ctx context.Context, t *Tenant, req *pluginv1.RunJobRequest) (*pluginv1.RunJobResponse, error)
}

// RouteHandler serves the HandleHTTP hook (HOOK_NAME_HANDLE_HTTP): one HTTP
// request the host authenticated and proxied to one of the manifest's routes.
type RouteHandler interface {
	HandleHTTP(ctx context.Context, t *Tenant, req *pluginv1.HandleHTTPRequest) (*pluginv1.HandleHTTPResponse, error)
}

// SlotFiller serves the SlotContent hook (HOOK_NAME_SLOT_CONTENT): structured
// content for one storefront slot, never HTML. Calls for slots the manifest
// does not declare answer INVALID_ARGUMENT without reaching SlotContent.
type SlotFiller interface {
	SlotContent(ctx context.Context, t *Tenant, req *pluginv1.SlotContentRequest) (*pluginv1.SlotContentResponse, error)
}

// ConfigValidator checks settings an admin is saving, beyond the settings
// JSON Schema the host has already applied. It returns field errors (see
// Messages.FieldError), not an error, for settings that are wrong; an error
// means the check itself failed. A plugin without it accepts every config
// that passes the schema.
type ConfigValidator interface {
	ValidateConfig(ctx context.Context, t *Tenant, configJSON []byte) ([]*pluginv1.FieldError, error)
}
