-- caplog.lua is not a script of its own: it is prepended to the scripts
-- that write dead letters, so that every dead-letter log is bounded the
-- same way.
--
-- caplog_add(hash, zset, id, json, now, keep, cap) stores json under id in
-- hash, lists id in zset at now (ms), then drops the entries older than
-- keep ms and the oldest beyond cap entries, at most 100 of each per call
-- (a log over its bounds shrinks a little more on every add).
local function caplog_add(hash, zset, id, json, now, keep, cap)
  redis.call('HSET', hash, id, json)
  redis.call('ZADD', zset, now, id)
  local old = redis.call('ZRANGEBYSCORE', zset, '-inf', '(' .. (now - keep), 'LIMIT', 0, 100)
  for _, o in ipairs(old) do
    redis.call('ZREM', zset, o)
    redis.call('HDEL', hash, o)
  end
  local over = redis.call('ZCARD', zset) - cap
  if over > 0 then
    local drop = redis.call('ZRANGE', zset, 0, math.min(over, 100) - 1)
    for _, o in ipairs(drop) do
      redis.call('ZREM', zset, o)
      redis.call('HDEL', hash, o)
    end
  end
end
