-- open.lua: the Redis work of one ticket open, for `ticketbot bench
-- -compare`: store/create.lua verbatim below the marker line (kept in step
-- by scripts/sync-benchdata; TestBenchScriptsMatchStore fails otherwise).
-- redis-benchmark runs it with EVALSHA:
--
--   KEYS  <p>:{<desk>}:seq  <p>:{<desk>}:queue  <p>:{<desk>}:c:bench:__rand_int__
--         <p>:{<desk>}:events
--   ARGV  <p>:{<desk>}:t:  <a ticket JSON read back from the bench run>
--         <queue score>  <creation ms>  <an event JSON from the bench run>
--         <request id>
--
-- redis-benchmark replaces __rand_int__ with a random 12-digit number, so
-- each call indexes a customer of its own, as the bench's opens do.
--
-- ---- store/create.lua verbatim below ----
-- create.lua serves Store.Create: number, store, queue and index a new
-- ticket and append its event, in one atomic step.
--
-- KEYS[1] seq       STRING  ticket number counter
-- KEYS[2] queue     ZSET    open tickets
-- KEYS[3] customer  ZSET    the customer's tickets
-- KEYS[4] events    STREAM  desk events
-- ARGV[1] ticket key prefix ("<p>:{desk}:t:")
-- ARGV[2] ticket JSON starting with {"n":0, and holding "oq":ARGV[6]
-- ARGV[3] queue score
-- ARGV[4] creation time, Unix ms
-- ARGV[5] event JSON starting with {"n":0,
-- ARGV[6] request id
-- Returns {number, ticket JSON}. A repeated request id (found among the
-- customer's three latest tickets, whose "oq" is the request that opened
-- them) returns the ticket the first call created and writes nothing: no
-- key per request, so idempotency costs no memory per queued ticket.
local needle = '"oq":"' .. ARGV[6] .. '"'
for _, m in ipairs(redis.call('ZREVRANGE', KEYS[3], 0, 2)) do
  local js = redis.call('GET', ARGV[1] .. tonumber(m))
  if js and string.find(js, needle, 1, true) then
    return {tonumber(m), js}
  end
end
local n = redis.call('INCR', KEYS[1])
local ticket = '{"n":' .. n .. ',' .. string.sub(ARGV[2], 8)
local member = string.format('%012d', n)
redis.call('SET', ARGV[1] .. n, ticket)
redis.call('ZADD', KEYS[2], ARGV[3], member)
redis.call('ZADD', KEYS[3], ARGV[4], member)
redis.call('XADD', KEYS[4], '*', 'e', '{"n":' .. n .. ',' .. string.sub(ARGV[5], 8))
return {n, ticket}
