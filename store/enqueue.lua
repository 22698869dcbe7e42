-- enqueue.lua serves Outbox.Enqueue: append messages to their targets'
-- outboxes, skipping repeats and coalesced updates, and acknowledge the
-- event they came from, in one atomic step. Safe to run twice (a client
-- retry): the markers make the second run a no-op.
--
-- KEYS[1] ready   ZSET    targets with messages; score = when due, Unix ms
-- KEYS[2] events  STREAM  desk events
-- ARGV[1] now, Unix ms
-- ARGV[2] delivery key prefix ("<p>:{desk}:dl:")
-- ARGV[3] marker TTL, seconds
-- ARGV[4] consumer group
-- ARGV[5] event id to acknowledge, or "" for none
-- ARGV[6..] per message, four values: target member ("<platform>:<target>"),
--           message id, coalesce value ("" for none), message JSON
-- Returns the number of messages appended.
--
-- Keys built from ARGV[2] (same hash tag): m:<id> STRING marker,
-- q:<member> LIST outbox, co:<member> SET coalesce values waiting,
-- gap:<member> STRING set while the target must not receive (PX).
local now = tonumber(ARGV[1])
local p = ARGV[2]
local ttl = tonumber(ARGV[3])
local n = 0
for i = 6, #ARGV, 4 do
  local member, id, co, raw = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local mk = p .. 'm:' .. id
  if redis.call('EXISTS', mk) == 0 then
    local coset = p .. 'co:' .. member
    if co ~= '' and redis.call('SISMEMBER', coset, co) == 1 then
      redis.call('SET', mk, 'c', 'EX', ttl)
    else
      redis.call('SET', mk, 'q', 'EX', ttl)
      redis.call('RPUSH', p .. 'q:' .. member, raw)
      if co ~= '' then
        redis.call('SADD', coset, co)
      end
      local due = now
      local gap = redis.call('PTTL', p .. 'gap:' .. member)
      if gap > 0 then
        due = now + gap
      end
      redis.call('ZADD', KEYS[1], 'NX', due, member)
      n = n + 1
    end
  end
end
if ARGV[5] ~= '' then
  redis.call('XACK', KEYS[2], ARGV[4], ARGV[5])
end
return n
