import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import type { RedisServer } from '../../src/local-redis.js';
import { startRedisServer } from '../support/redis.js';
import { IRIS, NEW_FLOWERS } from '../support/seed.js';
import { startService, type TestService } from '../support/service.js';

// A server of this file's own, as the last test restarts it.
let server: RedisServer;
let service: TestService;

before(async () => {
  server = await startRedisServer();
  service = await startService({ env: { REDIS_URL: server.url } });
});
after(async () => {
  await service.close();
  await server.stop();
});

async function train(model: string): Promise<number> {
  const submitted = await service.request('POST', '/v1/jobs', { model, dataset: { builtin: 'iris' }, fit: { epochs: 5, batch_size: 32 } });
  assert.equal(submitted.status, 202);
  const job = await service.waitForJob(submitted.body.id);
  assert.equal(job.status, 'completed');
  return job.version;
}

/** The commands the API's own Redis connections send while `work` runs. */
async function apiCommandsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const apiPorts = new Set([service.app.redis.stream.localPort]);
  const marker = `${service.redis.prefix}:monitor-marker`;
  const watcher = new Redis(server.url);
  const monitor = await watcher.monitor();
  const seen: string[] = [];
  let markerSeen = (): void => undefined;
  const markerReported = new Promise<void>((resolve) => (markerSeen = resolve));
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (args.includes(marker)) markerSeen();
    else if (apiPorts.has(Number(source.split(':').at(-1))) || args.some((arg) => arg.startsWith(`${service.redis.prefix}:model`))) seen.push(args.join(' '));
  });
  try {
    await work();
    // MONITOR reports in the order the server runs commands: once the marker is in, everything before it is.
    await service.redis.client.exists(marker);
    await markerReported;
  } finally {
    monitor.disconnect();
    watcher.disconnect();
  }
  return seen;
}

test('a new version is served as soon as its job completes, and a predict sends Redis nothing', async () => {
  assert.equal((await service.request('POST', '/v1/models', IRIS)).status, 201);
  assert.equal(await train('iris'), 1);
  const first = await service.request('POST', '/v1/models/iris/predict', { instances: NEW_FLOWERS });
  assert.equal(first.status, 200);
  assert.equal(first.body.version, 1);

  assert.equal(await train('iris'), 2);
  let predicted = { status: 0, version: 0 };
  const loads = await apiCommandsDuring(async () => {
    const { status, body } = await service.request('POST', '/v1/models/iris/predict', { instances: NEW_FLOWERS });
    predicted = { status, version: body.version };
  });
  assert.equal(predicted.status, 200);
  assert.equal(predicted.version, 2, 'the version the job just added, right after it completed');
  assert.ok(loads.length > 0, 'the first predict of version 2 loads its record');

  const hot = await apiCommandsDuring(async () => {
    const again = await service.request('POST', '/v1/models/iris/predict', { instances: NEW_FLOWERS });
    assert.equal(again.status, 200);
    assert.equal(again.body.version, 2);
    assert.equal(again.body.predictions.length, 3);
    assert.equal(again.body.classes.length, 3);
    const old = await service.request('POST', '/v1/models/iris/predict', { instances: NEW_FLOWERS, version: 1 });
    assert.equal(old.body.version, 1);
  });
  assert.deepEqual(hot, [], 'no Redis command on the predict path once the version is loaded');
});

test('a deleted model answers 404 at once, though its versions were loaded', async () => {
  assert.equal((await service.request('POST', '/v1/models', { ...IRIS, name: 'doomed' })).status, 201);
  await train('doomed');
  assert.equal((await service.request('POST', '/v1/models/doomed/predict', { instances: NEW_FLOWERS })).status, 200);
  assert.equal((await service.request('DELETE', '/v1/models/doomed')).status, 204);
  const gone = await service.request('POST', '/v1/models/doomed/predict', { instances: NEW_FLOWERS, version: 1 });
  assert.equal(gone.status, 404);
  assert.equal(gone.body.error.code, 'not_found');
});

test('after a Redis restart the catalog loads again: a model lost with the data is no longer served from memory', async () => {
  assert.equal((await service.request('POST', '/v1/models/iris/predict', { instances: NEW_FLOWERS })).status, 200);
  const { catalog } = service.app.modelCache;
  const reloads = catalog.reloads;
  // No persistence: the server comes back empty, and no event says the model went.
  await server.stop();
  server = await startRedisServer(server.port);
  while (catalog.reloads === reloads) await new Promise((r) => setTimeout(r, 20));
  const lost = await service.request('POST', '/v1/models/iris/predict', { instances: NEW_FLOWERS });
  assert.equal(lost.status, 404);
});
