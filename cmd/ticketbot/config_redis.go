package main

import (
	"crypto/tls"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// parseRedis returns the client options from REDIS_URL or REDIS_ADDRS (nil
// when neither is set). Errors never repeat the URL: it may hold a password.
func parseRedis(getenv func(string) string) (*redis.UniversalOptions, string, error) {
	rawURL := strings.TrimSpace(getenv("REDIS_URL"))
	addrs := strings.TrimSpace(getenv("REDIS_ADDRS"))
	master := strings.TrimSpace(getenv("REDIS_MASTER_NAME"))
	switch {
	case rawURL != "" && addrs != "":
		return nil, "", configErr("REDIS_ADDRS", "contradicts REDIS_URL; set only one of them")
	case rawURL != "":
		if master != "" {
			return nil, "", configErr("REDIS_MASTER_NAME", "needs REDIS_ADDRS (the Sentinel addresses), not REDIS_URL")
		}
		u, err := url.Parse(rawURL)
		if err != nil {
			return nil, "", configErr("REDIS_URL", "not a valid URL")
		}
		if u.Hostname() == "" {
			return nil, "", configErr("REDIS_URL", "no host: want redis://host:port")
		}
		if u.Scheme != "redis" && u.Scheme != "rediss" {
			return nil, "", configErr("REDIS_URL", "scheme %q: want redis:// or rediss://", u.Scheme)
		}
		o, err := redis.ParseURL(rawURL)
		if err != nil {
			return nil, "", configErr("REDIS_URL", "%s", redactURLError(err, u))
		}
		if err := redisAuthFromEnv(getenv, o); err != nil {
			return nil, "", err
		}
		if tlsOn := strings.TrimSpace(getenv("REDIS_TLS")); tlsOn != "" {
			return nil, "", configErr("REDIS_TLS", "applies to REDIS_ADDRS; with REDIS_URL use a rediss:// URL")
		}
		return &redis.UniversalOptions{
			Addrs:           []string{o.Addr},
			ClientName:      o.ClientName,
			DB:              o.DB,
			Protocol:        o.Protocol,
			Username:        o.Username,
			Password:        o.Password,
			MaxRetries:      o.MaxRetries,
			MinRetryBackoff: o.MinRetryBackoff,
			MaxRetryBackoff: o.MaxRetryBackoff,
			DialTimeout:     o.DialTimeout,
			ReadTimeout:     o.ReadTimeout,
			WriteTimeout:    o.WriteTimeout,
			PoolSize:        o.PoolSize,
			MinIdleConns:    o.MinIdleConns,
			MaxIdleConns:    o.MaxIdleConns,
			PoolTimeout:     o.PoolTimeout,
			ConnMaxIdleTime: o.ConnMaxIdleTime,
			ConnMaxLifetime: o.ConnMaxLifetime,
			TLSConfig:       o.TLSConfig,
		}, "REDIS_URL", nil
	case addrs != "":
		var list []string
		for i, a := range strings.Split(addrs, ",") {
			a = strings.TrimSpace(a)
			if a == "" {
				return nil, "", configErr("REDIS_ADDRS", "entry %d is empty", i+1)
			}
			host, port, err := net.SplitHostPort(a)
			if p, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || p < 1 || p > 65535 {
				return nil, "", configErr("REDIS_ADDRS", "%q is not a host:port address", a)
			}
			list = append(list, a)
		}
		opts := &redis.UniversalOptions{
			Addrs:            list,
			MasterName:       master,
			Username:         getenv("REDIS_USERNAME"),
			Password:         getenv("REDIS_PASSWORD"),
			SentinelPassword: getenv("REDIS_SENTINEL_PASSWORD"),
		}
		if opts.SentinelPassword != "" && master == "" {
			return nil, "", configErr("REDIS_SENTINEL_PASSWORD", "needs REDIS_MASTER_NAME (Sentinel)")
		}
		on, err := parseBoolVar(getenv, "REDIS_TLS")
		if err != nil {
			return nil, "", err
		}
		if on {
			// The server name of each connection is its address' host
			// (tls.DialWithDialer), which suits several nodes.
			opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		return opts, "REDIS_ADDRS", nil
	case master != "":
		return nil, "", configErr("REDIS_MASTER_NAME", "needs REDIS_ADDRS (the Sentinel addresses)")
	}
	for _, name := range []string{"REDIS_USERNAME", "REDIS_PASSWORD", "REDIS_SENTINEL_PASSWORD", "REDIS_TLS"} {
		if getenv(name) != "" {
			return nil, "", configErr(name, "needs REDIS_URL or REDIS_ADDRS")
		}
	}
	return nil, "", nil
}

// parseBoolVar reads variable name as a yes/no switch; unset is no.
func parseBoolVar(getenv func(string) string, name string) (bool, error) {
	switch v := strings.ToLower(strings.TrimSpace(getenv(name))); v {
	case "", "0", "false", "no":
		return false, nil
	case "1", "true", "yes":
		return true, nil
	default:
		return false, configErr(name, "%q is not true or false", v)
	}
}

// redisAuthFromEnv completes the credentials of a REDIS_URL with
// REDIS_USERNAME and REDIS_PASSWORD, which keep a secret out of the URL.
// Credentials in both places are refused: one of them would be ignored.
func redisAuthFromEnv(getenv func(string) string, o *redis.Options) error {
	if p := getenv("REDIS_PASSWORD"); p != "" {
		if o.Password != "" {
			return configErr("REDIS_PASSWORD", "REDIS_URL holds a password already; set only one of them")
		}
		o.Password = p
	}
	if u := getenv("REDIS_USERNAME"); u != "" {
		if o.Username != "" {
			return configErr("REDIS_USERNAME", "REDIS_URL holds a user name already; set only one of them")
		}
		o.Username = u
	}
	if getenv("REDIS_SENTINEL_PASSWORD") != "" {
		return configErr("REDIS_SENTINEL_PASSWORD", "needs REDIS_ADDRS and REDIS_MASTER_NAME (Sentinel)")
	}
	return nil
}

// redactURLError returns err's text with the URL's password removed.
func redactURLError(err error, u *url.URL) string {
	msg := err.Error()
	if p, ok := u.User.Password(); ok && p != "" {
		msg = strings.ReplaceAll(msg, p, "xxxxx")
	}
	return strings.TrimPrefix(msg, "redis: ")
}
