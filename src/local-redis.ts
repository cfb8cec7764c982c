import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface LocalRedis {
  url: string;
  stop(): Promise<void>;
}

export class MissingRedisError extends Error {}

const DEFAULT_URL = 'redis://127.0.0.1:6379';

async function answers(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** A free TCP port on loopback, as the kernel hands one out. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no free port'))));
    });
  });
}

/**
 * Redis for `modelyard all` when none is configured: the one on
 * 127.0.0.1:6379 if it answers, else a private redis-server from PATH, with
 * its data under DATA_DIR and stopped with the service.
 */
export async function ensureLocalRedis(dataDir: string, logger: Logger): Promise<LocalRedis> {
  if (await answers(DEFAULT_URL)) return { url: DEFAULT_URL, stop: async () => undefined };
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (found.error || found.status !== 0) {
    throw new MissingRedisError(
      'modelyard needs Redis: nothing answers on 127.0.0.1:6379, REDIS_URL is not set, and there is no redis-server on PATH. ' +
        'Install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis), or set REDIS_URL=redis://host:port.',
    );
  }
  const dir = resolve(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const server = await spawnRedisServer(await freePort(), ['--dir', dir, '--appendonly', 'yes', '--save', '']);
  logger.info({ url: server.url, dir }, 'started a private redis-server');
  return server;
}

export interface RedisServer extends LocalRedis {
  port: number;
  process: ChildProcess;
}

/** A redis-server from PATH on loopback, answering before this resolves; `stop` ends it. */
export async function spawnRedisServer(port: number, args: string[]): Promise<RedisServer> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...args], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  for (let attempt = 0; !(await answers(url)); attempt++) {
    if (child.exitCode !== null || attempt > 100) throw new MissingRedisError(`redis-server did not start on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
    process: child,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
