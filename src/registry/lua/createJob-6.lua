--[[
  Creates a job, queued, in every index it belongs to.
  Input:
    KEYS[1] the job (hash)
    KEYS[2] jobs index (sorted set of ids, by creation)
    KEYS[3] active jobs index (sorted set)
    KEYS[4] the model's jobs index (sorted set)
    KEYS[5] sequence (the indexes' score counter)
    KEYS[6] its tenant's jobs index (sorted set), written only when the job's tenant field is not null
    ARGV[1] id
    ARGV[2..] field, value, ... (JSON values)
  Output:
    0 when the id is taken, else 1
]]
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
local score = redis.call('INCR', KEYS[5])
redis.call('ZADD', KEYS[2], score, ARGV[1])
redis.call('ZADD', KEYS[3], score, ARGV[1])
redis.call('ZADD', KEYS[4], score, ARGV[1])
local tenant = redis.call('HGET', KEYS[1], 'tenant')
if tenant and tenant ~= 'null' then redis.call('ZADD', KEYS[6], score, ARGV[1]) end
return 1
