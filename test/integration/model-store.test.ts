import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConflictError, NotFoundError } from '../../src/errors.js';
import { parseModelDefinition } from '../../src/models/index.js';
import { RedisModelStore, type AddVersionInput, type ModelStore } from '../../src/registry/model-store.js';
import { useTestRedis, type TestRedis } from '../support/redis.js';

let redis: TestRedis;
let n = 0;

/** A store under a prefix of its own, so tests see only their own records. */
function freshStore(): ModelStore {
  return new RedisModelStore(redis.client, `${redis.prefix}:${n++}`);
}

before(async () => {
  redis = await useTestRedis();
});

after(async () => {
  await redis.cleanup();
});

const isNotFound = (error: unknown) => error instanceof NotFoundError && error.status === 404;
const isConflict = (error: unknown) => error instanceof ConflictError && error.status === 409;

const definition = parseModelDefinition({ architecture: { type: 'sequential', layers: [{ type: 'Dense', units: 3 }] }, compile: { loss: 'mse' } });
const summary = {
  layers: [{ name: 'dense', type: 'Dense', output_shape: [null, 3], params: 15 }],
  total_params: 15,
  trainable_params: 15,
  non_trainable_params: 0,
  input_shape: [null, 4],
  output_shape: [null, 3],
};

function versionInput(jobId: string, loss = 0.5): AddVersionInput {
  return {
    job_id: jobId,
    summary,
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
    const models = freshStore();
    const model = await models.create({ name: 'iris', definition });
    assert.match(model.id, /^mdl_[A-Za-z0-9_-]{12}$/);
    assert.equal(model.latest_version, 0);
    assert.equal(model.input_shape, null);
    assert.equal(model.summary, null);
    assert.deepEqual(model.definition, definition);
    assert.equal(model.created_at, model.updated_at);
    assert.deepEqual(await models.get(model.id), model);
    assert.deepEqual(await models.get('iris'), model);
    assert.equal(await models.find('nope'), null);
    await assert.rejects(models.get('nope'), isNotFound);
  });

  it("adds one version per job: adding a job's version again returns the one it added", async () => {
    const models = freshStore();
    const model = await models.create({ name: 'once', definition });
    const first = await models.addVersion(model.id, versionInput('job_once', 0.4));
    const again = await models.addVersion(model.id, versionInput('job_once', 0.4));
    assert.deepEqual(again, first);
    const other = await models.addVersion(model.id, versionInput('job_other'));
    assert.equal(other.version, 2);
    assert.deepEqual((await models.listVersions(model.id)).map((v) => [v.version, v.job_id]), [[1, 'job_once'], [2, 'job_other']]);
    assert.equal((await models.get(model.id)).latest_version, 2);
  });

  it('keeps every key under the prefix', async () => {
    const models = freshStore();
    const model = await models.create({ name: 'keys', definition });
    await models.addVersion(model.id, versionInput('job_a'));
    const keys = await redis.client.keys(`*${model.id}*`);
    assert.ok(keys.length >= 2);
    for (const key of keys) assert.ok(key.startsWith(`${redis.prefix}:`), key);
  });

  it('refuses a second model of the same name with 409', async () => {
    const models = freshStore();
    await models.create({ name: 'dup', definition });
    await assert.rejects(models.create({ name: 'dup', definition }), isConflict);
    assert.equal((await models.list()).length, 1);
  });

  it('lets exactly one of concurrent creates of one name win', async () => {
    const models = freshStore();
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => models.create({ name: 'race', definition })));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    assert.equal(won.length, 1);
    assert.equal(lost.length, 7);
    for (const r of lost) assert.ok(isConflict(r.reason));
    const listed = await models.list();
    assert.equal(listed.length, 1);
    assert.equal(listed[0]?.id, won[0]?.value.id);
  });

  it('lists models oldest first', async () => {
    const models = freshStore();
    const names = ['c', 'a', 'b'];
    for (const name of names) await models.create({ name, definition });
    assert.deepEqual(
      (await models.list()).map((m) => m.name),
      names,
    );
  });

  it('updates fields, renames, and refuses a taken name', async () => {
    const models = freshStore();
    const model = await models.create({ name: 'before', definition });
    await models.create({ name: 'taken', definition });
    const updated = await models.update(model.id, { input_shape: [4], summary });
    assert.deepEqual(updated.input_shape, [4]);
    assert.deepEqual(updated.summary, summary);
    assert.equal(updated.name, 'before');
    assert.ok(updated.updated_at >= model.updated_at);
    assert.deepEqual(await models.get(model.id), updated);

    await assert.rejects(models.update(model.id, { name: 'taken' }), isConflict);
    assert.equal((await models.get(model.id)).name, 'before');

    const renamed = await models.update('before', { name: 'after' });
    assert.equal(renamed.name, 'after');
    assert.equal((await models.get('after')).id, model.id);
    assert.equal(await models.find('before'), null);
    // The old name is free again.
    await models.create({ name: 'before', definition });
    await assert.rejects(models.update('nope', { summary: null }), isNotFound);
  });

  it('deletes a model with its versions and returns them', async () => {
    const models = freshStore();
    const model = await models.create({ name: 'gone', definition });
    await models.addVersion(model.id, versionInput('job_1'));
    await models.addVersion(model.id, versionInput('job_2'));
    const deleted = await models.delete('gone');
    assert.equal(deleted.model.id, model.id);
    assert.equal(deleted.model.latest_version, 2);
    assert.deepEqual(
      deleted.versions.map((v) => [v.version, v.artifact]),
      [
        [1, 'models/x/jobs/job_1'],
        [2, 'models/x/jobs/job_2'],
      ],
    );
    await assert.rejects(models.get(model.id), isNotFound);
    await assert.rejects(models.getVersion(model.id, 1), isNotFound);
    await assert.rejects(models.delete(model.id), isNotFound);
    assert.deepEqual(await models.list(), []);
    assert.deepEqual(await redis.client.keys(`*${model.id}*`), []);
    const again = await models.create({ name: 'gone', definition });
    assert.notEqual(again.id, model.id);
    assert.equal(again.latest_version, 0);
  });
});

