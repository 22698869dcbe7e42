package store

import (
	"strconv"
)

// keys builds every Redis key the store uses. All keys of a desk share the
// prefix and the hash tag {desk}, so the multi-key scripts run on Redis
// Cluster and different desks can live on different shards.
//
//	<p>:{<desk>}:seq            STRING  last ticket number (INCR)
//	<p>:{<desk>}:t:<n>          STRING  ticket n as JSON (record)
//	<p>:{<desk>}:m:<n>          LIST    ticket n's conversation, JSON entries, oldest first
//	<p>:{<desk>}:queue          ZSET    open tickets; member = zero-padded number, score = tickets.QueueScore
//	<p>:{<desk>}:c:<customer>   ZSET    a customer's tickets; score = creation time (ms)
//	<p>:{<desk>}:a:<agent>      ZSET    an agent's claimed tickets; score = claim time (ms)
//	<p>:{<desk>}:claims         ZSET    recent claims for wait estimates; member = "<n>:<ms>", score = ms
//	<p>:{<desk>}:events         STREAM  one entry per change, field "e" = JSON (eventRecord)
//	<p>:{<desk>}:req:<id>       STRING  number created or claimed by request id (TTL), for idempotent retries
//	<p>:{<desk>}:profile:<cust> HASH    customer profile (language, terms version and time)
//	<p>:{<desk>}:seen:<ns>:<id> STRING  inbound deduplication marker (TTL)
//	<p>:{<desk>}:kv:<name>      STRING  small adapter state (for example a Slack card's ts) (see Values)
//
// Delivery (see Outbox), under <p>:{<desk>}:dl:
//
//	dl:ready                    ZSET    targets with messages; member = "<platform>:<target>", score = when due (ms) or lease end
//	dl:q:<member>               LIST    a target's outbox, message JSON, head = next to send (stays until sent)
//	dl:co:<member>              SET     Coalesce values of messages waiting untaken in the outbox
//	dl:gap:<member>             STRING  present (PX) while the target must not receive yet (per-target limit)
//	dl:m:<message id>           STRING  "q" queued, "c" coalesced, "s" sent, "d" dead (TTL 7 days): deduplication
//	dl:rate:<platform>          STRING  GCRA theoretical arrival time, Unix µs (shared per-platform rate)
//	dl:dead                     HASH    dead letters: message id -> JSON
//	dl:deadlog                  ZSET    dead letters' ids; score = when dead-lettered (ms)
//	kv:lease:delivery-fanout    STRING  the worker that turns events into messages (see Lease)
//	events, group "delivery"            the consumer group delivery reads the stream with
type keys struct {
	base string // "<prefix>:{<desk>}:"
}

func newKeys(prefix, desk string) keys {
	return keys{base: prefix + ":{" + desk + "}:"}
}

func (k keys) seq() string                 { return k.base + "seq" }
func (k keys) ticketPrefix() string        { return k.base + "t:" }
func (k keys) ticket(n int64) string       { return k.ticketPrefix() + strconv.FormatInt(n, 10) }
func (k keys) messages(n int64) string     { return k.base + "m:" + strconv.FormatInt(n, 10) }
func (k keys) queue() string               { return k.base + "queue" }
func (k keys) customer(key string) string  { return k.base + "c:" + key }
func (k keys) agentPrefix() string         { return k.base + "a:" }
func (k keys) agent(id string) string      { return k.agentPrefix() + id }
func (k keys) claims() string              { return k.base + "claims" }
func (k keys) events() string              { return k.base + "events" }
func (k keys) requestPrefix() string       { return k.base + "req:" }
func (k keys) request(id string) string    { return k.requestPrefix() + id }
func (k keys) profile(key string) string   { return k.base + "profile:" + key }
func (k keys) seen(ns, id string) string   { return k.base + "seen:" + ns + ":" + id }
func (k keys) value(name string) string    { return k.base + "kv:" + name }
func (k keys) pattern() string             { return k.base + "*" }
func (k keys) custom(suffix string) string { return k.base + suffix }
func (k keys) delivery(s string) string    { return k.base + "dl:" + s }

// member is a ticket's member in the sorted sets: the number zero-padded to
// 12 digits, so that equal scores order by number, the earlier ticket first.
func member(n int64) string {
	s := strconv.FormatInt(n, 10)
	const width = 12
	if len(s) >= width {
		return s
	}
	return "000000000000"[:width-len(s)] + s
}
