-- lease_release.lua serves Leases.Release: give a lease up if the holder
-- has it, and wake a holder waiting for it.
--
-- KEYS[1] lease  STRING  the holder's name
-- KEYS[2] free   LIST    release tokens that waiting holders pop (BLPOP)
-- ARGV[1] holder
-- Returns 1 when released, 0 when the holder did not have it.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('RPUSH', KEYS[2], '1')
redis.call('LTRIM', KEYS[2], 0, 0)
redis.call('PEXPIRE', KEYS[2], 10000)
return 1
