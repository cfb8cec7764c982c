import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

export interface RestartableRedis {
  url: string;
  /** SIGKILL, as a crash or an OOM kill ends it; resolves once the process is gone. */
  kill(): Promise<void>;
  /** A new redis-server on the same port and directory, answering before this resolves: it loads the AOF. */
  restart(): Promise<void>;
  /** Ends it and removes its directory. */
  stop(): Promise<void>;
}

/**
 * A redis-server of the test's own that persists to an append-only file in a
 * directory of its own, fsynced on every write, so a kill loses nothing that
 * Redis acknowledged (as a failover to an up-to-date replica would).
 */
export async function startRestartableRedis(): Promise<RestartableRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'modelyard-redis-'));
  const port = await freePort();
  const args = ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''];
  let server = await spawnRedisServer(port, args);
  return {
    url: server.url,
    kill: () =>
      new Promise<void>((done) => {
        if (server.process.exitCode !== null || server.process.signalCode !== null) return done();
        server.process.once('exit', () => done());
        server.process.kill('SIGKILL');
      }),
    async restart() {
      server = await spawnRedisServer(port, args);
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
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
  // Tests that stop Redis expect this connection to complain; the assertions say what matters.
  client.on('error', () => undefined);
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
