//go:build !unix

package sdk

import "os"

// handshakeOut is nil where stdout cannot be guarded: the handshake goes to
// os.Stdout and plugins must keep from printing.
var handshakeOut *os.File

func guardStdout() {}
