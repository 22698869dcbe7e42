-- album_close.lua serves Telegram.CloseAlbum: close an album for its flush
-- (no part joins it after) and return its parts. Closing again (a retry
-- after a failed or crashed flush) returns the same parts.
--
-- KEYS[1] album  HASH  s = o|c|d, "m:<message id>" = part
-- KEYS[2] due    ZSET  albums to flush; score = when due (ms)
-- ARGV[1] album member ("<chat>:<group>")
-- ARGV[2] when to flush it again if this flush does not finish, ms
-- Returns {1, part...} or {0} when the album is done or gone.
local s = redis.call('HGET', KEYS[1], 's')
if not s or s == 'd' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return {0}
end
redis.call('HSET', KEYS[1], 's', 'c')
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
local out = {1}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if string.sub(all[i], 1, 2) == 'm:' then
    out[#out + 1] = all[i + 1]
  end
end
return out
