import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createClient, type ModelyardClient, type Schemas } from '../../sdk/index.js';
import { NEW_FLOWERS } from '../support/seed.js';
import { startService, type TestService } from '../support/service.js';

// The seed's Iris model, without an input shape: the data gives it at training time.
const IRIS = {
  name: 'iris',
  architecture: {
    type: 'sequential',
    layers: [
      { type: 'Dense', units: 8 },
      { type: 'Activation', activation: 'relu' },
      { type: 'Dense', units: 3 },
      { type: 'Activation', activation: 'softmax' },
    ],
  },
  compile: { loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
} satisfies Schemas['CreateModel'];

let service: TestService;
let client: ModelyardClient;

before(async () => {
  service = await startService();
  client = createClient(service.url);
});
after(async () => {
  await service.close();
});

async function waitForJob(job: string, timeoutMs = 120_000): Promise<Schemas['Job']> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { data, error } = await client.GET('/v1/jobs/{job}', { params: { path: { job } } });
    assert.ok(data, JSON.stringify(error));
    if (data.status !== 'queued' && data.status !== 'running') return data;
    if (Date.now() > deadline) throw new Error(`job ${job} still ${data.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('the Iris flow through the generated SDK: define, train, wait, predict', async () => {
  const created = await client.POST('/v1/models', { body: IRIS });
  assert.equal(created.response.status, 201, JSON.stringify(created.error));
  assert.ok(created.data);
  assert.equal(created.data.name, 'iris');
  assert.equal(created.data.input_shape, null);

  const queued = await client.POST('/v1/jobs', {
    body: { model: 'iris', dataset: { builtin: 'iris' }, fit: { epochs: 300, validation_split: 0.1 } },
  });
  assert.equal(queued.response.status, 202, JSON.stringify(queued.error));
  assert.ok(queued.data);
  assert.equal(queued.data.model_id, created.data.id);

  const job = await waitForJob(queued.data.id);
  assert.equal(job.status, 'completed', JSON.stringify(job.error));
  assert.equal(job.version, 1);
  assert.deepEqual(job.progress, { epoch: 300, epochs: 300 });
  assert.deepEqual(Object.keys(job.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);

  const predicted = await client.POST('/v1/models/{model}/predict', {
    params: { path: { model: 'iris' } },
    body: { instances: NEW_FLOWERS },
  });
  assert.ok(predicted.data, JSON.stringify(predicted.error));
  assert.equal(predicted.data.version, 1);
  assert.equal(predicted.data.predictions.length, 3);
  assert.deepEqual(predicted.data.classes?.length, 3);
  assert.equal(predicted.data.classes?.[0], 'setosa');
});

test('errors come back typed as the one error shape', async () => {
  const { data, error, response } = await client.GET('/v1/models/{model}', { params: { path: { model: 'no-such-model' } } });
  assert.equal(response.status, 404);
  assert.equal(data, undefined);
  assert.ok(error);
  assert.equal(error.error.code, 'not_found');

  const invalid = await client.POST('/v1/models', {
    body: { name: 'bad', architecture: { type: 'sequential', layers: [{ type: 'Dense', units: 0 }] } },
  });
  assert.equal(invalid.response.status, 400);
  assert.ok(invalid.error);
  assert.equal(invalid.error.error.code, 'validation_error');
  assert.equal(invalid.error.error.details?.[0]?.path, 'architecture.layers[0].units');
});
