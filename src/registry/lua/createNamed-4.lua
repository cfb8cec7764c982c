--[[
  Creates a record that has a unique name: the name claim and the record land together.
  Input:
    KEYS[1] the record (hash)
    KEYS[2] names (hash: name -> id)
    KEYS[3] index (sorted set of ids, by creation)
    KEYS[4] sequence (the index's score counter)
    ARGV[1] name
    ARGV[2] id
    ARGV[3..] field, value, ... (JSON values)
  Output:
    0 when the name is taken, else 1
]]
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[4]), ARGV[2])
return 1
