import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConflictError, NotFoundError } from '../../src/errors.js';
import type { AddVersionInput } from '../../src/registry/registry.js';
import { Registry } from '../../src/registry/registry.js';
import { useTestRedis, type TestRedis } from '../support/redis.js';

let redis: TestRedis;
const registries: Registry[] = [];
let n = 0;

/** A registry under a prefix of its own, so tests see only their own records. */
function freshRegistry(): Registry {
  const registry = new Registry({ redis: redis.client, prefix: `${redis.prefix}:${n++}` });
  registries.push(registry);
  return registry;
}

before(async () => {
  redis = await useTestRedis();
});

after(async () => {
  for (const registry of registries) await registry.close();
  await redis.cleanup();
});

const isNotFound = (error: unknown) => error instanceof NotFoundError && error.status === 404;
const isConflict = (error: unknown) => error instanceof ConflictError && error.status === 409;

const definition = { architecture: { type: 'sequential', layers: [{ type: 'Dense', units: 3 }] }, compile: { loss: 'mse' } };

function versionInput(jobId: string, loss = 0.5): AddVersionInput {
  return {
    job_id: jobId,
    summary: { total_params: 15 },
    metrics: { loss },
    history: { loss: [0.9, loss] },
    preprocessing: null,
    backend: { name: 'tensorflow', tensorflow_version: '2.21.0' },
    input_shape: [4],
    output_shape: [null, 3],
    class_names: ['a', 'b', 'c'],
    artifact: `models/x/jobs/${jobId}`,
  };
}

describe('models', () => {
  it('creates a model and finds it by id and by name', async () => {
    const registry = freshRegistry();
    const model = await registry.createModel({ name: 'iris', definition });
    assert.match(model.id, /^mdl_[A-Za-z0-9_-]{12}$/);
    assert.equal(model.latest_version, 0);
    assert.equal(model.input_shape, null);
    assert.equal(model.summary, null);
    assert.deepEqual(model.definition, definition);
    assert.equal(model.created_at, model.updated_at);
    assert.deepEqual(await registry.getModel(model.id), model);
    assert.deepEqual(await registry.getModel('iris'), model);
    assert.equal(await registry.findModel('nope'), null);
    await assert.rejects(registry.getModel('nope'), isNotFound);
  });

  it('keeps every key under the prefix', async () => {
    const registry = freshRegistry();
    const model = await registry.createModel({ name: 'keys', definition });
    await registry.addVersion(model.id, versionInput('job_a'));
    const keys = await redis.client.keys(`*${model.id}*`);
    assert.ok(keys.length >= 2);
    for (const key of keys) assert.ok(key.startsWith(`${redis.prefix}:`), key);
  });

  it('refuses a second model of the same name with 409', async () => {
    const registry = freshRegistry();
    await registry.createModel({ name: 'dup', definition });
    await assert.rejects(registry.createModel({ name: 'dup', definition }), isConflict);
    assert.equal((await registry.listModels()).length, 1);
  });

  it('lets exactly one of concurrent creates of one name win', async () => {
    const registry = freshRegistry();
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => registry.createModel({ name: 'race', definition })));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    assert.equal(won.length, 1);
    assert.equal(lost.length, 7);
    for (const r of lost) assert.ok(isConflict(r.reason));
    const models = await registry.listModels();
    assert.equal(models.length, 1);
    assert.equal(models[0]?.id, won[0]?.value.id);
  });

  it('lists models oldest first', async () => {
    const registry = freshRegistry();
    const names = ['c', 'a', 'b'];
    for (const name of names) await registry.createModel({ name, definition });
    assert.deepEqual(
      (await registry.listModels()).map((m) => m.name),
      names,
    );
  });

  it('updates fields, renames, and refuses a taken name', async () => {
    const registry = freshRegistry();
    const model = await registry.createModel({ name: 'before', definition });
    await registry.createModel({ name: 'taken', definition });
    const updated = await registry.updateModel(model.id, { input_shape: [4], summary: { total_params: 15 } });
    assert.deepEqual(updated.input_shape, [4]);
    assert.deepEqual(updated.summary, { total_params: 15 });
    assert.equal(updated.name, 'before');
    assert.ok(updated.updated_at >= model.updated_at);
    assert.deepEqual(await registry.getModel(model.id), updated);

    await assert.rejects(registry.updateModel(model.id, { name: 'taken' }), isConflict);
    assert.equal((await registry.getModel(model.id)).name, 'before');

    const renamed = await registry.updateModel('before', { name: 'after' });
    assert.equal(renamed.name, 'after');
    assert.equal((await registry.getModel('after')).id, model.id);
    assert.equal(await registry.findModel('before'), null);
    // The old name is free again.
    await registry.createModel({ name: 'before', definition });
    await assert.rejects(registry.updateModel('nope', { summary: null }), isNotFound);
  });

  it('deletes a model with its versions and returns them', async () => {
    const registry = freshRegistry();
    const model = await registry.createModel({ name: 'gone', definition });
    await registry.addVersion(model.id, versionInput('job_1'));
    await registry.addVersion(model.id, versionInput('job_2'));
    const deleted = await registry.deleteModel('gone');
    assert.equal(deleted.model.id, model.id);
    assert.equal(deleted.model.latest_version, 2);
    assert.deepEqual(
      deleted.versions.map((v) => [v.version, v.artifact]),
      [
        [1, 'models/x/jobs/job_1'],
        [2, 'models/x/jobs/job_2'],
      ],
    );
    await assert.rejects(registry.getModel(model.id), isNotFound);
    await assert.rejects(registry.getVersion(model.id, 1), isNotFound);
    await assert.rejects(registry.deleteModel(model.id), isNotFound);
    assert.deepEqual(await registry.listModels(), []);
    assert.deepEqual(await redis.client.keys(`*${model.id}*`), []);
    const again = await registry.createModel({ name: 'gone', definition });
    assert.notEqual(again.id, model.id);
    assert.equal(again.latest_version, 0);
  });
});

