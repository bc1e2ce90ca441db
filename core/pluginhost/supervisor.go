package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
	"github.com/jishi-dev/jishi/core"
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
)

// State is where a supervised plugin is in its life.
type State string

// The states of a supervised plugin.
const (
	StateStarting    State = "starting"    // the process is being started and described
	StateRunning     State = "running"     // the process serves calls
	StateBackoff     State = "backoff"     // the process died; it is restarted after a delay
	StateQuarantined State = "quarantined" // it crashed too often; it stays down until Restart
	StateRefused     State = "refused"     // its binary failed the sha256 check; it is never started
	StateStopped     State = "stopped"     // the supervisor was stopped
)

// Config tunes a Supervisor. Zero fields take the defaults in brackets.
type Config struct {
	// StartTimeout bounds the handshake and Describe [10s].
	StartTimeout time.Duration
	// HealthInterval is the time between Health calls [5s].
	HealthInterval time.Duration
	// HealthTimeout bounds one Health call [2s].
	HealthTimeout time.Duration
	// HealthFailures is how many Health calls in a row may fail (error or
	// timeout) before the process is killed and restarted [3]. A plugin that
	// answers NOT_SERVING is reported unhealthy, not restarted.
	HealthFailures int
	// ExitPoll is how often the process is checked for exit [100ms].
	ExitPoll time.Duration
	// BackoffMin is the delay before the first restart; it doubles with each
	// crash within CrashWindow up to BackoffMax [250ms, 30s]. Each delay is
	// drawn at random between half of it and all of it.
	BackoffMin, BackoffMax time.Duration
	// MaxCrashes crashes within CrashWindow quarantine the plugin [5, 5m]. A
	// failed start counts as a crash.
	MaxCrashes  int
	CrashWindow time.Duration
	// LogLines is how many of a plugin's last log lines are kept [100].
	LogLines int
	// PluginLog, when set, also receives every log line of every plugin.
	PluginLog io.Writer
	// Logger records starts, exits, restarts and quarantines [slog.Default()].
	Logger *slog.Logger
	// Env returns environment variables ("KEY=value") added to the named
	// plugin's process at each start (its host callback socket, its
	// storage); nil adds none. An error fails that start.
	Env func(name string) ([]string, error)
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.StartTimeout, 10*time.Second)
	def(&c.HealthInterval, 5*time.Second)
	def(&c.HealthTimeout, 2*time.Second)
	def(&c.ExitPoll, 100*time.Millisecond)
	def(&c.BackoffMin, 250*time.Millisecond)
	def(&c.BackoffMax, 30*time.Second)
	def(&c.CrashWindow, 5*time.Minute)
	if c.HealthFailures <= 0 {
		c.HealthFailures = 3
	}
	if c.MaxCrashes <= 0 {
		c.MaxCrashes = 5
	}
	if c.LogLines <= 0 {
		c.LogLines = 100
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Status is a snapshot of one supervised plugin, as the console shows it.
type Status struct {
	Name string
	Path string
	// Version is the manifest's version; empty until the plugin has
	// described itself once.
	Version string
	State   State
	// PID is the process id while starting or running, else 0.
	PID int
	// Healthy reports whether the last Health call answered SERVING.
	Healthy bool
	// Restarts counts the processes started after the first.
	Restarts int
	// Crashes counts crashes (exits, failed starts, failed health checks)
	// within the crash window.
	Crashes   int
	StartedAt time.Time
	// LastError says why the plugin last went down, failed to start, or
	// reported unhealthy; it is kept after the plugin is back.
	LastError string
	// Logs are the plugin's last log lines, oldest first.
	Logs []string
}

// Supervisor runs one process per plugin of a Catalog. Create it with
// NewSupervisor, then Start it; Stop it on shutdown.
type Supervisor struct {
	cfg     Config
	plugins map[string]*supervised
	order   []string

	mu      sync.Mutex
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	stopped bool
}

type supervised struct {
	entry Entry
	logs  *logRing

	mu        sync.Mutex
	state     State
	client    *plugin.Client
	rpc       pluginv1.PluginClient
	manifest  *pluginv1.Manifest
	pid       int
	healthy   bool
	starts    int
	crashes   []time.Time
	startedAt time.Time
	lastErr   string
	looping   bool
}

// NewSupervisor returns a supervisor for the plugins of cat; nothing runs
// until Start.
func NewSupervisor(cat *Catalog, cfg Config) *Supervisor {
	s := &Supervisor{cfg: cfg.withDefaults(), plugins: make(map[string]*supervised)}
	for _, e := range cat.Entries {
		s.plugins[e.Name] = &supervised{entry: e, logs: newLogRing(s.cfg.LogLines), state: StateStopped}
		s.order = append(s.order, e.Name)
	}
	return s
}

// Start starts every plugin in the background and returns at once; Status
// shows how each one is doing. A plugin whose binary fails its sha256 check
// is refused and never started. ctx bounds the supervisor's life as Stop
// does.
func (s *Supervisor) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx != nil {
		return
	}
	s.ctx, s.cancel = context.WithCancel(ctx)
	for _, name := range s.order {
		s.loop(s.plugins[name])
	}
}

