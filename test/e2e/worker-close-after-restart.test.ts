import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { RedisServer } from '../../src/local-redis.js';
import { startRedisServer } from '../support/redis.js';
import { startService, type TestService } from '../support/service.js';
import { waitUntil } from '../support/wait.js';

/** Far above a close that works (a few seconds); a close caught by the hang never returns at all. */
const CLOSE_BOUND_MS = 45_000;

async function blockingStatus(service: TestService): Promise<string | undefined> {
  const client = await service.workers[0]?.worker.backend.blockingClient;
  return client?.status;
}

/** Fails the test, rather than hanging it, when `closing` does not settle within CLOSE_BOUND_MS. */
async function settles(closing: Promise<void>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), CLOSE_BOUND_MS)));
  const outcome = await Promise.race([closing.then(() => 'closed' as const), hung]);
  clearTimeout(timer);
  assert.equal(outcome, 'closed', `${what} did not return within ${CLOSE_BOUND_MS} ms`);
}

// BullMQ's close waits for an `end` event that ioredis never emits for a client between two
// reconnect attempts (taskforcesh/bullmq#4656): a worker closed then hung forever.
test('a worker closes after Redis restarts empty under it, also when the close starts during the outage', async () => {
  let server: RedisServer = await startRedisServer();
  try {
    for (const closeDuringOutage of [true, false, true, false]) {
      const service = await startService({ env: { REDIS_URL: server.url } });
      assert.equal(await blockingStatus(service), 'ready');
      await server.stop();
      // The worker's blocking connection has lost its socket and waits to try again.
      await waitUntil('the blocking connection to reconnect', async () => ((await blockingStatus(service)) === 'reconnecting' ? true : undefined), 30_000);
      await sleep(1500);

      let closing: Promise<void>;
      if (closeDuringOutage) {
        closing = service.close();
        await sleep(200);
        assert.equal(await blockingStatus(service), 'reconnecting', 'the close started while the connection had no socket');
        server = await startRedisServer(server.port);
      } else {
        // No persistence: it comes back empty, and the close starts before the worker has reconnected.
        server = await startRedisServer(server.port);
        closing = service.close();
      }
      await settles(closing, `the service's close (${closeDuringOutage ? 'started during the outage' : 'right after the restart'})`);
    }
  } finally {
    await server.stop();
  }
});
