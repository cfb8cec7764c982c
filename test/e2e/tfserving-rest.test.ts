import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import type { Logger } from 'pino';
import { freePort } from '../../src/local-redis.js';
import { createLogger } from '../../src/logger.js';
import { IRIS, IRIS_VERSION_JOBS, NEW_FLOWERS } from '../support/seed.js';
import { startService, type TestService } from '../support/service.js';

let service: TestService;
let tfs: string;
let latest: number[][];
let first: number[][];

/** A service whose TF Serving REST API listens on a free port of its own. */
async function startWithTfServing(env: Record<string, string> = {}, workers = 1, logger?: Logger): Promise<{ service: TestService; url: string }> {
  const port = await freePort();
  const started = await startService({ env: { TFSERVING_PORT: String(port), ...env }, workers, ...(logger ? { logger } : {}) });
  return { service: started, url: `http://127.0.0.1:${port}` };
}

/** JSON over real HTTP to a TF Serving URL; a string body is sent as it is. */
async function call(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/, `${method} ${path}: ${text}`);
  return { status: response.status, body: JSON.parse(text) };
}

const predict = (body: unknown, path = '/v1/models/iris:predict') => call(tfs, 'POST', path, body);

function close(a: number[][], b: number[][]): void {
  assert.equal(a.length, b.length);
  a.forEach((row, i) => row.forEach((x, j) => assert.ok(Math.abs(x - (b[i]?.[j] ?? NaN)) < 1e-6, `[${i}][${j}]: ${x} vs ${b[i]?.[j]}`)));
}

before(async () => {
  ({ service, url: tfs } = await startWithTfServing());
  assert.equal((await service.request('POST', '/v1/models', IRIS)).status, 201);
  for (const job of IRIS_VERSION_JOBS) {
    const submitted = await service.request('POST', '/v1/jobs', job);
    assert.equal((await service.waitForJob(submitted.body.id)).status, 'completed');
  }
  latest = (await service.request('POST', '/v1/models/iris/predict', { instances: NEW_FLOWERS })).body.predictions;
  first = (await service.request('POST', '/v1/models/iris/predict', { instances: NEW_FLOWERS, version: 1 })).body.predictions;
});
after(async () => {
  await service.close();
});

const AVAILABLE = { state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } };

test('model status lists every trained version, newest first, or the one asked for', async () => {
  const all = await call(tfs, 'GET', '/v1/models/iris');
  assert.equal(all.status, 200);
  assert.deepEqual(all.body, { model_version_status: [{ version: '2', ...AVAILABLE }, { version: '1', ...AVAILABLE }] });
  const one = await call(tfs, 'GET', '/v1/models/iris/versions/1');
  assert.equal(one.status, 200);
  assert.deepEqual(one.body, { model_version_status: [{ version: '1', ...AVAILABLE }] });
});

test("metadata is a serving_default signature with the trained version's shapes", async () => {
  const { body: record } = await service.request('GET', '/v1/models/iris/versions/2');
  assert.deepEqual([record.input_shape, record.output_shape], [[4], [3]]);
  const dims = (shape: number[]) => ({ dim: [-1, ...shape].map((size) => ({ size: String(size), name: '' })), unknown_rank: false });
  const { status, body } = await call(tfs, 'GET', '/v1/models/iris/metadata');
  assert.equal(status, 200);
  assert.deepEqual(body, {
    model_spec: { name: 'iris', signature_name: '', version: '2' },
    metadata: {
      signature_def: {
        signature_def: {
          serving_default: {
            inputs: { input: { dtype: 'DT_FLOAT', tensor_shape: dims(record.input_shape), name: 'input:0' } },
            outputs: { output: { dtype: 'DT_FLOAT', tensor_shape: dims(record.output_shape), name: 'output:0' } },
            method_name: 'tensorflow/serving/predict',
            defaults: {},
          },
        },
      },
    },
  });
  const older = await call(tfs, 'GET', '/v1/models/iris/versions/1/metadata');
  assert.equal(older.status, 200);
  assert.equal(older.body.model_spec.version, '1');
});

test('predict in the row format answers predictions, with the standardization stored with the version', async () => {
  const { status, body } = await predict({ instances: NEW_FLOWERS });
  assert.equal(status, 200);
  assert.deepEqual(Object.keys(body), ['predictions']);
  close(body.predictions, latest);
  const named = await predict({ signature_name: 'serving_default', instances: NEW_FLOWERS.map((row) => ({ input: row })) });
  assert.equal(named.status, 200);
  close(named.body.predictions, latest);
});

