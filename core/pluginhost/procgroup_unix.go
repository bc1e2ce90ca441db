//go:build unix

package pluginhost

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup makes the plugin the leader of a new process group, so
// that killGroup reaches anything it started.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killGroup kills every process left in the group the plugin with pid led.
func killGroup(pid int) {
	if pid > 0 {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}
