-- album_add.lua serves Telegram.AddAlbumPart: buffer one part of an album
-- (media group) until the album is due, unless the album was closed.
--
-- KEYS[1] album  HASH    s = o(pen)|c(losed)|d(one), "m:<message id>" = part
-- KEYS[2] due    ZSET    albums to flush; score = when due (ms)
-- KEYS[3] last   STRING  the chat's album still buffering (its group)
-- ARGV[1] album member ("<chat>:<group>")
-- ARGV[2] message id of the part
-- ARGV[3] the part (the adapter's JSON)
-- ARGV[4] when the album is due if no part follows, ms
-- ARGV[5] how long an album is kept, ms
-- ARGV[6] the group (media_group_id)
-- Returns 1 when the album takes the part (also for a repeat of a part it
-- has), 0 when the album was closed without it: the part comes alone.
local s = redis.call('HGET', KEYS[1], 's')
local f = 'm:' .. ARGV[2]
if s == 'c' or s == 'd' then
  return redis.call('HEXISTS', KEYS[1], f)
end
redis.call('HSETNX', KEYS[1], f, ARGV[3])
redis.call('HSET', KEYS[1], 's', 'o')
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
redis.call('SET', KEYS[3], ARGV[6], 'PX', ARGV[5])
return 1
