-- A dead gateway's locations go (slot {pool}). KEYS: 1 locations HASH. ARGV: 1 gateway id, 2 changes channel.
-- Returns the ids of the containers dropped; one {kind:"location"} message each.
local dropped = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local at = cjson.decode(all[i + 1])
  if at.gatewayId == ARGV[1] then
    redis.call('HDEL', KEYS[1], all[i])
    redis.call('PUBLISH', ARGV[2],
      cjson.encode({kind = 'location', containerId = all[i], gatewayId = cjson.null, epoch = at.epoch}))
    dropped[#dropped + 1] = all[i]
  end
end
return dropped
