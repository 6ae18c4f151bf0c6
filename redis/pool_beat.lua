-- A gateway's heartbeat (slot {pool}). KEYS: 1 members HASH, 2 beats HASH.
-- ARGV: 1 gateway id, 2 member JSON (without lastBeat), 3 now (epoch ms), 4 changes channel.
-- Announces {kind:"pool"} only when the member is new or its description changed (draining, ...).
-- Returns 2: it joined (was not a member), 1: its description changed, 0: a plain beat.
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old == ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PUBLISH', ARGV[4], cjson.encode({kind = 'pool', gatewayId = ARGV[1]}))
if old then return 1 end
return 2
