// Command hello is the smallest useful Jishi plugin, the one to copy when
// writing a new one: a fixed discount on carts that reach a threshold
// (AdjustCart), a badge announcing it on product pages (SlotContent) and
// checks of its settings (ValidateConfig). It imports only plugins/sdk and
// plugins/proto, and never prints to stdout.
package main

import (
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
)

// settingsSchema is the JSON Schema of the settings; the admin console builds
// its form from it and the host checks it before ValidateConfig.
const settingsSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "threshold_fen": {"type": "integer", "minimum": 0, "title": "Cart subtotal that earns the discount (fen)"},
    "off_fen": {"type": "integer", "minimum": 1, "title": "Discount (fen)"}
  },
  "required": ["threshold_fen", "off_fen"],
  "additionalProperties": false
}`

// manifest declares everything the host may call.
var manifest = &pluginv1.Manifest{
	Name:        "hello",
	Version:     "0.1.0",
	DisplayName: "Hello discount",
	Description: "A fixed discount on carts that reach a threshold, with a badge on product pages.",
	Hooks: []*pluginv1.HookSpec{
		{Name: pluginv1.HookName_HOOK_NAME_ADJUST_CART, DeadlineMs: 200, FailurePolicy: pluginv1.FailurePolicy_FAILURE_POLICY_FAIL_OPEN},
		{Name: pluginv1.HookName_HOOK_NAME_SLOT_CONTENT, DeadlineMs: 100},
	},
	Slots:              []*pluginv1.SlotSpec{{Name: badgeSlot, DeadlineMs: 100}},
	SettingsSchemaJson: []byte(settingsSchema),
}

func main() {
	sdk.Serve(manifest, newHello())
}
