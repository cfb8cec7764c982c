import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { IRIS } from '../support/seed.js';
import { startService, type TestService } from '../support/service.js';

let service: TestService;

before(async () => {
  service = await startService();
});
after(async () => {
  await service.close();
});

// Long enough to be cut short by the test: every epoch waits on a Redis write.
const longJob = (model: string) => ({ model, dataset: { builtin: 'iris' }, fit: { epochs: 10_000 } });
const inlineData = { x: [[5.1, 3.5, 1.4, 0.2], [7.0, 3.2, 4.7, 1.4], [6.3, 3.3, 6.0, 2.5]], y: [0, 1, 2] };

async function runningWithEpochs(id: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { body } = await service.request('GET', `/v1/jobs/${id}`);
    if (body.status === 'running' && body.progress.epoch >= 1) return;
    if (Date.now() > deadline) throw new Error(`job ${id} did not start training`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether `key` is gone within a few seconds. */
async function removedSoon(key: string): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (await service.artifacts.exists(key)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

test('deleting a model cancels its queued and running jobs and removes its files', async () => {
  const created = await service.request('POST', '/v1/models', { ...IRIS, name: 'doomed' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const modelId = created.body.id as string;
  const trained = await service.waitForJob((await service.request('POST', '/v1/jobs', { ...longJob('doomed'), fit: { epochs: 2 } })).body.id);
  assert.equal(trained.status, 'completed', JSON.stringify(trained.error));
  assert.ok(await service.artifacts.exists(`models/${modelId}`), 'the trained version has files');

  const running = (await service.request('POST', '/v1/jobs', longJob('doomed'))).body.id as string;
  await runningWithEpochs(running);
  const queued = (await service.request('POST', '/v1/jobs', longJob('doomed'))).body.id as string;
  assert.equal((await service.request('GET', `/v1/jobs/${queued}`)).body.status, 'queued');

  const deleted = await service.request('DELETE', '/v1/models/doomed');
  assert.equal(deleted.status, 204);
  assert.equal((await service.request('GET', `/v1/jobs/${queued}`)).body.status, 'cancelled');
  const stopped = await service.waitForJob(running);
  assert.equal(stopped.status, 'cancelled', JSON.stringify(stopped.error));
  assert.ok(stopped.progress.epoch < 10_000);
  assert.equal((await service.request('GET', '/v1/models/doomed')).status, 404);
  assert.equal(await service.artifacts.exists(`models/${modelId}`), false);
});

test("a job's inline dataset is removed when the job ends: cancelled while queued, or completed", async () => {
  const created = await service.request('POST', '/v1/models', { ...IRIS, name: 'inline' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const busy = (await service.request('POST', '/v1/jobs', longJob('inline'))).body.id as string;
  await runningWithEpochs(busy);

  const waiting = await service.request('POST', '/v1/jobs', { model: 'inline', dataset: inlineData, fit: { epochs: 2 } });
  assert.equal(waiting.status, 202, JSON.stringify(waiting.body));
  assert.ok(await service.artifacts.exists(`jobs/${waiting.body.id}/dataset`), 'inline data is stored with its job');
  const cancelled = await service.request('POST', `/v1/jobs/${waiting.body.id}/cancel`);
  assert.equal(cancelled.status, 200);
  assert.equal(await service.artifacts.exists(`jobs/${waiting.body.id}/dataset`), false);
  assert.equal((await service.request('POST', `/v1/jobs/${busy}/cancel`)).status, 202);
  assert.equal((await service.waitForJob(busy)).status, 'cancelled');

  const submitted = await service.request('POST', '/v1/jobs', { model: 'inline', dataset: inlineData, fit: { epochs: 2 } });
  const completed = await service.waitForJob(submitted.body.id);
  assert.equal(completed.status, 'completed', JSON.stringify(completed.error));
  // The worker removes the data after it has recorded the end, which a client may see first.
  assert.equal(await removedSoon(`jobs/${submitted.body.id}/dataset`), true);
});
