-- claim_next.lua serves Store.ClaimNext: take the first ticket of the queue
-- (lowest score; equal scores by member, i.e. the lower number) and give it
-- to an agent, with its event, in one atomic step.
--
-- KEYS[1] queue     ZSET    open tickets
-- KEYS[2] events    STREAM  desk events
-- KEYS[3] claims    ZSET    recent claims
-- KEYS[4] request   STRING  number claimed by this request id (idempotency)
-- ARGV[1] ticket key prefix ("<p>:{desk}:t:")
-- ARGV[2] agent index key prefix ("<p>:{desk}:a:")
-- ARGV[3] agent id
-- ARGV[4] agent name
-- ARGV[5] now, Unix ms
-- ARGV[6] request id
-- ARGV[7] claims older than this Unix ms are forgotten
-- ARGV[8] status code of "claimed"
-- ARGV[9] request marker TTL, seconds
-- ARGV[10] role code of an agent
-- Returns the claimed ticket's JSON; for a repeated request id, the ticket
-- the first call claimed; false when the queue is empty.
local prev = redis.call('GET', KEYS[4])
if prev then
  return redis.call('GET', ARGV[1] .. prev)
end
while true do
  local head = redis.call('ZPOPMIN', KEYS[1])
  if #head == 0 then
    return false
  end
  local member = head[1]
  local n = tonumber(member)
  local cur = redis.call('GET', ARGV[1] .. n)
  -- A member without its ticket cannot happen through the store; skip it
  -- rather than fail every claim behind it.
  if cur then
    local t = cjson.decode(cur)
    local from = t.st
    t.st = tonumber(ARGV[8])
    t.a = ARGV[3]
    t.an = ARGV[4]
    t.up = tonumber(ARGV[5])
    t.v = t.v + 1
    local js = cjson.encode(t)
    redis.call('SET', ARGV[1] .. n, js)
    redis.call('ZADD', ARGV[2] .. ARGV[3], ARGV[5], member)
    redis.call('XADD', KEYS[2], '*', 'e', cjson.encode({
      n = n, k = 'claimed', f = from, t = t.st, ar = tonumber(ARGV[10]),
      ai = ARGV[3], an = ARGV[4], at = tonumber(ARGV[5]), p = t.p}))
    redis.call('ZADD', KEYS[3], ARGV[5], member .. ':' .. ARGV[5])
    redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[7])
    redis.call('SET', KEYS[4], n, 'EX', ARGV[9])
    return js
  end
end
