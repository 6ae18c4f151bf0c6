-- Allocates a container's VPN address, idempotently (slot {vpn}).
-- KEYS: 1 addresses HASH cid->ip, 2 address-owners HASH ip->cid, 3 cursor STRING (next address to try).
-- ARGV: 1 cid, 2 first, 3 last (container addresses as integers, inclusive).
-- Next-fit from the cursor with one wrap-around, as gateway/vpn/ipam.ts does: released addresses are
-- reused last. The scan is bounded by the pool size; an exhausted pool answers the error GW_POOL_EXHAUSTED.
local held = redis.call('HGET', KEYS[1], ARGV[1])
if held then return held end

local first, last = tonumber(ARGV[2]), tonumber(ARGV[3])
local capacity = last - first + 1
-- A full pool answers at once instead of scanning it (a /16 scan holds Redis ~0.1 s; a /8 ~30 s).
-- Exact while every owner lies in this subnet, which holds unless VPN_SUBNET changed under live allocations.
if redis.call('HLEN', KEYS[2]) >= capacity then return redis.error_reply('GW_POOL_EXHAUSTED') end
local start = tonumber(redis.call('GET', KEYS[3]) or '')
if not start or start < first or start > last then start = first end

local function dotted(n)
  return string.format('%d.%d.%d.%d', math.floor(n / 16777216) % 256, math.floor(n / 65536) % 256,
    math.floor(n / 256) % 256, n % 256)
end

for i = 0, capacity - 1 do
  local n = first + ((start - first + i) % capacity)
  local address = dotted(n)
  if redis.call('HEXISTS', KEYS[2], address) == 0 then
    redis.call('HSET', KEYS[1], ARGV[1], address)
    redis.call('HSET', KEYS[2], address, ARGV[1])
    redis.call('SET', KEYS[3], string.format('%.0f', n + 1))
    return address
  end
end
return redis.error_reply('GW_POOL_EXHAUSTED')
