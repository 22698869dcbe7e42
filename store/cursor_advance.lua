-- cursor_advance.lua serves Email.Advance: record the e-mail intake's
-- cursor in a folder, never moving it back within one UIDVALIDITY (an
-- intake that lost its lease and writes late cannot undo a newer
-- holder's progress).
--
-- KEYS[1] cursor  HASH  v = UIDVALIDITY, u = last UID handled, at = its arrival (ms)
-- ARGV[1] UIDVALIDITY
-- ARGV[2] last UID handled
-- ARGV[3] its arrival, ms
-- Returns 1 when written, 0 when the stored cursor is further.
local v = redis.call('HGET', KEYS[1], 'v')
if v == ARGV[1] then
  local u = tonumber(redis.call('HGET', KEYS[1], 'u') or '0')
  if u > tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'u', ARGV[2], 'at', ARGV[3])
return 1
