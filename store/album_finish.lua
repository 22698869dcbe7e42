-- album_finish.lua serves Telegram.FinishAlbum: an album was delivered (or
-- given up). Its parts' content is dropped; their message ids stay, so a
-- repeated part is still known as the album's until the album expires.
--
-- KEYS[1] album  HASH    s = o|c|d, "m:<message id>" = part
-- KEYS[2] due    ZSET    albums to flush
-- KEYS[3] last   STRING  the chat's album still buffering (its group)
-- ARGV[1] album member ("<chat>:<group>")
-- ARGV[2] the group (media_group_id)
-- ARGV[3] how long the finished album is remembered, ms
-- Returns 1.
local all = redis.call('HKEYS', KEYS[1])
for _, f in ipairs(all) do
  if string.sub(f, 1, 2) == 'm:' then
    redis.call('HSET', KEYS[1], f, '')
  end
end
redis.call('HSET', KEYS[1], 's', 'd')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('GET', KEYS[3]) == ARGV[2] then
  redis.call('DEL', KEYS[3])
end
return 1
