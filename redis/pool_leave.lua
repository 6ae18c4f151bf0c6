-- A gateway leaves the pool, or is declared dead (slot {pool}). KEYS: 1 members HASH, 2 beats HASH.
-- ARGV: 1 gateway id, 2 changes channel. Returns 1 when it was a member (and announces it), else 0.
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('PUBLISH', ARGV[2], cjson.encode({kind = 'pool', gatewayId = ARGV[1]}))
return 1