describe('versions', () => {
  it('numbers versions 1, 2, … and tracks the latest', async () => {
    const models = freshStore();
    const model = await models.create({ name: 'v', definition });
    assert.equal(await models.latestVersion(model.id), null);
    const v1 = await models.addVersion(model.id, versionInput('job_1', 0.4));
    const v2 = await models.addVersion('v', versionInput('job_2', 0.3));
    assert.equal(v1.version, 1);
    assert.equal(v2.version, 2);
    assert.equal(v1.model_id, model.id);
    assert.deepEqual(v2.output_shape, [null, 3]);
    assert.deepEqual(await models.getVersion(model.id, 1), v1);
    assert.deepEqual(await models.getVersion('v', 2), v2);
    assert.deepEqual(await models.listVersions(model.id), [v1, v2]);
    assert.deepEqual(await models.latestVersion('v'), v2);
    const after = await models.get(model.id);
    assert.equal(after.latest_version, 2);
    assert.ok(after.updated_at >= model.updated_at);
  });

  it('answers 404 for an unknown version or model', async () => {
    const models = freshStore();
    const model = await models.create({ name: 'v404', definition });
    await assert.rejects(models.getVersion(model.id, 1), isNotFound);
    await assert.rejects(models.getVersion(model.id, 1.5), isNotFound);
    await assert.rejects(models.getVersion('nope', 1), isNotFound);
    await assert.rejects(models.addVersion('nope', versionInput('job_1')), isNotFound);
    await assert.rejects(models.listVersions('nope'), isNotFound);
    assert.deepEqual(await models.listVersions(model.id), []);
  });

  it('gives concurrent completions distinct consecutive versions', async () => {
    const models = freshStore();
    const model = await models.create({ name: 'busy', definition });
    const added = await Promise.all(Array.from({ length: 12 }, (_, i) => models.addVersion(model.id, versionInput(`job_${i}`))));
    assert.deepEqual(
      added.map((v) => v.version).sort((a, b) => a - b),
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    // Each stored version is the one its caller was told about.
    for (const v of added) assert.equal((await models.getVersion(model.id, v.version)).job_id, v.job_id);
    assert.equal((await models.get(model.id)).latest_version, 12);
  });

  it('stores a diverged loss as null', async () => {
    const models = freshStore();
    const model = await models.create({ name: 'nan', definition });
    const input = { ...versionInput('job_nan'), metrics: { loss: Number.NaN }, history: { loss: [1, Number.POSITIVE_INFINITY] } };
    const v = await models.addVersion(model.id, input);
    assert.deepEqual(v.metrics, { loss: null });
    assert.deepEqual((await models.getVersion(model.id, 1)).history, { loss: [1, null] });
  });
});