// Restart clears the crash history of a quarantined plugin and starts it
// again. It returns a NotFound error for an unknown plugin and a Conflict
// error when the plugin is not quarantined or the supervisor is not running.
func (s *Supervisor) Restart(name string) error {
	p, ok := s.plugins[name]
	if !ok {
		return &core.Error{Code: core.NotFound, Message: "plugin.not_found", Args: []any{name}, Err: fmt.Errorf("no plugin %s", name)}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil || s.stopped {
		return &core.Error{Code: core.Conflict, Message: "plugin.host_stopped", Args: []any{name}, Err: errors.New("plugin supervisor is not running")}
	}
	p.mu.Lock()
	if p.state != StateQuarantined || p.looping {
		state := p.state
		p.mu.Unlock()
		return &core.Error{Code: core.Conflict, Message: "plugin.not_quarantined", Args: []any{name}, Err: fmt.Errorf("plugin %s is %s, not quarantined", name, state)}
	}
	p.crashes = nil
	p.mu.Unlock()
	s.loop(p)
	return nil
}

// loop starts p's supervising goroutine; s.mu is held.
func (s *Supervisor) loop(p *supervised) {
	p.mu.Lock()
	p.looping = true
	p.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.supervise(s.ctx, p)
		p.mu.Lock()
		p.looping = false
		p.mu.Unlock()
	}()
}

// Stop kills every plugin process and its process group and waits until
// they are gone. Calls made afterwards fail.
func (s *Supervisor) Stop() {
	s.mu.Lock()
	s.stopped = true
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	s.wg.Wait()
	for _, p := range s.plugins {
		p.mu.Lock()
		if p.state != StateRefused && p.state != StateQuarantined {
			p.state = StateStopped
		}
		p.mu.Unlock()
	}
}

