import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { IRIS, NEW_FLOWERS } from '../support/seed.js';
import { startService, type TestService } from '../support/service.js';
import { waitUntil } from '../support/wait.js';

let service: TestService;

before(async () => {
  service = await startService({ workers: 2 });
});
after(async () => {
  await service.close();
});

/** The seed's Iris model with its optimizer spelt out, so the learning rate can vary. */
function irisModel(name: string) {
  return { ...IRIS, name, compile: { ...IRIS.compile, optimizer: { type: 'adam', learning_rate: 0.01 } } };
}

const SPACE = {
  'architecture.layers[0].units': { type: 'choice', values: [4, 8, 16] },
  'compile.optimizer.learning_rate': { type: 'choice', values: [0.05, 0.01] },
};

async function sweepEnded(id: string) {
  return waitUntil(`sweep ${id} to end`, async () => {
    const { body } = await service.request('GET', `/v1/sweeps/${id}`);
    return body.status !== 'running' && body.trials.every((t: { status: string }) => !['pending', 'queued', 'running'].includes(t.status)) ? body : undefined;
  });
}

/** Every SSE event of a stream until it closes. */
async function readEvents(path: string): Promise<{ event: string; data: any }[]> {
  const response = await fetch(`${service.url}${path}`);
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const [event, data] = block.split('\n');
      return { event: (event ?? '').slice('event: '.length), data: JSON.parse((data ?? '').slice('data: '.length)) };
    });
}

test('a grid of 6 Iris trials over 2 workers completes, finds the best trial, and promote makes it the served latest', async () => {
  assert.equal((await service.request('POST', '/v1/models', irisModel('iris-grid'))).status, 201);
  const created = await service.request('POST', '/v1/sweeps', {
    model: 'iris-grid',
    dataset: { builtin: 'iris' },
    fit: { epochs: 4, batch_size: 16, validation_split: 0.2 },
    preprocessing: { standardize: true },
    space: SPACE,
    strategy: 'grid',
    parallelism: 2,
    objective: { metric: 'val_loss' },
  });
  assert.equal(created.status, 202, JSON.stringify(created.body));
  assert.equal(created.body.objective.mode, 'min');
  assert.equal(created.body.trials.length, 6);
  assert.deepEqual(created.body.trials[1].params, { 'architecture.layers[0].units': 4, 'compile.optimizer.learning_rate': 0.01 });
  assert.ok(created.body.trial_counts.queued + created.body.trial_counts.running <= 2);
  const events = readEvents(`/v1/sweeps/${created.body.id}/events`);

  const sweep = await sweepEnded(created.body.id);
  assert.equal(sweep.status, 'completed');
  assert.equal(sweep.trial_counts.completed, 6, JSON.stringify(sweep.trials));
  const objectives = sweep.trials.map((t: { objective: number }) => t.objective);
  const bestIndex = objectives.indexOf(Math.min(...objectives));
  assert.equal(sweep.best.trial, bestIndex);
  assert.equal(sweep.best.version, sweep.trials[bestIndex].version);
  assert.deepEqual(sweep.best.params, sweep.trials[bestIndex].params);
  for (const trial of sweep.trials) {
    const job = await service.request('GET', `/v1/jobs/${trial.job_id}`);
    assert.equal(job.body.status, 'completed');
    assert.equal(job.body.fit.epochs, 4);
    assert.equal(job.body.history.val_loss.at(-1), trial.objective);
  }
  const streamed = await events;
  assert.equal(streamed.at(-1)?.event, 'status');
  assert.equal(streamed.at(-1)?.data.status, 'completed');
  assert.ok(streamed.some((e) => e.event === 'epoch' && e.data.epoch === 4));

  const promoted = await service.request('POST', `/v1/sweeps/${sweep.id}/promote`);
  assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
  const model = await service.request('GET', '/v1/models/iris-grid');
  assert.equal(promoted.body.promoted_version, model.body.latest_version);
  assert.equal(model.body.latest_version, 7);
  assert.equal(model.body.definition.architecture.layers[0].units, sweep.best.params['architecture.layers[0].units']);
  assert.equal(model.body.definition.compile.optimizer.learning_rate, sweep.best.params['compile.optimizer.learning_rate']);
  const latest = await service.request('GET', '/v1/models/iris-grid/versions/7');
  const best = await service.request('GET', `/v1/models/iris-grid/versions/${sweep.best.version}`);
  assert.deepEqual(latest.body.metrics, best.body.metrics);
  const predicted = await waitUntil('the promoted version to be served', async () => {
    const reply = await service.request('POST', '/v1/models/iris-grid/predict', { instances: NEW_FLOWERS });
    return reply.body.version === 7 ? reply : undefined;
  });
  assert.equal(predicted.body.predictions.length, 3);
  assert.equal((await service.request('POST', `/v1/sweeps/${sweep.id}/promote`)).body.promoted_version, 7);
  assert.equal((await service.request('POST', `/v1/sweeps/${sweep.id}/cancel`)).status, 409);
});

