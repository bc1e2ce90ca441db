//go:build unix

package pluginhost_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/pluginhost"
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
)

// binaries holds the plugin binaries built once for every test: "hello"
// (plugins/hello), "crasher" and "forker" (testdata).
var binaries string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pluginhost-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for name, pkg := range map[string]string{"hello": "../../plugins/hello", "crasher": "./testdata/crasher", "forker": "./testdata/forker"} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, name), pkg).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "go build %s: %v\n%s", pkg, err, out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	binaries = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// pluginDir returns a new plugin directory holding copies of the named
// binaries.
func pluginDir(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		copyFile(t, filepath.Join(binaries, n), filepath.Join(dir, n))
	}
	return dir
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

func sha(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func appendByte(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte{0}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// fastConfig makes failures show within the test's patience.
func fastConfig() pluginhost.Config {
	return pluginhost.Config{
		HealthInterval: 200 * time.Millisecond,
		HealthTimeout:  time.Second,
		BackoffMin:     50 * time.Millisecond,
		BackoffMax:     400 * time.Millisecond,
		MaxCrashes:     3,
		CrashWindow:    time.Minute,
		LogLines:       20,
		PluginLog:      io.Discard,
		Logger:         slog.New(slog.DiscardHandler),
	}
}

func startSupervisor(t *testing.T, dir string, cfg pluginhost.Config) *pluginhost.Supervisor {
	t.Helper()
	cat, err := pluginhost.Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := pluginhost.NewSupervisor(cat, cfg)
	s.Start(context.Background())
	t.Cleanup(s.Stop)
	return s
}

func status(t *testing.T, s *pluginhost.Supervisor, name string) pluginhost.Status {
	t.Helper()
	for _, st := range s.Status() {
		if st.Name == name {
			return st
		}
	}
	t.Fatalf("no plugin %s in %+v", name, s.Status())
	return pluginhost.Status{}
}

// waitFor polls until ok holds for the plugin's status and returns it.
func waitFor(t *testing.T, s *pluginhost.Supervisor, name string, within time.Duration, what string, ok func(pluginhost.Status) bool) pluginhost.Status {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		st := status(t, s, name)
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("plugin %s not %s within %s: %+v", name, what, within, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func running(st pluginhost.Status) bool { return st.State == pluginhost.StateRunning }

func describe(t *testing.T, s *pluginhost.Supervisor, name string) *pluginv1.Manifest {
	t.Helper()
	c, err := s.Client(name)
	if err != nil {
		t.Fatalf("client %s: %v", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := c.Describe(ctx, &pluginv1.DescribeRequest{MinProtocolVersion: pluginv1.MinProtocolVersion, MaxProtocolVersion: pluginv1.ProtocolVersion})
	if err != nil {
		t.Fatalf("describe %s: %v", name, err)
	}
	return res.GetManifest()
}

// alive reports whether a process with pid exists and is not a zombie.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	if _, err := os.Stat("/proc/self"); err != nil {
		return true // no procfs to tell a zombie from a live process
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func TestScan(t *testing.T) {
	dir := pluginDir(t, "hello", "crasher")
	if err := os.WriteFile(filepath.Join(dir, "README.txt"), []byte("not a plugin"), 0o644); err != nil {
		t.Fatal(err)
	}
	helloSum := sha(t, filepath.Join(dir, "hello"))
	lock := helloSum + "  hello\n"
	if err := os.WriteFile(filepath.Join(dir, pluginhost.LockFile), []byte(lock), 0o644); err != nil {
		t.Fatal(err)
	}
	cat, err := pluginhost.Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Entries) != 2 || cat.Entries[0].Name != "crasher" || cat.Entries[1].Name != "hello" {
		t.Fatalf("entries = %+v, want crasher and hello", cat.Entries)
	}
	for _, e := range cat.Entries {
		info, err := os.Stat(filepath.Join(dir, e.Name))
		if err != nil {
			t.Fatal(err)
		}
		if e.Path != filepath.Join(dir, e.Name) || e.Size != info.Size() || e.SHA256 != sha(t, e.Path) {
			t.Errorf("entry %+v: want path %s, size %d, sha256 %s", e, filepath.Join(dir, e.Name), info.Size(), sha(t, e.Path))
		}
		if e.Recorded != (e.Name == "hello") {
			t.Errorf("entry %s: recorded = %v", e.Name, e.Recorded)
		}
		if err := e.Verify(); err != nil {
			t.Errorf("verify %s: %v", e.Name, err)
		}
	}

	if err := os.WriteFile(filepath.Join(dir, pluginhost.LockFile), []byte("xyz hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := pluginhost.Scan(dir); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("scan with a malformed lock file: err = %v, want one naming line 1", err)
	}

	cat, err = pluginhost.Scan(filepath.Join(dir, "missing"))
	if err != nil || len(cat.Entries) != 0 {
		t.Errorf("scan of a missing directory = %+v, %v; want an empty catalog", cat, err)
	}
}

func TestRunKillRestart(t *testing.T) {
	cfg := fastConfig()
	// Long enough to see the plugin down, short enough to be back within a second.
	cfg.BackoffMin = 400 * time.Millisecond
	s := startSupervisor(t, pluginDir(t, "hello"), cfg)
	st := waitFor(t, s, "hello", 10*time.Second, "running", running)
	if st.Version != "0.1.0" || st.PID <= 0 || st.Restarts != 0 || !st.Healthy {
		t.Fatalf("status = %+v, want version 0.1.0, a pid, no restarts, healthy", st)
	}
	if m := describe(t, s, "hello"); m.GetName() != "hello" || m.GetProtocolVersion() != pluginv1.ProtocolVersion {
		t.Fatalf("manifest = %v", m)
	}
	if m, err := s.Manifest("hello"); err != nil || m.GetVersion() != "0.1.0" {
		t.Fatalf("stored manifest = %v, %v", m, err)
	}
	// Health checks keep passing while the plugin serves.
	time.Sleep(500 * time.Millisecond)
	if st := status(t, s, "hello"); !running(st) || !st.Healthy || st.Restarts != 0 {
		t.Fatalf("after health checks: %+v", st)
	}

	oldPID := st.PID
	killed := time.Now()
	if err := syscall.Kill(oldPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// The exit is noticed within a second, and calls fail at once from then on.
	waitFor(t, s, "hello", time.Second, "noticed down", func(st pluginhost.Status) bool { return !running(st) || st.PID != oldPID })
	noticed := time.Since(killed)
	if st := status(t, s, "hello"); !running(st) {
		callStart := time.Now()
		_, err := s.Client("hello")
		if err == nil {
			t.Error("client answered while the plugin was down")
		} else if core.ErrorCode(err) != core.Unavailable || !strings.Contains(err.Error(), "hello") || time.Since(callStart) > 50*time.Millisecond {
			t.Errorf("client while down: %v (after %s), want an immediate unavailable error naming hello", err, time.Since(callStart))
		}

	} else {
		t.Error("plugin was back before the test could see it down")
	}
	st = waitFor(t, s, "hello", 5*time.Second, "running again", func(st pluginhost.Status) bool { return running(st) && st.PID != oldPID })
	t.Logf("exit noticed after %s, serving again after %s", noticed.Round(time.Millisecond), time.Since(killed).Round(time.Millisecond))
	if st.Restarts != 1 || st.Crashes != 1 {
		t.Errorf("status after restart = %+v, want 1 restart and 1 crash", st)
	}
	if alive(oldPID) {
		t.Errorf("killed process %d still there", oldPID)
	}
	if m := describe(t, s, "hello"); m.GetName() != "hello" {
		t.Fatalf("manifest after restart = %v", m)
	}
	if joined := strings.Join(st.Logs, "\n"); !strings.Contains(joined, "plugin process exited") {
		t.Errorf("logs do not record the exit:\n%s", joined)
	}
}

func TestTamperedBinaryRefused(t *testing.T) {
	t.Run("recorded in the lock file", func(t *testing.T) {
		dir := pluginDir(t, "hello")
		lock := sha(t, filepath.Join(dir, "hello")) + "  hello\n"
		if err := os.WriteFile(filepath.Join(dir, pluginhost.LockFile), []byte(lock), 0o644); err != nil {
			t.Fatal(err)
		}
		appendByte(t, filepath.Join(dir, "hello"))
		s := startSupervisor(t, dir, fastConfig())
		st := waitFor(t, s, "hello", 5*time.Second, "refused", func(st pluginhost.Status) bool { return st.State == pluginhost.StateRefused })
		if st.PID != 0 || st.Restarts != 0 || !strings.Contains(st.LastError, "plugin hello") || !strings.Contains(st.LastError, pluginhost.LockFile) {
			t.Errorf("status = %+v, want never started and an error naming hello and the lock file", st)
		}
		_, err := s.Client("hello")
		if core.ErrorCode(err) != core.Unavailable || !strings.Contains(err.Error(), "plugin hello") || !strings.Contains(err.Error(), "sha256 does not match") {
			t.Errorf("client of a refused plugin: %v", err)
		}
	})
	t.Run("changed after the scan", func(t *testing.T) {
		dir := pluginDir(t, "hello")
		cat, err := pluginhost.Scan(dir)
		if err != nil {
			t.Fatal(err)
		}
		appendByte(t, filepath.Join(dir, "hello"))
		err = cat.Entries[0].Verify()
		if !errors.Is(err, pluginhost.ErrChecksum) || !strings.Contains(err.Error(), "plugin hello") {
			t.Errorf("verify = %v, want ErrChecksum naming hello", err)
		}
	})
}

func TestCrashOnStartQuarantined(t *testing.T) {
	cfg := fastConfig()
	s := startSupervisor(t, pluginDir(t, "crasher", "hello"), cfg)
	st := waitFor(t, s, "crasher", 10*time.Second, "quarantined", func(st pluginhost.Status) bool { return st.State == pluginhost.StateQuarantined })
	if st.Crashes != cfg.MaxCrashes || st.Restarts != cfg.MaxCrashes-1 || st.PID != 0 {
		t.Errorf("status = %+v, want %d crashes and %d restarts", st, cfg.MaxCrashes, cfg.MaxCrashes-1)
	}
	if !strings.Contains(st.LastError, "quarantined") || !strings.Contains(st.LastError, "plugin crasher: start: the process exited before the handshake; last log line:") ||
		!strings.Contains(st.LastError, "disk full") {
		t.Errorf("last error = %q, want quarantine naming crasher", st.LastError)
	}
	t.Logf("last error: %s", st.LastError)
	if joined := strings.Join(st.Logs, "\n"); !strings.Contains(joined, "cannot open settings store: disk full") {
		t.Errorf("last log lines do not say why:\n%s", joined)
	}
	// It stays quarantined, and the host and the other plugin are unaffected.
	time.Sleep(3 * cfg.BackoffMax)
	if st := status(t, s, "crasher"); st.State != pluginhost.StateQuarantined || st.Restarts != cfg.MaxCrashes-1 {
		t.Errorf("quarantined plugin was started again: %+v", st)
	}
	if _, err := s.Client("crasher"); core.ErrorCode(err) != core.Unavailable || !strings.Contains(err.Error(), "crasher is quarantined") {
		t.Errorf("client of a quarantined plugin: %v", err)
	}
	waitFor(t, s, "hello", 10*time.Second, "running", running)
	describe(t, s, "hello")

	// An admin may try again; it fails the same way and is quarantined again.
	if err := s.Restart("hello"); core.ErrorCode(err) != core.Conflict {
		t.Errorf("restart of a running plugin: %v, want conflict", err)
	}
	if err := s.Restart("crasher"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s, "crasher", 10*time.Second, "quarantined again", func(st pluginhost.Status) bool {
		return st.State == pluginhost.StateQuarantined && st.Restarts == 2*cfg.MaxCrashes-1
	})
}

func TestStopLeavesNoProcess(t *testing.T) {
	dir := pluginDir(t, "hello")
	copyFile(t, filepath.Join(binaries, "hello"), filepath.Join(dir, "hello-copy"))
	cfg := fastConfig()
	cat, err := pluginhost.Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := pluginhost.NewSupervisor(cat, cfg)
	s.Start(context.Background())
	defer s.Stop()
	hello := waitFor(t, s, "hello", 10*time.Second, "running", running)
	// A binary whose manifest names another plugin does not run.
	cp := waitFor(t, s, "hello-copy", 10*time.Second, "quarantined", func(st pluginhost.Status) bool { return st.State == pluginhost.StateQuarantined })
	if !strings.Contains(cp.LastError, `its manifest names it "hello"`) {
		t.Errorf("hello-copy: %q", cp.LastError)
	}

	start := time.Now()
	s.Stop()
	t.Logf("stopped in %s", time.Since(start).Round(time.Millisecond))
	if alive(hello.PID) {
		t.Errorf("process %d still there after Stop", hello.PID)
	}
	if st := status(t, s, "hello"); st.State != pluginhost.StateStopped || st.PID != 0 {
		t.Errorf("status after stop = %+v", st)
	}
	if _, err := s.Client("hello"); core.ErrorCode(err) != core.Unavailable {
		t.Errorf("client after stop: %v", err)
	}
	if _, err := s.Client("nope"); core.ErrorCode(err) != core.NotFound {
		t.Errorf("client of an unknown plugin: %v", err)
	}
}

// childPIDs returns the pids the forker plugin wrote to pidfile.
func childPIDs(t *testing.T, pidfile string) []int {
	t.Helper()
	b, err := os.ReadFile(pidfile)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		var pid int
		if _, err := fmt.Sscan(f, &pid); err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	return pids
}

func TestProcessGroupKilled(t *testing.T) {
	pidfile := filepath.Join(t.TempDir(), "children")
	t.Setenv("JISHI_TEST_CHILD_PIDFILE", pidfile)
	s := pluginhost.NewSupervisor(mustScan(t, pluginDir(t, "forker")), fastConfig())
	s.Start(context.Background())
	defer s.Stop()
	st := waitFor(t, s, "forker", 10*time.Second, "running", running)

	// A crash takes the plugin's children with it.
	if err := syscall.Kill(st.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s, "forker", 5*time.Second, "running again", func(n pluginhost.Status) bool { return running(n) && n.PID != st.PID })
	pids := childPIDs(t, pidfile)
	if len(pids) != 2 {
		t.Fatalf("children = %v, want one per start", pids)
	}
	waitGone(t, pids[0], "child of the crashed plugin")

	s.Stop()
	waitGone(t, pids[1], "child of the stopped plugin")
}

func TestHealthCheckRestartsHungPlugin(t *testing.T) {
	hang := filepath.Join(t.TempDir(), "hang")
	t.Setenv("JISHI_TEST_CHILD_PIDFILE", filepath.Join(t.TempDir(), "children"))
	t.Setenv("JISHI_TEST_HANG_HEALTH", hang)
	cfg := fastConfig()
	cfg.HealthInterval = 100 * time.Millisecond
	cfg.HealthTimeout = 100 * time.Millisecond
	s := pluginhost.NewSupervisor(mustScan(t, pluginDir(t, "forker")), cfg)
	s.Start(context.Background())
	defer s.Stop()
	st := waitFor(t, s, "forker", 10*time.Second, "running", running)

	if err := os.WriteFile(hang, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s, "forker", 5*time.Second, "taken down", func(n pluginhost.Status) bool { return n.Restarts > 0 || !running(n) })
	if err := os.Remove(hang); err != nil {
		t.Fatal(err)
	}
	back := waitFor(t, s, "forker", 5*time.Second, "running again", func(n pluginhost.Status) bool { return running(n) && n.PID != st.PID && n.Healthy })
	if !strings.Contains(back.LastError, "3 health checks failed in a row") || back.Restarts != 1 {
		t.Errorf("status = %+v, want one restart after failed health checks", back)
	}
	if alive(st.PID) {
		t.Errorf("hung process %d still there", st.PID)
	}
}

func mustScan(t *testing.T, dir string) *pluginhost.Catalog {
	t.Helper()
	cat, err := pluginhost.Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func waitGone(t *testing.T, pid int, what string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("%s (pid %d) still there", what, pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
