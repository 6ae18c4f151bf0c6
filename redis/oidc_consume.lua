-- KEYS (slot {oidc}): 1 the record HASH. ARGV: time (ms). 1 only for the first consume of a live record.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], 'c', ARGV[1])
