-- KEYS[6]: the activity HASH. ARGV: 1 cid, 2 channel. Health keys live in another slot: the caller deletes them.
local cid = ARGV[1]
local c = load_container(cid)
if not c then return 0 end
local touched = {}
for _, svc in pairs(load_services()) do
  redis.call('HDEL', KEYS[4], svc.hostname)
  touched[svc.hostname] = true
end
if c.primary ~= '' then
  redis.call('HDEL', KEYS[4], c.alias)
  touched[c.alias] = true
end
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('SREM', KEYS[1], cid)
redis.call('HDEL', KEYS[6], cid)
if next(touched) == nil then return 1 end
publish(cid, touched, ARGV[2])
return 1
