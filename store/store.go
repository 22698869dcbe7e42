package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/colombiainformatica/ticketbot/tickets"
)

var (
	//go:embed create.lua
	createSource string
	//go:embed apply.lua
	applySource string
	//go:embed claim_next.lua
	claimNextSource string
	//go:embed list.lua
	listSource string

	createScript    = redis.NewScript(createSource)
	applyScript     = redis.NewScript(applySource)
	claimNextScript = redis.NewScript(claimNextSource)
	listScript      = redis.NewScript(listSource)
)

// Defaults of Options.
const (
	DefaultPrefix = "ticketbot"
	DefaultDesk   = "support"
	// requestTTL is how long a claim-next request id is remembered for
	// idempotent retries: far longer than any client retry.
	requestTTL = 10 * time.Minute
	// applyRequestTTL is how long a change's request id is remembered: an
	// adapter that handles an update again after a crash or an outage
	// (minutes, hours) still writes the change once.
	applyRequestTTL = 24 * time.Hour
	// claimsKept is how far back claims are kept for wait estimates.
	claimsKept = 24 * time.Hour
)

// Options configure a Store.
type Options struct {
	Prefix string // key prefix; DefaultPrefix when empty
	Desk   string // desk name, the hash tag of every key; DefaultDesk when empty
	// DeadLetterKeep is how long dead letters (delivery's, events' and
	// inbound) are kept; DefaultDeadLetterKeep when 0.
	DeadLetterKeep time.Duration
	// DeadLetterCap is the most dead letters of each kind kept, the
	// oldest dropped first; DefaultDeadLetterCap when 0.
	DeadLetterCap int
}

// Defaults of the dead-letter bounds.
const (
	DefaultDeadLetterKeep = 30 * 24 * time.Hour
	DefaultDeadLetterCap  = 10000
)

// Store is the Redis implementation of tickets.Store, tickets.Queue and
// tickets.Profiles, plus the small helpers the adapters need (inbound
// deduplication, adapter values). It works on a single node, Sentinel and
// Cluster through redis.UniversalClient.
type Store struct {
	rdb  redis.UniversalClient
	keys keys
	opts Options
}

var (
	_ tickets.Store    = (*Store)(nil)
	_ tickets.Queue    = (*Store)(nil)
	_ tickets.Profiles = (*Store)(nil)
)

// New returns a Store over rdb.
func New(rdb redis.UniversalClient, opts Options) *Store {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if opts.Desk == "" {
		opts.Desk = DefaultDesk
	}
	if opts.DeadLetterKeep <= 0 {
		opts.DeadLetterKeep = DefaultDeadLetterKeep
	}
	if opts.DeadLetterCap <= 0 {
		opts.DeadLetterCap = DefaultDeadLetterCap
	}
	return &Store{rdb: rdb, keys: newKeys(opts.Prefix, opts.Desk), opts: opts}
}

func (s *Store) deadKeep() time.Duration { return s.opts.DeadLetterKeep }
func (s *Store) deadCap() int            { return s.opts.DeadLetterCap }

// Client returns the Redis client the store uses.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// KeyPattern returns the SCAN pattern matching every key of the store.
func (s *Store) KeyPattern() string { return s.keys.pattern() }

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }

// Load makes sure every script is in Redis's script cache, so that the
// first calls need no EVAL fallback.
func (s *Store) Load(ctx context.Context) error {
	for _, sc := range []*redis.Script{createScript, applyScript, claimNextScript, listScript, expireScript, backfillScript, eraseScript} {
		if err := sc.Load(ctx, s.rdb).Err(); err != nil {
			return fmt.Errorf("load script: %w", err)
		}
	}
	return nil
}

// Create implements tickets.Store.
func (s *Store) Create(ctx context.Context, t tickets.Ticket, ev tickets.Event, requestID string) (tickets.Ticket, error) {
	keys, args, err := s.createCall(t, ev, requestID)
	if err != nil {
		return tickets.Ticket{}, err
	}
	res, err := createScript.Run(ctx, s.rdb, keys, args...).Slice()
	if err != nil {
		return tickets.Ticket{}, fmt.Errorf("create ticket: %w", err)
	}
	return ticketReply("create ticket", res)
}

