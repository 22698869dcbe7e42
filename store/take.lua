-- take.lua serves Outbox.Take: lease the head message of one due lane
-- whose bucket's shared rate allows a send now. The message stays at the
-- head of its lane until complete.lua removes it; the lease is the lane's
-- score moved to the lease's end (so no other sender takes the lane
-- meanwhile) and lease:<lane> naming the take.
--
-- KEYS[1] take   STRING  "<bucket> <lane>" of this take (PX), so that a
--                        repeated take (a client retry) returns its lease
-- ARGV[1] now, Unix microseconds
-- ARGV[2] lease, ms
-- ARGV[3] delivery key prefix ("<p>:{desk}:dl:")
-- ARGV[4] take id
-- ARGV[5] how many due lanes of one bucket to look at, at most
-- ARGV[6..] pairs: bucket, least interval between its sends in
--           microseconds (0: not limited), in the order to look at them
-- Returns {1, lane, bucket, message JSON, bucket interval µs} for a lease; {0, ms} when
-- nothing can be sent now (ms until something may be, -1 when nothing
-- waits).
--
-- Each bucket is looked at on its own: a bucket whose rate is spent, or
-- whose due lanes wait for their own gap, never holds up another. A
-- bucket's rate is a GCRA with no burst, shared by every worker: rate:<b>
-- STRING holds the theoretical arrival time in microseconds. A send that
-- comes late by up to half an interval does not push the schedule back,
-- so pollers' lateness does not lower the rate; after a longer pause the
-- schedule restarts at now (no burst).
local nowus = tonumber(ARGV[1])
local now = math.floor(nowus / 1000)
local lease = tonumber(ARGV[2])
local p = ARGV[3]
local id = ARGV[4]
local scan = tonumber(ARGV[5])

local prev = redis.call('GET', KEYS[1])
if prev then
  local b, lane = string.match(prev, '^(%S+) (.+)$')
  if lane and redis.call('GET', p .. 'lease:' .. lane) == id then
    local head = redis.call('LINDEX', p .. 'q:' .. lane, 0)
    if head then
      return {1, lane, b, head, 0}
    end
  end
end

local wait = -1
local function later(ms)
  if ms < 0 then
    ms = 0
  end
  if wait < 0 or ms < wait then
    wait = ms
  end
end

for i = 6, #ARGV, 2 do
  local b = ARGV[i]
  local iv = tonumber(ARGV[i + 1])
  local ready = p .. 'ready:' .. b
  local rk = p .. 'rate:' .. b
  local tat = 0
  if iv > 0 then
    tat = tonumber(redis.call('GET', rk) or '0')
  end
  if tat > nowus then
    if redis.call('ZCOUNT', ready, '-inf', now) > 0 then
      later(math.ceil((tat - nowus) / 1000))
    end
  else
    local due = redis.call('ZRANGEBYSCORE', ready, '-inf', now, 'LIMIT', 0, scan)
    for _, lane in ipairs(due) do
      local head = redis.call('LINDEX', p .. 'q:' .. lane, 0)
      if not head then
        redis.call('ZREM', ready, lane)
      else
        local m = cjson.decode(head)
        local gap = 0
        if m.pc then
          gap = tonumber(redis.call('GET', p .. 'gap:' .. lane) or '0')
        end
        if gap > now then
          -- The lane waits for its own spacing: out of the way until then.
          redis.call('ZADD', ready, gap, lane)
        else
          if iv > 0 then
            local base = nowus
            if tat >= nowus - iv / 2 then
              base = tat
            end
            redis.call('SET', rk, string.format('%d', base + iv), 'PX', math.ceil(iv / 1000) + 1000)
          end
          redis.call('ZADD', ready, now + lease, lane)
          redis.call('SET', p .. 'lease:' .. lane, id, 'PX', lease)
          redis.call('SET', KEYS[1], b .. ' ' .. lane, 'PX', lease)
          if type(m.co) == 'string' and m.co ~= '' then
            redis.call('SREM', p .. 'co:' .. lane, m.co)
          end
          return {1, lane, b, head, iv}
        end
      end
    end
    local first = redis.call('ZRANGE', ready, 0, 0, 'WITHSCORES')
    if #first > 0 then
      later(tonumber(first[2]) - now)
    end
  end
end
return {0, wait}
