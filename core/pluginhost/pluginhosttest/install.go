// Package pluginhosttest installs real plugin binaries for tests: it builds
// plugin packages (once per test process) into a plugin directory with the
// plugins.lock the host checks, as `make plugins` does.
package pluginhosttest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var (
	mu     sync.Mutex
	built  = map[string]string{} // package dir → binary
	binDir string
)

// Root returns the repository's root directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

// Build builds the plugin in pkg (a directory relative to the repository
// root, "plugins/hello") once per test process and returns the binary.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if b, ok := built[pkg]; ok {
		return b
	}
	if binDir == "" {
		d, err := os.MkdirTemp("", "jishi-plugins-")
		if err != nil {
			t.Fatal(err)
		}
		binDir = d
	}
	out := filepath.Join(binDir, strings.ReplaceAll(pkg, "/", "_"))
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = filepath.Join(Root(), pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pluginhosttest: go build %s: %v\n%s", pkg, err, b)
	}
	built[pkg] = out
	return out
}

// Install returns a new plugin directory holding the plugins named by
// the keys of pkgs (values: package directories relative to the
// repository root) and their plugins.lock.
func Install(t testing.TB, pkgs map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	var lock strings.Builder
	for name, pkg := range pkgs {
		bin := Build(t, pkg)
		dst := filepath.Join(dir, name)
		if err := copyFile(bin, dst); err != nil {
			t.Fatal(err)
		}
		sum, err := sha(dst)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&lock, "%s  %s\n", sum, name)
	}
	if err := os.WriteFile(filepath.Join(dir, "plugins.lock"), []byte(lock.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

func sha(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), nil
}