test('the median rule stops a trial worse than the completed ones at the same epoch; the sweep still completes', async () => {
  assert.equal((await service.request('POST', '/v1/models', irisModel('iris-median'))).status, 201);
  // One trial at a time, so the learning one has completed before the one that barely moves is compared with it.
  const created = await service.request('POST', '/v1/sweeps', {
    model: 'iris-median',
    dataset: { builtin: 'iris' },
    fit: { epochs: 200, batch_size: 16 },
    preprocessing: { standardize: true },
    space: { 'compile.optimizer.learning_rate': { type: 'choice', values: [0.05, 1e-7] } },
    parallelism: 1,
    objective: { metric: 'loss' },
    trial_stopping: { rule: 'median', after_epochs: 2, min_trials: 1 },
  });
  assert.equal(created.status, 202, JSON.stringify(created.body));
  const sweep = await sweepEnded(created.body.id);
  assert.equal(sweep.status, 'completed');
  const [learning, stuck] = sweep.trials;
  assert.equal(learning.status, 'completed');
  assert.equal(learning.objective_history.length, 200);
  assert.equal(stuck.status, 'stopped', JSON.stringify(stuck));
  assert.equal(stuck.objective_history.length, 2);
  assert.ok(stuck.objective > learning.objective_history[1]);
  const stuckJob = (await service.request('GET', `/v1/jobs/${stuck.job_id}`)).body;
  assert.equal(stuckJob.status, 'cancelled');
  assert.ok(stuckJob.progress.epoch < 200);
  assert.equal(sweep.best.trial, 0);
});

test('cancelling a running sweep cancels its queued and running trials and queues no more; promote then has nothing', async () => {
  assert.equal((await service.request('POST', '/v1/models', irisModel('iris-cancel'))).status, 201);
  const created = await service.request('POST', '/v1/sweeps', {
    model: 'iris-cancel',
    dataset: { builtin: 'iris' },
    fit: { epochs: 5000, batch_size: 8, validation_split: 0.2 },
    space: { 'fit.batch_size': { type: 'range', min: 4, max: 9 } },
    strategy: 'random',
    seed: 7,
    max_trials: 5,
    parallelism: 2,
  });
  assert.equal(created.status, 202, JSON.stringify(created.body));
  const id = created.body.id;
  await waitUntil('a trial to run an epoch', async () => {
    const { body } = await service.request('GET', `/v1/sweeps/${id}`);
    for (const trial of body.trials.filter((t: { job_id: string | null }) => t.job_id)) {
      const job = await service.request('GET', `/v1/jobs/${trial.job_id}`);
      if (job.body.progress.epoch >= 1) return true;
    }
    return undefined;
  });
  const cancelled = await service.request('POST', `/v1/sweeps/${id}/cancel`);
  assert.equal(cancelled.status, 200);
  assert.equal(cancelled.body.status, 'cancelled');
  const sweep = await sweepEnded(id);
  assert.equal(sweep.trial_counts.cancelled, 5, JSON.stringify(sweep.trials));
  assert.equal(sweep.best, null);
  const queuedTrials = sweep.trials.filter((t: { job_id: string | null }) => t.job_id);
  assert.equal(queuedTrials.length, 2);
  for (const trial of queuedTrials) assert.equal((await service.request('GET', `/v1/jobs/${trial.job_id}`)).body.status, 'cancelled');
  assert.equal((await service.request('POST', `/v1/sweeps/${id}/cancel`)).status, 409);
  const promote = await service.request('POST', `/v1/sweeps/${id}/promote`);
  assert.equal(promote.status, 409);
  assert.equal(promote.body.error.code, 'conflict');
});

