import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { NotFoundError } from '../../src/errors.js';
import { parseModelDefinition } from '../../src/models/index.js';
import { ModelEvents } from '../../src/registry/model-events.js';
import { RedisModelStore, type AddVersionInput } from '../../src/registry/model-store.js';
import { ModelCatalog } from '../../src/serving/model-catalog.js';
import { startRedisServer } from '../support/redis.js';
import { commandsDuring as watchCommands } from '../support/redis-monitor.js';
import type { RedisServer } from '../../src/local-redis.js';

// A server of this file's own: one test restarts it.
let server: RedisServer;
let client: Redis;
let n = 0;

before(async () => {
  server = await startRedisServer();
  client = new Redis(server.url, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
});
after(async () => {
  client.disconnect();
  await server.stop();
});

const definition = parseModelDefinition({ architecture: { type: 'sequential', layers: [{ type: 'Dense', units: 1 }] } });

function versionInput(): AddVersionInput {
  return {
    job_id: 'job_1',
    summary: { layers: [], total_params: 5, trainable_params: 5, non_trainable_params: 0, input_shape: [4], output_shape: [1] },
    metrics: {},
    history: {},
    preprocessing: null,
    backend: { name: 'cpu', tensorflow_version: null },
    input_shape: [4],
    output_shape: [1],
    class_names: null,
    artifact: 'models/x/1',
  };
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`never: ${what}`);
}

interface Harness {
  prefix: string;
  store: RedisModelStore;
  catalog: ModelCatalog;
  deleted: string[];
  errors: unknown[];
  close(): Promise<void>;
}

async function harness(): Promise<Harness> {
  const prefix = `catalog-test-${n++}`;
  const store = new RedisModelStore(client, prefix);
  const events = new ModelEvents({ redis: client, prefix, onError: () => undefined });
  const deleted: string[] = [];
  const errors: unknown[] = [];
  const catalog = new ModelCatalog({ models: store, events, onDeleted: (id) => deleted.push(id), onError: (e) => errors.push(e), retryMs: 20 });
  return {
    prefix,
    store,
    catalog,
    deleted,
    errors,
    async close() {
      await catalog.close();
      await events.close();
      const keys = await client.keys(`${prefix}:*`);
      if (keys.length) await client.del(...keys);
    },
  };
}

/** The commands Redis runs while `work` runs, from any client, that name this prefix's keys. */
async function commandsDuring(prefix: string, work: () => Promise<unknown>): Promise<string[]> {
  const seen = await watchCommands(
    { url: server.url, marker: `${prefix}:monitor-marker`, sendMarker: (marker) => client.exists(marker), keep: ({ args }) => args.some((arg) => arg.startsWith(`${prefix}:`)) },
    work,
  );
  return seen.map(({ args }) => args.join(' '));
}

test('loaded at start, the catalog resolves by id and by name without a Redis command', async () => {
  const h = await harness();
  try {
    const model = await h.store.create({ name: 'first', definition });
    await h.store.addVersion(model.id, versionInput());
    h.catalog.start();
    await until(() => h.catalog.reloads === 1, 'the first load');
    const seen = await commandsDuring(h.prefix, async () => {
      assert.equal((await h.catalog.resolve('first', null)).latest?.version, 1);
      assert.equal((await h.catalog.resolve(model.id, null)).model.name, 'first');
    });
    assert.deepEqual(seen, []);
  } finally {
    await h.close();
  }
});

test('a version, a rename and a deletion made elsewhere reach the catalog through their events', async () => {
  const h = await harness();
  try {
    h.catalog.start();
    await until(() => h.catalog.reloads === 1, 'the first load');
    const model = await h.store.create({ name: 'events', definition });
    await until(async () => (await h.catalog.resolve('events', null)).model.id === model.id, 'the model created');

    await h.store.addVersion(model.id, versionInput());
    await until(async () => (await h.catalog.resolve(model.id, null)).latest?.version === 1, 'version 1');
    const seen = await commandsDuring(h.prefix, async () => {
      const entry = await h.catalog.resolve('events', null);
      assert.equal(entry.model.latest_version, 1);
      assert.equal(entry.latest?.artifact, 'models/x/1');
    });
    assert.deepEqual(seen, [], 'the version came with its event: nothing read back');

    await h.store.update(model.id, { name: 'renamed' });
    await until(async () => (await h.catalog.resolve(model.id, null)).model.name === 'renamed', 'the rename');
    await assert.rejects(h.catalog.resolve('events', null), NotFoundError);
    assert.equal((await h.catalog.resolve('renamed', null)).latest?.version, 1, 'a rename keeps the latest version');

    await h.store.delete(model.id);
    await until(() => h.deleted.includes(model.id), 'the deletion');
    await assert.rejects(h.catalog.resolve(model.id, null), NotFoundError);
    await assert.rejects(h.catalog.resolve('renamed', null), NotFoundError);
  } finally {
    await h.close();
  }
});

