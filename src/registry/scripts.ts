import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * The Lua scripts in ./lua, read once at start. Each file is named
 * `<name>-<number of keys>.lua` (BullMQ's convention) and states its KEYS,
 * ARGV and result in its header. Records are hashes whose values are JSON, so
 * a script can set a few fields without parsing the rest; strings compared in
 * Lua are JSON-encoded (`"queued"`).
 */
export interface Script {
  name: string;
  keys: number;
  lua: string;
  sha: string;
}

const LUA_DIR = new URL('./lua/', import.meta.url);

function loadScripts(): Map<string, Script> {
  const scripts = new Map<string, Script>();
  for (const file of readdirSync(LUA_DIR)) {
    const match = /^(\w+)-(\d+)\.lua$/.exec(file);
    if (!match) continue;
    const [, name = '', keys = '0'] = match;
    const lua = readFileSync(new URL(file, LUA_DIR), 'utf8');
    scripts.set(name, { name, keys: Number(keys), lua, sha: createHash('sha1').update(lua).digest('hex') });
  }
  return scripts;
}

const SCRIPTS = loadScripts();

const SCRIPT_NAMES = [
  'createNamed',
  'updateNamed',
  'deleteNamed',
  'addVersion',
  'createJob',
  'transitionJob',
  'appendEpoch',
  'deleteJob',
  'indexFinishedJob',
  'transitionSweep',
  'releaseLock',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

function scriptNamed(name: ScriptName): Script {
  const script = SCRIPTS.get(name);
  if (!script) throw new Error(`the Lua script ${name} is missing from ${LUA_DIR.pathname}`);
  return script;
}

// A missing or misnamed file fails at start, not at its first use.
for (const name of SCRIPT_NAMES) scriptNamed(name);

/**
 * Runs a script by its digest, sending the text only when the server has not
 * seen it (a fresh or restarted Redis).
 */
export async function runScript(redis: Redis, name: ScriptName, keys: string[], args: (string | number)[]): Promise<unknown> {
  const script = scriptNamed(name);
  if (keys.length !== script.keys) throw new TypeError(`${name} takes ${script.keys} keys, not ${keys.length}`);
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return redis.eval(script.lua, keys.length, ...keys, ...args);
  }
}
