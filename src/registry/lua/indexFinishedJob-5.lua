--[[
  Puts one job in the index of its finished status, reading the status in the same step, so a
  transition running beside it cannot leave it in a stale index: for jobs that finished before
  these indexes existed.
  Input:
    KEYS[1] the job (hash)
    KEYS[2] jobs index (sorted set)
    KEYS[3..5] one index per finished status (sorted sets), in the order of ARGV[2]
    ARGV[1] id
    ARGV[2] finished statuses, space-separated JSON strings
  Output:
    1 when the job is finished and indexed, else 0
]]
local status = redis.call('HGET', KEYS[1], 'status')
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not status or not score then return 0 end
local i = 3
local indexed = 0
for finished in string.gmatch(ARGV[2], '%S+') do
  if finished == status then
    redis.call('ZADD', KEYS[i], score, ARGV[1])
    indexed = 1
  end
  i = i + 1
end
return indexed
