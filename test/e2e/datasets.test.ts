import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { loadDataset } from '../../src/registry/dataset-loader.js';
import { startService, type TestService } from '../support/service.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/numpy/${name}`, import.meta.url));

let service: TestService;

before(async () => {
  service = await startService({ env: { UPLOAD_LIMIT: String(2 * 1024 * 1024) } });
});
after(async () => {
  await service.close();
});

async function upload(path: string, body: NonNullable<RequestInit['body']>, contentType?: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${service.url}${path}`, {
    method: 'POST',
    body,
    headers: contentType ? { 'content-type': contentType } : {},
    duplex: 'half',
  } as RequestInit);
  return { status: response.status, body: await response.json() };
}

async function stored(id: string) {
  const dataset = await loadDataset({ datasets: service.stores.datasets, artifacts: service.artifacts }, { id });
  return { x: Array.from(dataset.x.data), y: Array.from(dataset.y.data), xShape: dataset.x.shape, yShape: dataset.y.shape, dataset };
}

describe('uploads in every format round-trip exactly', () => {
  test('JSON', async () => {
    const x = [[0.1, 2.5], [3.25, -4], [1e-7, 123456.78]];
    const y = [1, 0, 1];
    const { status, body } = await service.request('POST', '/v1/datasets', { name: 'json-set', x, y, class_names: ['no', 'yes'] });
    assert.equal(status, 201, JSON.stringify(body));
    assert.equal(body.rows, 3);
    assert.deepEqual(body.x_shape, [2], 'x_shape is one sample\'s shape, as a built-in\'s');
    assert.deepEqual(body.y_shape, []);
    assert.deepEqual(body.class_names, ['no', 'yes']);
    assert.match(body.checksum, /^[0-9a-f]{64}$/);
    const back = await stored(body.id);
    assert.deepEqual(back.x, x.flat().map((v) => Math.fround(v)));
    assert.deepEqual(back.y, y);
    const got = await service.request('GET', `/v1/datasets/${body.id}`);
    assert.deepEqual(got.body, body);
    const listed = await service.request('GET', '/v1/datasets');
    assert.ok(listed.body.datasets.some((d: { id: string }) => d.id === body.id));
    assert.deepEqual(listed.body.builtin.map((d: { name: string }) => d.name), ['iris', 'mnist', 'california_housing']);
  });

  test('CSV with a text label column: class indices with the names kept', async () => {
    const csv = 'length,width,kind\n1.5,0.25,cat\n2,3.5,dog\n-1,4,cat\n';
    const { status, body } = await upload('/v1/datasets?name=pets&target=kind', csv, 'text/csv');
    assert.equal(status, 201, JSON.stringify(body));
    assert.deepEqual(body.class_names, ['cat', 'dog']);
    assert.deepEqual(body.column_names, ['length', 'width']);
    const back = await stored(body.id);
    assert.deepEqual(back.x, [1.5, 0.25, 2, 3.5, -1, 4]);
    assert.deepEqual(back.y, [0, 1, 0]);
  });

  test('.npz as np.savez writes it', async () => {
    const { status, body } = await upload('/v1/datasets?name=npz-set', fixture('savez.npz'), 'application/octet-stream');
    assert.equal(status, 201, JSON.stringify(body));
    const back = await stored(body.id);
    assert.deepEqual(back.x, [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]);
    assert.deepEqual(back.xShape, [4, 2]);
    assert.deepEqual(back.y, [0, 1, 1, 0]);
  });

  test('multipart with x and y .npy files', async () => {
    const form = new FormData();
    form.append('name', 'npy-pair');
    form.append('x', new Blob([fixture('float32.npy')]), 'x.npy');
    form.append('y', new Blob([fixture('int32.npy')]), 'y.npy');
    const { status, body } = await upload('/v1/datasets', form);
    assert.equal(status, 201, JSON.stringify(body));
    const back = await stored(body.id);
    assert.deepEqual(back.xShape, [2, 3]);
    assert.deepEqual(back.x, [0.1, -2.5, 3.000000085396614e-38, 1.0000000150474662e30, 0, -0].map((v) => Math.fround(v)));
  });
});

describe('bad data, each a clear 4xx', () => {
  const cases: [string, () => Promise<{ status: number; body: any }>, number, RegExp][] = [
    ['ragged rows', () => service.request('POST', '/v1/datasets', { name: 'r', x: [[1, 2], [3]], y: [0, 1] }), 400, /x\[1\].*ragged/],
    ['x and y lengths differ', () => service.request('POST', '/v1/datasets', { name: 'l', x: [[1], [2]], y: [0] }), 400, /y/],
    ['no rows', () => service.request('POST', '/v1/datasets', { name: 'e', x: [], y: [] }), 400, /no rows|at least one/],
    ['a non-numeric CSV cell, row and column named', () => upload('/v1/datasets?name=c&target=y', 'a,y\n1,0\nabc2,1\n2,0\n', 'text/csv'), 400, /row 2.*"a"|"a".*row 2/],
    ['a text feature column', () => upload('/v1/datasets?name=t&target=y', 'a,y\nfoo,0\nbar,1\n', 'text/csv'), 400, /"?a"?/],
    ['a CSV without the target column', () => upload('/v1/datasets?name=m&target=label', 'a,b\n1,2\n', 'text/csv'), 400, /label/],
    ['NaN in NumPy data', () => multipartPair('float32-nan.npy', 'int32.npy'), 400, /NaN/i],
    ['a Fortran-order array, by name', () => multipartPair('fortran.npy', 'int32.npy'), 400, /Fortran/],
    ['an object array, by name', () => multipartPair('object.npy', 'int32.npy'), 400, /object/i],
    ['an unsupported content type', () => upload('/v1/datasets?name=u', 'x', 'text/plain'), 415, /text\/plain/],
  ];
  for (const [name, send, status, message] of cases) {
    test(name, async () => {
      const response = await send();
      assert.equal(response.status, status, JSON.stringify(response.body));
      assert.equal(typeof response.body.error.code, 'string');
      assert.match(response.body.error.message, message);
    });
  }

  async function multipartPair(x: string, y: string) {
    const form = new FormData();
    form.append('name', `pair-${x}`);
    form.append('x', new Blob([fixture(x)]), 'x.npy');
    form.append('y', new Blob([fixture(y)]), 'y.npy');
    return upload('/v1/datasets', form);
  }
});

test('an upload over the limit is refused with 413 while it streams, without memory growing by its size', async () => {
  const chunk = Buffer.from('1,2,3,4,5,6,7,8\n'.repeat(4096));
  const total = 200 * 1024 * 1024;
  const rssBefore = process.memoryUsage().rss;
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
  const response = await upload('/v1/datasets?name=huge&target=a', body, 'text/csv').catch((error: Error) => ({ status: 0, body: error.message }));
  assert.equal(response.status, 413, JSON.stringify(response.body));
  assert.equal(response.body.error.code, 'payload_too_large');
  const growth = process.memoryUsage().rss - rssBefore;
  assert.ok(growth < 100 * 1024 * 1024, `RSS grew by ${Math.round(growth / 1e6)} MB for a ${total / 1e6} MB upload`);
  assert.equal((await service.request('GET', '/v1/datasets/huge')).status, 404);
});

test('a job on a CSV with a text label predicts class names', async () => {
  const rows = ['x1,x2,animal'];
  for (let i = 0; i < 60; i++) rows.push(i % 2 ? `${5 + (i % 7) / 10},${1 + (i % 3) / 10},dog` : `${-5 - (i % 5) / 10},${-1 - (i % 4) / 10},cat`);
  const uploaded = await upload('/v1/datasets?name=animals&target=animal', `${rows.join('\n')}\n`, 'text/csv');
  assert.equal(uploaded.status, 201, JSON.stringify(uploaded.body));
  const job = await service.request('POST', '/v1/jobs', {
    model: {
      name: 'animal-classifier',
      architecture: { type: 'sequential', layers: [{ type: 'Dense', units: 2, activation: 'softmax' }] },
      compile: { optimizer: { type: 'adam', learning_rate: 0.05 }, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
    },
    dataset: { id: 'animals' },
    fit: { epochs: 20, batch_size: 8 },
  });
  assert.equal(job.status, 202, JSON.stringify(job.body));
  const done = await service.waitForJob(job.body.id);
  assert.equal(done.status, 'completed', JSON.stringify(done.error));
  const predicted = await service.request('POST', '/v1/models/animal-classifier/predict', { instances: [[5.5, 1.2], [-5.2, -1.1]] });
  assert.deepEqual(predicted.body.classes, ['dog', 'cat']);
});

test('labels that cannot fit the loss are refused at submit time when the data is at hand', async () => {
  const response = await service.request('POST', '/v1/jobs', {
    model: {
      name: 'two-units',
      architecture: { type: 'sequential', layers: [{ type: 'Dense', units: 2, activation: 'softmax' }] },
      compile: { loss: 'sparse_categorical_crossentropy' },
    },
    dataset: { x: [[1], [2], [3]], y: [0, 1, 5] },
  });
  assert.equal(response.status, 400);
  assert.equal(response.body.error.details[0].path, 'dataset.y');
  assert.match(response.body.error.message, /label 5/);
  const builtin = await service.request('POST', '/v1/jobs', { model: 'two-units', dataset: { builtin: 'iris' } });
  assert.equal(builtin.status, 400, 'iris has 3 classes, the model 2 units');
});

test('california_housing trains and evaluates as a built-in, with no upload', async () => {
  const model = await service.request('POST', '/v1/models', {
    name: 'housing-linear',
    architecture: { type: 'sequential', layers: [{ type: 'Dense', units: 1 }] },
    compile: { loss: 'mse', metrics: ['mae'] },
  });
  assert.equal(model.status, 201);
  const job = await service.request('POST', '/v1/jobs', {
    model: 'housing-linear',
    dataset: { builtin: 'california_housing', split: 'train', limit: 400 },
    fit: { epochs: 2, validation_split: 0.25 },
    preprocessing: { standardize: true },
  });
  assert.equal(job.status, 202);
  const done = await service.waitForJob(job.body.id);
  assert.equal(done.status, 'completed', JSON.stringify(done.error));
  assert.deepEqual(Object.keys(done.history).sort(), ['loss', 'mae', 'val_loss', 'val_mae']);
  const evaluated = await service.request('POST', '/v1/models/housing-linear/evaluate', { dataset: { builtin: 'california_housing', split: 'test', limit: 100 } });
  assert.equal(evaluated.status, 200);
  assert.ok(Number.isFinite(evaluated.body.metrics.loss) && evaluated.body.metrics.loss > 0);
  const wrongSplit = await service.request('POST', '/v1/jobs', { model: 'housing-linear', dataset: { builtin: 'iris', split: 'all' } });
  assert.equal(wrongSplit.status, 400);
  assert.equal(wrongSplit.body.error.details[0].path, 'dataset.split');
});

test('deleting a dataset: 409 while a job uses it, then 204 and 404', async () => {
  const uploaded = await service.request('POST', '/v1/datasets', { name: 'in-use', x: [[1], [2], [3], [4]], y: [1, 2, 3, 4] });
  const model = await service.request('POST', '/v1/models', {
    name: 'slow-regression',
    architecture: { type: 'sequential', layers: [{ type: 'Dense', units: 1 }] },
    compile: { loss: 'mse' },
  });
  assert.equal(model.status, 201);
  const job = await service.request('POST', '/v1/jobs', { model: 'slow-regression', dataset: { id: uploaded.body.id }, fit: { epochs: 3000, batch_size: 1 } });
  assert.equal(job.status, 202);
  const refused = await service.request('DELETE', `/v1/datasets/${uploaded.body.id}`);
  assert.equal(refused.status, 409);
  assert.equal(refused.body.error.code, 'conflict');
  await service.request('POST', `/v1/jobs/${job.body.id}/cancel`);
  await service.waitForJob(job.body.id);
  assert.equal((await service.request('DELETE', `/v1/datasets/${uploaded.body.id}`)).status, 204);
  assert.equal((await service.request('GET', `/v1/datasets/${uploaded.body.id}`)).status, 404);
});

test('predicting raw features on a standardize version equals predicting pre-standardized features on a model trained on them', async () => {
  const raw = Array.from({ length: 48 }, (_, i) => [i * 10 + 3, (i % 7) / 100, 500 - i * 3]);
  const y = raw.map(([a, b, c]) => (a ?? 0) * 0.01 + (b ?? 0) * 20 - (c ?? 0) * 0.002);
  // StandardScaler by hand: per-feature mean and population standard deviation.
  const mean = [0, 1, 2].map((j) => raw.reduce((sum, row) => sum + (row[j] ?? 0), 0) / raw.length);
  const std = [0, 1, 2].map((j) => Math.sqrt(raw.reduce((sum, row) => sum + ((row[j] ?? 0) - (mean[j] ?? 0)) ** 2, 0) / raw.length));
  const scaled = raw.map((row) => row.map((v, j) => (v - (mean[j] ?? 0)) / (std[j] ?? 1)));
  const seeded = (seed: number) => ({ class_name: 'GlorotUniform', config: { seed } });
  const definition = (name: string) => ({
    name,
    architecture: {
      type: 'sequential',
      input_shape: [3],
      layers: [
        { type: 'Dense', units: 4, activation: 'tanh', kernel_initializer: seeded(7) },
        { type: 'Dense', units: 1, kernel_initializer: seeded(11) },
      ],
    },
    compile: { optimizer: { type: 'sgd', learning_rate: 0.05 }, loss: 'mse' },
  });
  const fit = { epochs: 5, batch_size: 8, shuffle: false };
  for (const [name, x, preprocessing] of [
    ['with-standardize', raw, { standardize: true }],
    ['pre-standardized', scaled, undefined],
  ] as const) {
    assert.equal((await service.request('POST', '/v1/models', definition(name))).status, 201);
    const job = await service.request('POST', '/v1/jobs', { model: name, dataset: { x, y }, fit, ...(preprocessing ? { preprocessing } : {}) });
    assert.equal((await service.waitForJob(job.body.id)).status, 'completed');
  }
  const probe = [[15, 0.03, 470], [333, 0.06, 380]];
  const viaVersion = await service.request('POST', '/v1/models/with-standardize/predict', { instances: probe });
  const viaScaled = await service.request('POST', '/v1/models/pre-standardized/predict', {
    instances: probe.map((row) => row.map((v, j) => (v - (mean[j] ?? 0)) / (std[j] ?? 1))),
  });
  viaVersion.body.predictions.forEach((row: number[], i: number) =>
    assert.ok(Math.abs((row[0] ?? NaN) - viaScaled.body.predictions[i][0]) < 1e-4, `${row[0]} vs ${viaScaled.body.predictions[i][0]}`),
  );
  const version = await service.request('GET', '/v1/models/with-standardize/versions/1');
  version.body.preprocessing.standardize.mean.forEach((m: number, j: number) => assert.ok(Math.abs(m - (mean[j] ?? 0)) < 1e-9));
});
