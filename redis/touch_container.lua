-- Creates a container record (no routes) when absent. KEYS (slot {rt}): 1 containers SET, 2 container HASH,
-- 3 revoked SET (a revoked container is refused, never recreated). ARGV: 1 cid, 2 org, 3 project, 4 upstream,
-- 5 gateway, 6 alias, 7 now
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return redis.error_reply('GW_REVOKED ' .. ARGV[1]) end
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[2], 'org', ARGV[2], 'project', ARGV[3], 'upstream', ARGV[4], 'gateway', ARGV[5],
  'alias', ARGV[6], 'primary', '', 'created', ARGV[7])
redis.call('SADD', KEYS[1], ARGV[1])
return 1
