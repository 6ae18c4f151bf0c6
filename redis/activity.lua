-- KEYS (slot {rt}): 1 activity HASH, then one container HASH per entry. ARGV: container id, time (ms), ...
-- A time only moves forward, and only for containers that exist (a late flush never resurrects one).
local updated = 0
for i = 1, #ARGV, 2 do
  local cid, at = ARGV[i], tonumber(ARGV[i + 1])
  if redis.call('EXISTS', KEYS[(i + 1) / 2 + 1]) == 1 then
    local prev = tonumber(redis.call('HGET', KEYS[1], cid))
    if not prev or prev < at then
      redis.call('HSET', KEYS[1], cid, at)
      updated = updated + 1
    end
  end
end
return updated
