-- apply.lua serves Store.Apply: write a ticket's new state if nobody changed
-- it since it was read, with its conversation entry, queue and index moves
-- and event, in one atomic step. The Service decided the change; this
-- script only checks the version and writes.
--
-- KEYS[1] ticket    STRING  the ticket's JSON
-- KEYS[2] queue     ZSET    open tickets
-- KEYS[3] messages  LIST    the ticket's conversation
-- KEYS[4] events    STREAM  desk events
-- KEYS[5] claims    ZSET    recent claims
-- KEYS[6] request   STRING  marker of this request id, for idempotent retries
-- KEYS[7] finished  ZSET    finished tickets by when they finished
-- ARGV[1]  version the change was computed from
-- ARGV[2]  request id
-- ARGV[3]  new ticket record JSON
-- ARGV[4]  queue op: 0 keep, 1 add at ARGV[5], 2 remove
-- ARGV[5]  queue score
-- ARGV[6]  queue member (zero-padded number)
-- ARGV[7]  agent index key prefix ("<p>:{desk}:a:")
-- ARGV[8]  previous assignee id ("" for none)
-- ARGV[9]  new assignee id ("" for none)
-- ARGV[10] conversation entry JSON, or "" for none
-- ARGV[11] event JSON
-- ARGV[12] now, Unix ms
-- ARGV[13] "1" when the change is a claim (counted for wait estimates)
-- ARGV[14] claims older than this Unix ms are forgotten
-- ARGV[15] request marker TTL, seconds
-- ARGV[16] "1" when the new status is finished (resolved or closed)
-- ARGV[17] the new status: a change into a finished status from another
--          indexes the ticket in KEYS[7] at ARGV[12]; a change to an
--          unfinished one removes it
-- Returns {0, ""} when written, {0, current JSON} when this request id was
-- already applied (whatever changed since: the marker is per request), {1} when the ticket does not exist, {2} on a version
-- conflict.
local cur = redis.call('GET', KEYS[1])
if not cur then
  return {1}
end
if redis.call('EXISTS', KEYS[6]) == 1 then
  return {0, cur}
end
local t = cjson.decode(cur)
if tostring(t.v) ~= ARGV[1] then
  return {2}
end
redis.call('SET', KEYS[1], ARGV[3])
if ARGV[16] ~= '1' then
  redis.call('ZREM', KEYS[7], ARGV[6])
elseif tostring(t.st) ~= ARGV[17] then
  redis.call('ZADD', KEYS[7], ARGV[12], ARGV[6])
end
if ARGV[4] == '1' then
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[6])
elseif ARGV[4] == '2' then
  redis.call('ZREM', KEYS[2], ARGV[6])
end
if ARGV[8] ~= ARGV[9] then
  if ARGV[8] ~= '' then
    redis.call('ZREM', ARGV[7] .. ARGV[8], ARGV[6])
  end
  if ARGV[9] ~= '' then
    redis.call('ZADD', ARGV[7] .. ARGV[9], ARGV[12], ARGV[6])
  end
end
if ARGV[10] ~= '' then
  redis.call('RPUSH', KEYS[3], ARGV[10])
end
redis.call('XADD', KEYS[4], '*', 'e', ARGV[11])
redis.call('SET', KEYS[6], '1', 'EX', ARGV[15])
if ARGV[13] == '1' then
  redis.call('ZADD', KEYS[5], ARGV[12], ARGV[6] .. ':' .. ARGV[12])
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. ARGV[14])
end
return {0, ''}
