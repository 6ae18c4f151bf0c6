-- Shared by map_service.lua, unmap_service.lua, remove_container.lua and revoke_container.lua
-- (concatenated before each).
-- KEYS (all in hash slot {rt}): 1 containers SET, 2 container HASH, 3 services HASH, 4 hosts HASH, 5 version.

local function route_json(c, svc)
  return cjson.encode({
    containerId = c.id, orgId = c.org, projectId = c.project, upstream = c.upstream, ownerId = c.owner or '',
    service = svc.name, port = svc.port, access = svc.access,
  })
end

local function load_container(cid)
  local flat = redis.call('HGETALL', KEYS[2])
  if #flat == 0 then return nil end
  local c = { id = cid }
  for i = 1, #flat, 2 do c[flat[i]] = flat[i + 1] end
  return c
end

local function load_services()
  local flat = redis.call('HGETALL', KEYS[3])
  local services = {}
  for i = 1, #flat, 2 do services[flat[i]] = cjson.decode(flat[i + 1]) end
  return services
end

-- Rewrites every hostname of the container from its current state, so the index never disagrees.
local function write_routes(c, services)
  for _, svc in pairs(services) do redis.call('HSET', KEYS[4], svc.hostname, route_json(c, svc)) end
  if c.primary ~= '' and services[c.primary] then
    redis.call('HSET', KEYS[4], c.alias, route_json(c, services[c.primary]))
  end
end

-- Bumps the version and publishes one change naming the touched hostnames; returns 1, or 0 when none.
local function publish(cid, touched, channel)
  local hosts = {}
  for h in pairs(touched) do hosts[#hosts + 1] = h end
  if #hosts == 0 then return 0 end
  table.sort(hosts)
  local version = redis.call('INCR', KEYS[5])
  redis.call('PUBLISH', channel, cjson.encode({ kind = 'routes', version = version, containerId = cid, hostnames = hosts }))
  return 1
end

-- The oldest remaining service (ties by name), or nil.
local function oldest(services)
  local best = nil
  for _, svc in pairs(services) do
    if best == nil or svc.createdAt < best.createdAt or (svc.createdAt == best.createdAt and svc.name < best.name) then best = svc end
  end
  return best
end

-- Deletes a loaded container: its hostnames, record, services (KEYS 1-4) and activity field (KEYS[6]).
-- Returns the hostnames it touched (for publish).
local function delete_container(cid, c)
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
  return touched
end
