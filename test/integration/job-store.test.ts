import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConflictError, NotFoundError } from '../../src/errors.js';
import type { CreateJobInput } from '../../src/jobs/job-store.js';
import type { JobEvent } from '../../src/jobs/record.js';
import type { CreateDatasetInput } from '../../src/registry/dataset-store.js';
import { newId } from '../../src/registry/ids.js';
import type { Stores } from '../../src/registry/stores.js';
import { useTestStores, type TestStores } from '../support/stores.js';

let registry: TestStores;

before(async () => {
  registry = await useTestStores();
});

after(() => registry.cleanup());

const isNotFound = (error: unknown) => error instanceof NotFoundError && error.status === 404;
const isConflict = (error: unknown) => error instanceof ConflictError && error.status === 409;

const BACKEND = { name: 'cpu', tensorflow_version: null };

function jobInput(overrides: Partial<CreateJobInput> = {}): CreateJobInput {
  return {
    model_id: 'mdl_aaaaaaaaaaaa',
    model_name: 'iris',
    dataset: { kind: 'builtin', name: 'iris' },
    fit: { epochs: 3, batch_size: 32, validation_split: 0, shuffle: true },
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
    const { datasets } = registry.open();
    const iris = await datasets.create(datasetInput('my-iris'));
    assert.match(iris.id, /^ds_/);
    assert.deepEqual(await datasets.get(iris.id), iris);
    assert.deepEqual(await datasets.get('my-iris'), iris);
    const chosen = newId('dataset');
    const other = await datasets.create({ ...datasetInput('other'), id: chosen });
    assert.equal(other.id, chosen);
    assert.deepEqual(
      (await datasets.list()).map((d) => d.name),
      ['my-iris', 'other'],
    );
    await assert.rejects(datasets.create(datasetInput('my-iris')), isConflict);
    await assert.rejects(datasets.get('nope'), isNotFound);
    assert.equal(await datasets.find('nope'), null);

    assert.deepEqual(await datasets.delete('my-iris'), iris);
    await assert.rejects(datasets.get(iris.id), isNotFound);
    await assert.rejects(datasets.delete(iris.id), isNotFound);
    assert.deepEqual(
      (await datasets.list()).map((d) => d.name),
      ['other'],
    );
    // The name is free again.
    await datasets.create(datasetInput('my-iris'));
  });

  it('refuses to delete a dataset a queued or running job uses', async () => {
    const { datasets, jobs } = registry.open();
    const ds = await datasets.create(datasetInput('used'));
    const job = await jobs.create(jobInput({ dataset: { kind: 'stored', id: ds.id } }));
    await jobs.create(jobInput());
    assert.deepEqual(
      (await jobs.activeUsingDataset(ds.id)).map((j) => j.id),
      [job.id],
    );
    await assert.rejects(datasets.delete(ds.id), (e) => isConflict(e) && String(e).includes(job.id));
    await jobs.start(job.id, BACKEND);
    await assert.rejects(datasets.delete(ds.id), isConflict);
    await jobs.complete(job.id, 1);
    assert.deepEqual(await jobs.activeUsingDataset(ds.id), []);
    await datasets.delete(ds.id);
  });
});

