package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/mattn/go-isatty"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/colombiainformatica/ticketbot/internal/demo"
	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// Main is the product, wired: the configuration, the Redis client, the
// store, the Service and the components, with the HTTP server in front.
// main uses it as ParseConfig, Run, Wait and Close; end-to-end tests reuse
// it the same way.
type Main struct {
	// Config is set from ParseConfig before Run.
	Config Config
	// Demo starts an embedded Redis-compatible server when no Redis is
	// configured. The store code is the same as in production: only the
	// client's address differs.
	Demo bool
	// LogOutput receives the logs (os.Stderr when nil).
	LogOutput io.Writer
	// Components are extra components to run next to the ones Run builds
	// (tests add their own here).
	Components []Component

	// Set by Run.
	Log     zerolog.Logger
	Redis   redis.UniversalClient
	Store   *store.Store
	Service *tickets.Service
	Metrics *Metrics

	embedded  *miniredis.Miniredis
	fakes     *demo.Fakes  // demo: in-process Telegram and Slack
	throwaway bool         // demo on a real Redis: delete its keys at Close
	page      *demo.Server // demo: the page
	listener  net.Listener
	server    *http.Server
	serveErr  chan error
	// metricsListener and metricsServer serve /metrics on METRICS_ADDR.
	metricsListener net.Listener
	metricsServer   *http.Server
	group           *group
	stopping        atomic.Bool
}

// NewMain returns a Main to configure and run.
func NewMain() *Main {
	return &Main{LogOutput: os.Stderr, Log: zerolog.Nop()}
}

// ParseConfig reads the configuration through getenv (os.Getenv in
// production). A missing, invalid or contradictory setting is a
// *ConfigError naming the variable.
func (m *Main) ParseConfig(getenv func(string) string) (Config, error) {
	if m.Demo {
		// The demo is run by a person at a terminal: readable logs unless
		// asked otherwise.
		inner := getenv
		getenv = func(name string) string {
			if v := inner(name); v != "" || name != "LOG_FORMAT" {
				return v
			}
			return "console"
		}
	}
	return parseConfig(getenv, m.Demo)
}

// Run builds everything in dependency order, starts the components and the
// HTTP server, and returns once the server listens. It does not wait for
// Redis: the components retry until it answers and /readyz says when it
// does. Stop it with Close; Wait reports a component's failure.
func (m *Main) Run(ctx context.Context) error {
	cfg := m.Config
	m.Log = newLogger(cfg, m.LogOutput)

	if cfg.Redis == nil {
		if !m.Demo {
			return errors.New("no Redis configured")
		}
		m.embedded = miniredis.NewMiniRedis()
		if err := m.embedded.Start(); err != nil {
			return fmt.Errorf("start the embedded Redis: %w", err)
		}
		cfg.Redis = &redis.UniversalOptions{Addrs: []string{m.embedded.Addr()}}
		cfg.RedisSource = "embedded"
		m.Config = cfg
	} else if m.Demo {
		// The demo on a real Redis plays with fake chats: its keys live
		// under a throwaway prefix, deleted at Close, so they never mix
		// with a desk's real tickets nor with an earlier demo run.
		var b [4]byte
		_, _ = rand.Read(b[:])
		cfg.Prefix += "-demo-" + hex.EncodeToString(b[:])
		m.Config = cfg
		m.throwaway = true
	}
	m.Redis = redis.NewUniversalClient(cfg.Redis)
	m.Store = newStore(cfg, m.Redis)
	m.Metrics = NewMetrics()
	m.Service = newService(cfg, m.Store, m.Metrics)
	m.Metrics.WatchQueue(m.Service, 2*time.Second)
	m.logStart()

	comps := []Component{&redisWarmup{store: m.Store, outbox: store.NewDelivery(m.Store), log: m.component("redis")}}
	adapters, err := m.adapters()
	if err != nil {
		return err
	}
	comps = append(comps, adapters...)
	if r := m.retentionRunner(); r != nil {
		comps = append(comps, r)
	}
	comps = append(comps, m.Components...)

	mux := http.NewServeMux()
	m.routes(mux)
	for _, c := range comps {
		if r, ok := c.(Router); ok {
			r.Routes(mux)
		}
	}
	l, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	m.serveErr = make(chan error, 2)
	if err := m.serveMetrics(); err != nil {
		l.Close()
		return err
	}
	m.listener = l
	m.listening(l)
	srv := newHTTPServer(mux, m.component("http"))
	if m.page != nil {
		srv.RegisterOnShutdown(m.page.Close) // open event streams would hold the shutdown
	}
	m.server = srv
	go func() { m.serveErr <- srv.Serve(l) }()
	served := "serving /healthz, /readyz, /metrics"
	if cfg.Limits.MetricsAddr != "" {
		served = "serving /healthz, /readyz"
	}
	m.component("http").Info().Str("addr", l.Addr().String()).Msg(served)
	if m.Demo {
		m.Log.Info().Msgf("demo running: open http://localhost:%d", l.Addr().(*net.TCPAddr).Port)
	}

	// Components outlive ctx's cancellation: Close stops them in order,
	// after the HTTP server.
	m.group = startGroup(context.WithoutCancel(ctx), comps)
	return nil
}

