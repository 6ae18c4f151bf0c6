-- KEYS (slot {oidc}): 1 the group SET. Deletes every member record (keys of the same slot) and the group.
local members = redis.call('SMEMBERS', KEYS[1])
local deleted = 0
for _, key in ipairs(members) do deleted = deleted + redis.call('DEL', key) end
redis.call('DEL', KEYS[1])
return deleted