describe('jobs', () => {
  it('records the engine of a running job, and forgets it when the job starts afresh', async () => {
    const { jobs } = registry.open();
    const job = await jobs.create(jobInput());
    await assert.rejects(jobs.setEngine(job.id, 'graph', null), isConflict);
    await jobs.start(job.id, BACKEND);
    const noted = await jobs.setEngine(job.id, 'eager', 'architecture.layers[0]: Embedding does not lower to the graph engine yet');
    assert.equal(noted.engine, 'eager');
    assert.match(noted.engine_note ?? '', /Embedding/);
    assert.deepEqual(await jobs.get(job.id), noted);
    await jobs.handBack(job.id);
    const restarted = await jobs.start(job.id, BACKEND);
    assert.equal(restarted.engine, null);
    assert.equal(restarted.engine_note, null);
  });

  it('creates a queued job and reads it back', async () => {
    const { jobs } = registry.open();
    const job = await jobs.create(jobInput({ preprocessing: { standardize: true } }));
    assert.match(job.id, /^job_/);
    assert.equal(job.status, 'queued');
    assert.deepEqual(job.progress, { epoch: 0, epochs: 3 });
    assert.deepEqual(job.history, {});
    assert.deepEqual(job.preprocessing, { standardize: true });
    assert.equal(job.early_stopping, null);
    assert.equal(job.version, null);
    assert.equal(job.error, null);
    assert.equal(job.backend, null);
    assert.equal(job.engine, null);
    assert.equal(job.engine_note, null);
    assert.equal(job.cancel_requested, false);
    assert.equal(job.attempts, 0);
    assert.equal(job.started_at, null);
    assert.deepEqual(await jobs.get(job.id), job);
    await assert.rejects(jobs.get('job_nope'), isNotFound);
    assert.equal(await jobs.find('job_nope'), null);
  });

  it('takes an id chosen beforehand, and the epochs from fit', async () => {
    const { jobs } = registry.open();
    const id = newId('job');
    const job = await jobs.create({ ...jobInput({ fit: { epochs: 7, batch_size: 32, validation_split: 0, shuffle: true } }), id });
    assert.equal(job.id, id);
    assert.deepEqual(job.progress, { epoch: 0, epochs: 7 });
    await assert.rejects(jobs.create({ ...jobInput(), id }), isConflict);
    assert.equal((await jobs.list()).length, 1);
    await assert.rejects(jobs.create({ ...jobInput(), id: 'job_../x' }), TypeError);
  });

  it('starts an attempt afresh or from a checkpoint\'s epoch, and ends a job once', async () => {
    const prefix = registry.newPrefix();
    const { jobs } = registry.open({ prefix });
    const job = await jobs.create(jobInput());
    const backend = { name: 'tensorflow', tensorflow_version: '2.21.0', tfjs_version: '4.22.0' };
    const running = await jobs.start(job.id, backend);
    assert.equal(running.status, 'running');
    assert.equal(running.attempts, 1);
    assert.ok(running.started_at);
    assert.deepEqual(running.backend, backend);
    assert.deepEqual(running.dataset, job.dataset);
    assert.deepEqual(await jobs.get(job.id), running);
    await jobs.appendEpoch(job.id, { epoch: 1, epochs: 3 }, { loss: 1 });
    // Taken again after its worker died: a new attempt, its history emptied.
    const again = await jobs.start(job.id, backend);
    assert.equal(again.attempts, 2);
    assert.deepEqual(again.history, {});
    assert.deepEqual(again.progress, { epoch: 0, epochs: 3 });
    // Taken again with a checkpoint of epoch 1: the epochs after it go, those up to it stay.
    for (const epoch of [1, 2]) await jobs.appendEpoch(job.id, { epoch, epochs: 3 }, { loss: epoch });
    const resumed = await jobs.start(job.id, backend, 1);
    assert.equal(resumed.attempts, 3);
    assert.deepEqual(resumed.history, { loss: [1] });
    assert.deepEqual(resumed.progress, { epoch: 1, epochs: 3 });
    await jobs.appendEpoch(job.id, { epoch: 2, epochs: 3 }, { loss: 0.5 });
    assert.deepEqual((await jobs.get(job.id)).history, { loss: [1, 0.5] });
    const failed = await jobs.fail(job.id, { code: 'training_error', message: 'boom' });
    assert.deepEqual(failed.error, { code: 'training_error', message: 'boom' });
    assert.ok(failed.finished_at);
    await assert.rejects(jobs.start('job_nope', backend), isNotFound);
    assert.equal(await registry.redis.client.exists(`${prefix}:job:job_nope`), 0);
  });

  it('refuses every move the transition table does not list, leaving the job as it was', async () => {
    const { jobs } = registry.open();
    const queued = await jobs.create(jobInput());
    await assert.rejects(jobs.complete(queued.id, 1), isConflict);
    await assert.rejects(jobs.handBack(queued.id), isConflict);
    assert.equal((await jobs.get(queued.id)).status, 'queued');

    const cancelled = await jobs.cancelQueued(queued.id);
    assert.equal(cancelled.status, 'cancelled');
    for (const move of [() => jobs.start(queued.id, BACKEND), () => jobs.fail(queued.id, { code: 'x', message: 'y' }), () => jobs.cancel(queued.id)]) {
      await assert.rejects(move(), (e) => isConflict(e) && String(e).includes('cancelled'));
    }
    const unchanged = await jobs.get(queued.id);
    assert.equal(unchanged.status, 'cancelled');
    assert.equal(unchanged.attempts, 0);

    const running = await jobs.create(jobInput());
    await jobs.start(running.id, BACKEND);
    await assert.rejects(jobs.cancelQueued(running.id), isConflict);
    await assert.rejects(jobs.appendEpoch(queued.id, { epoch: 1, epochs: 3 }, { loss: 1 }), isConflict);
  });

  it('lets exactly one of a worker start and an API cancel of a queued job win', async () => {
    const { jobs } = registry.open();
    for (let round = 0; round < 10; round++) {
      const job = await jobs.create(jobInput());
      const results = await Promise.allSettled([jobs.start(job.id, BACKEND), jobs.cancelQueued(job.id)]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const final = await jobs.get(job.id);
      assert.ok(final.status === 'running' || final.status === 'cancelled');
    }
  });

  it('keeps both writers’ fields when the worker and the API write at once', async () => {
    const { jobs } = registry.open();
    for (let round = 0; round < 10; round++) {
      const job = await jobs.create(jobInput({ fit: { epochs: 20, batch_size: 32, validation_split: 0, shuffle: true } }));
      await jobs.start(job.id, BACKEND);
      // The worker reports epochs while the API asks to cancel, interleaved on the wire.
      await Promise.all([
        (async () => {
          for (let epoch = 1; epoch <= 20; epoch++) await jobs.appendEpoch(job.id, { epoch, epochs: 20 }, { loss: 1 / epoch });
        })(),
        (async () => {
          await new Promise((r) => setTimeout(r, round % 3));
          await jobs.requestCancel(job.id);
        })(),
      ]);
      const final = await jobs.get(job.id);
      assert.equal(final.cancel_requested, true);
      assert.equal(final.status, 'running');
      assert.deepEqual(final.backend, BACKEND);
      assert.deepEqual(final.progress, { epoch: 20, epochs: 20 });
      assert.equal(final.history.loss?.length, 20);
    }
  });

  it('builds the history epoch by epoch, and publishes each epoch', async () => {
    const { jobs, events } = registry.open();
    const job = await jobs.create(jobInput());
    await jobs.start(job.id, BACKEND);
    const heard = collect<JobEvent>(2);
    const stop = await events.subscribe(job.id, heard.push);
    assert.deepEqual(await jobs.appendEpoch(job.id, { epoch: 1, epochs: 3 }, { loss: 0.9, accuracy: 0.5, val_loss: 1 }), { cancel_requested: false });
    await jobs.appendEpoch(job.id, { epoch: 2, epochs: 3 }, { loss: 0.5, accuracy: 0.75, val_loss: Number.NaN });
    assert.deepEqual((await heard.done)[0], { type: 'epoch', data: { epoch: 1, epochs: 3, logs: { loss: 0.9, accuracy: 0.5, val_loss: 1 } } });
    await stop();
    const read = await jobs.get(job.id);
    assert.deepEqual(read.history, { loss: [0.9, 0.5], accuracy: [0.5, 0.75], val_loss: [1, null] });
    assert.deepEqual(Object.keys(read.history), ['loss', 'accuracy', 'val_loss']);
    assert.deepEqual(read.progress, { epoch: 2, epochs: 3 });
    await jobs.requestCancel(job.id);
    assert.deepEqual(await jobs.appendEpoch(job.id, { epoch: 3, epochs: 3 }, { loss: 0.25, accuracy: 1, val_loss: 0.5 }), { cancel_requested: true });
    await assert.rejects(jobs.appendEpoch('job_nope', { epoch: 1, epochs: 3 }, { loss: 1 }), isNotFound);
  });

  it('records an epoch once when its write comes again, as one resent after a reconnect does', async () => {
    const { jobs } = registry.open();
    const job = await jobs.create(jobInput());
    await jobs.start(job.id, BACKEND);
    await jobs.appendEpoch(job.id, { epoch: 1, epochs: 3 }, { loss: 0.9 });
    await jobs.appendEpoch(job.id, { epoch: 1, epochs: 3 }, { loss: 0.9 });
    await jobs.appendEpoch(job.id, { epoch: 2, epochs: 3 }, { loss: 0.5 });
    await jobs.appendEpoch(job.id, { epoch: 2, epochs: 3 }, { loss: 0.5 });
    const read = await jobs.get(job.id);
    assert.deepEqual(read.history, { loss: [0.9, 0.5] });
    assert.deepEqual(read.progress, { epoch: 2, epochs: 3 });
  });

  it('publishes a status event with every transition', async () => {
    const { jobs, events } = registry.open();
    const job = await jobs.create(jobInput());
    const heard = collect<JobEvent>(3);
    const stop = await events.subscribe(job.id, heard.push);
    await jobs.start(job.id, BACKEND);
    await jobs.handBack(job.id);
    await jobs.cancel(job.id);
    assert.deepEqual(
      (await heard.done).map((e) => [e.type, e.data.status]),
      [
        ['status', 'running'],
        ['status', 'queued'],
        ['status', 'cancelled'],
      ],
    );
    await stop();
  });

  it('lists jobs newest first, by status and by model', async () => {
    const { jobs } = registry.open();
    const modelId = 'mdl_bbbbbbbbbbbb';
    const a = await jobs.create(jobInput({ model_id: modelId, model_name: 'm' }));
    const b = await jobs.create(jobInput());
    const c = await jobs.create(jobInput({ model_id: modelId, model_name: 'm' }));
    await jobs.start(a.id, BACKEND);
    await jobs.start(b.id, BACKEND);
    await jobs.complete(b.id, 1);
    const ids = async (filter?: Parameters<Stores['jobs']['list']>[0]) => (await jobs.list(filter)).map((j) => j.id);
    assert.deepEqual(await ids(), [c.id, b.id, a.id]);
    assert.deepEqual(await ids({ status: 'queued' }), [c.id]);
    assert.deepEqual(await ids({ status: 'running' }), [a.id]);
    assert.deepEqual(await ids({ status: 'completed' }), [b.id]);
    assert.deepEqual(await ids({ status: 'failed' }), []);
    assert.deepEqual(await ids({ model: modelId }), [c.id, a.id]);
    assert.deepEqual(await ids({ model: modelId, status: 'running' }), [a.id]);
    assert.deepEqual(await ids({ model: 'nope' }), []);
    // A job handed back to the queue is active again.
    await jobs.handBack(a.id);
    assert.deepEqual(await ids({ status: 'queued' }), [c.id, a.id]);
  });

  it('pages through every job once, newest first, while jobs are created during the walk', async () => {
    const { jobs } = registry.open();
    const existing: string[] = [];
    for (let i = 0; i < 11; i++) existing.unshift((await jobs.create(jobInput())).id);
    const seen: string[] = [];
    const added: string[] = [];
    let after: number | undefined;
    for (;;) {
      const page = await jobs.page({}, { limit: 3, after });
      assert.ok(page.jobs.length <= 3);
      seen.push(...page.jobs.map((j) => j.id));
      added.push((await jobs.create(jobInput())).id);
      if (page.next === null) break;
      after = page.next;
    }
    assert.deepEqual(seen, existing);
    // The first page read again starts with the jobs created during the walk.
    const first = await jobs.page({}, { limit: 2 });
    assert.deepEqual(first.jobs.map((j) => j.id), added.slice(-2).reverse());
    assert.notEqual(first.next, null);
  });

  it('pages by status and by model, filling each page past the jobs that do not match', async () => {
    const { jobs } = registry.open();
    const modelId = 'mdl_cccccccccccc';
    const completed: string[] = [];
    const ofModel: string[] = [];
    for (let i = 0; i < 9; i++) {
      const job = await jobs.create(i % 3 === 0 ? jobInput({ model_id: modelId, model_name: 'm' }) : jobInput());
      if (i % 3 === 0) ofModel.unshift(job.id);
      if (i % 2 === 0) {
        await jobs.start(job.id, BACKEND);
        await jobs.complete(job.id, 1);
        completed.unshift(job.id);
      }
    }
    const walk = async (filter: Parameters<Stores['jobs']['page']>[0], limit: number) => {
      const ids: string[] = [];
      let after: number | undefined;
      do {
        const page = await jobs.page(filter, { limit, after });
        ids.push(...page.jobs.map((j) => j.id));
        after = page.next ?? undefined;
      } while (after !== undefined);
      return ids;
    };
    assert.deepEqual(await walk({ status: 'completed' }, 2), completed);
    assert.deepEqual((await jobs.page({ status: 'completed' }, { limit: 2 })).jobs.map((j) => j.id), completed.slice(0, 2));
    assert.equal((await jobs.page({ status: 'completed' }, { limit: completed.length })).next, null);
    assert.deepEqual(await walk({ status: 'queued' }, 1), (await jobs.list({ status: 'queued' })).map((j) => j.id));
    assert.deepEqual(await walk({ model: modelId }, 2), ofModel);
    assert.deepEqual(await walk({ model: modelId, status: 'completed' }, 1), ofModel.filter((id) => completed.includes(id)));
    assert.deepEqual(await jobs.page({ status: 'failed' }, { limit: 5 }), { jobs: [], next: null });
  });

  it('counts jobs by status', async () => {
    const { jobs } = registry.open();
    const a = await jobs.create(jobInput());
    await jobs.create(jobInput());
    await jobs.start(a.id, BACKEND);
    assert.deepEqual(await jobs.countByStatus(), { queued: 1, running: 1, completed: 0, failed: 0, cancelled: 0 });
  });

  it('marks a cancel request, tells the workers once, and refuses it for a finished job', async () => {
    const { jobs, events } = registry.open();
    const job = await jobs.create(jobInput());
    const other = await jobs.create(jobInput());
    await jobs.start(job.id, BACKEND);
    const heard: string[] = [];
    const stop = await events.onCancel((id) => heard.push(id));
    const requested = await jobs.requestCancel(job.id);
    assert.equal(requested.cancel_requested, true);
    assert.equal(requested.status, 'running');
    // A marker published after the cancel arrives after it, so everything the cancel sent has been heard.
    await events.publishCancel('marker');
    await waitFor(() => heard.includes('marker'));
    assert.deepEqual(heard, [job.id, 'marker']);
    await stop();

    await jobs.cancelQueued(other.id);
    await assert.rejects(jobs.requestCancel(other.id), (e) => isConflict(e) && String(e).includes('cancelled'));
    assert.equal((await jobs.get(other.id)).cancel_requested, false);
    await assert.rejects(jobs.requestCancel('job_nope'), isNotFound);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition never held');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('events', () => {
  it('delivers a job’s events in publish order', async () => {
    const { events } = registry.open();
    const got = collect<JobEvent>(50);
    const unsubscribe = await events.subscribe('job_1', got.push);
    for (let epoch = 1; epoch <= 49; epoch++) await events.publish('job_1', { type: 'epoch', data: { epoch, logs: { loss: 1 / epoch } } });
    await events.publish('job_1', { type: 'status', data: { status: 'completed' } });
    const received = await got.done;
    assert.deepEqual(
      received.slice(0, 49).map((e) => e.data.epoch),
      Array.from({ length: 49 }, (_, i) => i + 1),
    );
    assert.deepEqual(received[49], { type: 'status', data: { status: 'completed' } });
    await unsubscribe();
  });

  it('multiplexes subscriptions on one connection and keeps each job’s events apart', async () => {
    const { events } = registry.open();
    const first = collect<JobEvent>(2);
    const second = collect<JobEvent>(1);
    const otherJob = collect<JobEvent>(1);
    const stopFirst = await events.subscribe('job_a', first.push);
    const stopSecond = await events.subscribe('job_a', second.push);
    const stopOther = await events.subscribe('job_b', otherJob.push);

    await events.publish('job_a', { type: 'epoch', data: { epoch: 1 } });
    await events.publish('job_b', { type: 'epoch', data: { epoch: 7 } });
    assert.deepEqual((await second.done).map((e) => e.data.epoch), [1]);
    assert.deepEqual((await otherJob.done).map((e) => e.data.epoch), [7]);

    await stopSecond();
    await events.publish('job_a', { type: 'epoch', data: { epoch: 2 } });
    assert.deepEqual((await first.done).map((e) => e.data.epoch), [1, 2]);
    assert.equal(second.items.length, 1);

    await stopFirst();
    await stopOther();
    // One subscriber connection, shared; nothing subscribed once every listener left.
    const channels = (await registry.redis.client.pubsub('CHANNELS', `${registry.redis.prefix}:*`)) as string[];
    assert.deepEqual(channels, []);

    const again = collect<JobEvent>(1);
    const stopAgain = await events.subscribe('job_a', again.push);
    await events.publish('job_a', { type: 'status', data: { status: 'running' } });
    assert.equal((await again.done)[0]?.type, 'status');
    await stopAgain();
  });

  it('reports a failing handler without starving the others', async () => {
    const errors: unknown[] = [];
    const { events } = registry.open({ onError: (error) => errors.push(error) });
    const good = collect<JobEvent>(1);
    await events.subscribe('job_x', () => {
      throw new Error('handler broke');
    });
    await events.subscribe('job_x', good.push);
    await events.publish('job_x', { type: 'epoch', data: { epoch: 1 } });
    await good.done;
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /handler broke/);
  });

  it('closes only the connection it opened', async () => {
    const prefix = registry.newPrefix();
    const stores = registry.open({ prefix });
    await stores.events.subscribe('job_c', () => {});
    assert.equal(((await registry.redis.client.pubsub('CHANNELS', `${prefix}:*`)) as string[]).length, 1);
    await stores.close();
    assert.equal(await registry.redis.client.ping(), 'PONG');
    const channels = (await registry.redis.client.pubsub('CHANNELS', `${prefix}:*`)) as string[];
    assert.deepEqual(channels, []);
  });
});
