import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { rawRequest } from '../support/raw-http.js';
import { IRIS, NEW_FLOWERS } from '../support/seed.js';
import { startService, type TestService } from '../support/service.js';

let service: TestService;
// The seed flow, run once: every test below reads what it left and changes nothing it reads.
let created: { status: number; body: any };
let submitted: { status: number; body: any };
let stream: { status: number; contentType: string; text: string };
let trained: any;

before(async () => {
  service = await startService();
  created = await service.request('POST', '/v1/models', IRIS);
  submitted = await service.request('POST', '/v1/jobs', {
    model: 'iris',
    dataset: { builtin: 'iris' },
    fit: { epochs: 300, batch_size: 32, validation_split: 0.1 },
  });
  const events = await fetch(`${service.url}/v1/jobs/${submitted.body.id}/events`);
  stream = { status: events.status, contentType: events.headers.get('content-type') ?? '', text: await events.text() };
  trained = await service.waitForJob(submitted.body.id);
});
after(async () => {
  await service.close();
});

test('the seed Iris model is accepted without an input shape', () => {
  assert.equal(created.status, 201);
  assert.equal(created.body.name, 'iris');
  assert.equal(created.body.input_shape, null);
  assert.equal(created.body.summary, null, 'no summary before the data gives the input shape');
});

