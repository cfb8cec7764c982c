--[[
  Compare-and-set on a job's status: sets fields only while the status is one of those allowed,
  and keeps the active index and the finished statuses' indexes in step with the status that results.
  Input:
    KEYS[1] the job (hash)
    KEYS[2] its epochs (list of logs JSON)
    KEYS[3] jobs index (sorted set)
    KEYS[4] active jobs index (sorted set)
    KEYS[5..7] one index per finished status (sorted sets), in the order of ARGV[5]
    ARGV[1] id
    ARGV[2] allowed statuses, space-separated JSON strings
    ARGV[3] active statuses, space-separated JSON strings
    ARGV[4] how many epochs to keep, dropping those after (an attempt starting over, or from a checkpoint); '' keeps all
    ARGV[5] finished statuses, space-separated JSON strings, one per index in KEYS[5..7]
    ARGV[6..] field, value, ... (JSON values)
  Output:
    -1 when the job is gone; {0, status} when its status is not allowed;
    else {1, fields (HGETALL), epochs (LRANGE)}
]]
local function member(list, value)
  for s in string.gmatch(list, '%S+') do
    if s == value then return true end
  end
  return false
end
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local status = redis.call('HGET', KEYS[1], 'status')
if not member(ARGV[2], status) then return {0, status} end
if #ARGV >= 6 then redis.call('HSET', KEYS[1], unpack(ARGV, 6)) end
if ARGV[4] == '0' then
  redis.call('DEL', KEYS[2])
elseif ARGV[4] ~= '' then
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[4]) - 1)
end
status = redis.call('HGET', KEYS[1], 'status')
-- Every index is kept by the creation score, so each one pages in creation order.
local score = redis.call('ZSCORE', KEYS[3], ARGV[1])
if member(ARGV[3], status) then
  if score then redis.call('ZADD', KEYS[4], score, ARGV[1]) end
else
  redis.call('ZREM', KEYS[4], ARGV[1])
end
local i = 5
for finished in string.gmatch(ARGV[5], '%S+') do
  if finished == status and score then
    redis.call('ZADD', KEYS[i], score, ARGV[1])
  else
    redis.call('ZREM', KEYS[i], ARGV[1])
  end
  i = i + 1
end
return {1, redis.call('HGETALL', KEYS[1]), redis.call('LRANGE', KEYS[2], 0, -1)}
