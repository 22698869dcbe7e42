package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/bots/slack/slacktest"
	"github.com/colombiainformatica/ticketbot/bots/telegram/telegramtest"
	"github.com/colombiainformatica/ticketbot/internal/redistest"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// logBuffer collects a Main's logs, safe for concurrent writes; they are
// shown when the test fails.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startMain runs a Main on a free port with env as its whole environment
// and closes it at cleanup.
func startMain(tb testing.TB, env map[string]string, demo bool, comps ...Component) *Main {
	tb.Helper()
	vars := map[string]string{"HTTP_ADDR": "127.0.0.1:0", "LOG_LEVEL": "debug"}
	for k, v := range env {
		vars[k] = v
	}
	m := NewMain()
	m.Demo = demo
	logs := &logBuffer{}
	m.LogOutput = logs
	m.Components = comps
	cfg, err := m.ParseConfig(envOf(vars))
	if err != nil {
		tb.Fatal(err)
	}
	m.Config = cfg
	if err := m.Run(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := m.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
		if tb.Failed() {
			tb.Logf("logs:\n%s", logs)
		}
	})
	return m
}

var httpClient = &http.Client{Timeout: 5 * time.Second}

// get returns the status and body of GET path on m.
func get(tb testing.TB, m *Main, path string) (int, string) {
	tb.Helper()
	resp, err := httpClient.Get("http://" + m.HTTPAddr() + path)
	if err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(b)
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		<-tick.C
	}
}

func waitStatus(tb testing.TB, m *Main, path string, want int) {
	tb.Helper()
	last := ""
	waitFor(tb, 10*time.Second, fmt.Sprintf("GET %s = %d (last: %s)", path, want, last), func() bool {
		code, body := get(tb, m, path)
		last = fmt.Sprintf("%d %q", code, body)
		return code == want
	})
}

var metricNames = []string{
	"ticketbot_tickets_opened_total 1",
	"ticketbot_tickets_claimed_total",
	"ticketbot_tickets_resolved_total",
	`ticketbot_events_total{kind="opened"} 1`,
	`ticketbot_queue_length{priority="P1"}`,
	`ticketbot_operation_duration_seconds_bucket{op="open",outcome="ok"`,
	"go_goroutines",
}