describe('versions', () => {
  it('numbers versions 1, 2, … and tracks the latest', async () => {
    const registry = freshRegistry();
    const model = await registry.createModel({ name: 'v', definition });
    assert.equal(await registry.latestVersion(model.id), null);
    const v1 = await registry.addVersion(model.id, versionInput('job_1', 0.4));
    const v2 = await registry.addVersion('v', versionInput('job_2', 0.3));
    assert.equal(v1.version, 1);
    assert.equal(v2.version, 2);
    assert.equal(v1.model_id, model.id);
    assert.deepEqual(v2.output_shape, [null, 3]);
    assert.deepEqual(await registry.getVersion(model.id, 1), v1);
    assert.deepEqual(await registry.getVersion('v', 2), v2);
    assert.deepEqual(await registry.listVersions(model.id), [v1, v2]);
    assert.deepEqual(await registry.latestVersion('v'), v2);
    const after = await registry.getModel(model.id);
    assert.equal(after.latest_version, 2);
    assert.ok(after.updated_at >= model.updated_at);
  });

  it('answers 404 for an unknown version or model', async () => {
    const registry = freshRegistry();
    const model = await registry.createModel({ name: 'v404', definition });
    await assert.rejects(registry.getVersion(model.id, 1), isNotFound);
    await assert.rejects(registry.getVersion(model.id, 1.5), isNotFound);
    await assert.rejects(registry.getVersion('nope', 1), isNotFound);
    await assert.rejects(registry.addVersion('nope', versionInput('job_1')), isNotFound);
    await assert.rejects(registry.listVersions('nope'), isNotFound);
    assert.deepEqual(await registry.listVersions(model.id), []);
  });

  it('gives concurrent completions distinct consecutive versions', async () => {
    const registry = freshRegistry();
    const model = await registry.createModel({ name: 'busy', definition });
    const added = await Promise.all(Array.from({ length: 12 }, (_, i) => registry.addVersion(model.id, versionInput(`job_${i}`))));
    assert.deepEqual(
      added.map((v) => v.version).sort((a, b) => a - b),
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    // Each stored version is the one its caller was told about.
    for (const v of added) assert.equal((await registry.getVersion(model.id, v.version)).job_id, v.job_id);
    assert.equal((await registry.getModel(model.id)).latest_version, 12);
  });

  it('stores a diverged loss as null', async () => {
    const registry = freshRegistry();
    const model = await registry.createModel({ name: 'nan', definition });
    const input = { ...versionInput('job_nan'), metrics: { loss: Number.NaN }, history: { loss: [1, Number.POSITIVE_INFINITY] } };
    const v = await registry.addVersion(model.id, input);
    assert.deepEqual(v.metrics, { loss: null });
    assert.deepEqual((await registry.getVersion(model.id, 1)).history, { loss: [1, null] });
  });
});
