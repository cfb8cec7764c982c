--[[
  Deletes a finished job: its record, its epochs, and its place in every index.
  Only while its status is one of those allowed, so a job that is still active is never lost.
  Input:
    KEYS[1] the job (hash)
    KEYS[2] its epochs (list of logs JSON)
    KEYS[3] jobs index (sorted set)
    KEYS[4] active jobs index (sorted set)
    KEYS[5] its model's jobs index (sorted set)
    KEYS[6..8] the finished statuses' indexes (sorted sets)
    KEYS[9] its tenant's jobs index (sorted set)
    ARGV[1] id
    ARGV[2] allowed statuses, space-separated JSON strings
  Output:
    -1 when the job is gone; {0, status} when its status is not allowed; else 1
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local status = redis.call('HGET', KEYS[1], 'status')
local allowed = false
for s in string.gmatch(ARGV[2], '%S+') do
  if s == status then allowed = true end
end
if not allowed then return {0, status} end
redis.call('DEL', KEYS[1], KEYS[2])
for i = 3, 9 do
  redis.call('ZREM', KEYS[i], ARGV[1])
end
return 1
