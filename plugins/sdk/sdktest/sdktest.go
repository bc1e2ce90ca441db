// Package sdktest runs Jishi plugins in tests: in-process through go-plugin's
// test mode (Serve), or as the real binary built by the test and started
// the way the host starts it (Build, then Spawn).
package sdktest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
)

// Serve serves impl under manifest in-process — through go-plugin's test
// mode, with the configuration sdk.Serve uses, over a real gRPC connection —
// and returns a client for it; both are stopped when the test ends. It fails
// the test when the manifest does not match impl. go-plugin's own messages
// are shown when the test fails.
func Serve(t testing.TB, manifest *pluginv1.Manifest, impl sdk.Plugin) pluginv1.PluginClient {
	t.Helper()
	p, err := sdk.NewGRPCPlugin(manifest, impl)
	if err != nil {
		t.Fatalf("sdktest: %v", err)
	}
	out := &lockedBuffer{}
	logger := hclog.New(&hclog.LoggerOptions{Name: manifest.GetName(), Level: hclog.Debug, Output: out})

	ctx, cancel := context.WithCancel(context.Background())
	reattach := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	cfg := sdk.ServeConfig(p)
	cfg.Logger = logger
	cfg.Test = &plugin.ServeTestConfig{Context: ctx, ReattachConfigCh: reattach, CloseCh: closed}
	go plugin.Serve(cfg)

	var rc *plugin.ReattachConfig
	select {
	case rc = <-reattach:
	case <-closed:
		cancel()
		t.Fatalf("sdktest: plugin %s stopped before serving:\n%s", manifest.GetName(), out.String())
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatalf("sdktest: plugin %s did not start serving within 10s:\n%s", manifest.GetName(), out.String())
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: sdk.Handshake,
		// A reattaching client dispenses from Plugins, not VersionedPlugins.
		Plugins:          plugin.PluginSet{sdk.PluginName: &sdk.GRPCPlugin{}},
		Reattach:         rc,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           logger.Named("host"),
	})
	t.Cleanup(func() {
		client.Kill()
		cancel()
		<-closed
		if t.Failed() {
			t.Logf("sdktest: go-plugin log of %s:\n%s", manifest.GetName(), out.String())
		}
	})
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("sdktest: connect to %s: %v", manifest.GetName(), err)
	}
	raw, err := rpc.Dispense(sdk.PluginName)
	if err != nil {
		t.Fatalf("sdktest: dispense %s: %v", manifest.GetName(), err)
	}
	return raw.(pluginv1.PluginClient)
}

// Build compiles the plugin's main package pkg (an import path, or a
// directory relative to the test's package such as "." or "./testdata/x")
// with `go build` into a temporary directory and returns the binary's path.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	name := path.Base(filepath.ToSlash(pkg))
	if abs, err := filepath.Abs(pkg); err == nil && fileExists(abs) {
		name = filepath.Base(abs)
	}
	bin := filepath.Join(t.TempDir(), name)
	gobin := "go"
	if goroot := os.Getenv("GOROOT"); goroot != "" {
		if p := filepath.Join(goroot, "bin", "go"); fileExists(p) {
			gobin = p
		}
	}
	start := time.Now()
	out, err := exec.Command(gobin, "build", "-o", bin, pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("sdktest: go build %s: %v\n%s", pkg, err, out)
	}
	t.Logf("sdktest: built %s in %s", pkg, time.Since(start).Round(time.Millisecond))
	return bin
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Process is a plugin binary started by Spawn. It is a
// pluginv1.PluginClient connected to the process.
type Process struct {
	pluginv1.PluginClient

	client *plugin.Client
	out    *lockedBuffer
}

// Spawn starts binary the way the host does — go-plugin's client with the
// SDK's handshake, gRPC only — and returns it connected. The process is
// killed when the test ends. It fails the test when the process does not
// complete the handshake within ten seconds.
func Spawn(t testing.TB, binary string) *Process {
	t.Helper()
	return SpawnEnv(t, binary, nil)
}

// Output returns what the process wrote to stderr, and to stdout after the
// handshake, so far.
func (p *Process) Output() string { return p.out.String() }

// Kill stops the process; calls made after it fail.
func (p *Process) Kill() { p.client.Kill() }

// Exited reports whether the process has exited.
func (p *Process) Exited() bool { return p.client.Exited() }

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
