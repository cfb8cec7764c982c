--[[
  Allocates a model's next version number, stores the version under it and publishes it, so
  every API's catalog serves it as soon as it exists.
  Input:
    KEYS[1] the model (hash)
    KEYS[2] its versions (hash: number -> version JSON)
    ARGV[1] the version's JSON up to its number
    ARGV[2] the rest of the version's JSON
    ARGV[3] updated_at (JSON)
    ARGV[4] the channel of model events
  Output:
    0 when the model is gone, else the version number allocated
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local v = redis.call('HINCRBY', KEYS[1], 'latest_version', 1)
redis.call('HSET', KEYS[1], 'updated_at', ARGV[3])
local version = ARGV[1] .. v .. ARGV[2]
redis.call('HSET', KEYS[2], v, version)
redis.call('PUBLISH', ARGV[4], '{"type":"version","version":' .. version .. '}')
return v
