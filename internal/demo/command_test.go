package demo

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestDemoCommand runs the README's command, `ticketbot demo`, as a
// process on a free HTTP_ADDR, plays the whole story on its page (the
// Telegram one, then the e-mail one), and
// checks that the process then stops cleanly on SIGINT while the page is
// still connected.
func TestDemoCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ticketbot and runs the full story in a browser")
	}
	b := newBrowser(t)
	p := startDemo(t)
	base := p.base

	runStory(t, b, base)
	runEmailStory(t, b, base)

	// SIGINT with the page's event stream open: a clean, prompt exit.
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		p.stopped = true
		if err != nil {
			t.Errorf("ticketbot demo after SIGINT: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("ticketbot demo still running 10s after SIGINT (an open event stream holding the shutdown?)")
	}
}

// demoProcess is `ticketbot demo` running on base.
type demoProcess struct {
	base    string
	cmd     *exec.Cmd
	exited  chan error
	stopped bool // exited was read
	logs    syncBuffer
}

// startDemo runs `ticketbot demo` on a free HTTP_ADDR with the embedded
// Redis and waits until it serves; the test's end kills it (its output
// is logged when the test failed).
func startDemo(t *testing.T) *demoProcess {
	t.Helper()
	bin := buildTicketbot(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	p := &demoProcess{base: "http://" + addr, exited: make(chan error, 1)}
	p.cmd = exec.Command(bin, "demo")
	p.cmd.Env = append(os.Environ(), "HTTP_ADDR="+addr, "LOG_FORMAT=console", "REDIS_URL=")
	p.cmd.Stdout, p.cmd.Stderr = &p.logs, &p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if !p.stopped {
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("ticketbot demo output:\n%s", p.logs.String())
		}
	})

	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(p.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-p.exited:
			p.stopped = true
			t.Fatalf("ticketbot demo exited before serving: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("ticketbot demo did not answer /healthz within 20s")
		}
	}
	resp, err := http.Get(p.base + "/demo/api/config")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /demo/api/config: %d", resp.StatusCode)
	}
	return p
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
	buildOut  []byte
)

// buildTicketbot builds cmd/ticketbot once per test binary.
func buildTicketbot(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ticketbot-demo-test")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "ticketbot")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		buildOut, buildErr = exec.CommandContext(ctx, "go", "build", "-o", buildPath, "github.com/colombiainformatica/ticketbot/cmd/ticketbot").CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("go build ./cmd/ticketbot: %v\n%s", buildErr, buildOut)
	}
	return buildPath
}

// syncBuffer is a bytes.Buffer safe for a process's two output streams.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMain removes the ticketbot binary built for TestDemoCommand.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildPath != "" {
		_ = os.RemoveAll(filepath.Dir(buildPath))
	}
	os.Exit(code)
}
