package sdktest

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
)

// SpawnEnv is Spawn with env ("NAME=value" entries, such as FakeHost.Env
// and StoreEnv) added to the environment the process inherits; an entry in
// env wins over the test process's own variable of the same name.
func SpawnEnv(t testing.TB, binary string, env []string) *Process {
	t.Helper()
	out := &lockedBuffer{}
	cmd := exec.Command(binary)
	cmd.Env = append(os.Environ(), env...)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		VersionedPlugins: sdk.PluginSets(&sdk.GRPCPlugin{}),
		Cmd:              cmd,
		// go-plugin would append the inherited environment after env,
		// where it would win; cmd.Env holds it already.
		SkipHostEnv:      true,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		StartTimeout:     10 * time.Second,
		Stderr:           out,
		SyncStdout:       out,
		SyncStderr:       out,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:   "host",
			Level:  hclog.Warn,
			Output: out,
		}),
	})
	t.Cleanup(func() {
		client.Kill()
		if t.Failed() {
			t.Logf("sdktest: output of %s:\n%s", binary, out.String())
		}
	})
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("sdktest: start %s: %v\n%s", binary, err, out.String())
	}
	raw, err := rpc.Dispense(sdk.PluginName)
	if err != nil {
		t.Fatalf("sdktest: dispense %s: %v\n%s", binary, err, out.String())
	}
	return &Process{PluginClient: raw.(pluginv1.PluginClient), client: client, out: out}
}
