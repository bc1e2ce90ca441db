//go:build unix

package sdk

import (
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// handshakeOut is the process's real stdout once guardStdout has run; only
// go-plugin's handshake line is written to it.
var handshakeOut *os.File

var guardOnce sync.Once

// In a process started by the host, stdout is guarded before any package
// that imports this one is initialised, so a stray print in an init function
// or in main before Serve cannot take the handshake's place.
func init() {
	if launchedByHost() {
		guardStdout()
	}
}

// guardStdout keeps a duplicate of file descriptor 1 for the handshake and
// points descriptor 1 at stderr, so every later write to stdout, through
// os.Stdout or not, lands in the plugin's log.
func guardStdout() {
	guardOnce.Do(func() {
		fd, err := unix.Dup(1)
		if err != nil {
			return
		}
		unix.CloseOnExec(fd)
		if err := unix.Dup2(2, 1); err != nil {
			_ = unix.Close(fd)
			return
		}
		handshakeOut = os.NewFile(uintptr(fd), "/dev/stdout")
	})
}
