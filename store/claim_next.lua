-- claim_next.lua serves Store.ClaimNext: take the first ticket of the queue
-- (lowest score; equal scores by member, i.e. the lower number) and apply
-- the claim the core decided, with its event, in one atomic step.
--
-- KEYS[1] queue     ZSET    open tickets
-- KEYS[2] events    STREAM  desk events
-- KEYS[3] claims    ZSET    recent claims
-- KEYS[4] request   STRING  number claimed by this request id (idempotency)
-- ARGV[1] ticket key prefix ("<p>:{desk}:t:")
-- ARGV[2] agent index key prefix ("<p>:{desk}:a:")
-- ARGV[3] agent id
-- ARGV[4] now, Unix ms
-- ARGV[5] claims older than this Unix ms are forgotten
-- ARGV[6] the status code a queued ticket must have (NextClaim.From)
-- ARGV[7] the claim: record fields to set (record.go's claimPatch)
-- ARGV[8] the event JSON without number and priority (the entry's fields
--         "n" and "p" hold them, from the ticket taken)
-- ARGV[9] request marker TTL, seconds
-- Returns {number, ticket JSON}; for a repeated request id, the ticket the
-- first call claimed; false when the queue is empty. A queued ticket whose
-- status is not ARGV[6] is taken out of the queue and left unchanged.
-- The script checks the version and status and moves the record's fields
-- the claim names; it decides nothing.
local prev = redis.call('GET', KEYS[4])
if prev then
  return {tonumber(prev), redis.call('GET', ARGV[1] .. prev)}
end
local patch = cjson.decode(ARGV[7])
while true do
  local head = redis.call('ZPOPMIN', KEYS[1])
  if #head == 0 then
    return false
  end
  local member = head[1]
  local n = tonumber(member)
  local cur = redis.call('GET', ARGV[1] .. n)
  if cur then
    local t = cjson.decode(cur)
    if tostring(t.st) == ARGV[6] then
      for k, v in pairs(patch) do
        t[k] = v
      end
      t.v = t.v + 1
      local js = cjson.encode(t)
      redis.call('SET', ARGV[1] .. n, js)
      redis.call('ZADD', ARGV[2] .. ARGV[3], ARGV[4], member)
      redis.call('XADD', KEYS[2], '*', 'e', ARGV[8], 'n', n, 'p', t.p)
      redis.call('ZADD', KEYS[3], ARGV[4], member .. ':' .. ARGV[4])
      redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[5])
      redis.call('SET', KEYS[4], n, 'EX', ARGV[9])
      return {n, js}
    end
  end
end
