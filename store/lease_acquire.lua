-- lease_acquire.lua serves Leases.Acquire: take a lease, or extend it for
-- the holder that has it.
--
-- KEYS[1] lease  STRING  the holder's name (PX)
-- ARGV[1] holder
-- ARGV[2] ttl, ms
-- Returns 1 when holder has the lease afterwards, 0 when another has it.
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
