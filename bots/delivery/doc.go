// Package delivery turns the core's events into chat messages. It reads the
// desk's events stream with a consumer group, asks each platform Channel
// which messages an event means (Plan), queues them (Queue.Enqueue) and
// sends them (Send) in order per lane, within each platform's rate
// buckets, retrying what can be retried and dead-lettering what cannot.
// Several replicas share the work through Redis; each event is delivered
// once.
//
// # Order and pace
//
// A Message's Lane is its unit of order: the messages of a lane go one at a
// time, in the order they were queued, and one that keeps failing holds
// back only its lane (a Telegram chat; a Slack ticket, whose card comes
// before its thread). A Message's Bucket is the platform budget it spends
// (Limits.Buckets: Telegram sends, Slack posts, card updates, file
// uploads...), shared by all lanes and replicas through a GCRA in Redis.
// Each bucket has its own set of due lanes and is looked at on its own, in
// an order each sender rotates, so no bucket waits behind another's
// backlog. Paced messages also keep their lane's spacing (Limits.LaneGap:
// Telegram's one message a second per chat; edits are not paced).
//
// # Two stages
//
// Fan-out: one worker at a time, holding the "delivery-fanout" lease
// (internal/lease, 3 s, renewed; released on stop), reads new events with
// XREADGROUP, plans each on every Channel, and queues the messages with one
// atomic step that also acknowledges the event. Each message's ID is event
// ID/platform/key, and the queue remembers every ID for 7 days, so an event
// planned twice queues its messages once. An event whose Plan fails is set
// aside with the later events of its ticket (the others go on) and tried
// again with backoff; after Options.MaxPlanAttempts failures while the queue
// answers it becomes an event dead letter, acknowledged, so the stream
// trims. A new fan-out worker first takes every pending event, oldest
// first. A message with Coalesce set is dropped while one with the same
// value still waits, untaken, in its lane.
//
// Send: every worker runs Options.Senders goroutines. Each takes the head
// message of a due lane whose bucket allows a send now, with a lease on
// the lane (Options.LeaseTTL, 3 s, renewed while the send is in flight;
// the take is idempotent: a take repeated by a client retry returns its
// lease). The outcome is recorded at once: sent (the lane's next message
// becomes due, after LaneGap when paced), a 429 (due again after the
// platform's retry_after), a transient failure (due again after a capped
// exponential backoff with jitter, its share of the bucket given back;
// after MaxAttempts the message is dead-lettered), or a permanent failure
// (dead-lettered at once; Channel.Failed is told).
//
// Outbox queues the answers to a user's own action (a form's next step) in
// the same lanes; it is built before the adapters, and the Worker after
// them.
//
// # The window that can repeat a message
//
// Neither Telegram nor Slack lets a sender mark a message as already sent,
// so one case can still show a message twice: the process dies (or loses
// Redis for longer than the lease) after the platform accepted a message
// and before the worker recorded it, a few milliseconds normally. The
// message is still at the head of its lane; once the lease ends (3 s),
// another sender sends it again. At most one message per lane per crash
// repeats, since a lane has one send in flight at a time. A shutdown
// through the context finishes and records the sends in flight, so only a
// kill or a crash can do this.
//
// # Redis
//
// All state lives under the desk's prefix and hash tag (see the store
// package's key layout), so it works on a single node, Sentinel and
// Cluster. Dead letters are bounded (store.Options). Durability is Redis's:
// with appendonly and fsync everysec a crash of Redis itself can lose about
// a second of queue changes; with fsync always none.
package delivery
