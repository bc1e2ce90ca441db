// Package pluginhost runs the plugins installed on this server: a Catalog of
// the plugin binaries found in the plugin directory, each checked against its
// recorded sha256, and a Supervisor that runs one process per plugin (shared
// by every tenant), health-checks it, restarts it with exponential backoff
// and jitter, and quarantines it after repeated crashes.
package pluginhost

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// LockFile is the name of the file in the plugin directory that records the
// sha256 of each plugin binary, in the format `sha256sum` writes and
// `sha256sum -c` checks: one line per binary, the hex digest, two spaces, the
// file name. Generate it with
//
//	cd bin/plugins && sha256sum $(ls | grep -v plugins.lock) > plugins.lock
//
// A binary listed there starts only while its sha256 matches the line. A
// binary not listed is trusted as it was when the directory was scanned: it
// starts only while its sha256 matches what Scan measured, so a binary
// replaced behind the server's back is refused at its next (re)start.
const LockFile = "plugins.lock"

// Entry is one plugin binary of the catalog.
type Entry struct {
	// Name is the plugin's name: the binary's file name. The plugin's
	// manifest must carry the same name.
	Name string
	// Path is the binary's absolute path.
	Path string
	// Size is the binary's size in bytes when scanned.
	Size int64
	// SHA256 is the hex sha256 the binary must have to start: the one in
	// LockFile when Recorded, else the one measured by Scan.
	SHA256 string
	// Recorded reports whether SHA256 comes from LockFile.
	Recorded bool
}

// Catalog is the set of plugin binaries found in one directory.
type Catalog struct {
	// Dir is the scanned directory.
	Dir string
	// Entries lists the plugins by name.
	Entries []Entry
}

// ErrChecksum is wrapped by the error Verify returns when a binary's sha256
// does not match its record.
var ErrChecksum = errors.New("sha256 does not match")

// Scan lists the plugin binaries of dir: every regular, executable file except
// LockFile and names starting with a dot. It reads LockFile when present and
// returns an error when a line of it is malformed. A directory that does not
// exist is an empty catalog.
func Scan(dir string) (*Catalog, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("plugin directory %s: %w", dir, err)
	}
	cat := &Catalog{Dir: abs}
	des, err := os.ReadDir(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return cat, nil
	}
	if err != nil {
		return nil, fmt.Errorf("plugin directory %s: %w", abs, err)
	}
	recorded, err := readLock(filepath.Join(abs, LockFile))
	if err != nil {
		return nil, err
	}
	for _, de := range des {
		name := de.Name()
		if name == LockFile || strings.HasPrefix(name, ".") || !de.Type().IsRegular() {
			continue
		}
		info, err := de.Info()
		if err != nil {
			return nil, fmt.Errorf("plugin %s: %w", name, err)
		}
		if info.Mode().Perm()&0o111 == 0 {
			continue
		}
		e := Entry{Name: name, Path: filepath.Join(abs, name), Size: info.Size()}
		if sum, ok := recorded[name]; ok {
			e.SHA256, e.Recorded = sum, true
		} else if e.SHA256, err = fileSHA256(e.Path); err != nil {
			return nil, fmt.Errorf("plugin %s: %w", name, err)
		}
		cat.Entries = append(cat.Entries, e)
	}
	sort.Slice(cat.Entries, func(i, j int) bool { return cat.Entries[i].Name < cat.Entries[j].Name })
	return cat, nil
}

// Verify hashes the binary again and returns an error naming the plugin,
// wrapping ErrChecksum, when its sha256 is not e.SHA256.
func (e Entry) Verify() error {
	sum, err := fileSHA256(e.Path)
	if err != nil {
		return fmt.Errorf("plugin %s: %w", e.Name, err)
	}
	if sum != e.SHA256 {
		source := "the one measured when the plugin directory was scanned"
		if e.Recorded {
			source = "the one recorded in " + LockFile
		}
		return fmt.Errorf("plugin %s: binary %s refused: %w: it is %s, not %s", e.Name, e.Path, ErrChecksum, sum, source+" ("+e.SHA256+")")
	}
	return nil
}

func readLock(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	sums := make(map[string]string)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sum, name, ok := strings.Cut(line, " ")
		name = strings.TrimPrefix(strings.TrimLeft(name, " "), "*") // "*" marks binary mode in sha256sum's output
		if b, err := hex.DecodeString(sum); !ok || err != nil || len(b) != sha256.Size || name == "" {
			return nil, fmt.Errorf("%s line %d: want \"<sha256 hex>  <file name>\"", path, n)
		}
		sums[filepath.Base(name)] = strings.ToLower(sum)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sums, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
