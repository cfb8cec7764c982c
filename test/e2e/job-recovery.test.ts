import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { createQueueConnection, createTrainingQueue } from '../../src/queue/training-queue.js';
import { selectBackend, type BackendName } from '../../src/tf/backend.js';
import { startTrainingWorker } from '../../src/worker/worker.js';
import { IRIS } from '../support/seed.js';
import { startService, type TestService } from '../support/service.js';
import { waitUntil } from '../support/wait.js';
import { killGroup, startWorkerProcess } from '../support/worker-process.js';

let service: TestService;

// No worker in this process: each test starts the workers it needs.
before(async () => {
  service = await startService({ workers: 0 });
  const created = await service.request('POST', '/v1/models', { ...IRIS, name: 'iris' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
});
after(async () => {
  await service.close();
});

// Long enough that a worker is always killed mid-job: every epoch waits on a Redis write.
const longJob = { model: 'iris', dataset: { builtin: 'iris' }, fit: { epochs: 10_000 } };

async function jobWhere(id: string, what: string, holds: (job: any) => boolean): Promise<any> {
  return waitUntil(what, async () => {
    const { body } = await service.request('GET', `/v1/jobs/${id}`);
    return holds(body) ? body : undefined;
  });
}

const WORKER_ENV = { JOB_ATTEMPTS: '1', JOB_LOCK_MS: '1000', RECONCILE_INTERVAL_MS: '500', LOG_LEVEL: 'error' };

test('a job whose worker dies more often than JOB_ATTEMPTS allows ends failed in the registry, with the reason', async () => {
  const submitted = await service.request('POST', '/v1/jobs', longJob);
  assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
  const id = submitted.body.id as string;
  const workers: ChildProcess[] = [];
  try {
    for (const attempt of [1, 2]) {
      const worker = startWorkerProcess(service.config, WORKER_ENV);
      workers.push(worker);
      await jobWhere(id, `attempt ${attempt} to train`, (job) => job.status === 'running' && job.attempts === attempt && job.progress.epoch >= 1);
      await killGroup(worker, 'SIGKILL');
    }
    // The third worker finds the job stalled a second time: BullMQ fails it, and the registry follows.
    workers.push(startWorkerProcess(service.config, WORKER_ENV));
    const failed = await jobWhere(id, 'the job to end', (job) => !['queued', 'running'].includes(job.status));
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error.code, 'worker_lost');
    assert.match(failed.error.message, /JOB_ATTEMPTS/);
    assert.equal(failed.attempts, 2);
    assert.ok(failed.finished_at);
  } finally {
    for (const worker of workers) await killGroup(worker, 'SIGTERM');
  }
});

test('a record left running whose queue job is gone is failed by the reconciliation at worker start', async () => {
  const submitted = await service.request('POST', '/v1/jobs', { ...longJob, fit: { epochs: 1 } });
  const id = submitted.body.id as string;
  const backend = await selectBackend(process.env.TF_BACKEND as BackendName | undefined);
  // As a worker would leave it had the queue lost the job under it: running in the registry, absent from the queue.
  await service.stores.jobs.start(id, { name: backend.name, tensorflow_version: backend.tensorflowVersion });
  const queueConnection = createQueueConnection(service.redis.url);
  const queue = createTrainingQueue(queueConnection, service.config.KEY_PREFIX);
  assert.equal(await queue.remove(id), 1);

  const workerConnection = createQueueConnection(service.redis.url);
  const worker = await startTrainingWorker({
    config: service.config,
    connection: workerConnection,
    ...service.stores,
    artifacts: service.artifacts,
    backend,
    logger: pino({ level: 'silent' }),
  });
  try {
    // The worker's start awaited its first reconciliation: no waiting here.
    const job = (await service.request('GET', `/v1/jobs/${id}`)).body;
    assert.equal(job.status, 'failed');
    assert.equal(job.error.code, 'worker_lost');
    assert.match(job.error.message, /no longer holds this running job/);
  } finally {
    await worker.close();
    await queue.close();
    await queueConnection.quit();
    await workerConnection.quit();
  }
});
