package telegram

import "strconv"

// The names of everything the bot keeps in State, all built here. Every
// value is a string (counters are Incr'd strings); TTLs are the constants
// named beside each key.
//
//	tg:offset                     the polling offset: first update_id not yet confirmed (no TTL)
//	tg:upd:<update_id>            "busy" while the update is handled (UpdateTimeout+5s), "done" after (doneTTL)
//	tg:counted:<turn>             the flood count the update or album got, reused by its retries (countedTTL)
//	tg:flood:<user>:<minute>      counter: updates of user in that minute (floodTTL)
//	tg:draft:<user>               the form in progress, JSON (DraftTTL; doneDraftTTL once submitted)
//	tg:comment:<user>             the rating waiting for its comment, JSON (commentTTL)
//	tg:pend:<turn>                a message waiting for the customer to choose its ticket, JSON (pendingTTL)
//	tg:ref:<chat>:<message_id>    the ticket a bot message is about, for reply routing (ticketRefTTL)
//	tg:album:<chat>:<group>:...   one buffered album, see album.go for its keys (albumTTL)
//	tg:album:<chat>:last          the media_group_id of the chat's last buffered album (albumTTL)
//	tg:albums:<bucket>            counter: albums registered in a 10-second bucket (albumTTL+albumSkew)
//	tg:albums:<bucket>:<i>        "<chat>:<media_group_id>" of the i-th of them (albumTTL+albumSkew)
//	tg:albums:cursor              the first bucket that may hold an undelivered album (no TTL)
//	tg:dead:<turn>                an inbound dead letter: what could not be stored, JSON (deadTTL)
//	tg:dead:n                     counter: dead letters written (deadCountTTL)
//	tg:dead:n:<i>                 the <turn> of the i-th dead letter (deadTTL)
//
// <turn> is the key of a turn: "u<update_id>" or "a<media_group_id>".
// Leases (State.Lease) are named leasePoller, leaseAlbums and
// albumRef.key("lease").
const (
	keyOffset      = "tg:offset"
	keyAlbumCursor = "tg:albums:cursor"
	keyDeadCount   = "tg:dead:n"
	leasePoller    = "telegram-poller"
	leaseAlbums    = "telegram-albums"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func keyUpdate(updateID int) string      { return "tg:upd:" + strconv.Itoa(updateID) }
func keyCounted(turn string) string      { return "tg:counted:" + turn }
func keyFlood(user, minute int64) string { return "tg:flood:" + itoa(user) + ":" + itoa(minute) }
func keyDraft(user int64) string         { return "tg:draft:" + itoa(user) }
func keyComment(user int64) string       { return "tg:comment:" + itoa(user) }
func keyPending(turn string) string      { return "tg:pend:" + turn }
func keyRef(chat int64, messageID int) string {
	return "tg:ref:" + itoa(chat) + ":" + strconv.Itoa(messageID)
}
func keyAlbum(a albumRef, suffix string) string { return "tg:album:" + a.String() + ":" + suffix }
func keyLastAlbum(chat int64) string            { return "tg:album:" + itoa(chat) + ":last" }
func keyAlbumBucket(bucket int64) string        { return "tg:albums:" + itoa(bucket) }
func keyAlbumEntry(bucket, i int64) string      { return keyAlbumBucket(bucket) + ":" + itoa(i) }
func keyDead(turn string) string                { return "tg:dead:" + turn }
func keyDeadEntry(i int64) string               { return keyDeadCount + ":" + itoa(i) }
