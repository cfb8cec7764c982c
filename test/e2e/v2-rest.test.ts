import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { IRIS, IRIS_VERSION_JOBS, NEW_FLOWERS } from '../support/seed.js';
import { startService, type TestService } from '../support/service.js';

let service: TestService;
let v1: any;

before(async () => {
  service = await startService();
  assert.equal((await service.request('POST', '/v1/models', IRIS)).status, 201);
  for (const job of IRIS_VERSION_JOBS) {
    const submitted = await service.request('POST', '/v1/jobs', job);
    assert.equal((await service.waitForJob(submitted.body.id)).status, 'completed');
  }
  v1 = (await service.request('POST', '/v1/models/iris/predict', { instances: NEW_FLOWERS })).body;
});
after(async () => {
  await service.close();
});

const infer = (body: unknown, path = '/v2/models/iris/infer') => service.request('POST', path, body);
const flowers = (datatype = 'FP32', data: unknown[] = NEW_FLOWERS.flat()) => ({ inputs: [{ name: 'input', shape: [3, 4], datatype, data }] });

function close(a: number[], b: number[]): void {
  assert.equal(a.length, b.length);
  a.forEach((x, i) => assert.ok(Math.abs(x - (b[i] ?? NaN)) < 1e-6, `${x} vs ${b[i]}`));
}

test('server metadata, liveness and readiness', async () => {
  const meta = await service.request('GET', '/v2');
  assert.equal(meta.status, 200);
  assert.equal(meta.body.name, 'modelyard');
  assert.match(meta.body.version, /^\d+\.\d+\.\d+/);
  assert.deepEqual(meta.body.extensions, []);
  assert.deepEqual((await service.request('GET', '/v2/health/live')).body, { live: true });
  const ready = await service.request('GET', '/v2/health/ready');
  assert.equal(ready.status, 200);
  assert.deepEqual(ready.body, { ready: true });
});

test("model metadata gives the trained version's input and outputs with datatype and shape", async () => {
  const { status, body } = await service.request('GET', '/v2/models/iris');
  assert.equal(status, 200);
  assert.deepEqual(body, {
    name: 'iris',
    versions: ['2'],
    platform: 'tensorflowjs_layers',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
    outputs: [
      { name: 'output', datatype: 'FP32', shape: [-1, 3] },
      { name: 'classes', datatype: 'BYTES', shape: [-1] },
    ],
  });
  const first = await service.request('GET', '/v2/models/iris/versions/1');
  assert.equal(first.status, 200);
  assert.deepEqual(first.body.versions, ['1']);
});

test('a model version is ready once loaded; an unknown one is a 404', async () => {
  const ready = await service.request('GET', '/v2/models/iris/ready');
  assert.equal(ready.status, 200);
  assert.deepEqual(ready.body, { name: 'iris', version: '2', ready: true });
  assert.equal((await service.request('GET', '/v2/models/iris/versions/1/ready')).body.version, '1');
  const missing = await service.request('GET', '/v2/models/iris/versions/9/ready');
  assert.equal(missing.status, 404);
  assert.equal(typeof missing.body.error, 'string');
});

test('infer with flat FP32 data gives what /v1 predict gives, with the standardization stored with the version', async () => {
  const { status, body } = await infer({ id: 'req-1', ...flowers() });
  assert.equal(status, 200);
  assert.equal(body.model_name, 'iris');
  assert.equal(body.model_version, '2');
  assert.equal(body.id, 'req-1');
  const [output, classes] = body.outputs;
  assert.deepEqual({ ...output, data: undefined }, { name: 'output', datatype: 'FP32', shape: [3, 3], data: undefined });
  close(output.data, v1.predictions.flat());
  assert.deepEqual(classes, { name: 'classes', datatype: 'BYTES', shape: [3], data: v1.classes });
});

test('nested data and every accepted datatype convert to the same input', async () => {
  const whole = [[5, 3, 1, 0], [6, 3, 4, 1], [6, 3, 5, 2]];
  const reference = (await infer(flowers('FP32', whole.flat()))).body.outputs[0].data;
  for (const datatype of ['FP64', 'INT32', 'INT64', 'UINT8']) {
    for (const data of [whole.flat(), whole]) {
      const { status, body } = await infer(flowers(datatype, data));
      assert.equal(status, 200, `${datatype}: ${JSON.stringify(body)}`);
      close(body.outputs[0].data, reference);
    }
  }
  const bools = [[true, false, true, false], [false, false, true, true], [true, true, true, true]];
  const asNumbers = (await infer(flowers('FP32', bools.flat().map(Number)))).body.outputs[0].data;
  const { status, body } = await infer(flowers('BOOL', bools));
  assert.equal(status, 200);
  close(body.outputs[0].data, asNumbers);
});

