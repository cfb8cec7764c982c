import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { jsonBody, rawRequest } from '../support/raw-http.js';
import { startService, type TestService } from '../support/service.js';

function assertError(body: any, code: string): void {
  assert.equal(typeof body?.error, 'object', JSON.stringify(body));
  assert.equal(body.error.code, code, JSON.stringify(body));
  assert.equal(typeof body.error.message, 'string');
  assert.equal(body.statusCode, undefined, "not Fastify's own shape");
}

/** `{"a":{"a":…1…}}`, `levels` objects deep, as text: JSON.stringify itself would recurse. */
function nested(levels: number): string {
  return '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
}

describe('requests off the contract get the error shape, never a 500', () => {
  let service: TestService;
  before(async () => {
    service = await startService({ workers: 0, env: { MAX_JSON_DEPTH: '32', MAX_HEADER_BYTES: '4096' } });
  });
  after(async () => {
    await service.close();
  });

  test('a multipart body without a boundary is a 400 invalid_multipart', async () => {
    const { status, body } = await service.request('POST', '/v1/datasets/npy?name=m', 'x', { 'content-type': 'multipart/form-data' });
    assert.equal(status, 400);
    assertError(body, 'invalid_multipart');
  });

  test('a truncated multipart body is a 400 invalid_multipart', async () => {
    const boundary = 'modelyard-boundary';
    const truncated = `--${boundary}\r\nContent-Disposition: form-data; name="x"; filename="x.npy"\r\nContent-Type: application/octet-stream\r\n\r\n\x93NUMPY`;
    const response = await fetch(`${service.url}/v1/datasets/npy?name=m`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: truncated,
    });
    assert.equal(response.status, 400);
    assertError(await response.json(), 'invalid_multipart');
    assert.deepEqual(await service.stores.datasets.list(), [], 'nothing was stored');
  });

  test('JSON nested 100,000 levels inside a layer is a 400 nesting_too_deep, and the API keeps answering', async () => {
    const layer = `{"type":"Dense","units":1,"kernel_initializer":${nested(100_000)}}`;
    const body = `{"name":"deep","architecture":{"type":"sequential","input_shape":[2],"layers":[${layer}]},"compile":{"loss":"mse"}}`;
    const response = await service.request('POST', '/v1/models', body);
    assert.equal(response.status, 400);
    assertError(response.body, 'nesting_too_deep');
    assert.equal((await service.request('GET', '/healthz')).status, 200);
  });

  test('MAX_JSON_DEPTH is the line: a body at the limit reaches the schema, one past it does not', async () => {
    const at = await service.request('POST', '/v1/models', `{"name":"at",${nested(32).slice(1)}`);
    assert.equal(at.status, 400);
    assertError(at.body, 'validation_error');
    const past = await service.request('POST', '/v1/models', `{"name":"past",${nested(33).slice(1)}`);
    assert.equal(past.status, 400);
    assertError(past.body, 'nesting_too_deep');
  });

  test('a bad percent-escape in the path is a 400 bad_url', async () => {
    const { status, body } = await service.request('GET', '/v1/models/%E0%A4%A');
    assert.equal(status, 400);
    assertError(body, 'bad_url');
  });

  test('a path segment past the longest name is a 414 uri_too_long', async () => {
    const { status, body } = await service.request('GET', `/v1/models/${'m'.repeat(500)}`);
    assert.equal(status, 414);
    assertError(body, 'uri_too_long');
  });

  test('headers past MAX_HEADER_BYTES are a 431 header_too_large', async () => {
    const response = await rawRequest(service.url, `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Filler: ${'f'.repeat(8192)}\r\nConnection: close\r\n\r\n`);
    assert.equal(response.status, 431);
    assertError(jsonBody(response), 'header_too_large');
  });
});

test('a body sent too slowly is answered 408 and its connection closed (REQUEST_TIMEOUT_MS)', async () => {
  const service = await startService({ workers: 0, env: { REQUEST_TIMEOUT_MS: '1000' } });
  try {
    const { hostname, port } = new URL(service.url);
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // Ten bytes of a promised thousand, then nothing: only the server's timeout can end this request.
    socket.write('POST /v1/models HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":"s');
    await new Promise<void>((resolve, reject) => {
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    const text = Buffer.concat(chunks).toString();
    assert.match(text, /^HTTP\/1\.1 408 /);
    assertError(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)), 'request_timeout');
    assert.deepEqual(await service.stores.models.list(), []);
  } finally {
    await service.close();
  }
});
