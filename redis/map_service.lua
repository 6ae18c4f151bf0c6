-- ARGV: 1 cid, 2 org, 3 project, 4 upstream, 5 gateway, 6 alias, 7 now, 8 name, 9 port, 10 access ('' keeps),
--       11 primary ('1' asks for the alias), 12 service hostname, 13 channel, 14 owner ('' keeps),
--       15 access level for a new service that names none,
--       16 ports at the upstream where the gateway itself listens (comma-separated, '' for none)
-- KEYS[6]: the revoked SET (a revoked container never registers again).
local cid, name, svc_host, alias = ARGV[1], ARGV[8], ARGV[12], ARGV[6]
local now, port = tonumber(ARGV[7]), tonumber(ARGV[9])
if redis.call('SISMEMBER', KEYS[6], cid) == 1 then return redis.error_reply('GW_REVOKED ' .. cid) end
-- No service may be routed to the gateway's own listener: the new one, nor one the upstream would move.
if ARGV[16] ~= '' then
  local own = {}
  for p in string.gmatch(ARGV[16], '%d+') do own[tonumber(p)] = true end
  if own[port] then return redis.error_reply('GW_OWN_LISTENER ' .. port) end
  for other, svc in pairs(load_services()) do
    if other ~= name and own[svc.port] then return redis.error_reply('GW_OWN_LISTENER ' .. svc.port) end
  end
end

local function owner(host)
  local raw = redis.call('HGET', KEYS[4], host)
  if not raw then return nil end
  return cjson.decode(raw)
end
local o = owner(svc_host)
if o and (o.containerId ~= cid or o.service ~= name) then return redis.error_reply('GW_CONFLICT ' .. svc_host) end
local a = owner(alias)
if a and a.containerId ~= cid then return redis.error_reply('GW_CONFLICT ' .. alias) end

local c = load_container(cid)
if not c then
  c = { id = cid, org = ARGV[2], project = ARGV[3], upstream = ARGV[4], gateway = ARGV[5], alias = alias, primary = '', created = ARGV[7] }
  redis.call('HSET', KEYS[2], 'org', c.org, 'project', c.project, 'upstream', c.upstream, 'gateway', c.gateway,
    'alias', c.alias, 'primary', '', 'created', c.created)
  redis.call('SADD', KEYS[1], cid)
end
local services = load_services()
local touched = {}

if ARGV[14] ~= '' and c.owner ~= ARGV[14] then
  c.owner = ARGV[14]
  redis.call('HSET', KEYS[2], 'owner', c.owner)
  for _, svc in pairs(services) do touched[svc.hostname] = true end
  if c.primary ~= '' then touched[c.alias] = true end
end

if c.upstream ~= ARGV[4] then
  c.upstream = ARGV[4]
  redis.call('HSET', KEYS[2], 'upstream', c.upstream)
  for _, svc in pairs(services) do touched[svc.hostname] = true end
  if c.primary ~= '' then touched[c.alias] = true end
end

local old = services[name]
local access = ARGV[10]
if access == '' then access = (old and old.access) or ARGV[15] end
if not old or old.port ~= port or old.access ~= access or old.hostname ~= svc_host then
  if old and old.hostname ~= svc_host then
    redis.call('HDEL', KEYS[4], old.hostname)
    touched[old.hostname] = true
  end
  services[name] = { name = name, port = port, access = access, hostname = svc_host, createdAt = (old and old.createdAt) or now }
  redis.call('HSET', KEYS[3], name, cjson.encode(services[name]))
  touched[svc_host] = true
  if c.primary == name then touched[c.alias] = true end
end

if (ARGV[11] == '1' or c.primary == '') and c.primary ~= name then
  c.primary = name
  redis.call('HSET', KEYS[2], 'primary', name)
  touched[c.alias] = true
end

if next(touched) ~= nil then write_routes(c, services) end
return publish(cid, touched, ARGV[13])
