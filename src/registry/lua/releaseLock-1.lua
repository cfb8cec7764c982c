--[[
  Releases a lock only while it is still the caller's: one that expired and was taken since is another's.
  Input:
    KEYS[1] the lock (string)
    ARGV[1] the caller's token
  Output:
    1 when released, else 0
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
