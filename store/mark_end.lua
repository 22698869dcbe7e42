-- mark_end.lua serves Inbound.Renew, Done, Fail, Release and GiveUp:
-- what becomes of an item a holder began.
--
-- KEYS[1] mark     HASH  s = b|f|d, t = holder token, n = failures, e = last error
-- KEYS[2] dead     HASH  inbound dead letters ("<ns>:<id>" -> JSON)
-- KEYS[3] deadlog  ZSET  their ids; score = when given up (ms)
-- ARGV[1] mode: "renew", "done", "fail", "release" or "giveup"
-- ARGV[2] holder token
-- ARGV[3] ms: renew, how long it stays busy; else how long the mark is kept
-- ARGV[4] fail: the error; giveup: the dead letter JSON
-- ARGV[5] giveup: the dead letter's id
-- ARGV[6] giveup: now, ms
-- ARGV[7] giveup: dead letters are kept this long, ms
-- ARGV[8] giveup: at most this many dead letters are kept
-- Returns 1, or for renew 0 when the token no longer holds the mark.
local mode = ARGV[1]
if mode == 'renew' then
  if redis.call('HGET', KEYS[1], 't') ~= ARGV[2] or redis.call('HGET', KEYS[1], 's') ~= 'b' then
    return 0
  end
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
if mode == 'done' then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 's', 'd')
elseif mode == 'fail' then
  redis.call('HSET', KEYS[1], 's', 'f', 'e', ARGV[4])
  redis.call('HINCRBY', KEYS[1], 'n', 1)
  redis.call('HDEL', KEYS[1], 't')
elseif mode == 'release' then
  redis.call('HSET', KEYS[1], 's', 'f')
  redis.call('HDEL', KEYS[1], 't')
elseif mode == 'giveup' then
  caplog_add(KEYS[2], KEYS[3], ARGV[5], ARGV[4], tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]))
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 's', 'd')
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