// checkProduct drives m through its endpoints and its Service.
func checkProduct(t *testing.T, m *Main) {
	t.Helper()
	if code, body := get(t, m, "/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	waitStatus(t, m, "/readyz", 200)

	ctx := context.Background()
	tk, err := m.Service.Open(ctx, tickets.OpenRequest{
		Intake:      tickets.IntakeEmail, // e-mail intake accepts the terms by being sent
		Customer:    tickets.Customer{Platform: "email", UserID: "ana@example.com", Name: "Ana"},
		Nature:      tickets.NatureOutage,
		Urgency:     tickets.UrgencyHigh,
		Description: "the server is down",
	})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	code, body := get(t, m, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics = %d", code)
	}
	for _, name := range metricNames {
		if !strings.Contains(body, name) {
			t.Errorf("/metrics lacks %q", name)
		}
	}
	if want := fmt.Sprintf(`ticketbot_queue_length{priority="%s"} 1`, tk.Priority); !strings.Contains(body, want) {
		t.Errorf("/metrics lacks %q", want)
	}
	// The index points at the endpoints; in the demo, / is the demo page.
	want := "/readyz"
	if m.Demo {
		want = "<title>ticketbot demo</title>"
	}
	if code, body := get(t, m, "/"); code != 200 || !strings.Contains(body, want) {
		t.Errorf("/ = %d, want 200 with %q", code, want)
	}
	if code, _ := get(t, m, "/nothing"); code != 404 {
		t.Errorf("/nothing = %d, want 404", code)
	}
}

func TestMainWithRedis(t *testing.T) {
	_, prefix := redistest.Client(t) // deletes the prefix's keys at cleanup
	m := startMain(t, map[string]string{"REDIS_URL": redistest.URL(t), "REDIS_PREFIX": prefix}, false)
	checkProduct(t, m)
}

// A Redis that requires a password is reached with REDIS_PASSWORD, kept
// out of the URL; a wrong password leaves the product not ready.
func TestMainWithRedisPassword(t *testing.T) {
	srv := redistest.Start(t, "--requirepass", "s3cret-pw")
	m := startMain(t, map[string]string{"REDIS_URL": srv.URL(), "REDIS_PASSWORD": "s3cret-pw"}, false)
	checkProduct(t, m)

	wrong := startMain(t, map[string]string{"REDIS_URL": srv.URL(), "REDIS_PASSWORD": "wrong"}, false)
	waitStatus(t, wrong, "/readyz", 503)
}

// REDIS_ADDRS without a master name is Redis Cluster: the product runs on
// a real three-master cluster.
func TestMainOnRedisCluster(t *testing.T) {
	c := redistest.StartCluster(t, 3)
	m := startMain(t, map[string]string{"REDIS_ADDRS": strings.Join(c.Addrs(), ",")}, false)
	if _, ok := m.Redis.(*redis.ClusterClient); !ok {
		t.Fatalf("client = %T, want a cluster client", m.Redis)
	}
	checkProduct(t, m)
}

// REDIS_ADDRS with REDIS_MASTER_NAME is Sentinel: the product runs on the
// master the sentinels name.
func TestMainOnSentinel(t *testing.T) {
	s := redistest.StartSentinel(t)
	m := startMain(t, map[string]string{"REDIS_ADDRS": strings.Join(s.Addrs(), ","), "REDIS_MASTER_NAME": s.MasterName}, false)
	checkProduct(t, m)
	master := redis.NewClient(&redis.Options{Addr: s.Master.Addr()})
	defer master.Close()
	n, err := master.Exists(context.Background(), "ticketbot:{support}:t:1").Result()
	if err != nil || n != 1 {
		t.Errorf("ticket #1 on the master = %d, %v", n, err)
	}
}

func TestMainDemo(t *testing.T) {
	m := startMain(t, nil, true) // no REDIS_URL: the embedded server
	if m.Config.RedisSource != "embedded" {
		t.Fatalf("demo uses %q, want the embedded server", m.Config.RedisSource)
	}
	checkProduct(t, m)
	// The same product: a full lifecycle through the store's scripts.
	ctx := context.Background()
	agent := tickets.AgentActor(tickets.Agent{ID: "U1", Name: "Luis"})
	tk, err := m.Service.ClaimNext(ctx, agent)
	if err != nil {
		t.Fatalf("claim next: %v", err)
	}
	if _, err := m.Service.Resolve(ctx, agent, tk.Number); err != nil {
		t.Fatalf("resolve: %v", err)
	}
	_, body := get(t, m, "/metrics")
	for _, want := range []string{"ticketbot_tickets_claimed_total 1", "ticketbot_tickets_resolved_total 1"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestReadyzFollowsRedis(t *testing.T) {
	srv := redistest.Start(t)
	m := startMain(t, map[string]string{"REDIS_URL": srv.URL()}, false)
	waitStatus(t, m, "/readyz", 200)

	srv.Stop()
	waitStatus(t, m, "/readyz", 503)
	// The answer names the dependency, never its address or the raw
	// error: those go to the log.
	if code, body := get(t, m, "/readyz"); code != 503 || body != "not ready: redis does not answer\n" {
		t.Errorf("/readyz = %d %q, want 503 %q", code, body, "not ready: redis does not answer")
	}
	if logs := m.LogOutput.(*logBuffer).String(); !strings.Contains(logs, "readyz: redis does not answer") {
		t.Errorf("the Redis error is not logged:\n%s", logs)
	}
	if code, _ := get(t, m, "/healthz"); code != 200 {
		t.Errorf("/healthz = %d while Redis is down, want 200", code)
	}
	// The scrape does not hang on a dead Redis.
	if code, body := get(t, m, "/metrics"); code != 200 || !strings.Contains(body, "ticketbot_queue_length_errors_total 1") {
		t.Errorf("/metrics = %d, want 200 with one queue length error", code)
	}

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, m, "/readyz", 200)
}

// With METRICS_ADDR, /metrics is served there alone and no longer on the
// public address.
func TestMetricsOnTheirOwnAddress(t *testing.T) {
	m := startMain(t, map[string]string{"REDIS_URL": redistest.Start(t).URL(), "METRICS_ADDR": "127.0.0.1:0"}, false)
	waitStatus(t, m, "/readyz", 200)
	if code, _ := get(t, m, "/metrics"); code != http.StatusNotFound {
		t.Errorf("public /metrics = %d, want 404", code)
	}
	if m.MetricsAddr() == "" || m.MetricsAddr() == m.HTTPAddr() {
		t.Fatalf("metrics address = %q, public %q", m.MetricsAddr(), m.HTTPAddr())
	}
	private := func(path string) (int, string) {
		resp, err := httpClient.Get("http://" + m.MetricsAddr() + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := private("/metrics"); code != 200 || !strings.Contains(body, "ticketbot_tickets_opened_total") {
		t.Errorf("/metrics on METRICS_ADDR = %d, want 200 with ticketbot's metrics", code)
	}
	if code, _ := private("/readyz"); code != http.StatusNotFound {
		t.Errorf("/readyz on METRICS_ADDR = %d, want 404 (only /metrics there)", code)
	}
}

func TestStartsWhileRedisIsDown(t *testing.T) {
	srv := redistest.Start(t)
	srv.Stop()
	m := startMain(t, map[string]string{"REDIS_URL": srv.URL()}, false)
	if code, _ := get(t, m, "/readyz"); code != 503 {
		t.Errorf("/readyz = %d with Redis down, want 503", code)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, m, "/readyz", 200)
	if _, err := m.Service.Open(context.Background(), tickets.OpenRequest{
		Intake: tickets.IntakeEmail, Customer: tickets.Customer{Platform: "email", UserID: "a@b.co"},
		Nature: tickets.NatureQuestion, Urgency: tickets.UrgencyLow, Description: "hola",
	}); err != nil {
		t.Fatalf("open after Redis came back: %v", err)
	}
}

// slowStopper takes a while to stop, like an adapter finishing its work.
type slowStopper struct {
	delay   time.Duration
	stopped chan struct{}
}

func (c *slowStopper) Run(ctx context.Context) error {
	<-ctx.Done()
	time.Sleep(c.delay) // simulated work on the way out, not synchronisation
	close(c.stopped)
	return nil
}

func TestGracefulShutdown(t *testing.T) {
	c := &slowStopper{delay: 200 * time.Millisecond, stopped: make(chan struct{})}
	m := NewMain()
	m.LogOutput = io.Discard
	m.Demo = true
	m.Components = []Component{c}
	cfg, err := m.ParseConfig(envOf(map[string]string{"HTTP_ADDR": "127.0.0.1:0", "SHUTDOWN_TIMEOUT": "5s"}))
	if err != nil {
		t.Fatal(err)
	}
	m.Config = cfg
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	addr := m.HTTPAddr()
	start := time.Now()
	if err := m.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("close took %v, more than SHUTDOWN_TIMEOUT", d)
	}
	select {
	case <-c.stopped:
	default:
		t.Error("close returned before the component stopped")
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Error("the HTTP server still accepts connections after close")
	}
}

// stuck never stops.
type stuck struct{ release chan struct{} }

func (c stuck) Run(ctx context.Context) error {
	<-c.release
	return nil
}

func TestShutdownTimeout(t *testing.T) {
	c := stuck{release: make(chan struct{})}
	defer close(c.release)
	m := NewMain()
	m.LogOutput = io.Discard
	m.Demo = true
	m.Components = []Component{c}
	cfg, err := m.ParseConfig(envOf(map[string]string{"HTTP_ADDR": "127.0.0.1:0", "SHUTDOWN_TIMEOUT": "300ms"}))
	if err != nil {
		t.Fatal(err)
	}
	m.Config = cfg
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = m.Close()
	if err == nil {
		t.Fatal("close succeeded with a component that never stops")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("close took %v with SHUTDOWN_TIMEOUT=300ms", d)
	}
}

// failing fails at once.
type failing struct{}

func (failing) Run(context.Context) error { return errors.New("adapter broke") }

func TestComponentFailureStopsTheProduct(t *testing.T) {
	m := startMain(t, nil, true, failing{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := m.Wait(ctx)
	if err == nil || !strings.Contains(err.Error(), "adapter broke") {
		t.Fatalf("Wait = %v, want the component's error", err)
	}
}

// routed mounts a handler, like an adapter that receives webhooks.
type routed struct{}

func (routed) Run(ctx context.Context) error { <-ctx.Done(); return nil }
func (routed) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /test/hook", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "hooked") })
}

func TestComponentRoutes(t *testing.T) {
	m := startMain(t, nil, true, routed{})
	resp, err := httpClient.Post("http://"+m.HTTPAddr()+"/test/hook", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != "hooked" {
		t.Errorf("POST /test/hook = %d %q", resp.StatusCode, b)
	}
}

func TestLogsNeverShowTokens(t *testing.T) {
	// The real adapters, pointed at the fake platforms with these tokens,
	// and logging everything.
	const tgToken, slToken, secret = "123:telegram-secret-token", "xoxb-slack-secret", "signing-secret-value"
	tg := telegramtest.New(telegramtest.WithToken(tgToken))
	defer tg.Close()
	sl := slacktest.Start(t, slacktest.WithToken(slToken))
	_, prefix := redistest.Client(t)
	logs := &logBuffer{}
	m := NewMain()
	m.LogOutput = logs
	cfg, err := m.ParseConfig(envOf(map[string]string{
		"HTTP_ADDR": "127.0.0.1:0", "LOG_LEVEL": "trace", "LOG_FORMAT": "json",
		"REDIS_URL": redistest.URL(t), "REDIS_PREFIX": prefix,
		"TELEGRAM_BOT_TOKEN": tgToken, "TELEGRAM_API_ENDPOINT": tg.Endpoint(),
		"SLACK_BOT_TOKEN": slToken, "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": sl.APIURL(),
		"SLACK_QUEUE_CHANNEL": slacktest.DefaultChannelID, "SLACK_AGENTS": "U1",
	}))
	if err != nil {
		t.Fatal(err)
	}
	m.Config = cfg
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, m, "/readyz", 200)
	// Some traffic: a customer's /start through the real Telegram adapter,
	// then a Telegram outage that the adapter logs.
	tg.SendCommand(telegramtest.User{ID: 42, FirstName: "Ana", LanguageCode: "es"}, "start", "")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := tg.WaitMessages(ctx, 42, 1); err != nil {
		t.Fatalf("no answer to /start: %v", err)
	}
	tg.FailNext(telegramtest.AnyMethod, 3, 500, "Internal Server Error")
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	for _, token := range []string{tgToken, "telegram-secret", slToken, "slack-secret", secret} {
		if strings.Contains(out, token) {
			t.Errorf("logs contain a secret %q:\n%s", token, out)
		}
	}
	for _, want := range []string{`"telegram":"on"`, `"slack":"on"`, `"message":"telegram on"`, `"component":"http"`} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %s:\n%s", want, out)
		}
	}
}

func TestRunCommands(t *testing.T) {
	tests := []struct {
		args       []string
		env        map[string]string
		code       int
		stdout     string
		stderr     string
		stderrLine bool // stderr is exactly one line
	}{
		{args: []string{"version"}, code: 0, stdout: "ticketbot "},
		{args: []string{"help"}, code: 0, stdout: "ticketbot demo"},
		{args: []string{"frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`},
		{args: []string{"demo", "extra"}, code: 2, stderr: `unexpected argument "extra"`},
		{args: nil, code: 2, stderr: "ticketbot: config: REDIS_URL: not set", stderrLine: true},
		{args: []string{"demo"}, env: map[string]string{"LOG_LEVEL": "loud"}, code: 2,
			stderr: `ticketbot: config: LOG_LEVEL: unknown level "loud"`, stderrLine: true},
		{args: []string{"bench"}, code: 2, stderr: "REDIS_URL is not set"},
		{args: []string{"bench", "-n", "x"}, env: map[string]string{"REDIS_URL": "redis://localhost"}, code: 2, stderr: "invalid value"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, envOf(tt.env), &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tt.code, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("stdout %q lacks %q", stdout.String(), tt.stdout)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.stderr)
			}
			if tt.stderrLine && strings.Count(stderr.String(), "\n") != 1 {
				t.Errorf("stderr %q is not one line", stderr.String())
			}
		})
	}
}

func TestVersionOf(t *testing.T) {
	for _, tt := range []struct {
		main     string
		settings []debug.BuildSetting
		want     string
	}{
		{main: "v1.2.3", settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}, want: "v1.2.3"},
		{main: "(devel)", settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}, want: "(devel) 0123456789ab+dirty"},
		{main: "(devel)", settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "false"}}, want: "(devel) 0123456789ab"},
		{main: "", want: "(devel)"},
	} {
		if got := versionOf(&debug.BuildInfo{Main: debug.Module{Version: tt.main}, Settings: tt.settings}); got != tt.want {
			t.Errorf("versionOf(%q, %v) = %q, want %q", tt.main, tt.settings, got, tt.want)
		}
	}
}