// createCall is create.lua's KEYS and ARGV for Create.
func (s *Store) createCall(t tickets.Ticket, ev tickets.Event, requestID string) ([]string, []any, error) {
	t.Number, t.Version, t.OpenRequest = 0, 1, requestID
	tj, err := encodeTicket(t)
	if err != nil {
		return nil, nil, err
	}
	ev.Number = 0
	ej, err := encodeEvent(ev)
	if err != nil {
		return nil, nil, err
	}
	k := s.keys
	return []string{k.seq(), k.queue(), k.customer(t.Customer.Key()), k.events()},
		[]any{k.ticketPrefix(), string(tj), t.Score(), ms(t.CreatedAt), string(ej), openRequestNeedle(requestID)}, nil
}

// ticketReply decodes the {number, record} reply of a script.
func ticketReply(what string, res []any) (tickets.Ticket, error) {
	if len(res) != 2 {
		return tickets.Ticket{}, fmt.Errorf("%s: unexpected reply %v", what, res)
	}
	n, _ := res[0].(int64)
	js, _ := res[1].(string)
	return decodeTicket(n, []byte(js))
}

// Get implements tickets.Store.
func (s *Store) Get(ctx context.Context, number int64) (tickets.Ticket, error) {
	js, err := s.rdb.Get(ctx, s.keys.ticket(number)).Bytes()
	if errors.Is(err, redis.Nil) {
		return tickets.Ticket{}, tickets.ErrNotFound
	}
	if err != nil {
		return tickets.Ticket{}, fmt.Errorf("get ticket %d: %w", number, err)
	}
	return decodeTicket(number, js)
}

// The codes of the replies of apply.lua and erase.lua.
const (
	applied     = 0
	notFound    = 1
	conflicting = 2
)

// Apply implements tickets.Store.
func (s *Store) Apply(ctx context.Context, c tickets.Change) (tickets.Ticket, error) {
	t := c.Ticket
	tj, err := encodeTicket(t)
	if err != nil {
		return tickets.Ticket{}, err
	}
	ej, err := encodeEvent(c.Event)
	if err != nil {
		return tickets.Ticket{}, err
	}
	var mj []byte
	if c.Message != nil {
		if mj, err = encodeMessage(*c.Message); err != nil {
			return tickets.Ticket{}, err
		}
	}
	claim, finished := "0", "0"
	if c.CountsAsClaim {
		claim = "1"
	}
	if t.Status.Finished() {
		finished = "1"
	}
	now := ms(c.Event.At)
	k := s.keys
	res, err := applyScript.Run(ctx, s.rdb,
		[]string{k.ticket(t.Number), k.queue(), k.messages(t.Number), k.events(), k.claims(), s.applyRequest(t.Number, c.RequestID), k.finished()},
		t.Version-1, c.RequestID, tj, int(c.Queue), t.Score(), member(t.Number),
		k.agentPrefix(), c.PreviousAssignee, t.Assignee.ID, mj, ej, now, claim,
		now-claimsKept.Milliseconds(), int64(applyRequestTTL/time.Second), finished, int(t.Status),
	).Slice()
	return writeReply(t, res, err, "apply change to")
}

// writeReply turns the reply of a script that writes ticket t (apply.lua,
// erase.lua: {applied, current JSON or ""}, {notFound} or {conflicting})
// into the ticket written, or the current one when the write was done
// already, or the error; doing names the write for errors.
func writeReply(t tickets.Ticket, res []any, err error, doing string) (tickets.Ticket, error) {
	if err != nil {
		return tickets.Ticket{}, fmt.Errorf("%s ticket %d: %w", doing, t.Number, err)
	}
	code, _ := res[0].(int64)
	switch code {
	case applied:
		if cur, _ := res[1].(string); cur != "" {
			return decodeTicket(t.Number, []byte(cur))
		}
		return t, nil
	case notFound:
		return tickets.Ticket{}, tickets.ErrNotFound
	case conflicting:
		return tickets.Ticket{}, tickets.ErrVersionConflict
	}
	return tickets.Ticket{}, fmt.Errorf("%s ticket %d: unexpected reply %v", doing, t.Number, res)
}