test('training on builtin iris for 300 epochs completes, streaming one epoch event per epoch', () => {
  assert.equal(submitted.status, 202);
  assert.equal(submitted.body.status, 'queued');

  assert.equal(stream.status, 200);
  assert.match(stream.contentType, /text\/event-stream/);
  const epochEvents = stream.text.split('\n\n').filter((chunk) => chunk.startsWith('event: epoch'));
  assert.equal(epochEvents.length, 300);
  assert.match(stream.text.trim().split('\n\n').at(-1) ?? '', /^event: status\ndata: .*"status":"completed"/);

  const job = trained;
  assert.equal(job.status, 'completed', JSON.stringify(job.error));
  assert.equal(job.version, 1);
  assert.deepEqual(job.progress, { epoch: 300, epochs: 300 });
  assert.deepEqual(Object.keys(job.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
  assert.equal(job.history.loss.length, 300);
  assert.equal(job.backend.name, tf.getBackend());
  const accuracy = job.history.accuracy.at(-1);
  assert.ok(accuracy >= 0.9, `training accuracy ${accuracy} < 0.9`);
});

test('the trained version has Keras numbers: summary, metrics, shapes', async () => {
  const { body: model } = await service.request('GET', '/v1/models/iris');
  assert.deepEqual(model.input_shape, [4]);
  assert.equal(model.summary.total_params, 67);
  const { status, body: version } = await service.request('GET', '/v1/models/iris/versions/1');
  assert.equal(status, 200);
  assert.equal(version.summary.total_params, 67);
  assert.deepEqual(version.input_shape, [4]);
  assert.deepEqual(version.output_shape, [3]);
  assert.deepEqual(version.class_names, ['setosa', 'versicolor', 'virginica']);
  assert.ok(typeof version.metrics.val_accuracy === 'number');
  const { body: list } = await service.request('GET', '/v1/models/iris/versions');
  assert.deepEqual(list.versions.map((v: { version: number }) => v.version), [1]);
});

test("predicting the seed's three new flowers: the first is setosa", async () => {
  const { status, body } = await service.request('POST', '/v1/models/iris/predict', { instances: NEW_FLOWERS });
  assert.equal(status, 200);
  assert.equal(body.model, 'iris');
  assert.equal(body.version, 1);
  assert.equal(body.predictions.length, 3);
  for (const row of body.predictions) {
    assert.equal(row.length, 3);
    assert.ok(Math.abs(row.reduce((a: number, b: number) => a + b, 0) - 1) < 1e-4, 'softmax rows sum to 1');
  }
  assert.equal(body.classes[0], 'setosa');
});

test('inspect gives one output per layer and the last equals predict', async () => {
  const { body: inspected } = await service.request('POST', '/v1/models/iris/inspect', { instances: NEW_FLOWERS });
  assert.deepEqual(inspected.layers.map((l: { type: string }) => l.type), ['Dense', 'Activation', 'Dense', 'Activation']);
  const { body: predicted } = await service.request('POST', '/v1/models/iris/predict', { instances: NEW_FLOWERS });
  assert.deepEqual(inspected.layers.at(-1).output, predicted.predictions);
});

test('layers?weights=true gives the first Dense kernel [4,8] and bias [8], and x @ kernel + bias is its output', async () => {
  const { status, body } = await service.request('GET', '/v1/models/iris/layers?weights=true');
  assert.equal(status, 200);
  const dense = body.layers[0];
  assert.equal(dense.type, 'Dense');
  assert.equal(dense.params, 40);
  assert.equal(dense.config.units, 8, "the layer's config uses Keras's argument names");
  assert.equal(dense.config.use_bias, true);
  assert.equal(dense.config.name, 'dense');
  const kernel = dense.weights.find((w: { name: string }) => w.name === 'kernel');
  const bias = dense.weights.find((w: { name: string }) => w.name === 'bias');
  assert.deepEqual(kernel.shape, [4, 8]);
  assert.deepEqual(bias.shape, [8]);

  const { body: inspected } = await service.request('POST', '/v1/models/iris/inspect', { instances: NEW_FLOWERS });
  const denseOutput: number[][] = inspected.layers[0].output;
  NEW_FLOWERS.forEach((x, row) => {
    for (let j = 0; j < 8; j++) {
      const expected = x.reduce((sum, xi, i) => sum + xi * kernel.values[i][j], bias.values[j]);
      assert.ok(Math.abs(expected - (denseOutput[row]?.[j] ?? NaN)) < 1e-4, `row ${row} unit ${j}: ${expected} vs ${denseOutput[row]?.[j]}`);
    }
  });
  const { body: withoutValues } = await service.request('GET', '/v1/models/iris/layers');
  assert.equal(withoutValues.layers[0].weights[0].values, undefined);
});

test('evaluate reports Keras-named loss and accuracy', async () => {
  const { status, body } = await service.request('POST', '/v1/models/iris/evaluate', { dataset: { builtin: 'iris' } });
  assert.equal(status, 200);
  assert.equal(body.samples, 150);
  assert.deepEqual(Object.keys(body.metrics).sort(), ['accuracy', 'loss']);
  assert.ok(body.metrics.accuracy > 0.8);
});

test('the artifact loads with tf.loadLayersModel and predicts the same', async () => {
  const before = tf.memory().numTensors;
  const model = await tf.loadLayersModel(`${service.url}/v1/models/iris/versions/1/artifact`);
  const predicted = tf.tidy(() => (model.predict(tf.tensor2d(NEW_FLOWERS)) as tf.Tensor).arraySync() as number[][]);
  model.dispose();
  assert.equal(tf.memory().numTensors, before);
  const { body } = await service.request('POST', '/v1/models/iris/predict', { instances: NEW_FLOWERS });
  predicted.forEach((row, i) => row.forEach((p, j) => assert.ok(Math.abs(p - body.predictions[i][j]) < 1e-5)));
});

test('jobs list by model and status', async () => {
  const { body } = await service.request('GET', '/v1/jobs?model=iris&status=completed');
  assert.deepEqual(body.jobs.map((j: { id: string }) => j.id), [submitted.body.id]);
  const { body: none } = await service.request('GET', '/v1/jobs?status=failed');
  assert.deepEqual(none.jobs, []);
});

test('the event stream of a finished job replays its epochs and closes, with the request id', async () => {
  const response = await fetch(`${service.url}/v1/jobs/${submitted.body.id}/events`, { headers: { 'x-request-id': 'replay-1' } });
  assert.equal(response.headers.get('x-request-id'), 'replay-1');
  const chunks = (await response.text()).trim().split('\n\n');
  assert.match(chunks[0] ?? '', /^event: status\ndata: .*"completed"/);
  assert.equal(chunks.filter((chunk) => chunk.startsWith('event: epoch')).length, 300);
});

test('the event stream honours a client that asks to close the connection', async () => {
  const response = await rawRequest(service.url, `GET /v1/jobs/${submitted.body.id}/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  assert.equal(response.status, 200);
  // A forced keep-alive held this socket open until the server's keep-alive timeout, 72 s.
  assert.equal(response.headers.connection, 'close');
  assert.match(response.body, /\r\n0\r\n\r\n$/, 'the chunked body ends');
});

test('instances of the wrong shape are a 400 naming what was expected and found', async () => {
  const { status, body } = await service.request('POST', '/v1/models/iris/predict', { instances: [[5.1, 3.5, 1.4]] });
  assert.equal(status, 400);
  assert.equal(body.error.code, 'validation_error');
  assert.match(body.error.message, /\[4\].*\[3\]/);
});

for (const engine of ['eager', 'graph'] as const) test(`early stopping on the ${engine} engine ends a job when the monitored loss stops improving, as Keras does`, async () => {
  // A model of its own, so the shared iris model keeps one version and one job.
  const name = `iris-early-stopping-${engine}`;
  const model = await service.request('POST', '/v1/models', { ...IRIS, name });
  assert.equal(model.status, 201);
  const { body } = await service.request('POST', '/v1/jobs', {
    model: name,
    dataset: { builtin: 'iris' },
    fit: { epochs: 50, engine },
    // No epoch improves the loss by 10: Keras stops after the second epoch (patience 0, never on the first).
    early_stopping: { monitor: 'loss', min_delta: 10, patience: 0, restore_best_weights: true },
  });
  const job = await service.waitForJob(body.id);
  assert.equal(job.status, 'completed', JSON.stringify(job.error));
  assert.equal(job.engine, engine);
  assert.equal(job.history.loss.length, 2);
  assert.equal(job.version, 1);
});
