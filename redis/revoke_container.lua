-- Revokes a container for good (slot {rt}): marks it and removes it as remove_container.lua does, at once,
-- so no map or first watchdog can slip in between. The mark is what map_service.lua and touch_container.lua
-- check. KEYS[6]: the activity HASH, KEYS[7]: the revoked SET.
-- ARGV: 1 cid, 2 channel, 3 only if known ('1': an id with no record that was never revoked is left alone).
-- Returns { status ('revoked', 'already-revoked' or 'unknown'), 1 when a record was removed else 0 }.
-- Health keys live in the container's own slot: the caller marks it there and deletes them.
local cid = ARGV[1]
local was = redis.call('SISMEMBER', KEYS[7], cid) == 1
local c = load_container(cid)
if not c and not was and ARGV[3] == '1' then return { 'unknown', 0 } end
redis.call('SADD', KEYS[7], cid)
local removed = 0
if c then
  publish(cid, delete_container(cid, c), ARGV[2])
  removed = 1
end
-- Every gateway cuts the container's VPN client (and refreshes its CRL) on this message.
redis.call('PUBLISH', ARGV[2], cjson.encode({ kind = 'revoked', containerId = cid }))
if was then return { 'already-revoked', removed } end
return { 'revoked', removed }
