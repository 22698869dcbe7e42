// Command ticketbot is the chat front end of Colombia Informática's
// technical-support desk: customers in Telegram, agents in Slack, the queue
// in Redis. It reads its configuration from the environment, wires the
// domain core (tickets) to the Redis store and the chat adapters, serves
// health and metrics over HTTP, and shuts down gracefully.
//
// Usage:
//
//	ticketbot          serve (production; needs REDIS_URL or REDIS_ADDRS)
//	ticketbot demo     the same product on an embedded Redis-compatible server
//	ticketbot bench    a capacity-planning load generator (needs REDIS_URL)
//	ticketbot deadletters list|replay   messages delivery gave up on
//	ticketbot deadletters events        events delivery could not plan
//	ticketbot deadletters inbound       what customers sent that was not stored
//	ticketbot customer show|export|forget KEY   a customer's data, and its deletion
//	ticketbot stats    the statistics kept of expired tickets, by month
//	ticketbot version  print the version
//	ticketbot help     print this help
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// version is set at build time with -ldflags "-X main.version=…"; without
// it the module version from the build info is used.
var version = ""

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

const usage = `ticketbot is the chat front end of the technical-support desk:
customers in Telegram, agents in Slack, the queue in Redis.

Usage:

	ticketbot          serve (production; configured from the environment,
	                   needs REDIS_URL, or REDIS_ADDRS for Sentinel/Cluster)
	ticketbot demo     the same product on an embedded in-process Redis-compatible
	                   server (or on REDIS_URL when set); http://localhost:8080
	ticketbot bench    load generator for capacity planning against REDIS_URL
	                   (ticketbot bench -h for its flags)
	ticketbot deadletters list [-offset N] [-limit N]
	ticketbot deadletters replay ID... | -all
	                   messages delivery gave up on (a blocked bot, a deleted
	                   chat, a retry budget spent), and their replay
	ticketbot deadletters events [-offset N] [-limit N]
	ticketbot deadletters events replay ID... | -all
	                   events delivery could not plan (a corrupt record, a
	                   ticket deleted by hand), and planning them again
	ticketbot deadletters inbound [-offset N] [-limit N]
	                   what customers sent that the bot could not store and
	                   gave up on (each customer was asked to send it again)
	ticketbot customer show|export|forget KEY
	                   what is stored about a customer (KEY: telegram:ID or
	                   email:ADDRESS), as text or JSON, and its deletion
	                   (Ley 1581 de 2012); agents' internal notes never shown
	ticketbot stats [-from YYYY-MM] [-to YYYY-MM]
	                   the statistics the retention keeps of expired tickets
	                   (RETENTION), a line per month
	ticketbot version  print the version
	ticketbot help     print this help

The environment variables are documented in README.md ("Configuration").
`

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := ""
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "", "serve":
		return serve(ctx, false, args, getenv, stderr)
	case "demo":
		return serve(ctx, true, args, getenv, stderr)
	case "bench":
		return bench(ctx, args, getenv, stdout, stderr)
	case "deadletters":
		return deadletters(ctx, args, getenv, stdout, stderr)
	case "customer":
		return customer(ctx, args, getenv, stdout, stderr)
	case "stats":
		return statsCommand(ctx, args, getenv, time.Now(), stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "ticketbot", Version())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "ticketbot: unknown command %q\n\n%s", cmd, usage)
	return 2
}

// Version returns the version of this build.
func Version() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	return versionOf(bi)
}

// versionOf is the module version of a released build, or for a build
// from a checkout the commit it was built from (go build records it):
// "(devel) 1a2b3c4d5e6f" with "+dirty" when the tree had changes.
func versionOf(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	if v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		return v
	}
	return v + " " + rev[:min(12, len(rev))] + dirty
}

// serve runs the product until SIGINT or SIGTERM, or until a component
// fails. Exit codes: 0 after a graceful shutdown, 1 on a failure, 2 on a
// usage or configuration error.
func serve(ctx context.Context, demo bool, args []string, getenv func(string) string, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "ticketbot: unexpected argument %q\n\n%s", args[0], usage)
		return 2
	}
	m := NewMain()
	m.Demo = demo
	m.LogOutput = stderr
	cfg, err := m.ParseConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "ticketbot: %v\n", err)
		return 2
	}
	m.Config = cfg

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// go-redis logs through one package-level logger: the process's, so it
	// is set here and not in Main (tests run several Mains at once).
	m.Log = newLogger(cfg, stderr)
	redis.SetLogger(redisLogger{log: m.component("redis")})
	if err := m.Run(ctx); err != nil {
		_ = m.Close()
		fmt.Fprintf(stderr, "ticketbot: %v\n", err)
		return 1
	}
	werr := m.Wait(ctx)
	stop() // a second signal during shutdown kills the process
	if werr != nil {
		m.Log.Error().Err(werr).Msg("a component failed; shutting down")
	} else {
		m.Log.Info().Msg("shutting down")
	}
	if err := m.Close(); err != nil {
		m.Log.Error().Err(err).Msg("shutdown was not clean")
		return 1
	}
	if werr != nil && !errors.Is(werr, context.Canceled) {
		return 1
	}
	m.Log.Info().Msg("stopped")
	return 0
}
