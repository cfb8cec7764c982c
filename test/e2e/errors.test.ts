import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startRedisServer } from '../support/redis.js';
import { startService, type TestService } from '../support/service.js';

function assertErrorShape(body: any, status: number, code?: string): void {
  assert.equal(typeof body.error, 'object', `status ${status}: ${JSON.stringify(body)}`);
  assert.equal(typeof body.error.code, 'string');
  assert.equal(typeof body.error.message, 'string');
  if (code) assert.equal(body.error.code, code);
  assert.equal(body.statusCode, undefined, 'no Fastify default error fields');
  assert.equal(body.stack, undefined);
}

const TINY = {
  architecture: { type: 'sequential', input_shape: [2], layers: [{ type: 'Dense', units: 1 }] },
  compile: { loss: 'mse' },
};

describe('error statuses, each in the one error shape', () => {
  let service: TestService;
  before(async () => {
    service = await startService({ workers: 1, env: { BODY_LIMIT: '4096' } });
  });
  after(async () => {
    await service.close();
  });

  test('400 for an invalid definition, naming the layer and argument', async () => {
    const { status, body } = await service.request('POST', '/v1/models', {
      name: 'bad',
      architecture: { type: 'sequential', input_shape: [4], layers: [{ type: 'Dense', units: 8 }, { type: 'Dense', units: 0 }] },
    });
    assert.equal(status, 400);
    assertErrorShape(body, status, 'validation_error');
    assert.equal(body.error.details[0].path, 'architecture.layers[1].units');
  });

  test('400 for a shape that does not fit, naming the layer', async () => {
    const { status, body } = await service.request('POST', '/v1/models', {
      name: 'bad-shape',
      architecture: {
        type: 'sequential',
        input_shape: [28, 28],
        layers: [{ type: 'Flatten' }, { type: 'Conv2D', filters: 4, kernel_size: 3 }],
      },
    });
    assert.equal(status, 400);
    assertErrorShape(body, status, 'validation_error');
    assert.match(body.error.details[0].path, /^architecture\.layers\[1\]/);
  });

  test('400 for malformed JSON and for predict instances of the wrong shape', async () => {
    const malformed = await service.request('POST', '/v1/models', '{"name": ');
    assert.equal(malformed.status, 400);
    assertErrorShape(malformed.body, 400, 'invalid_json');

    const created = await service.request('POST', '/v1/models', { name: 'two-features', ...TINY });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const job = await service.request('POST', '/v1/jobs', { model: 'two-features', dataset: { x: [[1, 2], [3, 4]], y: [1, 2] }, fit: { epochs: 1 } });
    assert.equal(job.status, 202, JSON.stringify(job.body));
    assert.equal((await service.waitForJob(job.body.id)).status, 'completed');
    const ok = await service.request('POST', '/v1/models/two-features/predict', { instances: [[1, 2]] });
    assert.equal(ok.status, 200, 'two features fit the model');
    const wrongShape = await service.request('POST', '/v1/models/two-features/predict', { instances: [[1, 2, 3]] });
    assert.equal(wrongShape.status, 400);
    assertErrorShape(wrongShape.body, 400, 'validation_error');
    assert.match(wrongShape.body.error.message, /\[2\].*\[3\]/);
  });

  test('404 for an unknown model, job and route', async () => {
    for (const path of ['/v1/models/nope', '/v1/jobs/job_nope', '/v1/nothing-here']) {
      const { status, body } = await service.request('GET', path);
      assert.equal(status, 404, path);
      assertErrorShape(body, status, 'not_found');
    }
  });

  test('409 for a duplicate name; 409 predicting a model never trained', async () => {
    const first = await service.request('POST', '/v1/models', { name: 'dup', ...TINY });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const second = await service.request('POST', '/v1/models', { name: 'dup', ...TINY });
    assert.equal(second.status, 409);
    assertErrorShape(second.body, 409, 'conflict');
    const untrained = await service.request('POST', '/v1/models/dup/predict', { instances: [[1, 2]] });
    assert.equal(untrained.status, 409);
    assertErrorShape(untrained.body, 409);
  });

  test('413 for a body over the limit', async () => {
    const { status, body } = await service.request('POST', '/v1/models', { name: 'big', padding: 'x'.repeat(10_000) });
    assert.equal(status, 413);
    assertErrorShape(body, status, 'payload_too_large');
  });

  test('a model of 10^10 parameters is refused in milliseconds', async () => {
    const started = Date.now();
    const { status, body } = await service.request('POST', '/v1/models', {
      name: 'huge',
      architecture: { type: 'sequential', input_shape: [100_000], layers: [{ type: 'Dense', units: 100_000 }] },
    });
    assert.equal(status, 400);
    assertErrorShape(body, status, 'validation_error');
    assert.ok(Date.now() - started < 2000);
  });
});

describe('API keys and rate limits', () => {
  let service: TestService;
  before(async () => {
    service = await startService({ workers: 0, env: { API_KEYS: 'key-one,key-two', RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_MS: '60000' } });
  });
  after(async () => {
    await service.close();
  });

  test('401 without a key, 403 with a wrong one, 200 with a right one; health stays open', async () => {
    const missing = await service.request('GET', '/v1/models');
    assert.equal(missing.status, 401);
    assertErrorShape(missing.body, 401, 'unauthorized');
    const wrong = await service.request('GET', '/v1/models', undefined, { authorization: 'Bearer key-three' });
    assert.equal(wrong.status, 403);
    assertErrorShape(wrong.body, 403, 'forbidden');
    const right = await service.request('GET', '/v1/models', undefined, { authorization: 'Bearer key-two' });
    assert.equal(right.status, 200);
    assert.equal((await service.request('GET', '/healthz')).status, 200);
  });

  test('429 once a client passes the limit', async () => {
    let last = 0;
    let body: any;
    for (let i = 0; i < 8; i++) {
      const response = await service.request('GET', '/v1/models', undefined, { authorization: 'Bearer key-one' });
      last = response.status;
      body = response.body;
    }
    assert.equal(last, 429);
    assertErrorShape(body, 429, 'rate_limited');
  });
});

describe('Redis unreachable', () => {
  test('503 from a registry route and /readyz while Redis is down, ready again when it returns', async () => {
    const redis = await startRedisServer();
    const service = await startService({ workers: 0, env: { REDIS_URL: redis.url } });
    try {
      assert.equal((await service.request('GET', '/readyz')).status, 200);
      await redis.stop();
      const down = await service.request('GET', '/v1/models');
      assert.equal(down.status, 503);
      assertErrorShape(down.body, 503, 'unavailable');
      const ready = await service.request('GET', '/readyz');
      assert.equal(ready.status, 503);
      assert.equal(ready.body.redis, 'down');
      const restarted = await startRedisServer(redis.port);
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        status = (await service.request('GET', '/readyz')).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(status, 200);
      await service.close();
      await restarted.stop();
    } catch (error) {
      await service.close().catch(() => undefined);
      throw error;
    }
  });
});
