-- expire.lua serves Store.Expire (tickets.Retention): delete a finished
-- ticket's personal content and count it in its month's statistics, in one
-- atomic step, if it is still the version the Service read and still
-- finished before the deadline. Go built every key from the record of that
-- version; this script checks the version and deletes.
--
-- KEYS[1] ticket    STRING  the ticket's JSON
-- KEYS[2] finished  ZSET    finished tickets by when they finished
-- KEYS[3] stats     HASH    the statistics of the month it finished in
-- KEYS[4] customer  ZSET    the customer's tickets
-- KEYS[5] profile   HASH    the customer's profile
-- KEYS[6] agent     ZSET    the assignee's tickets ("" key name when none: a key of its own)
-- KEYS[7] card      STRING  "<channel> <ts>" of the Slack card
-- KEYS[8] refs      SET     "<chat>:<msg>" of the Telegram message references
-- KEYS[9] queue     ZSET    open tickets
-- KEYS[10..] deleted outright: the conversation, the Slack posts and files
-- ARGV[1] member (zero-padded number)
-- ARGV[2] version the Service read
-- ARGV[3] deadline, Unix ms: the ticket must have finished at or before it
-- ARGV[4] resolved status, ARGV[5] closed status
-- ARGV[6] Slack thread key prefix ("<p>:{desk}:kv:slack:thread:")
-- ARGV[7] Telegram reference key prefix ("<p>:{desk}:kv:tg:ref:")
-- ARGV[8] ticket number
-- ARGV[9..] statistics: field, increment pairs
-- Returns 1 when expired; 0 when the ticket is gone or no longer finished
-- (its index entry is dropped) or finished after the deadline; 2 when its
-- version changed.
local cur = redis.call('GET', KEYS[1])
local when = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not cur then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
local t = cjson.decode(cur)
local st = tostring(t.st)
if st ~= ARGV[4] and st ~= ARGV[5] then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
if tostring(t.v) ~= ARGV[2] then
  return 2
end
if not when or tonumber(when) > tonumber(ARGV[3]) then
  return 0
end
local card = redis.call('GET', KEYS[7])
if card then
  local sp = string.find(card, ' ', 1, true)
  if sp then
    redis.call('DEL', ARGV[6] .. string.sub(card, 1, sp - 1) .. ':' .. string.sub(card, sp + 1))
  end
end
for _, m in ipairs(redis.call('SMEMBERS', KEYS[8])) do
  redis.call('DEL', ARGV[7] .. m)
end
redis.call('DEL', KEYS[1], KEYS[7], KEYS[8])
for i = 10, #KEYS do
  redis.call('DEL', KEYS[i])
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[9], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
if redis.call('EXISTS', KEYS[4]) == 0 then
  -- Their last ticket: the profile goes too, unless they accepted terms
  -- (or the privacy notice) after it finished, which is a customer still
  -- coming.
  local acc = redis.call('HMGET', KEYS[5], 'terms_at', 'privacy_at')
  local latest = math.max(tonumber(acc[1] or '0') or 0, tonumber(acc[2] or '0') or 0)
  if latest <= tonumber(when) then
    redis.call('DEL', KEYS[5])
  end
end
for i = 9, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[3], ARGV[i], ARGV[i + 1])
end
local n = tonumber(ARGV[8])
local first = tonumber(redis.call('HGET', KEYS[3], 'first') or '0')
if first == 0 or n < first then
  redis.call('HSET', KEYS[3], 'first', n)
end
if n > tonumber(redis.call('HGET', KEYS[3], 'last') or '0') then
  redis.call('HSET', KEYS[3], 'last', n)
end
return 1
