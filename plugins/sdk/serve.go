package sdk

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"runtime"

	"github.com/hashicorp/go-plugin"
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// The go-plugin handshake cookie. The host sets MagicCookieKey to
// MagicCookieValue in the plugin's environment; a binary started any other
// way refuses to serve.
const (
	MagicCookieKey   = "JISHI_PLUGIN_MAGIC_COOKIE"
	MagicCookieValue = "c5b1d7e2-jishi-plugin-6f0a4e93"
)

// PluginName is the name the Plugin service is served and dispensed under in
// go-plugin's plugin set.
const PluginName = "jishi"

// Handshake is the go-plugin handshake host and plugins share. Its protocol
// version is pluginv1.ProtocolVersion; PluginSets offers every version from
// pluginv1.MinProtocolVersion so a host and a plugin one version apart still
// connect, then Describe settles the version both speak.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  uint(pluginv1.ProtocolVersion),
	MagicCookieKey:   MagicCookieKey,
	MagicCookieValue: MagicCookieValue,
}

// GRPCPlugin connects the Plugin service to go-plugin. On the plugin side it
// serves Impl; on the host side (zero Manifest and Impl) it dispenses a
// pluginv1.PluginClient.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin

	// Manifest is what Describe answers; nil on the host side.
	Manifest *pluginv1.Manifest
	// Impl serves the hooks; nil on the host side.
	Impl Plugin
}

// NewGRPCPlugin checks manifest against impl and returns the GRPCPlugin that
// serves them. It returns an error when the manifest's name is not lower
// case letters, digits and dashes, its version is empty, a hook is declared
// twice or unspecified, a declared hook is not implemented, or slots, jobs,
// routes or event subscriptions are declared without their hook.
func NewGRPCPlugin(manifest *pluginv1.Manifest, impl Plugin) (*GRPCPlugin, error) {
	if err := checkManifest(manifest, impl); err != nil {
		return nil, err
	}
	return &GRPCPlugin{Manifest: proto.Clone(manifest).(*pluginv1.Manifest), Impl: impl}, nil
}

// GRPCServer registers the Plugin service on s.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Impl == nil || p.Manifest == nil {
		return fmt.Errorf("sdk: GRPCPlugin without manifest or implementation cannot serve")
	}
	pluginv1.RegisterPluginServer(s, newServer(p.Manifest, p.Impl))
	return nil
}

// GRPCClient returns a pluginv1.PluginClient on conn.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return pluginv1.NewPluginClient(conn), nil
}

// PluginSets returns go-plugin's versioned plugin sets, one for each
// protocol version from pluginv1.MinProtocolVersion to
// pluginv1.ProtocolVersion, each holding p under PluginName. Host and plugin
// both pass it as VersionedPlugins.
func PluginSets(p *GRPCPlugin) map[int]plugin.PluginSet {
	sets := make(map[int]plugin.PluginSet)
	for v := pluginv1.MinProtocolVersion; v <= pluginv1.ProtocolVersion; v++ {
		sets[int(v)] = plugin.PluginSet{PluginName: p}
	}
	return sets
}

// Serve serves impl under manifest to the host that started the process and
// returns only when the host is done with it; call it from main and do
// nothing else there. It exits with status 1 when the manifest does not match
// impl (see NewGRPCPlugin) or when the binary was not started by the host.
//
// Only go-plugin's handshake line goes to the real stdout: anything else
// written to stdout, before or after Serve, ends up on stderr or in
// go-plugin's stdio stream, never in the handshake.
func Serve(manifest *pluginv1.Manifest, impl Plugin) {
	p, err := NewGRPCPlugin(manifest, impl)
	if err != nil {
		logger.Error("plugin cannot serve", "error", err)
		os.Exit(1)
	}
	if launchedByHost() {
		guardStdout()
		if handshakeOut != nil {
			// go-plugin prints the handshake with fmt.Printf and then replaces
			// os.Stdout with its stdio pipe.
			os.Stdout = handshakeOut
		}
	}
	plugin.Serve(ServeConfig(p))
}

