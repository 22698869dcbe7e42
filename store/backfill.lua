-- backfill.lua serves Store.Backfill: index in the finished index the
-- finished tickets of a range of numbers written before the index existed,
-- and move the cursor past them, in one atomic step (so a change made
-- meanwhile by apply.lua is never overwritten with a stale view).
--
-- KEYS[1] finished  ZSET    finished tickets by when they finished
-- KEYS[2] cursor    STRING  the last number looked at
-- KEYS[3] seq       STRING  the last ticket number
-- ARGV[1] ticket key prefix ("<p>:{desk}:t:")
-- ARGV[2] how many numbers to look at
-- ARGV[3] resolved status, ARGV[4] closed status
-- Returns {last number looked at, last ticket number, tickets indexed}.
-- An indexed ticket's finish time is its last update ("up", or its
-- creation "c" when equal), the best the record knows.
local from = tonumber(redis.call('GET', KEYS[2]) or '0')
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
local to = math.min(from + tonumber(ARGV[2]), last)
local added = 0
for n = from + 1, to do
  local js = redis.call('GET', ARGV[1] .. n)
  if js then
    local t = cjson.decode(js)
    local st = tostring(t.st)
    if st == ARGV[3] or st == ARGV[4] then
      local at = t.up
      if not at or at == 0 then
        at = t.c
      end
      added = added + redis.call('ZADD', KEYS[1], 'NX', at, string.format('%012d', n))
    end
  end
end
if to > from then
  redis.call('SET', KEYS[2], to)
end
return {to, last, added}
