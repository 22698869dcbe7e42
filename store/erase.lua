-- erase.lua serves Store.Erase: replace a ticket's record by what is kept
-- of it once its customer's personal data is erased, delete its
-- conversation and the index of its Telegram message references, take it
-- out of the queue and of its customer's and agent's indexes, and append
-- its event, in one atomic step. The Service decided
-- what is kept; this script checks the version and writes.
--
-- KEYS[1] ticket    STRING  the ticket's JSON
-- KEYS[2] messages  LIST    the ticket's conversation
-- KEYS[3] queue     ZSET    open tickets
-- KEYS[4] customer  ZSET    the customer's tickets
-- KEYS[5] agent     ZSET    the agent's tickets (the customer's key again when none)
-- KEYS[6] events    STREAM  desk events
-- KEYS[7] tg refs   SET     "<chat>:<msg>" of the ticket's Telegram message references
-- ARGV[1] version the erasure was computed from
-- ARGV[2] the kept record JSON (its "er" field set)
-- ARGV[3] queue member (zero-padded number)
-- ARGV[4] event JSON
-- Returns {0, ""} when written, {0, current JSON} when the ticket was erased
-- already (nothing written), {1} when the ticket does not exist, {2} on a
-- version conflict.
local cur = redis.call('GET', KEYS[1])
if not cur then
  return {1}
end
local t = cjson.decode(cur)
if t.er then
  return {0, cur}
end
if tostring(t.v) ~= ARGV[1] then
  return {2}
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('DEL', KEYS[2], KEYS[7])
redis.call('ZREM', KEYS[3], ARGV[3])
redis.call('ZREM', KEYS[4], ARGV[3])
redis.call('ZREM', KEYS[5], ARGV[3])
redis.call('XADD', KEYS[6], '*', 'e', ARGV[4])
return {0, ''}
