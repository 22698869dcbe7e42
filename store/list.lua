-- list.lua serves Queue.Page, ByCustomer and ByAgent: a range of an index
-- sorted set with the tickets' records, in one round trip.
--
-- KEYS[1] index     ZSET    members are zero-padded ticket numbers
-- ARGV[1] ticket key prefix ("<p>:{desk}:t:")
-- ARGV[2] start (0-based)
-- ARGV[3] stop (inclusive)
-- ARGV[4] "1" for descending order
-- Returns {cardinality, number, ticket JSON, number, ticket JSON, ...},
-- skipping members whose ticket is gone.
local members
if ARGV[4] == '1' then
  members = redis.call('ZREVRANGE', KEYS[1], ARGV[2], ARGV[3])
else
  members = redis.call('ZRANGE', KEYS[1], ARGV[2], ARGV[3])
end
local out = {redis.call('ZCARD', KEYS[1])}
for _, m in ipairs(members) do
  local n = tonumber(m)
  local js = redis.call('GET', ARGV[1] .. n)
  if js then
    out[#out + 1] = n
    out[#out + 1] = js
  end
end
return out