func (s *Store) applyRequest(number int64, requestID string) string {
	return s.keys.request("apply:" + strconv.FormatInt(number, 10) + ":" + requestID)
}

// Applied implements tickets.Store.
func (s *Store) Applied(ctx context.Context, number int64, requestID string) (bool, error) {
	n, err := s.rdb.Exists(ctx, s.applyRequest(number, requestID)).Result()
	if err != nil {
		return false, fmt.Errorf("check request %s: %w", requestID, err)
	}
	return n == 1, nil
}

// ClaimNext implements tickets.Store.
func (s *Store) ClaimNext(ctx context.Context, c tickets.NextClaim) (tickets.Ticket, error) {
	keys, args, err := s.claimNextCall(c)
	if err != nil {
		return tickets.Ticket{}, err
	}
	res, err := claimNextScript.Run(ctx, s.rdb, keys, args...).Slice()
	if errors.Is(err, redis.Nil) {
		return tickets.Ticket{}, tickets.ErrQueueEmpty
	}
	if err != nil {
		return tickets.Ticket{}, fmt.Errorf("claim next: %w", err)
	}
	return ticketReply("claim next", res)
}

// claimNextCall is claim_next.lua's KEYS and ARGV for ClaimNext.
func (s *Store) claimNextCall(c tickets.NextClaim) ([]string, []any, error) {
	patch, err := encodeClaimPatch(c)
	if err != nil {
		return nil, nil, err
	}
	ev := c.Event
	ev.Number, ev.Priority = 0, 0
	ej, err := encodeEvent(ev)
	if err != nil {
		return nil, nil, err
	}
	now := ms(c.At)
	k := s.keys
	return []string{k.queue(), k.events(), k.claims(), k.request("next:" + c.RequestID)},
		[]any{k.ticketPrefix(), k.agentPrefix(), c.Agent.ID, now, now - claimsKept.Milliseconds(),
			int(c.From), string(patch), string(ej), int64(requestTTL / time.Second)}, nil
}

// Messages implements tickets.Store.
func (s *Store) Messages(ctx context.Context, number, after int64, limit int) ([]tickets.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	raw, err := s.rdb.LRange(ctx, s.keys.messages(number), after, after+int64(limit)-1).Result()
	if err != nil {
		return nil, fmt.Errorf("read messages of ticket %d: %w", number, err)
	}
	return decodeMessages(raw)
}

// LastMessages implements tickets.Store.
func (s *Store) LastMessages(ctx context.Context, number int64, n int) ([]tickets.Message, error) {
	if n <= 0 {
		return nil, nil
	}
	raw, err := s.rdb.LRange(ctx, s.keys.messages(number), -int64(n), -1).Result()
	if err != nil {
		return nil, fmt.Errorf("read messages of ticket %d: %w", number, err)
	}
	return decodeMessages(raw)
}

