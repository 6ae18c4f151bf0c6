-- Revokes a container for good (slot {vpn}): marks it, moves its newest serial onto the revoked list, clears it.
-- KEYS: 1 serials HASH cid->serial, 2 revoked-serials SET, 3 revoked-containers SET. ARGV: 1 cid.
-- Returns the serials that went onto the list (empty when the container had none).
redis.call('SADD', KEYS[3], ARGV[1])
local serial = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
if not serial or serial == '' then return {} end
redis.call('SADD', KEYS[2], serial)
return { serial }
