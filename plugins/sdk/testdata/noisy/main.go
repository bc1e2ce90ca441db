// Command noisy is a plugin that breaks the rule: it prints to stdout in an
// init function, in main before Serve and inside a hook. The SDK's tests
// check that it still starts and serves.
package main

import (
	"context"
	"fmt"
	"syscall"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
)

func init() { fmt.Println("noisy: stray print in init") }

type noisy struct{ sdk.Unimplemented }

func (noisy) AdjustCart(_ context.Context, t *sdk.Tenant, req *pluginv1.AdjustCartRequest) (*pluginv1.AdjustCartResponse, error) {
	fmt.Println("noisy: stray print in AdjustCart")
	_, _ = syscall.Write(1, []byte("noisy: stray write to descriptor 1\n"))
	return &pluginv1.AdjustCartResponse{Adjustments: []*pluginv1.Adjustment{{Code: "noisy.echo", Label: t.ID, AmountFen: -req.GetSubtotalFen()}}}, nil
}

func main() {
	fmt.Println("noisy: stray print before Serve")
	sdk.Serve(&pluginv1.Manifest{
		Name:    "noisy",
		Version: "0.0.1",
		Hooks:   []*pluginv1.HookSpec{{Name: pluginv1.HookName_HOOK_NAME_ADJUST_CART}},
	}, noisy{})
}