func decodeMessages(raw []string) ([]tickets.Message, error) {
	out := make([]tickets.Message, 0, len(raw))
	for _, r := range raw {
		m, err := decodeMessage([]byte(r))
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Page implements tickets.Queue.
func (s *Store) Page(ctx context.Context, offset, limit int) ([]tickets.Ticket, int64, error) {
	return s.list(ctx, s.keys.queue(), offset, limit, false)
}

// ByCustomer implements tickets.Queue.
func (s *Store) ByCustomer(ctx context.Context, customerKey string, offset, limit int) ([]tickets.Ticket, error) {
	ts, _, err := s.list(ctx, s.keys.customer(customerKey), offset, limit, true)
	return ts, err
}

// ByAgent implements tickets.Queue. Only tickets the agent still owns are
// in the index: release, reopen and takeover remove them.
func (s *Store) ByAgent(ctx context.Context, agentID string, offset, limit int) ([]tickets.Ticket, error) {
	ts, _, err := s.list(ctx, s.keys.agent(agentID), offset, limit, false)
	return ts, err
}

func (s *Store) list(ctx context.Context, index string, offset, limit int, desc bool) ([]tickets.Ticket, int64, error) {
	if limit <= 0 {
		return nil, 0, nil
	}
	rev := "0"
	if desc {
		rev = "1"
	}
	res, err := listScript.Run(ctx, s.rdb, []string{index}, s.keys.ticketPrefix(), offset, offset+limit-1, rev).Slice()
	if err != nil {
		return nil, 0, fmt.Errorf("list %s: %w", index, err)
	}
	total, _ := res[0].(int64)
	out := make([]tickets.Ticket, 0, len(res)/2)
	for i := 1; i+1 < len(res); i += 2 {
		t, err := ticketReply("list "+index, res[i:i+2])
		if err != nil {
			return nil, 0, err
		}
		out = append(out, t)
	}
	return out, total, nil
}

// Position implements tickets.Queue, in one pipelined round trip.
func (s *Store) Position(ctx context.Context, number int64, claimsSince time.Time) (tickets.Slot, error) {
	var get *redis.StringCmd
	var rank *redis.IntCmd
	var card, claims *redis.IntCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, s.keys.ticket(number))
		rank = p.ZRank(ctx, s.keys.queue(), member(number))
		card = p.ZCard(ctx, s.keys.queue())
		claims = p.ZCount(ctx, s.keys.claims(), strconv.FormatInt(ms(claimsSince), 10), "+inf")
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return tickets.Slot{}, fmt.Errorf("read position of ticket %d: %w", number, err)
	}
	js, err := get.Bytes()
	if errors.Is(err, redis.Nil) {
		return tickets.Slot{}, tickets.ErrNotFound
	}
	if err != nil {
		return tickets.Slot{}, fmt.Errorf("read position of ticket %d: %w", number, err)
	}
	t, err := decodeTicket(number, js)
	if err != nil {
		return tickets.Slot{}, err
	}
	slot := tickets.Slot{Ticket: t, Length: card.Val(), RecentClaims: claims.Val()}
	if r, err := rank.Result(); err == nil {
		slot.Position = r + 1
	}
	return slot, nil
}

// Lengths implements tickets.Queue: ZCOUNT over each priority's score band,
// in one pipelined round trip.
func (s *Store) Lengths(ctx context.Context) (map[tickets.Priority]int64, error) {
	cmds := make(map[tickets.Priority]*redis.IntCmd, tickets.MaxPriority)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for pr := tickets.HighestPriority; pr <= tickets.MaxPriority; pr++ {
			lo := tickets.QueueScore(pr, tickets.IntakeChat, 0)
			hi := tickets.QueueScore(pr+1, tickets.IntakeChat, 0)
			cmds[pr] = p.ZCount(ctx, s.keys.queue(), strconv.FormatFloat(lo, 'f', 0, 64), "("+strconv.FormatFloat(hi, 'f', 0, 64))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read queue lengths: %w", err)
	}
	out := make(map[tickets.Priority]int64, len(cmds))
	for pr, c := range cmds {
		out[pr] = c.Val()
	}
	return out, nil
}

// Profile implements tickets.Profiles.
func (s *Store) Profile(ctx context.Context, customerKey string) (tickets.Profile, error) {
	m, err := s.rdb.HGetAll(ctx, s.keys.profile(customerKey)).Result()
	if err != nil {
		return tickets.Profile{}, fmt.Errorf("read profile: %w", err)
	}
	p := tickets.Profile{CustomerKey: customerKey, Language: m["lang"], TermsVersion: m["terms"], PrivacyVersion: m["privacy"]}
	if v, err := strconv.ParseInt(m["terms_at"], 10, 64); err == nil {
		p.TermsAccepted = fromMS(v)
	}
	if v, err := strconv.ParseInt(m["privacy_at"], 10, 64); err == nil {
		p.PrivacyAccepted = fromMS(v)
	}
	return p, nil
}

// SaveProfile implements tickets.Profiles.
func (s *Store) SaveProfile(ctx context.Context, p tickets.Profile) error {
	err := s.rdb.HSet(ctx, s.keys.profile(p.CustomerKey),
		"lang", p.Language, "terms", p.TermsVersion, "terms_at", ms(p.TermsAccepted),
		"privacy", p.PrivacyVersion, "privacy_at", ms(p.PrivacyAccepted)).Err()
	if err != nil {
		return fmt.Errorf("save profile: %w", err)
	}
	return nil
}
