-- flood_count.lua serves Telegram.CountFlood and Email.CountOpened: count
-- an update (or album, or a mail that opens a ticket)
-- against its user's budget of the current window, once: a retry of the
-- same turn gets the count it got the first time.
--
-- KEYS[1] counted  STRING  the count the turn got (PX)
-- KEYS[2] flood    STRING  counter of the user's turns in the window (PX)
-- ARGV[1] the window's counter lives this long, ms
-- ARGV[2] the turn's count is remembered this long, ms
-- Returns the turn's count.
local c = redis.call('GET', KEYS[1])
if c then
  return tonumber(c)
end
local n = redis.call('INCR', KEYS[2])
if n == 1 then
  redis.call('PEXPIRE', KEYS[2], ARGV[1])
end
redis.call('SET', KEYS[1], n, 'PX', ARGV[2])
return n