// HTTPAddr returns the address the HTTP server listens on ("" before Run).
func (m *Main) HTTPAddr() string {
	if m.listener == nil {
		return ""
	}
	return m.listener.Addr().String()
}

// Wait blocks until ctx is done (it then returns nil) or a component or
// the HTTP server fails (it returns that error).
func (m *Main) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-m.group.failed:
		return m.group.err
	case err := <-m.serveErr:
		return fmt.Errorf("http server: %w", err)
	}
}

// Close shuts down within Config.ShutdownTimeout: the HTTP server stops
// accepting and finishes its requests, then the components are cancelled
// and awaited, then Redis is closed. It returns an error if something did
// not stop in time.
func (m *Main) Close() error {
	m.stopping.Store(true)
	timeout := m.Config.ShutdownTimeout
	if timeout <= 0 {
		timeout = DefaultShutdownTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var errs []error
	if m.server != nil {
		if err := m.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop http server: %w", err))
		}
		m.server = nil
	}
	if m.metricsServer != nil {
		if err := m.metricsServer.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop metrics server: %w", err))
		}
		m.metricsServer = nil
	}
	if m.group != nil {
		if err := m.group.stop(ctx); err != nil {
			errs = append(errs, err)
		}
		m.group = nil
	}
	if m.Redis != nil && m.throwaway && m.Store != nil {
		if err := deleteKeys(ctx, m.Redis, m.Store.KeyPattern()); err != nil {
			errs = append(errs, fmt.Errorf("delete the demo's keys: %w", err))
		}
	}
	if m.Redis != nil {
		if err := m.Redis.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close redis: %w", err))
		}
		m.Redis = nil
	}
	if m.fakes != nil {
		m.fakes.Close()
		m.fakes = nil
	}
	if m.embedded != nil {
		m.embedded.Close()
		m.embedded = nil
	}
	return errors.Join(errs...)
}

// component returns the sub-logger of one part of the product.
func (m *Main) component(name string) *zerolog.Logger {
	l := m.Log.With().Str("component", name).Logger()
	return &l
}

// logStart logs what runs, never a token or a password.
func (m *Main) logStart() {
	cfg := m.Config
	for _, w := range cfg.Warnings {
		m.Log.Warn().Msg(w)
	}
	mode := "single"
	switch {
	case cfg.Redis.MasterName != "":
		mode = "sentinel"
	case len(cfg.Redis.Addrs) > 1:
		mode = "cluster"
	}
	m.Log.Info().
		Str("version", Version()).
		Bool("demo", m.Demo).
		Str("redis", cfg.RedisSource).
		Str("redis_mode", mode).
		Str("redis_addrs", strings.Join(cfg.Redis.Addrs, ",")).
		Bool("redis_tls", cfg.Redis.TLSConfig != nil).
		Str("prefix", cfg.Prefix).
		Str("desk", cfg.Desk).
		Str("telegram", platformState(m.Demo, cfg.Telegram.Enabled())).
		Str("slack", platformState(m.Demo, cfg.Slack.Enabled())).
		Str("email", platformState(m.Demo, cfg.Email.Enabled())).
		Str("language", cfg.Language).
		Str("terms_version", cfg.TermsVersion).
		Msg("ticketbot starting")
}

// platformState says how a chat platform runs: "on", "off", or "demo"
// (against the in-process fake).
func platformState(demo, enabled bool) string {
	switch {
	case demo:
		return "demo"
	case enabled:
		return "on"
	}
	return "off"
}

// newLogger builds the root logger: JSON lines, or console output for
// people.
func newLogger(cfg Config, out io.Writer) zerolog.Logger {
	if out == nil {
		out = os.Stderr
	}
	if cfg.LogFormat == "console" {
		f, isFile := out.(*os.File)
		color := isFile && isatty.IsTerminal(f.Fd())
		out = zerolog.ConsoleWriter{Out: out, TimeFormat: time.TimeOnly, NoColor: !color}
	}
	return zerolog.New(out).Level(cfg.LogLevel).With().Timestamp().Logger()
}

// redisLogger bridges go-redis's own log lines (dial failures, pool
// trouble) into zerolog.
type redisLogger struct{ log *zerolog.Logger }

func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn().Msgf(format, v...)
}

// redisWarmup waits for Redis and loads the store's scripts, retrying with
// a bounded backoff for as long as it takes: a Redis that is briefly down
// at start is not a reason to exit (/readyz reports it meanwhile).
type redisWarmup struct {
	store  *store.Store
	outbox *store.Delivery
	log    *zerolog.Logger
}

func (w *redisWarmup) Run(ctx context.Context) error {
	const maxBackoff = 5 * time.Second
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := w.store.Ping(actx)
		if err == nil {
			err = w.store.Load(actx)
		}
		if err == nil {
			err = w.outbox.Load(actx)
		}
		cancel()
		if err == nil {
			w.log.Info().Int("attempts", attempt).Msg("redis answers; scripts loaded")
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		w.log.Warn().Err(err).Int("attempt", attempt).Dur("retry_in", backoff).Msg("redis not ready; retrying")
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(backoff*2, maxBackoff)
	}
}
