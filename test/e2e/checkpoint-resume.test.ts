import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { JobEvent } from '../../src/jobs/record.js';
import { jobCheckpointKey } from '../../src/registry/artifact-layout.js';
import { IRIS } from '../support/seed.js';
import { startService, type TestService } from '../support/service.js';
import { waitUntil } from '../support/wait.js';
import { killGroup, startWorkerProcess } from '../support/worker-process.js';

let service: TestService;

// No worker in this process: each test starts the worker processes it needs.
before(async () => {
  service = await startService({ workers: 0 });
  const created = await service.request('POST', '/v1/models', { ...IRIS, name: 'iris' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
});
after(async () => {
  await service.close();
});

const EPOCHS = 400;
const CHECKPOINT_EVERY = 5;

const WORKER_ENV = { JOB_LOCK_MS: '1000', CHECKPOINT_EVERY: String(CHECKPOINT_EVERY), CHECKPOINT_AFTER_MS: '0', LOG_LEVEL: 'error' };

for (const engine of ['eager', 'graph'] as const) {
  test(`a job whose worker is SIGKILLed on the ${engine} engine resumes from its checkpoint on another worker, each epoch in its history once`, async () => {
    const submitted = await service.request('POST', '/v1/jobs', { model: 'iris', dataset: { builtin: 'iris' }, fit: { epochs: EPOCHS, engine } });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const id = submitted.body.id as string;
    const events: JobEvent[] = [];
    const unsubscribe = await service.stores.events.subscribe(id, (event) => events.push(event));
    const checkpoint = jobCheckpointKey(id);
    const workers: ChildProcess[] = [];
    try {
      workers.push(startWorkerProcess(service.config, WORKER_ENV));
      await waitUntil('a checkpoint', async () => ((await service.artifacts.exists(checkpoint)) ? true : undefined));
      await killGroup(workers[0] as ChildProcess, 'SIGKILL');
      const killedAt = (await service.request('GET', `/v1/jobs/${id}`)).body;
      assert.equal(killedAt.status, 'running');
      assert.ok(killedAt.progress.epoch < EPOCHS, `killed at epoch ${killedAt.progress.epoch}, before the end`);

      workers.push(startWorkerProcess(service.config, WORKER_ENV));
      const job = await waitUntil('the job to end', async () => {
        const { body } = await service.request('GET', `/v1/jobs/${id}`);
        return ['queued', 'running'].includes(body.status) ? undefined : body;
      });
      assert.equal(job.status, 'completed', JSON.stringify(job.error));
      assert.equal(job.engine, engine);
      assert.equal(job.attempts, 2);
      for (const [key, values] of Object.entries(job.history as Record<string, unknown[]>)) assert.equal(values.length, EPOCHS, `${key}: each epoch once`);

      // The second attempt starts at its checkpoint's epoch (a multiple of CHECKPOINT_EVERY, at most the epochs recorded), and trains on from the next one.
      const starts = events.flatMap((event, at) => (event.type === 'status' && event.data.status === 'running' ? [at] : []));
      assert.equal(starts.length, 2, 'two attempts');
      const resumedAt = (events[starts[1] as number]?.data.progress as { epoch: number }).epoch;
      assert.ok(resumedAt >= CHECKPOINT_EVERY && resumedAt % CHECKPOINT_EVERY === 0 && resumedAt <= killedAt.progress.epoch, `resumed at epoch ${resumedAt}`);
      const resumedEpochs = events.slice(starts[1]).flatMap((event) => (event.type === 'epoch' ? [event.data.epoch] : []));
      assert.ok((resumedEpochs[0] as number) > 1, `the first resumed epoch is ${resumedEpochs[0]}`);
      // Compared as text: a failing deepEqual over hundreds of numbers makes assert's diff exhaust V8.
      const expected = Array.from({ length: EPOCHS - resumedAt }, (_, i) => resumedAt + 1 + i);
      assert.equal(resumedEpochs.join(' '), expected.join(' '), `resumed at ${resumedAt}; events: ${summarize(events)}`);

      // The worker removes the checkpoint once the job has ended, just after recording the end.
      await waitUntil('the checkpoint to go', async () => ((await service.artifacts.exists(checkpoint)) ? undefined : true));
    } finally {
      await unsubscribe();
      for (const worker of workers) await killGroup(worker, 'SIGTERM');
    }
  });
}

/** The events in short: `s:<status>@<epoch>` and runs of epochs `e:<first>-<last>`. */
function summarize(events: JobEvent[]): string {
  const out: string[] = [];
  let run: [number, number] | undefined;
  const flush = () => {
    if (run) out.push(`e:${run[0]}-${run[1]}`);
    run = undefined;
  };
  for (const event of events) {
    if (event.type === 'epoch') {
      const epoch = event.data.epoch as number;
      if (run && epoch === run[1] + 1) run[1] = epoch;
      else {
        flush();
        run = [epoch, epoch];
      }
    } else {
      flush();
      out.push(`s:${String(event.data.status)}@${(event.data.progress as { epoch: number }).epoch}`);
    }
  }
  flush();
  return out.join(' ');
}
