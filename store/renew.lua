-- renew.lua serves Outbox.Renew: extend the lease of a send in flight.
--
-- KEYS[1] take   STRING  "<bucket> <lane>" of the take
-- ARGV[1] delivery key prefix ("<p>:{desk}:dl:")
-- ARGV[2] lane
-- ARGV[3] bucket
-- ARGV[4] take id
-- ARGV[5] lease, ms
-- ARGV[6] now, Unix ms
-- Returns 1 when extended, 0 when the take no longer holds the lane.
local p = ARGV[1]
local lk = p .. 'lease:' .. ARGV[2]
if redis.call('GET', lk) ~= ARGV[4] then
  return 0
end
redis.call('PEXPIRE', lk, ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('ZADD', p .. 'ready:' .. ARGV[3], 'XX', tonumber(ARGV[6]) + tonumber(ARGV[5]), ARGV[2])
return 1