// Client returns the client of the named plugin's running process. Fetch it
// for every call rather than keeping it: after a restart it is another one.
// Calls on a client whose process has died fail at once. It returns a
// NotFound error for an unknown plugin and, at once, an Unavailable error
// naming the plugin and its state when the process is not running.
func (s *Supervisor) Client(name string) (pluginv1.PluginClient, error) {
	p, ok := s.plugins[name]
	if !ok {
		return nil, &core.Error{Code: core.NotFound, Message: "plugin.not_found", Args: []any{name}, Err: fmt.Errorf("no plugin %s", name)}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != StateRunning || p.rpc == nil {
		cause := fmt.Errorf("plugin %s is %s", name, p.state)
		if p.lastErr != "" {
			cause = fmt.Errorf("plugin %s is %s: %s", name, p.state, p.lastErr)
		}
		return nil, &core.Error{Code: core.Unavailable, Message: "plugin.unavailable", Args: []any{name}, Err: cause}
	}
	return p.rpc, nil
}

// Manifest returns what the named plugin answered to Describe when its
// current process started. It returns the errors Client returns.
func (s *Supervisor) Manifest(name string) (*pluginv1.Manifest, error) {
	if _, err := s.Client(name); err != nil {
		return nil, err
	}
	p := s.plugins[name]
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.manifest, nil
}

// Names returns the catalog's plugins in catalog order.
func (s *Supervisor) Names() []string { return append([]string(nil), s.order...) }

// LastManifest returns the manifest the named plugin's latest process
// described, also while that process is down (nil if none ever started).
func (s *Supervisor) LastManifest(name string) *pluginv1.Manifest {
	p, ok := s.plugins[name]
	if !ok {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.manifest
}

// Status returns a snapshot of every plugin, by name.
func (s *Supervisor) Status() []Status {
	out := make([]Status, 0, len(s.order))
	for _, name := range s.order {
		out = append(out, s.plugins[name].status(s.cfg.CrashWindow))
	}
	return out
}

func (p *supervised) status(window time.Duration) Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := Status{
		Name: p.entry.Name, Path: p.entry.Path, State: p.state, PID: p.pid, Healthy: p.healthy,
		Restarts: max(p.starts-1, 0), Crashes: len(recent(p.crashes, window)), StartedAt: p.startedAt,
		LastError: p.lastErr, Logs: p.logs.Lines(),
	}
	if p.manifest != nil {
		st.Version = p.manifest.GetVersion()
	}
	return st
}

func recent(ts []time.Time, window time.Duration) []time.Time {
	cut := time.Now().Add(-window)
	i := 0
	for i < len(ts) && ts[i].Before(cut) {
		i++
	}
	return ts[i:]
}

// supervise runs p until ctx ends, it is refused, or it is quarantined.
func (s *Supervisor) supervise(ctx context.Context, p *supervised) {
	log := s.cfg.Logger.With("plugin", p.entry.Name)
	for ctx.Err() == nil {
		if err := p.entry.Verify(); err != nil {
			p.set(StateRefused, err)
			log.Error("plugin refused", "error", err)
			return
		}
		p.set(StateStarting, nil)
		client, err := s.launch(ctx, p)
		if err == nil {
			st := p.status(0)
			log.Info("plugin running", "pid", st.PID, "version", st.Version, "restarts", st.Restarts)
			err = s.watch(ctx, p, client)
		}
		s.down(p, client, err)
		if ctx.Err() != nil {
			return
		}
		p.mu.Lock()
		p.crashes = append(recent(p.crashes, s.cfg.CrashWindow), time.Now())
		n := len(p.crashes)
		p.mu.Unlock()
		if n >= s.cfg.MaxCrashes {
			p.set(StateQuarantined, fmt.Errorf("quarantined after %d crashes within %s; last: %w", n, s.cfg.CrashWindow, err))
			log.Error("plugin quarantined", "crashes", n, "error", err)
			return
		}
		delay := s.backoff(n)
		p.set(StateBackoff, err)
		log.Warn("plugin down, restarting", "error", err, "crashes", n, "delay", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

// backoff is the delay before the restart after the n-th crash in the
// window: BackoffMin doubled n-1 times, at most BackoffMax, then drawn at
// random between half of it and all of it.
func (s *Supervisor) backoff(n int) time.Duration {
	d := s.cfg.BackoffMin
	for i := 1; i < n && d < s.cfg.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, s.cfg.BackoffMax)
	return d/2 + rand.N(d/2+1)
}

// launch starts p's process, connects and describes it.
func (s *Supervisor) launch(ctx context.Context, p *supervised) (*plugin.Client, error) {
	cmd := exec.Command(p.entry.Path)
	ownProcessGroup(cmd)
	if s.cfg.Env != nil {
		env, err := s.cfg.Env(p.entry.Name)
		if err != nil {
			return nil, fmt.Errorf("plugin %s: environment: %w", p.entry.Name, err)
		}
		cmd.Env = append(os.Environ(), env...)
	}
	logger := newPluginLogger(p.entry.Name, p.logs, s.cfg.PluginLog)
	stdio := logger.StandardWriter(&hclogStdOpts)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		VersionedPlugins: sdk.PluginSets(&sdk.GRPCPlugin{}),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		StartTimeout:     s.cfg.StartTimeout,
		Logger:           logger,
		SyncStdout:       stdio,
		SyncStderr:       stdio,
	})
	p.mu.Lock()
	p.client = client
	p.starts++
	p.mu.Unlock()

	rpc, err := client.Client()
	if err != nil {
		return client, p.startError(client, err)
	}
	pid := 0
	if rc := client.ReattachConfig(); rc != nil {
		pid = rc.Pid
	}
	p.mu.Lock()
	p.pid = pid
	p.mu.Unlock()
	raw, err := rpc.Dispense(sdk.PluginName)
	if err != nil {
		return client, fmt.Errorf("plugin %s: dispense: %w", p.entry.Name, err)
	}
	pc := raw.(pluginv1.PluginClient)
	dctx, cancel := context.WithTimeout(ctx, s.cfg.StartTimeout)
	defer cancel()
	res, err := pc.Describe(dctx, &pluginv1.DescribeRequest{
		MinProtocolVersion: pluginv1.MinProtocolVersion,
		MaxProtocolVersion: pluginv1.ProtocolVersion,
	})
	if err != nil {
		return client, fmt.Errorf("plugin %s: describe: %w", p.entry.Name, err)
	}
	m := res.GetManifest()
	if m.GetName() != p.entry.Name {
		return client, fmt.Errorf("plugin %s: its manifest names it %q; the binary must be named after the plugin", p.entry.Name, m.GetName())
	}
	p.mu.Lock()
	p.rpc, p.manifest, p.state, p.healthy, p.startedAt = pc, m, StateRunning, true, time.Now()
	p.mu.Unlock()
	return client, nil
}

// watch returns when the process exits, fails its health checks, or ctx
// ends; the error says why.
func (s *Supervisor) watch(ctx context.Context, p *supervised, client *plugin.Client) error {
	exit := time.NewTicker(s.cfg.ExitPoll)
	defer exit.Stop()
	health := time.NewTicker(s.cfg.HealthInterval)
	defer health.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-exit.C:
			if client.Exited() {
				return fmt.Errorf("plugin %s: process exited", p.entry.Name)
			}
		case <-health.C:
			p.mu.Lock()
			rpc := p.rpc
			p.mu.Unlock()
			hctx, cancel := context.WithTimeout(ctx, s.cfg.HealthTimeout)
			res, err := rpc.Health(hctx, &pluginv1.HealthRequest{})
			cancel()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				if client.Exited() {
					return fmt.Errorf("plugin %s: process exited", p.entry.Name)
				}
				failures++
				if failures >= s.cfg.HealthFailures {
					return fmt.Errorf("plugin %s: %d health checks failed in a row, last: %w", p.entry.Name, failures, err)
				}
				continue
			}
			failures = 0
			serving := res.GetStatus() == pluginv1.HealthStatus_HEALTH_STATUS_SERVING
			p.mu.Lock()
			p.healthy = serving
			if !serving {
				p.lastErr = fmt.Sprintf("plugin %s: not serving: %s", p.entry.Name, res.GetMessage())
			}
			p.mu.Unlock()
		}
	}
}

