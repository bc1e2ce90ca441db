// Command crasher is a plugin binary that fails on start: it writes why to
// stderr and exits with status 1 before the handshake.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "crasher: loading settings")
	fmt.Fprintln(os.Stderr, "crasher: cannot open settings store: disk full")
	os.Exit(1)
}
