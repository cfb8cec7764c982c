--[[
  Sets fields of a named record, moving its name claim when the name changes.
  Input:
    KEYS[1] the record (hash)
    KEYS[2] names (hash: name -> id)
    ARGV[1] id
    ARGV[2] the new name, or '' to keep it
    ARGV[3..] field, value, ... (JSON values)
  Output:
    -1 when the record is gone, 0 when the new name is taken, else the record's fields (HGETALL)
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if ARGV[2] ~= '' then
  local old = cjson.decode(redis.call('HGET', KEYS[1], 'name'))
  if old ~= ARGV[2] then
    if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[1]) == 0 then return 0 end
    if redis.call('HGET', KEYS[2], old) == ARGV[1] then redis.call('HDEL', KEYS[2], old) end
  end
end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
return redis.call('HGETALL', KEYS[1])
