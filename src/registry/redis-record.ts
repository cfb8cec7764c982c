import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { NotFoundError } from '../errors.js';

/**
 * Records as Redis hashes with one JSON value per field, typed by a zod
 * schema: what goes in is the schema's output, and what comes out is parsed
 * by it again, so a store never casts a stored field back to its type.
 */
export class HashRecords<S extends z.ZodType<object>> {
  constructor(
    private readonly redis: Redis,
    readonly schema: S,
  ) {}

  /** The record as the schema keeps it, after a JSON round trip (undefined fields gone, NaN and ±Infinity null). */
  normalize(record: unknown): z.output<S> {
    return this.schema.parse(asJson(record));
  }

  /** HSET arguments: field, JSON value, ... */
  fields(record: Partial<z.output<S>>): string[] {
    return Object.entries(record).flatMap(([field, value]) => (value === undefined ? [] : [field, JSON.stringify(value)]));
  }

  /** A flat field/value reply, as HGETALL gives inside a script. */
  decode(reply: unknown, extra: Record<string, unknown> = {}): z.output<S> {
    return this.schema.parse({ ...decodeFields(pairs(reply)), ...extra });
  }

  async read(key: string): Promise<z.output<S> | null> {
    const fields = await this.redis.hgetall(key);
    return Object.keys(fields).length ? this.schema.parse(decodeFields(fields)) : null;
  }

  /** The records that still exist among `keys`, in that order, in one pipeline. */
  async readMany(keys: string[]): Promise<z.output<S>[]> {
    if (keys.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.hgetall(key);
    const out: z.output<S>[] = [];
    for (const [error, fields] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      const decoded = pairsOrObject(fields);
      if (Object.keys(decoded).length) out.push(this.schema.parse(decodeFields(decoded)));
    }
    return out;
  }
}

/**
 * An id names a record before a name does, so a record named like another's
 * id stays reachable by its own id. null when neither names one.
 */
export async function resolveIdOrName(redis: Redis, idOrName: string, recordKey: (id: string) => string, namesKey: string): Promise<string | null> {
  const [exists, named] = await Promise.all([redis.exists(recordKey(idOrName)), redis.hget(namesKey, idOrName)]);
  return exists ? idOrName : named;
}

export function timestamp(): string {
  return new Date().toISOString();
}

export function notFound(kind: string, idOrName: string): never {
  throw new NotFoundError(`${kind} '${idOrName}' not found`);
}

export function asJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

export function decodeFields(fields: Record<string, string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([field, value]) => [field, JSON.parse(value)]));
}

export function list(reply: unknown): unknown[] {
  if (!Array.isArray(reply)) throw new TypeError(`unexpected reply from Redis: ${String(reply)}`);
  return reply;
}

export function strings(reply: unknown): string[] {
  return list(reply).map((item) => {
    if (typeof item !== 'string') throw new TypeError(`unexpected reply from Redis: ${String(item)}`);
    return item;
  });
}

/** A flat [field, value, ...] reply as an object. */
export function pairs(reply: unknown): Record<string, string> {
  const flat = strings(reply);
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i] as string] = flat[i + 1] as string;
  return out;
}

/** HGETALL's reply in a pipeline or MULTI: ioredis turns it into an object, or leaves the flat list. */
export function pairsOrObject(reply: unknown): Record<string, string> {
  if (Array.isArray(reply)) return pairs(reply);
  if (reply && typeof reply === 'object') return Object.fromEntries(Object.entries(reply).map(([k, v]) => [k, String(v)]));
  throw new TypeError(`unexpected reply from Redis: ${String(reply)}`);
}
