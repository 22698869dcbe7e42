-- create.lua serves Store.Create: number, store, queue and index a new
-- ticket and append its event, in one atomic step.
--
-- KEYS[1] seq       STRING  ticket number counter
-- KEYS[2] queue     ZSET    open tickets
-- KEYS[3] customer  ZSET    the customer's tickets
-- KEYS[4] events    STREAM  desk events
-- ARGV[1] ticket key prefix ("<p>:{desk}:t:")
-- ARGV[2] ticket record JSON (its number is the key's)
-- ARGV[3] queue score
-- ARGV[4] creation time, Unix ms
-- ARGV[5] event JSON without the number (the entry's field "n" holds it)
-- ARGV[6] how the request id that opened the ticket reads in its record
--         (record.go's openRequestNeedle)
-- Returns {number, ticket JSON}. A repeated request (found among the
-- customer's three latest tickets, whose records hold the request that
-- opened them) returns the ticket the first call created and writes
-- nothing: no key per request, so idempotency costs no memory per queued
-- ticket.
for _, m in ipairs(redis.call('ZREVRANGE', KEYS[3], 0, 2)) do
  local js = redis.call('GET', ARGV[1] .. tonumber(m))
  if js and string.find(js, ARGV[6], 1, true) then
    return {tonumber(m), js}
  end
end
local n = redis.call('INCR', KEYS[1])
local member = string.format('%012d', n)
redis.call('SET', ARGV[1] .. n, ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], member)
redis.call('ZADD', KEYS[3], ARGV[4], member)
redis.call('XADD', KEYS[4], '*', 'e', ARGV[5], 'n', n)
return {n, ARGV[2]}
