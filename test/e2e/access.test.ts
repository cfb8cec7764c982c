import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import authPlugin from '../../src/api/plugins/auth.js';
import errorsPlugin from '../../src/api/plugins/errors.js';
import { jsonBody, rawRequest } from '../support/raw-http.js';
import { startService, type TestService } from '../support/service.js';

const KEY = 'access-key-4c1e';
const AUTH = { authorization: `Bearer ${KEY}` };
const TINY = {
  architecture: { type: 'sequential', input_shape: [2], layers: [{ type: 'Dense', units: 1 }] },
  compile: { loss: 'mse' },
};

function assertError(body: any, code: string): void {
  assert.equal(typeof body?.error, 'object', JSON.stringify(body));
  assert.equal(body.error.code, code, JSON.stringify(body));
  assert.equal(typeof body.error.message, 'string');
}

describe('access is decided on the route the router matched', () => {
  let service: TestService;
  before(async () => {
    service = await startService({ workers: 0, env: { API_KEYS: KEY } });
  });
  after(async () => {
    await service.close();
  });

  test('a percent-encoded path needs a key, whatever the method', async () => {
    for (const [method, path, body] of [
      ['GET', '/%761/models', undefined],
      ['POST', '/%761/models', { name: 'sneaky', ...TINY }],
      ['DELETE', '/%761/models/x', undefined],
      ['GET', '/v1/%6dodels', undefined],
      ['HEAD', '/%761/models', undefined],
    ] as const) {
      const response = await service.request(method, path, body);
      assert.equal(response.status, 401, `${method} ${path}: ${JSON.stringify(response.body)}`);
      if (method !== 'HEAD') assertError(response.body, 'unauthorized');
    }
    assert.deepEqual(await service.stores.models.list(), [], 'nothing was created');
  });

  test('an absolute-form request line needs a key', async () => {
    const response = await rawRequest(service.url, 'GET http://x/v1/datasets HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(response.status, 401, response.body);
    assertError(jsonBody(response), 'unauthorized');
    const keyed = await rawRequest(service.url, `GET http://x/v1/datasets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\nConnection: close\r\n\r\n`);
    assert.equal(keyed.status, 200);
  });

  test('a key still opens the encoded path and the plain one', async () => {
    const created = await service.request('POST', '/%761/models', { name: 'encoded', ...TINY }, AUTH);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const listed = await service.request('GET', '/v1/models', undefined, AUTH);
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.models.map((model: { name: string }) => model.name), ['encoded']);
    assert.equal((await service.request('DELETE', '/%761/models/encoded', undefined, AUTH)).status, 204);
  });

  test('health, the document, Swagger UI and the dashboard stay open', async () => {
    for (const path of ['/healthz', '/readyz', '/openapi.json', '/docs', '/', '/dashboard/style.css']) {
      const response = await fetch(`${service.url}${path}`);
      assert.equal(response.status, 200, path);
      await response.arrayBuffer();
    }
  });

  test('an unmatched route is a plain 404 without a key, naming only what was asked', async () => {
    const response = await service.request('GET', '/v3/nothing/here');
    assert.equal(response.status, 404);
    assertError(response.body, 'not_found');
    assert.equal(response.body.error.message, 'no route GET /v3/nothing/here');
  });

  test('the OpenAPI document takes each operation\'s security from its access', async () => {
    const { body } = await service.request('GET', '/openapi.json');
    const security = (path: string, method: string): unknown => body.paths[path][method].security;
    assert.deepEqual(security('/healthz', 'get'), []);
    assert.deepEqual(security('/v1/models', 'get'), [{ apiKey: ['predict'] }]);
    assert.deepEqual(security('/v1/models', 'post'), [{ apiKey: ['train'] }]);
    assert.deepEqual(security('/v1/models/{model}/predict', 'post'), [{ apiKey: ['predict'] }]);
    assert.deepEqual(security('/v1/jobs', 'post'), [{ apiKey: ['train'] }]);
  });
});

