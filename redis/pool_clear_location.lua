-- A tunnel went away (slot {pool}). KEYS: 1 locations HASH.
-- ARGV: 1 cid, 2 gateway id, 3 epoch, 4 changes channel.
-- Clears only while the location is still (gateway, epoch): a late disconnect never clears a newer connect.
local value = redis.call('HGET', KEYS[1], ARGV[1])
if not value then return 0 end
local at = cjson.decode(value)
if at.gatewayId ~= ARGV[2] or at.epoch ~= tonumber(ARGV[3]) then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[4],
  cjson.encode({kind = 'location', containerId = ARGV[1], gatewayId = cjson.null, epoch = at.epoch}))
return 1
