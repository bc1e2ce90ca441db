package sdk

import (
	"os"

	"github.com/hashicorp/go-hclog"
)

// LogLevelEnv names the environment variable that sets the plugin's log level
// ("trace", "debug", "info", "warn", "error"); the default is info.
const LogLevelEnv = "JISHI_PLUGIN_LOG_LEVEL"

// logger writes to the process's stderr as it was when the package was
// initialised: go-plugin later swaps os.Stderr for a pipe of its own.
var logger = newLogger()

func newLogger() hclog.Logger {
	level := hclog.LevelFromString(os.Getenv(LogLevelEnv))
	if level == hclog.NoLevel {
		level = hclog.Info
	}
	return hclog.New(&hclog.LoggerOptions{
		Level:  level,
		Output: os.Stderr,
		// The host parses JSON lines into its own log with their level and
		// fields; a person running tests reads plain text.
		JSONFormat: launchedByHost(),
	})
}

// Logger returns the plugin's logger. It writes to stderr, which the host
// reads into its own log; a plugin never writes to stdout. Use
// Tenant.Logger inside hooks so lines carry the tenant and request id.
func Logger() hclog.Logger { return logger }
