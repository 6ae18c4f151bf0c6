-- Frees a container's VPN address (slot {vpn}). KEYS: 1 addresses HASH, 2 address-owners HASH. ARGV: 1 cid.
-- Returns 1 when the container held an address, else 0.
local address = redis.call('HGET', KEYS[1], ARGV[1])
if not address then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
-- Only drop the reverse entry if it still names this container: never free another container's address.
if redis.call('HGET', KEYS[2], address) == ARGV[1] then redis.call('HDEL', KEYS[2], address) end
return 1
