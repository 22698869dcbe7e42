-- open.lua: the Redis work of one ticket open, for `ticketbot bench
-- -compare`. It is store/create.lua verbatim below this header (a test
-- keeps the two identical), run by redis-benchmark with EVALSHA:
--
--   KEYS  <p>:{<desk>}:seq  <p>:{<desk>}:queue  <p>:{<desk>}:c:bench:__rand_int__
--         <p>:{<desk>}:events  <p>:{<desk>}:req:__rand_int__
--   ARGV  <p>:{<desk>}:t:  <a ticket JSON read back from the bench run>
--         <queue score>  <creation ms>  <an event JSON from the bench run>  600
--
-- redis-benchmark replaces __rand_int__ with a random 12-digit number, so
-- each call has its own customer index and request key, as real opens do.
-- Writes: GET request, INCR seq, SET ticket (~450-byte JSON), ZADD queue,
-- ZADD customer index, XADD event, SET request EX.
--
-- create.lua serves Store.Create: number, store, queue and index a new
-- ticket and append its event, in one atomic step.
--
-- KEYS[1] seq       STRING  ticket number counter
-- KEYS[2] queue     ZSET    open tickets
-- KEYS[3] customer  ZSET    the customer's tickets
-- KEYS[4] events    STREAM  desk events
-- KEYS[5] request   STRING  number created by this request id (idempotency)
-- ARGV[1] ticket key prefix ("<p>:{desk}:t:")
-- ARGV[2] ticket JSON starting with {"n":0,
-- ARGV[3] queue score
-- ARGV[4] creation time, Unix ms
-- ARGV[5] event JSON starting with {"n":0,
-- ARGV[6] request marker TTL, seconds
-- Returns {number, ticket JSON}; for a repeated request id, the ticket the
-- first call created.
local prev = redis.call('GET', KEYS[5])
if prev then
  return {tonumber(prev), redis.call('GET', ARGV[1] .. prev)}
end
local n = redis.call('INCR', KEYS[1])
local ticket = '{"n":' .. n .. ',' .. string.sub(ARGV[2], 8)
local member = string.format('%012d', n)
redis.call('SET', ARGV[1] .. n, ticket)
redis.call('ZADD', KEYS[2], ARGV[3], member)
redis.call('ZADD', KEYS[3], ARGV[4], member)
redis.call('XADD', KEYS[4], '*', 'e', '{"n":' .. n .. ',' .. string.sub(ARGV[5], 8))
redis.call('SET', KEYS[5], n, 'EX', ARGV[6])
return {n, ticket}
