// Package sdk is what a Jishi plugin imports to serve the plugin protocol
// (plugins/proto/jishi/plugin/v1) as a separate process started by the host
// through hashicorp/go-plugin over gRPC.
//
// A plugin is one process shared by every tenant. Its main calls Serve with
// its manifest and an implementation that embeds Unimplemented and adds the
// hook methods it serves (CartAdjuster, TenderProvider, EventHandler,
// JobRunner, RouteHandler, SlotFiller, ConfigValidator). Every hook call
// receives the calling tenant decoded into a *Tenant; Instances keeps what a
// plugin builds from a tenant's config and rebuilds it when the config
// version changes.
//
// A plugin never writes to stdout: go-plugin reads the handshake from the
// first line of stdout, so anything printed before it breaks the start.
// Log through Logger (or Tenant.Logger), which writes to stderr, where the
// host collects the plugin's logs. As a safety net, a process started by the
// host has its stdout file descriptor pointed at stderr from the moment this
// package is initialised, and only the handshake line goes to the real
// stdout.
//
// Package sdktest runs a plugin in-process, or builds and spawns the real
// binary, for tests.
package sdk