func TestDeadLettersInboundCommand(t *testing.T) {
	_, prefix := redistest.Client(t)
	env := envOf(map[string]string{"REDIS_URL": redistest.URL(t), "REDIS_PREFIX": prefix})
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"deadletters", "inbound"}, env, &stdout, &stderr); code != 0 ||
		!strings.Contains(stdout.String(), "0 inbound dead letters") {
		t.Errorf("deadletters inbound = %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), []string{"deadletters", "inbound", "-limit", "0"}, env, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "usage: deadletters inbound") {
		t.Errorf("deadletters inbound -limit 0 = %d, stderr %q", code, stderr.String())
	}
}

func TestServeExitsZeroOnSignal(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		// Cancelling ctx is what SIGINT/SIGTERM do through signal.NotifyContext.
		done <- run(ctx, []string{"demo"}, envOf(map[string]string{"HTTP_ADDR": addr}), io.Discard, io.Discard)
	}()
	waitFor(t, 10*time.Second, "the demo to serve", func() bool {
		resp, err := httpClient.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d after a graceful shutdown, want 0", code)
		}
	case <-time.After(DefaultShutdownTimeout + 5*time.Second):
		t.Fatal("serve did not return after the signal")
	}
}

// TestDemoOnRealRedisLeavesNothing: the demo on REDIS_URL keeps its keys
// under a throwaway prefix (never the desk's real one), deletes them when
// it stops, and a second run starts clean.
func TestDemoOnRealRedisLeavesNothing(t *testing.T) {
	url := redistest.URL(t)
	rdb, prefix := redistest.Client(t)
	for run := 1; run <= 2; run++ {
		m := NewMain()
		m.Demo = true
		m.LogOutput = &logBuffer{}
		cfg, err := m.ParseConfig(envOf(map[string]string{"HTTP_ADDR": "127.0.0.1:0", "REDIS_URL": url, "REDIS_PREFIX": prefix}))
		if err != nil {
			t.Fatal(err)
		}
		m.Config = cfg
		if err := m.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(m.Config.Prefix, prefix+"-demo-") {
			t.Fatalf("run %d: demo prefix %q, want a throwaway one under %q", run, m.Config.Prefix, prefix)
		}
		tk, err := m.Service.Open(context.Background(), tickets.OpenRequest{
			Customer: tickets.Customer{Platform: "email", UserID: "a@b.co", ChatID: "a@b.co"}, Intake: tickets.IntakeEmail,
			Nature: tickets.NatureQuestion, Urgency: tickets.UrgencyLow, Description: "hola",
		})
		if err != nil {
			t.Fatal(err)
		}
		if tk.Number != 1 {
			t.Fatalf("run %d: first ticket is #%d, want #1 (a clean desk)", run, tk.Number)
		}
		pattern := m.Store.KeyPattern()
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		keys, err := rdb.Keys(context.Background(), pattern).Result()
		if err != nil || len(keys) != 0 {
			t.Fatalf("run %d left %d keys (%v)", run, len(keys), err)
		}
	}
}