test('predict in the columnar format answers outputs, bare or by input name', async () => {
  for (const inputs of [NEW_FLOWERS, { input: NEW_FLOWERS }]) {
    const { status, body } = await predict({ inputs });
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(Object.keys(body), ['outputs']);
    close(body.outputs, latest);
  }
});

test("a body sent as curl -d sends it (a form's content type) is read as JSON, as TF Serving reads it", async () => {
  const { status, body } = await call(tfs, 'POST', '/v1/models/iris:predict', JSON.stringify({ instances: NEW_FLOWERS }), {
    'content-type': 'application/x-www-form-urlencoded',
  });
  assert.equal(status, 200);
  close(body.predictions, latest);
});

test('a version in the path is the version that answers', async () => {
  const { status, body } = await predict({ instances: NEW_FLOWERS }, '/v1/models/iris/versions/1:predict');
  assert.equal(status, 200);
  close(body.predictions, first);
  assert.ok(body.predictions.some((row: number[], i: number) => row.some((x, j) => Math.abs(x - (latest[i]?.[j] ?? NaN)) > 1e-6)), 'version 1 answered as version 2');
  const two = await predict({ inputs: NEW_FLOWERS }, '/v1/models/iris/versions/2:predict');
  close(two.body.outputs, latest);
});

test("errors come in TF Serving's body, with its status codes", async () => {
  const cases: [string, string, unknown, number, RegExp][] = [
    ['POST', '/v1/models/nobody:predict', { instances: NEW_FLOWERS }, 404, /^Servable not found for request: Latest\(nobody\)$/],
    ['POST', '/v1/models/iris/versions/9:predict', { instances: NEW_FLOWERS }, 404, /^Servable not found for request: Specific\(iris, 9\)$/],
    ['GET', '/v1/models/nobody', undefined, 404, /^Could not find any versions of model nobody$/],
    ['GET', '/v1/models/iris/versions/9', undefined, 404, /^Could not find version 9 of model iris$/],
    ['GET', '/v1/models/nobody/metadata', undefined, 404, /^Servable not found for request: Latest\(nobody\)$/],
    ['POST', '/v1/models/iris:predict', { instances: [[5.3, 3.4, 1.9]] }, 400, /instances\[0\]: expected each instance of shape \[4\], found \[3\]/],
    ['POST', '/v1/models/iris:predict', { inputs: [[5.3, 3.4, 1.9, 0.6, 1]] }, 400, /inputs\[0\]: expected each instance of shape \[4\], found \[5\]/],
    ['POST', '/v1/models/iris:predict', { instances: [[5.3, 'wide', 1.9, 0.6]] }, 400, /instances\[0\]\[1\]/],
    ['POST', '/v1/models/iris:predict', { inputs: { petals: NEW_FLOWERS } }, 400, /no input 'petals'/],
    ['POST', '/v1/models/iris:predict', { instances: NEW_FLOWERS, inputs: NEW_FLOWERS }, 400, /only one of 'inputs' or 'instances'/],
    ['POST', '/v1/models/iris:predict', { signature_name: 'serving_default' }, 400, /^Missing 'inputs' or 'instances' key$/],
    ['POST', '/v1/models/iris:predict', { signature_name: 'classify', instances: NEW_FLOWERS }, 400, /Serving signature name: "classify" not found/],
    ['POST', '/v1/models/iris:predict', '{"instances": [', 400, /JSON/i],
    ['POST', '/v1/models/iris:classify', { examples: [] }, 400, /:classify is not served here/],
    ['POST', '/v1/models/iris/versions/latest:predict', { instances: NEW_FLOWERS }, 400, /^Malformed request: POST \/v1\/models\/iris\/versions\/latest:predict$/],
    ['POST', '/v1/models/iris', { instances: NEW_FLOWERS }, 400, /^Malformed request: POST \/v1\/models\/iris$/],
    ['GET', '/v1/foo', undefined, 400, /^Malformed request: GET \/v1\/foo$/],
    ['GET', '/v1/models/iris:predict', undefined, 400, /^Malformed request: GET \/v1\/models\/iris:predict$/],
  ];
  for (const [method, path, body, status, message] of cases) {
    const reply = await call(tfs, method, path, body);
    assert.equal(reply.status, status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(reply.body)}`);
    assert.deepEqual(Object.keys(reply.body), ['error'], JSON.stringify(reply.body));
    assert.match(reply.body.error, message);
  }
});

test('a model with no trained version is no servable', async () => {
  assert.equal((await service.request('POST', '/v1/models', { ...IRIS, name: 'untrained' })).status, 201);
  const status = await call(tfs, 'GET', '/v1/models/untrained');
  assert.equal(status.status, 404);
  assert.equal(status.body.error, 'Could not find any versions of model untrained');
  const predicted = await predict({ instances: NEW_FLOWERS }, '/v1/models/untrained:predict');
  assert.equal(predicted.status, 404);
  assert.equal(predicted.body.error, 'Servable not found for request: Latest(untrained)');
});

test('request durations carry the tfserving protocol label, apart from the API port', async () => {
  const infer = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: NEW_FLOWERS[0] }] };
  assert.equal((await service.request('POST', '/v2/models/iris/infer', infer)).status, 200);
  const { values } = await service.metrics.httpDuration.get();
  const count = (labels: Record<string, string>) =>
    values.filter((v) => v.metricName === 'modelyard_http_request_duration_seconds_count' && Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x)).reduce((n, v) => n + v.value, 0);
  assert.ok(count({ protocol: 'tfserving', route: '/v1/models/:target', method: 'POST', status_code: '200' }) >= 4);
  assert.ok(count({ protocol: 'tfserving', route: '/v1/models/:name/metadata', method: 'GET', status_code: '200' }) >= 1);
  assert.equal(count({ protocol: 'v1', route: '/v1/models/:model/predict', method: 'POST', status_code: '200' }), 2);
  assert.equal(count({ protocol: 'v1', route: '/v1/models/:target' }), 0);
  assert.equal(count({ protocol: 'v2', route: '/v2/models/:name/infer', method: 'POST', status_code: '200' }), 1);
});

test("with API_KEYS set, every TF Serving route but its OpenAPI document needs a key that may predict; the API's security headers and CORS apply", async () => {
  const origin = 'https://app.example.com';
  const keyed = await startWithTfServing({ API_KEYS: 'sesame:predict', CORS_ORIGINS: origin }, 0);
  try {
    // A browser's preflight carries no key: it is answered before the key check, as on the API's port.
    const preflight = await fetch(`${keyed.url}/v1/models/iris:predict`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), origin);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /authorization/);
    const refused = await fetch(`${keyed.url}/v1/models/iris`, { headers: { origin } });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('access-control-allow-origin'), origin);
    assert.equal(refused.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(refused.headers.get('x-frame-options'), 'DENY');
    assert.equal((await fetch(`${keyed.url}/v1/models/iris`, { headers: { origin: 'https://evil.example.net' } })).headers.get('access-control-allow-origin'), null);

    const missing = await call(keyed.url, 'POST', '/v1/models/iris:predict', { instances: NEW_FLOWERS });
    assert.equal(missing.status, 401);
    assert.deepEqual(Object.keys(missing.body), ['error']);
    for (const path of ['/v1/models/iris', '/v1/models/iris/versions/1/metadata']) assert.equal((await call(keyed.url, 'GET', path)).status, 401, path);
    const wrong = await call(keyed.url, 'GET', '/v1/models/iris', undefined, { authorization: 'Bearer wrong' });
    assert.equal(wrong.status, 403);
    assert.deepEqual(Object.keys(wrong.body), ['error']);
    // Past the key, the model is unknown: the key was accepted.
    const allowed = await call(keyed.url, 'POST', '/v1/models/iris:predict', { instances: NEW_FLOWERS }, { authorization: 'Bearer sesame' });
    assert.equal(allowed.status, 404);
    assert.match(allowed.body.error, /Servable not found/);
    // The port's OpenAPI document is public, as the API's is.
    const document = await call(keyed.url, 'GET', '/openapi.json');
    assert.equal(document.status, 200);
    assert.ok(document.body.paths['/v1/models/{name}:predict'], JSON.stringify(Object.keys(document.body.paths)));
  } finally {
    await keyed.service.close();
  }
});

test("the rate limit counts TF Serving requests and answers 429 in its body; each request is logged on the API's logger", async () => {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const limited = await startWithTfServing({ RATE_LIMIT_MAX: '2' }, 0, createLogger({ LOG_LEVEL: 'info' }, stream));
  try {
    for (let i = 0; i < 2; i++) assert.equal((await call(limited.url, 'GET', '/v1/models/iris', undefined, { 'x-request-id': `tfs-${i}` })).status, 404);
    const over = await call(limited.url, 'GET', '/v1/models/iris');
    assert.equal(over.status, 429);
    assert.deepEqual(Object.keys(over.body), ['error']);
    assert.match(over.body.error, /rate limit/);
    const logged = lines.find((line) => line.msg === 'request' && line.request_id === 'tfs-1');
    assert.ok(logged, JSON.stringify(lines));
    assert.equal(logged.protocol, 'tfserving');
    assert.equal(logged.route, '/v1/models/:name');
    assert.equal(logged.url, '/v1/models/iris');
    assert.equal(logged.status, 404);
    assert.equal(typeof logged.duration_ms, 'number');
  } finally {
    await limited.service.close();
  }
});