// ServeConfig returns the go-plugin configuration Serve serves p with: the
// SDK's handshake, gRPC only, every protocol version of PluginSets, and
// go-plugin's own logs through Logger.
func ServeConfig(p *GRPCPlugin) *plugin.ServeConfig {
	return &plugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: PluginSets(p),
		GRPCServer:       grpcServer,
		Logger:           logger.Named("go-plugin"),
	}
}

func launchedByHost() bool { return os.Getenv(MagicCookieKey) == MagicCookieValue }

var pluginName = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func checkManifest(m *pluginv1.Manifest, impl Plugin) error {
	if m == nil || impl == nil {
		return fmt.Errorf("manifest: manifest and implementation are required")
	}
	if !pluginName.MatchString(m.GetName()) {
		return fmt.Errorf("manifest: name %q is not lower case letters, digits and dashes", m.GetName())
	}
	if m.GetVersion() == "" {
		return fmt.Errorf("manifest %s: version is empty", m.GetName())
	}
	declared := make(map[pluginv1.HookName]bool)
	for _, h := range m.GetHooks() {
		if h.GetName() == pluginv1.HookName_HOOK_NAME_UNSPECIFIED {
			return fmt.Errorf("manifest %s: hook with no name", m.GetName())
		}
		if declared[h.GetName()] {
			return fmt.Errorf("manifest %s: hook %s declared twice", m.GetName(), h.GetName())
		}
		declared[h.GetName()] = true
		if !implements(impl, h.GetName()) {
			return fmt.Errorf("manifest %s: hook %s is declared but %T does not implement it", m.GetName(), h.GetName(), impl)
		}
	}
	needs := []struct {
		what string
		n    int
		hook pluginv1.HookName
	}{
		{"event subscriptions", len(m.GetEventSubscriptions()), pluginv1.HookName_HOOK_NAME_HANDLE_EVENT},
		{"jobs", len(m.GetJobs()), pluginv1.HookName_HOOK_NAME_RUN_JOB},
		{"routes", len(m.GetRoutes()), pluginv1.HookName_HOOK_NAME_HANDLE_HTTP},
		{"slots", len(m.GetSlots()), pluginv1.HookName_HOOK_NAME_SLOT_CONTENT},
	}
	for _, n := range needs {
		if n.n > 0 && !declared[n.hook] {
			return fmt.Errorf("manifest %s: %s are declared without hook %s", m.GetName(), n.what, n.hook)
		}
	}
	return nil
}

func implements(impl Plugin, h pluginv1.HookName) bool {
	var ok bool
	switch h {
	case pluginv1.HookName_HOOK_NAME_ADJUST_CART:
		_, ok = impl.(CartAdjuster)
	case pluginv1.HookName_HOOK_NAME_TENDER:
		_, ok = impl.(TenderProvider)
	case pluginv1.HookName_HOOK_NAME_HANDLE_EVENT:
		_, ok = impl.(EventHandler)
	case pluginv1.HookName_HOOK_NAME_RUN_JOB:
		_, ok = impl.(JobRunner)
	case pluginv1.HookName_HOOK_NAME_HANDLE_HTTP:
		_, ok = impl.(RouteHandler)
	case pluginv1.HookName_HOOK_NAME_SLOT_CONTENT:
		_, ok = impl.(SlotFiller)
	}
	return ok
}

// grpcServer is go-plugin's default gRPC server with a fixed pool of
// stream workers: a hook call is handed to a waiting goroutine instead of a
// new one, which takes a scheduler hop off every call.
func grpcServer(opts []grpc.ServerOption) *grpc.Server {
	return grpc.NewServer(append(opts, grpc.NumStreamWorkers(uint32(max(4, runtime.GOMAXPROCS(0)*2))))...)
}
