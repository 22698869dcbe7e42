package redistest

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill the redis-server when the test binary
// exits, so no server outlives its tests.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
