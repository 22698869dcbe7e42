package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/colombiainformatica/ticketbot/tickets"
)

// randInt is redis-benchmark's placeholder for a random number.
const randInt = "__rand_int__"

// BenchmarkCommands returns what redis-benchmark sends to do exactly the
// Redis work of an open and of a claim-next on s's desk (for `ticketbot
// bench -compare`): EVALSHA of the store's own create.lua and
// claim_next.lua, which it loads, with the KEYS and ARGV Create and
// ClaimNext pass, t (a ticket the bench opened) as the payload, and
// redis-benchmark's __rand_int__ in the customer and request keys, so that
// every call opens for a new customer and claims for a new request.
func (s *Store) BenchmarkCommands(ctx context.Context, t tickets.Ticket, agent tickets.Agent, now time.Time) (open, claimNext []string, err error) {
	t.Customer.UserID = "bench" + randInt
	ev := tickets.Event{Kind: tickets.EventOpened, To: tickets.StatusOpen, Actor: tickets.CustomerActor(t.Customer), At: t.CreatedAt, Priority: t.Priority}
	keys, args, err := s.createCall(t, ev, "bench"+randInt)
	if err != nil {
		return nil, nil, err
	}
	if open, err = evalSHA(ctx, s, createScript.Hash(), createSource, keys, args); err != nil {
		return nil, nil, err
	}
	c := tickets.NextClaim{
		RequestID: "bench" + randInt, From: tickets.StatusOpen, To: tickets.StatusClaimed, Agent: agent, At: now,
		Event: tickets.Event{Kind: tickets.EventClaimed, From: tickets.StatusOpen, To: tickets.StatusClaimed, Actor: tickets.AgentActor(agent), At: now},
	}
	if keys, args, err = s.claimNextCall(c); err != nil {
		return nil, nil, err
	}
	claimNext, err = evalSHA(ctx, s, claimNextScript.Hash(), claimNextSource, keys, args)
	return open, claimNext, err
}

func evalSHA(ctx context.Context, s *Store, sha, src string, keys []string, args []any) ([]string, error) {
	if err := s.rdb.ScriptLoad(ctx, src).Err(); err != nil {
		return nil, fmt.Errorf("load script %s: %w", sha, err)
	}
	cmd := append([]string{"EVALSHA", sha, strconv.Itoa(len(keys))}, keys...)
	for _, a := range args {
		cmd = append(cmd, fmt.Sprint(a))
	}
	return cmd, nil
}
