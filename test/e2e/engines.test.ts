import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { IRIS, NEW_FLOWERS } from '../support/seed.js';
import { startService, type TestService } from '../support/service.js';

let service: TestService;

before(async () => {
  service = await startService();
  const created = await service.request('POST', '/v1/models', IRIS);
  assert.equal(created.status, 201, JSON.stringify(created.body));
});
after(async () => {
  await service.close();
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Embedding and LSTM, which the graph engine unrolls; with mask_zero the mask does not lower yet. */
const sequenceModel = (name: string, maskZero = false) => ({
  name,
  architecture: {
    type: 'sequential',
    input_shape: [5],
    layers: [
      { type: 'Embedding', input_dim: 10, output_dim: 4, mask_zero: maskZero },
      { type: 'LSTM', units: 6 },
      { type: 'Dense', units: 2, activation: 'softmax' },
    ],
  },
  compile: { optimizer: { type: 'adam', learning_rate: 0.02 }, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
});
// Class 1 when the sequence starts with a token of 5 or more.
const sequences = {
  x: Array.from({ length: 40 }, (_, i) => Array.from({ length: 5 }, (_, t) => (i * 7 + t * 3 + ((i * t) % 4)) % 10)),
  y: Array.from({ length: 40 }, (_, i) => ((i * 7) % 10 >= 5 ? 1 : 0)),
};

test('fit.engine "graph": Iris trains on the graph engine, the record says so, and the version predicts', async () => {
  const submitted = await service.request('POST', '/v1/jobs', {
    model: 'iris',
    dataset: { builtin: 'iris' },
    fit: { epochs: 150, batch_size: 16, validation_split: 0.1, engine: 'graph' },
  });
  assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
  assert.equal(submitted.body.fit.engine, 'graph');
  const job = await service.waitForJob(submitted.body.id, 240_000);
  assert.equal(job.status, 'completed', JSON.stringify(job.error));
  assert.equal(job.engine, 'graph');
  assert.equal(job.engine_note, null);
  assert.deepEqual(Object.keys(job.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
  assert.equal(job.history.loss.length, 150);
  assert.ok(job.history.loss.at(-1) < job.history.loss[0], `loss ${job.history.loss[0]} → ${job.history.loss.at(-1)}`);
  assert.ok(job.history.accuracy.at(-1) >= 0.9, `training accuracy ${job.history.accuracy.at(-1)} < 0.9`);

  const { status, body } = await service.request('POST', '/v1/models/iris/predict', { instances: NEW_FLOWERS, version: job.version });
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.predictions.length, 3);
  for (const row of body.predictions) assert.ok(Math.abs(row.reduce((a: number, b: number) => a + b, 0) - 1) < 1e-4, 'softmax rows sum to 1');
  assert.equal(body.classes[0], 'setosa');
});

test('fit.engine "graph": Embedding into an LSTM trains on the graph engine, the record says so, and the version predicts', async () => {
  const submitted = await service.request('POST', '/v1/jobs', {
    model: sequenceModel('tokens-graph-lstm'),
    dataset: sequences,
    fit: { epochs: 30, batch_size: 8, engine: 'graph' },
  });
  assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
  const job = await service.waitForJob(submitted.body.id, 240_000);
  assert.equal(job.status, 'completed', JSON.stringify(job.error));
  assert.equal(job.engine, 'graph');
  assert.equal(job.engine_note, null);
  assert.equal(job.history.loss.length, 30);
  assert.ok(job.history.loss.at(-1) < job.history.loss[0], `loss ${job.history.loss[0]} → ${job.history.loss.at(-1)}`);

  const { status, body } = await service.request('POST', '/v1/models/tokens-graph-lstm/predict', { instances: sequences.x.slice(0, 3), version: job.version });
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.predictions.length, 3);
  for (const row of body.predictions) assert.ok(Math.abs(row.reduce((a: number, b: number) => a + b, 0) - 1) < 1e-4, 'softmax rows sum to 1');
});

test('auto on a model that does not lower trains on the eager engine, and the record names the argument', async () => {
  const submitted = await service.request('POST', '/v1/jobs', { model: sequenceModel('tokens-auto', true), dataset: sequences, fit: { epochs: 2, engine: 'auto' } });
  assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
  const job = await service.waitForJob(submitted.body.id, 120_000);
  assert.equal(job.status, 'completed', JSON.stringify(job.error));
  assert.equal(job.engine, 'eager');
  assert.match(job.engine_note, /layers\[0\]\.mask_zero.*Embedding/);
});

test('fit.engine "graph" for a model that does not lower is refused at submit, naming the argument', async () => {
  const refused = await service.request('POST', '/v1/jobs', { model: sequenceModel('tokens-graph', true), dataset: sequences, fit: { epochs: 1, engine: 'graph' } });
  assert.equal(refused.status, 400, JSON.stringify(refused.body));
  assert.equal(refused.body.error.code, 'validation_error');
  assert.equal(refused.body.error.details[0].path, 'fit.engine');
  assert.match(refused.body.error.message, /mask_zero/);
});

test('fit.engine "eager" trains eagerly even when the model lowers, with no note', async () => {
  const submitted = await service.request('POST', '/v1/jobs', { model: 'iris', dataset: { builtin: 'iris' }, fit: { epochs: 2, engine: 'eager' } });
  const job = await service.waitForJob(submitted.body.id, 120_000);
  assert.equal(job.status, 'completed', JSON.stringify(job.error));
  assert.equal(job.engine, 'eager');
  assert.equal(job.engine_note, null);
});

test('an unknown engine is a 400 naming fit.engine', async () => {
  const refused = await service.request('POST', '/v1/jobs', { model: 'iris', dataset: { builtin: 'iris' }, fit: { engine: 'xla' } });
  assert.equal(refused.status, 400);
  assert.ok(refused.body.error.details.some((d: { path: string }) => d.path === 'fit.engine'), JSON.stringify(refused.body));
});

test('a training process that aborts (as a fatal TensorFlow CHECK does) fails its job with the reason; the worker and the API go on', async () => {
  const submitted = await service.request('POST', '/v1/jobs', { model: 'iris', dataset: { builtin: 'iris' }, fit: { epochs: 10_000, engine: 'graph' } });
  assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
  await waitFor(async () => (await service.request('GET', `/v1/jobs/${submitted.body.id}`)).body.progress?.epoch >= 1);
  // The worker runs in this process, so its training processes are this process's children.
  const training = execFileSync('pgrep', ['-P', String(process.pid), '-f', 'training-child'], { encoding: 'utf8' }).trim().split('\n');
  for (const pid of training) process.kill(Number(pid), 'SIGABRT');
  const crashed = await service.waitForJob(submitted.body.id, 120_000);
  assert.equal(crashed.status, 'failed');
  assert.equal(crashed.error.code, 'training_crashed');
  assert.match(crashed.error.message, /SIGABRT/);
  assert.equal(crashed.version, null);

  const health = await service.request('GET', '/v1/models/iris');
  assert.equal(health.status, 200);
  const next = await service.request('POST', '/v1/jobs', { model: 'iris', dataset: { builtin: 'iris' }, fit: { epochs: 3, engine: 'graph' } });
  const completed = await service.waitForJob(next.body.id, 120_000);
  assert.equal(completed.status, 'completed', JSON.stringify(completed.error));
  assert.equal(completed.engine, 'graph');
});
