-- bury_event.lua serves Outbox.BuryEvent: keep an event that cannot be
-- planned as an event dead letter and acknowledge it, in one step, so the
-- events after it go on and the stream trims.
--
-- KEYS[1] events      STREAM  desk events
-- KEYS[2] evdead      HASH    event dead letters: event id -> JSON
-- KEYS[3] evdeadlog   ZSET    their ids; score = when buried, Unix ms
-- ARGV[1] consumer group
-- ARGV[2] event id
-- ARGV[3] dead letter JSON (with the entry's fields, to replay it)
-- ARGV[4] now, Unix ms
-- ARGV[5] dead letters are kept this long, ms
-- ARGV[6] at most this many dead letters are kept
-- Returns 1.
caplog_add(KEYS[2], KEYS[3], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return 1
