-- KEYS[6]: the activity HASH. ARGV: 1 cid, 2 channel. Health keys live in another slot: the caller deletes them.
local cid = ARGV[1]
local c = load_container(cid)
if not c then return 0 end
publish(cid, delete_container(cid, c), ARGV[2])
return 1