test('until it is loaded the catalog reads through to the store; once loaded, it does not', async () => {
  const h = await harness();
  try {
    const model = await h.store.create({ name: 'early', definition });
    const before = await commandsDuring(h.prefix, async () => assert.equal((await h.catalog.resolve('early', null)).model.id, model.id));
    assert.ok(before.length > 0, 'not started: read from the store');
    await assert.rejects(h.catalog.resolve('nobody', null), NotFoundError);
    h.catalog.start();
    await until(() => h.catalog.reloads === 1, 'the first load');
    const after = await commandsDuring(h.prefix, () => h.catalog.resolve('early', null));
    assert.deepEqual(after, []);
  } finally {
    await h.close();
  }
});

test("the catalog knows each model's tenant, loaded or heard: another tenant's model is not found, from memory as from the store", async () => {
  const h = await harness();
  try {
    const loaded = await h.store.create({ name: 'acme-model', definition, tenant: 'acme' });
    const tenantless = await h.store.create({ name: 'shared-model', definition });
    const checks = async (model: { id: string; name: string }) => {
      for (const idOrName of [model.name, model.id]) {
        assert.equal((await h.catalog.resolve(idOrName, 'acme')).model.tenant, 'acme', idOrName);
        assert.equal((await h.catalog.resolve(idOrName, null)).model.id, model.id, 'a caller without a tenant sees every model');
        await assert.rejects(h.catalog.resolve(idOrName, 'globex'), (error: unknown) => error instanceof NotFoundError && error.message === `model '${idOrName}' not found`);
      }
    };
    await checks(loaded);
    h.catalog.start();
    await until(() => h.catalog.reloads === 1, 'the first load');
    const heard = await h.store.create({ name: 'heard-model', definition, tenant: 'acme' });
    await until(async () => (await h.catalog.resolve(heard.id, null)).model.id === heard.id, 'the model created');
    const fromMemory = await commandsDuring(h.prefix, async () => {
      await checks(loaded);
      await checks(heard);
      await assert.rejects(h.catalog.resolve(tenantless.id, 'acme'), NotFoundError, "a model of no tenant is not a tenant's");
    });
    assert.deepEqual(fromMemory, [], 'the tenant is checked on the catalog, without reading the store');
  } finally {
    await h.close();
  }
});

test('after a Redis restart the catalog loads again: a model lost with the data is not served from memory', async () => {
  const h = await harness();
  try {
    const model = await h.store.create({ name: 'restarted', definition });
    await h.store.addVersion(model.id, versionInput());
    h.catalog.start();
    await until(() => h.catalog.reloads === 1, 'the first load');
    assert.equal((await h.catalog.resolve('restarted', null)).latest?.version, 1);

    // No persistence: the restarted server is empty, and no event tells the catalog so.
    await server.stop();
    server = await startRedisServer(server.port);
    await until(() => h.catalog.reloads === 2, 'the load after the restart');
    await assert.rejects(h.catalog.resolve('restarted', null), NotFoundError);
    assert.deepEqual(h.deleted, [model.id], 'what was loaded for it is dropped');

    // And the events flow again on the new connection.
    const again = await h.store.create({ name: 'after', definition });
    await h.store.addVersion(again.id, versionInput());
    await until(async () => (await h.catalog.resolve('after', null)).latest?.version === 1, 'a version after the restart');
  } finally {
    await h.close();
  }
});

test('an event heard while the catalog loads is applied once the load ends, and the load ends', async () => {
  const h = await harness();
  const listener = new ModelEvents({ redis: client, prefix: h.prefix, onError: () => undefined });
  const heard: string[] = [];
  const stopListening = await listener.listen({ event: (event) => heard.push(event.type), resubscribed: () => undefined });
  let first = true;
  // The store as the catalog sees it: its first list is slow enough that a model is created, and its event heard, meanwhile.
  const models = Object.create(h.store, {
    list: {
      value: async () => {
        const listed = await h.store.list();
        if (first) {
          first = false;
          await h.store.create({ name: 'during', definition });
          await until(() => heard.includes('model'), 'the model event heard');
        }
        return listed;
      },
    },
  }) as RedisModelStore;
  const events = new ModelEvents({ redis: client, prefix: h.prefix, onError: () => undefined });
  const catalog = new ModelCatalog({ models, events, onDeleted: () => undefined, onError: (e) => h.errors.push(e), retryMs: 20 });
  try {
    catalog.start();
    await until(() => catalog.reloads === 1, 'the first load');
    const seen = await commandsDuring(h.prefix, async () => assert.equal((await catalog.resolve('during', null)).model.name, 'during'));
    assert.deepEqual(seen, [], 'the model created during the load is served from memory');
  } finally {
    await catalog.close();
    await events.close();
    await stopListening();
    await listener.close();
    await h.close();
  }
});
