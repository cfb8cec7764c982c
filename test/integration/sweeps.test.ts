import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { ConflictError } from '../../src/errors.js';
import type { CreateJobInput } from '../../src/jobs/job-store.js';
import { inlineDatasetKey, jobCheckpointKey } from '../../src/registry/artifact-layout.js';
import { newId } from '../../src/registry/ids.js';
import { parseModelDefinition } from '../../src/models/index.js';
import { FileArtifactStore } from '../../src/registry/file-artifact-store.js';
import { registryKeys } from '../../src/registry/keys.js';
import { jobArtifactKey } from '../../src/registry/model-artifacts.js';
import { createRedisStores, type Stores } from '../../src/registry/stores.js';
import { removeExpiredJobs, removeOrphanFiles } from '../../src/worker/sweep.js';
import { useTestRedis, type TestRedis } from '../support/redis.js';

let redis: TestRedis;
let root: string;
let artifacts: FileArtifactStore;
let stores: Stores;
let prefix: string;
let n = 0;
const logger = pino({ level: 'silent' });
const BACKEND = { name: 'cpu', tensorflow_version: null };
const MODEL_ID = 'mdl_aaaaaaaaaaaa';
const bytes = (s: string) => new TextEncoder().encode(s);

before(async () => {
  redis = await useTestRedis();
});
after(async () => {
  await redis.cleanup();
});
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'modelyard-sweeps-'));
  artifacts = new FileArtifactStore(root);
  prefix = `${redis.prefix}:${n++}`;
  stores = createRedisStores({ redis: redis.client, prefix });
});
afterEach(async () => {
  await stores.close();
  await rm(root, { recursive: true, force: true });
});

function jobInput(): CreateJobInput {
  return { model_id: MODEL_ID, model_name: 'iris', dataset: { kind: 'builtin', name: 'iris' }, fit: { epochs: 3, batch_size: 32, validation_split: 0, shuffle: true } };
}

/** A job that trained an epoch and ended `end`, with inline data and a version's files, as a worker leaves them. */
async function finishedJob(end: 'complete' | 'fail' | 'cancel'): Promise<string> {
  const { jobs } = stores;
  const { id } = await jobs.create(jobInput());
  await artifacts.putFiles(inlineDatasetKey(id), { 'x.npy': bytes('x') });
  await jobs.start(id, BACKEND);
  await jobs.appendEpoch(id, { epoch: 1, epochs: 3 }, { loss: 1 });
  if (end === 'complete') {
    await artifacts.putFiles(jobArtifactKey(MODEL_ID, id), { 'model.json': bytes('{}') });
    await jobs.complete(id, 1);
  } else if (end === 'fail') await jobs.fail(id, { code: 'training_error', message: 'boom' });
  else await jobs.cancel(id);
  return id;
}

describe('job retention', () => {
  it('removes finished jobs past the retention with their epochs and files, and keeps active ones and versions', async () => {
    const { jobs } = stores;
    const completed = await finishedJob('complete');
    const failed = await finishedJob('fail');
    const running = (await jobs.create(jobInput())).id;
    await jobs.start(running, BACKEND);
    const cancelled = await finishedJob('cancel');
    const queued = (await jobs.create(jobInput())).id;
    const deps = { jobs, artifacts, logger };
    const hour = 3_600_000;

    assert.deepEqual(await removeExpiredJobs(deps, hour), [], 'jobs that finished just now are kept');
    assert.deepEqual(await removeExpiredJobs(deps, 0, Date.now() + 1000 * hour), [], '0 keeps jobs forever');
    assert.equal((await jobs.list()).length, 5);

    assert.deepEqual(await removeExpiredJobs(deps, hour, Date.now() + 2 * hour), [completed, failed, cancelled]);
    assert.deepEqual((await jobs.list()).map((j) => j.id), [queued, running]);
    for (const id of [completed, failed, cancelled]) {
      assert.equal(await jobs.find(id), null);
      assert.equal(await redis.client.exists(registryKeys(prefix).epochs(id)), 0, 'its epochs are gone');
      assert.equal(await artifacts.exists(`jobs/${id}`), false, 'its files are gone');
    }
    assert.deepEqual((await jobs.list({ model: MODEL_ID })).map((j) => j.id), [queued, running]);
    assert.ok(await artifacts.exists(jobArtifactKey(MODEL_ID, completed)), 'the version it trained stays');
    assert.equal((await jobs.get(running)).status, 'running');
    assert.deepEqual(await removeExpiredJobs(deps, hour, Date.now() + 2 * hour), [], 'a second sweep finds nothing');
  });

  it('lists only jobs that finished before the cutoff, and deletes only finished jobs', async () => {
    const { jobs } = stores;
    const done = await finishedJob('complete');
    const active = (await jobs.create(jobInput())).id;
    const cutoff = new Date(Date.parse((await jobs.get(done)).finished_at ?? '') + 1);
    assert.deepEqual(await jobs.finishedBefore(cutoff), [done]);
    assert.deepEqual(await jobs.finishedBefore(new Date(cutoff.getTime() - 1)), []);
    await assert.rejects(jobs.delete(active), (error) => error instanceof ConflictError);
    await jobs.delete(done);
    assert.deepEqual((await jobs.list()).map((j) => j.id), [active]);
  });
});

