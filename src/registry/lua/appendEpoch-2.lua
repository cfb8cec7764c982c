--[[
  Records one finished epoch of a running job.
  Input:
    KEYS[1] the job (hash)
    KEYS[2] its epochs (list of logs JSON)
    ARGV[1] the epoch's logs (JSON)
    ARGV[2] progress (JSON)
    ARGV[3] updated_at (JSON)
    ARGV[4] the status it must be in (JSON string)
    ARGV[5] the epoch's number, from 1
  An epoch already in the list is not added again: a write resent after a reconnect, whose first
  sending Redis had run, leaves one entry.
  Output:
    -1 when the job is gone, 0 when it is in another status, else its cancel_requested (JSON)
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HGET', KEYS[1], 'status') ~= ARGV[4] then return 0 end
if redis.call('LLEN', KEYS[2]) < tonumber(ARGV[5]) then redis.call('RPUSH', KEYS[2], ARGV[1]) end
redis.call('HSET', KEYS[1], 'progress', ARGV[2], 'updated_at', ARGV[3])
return redis.call('HGET', KEYS[1], 'cancel_requested')
