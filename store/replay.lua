-- replay.lua serves Outbox.Replay: move a dead letter back to the end of
-- its target's outbox, in one atomic step; a second run finds no dead
-- letter and does nothing.
--
-- KEYS[1] ready  ZSET  targets with messages; score = when due, Unix ms
-- KEYS[2] dead   HASH  dead letters: message id -> JSON
-- KEYS[3] dlog   ZSET  dead letters' ids; score = when buried, Unix ms
-- ARGV[1] now, Unix ms
-- ARGV[2] delivery key prefix ("<p>:{desk}:dl:")
-- ARGV[3] message id
-- ARGV[4] target member ("<platform>:<target>")
-- ARGV[5] message JSON to enqueue (attempts reset)
-- Returns 1 when replayed, 0 when there was no such dead letter.
if redis.call('HDEL', KEYS[2], ARGV[3]) == 0 then
  return 0
end
redis.call('ZREM', KEYS[3], ARGV[3])
local p = ARGV[2]
local member = ARGV[4]
redis.call('RPUSH', p .. 'q:' .. member, ARGV[5])
local due = tonumber(ARGV[1])
local gap = redis.call('PTTL', p .. 'gap:' .. member)
if gap > 0 then
  due = due + gap
end
redis.call('ZADD', KEYS[1], 'NX', due, member)
return 1
