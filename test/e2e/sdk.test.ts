import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  createClient,
  createJob,
  createModel,
  getJob,
  getModel,
  inspect,
  listLayers,
  listVersions,
  predict,
  streamJobEvents,
  uploadCsvDataset,
  type Client,
  type CreateModel,
  type JobStatus,
  type Tensor,
} from '../../sdk/index.js';
import { NEW_FLOWERS } from '../support/seed.js';
import { startService, type TestService } from '../support/service.js';

// The seed's Iris model, without an input shape: the data gives it at training time.
const IRIS: CreateModel = {
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
};
const EPOCHS = 60;

/** A batch of vectors, as a layer with a vector output gives it: the one shape these checks read. */
function vectors(tensor: Tensor): number[][] {
  return tensor.map((row) =>
    Array.isArray(row) ? row.map((value) => (typeof value === 'number' ? value : assert.fail('expected numbers'))) : assert.fail('expected a vector per sample'),
  );
}

let service: TestService;
let client: Client;

before(async () => {
  service = await startService();
  client = createClient({ baseUrl: service.url });
});
after(async () => {
  await service.close();
});

test('the Iris flow through the generated SDK: define, train, follow the events, predict, inspect, layers, versions', async () => {
  const created = await createModel({ client, body: IRIS });
  assert.equal(created.response?.status, 201, JSON.stringify(created.error));
  assert.ok(created.data);
  assert.equal(created.data.name, 'iris');
  assert.equal(created.data.input_shape, null);

  const queued = await createJob({
    client,
    body: { model: 'iris', dataset: { builtin: 'iris' }, fit: { epochs: EPOCHS, batch_size: 32, validation_split: 0.1 } },
  });
  assert.equal(queued.response?.status, 202, JSON.stringify(queued.error));
  assert.ok(queued.data);
  assert.equal(queued.data.model_id, created.data.id);

  // The stream closes itself when the job ends; its events are typed by what they carry.
  const events = await streamJobEvents({ client, path: { job: queued.data.id }, sseMaxRetryAttempts: 1 });
  const epochs: number[] = [];
  const statuses: JobStatus[] = [];
  for await (const event of events.stream) {
    if ('logs' in event) {
      epochs.push(event.epoch);
      assert.equal(typeof event.logs.loss, 'number');
    } else {
      statuses.push(event.status);
    }
  }
  assert.deepEqual(epochs, Array.from({ length: EPOCHS }, (_, i) => i + 1));
  assert.equal(statuses.at(-1), 'completed');

  const job = await getJob({ client, path: { job: queued.data.id } });
  assert.ok(job.data, JSON.stringify(job.error));
  assert.equal(job.data.status, 'completed');
  assert.equal(job.data.version, 1);
  assert.deepEqual(Object.keys(job.data.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
  assert.equal(job.data.history.loss?.length, EPOCHS);

  const predicted = await predict({ client, path: { model: 'iris' }, body: { instances: NEW_FLOWERS } });
  assert.ok(predicted.data, JSON.stringify(predicted.error));
  assert.equal(predicted.data.version, 1);
  assert.equal(predicted.data.predictions.length, 3);
  for (const probabilities of vectors(predicted.data.predictions)) {
    assert.equal(probabilities.length, 3);
    assert.ok(Math.abs(probabilities.reduce((sum, p) => sum + p, 0) - 1) < 1e-4);
  }
  assert.equal(predicted.data.classes?.length, 3);

  const inspected = await inspect({ client, path: { model: 'iris' }, body: { instances: [NEW_FLOWERS[0] ?? []] } });
  assert.ok(inspected.data, JSON.stringify(inspected.error));
  assert.deepEqual(
    inspected.data.layers.map((layer) => [layer.type, layer.output_shape]),
    [['Dense', [8]], ['Activation', [8]], ['Dense', [3]], ['Activation', [3]]],
  );
  const [relu = []] = vectors(inspected.data.layers[1]?.output ?? []);
  assert.equal(relu.length, 8);
  assert.ok(relu.every((value) => value >= 0));

  const layers = await listLayers({ client, path: { model: 'iris' }, query: { weights: true } });
  assert.ok(layers.data, JSON.stringify(layers.error));
  const [kernel, bias] = layers.data.layers[0]?.weights ?? [];
  assert.deepEqual([kernel?.name, kernel?.shape, bias?.name, bias?.shape], ['kernel', [4, 8], 'bias', [8]]);
  const values = vectors(kernel?.values ?? []);
  assert.equal(values.length, 4);
  assert.ok(values.every((row) => row.length === 8));

  const versions = await listVersions({ client, path: { model: 'iris' } });
  assert.ok(versions.data, JSON.stringify(versions.error));
  assert.deepEqual(versions.data.versions.map((version) => version.version), [1]);
  assert.equal(versions.data.versions[0]?.history.loss?.length, EPOCHS);
});

test('a CSV upload through the SDK: a text target becomes class indices with the names kept', async () => {
  const uploaded = await uploadCsvDataset({
    client,
    query: { name: 'pets', target: 'kind' },
    body: 'length,width,kind\n1.5,0.25,cat\n2,3.5,dog\n-1,4,cat\n',
  });
  assert.equal(uploaded.response?.status, 201, JSON.stringify(uploaded.error));
  assert.ok(uploaded.data);
  assert.equal(uploaded.data.name, 'pets');
  assert.equal(uploaded.data.rows, 3);
  assert.deepEqual(uploaded.data.class_names, ['cat', 'dog']);
  assert.deepEqual(uploaded.data.column_names, ['length', 'width']);
});

test('errors come back typed as the one error shape', async () => {
  const missing = await getModel({ client, path: { model: 'no-such-model' } });
  assert.equal(missing.response?.status, 404);
  assert.equal(missing.data, undefined);
  assert.ok(missing.error);
  assert.equal(missing.error.error.code, 'not_found');

  const invalid = await createModel({
    client,
    body: { name: 'bad', architecture: { type: 'sequential', layers: [{ type: 'Dense', units: 0 }] } },
  });
  assert.equal(invalid.response?.status, 400);
  assert.ok(invalid.error);
  assert.equal(invalid.error.error.code, 'validation_error');
  assert.equal(invalid.error.error.details?.[0]?.path, 'architecture.layers[0].units');
});

test('a name is usable in every route up to the length creation accepts, and refused past it', async () => {
  const longest = 'n'.repeat(128);
  const created = await createModel({ client, body: { ...IRIS, name: longest } });
  assert.equal(created.response?.status, 201, JSON.stringify(created.error));
  const found = await getModel({ client, path: { model: longest } });
  assert.equal(found.data?.name, longest, JSON.stringify(found.error));

  const tooLong = await createModel({ client, body: { ...IRIS, name: `${longest}n` } });
  assert.equal(tooLong.response?.status, 400);
  assert.equal(tooLong.error?.error.code, 'validation_error');
  assert.equal(tooLong.error?.error.details?.[0]?.path, 'name');
});
