import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { IRIS } from '../support/seed.js';
import { startRestartableRedis, type RestartableRedis } from '../support/redis.js';
import { startService, type TestService } from '../support/service.js';

let redis: RestartableRedis;
let service: TestService;

before(async () => {
  redis = await startRestartableRedis();
  // A lock far longer than the outage: this test is about the registry writes, not about a lapsed lock handing the job on.
  service = await startService({ env: { REDIS_URL: redis.url, JOB_LOCK_MS: '60000' } });
  const created = await service.request('POST', '/v1/models', { ...IRIS, name: 'iris' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
});
after(async () => {
  await service.close();
  await redis.stop();
});

/** The job once it has ended; while Redis comes back the API answers 503, and the poll goes on. */
async function waitForEnd(id: string, timeoutMs = 180_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await service.request('GET', `/v1/jobs/${id}`).catch(() => undefined);
    if (response?.status === 200 && !['queued', 'running'].includes(response.body.status)) return response.body;
    if (Date.now() > deadline) throw new Error(`job ${id} did not end within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('Redis SIGKILLed during a running job and back within 5 s on its port and data: the job completes, each epoch in its history once', async () => {
  const EPOCHS = 300;
  const submitted = await service.request('POST', '/v1/jobs', { model: 'iris', dataset: { builtin: 'iris' }, fit: { epochs: EPOCHS } });
  assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
  const id = submitted.body.id as string;

  // Killed on the first epoch heard: every epoch waits on its registry write, so the job is mid-training then.
  let killedAt: number | undefined;
  let killed!: Promise<void>;
  const heard = new Promise<void>((resolve) => {
    void service.stores.events
      .subscribe(id, (event) => {
        if (event.type !== 'epoch' || killedAt !== undefined) return;
        killedAt = Number(event.data.epoch);
        killed = redis.kill();
        resolve();
      })
      .then((stop) => heard.then(stop));
  });
  await heard;
  await killed;
  assert.ok(killedAt !== undefined && killedAt < EPOCHS, `killed at epoch ${killedAt} of ${EPOCHS}`);
  // Down long enough that the worker's writes find no Redis, back well within the 5 s a failover takes.
  await new Promise((r) => setTimeout(r, 2000));
  await redis.restart();

  const job = await waitForEnd(id);
  assert.equal(job.status, 'completed', JSON.stringify(job.error));
  assert.equal(job.attempts, 1, 'the worker that held the job finished it: it was not taken again');
  assert.deepEqual(job.progress, { epoch: EPOCHS, epochs: EPOCHS });
  assert.equal(job.history.loss.length, EPOCHS);
  assert.equal(job.history.accuracy.length, EPOCHS);
  const version = await service.request('GET', `/v1/models/iris/versions/${job.version}`);
  assert.equal(version.status, 200);
  assert.equal(version.body.job_id, id);
  assert.equal(version.body.history.loss.length, EPOCHS);
});
