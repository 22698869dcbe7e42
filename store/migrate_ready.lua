-- migrate_ready.lua serves Outbox.Join: move the lanes of the single ready
-- set of earlier versions (dl:ready, one member per "<platform>:<target>")
-- into the per-bucket ready sets, each under its platform's default
-- bucket, keeping when each is due. It moves at most ARGV[2] lanes per
-- run; the caller runs it until it returns 0.
--
-- KEYS[1] legacy ready  ZSET  member = "<platform>:<target>", score = when due
-- ARGV[1] delivery key prefix ("<p>:{desk}:dl:")
-- ARGV[2] lanes to move at most
-- Returns the number of lanes moved.
local moved = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1, 'WITHSCORES')
for i = 1, #moved, 2 do
  local lane = moved[i]
  local pf = string.match(lane, '^([^:]*):')
  redis.call('ZADD', ARGV[1] .. 'ready:' .. pf, 'NX', moved[i + 1], lane)
  redis.call('ZREM', KEYS[1], lane)
end
return #moved / 2
