-- complete.lua serves Outbox.Done, Outbox.Retry and Outbox.Bury: finish a
-- send that take.lua leased. It changes nothing unless the head of the
-- lane is still the leased message, so it is safe to run twice (a client
-- retry) and a late completion cannot remove another message.
--
-- KEYS[1] dead     HASH  dead letters: message id -> JSON
-- KEYS[2] deadlog  ZSET  dead letters' ids; score = when buried, Unix ms
-- ARGV[1]  mode: "done", "retry" or "dead"
-- ARGV[2]  now, Unix ms
-- ARGV[3]  delivery key prefix ("<p>:{desk}:dl:")
-- ARGV[4]  lane ("<platform>:<lane>")
-- ARGV[5]  bucket the leased message spends
-- ARGV[6]  the leased message JSON (the head expected)
-- ARGV[7]  message id
-- ARGV[8]  retry: when the lane is due again, Unix ms; done: the lane's
--          gap before its next paced message, ms (0: none)
-- ARGV[9]  retry: the message JSON to keep at the head; dead: dead letter JSON
-- ARGV[10] marker TTL, seconds
-- ARGV[11] take id
-- ARGV[12] dead: dead letters are kept this long, ms
-- ARGV[13] dead: at most this many dead letters are kept
-- ARGV[14] retry: microseconds to give back to the bucket's rate (the send
--          failed before the platform counted it), or 0
-- Returns 1 when applied, 0 when the head was no longer the leased message.
local p = ARGV[3]
local lane = ARGV[4]
local q = p .. 'q:' .. lane
if redis.call('LINDEX', q, 0) ~= ARGV[6] then
  return 0
end
local now = tonumber(ARGV[2])
local lk = p .. 'lease:' .. lane
if redis.call('GET', lk) == ARGV[11] then
  redis.call('DEL', lk)
end
local ready = p .. 'ready:' .. ARGV[5]
local mode = ARGV[1]
if mode == 'retry' then
  redis.call('LSET', q, 0, ARGV[9])
  redis.call('ZADD', ready, ARGV[8], lane)
  local refund = tonumber(ARGV[14])
  if refund > 0 then
    local rk = p .. 'rate:' .. ARGV[5]
    local tat = tonumber(redis.call('GET', rk) or '0')
    if tat > 0 then
      redis.call('SET', rk, string.format('%d', tat - refund), 'PX', math.ceil(refund / 1000) + 1000)
    end
  end
  return 1
end
redis.call('LPOP', q)
redis.call('ZREM', ready, lane)
local mk = p .. 'm:' .. ARGV[7]
if mode == 'done' then
  redis.call('SET', mk, 's', 'EX', tonumber(ARGV[10]))
  local gap = tonumber(ARGV[8])
  if gap > 0 then
    redis.call('SET', p .. 'gap:' .. lane, now + gap, 'PX', gap + 60000)
  end
else
  redis.call('SET', mk, 'd', 'EX', tonumber(ARGV[10]))
  caplog_add(KEYS[1], KEYS[2], ARGV[7], ARGV[9], now, tonumber(ARGV[12]), tonumber(ARGV[13]))
end
local next = redis.call('LINDEX', q, 0)
if next then
  local m = cjson.decode(next)
  local b = m.b
  if type(b) ~= 'string' or b == '' then
    b = m.pf
  end
  local due = now
  if m.pc then
    due = math.max(due, tonumber(redis.call('GET', p .. 'gap:' .. lane) or '0'))
  end
  redis.call('ZADD', p .. 'ready:' .. b, due, lane)
else
  redis.call('DEL', p .. 'co:' .. lane)
end
return 1