test('the rate limiter counts an encoded path as the route it reaches', async () => {
  const service = await startService({ workers: 0, env: { API_KEYS: KEY, RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' } });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await service.request('GET', '/%761/models', undefined, AUTH)).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    assert.equal((await service.request('GET', '/healthz')).status, 200, 'health stays unlimited');
  } finally {
    await service.close();
  }
});

test('wrong-key guesses are rate-limited: the limiter runs before the key is checked', async () => {
  const service = await startService({ workers: 0, env: { API_KEYS: KEY, RATE_LIMIT_MAX: '20', RATE_LIMIT_WINDOW_MS: '60000' } });
  try {
    const counts = new Map<number, number>();
    for (let i = 0; i < 150; i++) {
      const { status } = await service.request('GET', '/v1/models', undefined, { authorization: `Bearer guess-${i}` });
      counts.set(status, (counts.get(status) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries(counts), { 403: 20, 429: 130 });
    const limited = await service.request('GET', '/v1/models', undefined, AUTH);
    assert.equal(limited.status, 429, 'the right key from the same client waits out the window too');
  } finally {
    await service.close();
  }
});

test('a route that declares no access gets the strictest guard: admin keys only', async () => {
  const app = Fastify();
  await app.register(errorsPlugin);
  await app.register(authPlugin, { keys: [{ key: 'p', role: 'predict', tenant: null }, { key: 't', role: 'train', tenant: null }, { key: 'a', role: 'admin', tenant: null }] });
  app.get('/undeclared', async () => ({ open: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/undeclared`;
    const anonymous = await fetch(url);
    assert.equal(anonymous.status, 401);
    assertError(await anonymous.json(), 'unauthorized');
    for (const key of ['p', 't']) {
      const denied = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(denied.status, 403, key);
      assertError(await denied.json(), 'forbidden');
    }
    const admin = await fetch(url, { headers: { authorization: 'Bearer a' } });
    assert.equal(admin.status, 200);
    assert.deepEqual(await admin.json(), { open: true });
  } finally {
    await app.close();
  }
});

describe('scoped keys: each role on a route of each kind', () => {
  const KEYS = { admin: 'key-admin-1', train: 'key-train-2', predict: 'key-predict-3' };
  let service: TestService;
  before(async () => {
    // The admin key is a plain one, as API_KEYS was written before roles.
    service = await startService({ workers: 0, env: { API_KEYS: `${KEYS.admin}, ${KEYS.train}:train,${KEYS.predict}:predict` } });
  });
  after(async () => {
    await service.close();
  });

  const as = (role: keyof typeof KEYS) => ({ authorization: `Bearer ${KEYS[role]}` });

  test('predict reads models and serves them, and nothing else', async () => {
    assert.equal((await service.request('GET', '/v1/models', undefined, as('predict'))).status, 200);
    const served = await service.request('POST', '/v1/models/absent/predict', { instances: [[1, 2]] }, as('predict'));
    assert.equal(served.status, 404, 'past the guard: the model is what is missing');
    for (const [method, path, body] of [
      ['POST', '/v1/models', { name: 'by-predict', ...TINY }],
      ['DELETE', '/v1/models/absent', undefined],
      ['GET', '/v1/jobs', undefined],
      ['POST', '/v1/jobs', { model: 'absent', dataset: { builtin: 'iris' } }],
      ['GET', '/v1/datasets', undefined],
      ['GET', '/metrics', undefined],
    ] as const) {
      const denied = await service.request(method, path, body, as('predict'));
      assert.equal(denied.status, 403, `${method} ${path}`);
      assertError(denied.body, 'forbidden');
      assert.match(denied.body.error.message, /role \(predict\)/);
    }
    assert.deepEqual(await service.stores.models.list(), []);
  });

  test('train defines models, runs jobs and reads datasets, but not the metrics', async () => {
    const created = await service.request('POST', '/v1/models', { name: 'by-train', ...TINY }, as('train'));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await service.request('GET', '/v1/jobs', undefined, as('train'))).status, 200);
    assert.equal((await service.request('GET', '/v1/datasets', undefined, as('train'))).status, 200);
    assert.equal((await service.request('POST', '/v1/models/by-train/predict', { instances: [[1, 2]] }, as('train'))).status, 409, 'no version yet');
    const metrics = await service.request('GET', '/metrics', undefined, as('train'));
    assert.equal(metrics.status, 403);
    assertError(metrics.body, 'forbidden');
    assert.equal((await service.request('DELETE', '/v1/models/by-train', undefined, as('train'))).status, 204);
  });

  test('admin (a plain key) reaches everything, /metrics included; /metrics without a key is 401', async () => {
    assert.equal((await service.request('GET', '/v1/jobs', undefined, as('admin'))).status, 200);
    const metrics = await fetch(`${service.url}/metrics`, { headers: as('admin') });
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /modelyard_info/);
    const anonymous = await service.request('GET', '/metrics');
    assert.equal(anonymous.status, 401);
    assertError(anonymous.body, 'unauthorized');
  });
});

/** A port free just now, for a listener the test asks the service to open. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('with METRICS_PORT, /metrics is served there without a key, and not on the API port', async () => {
  const port = await freePort();
  const service = await startService({ workers: 0, env: { API_KEYS: KEY, METRICS_PORT: String(port) } });
  try {
    const own = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(own.status, 200);
    assert.match(await own.text(), /modelyard_info/);
    const onApi = await service.request('GET', '/metrics', undefined, AUTH);
    assert.equal(onApi.status, 404);
    assertError(onApi.body, 'not_found');
  } finally {
    await service.close();
  }
  await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`), 'the listener closes with the app');
});
