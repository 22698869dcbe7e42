// Package testproc runs the servers that tests start as processes of their
// own (redis-server, dovecot, mailpit): on a free port, dying with the test
// binary, polled until ready, killed and waited for. Port pickers and
// start-up loops live here once; redistest and mailtest say only how to run
// and how to probe their server.
package testproc

import (
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrPortTaken reports a server that could not have its port: the port was
// free when picked but another process took it before the server bound it.
// A first start then tries other ports.
var ErrPortTaken = errors.New("port taken")

// FreePort picks a free port below the kernel's ephemeral range (which
// starts at 32768), so that while a test has its server stopped no
// connection or :0 listener of another process takes the port; only another
// test's server could, and the start-up probe detects that.
func FreePort() (int, error) {
	for range 100 {
		port := 20000 + mrand.IntN(12000)
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			l.Close()
			return port, nil
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// FreePorts picks n distinct free ports, as FreePort does, for a server
// that listens on more than one.
func FreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for len(ports) < n {
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ports, port) {
			ports = append(ports, port)
		}
	}
	return ports, nil
}

// Spec says how to run a server.
type Spec struct {
	Name string   // for errors: "redis-server on port 20001"
	Path string   // the program
	Args []string // its arguments
	// Output, when set, receives the process's stdout and stderr.
	Output string
	// UID and GID, when UID is not negative, are the user and group the
	// process runs as.
	UID, GID int
	// Ready probes the server started as process pid; nil means it is
	// ready. An error that wraps ErrPortTaken (another server answers on
	// the port) ends the start at once; any other is retried until Timeout.
	Ready   func(pid int) error
	Timeout time.Duration
	// Log returns the last lines of the server's log, for errors. A log
	// saying "address already in use" after an exit means ErrPortTaken.
	Log func() string
}

// Proc is a started server process.
type Proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Start runs sp's program and waits until sp.Ready succeeds. On failure the
// process is gone.
func Start(sp Spec) (*Proc, error) {
	cmd := exec.Command(sp.Path, sp.Args...)
	if sp.Output != "" {
		out, err := os.Create(sp.Output)
		if err != nil {
			return nil, err
		}
		defer out.Close()
		cmd.Stdout, cmd.Stderr = out, out
	}
	dieWithParent(cmd, sp.UID, sp.GID)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Proc{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	deadline := time.Now().Add(sp.Timeout)
	for {
		select {
		case <-p.done:
			log := sp.Log()
			if strings.Contains(strings.ToLower(log), "address already in use") {
				return nil, fmt.Errorf("%s: %w: %s", sp.Name, ErrPortTaken, log)
			}
			return nil, fmt.Errorf("%s exited: %s", sp.Name, log)
		default:
		}
		err := sp.Ready(cmd.Process.Pid)
		switch {
		case err == nil:
			return p, nil
		case errors.Is(err, ErrPortTaken):
			p.Kill()
			return nil, fmt.Errorf("%s: %w", sp.Name, err)
		case time.Now().After(deadline):
			p.Kill()
			return nil, fmt.Errorf("%s did not become ready: %v; log: %s", sp.Name, err, sp.Log())
		}
		time.Sleep(20 * time.Millisecond) // polling a child process start-up, not synchronising tests
	}
}

// Pid returns the process ID.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Kill kills the process (SIGKILL: an abrupt outage) and waits for it.
func (p *Proc) Kill() {
	if p == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Tail returns the last n lines of the files (those that exist), joined by
// " | ", for error messages.
func Tail(n int, files ...string) string {
	var parts []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		parts = append(parts, strings.Join(lines, " | "))
	}
	if len(parts) == 0 {
		return "(no log)"
	}
	return strings.Join(parts, " | ")
}