// down makes new calls fail at once, records why the process went down,
// then kills it and whatever is left in its process group.
func (s *Supervisor) down(p *supervised, client *plugin.Client, why error) {
	p.mu.Lock()
	p.rpc = nil
	p.healthy = false
	pid := p.pid
	p.pid = 0
	p.client = nil
	p.state = StateBackoff
	if errors.Is(why, context.Canceled) {
		p.state = StateStopped
	} else if why != nil {
		p.lastErr = why.Error()
	}
	p.mu.Unlock()
	if client != nil {
		client.Kill()
	}
	killGroup(pid)
}

func (p *supervised) set(state State, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state = state
	if err != nil {
		p.lastErr = err.Error()
	}
}

// startError says why the process did not complete the handshake in one
// line: go-plugin's first line (its diagnostics of a binary that exited
// before the handshake run over several) and the plugin's last log line.
func (p *supervised) startError(client *plugin.Client, err error) error {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	if strings.HasPrefix(msg, "Unrecognized remote plugin message") && strings.TrimSpace(strings.TrimPrefix(msg, "Unrecognized remote plugin message:")) == "" {
		msg = "the process exited before the handshake"
	}
	// go-plugin notes the exit only after it has read all of stderr.
	for deadline := time.Now().Add(time.Second); !client.Exited() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	lines := p.logs.Lines()
	for i := len(lines) - 1; i >= 0; i-- {
		// go-plugin's own note of the exit says less than the line before it.
		if !strings.Contains(lines[i], "plugin process exited") {
			msg += "; last log line: " + lines[i]
			break
		}
	}
	return fmt.Errorf("plugin %s: start: %s", p.entry.Name, msg)
}
