package pluginhost

import (
	"bytes"
	"io"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// logRing is an io.Writer that keeps the last lines written to it.
type logRing struct {
	mu      sync.Mutex
	max     int
	lines   []string
	partial []byte
}

func newLogRing(max int) *logRing { return &logRing{max: max} }

func (r *logRing) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.partial = append(r.partial, p...)
	for {
		i := bytes.IndexByte(r.partial, '\n')
		if i < 0 {
			break
		}
		r.add(string(bytes.TrimRight(r.partial[:i], "\r")))
		r.partial = r.partial[i+1:]
	}
	return len(p), nil
}

func (r *logRing) add(line string) {
	if line == "" {
		return
	}
	if len(r.lines) == r.max {
		copy(r.lines, r.lines[1:])
		r.lines = r.lines[:r.max-1]
	}
	r.lines = append(r.lines, line)
}

// Lines returns a copy of the kept lines, oldest first.
func (r *logRing) Lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

// chatter is go-plugin's host-side bookkeeping, logged at debug level on
// every start; it would push the plugin's own lines out of the ring.
var chatter = map[string]bool{
	"starting plugin":         true,
	"plugin started":          true,
	"waiting for RPC address": true,
	"using plugin":            true,
	"plugin address":          true,
	"plugin exited":           true,
}

// newPluginLogger returns the logger go-plugin writes a plugin's lines to:
// its stderr (JSON lines with their level, or plain lines at debug level),
// its stdio stream and go-plugin's own messages about the process. Each
// line goes to ring and to out.
func newPluginLogger(name string, ring *logRing, out io.Writer) hclog.Logger {
	w := io.Writer(ring)
	if out != nil {
		w = io.MultiWriter(ring, out)
	}
	return hclog.New(&hclog.LoggerOptions{
		Name:   "plugin." + name,
		Level:  hclog.Debug,
		Output: w,
		Exclude: func(level hclog.Level, msg string, _ ...any) bool {
			return level <= hclog.Debug && chatter[msg]
		},
	})
}

// hclogStdOpts makes the writer for a plugin's stdio stream log each line at
// the level its prefix names ("[ERROR]", "[WARN]", …), info otherwise.
var hclogStdOpts = hclog.StandardLoggerOptions{InferLevels: true}
