import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export interface TestRedis {
  url: string;
  /** A key prefix no other test uses; `cleanup` deletes every key under it. */
  prefix: string;
  client: Redis;
  cleanup(): Promise<void>;
}

/** A free TCP port on loopback, as the kernel hands one out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A redis-server of the test's own, on a free port, with no persistence. */
export async function startRedisServer(port?: number): Promise<{ url: string; port: number; process: ChildProcess; stop(): Promise<void> }> {
  const chosen = port ?? (await freePort());
  const child = spawn('redis-server', ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${chosen}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  for (let attempt = 0; ; attempt++) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch (error) {
      if (attempt > 100 || child.exitCode !== null) throw new Error(`redis-server did not start on ${chosen}`, { cause: error });
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  probe.disconnect();
  return {
    url,
    port: chosen,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
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
