-- replay.lua serves Outbox.Replay: move a dead letter back to the end of
-- its lane, in one atomic step; a second run finds no dead letter and
-- does nothing.
--
-- KEYS[1] dead     HASH  dead letters: message id -> JSON
-- KEYS[2] deadlog  ZSET  dead letters' ids; score = when buried, Unix ms
-- ARGV[1] now, Unix ms
-- ARGV[2] delivery key prefix ("<p>:{desk}:dl:")
-- ARGV[3] message id
-- ARGV[4] lane ("<platform>:<lane>")
-- ARGV[5] bucket the message spends
-- ARGV[6] message JSON to enqueue (attempts reset)
-- ARGV[7] "1" when the message is paced
-- Returns 1 when replayed, 0 when there was no such dead letter.
if redis.call('HDEL', KEYS[1], ARGV[3]) == 0 then
  return 0
end
redis.call('ZREM', KEYS[2], ARGV[3])
local p = ARGV[2]
local lane = ARGV[4]
if redis.call('RPUSH', p .. 'q:' .. lane, ARGV[6]) == 1 then
  local due = tonumber(ARGV[1])
  if ARGV[7] == '1' then
    due = math.max(due, tonumber(redis.call('GET', p .. 'gap:' .. lane) or '0'))
  end
  redis.call('ZADD', p .. 'ready:' .. ARGV[5], 'NX', due, lane)
end
return 1
