import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConflictError, NotFoundError } from '../../src/errors.js';
import { newId } from '../../src/registry/ids.js';
import type { JobEvent } from '../../src/registry/records.js';
import { Registry, type CreateDatasetInput, type CreateJobInput } from '../../src/registry/registry.js';
import { useTestRedis, type TestRedis } from '../support/redis.js';

let redis: TestRedis;
const registries: Registry[] = [];
let n = 0;

function freshRegistry(onError?: (error: unknown) => void): Registry {
  const registry = new Registry({ redis: redis.client, prefix: `${redis.prefix}:${n++}`, ...(onError ? { onError } : {}) });
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

function jobInput(overrides: Partial<CreateJobInput> = {}): CreateJobInput {
  return {
    model_id: 'mdl_aaaaaaaaaaaa',
    model_name: 'iris',
    dataset: { builtin: 'iris' },
    fit: { epochs: 3, batch_size: 32 },
    epochs: 3,
    ...overrides,
  };
}

function datasetInput(name: string): CreateDatasetInput {
  return {
    name,
    rows: 150,
    x_shape: [150, 4],
    y_shape: [150],
    x_dtype: 'float32',
    y_dtype: 'int32',
    class_names: ['setosa', 'versicolor', 'virginica'],
    column_names: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
    bytes: 3000,
    checksum: 'a'.repeat(64),
    artifact: `datasets/${name}`,
  };
}

/** Resolves once `count` items have arrived, or fails after a while. */
function collect<T>(count: number): { items: T[]; push: (item: T) => void; done: Promise<T[]> } {
  const items: T[] = [];
  let resolve: (items: T[]) => void = () => {};
  const done = new Promise<T[]>((res, rej) => {
    resolve = res;
    setTimeout(() => rej(new Error(`only ${items.length} of ${count} arrived`)), 3000).unref();
  });
  return {
    items,
    push(item) {
      items.push(item);
      if (items.length === count) resolve(items);
    },
    done,
  };
}

describe('datasets', () => {
  it('creates, finds, lists and deletes datasets', async () => {
    const registry = freshRegistry();
    const iris = await registry.createDataset(datasetInput('my-iris'));
    assert.match(iris.id, /^ds_/);
    assert.deepEqual(await registry.getDataset(iris.id), iris);
    assert.deepEqual(await registry.getDataset('my-iris'), iris);
    const chosen = newId('dataset');
    const other = await registry.createDataset({ ...datasetInput('other'), id: chosen });
    assert.equal(other.id, chosen);
    assert.deepEqual(
      (await registry.listDatasets()).map((d) => d.name),
      ['my-iris', 'other'],
    );
    await assert.rejects(registry.createDataset(datasetInput('my-iris')), isConflict);
    await assert.rejects(registry.getDataset('nope'), isNotFound);
    assert.equal(await registry.findDataset('nope'), null);

    assert.deepEqual(await registry.deleteDataset('my-iris'), iris);
    await assert.rejects(registry.getDataset(iris.id), isNotFound);
    await assert.rejects(registry.deleteDataset(iris.id), isNotFound);
    assert.deepEqual(
      (await registry.listDatasets()).map((d) => d.name),
      ['other'],
    );
    // The name is free again.
    await registry.createDataset(datasetInput('my-iris'));
  });

  it('refuses to delete a dataset a queued or running job uses', async () => {
    const registry = freshRegistry();
    const ds = await registry.createDataset(datasetInput('used'));
    const job = await registry.createJob(jobInput({ dataset: { id: ds.id } }));
    await registry.createJob(jobInput());
    assert.deepEqual(
      (await registry.activeJobsUsingDataset(ds.id)).map((j) => j.id),
      [job.id],
    );
    await assert.rejects(registry.deleteDataset(ds.id), (e) => isConflict(e) && String(e).includes(job.id));
    await registry.updateJob(job.id, { status: 'running' });
    await assert.rejects(registry.deleteDataset(ds.id), isConflict);
    await registry.updateJob(job.id, { status: 'completed' });
    assert.deepEqual(await registry.activeJobsUsingDataset(ds.id), []);
    await registry.deleteDataset(ds.id);
  });
});

describe('jobs', () => {
  it('creates a queued job and reads it back', async () => {
    const registry = freshRegistry();
    const job = await registry.createJob(jobInput({ preprocessing: { standardize: true } }));
    assert.match(job.id, /^job_/);
    assert.equal(job.status, 'queued');
    assert.deepEqual(job.progress, { epoch: 0, epochs: 3 });
    assert.deepEqual(job.history, {});
    assert.deepEqual(job.preprocessing, { standardize: true });
    assert.equal(job.early_stopping, null);
    assert.equal(job.version, null);
    assert.equal(job.error, null);
    assert.equal(job.backend, null);
    assert.equal(job.cancel_requested, false);
    assert.equal(job.attempts, 0);
    assert.equal(job.started_at, null);
    assert.deepEqual(await registry.getJob(job.id), job);
    await assert.rejects(registry.getJob('job_nope'), isNotFound);
    assert.equal(await registry.findJob('job_nope'), null);
  });

  it('takes an id chosen beforehand, and the epochs from fit unless given', async () => {
    const registry = freshRegistry();
    const id = newId('job');
    const { epochs: _epochs, ...withoutEpochs } = jobInput({ fit: { epochs: 7 } });
    const job = await registry.createJob({ ...withoutEpochs, id });
    assert.equal(job.id, id);
    assert.deepEqual(job.progress, { epoch: 0, epochs: 7 });
    await assert.rejects(registry.createJob({ ...withoutEpochs, id }), isConflict);
    assert.equal((await registry.listJobs()).length, 1);
    await assert.rejects(registry.createJob({ ...withoutEpochs, id: 'job_../x' }), TypeError);
    assert.deepEqual((await registry.createJob({ ...withoutEpochs, fit: {} })).progress, { epoch: 0, epochs: 1 });
  });

  it('updates fields and returns the whole record', async () => {
    const registry = freshRegistry();
    const job = await registry.createJob(jobInput());
    const started = new Date().toISOString();
    const running = await registry.updateJob(job.id, {
      status: 'running',
      started_at: started,
      attempts: 1,
      backend: { name: 'tensorflow', tensorflow_version: '2.21.0', tfjs_version: '4.22.0' },
    });
    assert.equal(running.status, 'running');
    assert.equal(running.started_at, started);
    assert.deepEqual(running.backend, { name: 'tensorflow', tensorflow_version: '2.21.0', tfjs_version: '4.22.0' });
    assert.deepEqual(running.dataset, job.dataset);
    assert.deepEqual(await registry.getJob(job.id), running);
    const failed = await registry.updateJob(job.id, { status: 'failed', error: { code: 'training_error', message: 'boom' } });
    assert.deepEqual(failed.error, { code: 'training_error', message: 'boom' });
    await assert.rejects(registry.updateJob('job_nope', { status: 'running' }), isNotFound);
    assert.equal(await redis.client.exists(`${redis.prefix}:${n - 1}:job:job_nope`), 0);
  });

  it('keeps both writers’ fields when the worker and the API update at once', async () => {
    const registry = freshRegistry();
    for (let round = 0; round < 10; round++) {
      const job = await registry.createJob(jobInput({ epochs: 20 }));
      await registry.updateJob(job.id, { status: 'running' });
      // The worker reports epochs while the API asks to cancel, interleaved on the wire.
      await Promise.all([
        (async () => {
          for (let epoch = 1; epoch <= 20; epoch++) await registry.appendEpoch(job.id, epoch, { loss: 1 / epoch }, 20);
        })(),
        (async () => {
          await new Promise((r) => setTimeout(r, round % 3));
          await registry.updateJob(job.id, { cancel_requested: true });
        })(),
        registry.updateJob(job.id, { backend: { name: 'cpu', tensorflow_version: null } }),
      ]);
      const final = await registry.getJob(job.id);
      assert.equal(final.cancel_requested, true);
      assert.equal(final.status, 'running');
      assert.deepEqual(final.backend, { name: 'cpu', tensorflow_version: null });
      assert.deepEqual(final.progress, { epoch: 20, epochs: 20 });
      assert.equal(final.history.loss?.length, 20);
    }
  });

  it('applies a patch only in the statuses ifStatus names', async () => {
    const registry = freshRegistry();
    const job = await registry.createJob(jobInput());
    await registry.updateJob(job.id, { status: 'cancelled' });
    await assert.rejects(registry.updateJob(job.id, { status: 'running', attempts: 1 }, { ifStatus: ['queued'] }), isConflict);
    const unchanged = await registry.getJob(job.id);
    assert.equal(unchanged.status, 'cancelled');
    assert.equal(unchanged.attempts, 0);
    const other = await registry.createJob(jobInput());
    // Of two racing queued → X transitions, exactly one applies.
    const results = await Promise.allSettled([
      registry.updateJob(other.id, { status: 'running' }, { ifStatus: ['queued'] }),
      registry.updateJob(other.id, { status: 'cancelled' }, { ifStatus: ['queued'] }),
    ]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  });

  it('builds the history epoch by epoch', async () => {
    const registry = freshRegistry();
    const job = await registry.createJob(jobInput());
    assert.deepEqual(await registry.appendEpoch(job.id, 1, { loss: 0.9, accuracy: 0.5, val_loss: 1 }, 3), { cancel_requested: false });
    await registry.appendEpoch(job.id, 2, { loss: 0.5, accuracy: 0.75, val_loss: Number.NaN }, 3);
    const read = await registry.getJob(job.id);
    assert.deepEqual(read.history, { loss: [0.9, 0.5], accuracy: [0.5, 0.75], val_loss: [1, null] });
    assert.deepEqual(Object.keys(read.history), ['loss', 'accuracy', 'val_loss']);
    assert.deepEqual(read.progress, { epoch: 2, epochs: 3 });
    await registry.requestCancel(job.id);
    assert.deepEqual(await registry.appendEpoch(job.id, 3, { loss: 0.25, accuracy: 1, val_loss: 0.5 }, 3), { cancel_requested: true });
    await assert.rejects(registry.appendEpoch('job_nope', 1, { loss: 1 }, 3), isNotFound);

    const replaced = await registry.updateJob(job.id, { history: { loss: [3, 2], accuracy: [0.1] } });
    assert.deepEqual(replaced.history, { loss: [3, 2], accuracy: [0.1] });
    const reset = await registry.resetJobProgress(job.id, 5);
    assert.deepEqual(reset.history, {});
    assert.deepEqual(reset.progress, { epoch: 0, epochs: 5 });
  });

  it('lists jobs newest first, by status and by model', async () => {
    const registry = freshRegistry();
    const model = await registry.createModel({ name: 'm', definition: {} });
    const a = await registry.createJob(jobInput({ model_id: model.id, model_name: 'm' }));
    const b = await registry.createJob(jobInput());
    const c = await registry.createJob(jobInput({ model_id: model.id, model_name: 'm' }));
    await registry.updateJob(a.id, { status: 'running' });
    await registry.updateJob(b.id, { status: 'completed' });
    const ids = async (filter?: Parameters<Registry['listJobs']>[0]) => (await registry.listJobs(filter)).map((j) => j.id);
    assert.deepEqual(await ids(), [c.id, b.id, a.id]);
    assert.deepEqual(await ids({ status: 'queued' }), [c.id]);
    assert.deepEqual(await ids({ status: 'running' }), [a.id]);
    assert.deepEqual(await ids({ status: 'completed' }), [b.id]);
    assert.deepEqual(await ids({ status: 'failed' }), []);
    assert.deepEqual(await ids({ model: 'm' }), [c.id, a.id]);
    assert.deepEqual(await ids({ model: model.id, status: 'running' }), [a.id]);
    assert.deepEqual(await ids({ model: 'nope' }), []);
    // A job going back to the queue is active again.
    await registry.updateJob(b.id, { status: 'queued' });
    assert.deepEqual(await ids({ status: 'queued' }), [c.id, b.id]);
  });

  it('marks a cancel request, tells the workers, and refuses it for a finished job', async () => {
    const registry = freshRegistry();
    const job = await registry.createJob(jobInput());
    const other = await registry.createJob(jobInput());
    await registry.updateJob(job.id, { status: 'running' });
    const heard = collect<string>(1);
    const stop = await registry.onCancel(heard.push);
    const requested = await registry.requestCancel(job.id);
    assert.equal(requested.cancel_requested, true);
    assert.equal(requested.status, 'running');
    assert.deepEqual(await heard.done, [job.id]);
    await stop();

    await registry.updateJob(other.id, { status: 'completed' });
    await assert.rejects(registry.requestCancel(other.id), (e) => isConflict(e) && String(e).includes('completed'));
    assert.equal((await registry.getJob(other.id)).cancel_requested, false);
    await assert.rejects(registry.requestCancel('job_nope'), isNotFound);
  });
});

describe('events', () => {
  it('delivers a job’s events in publish order', async () => {
    const registry = freshRegistry();
    const got = collect<JobEvent>(50);
    const unsubscribe = await registry.subscribeJobEvents('job_1', got.push);
    for (let epoch = 1; epoch <= 49; epoch++) await registry.publishJobEvent('job_1', { type: 'epoch', data: { epoch, logs: { loss: 1 / epoch } } });
    await registry.publishJobEvent('job_1', { type: 'status', data: { status: 'completed' } });
    const events = await got.done;
    assert.deepEqual(
      events.slice(0, 49).map((e) => e.data.epoch),
      Array.from({ length: 49 }, (_, i) => i + 1),
    );
    assert.deepEqual(events[49], { type: 'status', data: { status: 'completed' } });
    await unsubscribe();
  });

  it('multiplexes subscriptions on one connection and keeps each job’s events apart', async () => {
    const registry = freshRegistry();
    const first = collect<JobEvent>(2);
    const second = collect<JobEvent>(1);
    const otherJob = collect<JobEvent>(1);
    const stopFirst = await registry.subscribeJobEvents('job_a', first.push);
    const stopSecond = await registry.subscribeJobEvents('job_a', second.push);
    const stopOther = await registry.subscribeJobEvents('job_b', otherJob.push);

    await registry.publishJobEvent('job_a', { type: 'epoch', data: { epoch: 1 } });
    await registry.publishJobEvent('job_b', { type: 'epoch', data: { epoch: 7 } });
    assert.deepEqual((await second.done).map((e) => e.data.epoch), [1]);
    assert.deepEqual((await otherJob.done).map((e) => e.data.epoch), [7]);

    await stopSecond();
    await registry.publishJobEvent('job_a', { type: 'epoch', data: { epoch: 2 } });
    assert.deepEqual((await first.done).map((e) => e.data.epoch), [1, 2]);
    assert.equal(second.items.length, 1);

    await stopFirst();
    await stopOther();
    // One subscriber connection, shared; nothing subscribed once every listener left.
    const channels = (await redis.client.pubsub('CHANNELS', `${redis.prefix}:*`)) as string[];
    assert.deepEqual(channels, []);

    const again = collect<JobEvent>(1);
    const stopAgain = await registry.subscribeJobEvents('job_a', again.push);
    await registry.publishJobEvent('job_a', { type: 'status', data: { status: 'running' } });
    assert.equal((await again.done)[0]?.type, 'status');
    await stopAgain();
  });

  it('reports a failing handler without starving the others', async () => {
    const errors: unknown[] = [];
    const registry = freshRegistry((error) => errors.push(error));
    const good = collect<JobEvent>(1);
    await registry.subscribeJobEvents('job_x', () => {
      throw new Error('handler broke');
    });
    await registry.subscribeJobEvents('job_x', good.push);
    await registry.publishJobEvent('job_x', { type: 'epoch', data: { epoch: 1 } });
    await good.done;
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /handler broke/);
  });

  it('closes only the connection it opened', async () => {
    const prefix = `${redis.prefix}:${n}`;
    const registry = freshRegistry();
    await registry.subscribeJobEvents('job_c', () => {});
    assert.equal(((await redis.client.pubsub('CHANNELS', `${prefix}:*`)) as string[]).length, 1);
    await registry.close();
    assert.equal(await redis.client.ping(), 'PONG');
    const channels = (await redis.client.pubsub('CHANNELS', `${prefix}:*`)) as string[];
    assert.deepEqual(channels, []);
  });
});
