package main

import (
	"net"
	"strconv"
)

// Defaults of the limits.
const (
	DefaultFloodLimit       = 20
	DefaultMaxActiveTickets = 3
)

// LimitsConfig bounds what one customer can make the desk hold, and where
// the metrics are served.
type LimitsConfig struct {
	// FloodLimit is the Telegram updates one customer may send in a
	// minute (album parts each count); more are refused.
	FloodLimit int
	// MaxActiveTickets is the number of tickets one customer may have
	// active (not resolved or closed) at once; 0 sets no cap.
	MaxActiveTickets int
	// MetricsAddr, when set, is the only address /metrics is served on
	// (a private port); it is then not served on HTTPAddr.
	MetricsAddr string
}

// parseLimits reads the limits; httpAddr is the public listen address,
// which MetricsAddr must differ from.
func parseLimits(env func(string, string) string, httpAddr string) (LimitsConfig, error) {
	var c LimitsConfig
	var err error
	if c.FloodLimit, err = parseCount(env, "FLOOD_LIMIT", DefaultFloodLimit, 1); err != nil {
		return LimitsConfig{}, err
	}
	if c.MaxActiveTickets, err = parseCount(env, "MAX_ACTIVE_TICKETS", DefaultMaxActiveTickets, 0); err != nil {
		return LimitsConfig{}, err
	}
	c.MetricsAddr = env("METRICS_ADDR", "")
	if c.MetricsAddr == "" {
		return c, nil
	}
	host, port, err := net.SplitHostPort(c.MetricsAddr)
	if err != nil || port == "" {
		return LimitsConfig{}, configErr("METRICS_ADDR", "%q is not a listen address like 127.0.0.1:9090", c.MetricsAddr)
	}
	if pubHost, pubPort, _ := net.SplitHostPort(httpAddr); port == pubPort && port != "0" && overlaps(host, pubHost) {
		return LimitsConfig{}, configErr("METRICS_ADDR", "%q is the address of HTTP_ADDR (%q): give the metrics a port of their own", c.MetricsAddr, httpAddr)
	}
	return c, nil
}

// overlaps reports whether listening on hosts a and b (same port) would
// take the same socket: the same host, or either one every interface.
func overlaps(a, b string) bool {
	wildcard := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	return a == b || wildcard(a) || wildcard(b)
}

// parseCount reads a whole number of at least least, def when unset.
func parseCount(env func(string, string) string, name string, def, least int) (int, error) {
	v := env(name, "")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < least {
		return 0, configErr(name, "%q is not a whole number of at least %d", v, least)
	}
	return n, nil
}
