-- enqueue.lua serves Outbox.Enqueue: append messages to their lanes'
-- outboxes, skipping repeats and coalesced updates, and acknowledge the
-- event they came from, in one atomic step. Safe to run twice (a client
-- retry): the markers make the second run a no-op.
--
-- KEYS[1] events  STREAM  desk events
-- ARGV[1] now, Unix ms
-- ARGV[2] delivery key prefix ("<p>:{desk}:dl:")
-- ARGV[3] marker TTL, seconds
-- ARGV[4] consumer group
-- ARGV[5] event id to acknowledge, or "" for none
-- ARGV[6..] per message, six values: lane ("<platform>:<lane>"), bucket,
--           message id, coalesce value ("" for none), "1" when paced,
--           message JSON
-- Returns the number of messages appended.
--
-- Keys built from ARGV[2] (same hash tag): m:<id> STRING marker,
-- q:<lane> LIST outbox, co:<lane> SET coalesce values waiting,
-- gap:<lane> STRING until when (Unix ms) the lane must not receive a paced message,
-- ready:<bucket> ZSET lanes whose head spends the bucket, by when due.
local now = tonumber(ARGV[1])
local p = ARGV[2]
local ttl = tonumber(ARGV[3])
local n = 0
for i = 6, #ARGV, 6 do
  local lane, bucket, id, co, paced, raw = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  local mk = p .. 'm:' .. id
  if redis.call('EXISTS', mk) == 0 then
    local coset = p .. 'co:' .. lane
    if co ~= '' and redis.call('SISMEMBER', coset, co) == 1 then
      redis.call('SET', mk, 'c', 'EX', ttl)
    else
      redis.call('SET', mk, 'q', 'EX', ttl)
      if co ~= '' then
        redis.call('SADD', coset, co)
      end
      if redis.call('RPUSH', p .. 'q:' .. lane, raw) == 1 then
        -- The lane was empty: its new head makes it due.
        local due = now
        if paced == '1' then
          due = math.max(due, tonumber(redis.call('GET', p .. 'gap:' .. lane) or '0'))
        end
        redis.call('ZADD', p .. 'ready:' .. bucket, 'NX', due, lane)
      end
      n = n + 1
    end
  end
end
if ARGV[5] ~= '' then
  redis.call('XACK', KEYS[1], ARGV[4], ARGV[5])
end
return n
