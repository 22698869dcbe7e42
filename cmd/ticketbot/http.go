package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/rs/zerolog"
)

// readyTimeout bounds the PING behind /readyz.
const readyTimeout = time.Second

// newHTTPServer returns the product's HTTP server with timeouts that a slow
// or hostile client cannot stretch.
func newHTTPServer(h http.Handler, l *zerolog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(l.With().Str("source", "net/http").Logger(), "", 0),
	}
}

// routes mounts the product's own endpoints.
func (m *Main) routes(mux *http.ServeMux) {
	if !m.Demo { // the demo page serves /
		mux.HandleFunc("GET /{$}", m.handleIndex)
	}
	mux.HandleFunc("GET /healthz", handleHealth)
	mux.HandleFunc("GET /readyz", m.handleReady)
	if m.Config.Limits.MetricsAddr == "" {
		mux.Handle("GET /metrics", m.Metrics.Handler())
	}
}

// serveMetrics serves /metrics alone on METRICS_ADDR, when it is set, so
// that the public address does not show them.
func (m *Main) serveMetrics() error {
	addr := m.Config.Limits.MetricsAddr
	if addr == "" {
		return nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on METRICS_ADDR %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Metrics.Handler())
	srv := newHTTPServer(mux, m.component("metrics"))
	m.metricsListener, m.metricsServer = l, srv
	go func() {
		if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			m.serveErr <- fmt.Errorf("metrics: %w", err) // room for it: serveErr holds 2
		}
	}()
	m.component("http").Info().Str("addr", l.Addr().String()).Msg("serving /metrics")
	return nil
}

// MetricsAddr returns the address /metrics is served on alone ("" when it
// is served with the rest, or before Run).
func (m *Main) MetricsAddr() string {
	if m.metricsListener == nil {
		return ""
	}
	return m.metricsListener.Addr().String()
}

// handleHealth answers while the process runs.
func handleHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// handleReady answers 200 when Redis answers PING within readyTimeout, 503
// naming what is not ready otherwise (never an address or a raw error).
func (m *Main) handleReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if m.stopping.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "not ready: shutting down")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := m.Store.Ping(ctx); err != nil {
		// The error names the server's address: it goes to the log, the
		// answer names the dependency only.
		m.component("http").Warn().Err(err).Msg("readyz: redis does not answer")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "not ready: redis does not answer")
		return
	}
	fmt.Fprintln(w, "ok")
}

// handleIndex tells a person who opens the server what is there.
func (m *Main) handleIndex(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	onOff := func(on bool, mode string) string {
		if on {
			return "on (" + mode + ")"
		}
		return "off"
	}
	fmt.Fprintf(w, "ticketbot %s: the chat front end of the support desk %q\n\n", Version(), m.Config.Desk)
	fmt.Fprintf(w, "redis:    %s\n", m.Config.RedisSource)
	fmt.Fprintf(w, "telegram: %s\n", onOff(m.Config.Telegram.Enabled(), m.Config.Telegram.Mode()))
	fmt.Fprintf(w, "slack:    %s\n\n", onOff(m.Config.Slack.Enabled(), m.Config.Slack.Mode()))
	fmt.Fprintln(w, "/healthz  200 while the process runs")
	fmt.Fprintln(w, "/readyz   200 when Redis answers, 503 naming what is not ready otherwise")
	if m.Config.Limits.MetricsAddr == "" {
		fmt.Fprintln(w, "/metrics  Prometheus metrics")
	}
}
