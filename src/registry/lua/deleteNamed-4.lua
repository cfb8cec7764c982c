--[[
  Deletes a named record with the hash of its dependents (a model's versions). The name is
  released only while it still points here.
  Input:
    KEYS[1] the record (hash)
    KEYS[2] names (hash: name -> id)
    KEYS[3] index (sorted set of ids)
    KEYS[4] dependents (hash), deleted with the record; a key that does not exist for none
    ARGV[1] id
  Output:
    false when the record is gone, else {record fields, dependents' fields} (both HGETALL)
]]
local record = redis.call('HGETALL', KEYS[1])
if #record == 0 then return false end
local name = cjson.decode(redis.call('HGET', KEYS[1], 'name'))
if redis.call('HGET', KEYS[2], name) == ARGV[1] then redis.call('HDEL', KEYS[2], name) end
redis.call('ZREM', KEYS[3], ARGV[1])
local dependents = redis.call('HGETALL', KEYS[4])
redis.call('DEL', KEYS[4])
redis.call('DEL', KEYS[1])
return {record, dependents}
