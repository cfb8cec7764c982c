import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { loadCheckpoint } from '../../src/worker/checkpoint-store.js';
import { digitsModel } from '../support/seed.js';
import { startService, type TestService } from '../support/service.js';
import { waitUntil } from '../support/wait.js';
import { startWorkerProcess } from '../support/worker-process.js';

let service: TestService;

// Every lifecycle test runs on both training engines, each job on a model of its own engine.
const ENGINES = ['eager', 'graph'] as const;
type Engine = (typeof ENGINES)[number];

before(async () => {
  service = await startService();
  for (const engine of ENGINES) {
    const created = await service.request('POST', '/v1/models', digitsModel(`digits-${engine}`, 64));
    assert.equal(created.status, 201, JSON.stringify(created.body));
  }
});
after(async () => {
  await service.close();
});

const LONG_EPOCHS = 200;
const longJob = (engine: Engine, epochs = LONG_EPOCHS) => ({
  model: `digits-${engine}`,
  dataset: { builtin: 'mnist', split: 'train', limit: 6000 },
  fit: { epochs, engine },
});

async function runningWithEpochs(id: string, epochs = 1) {
  return waitUntil(`job ${id} to run ${epochs} epoch(s)`, async () => {
    const { body } = await service.request('GET', `/v1/jobs/${id}`);
    return body.status === 'running' && body.progress.epoch >= epochs ? body : undefined;
  });
}

for (const engine of ENGINES) test(`cancelling on the ${engine} engine: a running job stops at its next batch and writes no version; a queued one is cancelled at once`, async () => {
  const running = await service.request('POST', '/v1/jobs', longJob(engine));
  const queued = await service.request('POST', '/v1/jobs', longJob(engine));
  assert.equal((await runningWithEpochs(running.body.id)).engine, engine);
  assert.equal((await service.request('GET', `/v1/jobs/${queued.body.id}`)).body.status, 'queued');

  const cancelQueued = await service.request('POST', `/v1/jobs/${queued.body.id}/cancel`);
  assert.equal(cancelQueued.status, 200);
  assert.equal(cancelQueued.body.status, 'cancelled');

  const cancelRunning = await service.request('POST', `/v1/jobs/${running.body.id}/cancel`);
  assert.equal(cancelRunning.status, 202);
  assert.equal(cancelRunning.body.cancel_requested, true);
  const ended = await service.waitForJob(running.body.id, 120_000);
  assert.equal(ended.status, 'cancelled');
  assert.ok(ended.progress.epoch < LONG_EPOCHS);
  assert.equal(ended.version, null);

  const versions = await service.request('GET', `/v1/models/digits-${engine}/versions`);
  assert.deepEqual(versions.body.versions, []);

  const again = await service.request('POST', `/v1/jobs/${running.body.id}/cancel`);
  assert.equal(again.status, 409);
  assert.equal(again.body.error.code, 'conflict');
});

test('a job whose labels do not fit the loss ends failed with a message, and the next job still runs', async () => {
  // An uploaded dataset's label values are only read by the worker, so this one gets past submission.
  const uploaded = await service.request('POST', '/v1/datasets', { name: 'bad-labels', x: [[0, 1], [1, 0], [1, 1], [0, 0]], y: [0, 1, 2, 7] });
  assert.equal(uploaded.status, 201, JSON.stringify(uploaded.body));
  const failing = await service.request('POST', '/v1/jobs', {
    model: {
      name: 'three-classes',
      architecture: { type: 'sequential', layers: [{ type: 'Dense', units: 3, activation: 'softmax' }] },
      compile: { loss: 'sparse_categorical_crossentropy' },
    },
    dataset: { id: 'bad-labels' },
    fit: { epochs: 2 },
  });
  assert.equal(failing.status, 202, JSON.stringify(failing.body));
  const failed = await service.waitForJob(failing.body.id);
  assert.equal(failed.status, 'failed');
  assert.equal(failed.error.code, 'validation_error');
  assert.match(failed.error.message, /label 7 .* \[0, 2\]/);

  const next = await service.request('POST', '/v1/jobs', { model: 'three-classes', dataset: { x: [[0, 1], [1, 0]], y: [0, 2] }, fit: { epochs: 1 } });
  const completed = await service.waitForJob(next.body.id);
  assert.equal(completed.status, 'completed', JSON.stringify(completed.error));
  assert.equal(completed.version, 1);
});

const WORKER_ENV = { JOB_LOCK_MS: '1500', LOG_LEVEL: 'warn' };

for (const engine of ENGINES) test(`a worker SIGKILLed mid-job on the ${engine} engine leaves the job to another worker, which completes it`, async () => {
  // Only the worker processes below may take this job.
  for (const worker of service.workers) await worker.close();
  const first = startWorkerProcess(service.config, WORKER_ENV);
  let second: ChildProcess | undefined;
  try {
    const submitted = await service.request('POST', '/v1/jobs', longJob(engine, 6));
    await runningWithEpochs(submitted.body.id, 1);
    first.kill('SIGKILL');
    second = startWorkerProcess(service.config, WORKER_ENV);
    const job = await service.waitForJob(submitted.body.id, 300_000);
    assert.equal(job.status, 'completed', JSON.stringify(job.error));
    assert.equal(job.engine, engine);
    assert.equal(job.attempts, 2);
    assert.equal(job.history.loss.length, 6, 'the second worker starts the job afresh');
    const version = await service.request('GET', `/v1/models/digits-${engine}/versions/${job.version}`);
    assert.equal(version.status, 200);
  } finally {
    first.kill('SIGKILL');
    second?.kill('SIGTERM');
    await new Promise((r) => (second && second.exitCode === null ? second.once('exit', r) : r(null)));
  }
});

for (const engine of ENGINES) test(`SIGTERM to its process group on the ${engine} engine: a worker stops at the end of the epoch, checkpoints it, hands its job back to the queue, and exits 0`, async () => {
  for (const worker of service.workers) await worker.close();
  const worker = startWorkerProcess(service.config, WORKER_ENV);
  const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
  try {
    const submitted = await service.request('POST', '/v1/jobs', longJob(engine));
    const running = await runningWithEpochs(submitted.body.id, 1);
    assert.equal(running.engine, engine);
    // The worker and its training process alike: the worker hands the job back; the training process leaves that to it.
    process.kill(-(worker.pid as number), 'SIGTERM');
    assert.equal(await exited, 0);
    const handedBack = (await service.request('GET', `/v1/jobs/${submitted.body.id}`)).body;
    assert.equal(handedBack.status, 'queued');
    assert.ok(handedBack.progress.epoch >= running.progress.epoch);
    assert.ok(handedBack.progress.epoch < LONG_EPOCHS);
    // It saved a checkpoint at the epoch it stopped at, from which the next worker goes on.
    const checkpoint = await loadCheckpoint(service.artifacts, submitted.body.id);
    assert.equal(checkpoint?.epoch, handedBack.progress.epoch);
    assert.equal(checkpoint?.engine, engine);
    const cancelled = await service.request('POST', `/v1/jobs/${submitted.body.id}/cancel`);
    assert.equal(cancelled.status, 200, 'the handed-back job waits in the queue again');
  } finally {
    worker.kill('SIGKILL');
  }
});
