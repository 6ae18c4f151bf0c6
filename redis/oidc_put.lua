-- KEYS (slot {oidc}): 1 the record HASH, then (when ARGV[3] is 1) its uid STRING, then one group SET each.
-- ARGV: payload, ttl ms (0: none), has-uid flag, record id (the uid key's value).
-- A record is replaced whole (no longer consumed); a group lives as long as its longest-lived member.
local ttl = tonumber(ARGV[2])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'p', ARGV[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
local first_group = 2
if ARGV[3] == '1' then
  redis.call('SET', KEYS[2], ARGV[4])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
  first_group = 3
end
for i = first_group, #KEYS do
  local existed = redis.call('EXISTS', KEYS[i])
  redis.call('SADD', KEYS[i], KEYS[1])
  if ttl <= 0 then
    redis.call('PERSIST', KEYS[i])
  else
    local current = redis.call('PTTL', KEYS[i])
    if existed == 0 or (current >= 0 and current < ttl) then redis.call('PEXPIRE', KEYS[i], ttl) end
  end
end
return 1
