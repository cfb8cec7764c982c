import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { freePort, spawnRedisServer, type RedisServer } from '../../src/local-redis.js';

export interface TestRedis {
  url: string;
  /** A key prefix no other test uses; `cleanup` deletes every key under it. */
  prefix: string;
  client: Redis;
  cleanup(): Promise<void>;
}

/** A redis-server of the test's own, on a free port (or `port`), with no persistence. */
export async function startRedisServer(port?: number): Promise<RedisServer> {
  return spawnRedisServer(port ?? (await freePort()), ['--save', '', '--appendonly', 'no']);
}

/**
 * Redis for one test file: the server named by REDIS_URL (CI starts one), or a
 * private redis-server when none is set.
 */
export async function useTestRedis(serverUrl = process.env.REDIS_URL): Promise<TestRedis> {
  const own = serverUrl ? undefined : await startRedisServer();
  const url = serverUrl ?? own!.url;
  const prefix = `modelyard-test-${randomBytes(4).toString('hex')}`;
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  return {
    url,
    prefix,
    client,
    async cleanup() {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        if (keys.length) await client.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      client.disconnect();
      await own?.stop();
    },
  };
}
