import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The registry's read-check-write steps, each one Lua script so Redis runs it
 * without interleaving another client's commands. Records are hashes whose
 * values are JSON, so a script can set a few fields (or HINCRBY a number)
 * without parsing the rest; strings compared here are JSON-encoded (`"queued"`).
 */

export interface Script {
  lua: string;
  sha: string;
}

function script(lua: string): Script {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * Runs a script by its digest, sending the text only when the server has not
 * seen it (a fresh or restarted Redis).
 */
export async function runScript(redis: Redis, s: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return redis.eval(s.lua, keys.length, ...keys, ...args);
  }
}

/**
 * KEYS: record, names, index, sequence. ARGV: name, id, field, value, ...
 * 0 when the name is taken; the name claim and the record land together.
 */
export const createNamed = script(`
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[4]), ARGV[2])
return 1
`);

/**
 * KEYS: record, names. ARGV: id, new name or '', field, value, ...
 * -1 when the record is gone, 0 when the new name is taken, else the record's fields.
 */
export const updateNamed = script(`
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
`);

/**
 * KEYS: record, names, index, and optionally dependents (a hash deleted with the record). ARGV: id.
 * false when the record is gone, else {record fields, dependents' fields}.
 * The name is released only while it still points here.
 */
export const deleteNamed = script(`
local record = redis.call('HGETALL', KEYS[1])
if #record == 0 then return false end
local name = cjson.decode(redis.call('HGET', KEYS[1], 'name'))
if redis.call('HGET', KEYS[2], name) == ARGV[1] then redis.call('HDEL', KEYS[2], name) end
redis.call('ZREM', KEYS[3], ARGV[1])
local dependents = {}
if KEYS[4] then
  dependents = redis.call('HGETALL', KEYS[4])
  redis.call('DEL', KEYS[4])
end
redis.call('DEL', KEYS[1])
return {record, dependents}
`);

/**
 * KEYS: model, versions. ARGV: version JSON up to the number, the rest of it, updated_at.
 * 0 when the model is gone, else the version allocated.
 */
export const addVersion = script(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local v = redis.call('HINCRBY', KEYS[1], 'latest_version', 1)
redis.call('HSET', KEYS[1], 'updated_at', ARGV[3])
redis.call('HSET', KEYS[2], v, ARGV[1] .. v .. ARGV[2])
return v
`);

/**
 * KEYS: job, epochs, jobs index, active index, model's jobs index, sequence. ARGV: id, field, value, ...
 * 0 when the id is taken. Queued jobs start in the active index.
 */
export const createJob = script(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
local score = redis.call('INCR', KEYS[6])
redis.call('ZADD', KEYS[3], score, ARGV[1])
redis.call('ZADD', KEYS[4], score, ARGV[1])
redis.call('ZADD', KEYS[5], score, ARGV[1])
return 1
`);

/**
 * KEYS: job, epochs, jobs index, active index.
 * ARGV: id, allowed statuses (space-separated JSON strings, '' for any),
 * '1' to replace the epochs, field count n, n field/value args, then the new epochs.
 * -1 when the job is gone; {0, status} when its status is not allowed;
 * else {1, fields, epochs}. Fields not in the patch keep what other writers set.
 */
export const updateJob = script(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if ARGV[2] ~= '' then
  local status = redis.call('HGET', KEYS[1], 'status')
  local allowed = false
  for s in string.gmatch(ARGV[2], '%S+') do
    if s == status then allowed = true end
  end
  if not allowed then return {0, status} end
end
local n = tonumber(ARGV[4])
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 5, 4 + n)) end
if ARGV[3] == '1' then
  redis.call('DEL', KEYS[2])
  if #ARGV > 4 + n then redis.call('RPUSH', KEYS[2], unpack(ARGV, 5 + n)) end
end
local status = redis.call('HGET', KEYS[1], 'status')
if status == '"queued"' or status == '"running"' then
  local score = redis.call('ZSCORE', KEYS[3], ARGV[1])
  if score then redis.call('ZADD', KEYS[4], score, ARGV[1]) end
else
  redis.call('ZREM', KEYS[4], ARGV[1])
end
return {1, redis.call('HGETALL', KEYS[1]), redis.call('LRANGE', KEYS[2], 0, -1)}
`);

/**
 * KEYS: job, epochs. ARGV: the epoch's logs JSON, progress JSON, updated_at JSON.
 * -1 when the job is gone, else its cancel_requested JSON.
 */
export const appendEpoch = script(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'progress', ARGV[2], 'updated_at', ARGV[3])
return redis.call('HGET', KEYS[1], 'cancel_requested')
`);
