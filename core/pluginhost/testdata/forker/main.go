// Command forker is a plugin that starts a child process of its own, to
// show that the host kills the plugin's whole process group. It appends the
// child's pid to the file named by JISHI_TEST_CHILD_PIDFILE. While the file
// named by JISHI_TEST_HANG_HEALTH exists, its Health calls never answer.
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
)

type forker struct{ sdk.Unimplemented }

func (forker) Health(ctx context.Context) error {
	if _, err := os.Stat(os.Getenv("JISHI_TEST_HANG_HEALTH")); err == nil {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func main() {
	child := exec.Command("sleep", "300")
	if err := child.Start(); err != nil {
		sdk.Logger().Error("start child", "error", err)
		os.Exit(1)
	}
	if f, err := os.OpenFile(os.Getenv("JISHI_TEST_CHILD_PIDFILE"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
		fmt.Fprintln(f, child.Process.Pid)
		f.Close()
	}
	sdk.Serve(&pluginv1.Manifest{Name: "forker", Version: "1.0.0"}, forker{})
}
