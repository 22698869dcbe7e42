package store

import (
	"strconv"
	"strings"
)

// keys builds every Redis key the product uses: no other file, in store
// or elsewhere, writes a key name. All keys of a desk share the prefix and
// the hash tag {desk}, so the multi-key scripts run on Redis Cluster and
// different desks can live on different shards.
//
// Tickets (Store, see record.go for the JSON records):
//
//	<p>:{<desk>}:seq            STRING  last ticket number (INCR)
//	<p>:{<desk>}:t:<n>          STRING  ticket n as JSON (record)
//	<p>:{<desk>}:m:<n>          LIST    ticket n's conversation, JSON entries (messageRecord), oldest first
//	<p>:{<desk>}:queue          ZSET    open tickets; member = zero-padded number, score = tickets.QueueScore
//	<p>:{<desk>}:c:<customer>   ZSET    a customer's tickets; score = creation time (ms)
//	<p>:{<desk>}:a:<agent>      ZSET    an agent's claimed tickets; score = claim time (ms)
//	<p>:{<desk>}:claims         ZSET    recent claims for wait estimates; member = "<n>:<ms>", score = ms
//	<p>:{<desk>}:events         STREAM  one entry per change: field "e" = JSON (eventRecord), "n" = ticket number
//	<p>:{<desk>}:req:<id>       STRING  number claimed, or "1" for a change applied, by request id (TTL)
//	<p>:{<desk>}:profile:<cust> HASH    customer profile: lang, terms, terms_at (ms), privacy, privacy_at (ms)
//	<p>:{<desk>}:finished       ZSET    finished (resolved or closed) tickets; member = zero-padded number, score = when finished (ms)
//	<p>:{<desk>}:finished:bf    STRING  the backfill's cursor: the last ticket number indexed (Backfill)
//	<p>:{<desk>}:stats:<yyyy-mm> HASH   statistics of the expired tickets that finished that month (stats.go)
//
// Inbound items (Inbound, see inbound.go):
//
//	in:<ns>:<id>                HASH    an item's mark: s = b(usy)|f(ailed)|d(one), t = holder token, n = failures, e = last error (TTL)
//	in:dead                     HASH    inbound dead letters: "<ns>:<id>" -> JSON (inbound.DeadLetter)
//	in:deadlog                  ZSET    their ids; score = when given up (ms); trimmed by age and count
//
// Leases (Leases):
//
//	kv:lease:<name>             STRING  the holder of lease <name> (PX)
//	kv:lease:<name>:free        LIST    a token pushed on release, to wake a waiting holder (PX)
//
// Telegram (Telegram, see telegram.go):
//
//	kv:tg:offset                STRING  the polling offset: first update_id not yet confirmed
//	kv:tg:draft:<user>          STRING  the form in progress (the adapter's JSON) (TTL)
//	kv:tg:comment:<user>        STRING  a rating waiting for its comment (the adapter's JSON) (TTL)
//	kv:tg:pend:<user>:<turn>    STRING  a message waiting for its customer to choose a ticket (TTL; kv:tg:pend:<turn> before)
//	kv:tg:ref:<chat>:<msg>      STRING  the ticket a bot message is about, for reply routing (TTL)
//	tg:refs:<n>                 SET     "<chat>:<msg>" of ticket n's kv:tg:ref keys, for retention and erasure (TTL of the latest)
//	kv:tg:counted:<turn>        STRING  the flood count an update or album got, reused by its retries (TTL)
//	kv:tg:flood:<user>:<minute> STRING  counter: updates of a user in a minute (TTL)
//	tg:al:<chat>:<group>        HASH    a buffered album: s = o(pen)|c(losed)|d(one), "m:<message id>" = part (TTL)
//	tg:al:due                   ZSET    albums to flush; member = "<chat>:<group>", score = when due (ms)
//	tg:al:last:<chat>           STRING  the media_group_id of the chat's album still buffering (TTL)
//
// Slack (Slack, see slack.go):
//
//	kv:slack:card:<n>           STRING  "<channel> <ts>" of ticket n's card
//	kv:slack:thread:<ch>:<ts>   STRING  the ticket whose card starts that thread; "0" for another thread (TTL)
//	kv:slack:post:<n>:<entry>   STRING  ts of an entry posted in ticket n's thread: a conversation entry's id, 0 the full description, "rating"; "<entry>.<k>" its part k (k ≥ 2)
//	kv:slack:file:<n>:<id>:<i>  STRING  attachment i of entry id of ticket n is in the thread: the Slack file ID, or "ts:<ts>" of the message naming a file not copied ("done" before)
//
// E-mail (Email, see email.go):
//
//	email:cursor:<mailbox>      HASH    the intake's cursor in a folder: v = UIDVALIDITY, u = last UID handled, at = its arrival (ms)
//	email:opened:<addr>:<hour>  STRING  counter: tickets a sender opened in an hour (TTL)
//	email:counted:<mail>        STRING  the count a mail got, reused by its retries (TTL)
//
// Delivery (Outbox, see outbox.go), under dl:; a lane is
// "<platform>:<lane>", a bucket a platform's budget ("telegram",
// "slack.update", ...):
//
//	dl:ready:<bucket>           ZSET    lanes whose head message spends <bucket>; member = lane, score = when due or lease end (ms)
//	dl:q:<lane>                 LIST    a lane's outbox, message JSON, head = next to send (stays until sent)
//	dl:co:<lane>                SET     Coalesce values of messages waiting untaken in the lane
//	dl:gap:<lane>               STRING  until when (Unix ms) the lane must not receive a paced message
//	dl:lease:<lane>             STRING  the take holding the lane's head (PX)
//	dl:take:<take id>           STRING  "<bucket> <lane>" of a take, so that a repeated take returns it (PX)
//	dl:m:<message id>           STRING  "q" queued, "c" coalesced, "s" sent, "d" dead (TTL 7 days): deduplication
//	dl:rate:<bucket>            STRING  GCRA theoretical arrival time, Unix µs (shared per bucket)
//	dl:dead                     HASH    dead letters: message id -> JSON; dl:deadlog ZSET their ids by time
//	dl:evdead                   HASH    event dead letters: event id -> JSON; dl:evdeadlog ZSET their ids by time
//	events, group "delivery"            the consumer group delivery reads the stream with
//	kv:lease:delivery-fanout            the worker that turns events into messages (a lease)
//
// Keys under kv: keep the names they had when they were generic adapter
// values, so that a running desk keeps its cards, drafts and polling
// offset across the upgrade.
type keys struct {
	base string // "<prefix>:{<desk>}:"
}

