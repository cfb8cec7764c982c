import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { IRIS } from '../support/seed.js';
import { startService, type TestService } from '../support/service.js';
import { waitUntil } from '../support/wait.js';
import { killGroup, startWorkerProcess } from '../support/worker-process.js';

let service: TestService;
let worker: ChildProcess | undefined;

before(async () => {
  service = await startService({ workers: 0 });
});
after(async () => {
  if (worker) await killGroup(worker, 'SIGTERM');
  await service.close();
});

test('a sweep goes on after the API that started it has closed: the worker process queues the next trials and completes it', async () => {
  assert.equal((await service.request('POST', '/v1/models', { ...IRIS, name: 'iris' })).status, 201);
  const created = await service.request('POST', '/v1/sweeps', {
    model: 'iris',
    dataset: { builtin: 'iris' },
    fit: { epochs: 3, validation_split: 0.2 },
    space: { 'fit.batch_size': { type: 'choice', values: [8, 16, 32] } },
    parallelism: 1,
  });
  assert.equal(created.status, 202, JSON.stringify(created.body));
  const id = created.body.id as string;
  // Only the first trial is queued while no worker runs; the API that queued it goes before any trial ends.
  assert.deepEqual(
    created.body.trials.map((t: { status: string }) => t.status),
    ['queued', 'pending', 'pending'],
  );
  await service.app.close();

  worker = startWorkerProcess(service.config, { LOG_LEVEL: 'error' });
  const sweep = await waitUntil('the sweep to complete', async () => {
    const found = await service.stores.sweeps.get(id);
    return found.status === 'completed' ? found : undefined;
  });
  const trials = await service.stores.sweeps.trials(id);
  assert.deepEqual(
    trials.map((t) => t.status),
    ['completed', 'completed', 'completed'],
  );
  assert.ok(sweep.best);
  assert.equal(sweep.best.version, trials[sweep.best.trial]?.version);
});
