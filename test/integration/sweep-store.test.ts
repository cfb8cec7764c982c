import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { ConflictError } from '../../src/errors.js';
import { parseModelDefinition } from '../../src/models/index.js';
import { FitSchema } from '../../src/jobs/contract.js';
import { SweepStore } from '../../src/sweeps/sweep-store.js';
import { registryKeys } from '../../src/registry/keys.js';
import { removeExpiredSweeps } from '../../src/worker/sweep.js';
import { useTestRedis, type TestRedis } from '../support/redis.js';

let redis: TestRedis;
let store: SweepStore;

before(async () => {
  redis = await useTestRedis();
  store = new SweepStore({ redis: redis.client, prefix: redis.prefix });
});
after(async () => {
  await store.close();
  await redis.cleanup();
});

const definition = parseModelDefinition({ architecture: { type: 'sequential', layers: [{ type: 'Dense', units: 3 }] }, compile: { loss: 'mse' } });

async function createSweep(id: string) {
  return store.create(
    {
      id,
      model_id: 'mdl_aaaaaaaaaaaa',
      model_name: 'm',
      definition,
      dataset: { kind: 'builtin', name: 'iris' },
      fit: FitSchema.parse({}),
      preprocessing: null,
      early_stopping: null,
      space: { 'fit.batch_size': { type: 'choice', values: [8, 16] } },
      strategy: 'grid',
      seed: null,
      max_trials: 2,
      parallelism: 1,
      objective: { metric: 'loss', mode: 'min' },
      trial_stopping: null,
      tenant: null,
    },
    [0, 1].map((index) => ({ index, params: { 'fit.batch_size': 8 * (index + 1) }, status: 'pending' as const, job_id: null, objective: null, objective_history: [], version: null, error: null })),
  );
}

test('a sweep is stored with its trials, listed and active until settled; its status changes only from the statuses allowed', async () => {
  const created = await createSweep('swp_store000001');
  assert.equal(created.status, 'running');
  assert.deepEqual((await store.trials(created.id)).map((t) => t.params['fit.batch_size']), [8, 16]);
  assert.deepEqual(await store.active(), [created.id]);
  assert.deepEqual((await store.list()).map((s) => s.id), [created.id]);

  const cancelled = await store.transition(created.id, 'cancelled', ['running']);
  assert.equal(cancelled.status, 'cancelled');
  assert.ok(cancelled.finished_at);
  await assert.rejects(store.transition(created.id, 'completed', ['running']), (e: unknown) => e instanceof ConflictError && /already cancelled/.test(e.message));
  await store.settled(created.id);
  assert.deepEqual(await store.active(), []);
});

test('the retention removes ended sweeps past it, with their trials and their jobs\' links, and keeps running ones', async () => {
  const ended = await createSweep('swp_store000003');
  const running = await createSweep('swp_store000004');
  const [trial] = await store.trials(ended.id);
  assert.ok(trial);
  await store.putTrial(ended.id, { ...trial, status: 'queued', job_id: 'job_store0000003' }, 'job_store0000003');
  await store.transition(ended.id, 'cancelled', ['running']);
  await store.settled(ended.id);
  const deps = { sweeps: store, logger: pino({ level: 'silent' }) };
  const hour = 3_600_000;

  assert.deepEqual(await removeExpiredSweeps(deps, hour), [], 'a sweep that ended just now is kept');
  assert.deepEqual(await removeExpiredSweeps(deps, 0, Date.now() + 1000 * hour), [], '0 keeps sweeps forever');
  // The first test's cancelled sweep shares this prefix, and goes too.
  const removed = await removeExpiredSweeps(deps, hour, Date.now() + 2 * hour);
  assert.ok(removed.includes(ended.id) && !removed.includes(running.id), JSON.stringify(removed));
  assert.equal(await store.find(ended.id), null);
  assert.deepEqual(await store.trials(ended.id), []);
  assert.equal(await store.trialOfJob('job_store0000003'), null, "its trials' jobs no longer name it");
  assert.equal(await redis.client.exists(registryKeys(redis.prefix).sweepTrials(ended.id)), 0);
  assert.deepEqual((await store.list()).map((s) => s.id).filter((id) => [ended.id, running.id].includes(id)), [running.id], 'a running sweep stays, however old');
  assert.equal(await store.delete(running.id), false, 'a running sweep is never removed');
  await store.transition(running.id, 'cancelled', ['running']);
  await store.settled(running.id);
});

test('exclusive runs one step at a time, and once more for a caller that found the sweep taken', async () => {
  let running = 0;
  let most = 0;
  let steps = 0;
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const step = async (wait?: Promise<void>) => {
    running += 1;
    most = Math.max(most, running);
    steps += 1;
    await wait;
    running -= 1;
  };
  const first = store.exclusive('swp_store000002', () => step(steps === 0 ? held : undefined));
  // The first holds the sweep until released; the second finds it taken and leaves its mark.
  while (steps === 0) await new Promise((r) => setTimeout(r, 5));
  await store.exclusive('swp_store000002', () => step());
  assert.equal(steps, 1, 'the second caller did not run a step of its own while the first held the sweep');
  release();
  await first;
  assert.equal(steps, 2, 'the holder ran the step again for the caller that came meanwhile');
  assert.equal(most, 1);
});
