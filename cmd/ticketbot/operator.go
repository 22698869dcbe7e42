package main

import (
	"fmt"
	"io"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/store"
	"github.com/colombiainformatica/ticketbot/tickets"
)

// newStore returns the store of the configuration on client rdb.
func newStore(cfg Config, rdb redis.UniversalClient) *store.Store {
	return store.New(rdb, store.Options{Prefix: cfg.Prefix, Desk: cfg.Desk, DeadLetterKeep: cfg.DeadLetterKeep, DeadLetterCap: cfg.DeadLetterCap})
}

// newService returns the Service of the configuration on st: the one the
// product serves with and the one the operators' commands use, so that a
// command decides as the running desk does.
func newService(cfg Config, st *store.Store, obs tickets.Observer) *tickets.Service {
	return tickets.NewService(st, st, st, tickets.Config{
		Policy:           cfg.Policy,
		TermsVersion:     cfg.TermsVersion,
		PrivacyVersion:   cfg.Privacy.Version,
		EstimateWindow:   cfg.EstimateWindow,
		MaxActiveTickets: cfg.Limits.MaxActiveTickets,
		Observer:         obs,
		Retention:        cfg.Retention,
		Erasers:          erasers(st),
	})
}

// operator is what an operator's command (customer, deadletters, stats)
// works with: the configuration's Redis, store and Service.
type operator struct {
	cfg Config
	rdb redis.UniversalClient
	st  *store.Store
	svc *tickets.Service
}

// openOperator reads the configuration through getenv and connects; a
// configuration error is written to stderr and ok is false (exit status
// 2). The caller closes o.rdb.
func openOperator(getenv func(string) string, stderr io.Writer) (o operator, ok bool) {
	cfg, err := NewMain().ParseConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "ticketbot: %v\n", err)
		return operator{}, false
	}
	rdb := redis.NewUniversalClient(cfg.Redis)
	st := newStore(cfg, rdb)
	return operator{cfg: cfg, rdb: rdb, st: st, svc: newService(cfg, st, nil)}, true
}
