-- mark_begin.lua serves Inbound.Begin: mark an inbound item busy for a
-- holder, unless it is busy or done.
--
-- KEYS[1] mark  HASH  s = b|f|d, t = holder token, n = failures, e = last error
-- ARGV[1] holder token
-- ARGV[2] busy, ms: the mark expires this long after its last renewal
--         (a crashed holder's item is taken over then)
-- Returns {3} done, {2} busy, {1, failures, last error} now held.
local s = redis.call('HGET', KEYS[1], 's')
if s == 'd' then
  return {3}
end
if s == 'b' then
  return {2}
end
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local e = redis.call('HGET', KEYS[1], 'e') or ''
redis.call('HSET', KEYS[1], 's', 'b', 't', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, n, e}