func newKeys(prefix, desk string) keys {
	return keys{base: prefix + ":{" + desk + "}:"}
}

// Tickets.
func (k keys) seq() string                { return k.base + "seq" }
func (k keys) ticketPrefix() string       { return k.base + "t:" }
func (k keys) ticket(n int64) string      { return k.ticketPrefix() + itoa(n) }
func (k keys) messages(n int64) string    { return k.base + "m:" + itoa(n) }
func (k keys) queue() string              { return k.base + "queue" }
func (k keys) customer(key string) string { return k.base + "c:" + key }
func (k keys) agentPrefix() string        { return k.base + "a:" }
func (k keys) agent(id string) string     { return k.agentPrefix() + id }
func (k keys) claims() string             { return k.base + "claims" }
func (k keys) events() string             { return k.base + "events" }
func (k keys) request(id string) string   { return k.base + "req:" + id }
func (k keys) profile(key string) string  { return k.base + "profile:" + key }
func (k keys) pattern() string            { return k.base + "*" }
func (k keys) finished() string           { return k.base + "finished" }
func (k keys) backfillCursor() string     { return k.base + "finished:bf" }
func (k keys) stats(month string) string  { return k.base + "stats:" + month }

// Inbound items.
func (k keys) mark(ns, id string) string { return k.base + "in:" + ns + ":" + id }
func (k keys) inboundDead() string       { return k.base + "in:dead" }
func (k keys) inboundDeadLog() string    { return k.base + "in:deadlog" }

// Leases.
func (k keys) lease(name string) string     { return k.base + "kv:lease:" + name }
func (k keys) leaseFree(name string) string { return k.lease(name) + ":free" }

