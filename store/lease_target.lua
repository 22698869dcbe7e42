-- lease_target.lua serves Outbox.Take: lease the head message of one due
-- target whose platform's shared rate allows a send now. The message stays
-- at the head of its outbox until complete.lua removes it; the lease is the
-- target's score moved to the lease's end, so no other sender takes the
-- target meanwhile.
--
-- KEYS[1] ready  ZSET  targets with messages; score = when due, Unix ms
-- ARGV[1] now, Unix microseconds
-- ARGV[2] lease, ms
-- ARGV[3] delivery key prefix ("<p>:{desk}:dl:")
-- ARGV[4] how many due targets to look at, at most
-- ARGV[5..] pairs: platform, least interval between its sends, microseconds
-- Returns {1, member, message JSON} for a lease; {2, ms} when due targets
-- wait for their platform's rate (ms until it allows one); {0, ms} when
-- nothing is due (ms until the earliest target is due, -1 when none).
--
-- The rate is a GCRA with no burst, shared by every worker: rate:<platform>
-- STRING holds the theoretical arrival time in microseconds. A send that
-- comes late by up to half an interval does not push the schedule back, so
-- pollers' lateness does not lower the rate; after a longer pause the
-- schedule restarts at now (no burst).
local nowus = tonumber(ARGV[1])
local now = math.floor(nowus / 1000)
local lease = tonumber(ARGV[2])
local p = ARGV[3]
local rates = {}
for i = 5, #ARGV, 2 do
  rates[ARGV[i]] = tonumber(ARGV[i + 1])
end
local wait = -1
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))
for _, member in ipairs(due) do
  local q = p .. 'q:' .. member
  local head = redis.call('LINDEX', q, 0)
  if not head then
    redis.call('ZREM', KEYS[1], member)
  else
    local pf = string.match(member, '^([^:]*):')
    local iv = rates[pf] or 0
    local ok = true
    if iv > 0 then
      local rk = p .. 'rate:' .. pf
      local tat = tonumber(redis.call('GET', rk) or '0')
      if tat > nowus then
        ok = false
        local w = math.ceil((tat - nowus) / 1000)
        if wait < 0 or w < wait then
          wait = w
        end
      else
        local base = nowus
        if tat >= nowus - iv / 2 then
          base = tat
        end
        redis.call('SET', rk, string.format('%d', base + iv), 'PX', math.ceil(iv / 1000) + 1000)
      end
    end
    if ok then
      redis.call('ZADD', KEYS[1], now + lease, member)
      local co = cjson.decode(head).co
      if type(co) == 'string' and co ~= '' then
        redis.call('SREM', p .. 'co:' .. member, co)
      end
      return {1, member, head}
    end
  end
end
if wait >= 0 then
  return {2, wait}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #first == 0 then
  return {0, -1}
end
local w = tonumber(first[2]) - now
if w < 0 then
  w = 0
end
return {0, w}
