--[[
  Allocates a model's next version number, stores the version under it and publishes it, so
  every API's catalog serves it as soon as it exists.
  Input:
    KEYS[1] the model (hash)
    KEYS[2] its versions (hash: number -> version JSON)
    ARGV[1] the version's JSON up to its number
    ARGV[2] the rest of the version's JSON
    ARGV[3] updated_at (JSON)
    ARGV[4] the job that trained it
    ARGV[5] the channel of model events
  A job adds one version: when one of the model's versions is already this job's (a write resent
  after a reconnect, whose first sending Redis had run), that version is returned instead.
  Output:
    0 when the model is gone, else the version's JSON
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for _, json in ipairs(redis.call('HVALS', KEYS[2])) do
  if cjson.decode(json).job_id == ARGV[4] then return json end
end
local v = redis.call('HINCRBY', KEYS[1], 'latest_version', 1)
redis.call('HSET', KEYS[1], 'updated_at', ARGV[3])
local json = ARGV[1] .. v .. ARGV[2]
redis.call('HSET', KEYS[2], v, json)
redis.call('PUBLISH', ARGV[5], '{"type":"version","version":' .. json .. '}')
return json
