--[[
  Compare-and-set on a sweep's status: sets fields only while the status is one of those allowed.
  Input:
    KEYS[1] the sweep (hash)
    ARGV[1] allowed statuses, space-separated JSON strings
    ARGV[2..] field, value, ... (JSON values)
  Output:
    -1 when the sweep is gone; {0, status} when its status is not allowed; else {1}
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local status = redis.call('HGET', KEYS[1], 'status')
for s in string.gmatch(ARGV[1], '%S+') do
  if s == status then
    redis.call('HSET', KEYS[1], unpack(ARGV, 2))
    return {1}
  end
end
return {0, status}
