package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/plugins/groupbuy/internal/groupbuy"
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
	"github.com/jishi-dev/jishi/plugins/sdk/sdktest"
	"github.com/jishi-dev/jishi/plugins/sdk/store"
	"google.golang.org/protobuf/proto"
)

// TestBinary builds the real plugin, starts it the way the host does with a
// database of its own, and calls it.
func TestBinary(t *testing.T) {
	bin := sdktest.Build(t, ".")
	for _, driver := range []string{store.SQLite, store.Postgres} {
		t.Run(driver, func(t *testing.T) {
			host := sdktest.NewHost(t)
			p := sdktest.SpawnEnv(t, bin, append(sdktest.StoreEnv(t, driver), host.Env()...))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			d, err := p.Describe(ctx, &pluginv1.DescribeRequest{MinProtocolVersion: pluginv1.MinProtocolVersion, MaxProtocolVersion: pluginv1.ProtocolVersion})
			if err != nil {
				t.Fatalf("Describe: %v", err)
			}
			m := d.GetManifest()
			want := groupbuy.Manifest()
			want.ProtocolVersion = pluginv1.ProtocolVersion
			if !proto.Equal(m, want) {
				t.Errorf("manifest = %v\nwant %v", m, want)
			}
			if m.GetName() != "groupbuy" || m.GetVersion() != "0.1.0" || len(m.GetHooks()) != 5 || len(m.GetRoutes()) != 12 {
				t.Errorf("manifest = %v", m)
			}
			h, err := p.Health(ctx, &pluginv1.HealthRequest{})
			if err != nil || h.GetStatus() != pluginv1.HealthStatus_HEALTH_STATUS_SERVING {
				t.Fatalf("Health = %v, %v\n%s", h, err, p.Output())
			}
			// The migrated database answers a hook.
			tc := &pluginv1.TenantContext{TenantId: "t1", RegionId: "r1", ShopId: "s1", Capability: "cap", Locale: "en"}
			resp, err := p.SlotContent(ctx, &pluginv1.SlotContentRequest{Tenant: tc, Slot: groupbuy.SlotBadge, ProductId: "p1"})
			if err != nil || len(resp.GetItems()) != 0 {
				t.Errorf("SlotContent = %v, %v", resp, err)
			}
		})
	}
}

// TestBinaryWithoutDatabase: a process started without a database named
// exits at once, saying why.
func TestBinaryWithoutDatabase(t *testing.T) {
	cmd := exec.Command(sdktest.Build(t, "."))
	cmd.Env = append(os.Environ(), sdk.MagicCookieKey+"="+sdk.MagicCookieValue, store.DriverEnv+"=", store.DSNEnv+"=")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), store.DriverEnv) {
		t.Fatalf("run without a database: %v\n%s", err, out)
	}
}
