// Package delivery turns the core's events into chat messages. It reads the
// desk's events stream with a consumer group, asks each platform Channel
// which messages an event means (Plan), queues them per target (a chat, a
// Slack channel) and sends them (Send) in order per target, within the
// platforms' rate limits, retrying what can be retried and dead-lettering
// what cannot. Several replicas share the work through Redis; each event is
// delivered once.
//
// # Two stages
//
// Fan-out: one worker at a time (it holds a lease in Redis; another takes
// over within Options.FanoutTTL when it dies) reads new events with
// XREADGROUP, plans each on every Channel, and queues the messages with one
// atomic step that also acknowledges the event. Each message's ID is
// event ID/platform/key, and the queue remembers every ID for 7 days, so an
// event planned twice (a retried script, a worker that died after queueing,
// an event reclaimed from a dead worker) queues its messages once. An event
// whose Plan fails is retried in place for up to Options.ClaimIdle (later
// events wait, so order holds through a short Redis outage); after that it
// stays pending, is logged, and is retried every ClaimIdle without holding
// the others. A new fan-out worker first takes every pending event, oldest
// first, then reads new ones. A message with Coalesce set is dropped while
// one with the same value still waits, untaken, in the target's outbox.
//
// Send: every worker runs Options.Senders goroutines. Each takes the head
// message of a due target with a lease on the target (no other sender in
// any replica takes it until the send is recorded or the lease ends), after
// checking the platform's shared rate (a GCRA at Limits.PerSecond less
// Options.Headroom). After Channel.Send returns, the outcome is recorded at
// once: sent (the message leaves the outbox; the target is due again after
// Limits.PerTarget), a 429 (due again after the platform's retry_after, not
// counted as a failure up to MaxThrottled), a transient failure (due again
// after a capped exponential backoff with jitter; after MaxAttempts the
// message is dead-lettered), or a permanent failure (dead-lettered at
// once; Channel.Failed is told). Targets are independent: a slow or
// blocked chat holds only its own messages, and a stuck send only until
// the lease ends.
//
// # The window that can repeat a message
//
// Neither Telegram nor Slack lets a sender mark a message as already sent,
// so one case can still show a message twice: the process dies (or loses
// Redis for longer than the lease) after the platform accepted a message
// and before the worker recorded it, a few milliseconds normally. The
// message is still at the head of its outbox; once the lease ends
// (Options.LeaseTTL, 30 s), another sender sends it again. At most one
// message per target per crash repeats, since a target has one send in
// flight at a time. A shutdown through the context finishes and records the
// sends in flight, so only a kill or a crash can do this.
//
// # Redis
//
// All state lives under the desk's prefix and hash tag (see the store
// package's key layout), so it works on a single node, Sentinel and
// Cluster. Durability is Redis's: with appendonly and fsync everysec a
// crash of Redis itself can lose about a second of queue changes (messages
// queued or sent in that second may be lost or sent again); with fsync
// always none.
package delivery
