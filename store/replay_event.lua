-- replay_event.lua serves Outbox.ReplayEvent: put an event dead letter back
-- into the events stream (as a new entry with the same fields), to be
-- planned again, and drop the dead letter, in one step.
--
-- KEYS[1] events      STREAM  desk events
-- KEYS[2] evdead      HASH    event dead letters: event id -> JSON
-- KEYS[3] evdeadlog   ZSET    their ids
-- ARGV[1] event id
-- ARGV[2] the entry's "e" field
-- ARGV[3] the entry's "n" field ("" when it had none)
-- Returns 1 when replayed, 0 when there was no such dead letter.
if redis.call('HDEL', KEYS[2], ARGV[1]) == 0 then
  return 0
end
redis.call('ZREM', KEYS[3], ARGV[1])
if ARGV[3] ~= '' then
  redis.call('XADD', KEYS[1], '*', 'e', ARGV[2], 'n', ARGV[3])
else
  redis.call('XADD', KEYS[1], '*', 'e', ARGV[2])
end
return 1