// Telegram.
func (k keys) tgOffset() string            { return k.base + "kv:tg:offset" }
func (k keys) tgDraft(user int64) string   { return k.base + "kv:tg:draft:" + itoa(user) }
func (k keys) tgComment(user int64) string { return k.base + "kv:tg:comment:" + itoa(user) }
func (k keys) tgPending(turn string) string {
	return k.base + "kv:tg:pend:" + turn
}
func (k keys) tgRef(chat int64, msg int) string {
	return k.base + "kv:tg:ref:" + itoa(chat) + ":" + strconv.Itoa(msg)
}
func (k keys) tgRefPrefix() string          { return k.base + "kv:tg:ref:" }
func (k keys) tgRefs(n int64) string        { return k.base + "tg:refs:" + itoa(n) }
func refMember(chat int64, msg int) string  { return itoa(chat) + ":" + strconv.Itoa(msg) }
func (k keys) tgCounted(turn string) string { return k.base + "kv:tg:counted:" + turn }
func (k keys) tgFlood(user, minute int64) string {
	return k.base + "kv:tg:flood:" + itoa(user) + ":" + itoa(minute)
}
func (k keys) tgAlbum(member string) string       { return k.base + "tg:al:" + member }
func (k keys) tgAlbumsDue() string                { return k.base + "tg:al:due" }
func (k keys) tgAlbumLast(chat int64) string      { return k.base + "tg:al:last:" + itoa(chat) }
func albumMember(chat int64, group string) string { return itoa(chat) + ":" + group }

// Slack.
func (k keys) slackCard(n int64) string  { return k.base + "kv:slack:card:" + itoa(n) }
func (k keys) slackThreadPrefix() string { return k.base + "kv:slack:thread:" }
func (k keys) slackThread(channel, ts string) string {
	return k.base + "kv:slack:thread:" + channel + ":" + ts
}
func (k keys) slackPost(n int64, entry string) string {
	return k.base + "kv:slack:post:" + itoa(n) + ":" + entry
}
func (k keys) slackFile(n, id int64, i int) string {
	return k.base + "kv:slack:file:" + itoa(n) + ":" + itoa(id) + ":" + strconv.Itoa(i)
}

// E-mail.
func (k keys) emailCursor(mailbox string) string { return k.base + "email:cursor:" + mailbox }
func (k keys) emailOpened(sender string, hour int64) string {
	return k.base + "email:opened:" + sender + ":" + itoa(hour)
}
func (k keys) emailCounted(mail string) string { return k.base + "email:counted:" + mail }

// Delivery: the prefix the delivery scripts build their per-lane keys
// from (the suffixes are listed above and in each script's header), and
// the fixed keys.
func (k keys) delivery() string      { return k.base + "dl:" }
func (k keys) dead() string          { return k.delivery() + "dead" }
func (k keys) deadLog() string       { return k.delivery() + "deadlog" }
func (k keys) eventDead() string     { return k.delivery() + "evdead" }
func (k keys) eventDeadLog() string  { return k.delivery() + "evdeadlog" }
func (k keys) legacyReady() string   { return k.delivery() + "ready" }
func (k keys) take(id string) string { return k.delivery() + "take:" + id }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

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

// deliveryLane returns the keys of delivery lane "<platform>:<lane>" that
// a customer's erasure deletes (the suffixes are the ones listed above),
// and the pattern of the ready sets its name may be in.
func (k keys) deliveryLane(lane string) []string {
	d := k.delivery()
	return []string{d + "q:" + lane, d + "co:" + lane, d + "gap:" + lane, d + "lease:" + lane}
}
func (k keys) deliveryReadyPattern() string { return k.delivery() + "ready:*" }

// Patterns of a Telegram user's or chat's keys, for their erasure.
func (k keys) tgFloodPattern(user int64) string { return k.base + "kv:tg:flood:" + itoa(user) + ":*" }
func (k keys) tgRefPattern(chat int64) string   { return k.base + "kv:tg:ref:" + itoa(chat) + ":*" }
func (k keys) tgPendingOf(user int64, turn string) string {
	return k.base + "kv:tg:pend:" + itoa(user) + ":" + turn
}
func (k keys) tgPendingPattern(user int64) string { return k.base + "kv:tg:pend:" + itoa(user) + ":*" }
func (k keys) tgAlbumPattern(chat int64) string   { return k.base + "tg:al:" + itoa(chat) + ":*" }

// tgAlbumMarkPattern matches the inbound marks of a chat's albums (their
// id is "<chat>:<group>", namespace "telegram-album").
func (k keys) tgAlbumMarkPattern(chat int64) string {
	return k.mark("telegram-album", itoa(chat)+":*")
}

// emailOpenedPattern matches the hourly counters of mails that opened
// tickets for sender; an address may hold glob characters ("a*b@x.com"
// is valid), so the literal part is escaped.
func (k keys) emailOpenedPattern(sender string) string {
	return globEscape(k.base+"email:opened:"+sender+":") + "*"
}

// globEscape quotes the characters SCAN MATCH patterns give a meaning.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
