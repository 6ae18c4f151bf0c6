-- ARGV: 1 cid, 2 service name, 3 channel
local cid, name = ARGV[1], ARGV[2]
local c = load_container(cid)
if not c then return 0 end
local services = load_services()
local svc = services[name]
if not svc then return 0 end
services[name] = nil
redis.call('HDEL', KEYS[3], name)
redis.call('HDEL', KEYS[4], svc.hostname)
local touched = { [svc.hostname] = true }
if c.primary == name then
  touched[c.alias] = true
  local next_primary = oldest(services)
  c.primary = (next_primary and next_primary.name) or ''
  redis.call('HSET', KEYS[2], 'primary', c.primary)
  if c.primary == '' then redis.call('HDEL', KEYS[4], c.alias) end
end
write_routes(c, services)
return publish(cid, touched, ARGV[3])
