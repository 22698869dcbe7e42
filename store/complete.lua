-- complete.lua serves Outbox.Done, Outbox.Retry and Outbox.Bury: finish a
-- send that lease_target.lua leased. It changes nothing unless the head of
-- the target's outbox is still the leased message, so it is safe to run
-- twice (a client retry) and a late completion cannot remove another
-- message.
--
-- KEYS[1] ready  ZSET  targets with messages; score = when due, Unix ms
-- KEYS[2] dead   HASH  dead letters: message id -> JSON
-- KEYS[3] dlog   ZSET  dead letters' ids; score = when buried, Unix ms
-- ARGV[1] mode: "done", "retry" or "dead"
-- ARGV[2] now, Unix ms
-- ARGV[3] delivery key prefix ("<p>:{desk}:dl:")
-- ARGV[4] target member ("<platform>:<target>")
-- ARGV[5] the leased message JSON (the head expected)
-- ARGV[6] message id
-- ARGV[7] when the target is due next, Unix ms
-- ARGV[8] done: least ms before the target's next send (gap); else 0
-- ARGV[9] retry: the message JSON to keep at the head; dead: dead letter JSON
-- ARGV[10] marker TTL, seconds
-- Returns 1 when applied, 0 when the head was no longer the leased message.
local p = ARGV[3]
local member = ARGV[4]
local q = p .. 'q:' .. member
if redis.call('LINDEX', q, 0) ~= ARGV[5] then
  return 0
end
local mode = ARGV[1]
if mode == 'retry' then
  redis.call('LSET', q, 0, ARGV[9])
  redis.call('ZADD', KEYS[1], ARGV[7], member)
  return 1
end
redis.call('LPOP', q)
local mk = p .. 'm:' .. ARGV[6]
if mode == 'done' then
  redis.call('SET', mk, 's', 'EX', tonumber(ARGV[10]))
  local gap = tonumber(ARGV[8])
  if gap > 0 then
    redis.call('SET', p .. 'gap:' .. member, '1', 'PX', gap)
  end
else
  redis.call('SET', mk, 'd', 'EX', tonumber(ARGV[10]))
  redis.call('HSET', KEYS[2], ARGV[6], ARGV[9])
  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[6])
end
if redis.call('LLEN', q) > 0 then
  redis.call('ZADD', KEYS[1], ARGV[7], member)
else
  redis.call('ZREM', KEYS[1], member)
  redis.call('DEL', p .. 'co:' .. member)
end
return 1