test('requested outputs: only those, in the order asked', async () => {
  const { body } = await infer({ ...flowers(), outputs: [{ name: 'classes' }] });
  assert.deepEqual(body.outputs.map((o: { name: string }) => o.name), ['classes']);
  const both = await infer({ ...flowers(), outputs: [{ name: 'classes' }, { name: 'output' }] });
  assert.deepEqual(both.body.outputs.map((o: { name: string }) => o.name), ['classes', 'output']);
});

test('a version in the path is the version that answers', async () => {
  const { status, body } = await infer(flowers(), '/v2/models/iris/versions/1/infer');
  assert.equal(status, 200);
  assert.equal(body.model_version, '1');
  const { body: first } = await service.request('POST', '/v1/models/iris/predict', { instances: NEW_FLOWERS, version: 1 });
  close(body.outputs[0].data, first.predictions.flat());
});

test("errors come in the protocol's body, with their status", async () => {
  const cases: [string, unknown, number, RegExp][] = [
    ['/v2/models/nobody/infer', flowers(), 404, /model 'nobody' not found/],
    ['/v2/models/iris/versions/7/infer', flowers(), 404, /no version 7/],
    ['/v2/models/iris/versions/x/infer', flowers(), 404, /no version 'x'/],
    ['/v2/models/iris/infer', { inputs: [{ name: 'input', shape: [3, 5], datatype: 'FP32', data: new Array(15).fill(0) }] }, 400, /expected shape \[-1, 4\], found \[3, 5\]/],
    ['/v2/models/iris/infer', flowers('FP16'), 400, /unsupported datatype FP16/],
    ['/v2/models/iris/infer', flowers('UINT8', [...NEW_FLOWERS.flat().map(() => 1).slice(1), 300]), 400, /element 11: expected an integer from 0 to 255 for UINT8, found 300/],
    ['/v2/models/iris/infer', flowers('INT32', NEW_FLOWERS.flat()), 400, /expected an integer/],
    ['/v2/models/iris/infer', flowers('FP32', [1, 2, 3]), 400, /holds 12 elements, found 3/],
    ['/v2/models/iris/infer', { inputs: [{ ...flowers().inputs[0], name: 'x' }] }, 400, /no input 'x'/],
    ['/v2/models/iris/infer', { ...flowers(), outputs: [{ name: 'probabilities' }] }, 400, /no output 'probabilities'/],
    ['/v2/models/iris/infer', { inputs: [] }, 400, /inputs/],
    ['/v2/models/iris/infer', '{"inputs": [', 400, /JSON/i],
  ];
  for (const [path, body, status, message] of cases) {
    const reply = await infer(body, path);
    assert.equal(reply.status, status, `${path} ${JSON.stringify(body)}: ${JSON.stringify(reply.body)}`);
    assert.deepEqual(Object.keys(reply.body), ['error']);
    assert.match(reply.body.error, message);
  }
  const metadata = await service.request('GET', '/v2/models/nobody');
  assert.equal(metadata.status, 404);
  assert.deepEqual(Object.keys(metadata.body), ['error']);
  const route = await service.request('GET', '/v2/nothing-here');
  assert.equal(route.status, 404);
  assert.deepEqual(Object.keys(route.body), ['error']);
});

test('a model with no trained version is not ready, in the same error body', async () => {
  assert.equal((await service.request('POST', '/v1/models', { ...IRIS, name: 'untrained' })).status, 201);
  const ready = await service.request('GET', '/v2/models/untrained/ready');
  assert.equal(ready.status, 409, 'not ready is a 4xx in the protocol');
  assert.match(ready.body.error, /no trained version/);
  assert.equal((await service.request('GET', '/v2/models/untrained')).status, 409);
  assert.equal((await infer(flowers(), '/v2/models/untrained/infer')).status, 409);
});

test('with API_KEYS set, the /v2 model routes need a key and health does not', async () => {
  const keyed = await startService({ env: { API_KEYS: 'sesame' }, workers: 0 });
  try {
    assert.equal((await keyed.request('GET', '/v2/health/ready')).status, 200);
    assert.equal((await keyed.request('GET', '/v2')).status, 200);
    const missing = await keyed.request('POST', '/v2/models/iris/infer', flowers());
    assert.equal(missing.status, 401);
    assert.equal(typeof missing.body.error, 'string', 'the V2 error body, as the OpenAPI document says');
    const wrong = await keyed.request('GET', '/v2/models/iris', undefined, { authorization: 'Bearer wrong' });
    assert.equal(wrong.status, 403);
    assert.equal(typeof wrong.body.error, 'string');
    assert.equal((await keyed.request('GET', '/v2/models/iris', undefined, { authorization: 'Bearer sesame' })).status, 404);
  } finally {
    await keyed.close();
  }
});