test("deleting a model cancels its sweep's trials", async () => {
  assert.equal((await service.request('POST', '/v1/models', irisModel('iris-deleted'))).status, 201);
  const created = await service.request('POST', '/v1/sweeps', {
    model: 'iris-deleted',
    dataset: { builtin: 'iris' },
    fit: { epochs: 5000, validation_split: 0.2 },
    space: { 'architecture.layers[0].units': { type: 'range', min: 2, max: 6, step: 2 } },
    parallelism: 1,
  });
  assert.equal(created.status, 202, JSON.stringify(created.body));
  const first = created.body.trials[0].job_id;
  // Training, past loading the model: a job that starts just as its model goes fails for want of it instead.
  await waitUntil('the first trial to run an epoch', async () => ((await service.request('GET', `/v1/jobs/${first}`)).body.progress.epoch >= 1 ? true : undefined));
  assert.equal((await service.request('DELETE', '/v1/models/iris-deleted')).status, 204);
  const sweep = await sweepEnded(created.body.id);
  assert.equal(sweep.status, 'cancelled');
  assert.deepEqual(
    sweep.trials.map((t: { status: string }) => t.status),
    ['cancelled', 'cancelled', 'cancelled'],
    JSON.stringify(sweep.trials),
  );
  assert.equal((await service.waitForJob(first)).status, 'cancelled');
});

test('an invalid space is refused before anything is stored or queued', async () => {
  assert.equal((await service.request('POST', '/v1/models', irisModel('iris-invalid'))).status, 201);
  const jobsBefore = (await service.request('GET', '/v1/jobs?model=iris-invalid')).body.jobs.length;
  const sweepsBefore = (await service.request('GET', '/v1/sweeps')).body.sweeps.length;
  const base = { model: 'iris-invalid', dataset: { builtin: 'iris' }, fit: { epochs: 2, validation_split: 0.2 } };

  const zeroUnits = await service.request('POST', '/v1/sweeps', { ...base, space: { 'architecture.layers[0].units': { type: 'choice', values: [8, 0] }, 'fit.batch_size': { type: 'choice', values: [8, 16] } } });
  assert.equal(zeroUnits.status, 400);
  assert.equal(zeroUnits.body.error.code, 'validation_error');
  assert.match(zeroUnits.body.error.message, /architecture\.layers\[0\]\.units=0/);
  assert.ok(zeroUnits.body.error.details.some((d: { path: string }) => d.path === 'architecture.layers[0].units'), JSON.stringify(zeroUnits.body));

  const missing = await service.request('POST', '/v1/sweeps', { ...base, space: { 'architecture.layers[9].units': { type: 'choice', values: [8] } } });
  assert.equal(missing.status, 400);
  assert.equal(missing.body.error.details[0].path, 'space.architecture.layers[9].units');

  const continuous = await service.request('POST', '/v1/sweeps', { ...base, space: { 'compile.optimizer.learning_rate': { type: 'log_uniform', min: 0.0001, max: 0.1 } } });
  assert.equal(continuous.status, 400);
  assert.match(continuous.body.error.message, /random/);

  const badEdge = await service.request('POST', '/v1/sweeps', { ...base, strategy: 'random', seed: 1, max_trials: 1, space: { 'fit.validation_split': { type: 'uniform', min: 0.1, max: 1 } } });
  assert.equal(badEdge.status, 400);
  assert.match(badEdge.body.error.message, /fit\.validation_split=1/);

  const noValidation = await service.request('POST', '/v1/sweeps', { ...base, fit: { epochs: 2 }, space: { 'fit.batch_size': { type: 'choice', values: [8] } } });
  assert.equal(noValidation.status, 400);
  assert.match(noValidation.body.error.message, /validation_split/);

  assert.equal((await service.request('GET', '/v1/jobs?model=iris-invalid')).body.jobs.length, jobsBefore);
  assert.equal((await service.request('GET', '/v1/sweeps')).body.sweeps.length, sweepsBefore);
  assert.equal((await service.request('GET', '/v1/models/iris-invalid')).body.latest_version, 0);
});