/** Sets the modification time of `key` and everything in it `ms` into the past, as if nothing had touched it since. */
async function age(key: string, ms: number): Promise<void> {
  const when = new Date(Date.now() - ms);
  const touch = async (path: string): Promise<void> => {
    if ((await stat(path)).isDirectory()) for (const name of await readdir(path)) await touch(join(path, name));
    await utimes(path, when, when);
  };
  await touch(join(root, ...key.split('/')));
}

describe('orphan sweep', () => {
  const HOUR = 3_600_000;
  const definition = parseModelDefinition({ architecture: { type: 'sequential', layers: [{ type: 'Dense', units: 3 }] }, compile: { loss: 'mse' } });

  it('removes files older than the grace that no record refers to, and keeps fresh ones and every referenced one', async () => {
    const model = await stores.models.create({ name: 'kept', definition });
    const job = await stores.jobs.create({ ...jobInput(), model_id: model.id });
    const datasetId = newId('dataset');
    await stores.datasets.create({
      id: datasetId, name: 'kept', rows: 1, x_shape: [1, 1], y_shape: [1], x_dtype: 'float32', y_dtype: 'float32',
      class_names: null, column_names: null, bytes: 1, checksum: 'a'.repeat(64), artifact: `datasets/${datasetId}`,
    });
    const referenced = [jobArtifactKey(model.id, job.id), inlineDatasetKey(job.id), `datasets/${datasetId}`];
    const orphans = [
      jobArtifactKey(newId('model'), newId('job')),
      inlineDatasetKey(newId('job')),
      `datasets/${newId('dataset')}`,
      'uploads/0123abcd',
      // A folder named after a model by its name, not its id: no record refers to it by that.
      'models/kept',
    ];
    // Written just now, as a version is before its record, or an upload during its request.
    const fresh = [jobArtifactKey(newId('model'), newId('job')), `datasets/${newId('dataset')}`, 'uploads/4567cdef'];
    // Not a folder the sweep knows: left alone.
    const foreign = `checkpoints/${newId('job')}`;
    for (const key of [...referenced, ...orphans, ...fresh, foreign]) await artifacts.putFiles(key, { 'data.npy': bytes('x') });
    for (const key of [...referenced, ...orphans, foreign]) await age(key.split('/').slice(0, 2).join('/'), 2 * HOUR);
    const deps = { ...stores, artifacts, logger };

    assert.deepEqual(await removeOrphanFiles(deps, 3 * HOUR), [], 'nothing is older than a grace of three hours');
    const removed = await removeOrphanFiles(deps, HOUR);
    assert.deepEqual([...removed].sort(), orphans.map((key) => key.split('/').slice(0, 2).join('/')).sort());
    for (const key of orphans) assert.equal(await artifacts.exists(key), false, key);
    for (const key of [...referenced, ...fresh, foreign]) assert.ok(await artifacts.exists(key), key);
    assert.deepEqual(await removeOrphanFiles(deps, HOUR), [], 'a second sweep finds nothing');
  });

  it("removes a finished job's checkpoint older than the grace, and keeps a running job's and a fresh one", async () => {
    const finished = await finishedJob('cancel');
    const freshlyFinished = await finishedJob('fail');
    const { id: running } = await stores.jobs.create(jobInput());
    await stores.jobs.start(running, BACKEND);
    for (const id of [finished, freshlyFinished, running]) await artifacts.putFiles(jobCheckpointKey(id), { 'checkpoint.json': bytes('{}') });
    for (const id of [finished, running]) await age(`jobs/${id}`, 2 * HOUR);

    assert.deepEqual(await removeOrphanFiles({ ...stores, artifacts, logger }, HOUR), [jobCheckpointKey(finished)]);
    assert.equal(await artifacts.exists(jobCheckpointKey(finished)), false);
    assert.ok(await artifacts.exists(inlineDatasetKey(finished)), "the job's other files stay with its record");
    for (const id of [freshlyFinished, running]) assert.ok(await artifacts.exists(jobCheckpointKey(id)), id);
  });

  it('counts a folder as changed when anything deep in it changed', async () => {
    const key = jobArtifactKey(newId('model'), newId('job'));
    await artifacts.putFiles(key, { 'model.json': bytes('{}') });
    await age(key.split('/').slice(0, 2).join('/'), 2 * HOUR);
    await artifacts.putFiles(`${key}/more`, { 'weights.bin': bytes('w') });
    assert.deepEqual(await removeOrphanFiles({ ...stores, artifacts, logger }, HOUR), []);
    const [entry] = await artifacts.children('models');
    assert.ok(entry && Date.now() - entry.modified.getTime() < HOUR);
    assert.deepEqual(await artifacts.children('nothing-here'), []);
  });
});
