-- KEYS (slot {c:<cid>}): 1 health HASH, 2 history ZSET, 3 revoked mark (a revoked container writes nothing).
-- ARGV: 1 now (ms), 2 stats JSON, 3 liveness timeout (ms), 4 history horizon (ms), 5 history cap, 6 cid, 7 channel
if redis.call('EXISTS', KEYS[3]) == 1 then return redis.error_reply('GW_REVOKED ' .. ARGV[6]) end
local now, timeout = tonumber(ARGV[1]), tonumber(ARGV[3])
local prev = tonumber(redis.call('HGET', KEYS[1], 'beat'))
local beat = now
if prev and prev > now then beat = prev end
redis.call('HSET', KEYS[1], 'beat', beat, 'stats', ARGV[2])
redis.call('ZADD', KEYS[2], now, ARGV[1] .. ' ' .. ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[4]))
local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, extra - 1) end
redis.call('PEXPIRE', KEYS[2], ARGV[4])
if not prev or now - prev >= timeout then
  redis.call('PUBLISH', ARGV[7], cjson.encode({ kind = 'liveness', containerId = ARGV[6], lastWatchdog = now }))
end
return 1
