-- A gateway holds a container's tunnel (slot {pool}). KEYS: 1 locations HASH, 2 epoch STRING.
-- ARGV: 1 cid, 2 gateway id, 3 now (epoch ms), 4 changes channel. Returns the new pool-wide epoch.
local epoch = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], ARGV[1],
  cjson.encode({gatewayId = ARGV[2], epoch = epoch, since = tonumber(ARGV[3])}))
redis.call('PUBLISH', ARGV[4],
  cjson.encode({kind = 'location', containerId = ARGV[1], gatewayId = ARGV[2], epoch = epoch}))
return epoch
