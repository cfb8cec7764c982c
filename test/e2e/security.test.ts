import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startService, type TestService } from '../support/service.js';

const KEY = 'sekrit-key-7f3a91';
const ORIGIN = 'https://app.example.com';

/** Every JSON line the service logs. */
const lines: Record<string, unknown>[] = [];
let raw = '';
const capture = new Writable({
  write(chunk: Buffer, _encoding, done) {
    raw += chunk.toString();
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    done();
  },
});

let service: TestService;
let plain: TestService;

before(async () => {
  service = await startService({
    workers: 0,
    env: { API_KEYS: KEY, CORS_ORIGINS: `${ORIGIN}, https://admin.example.com` },
    logger: createLogger({ LOG_LEVEL: 'info' }, capture),
  });
  plain = await startService({ workers: 0 });
});
after(async () => {
  await service.close();
  await plain.close();
});

/** The access lines of one request; they are written when its response has finished, so maybe just after the client has it. */
async function requestLines(id: string): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const found = lines.filter((line) => line.request_id === id && line.msg === 'request');
    if (found.length > 0 || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('security headers are on every response, API and operations alike', async () => {
  for (const path of ['/healthz', '/v1/models', '/metrics', '/no/such/route']) {
    const { headers } = await fetch(`${service.url}${path}`, { headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(headers.get('x-content-type-options'), 'nosniff', path);
    assert.equal(headers.get('x-frame-options'), 'DENY', path);
    assert.match(headers.get('strict-transport-security') ?? '', /max-age=\d+/, path);
    assert.equal(headers.get('referrer-policy'), 'no-referrer', path);
    assert.equal(headers.get('cross-origin-opener-policy'), 'same-origin', path);
    const csp = headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/, path);
    assert.match(csp, /frame-ancestors 'none'/, path);
    assert.match(csp, /object-src 'none'/, path);
    assert.doesNotMatch(csp, /upgrade-insecure-requests/, 'would break /docs over plain HTTP');
    assert.equal(headers.get('x-powered-by'), null, path);
  }
});

test('Swagger UI at /docs loads under the policy: every script is a same-origin file', async () => {
  const response = await fetch(`${service.url}/docs`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /text\/html/);
  const html = await response.text();
  const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.ok(scripts.length > 0, 'the page has scripts');
  for (const [, attributes, body] of scripts) {
    assert.equal(body?.trim(), '', "an inline script would need 'unsafe-inline'");
    const src = /src="([^"]+)"/.exec(attributes ?? '')?.[1] ?? '';
    assert.doesNotMatch(src, /^(https?:)?\/\//, `script ${src} is not same-origin`);
    const asset = await fetch(new URL(src, response.url));
    assert.equal(asset.status, 200, src);
    await asset.arrayBuffer();
  }
  assert.match(response.headers.get('content-security-policy') ?? '', /script-src 'self'/);
});

test('CORS: an allowed origin is echoed, with X-Request-Id exposed; another origin gets no CORS headers', async () => {
  const allowed = await service.request('GET', '/v1/models', undefined, { origin: ORIGIN, authorization: `Bearer ${KEY}` });
  assert.equal(allowed.status, 200);
  assert.equal(allowed.headers.get('access-control-allow-origin'), ORIGIN);
  assert.match(allowed.headers.get('access-control-expose-headers') ?? '', /x-request-id/);
  assert.match(allowed.headers.get('vary') ?? '', /origin/i);
  assert.equal(allowed.headers.get('access-control-allow-credentials'), null, 'keys travel in a header, never cookies');

  const other = await service.request('GET', '/v1/models', undefined, { origin: 'https://evil.example.net', authorization: `Bearer ${KEY}` });
  assert.equal(other.headers.get('access-control-allow-origin'), null);
});

test('a CORS preflight is answered before the key check: browsers send it without Authorization', async () => {
  const response = await fetch(`${service.url}/v1/models`, {
    method: 'OPTIONS',
    headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
  });
  assert.equal(response.status, 204);
  assert.equal(response.headers.get('access-control-allow-origin'), ORIGIN);
  assert.match(response.headers.get('access-control-allow-methods') ?? '', /POST/);
  assert.match(response.headers.get('access-control-allow-methods') ?? '', /DELETE/);
  assert.match(response.headers.get('access-control-allow-headers') ?? '', /authorization/);
});

test('without CORS_ORIGINS there is no CORS at all; a bad origin in it is a configuration error', async () => {
  const { headers } = await plain.request('GET', '/v1/models', undefined, { origin: ORIGIN });
  assert.equal(headers.get('access-control-allow-origin'), null);
  assert.deepEqual(loadConfig({}).CORS_ORIGINS, []);
  assert.deepEqual(loadConfig({ CORS_ORIGINS: '*' }).CORS_ORIGINS, ['*']);
  assert.throws(() => loadConfig({ CORS_ORIGINS: 'https://app.example.com/' }), (error: Error) => error instanceof ConfigError && /CORS_ORIGINS/.test(error.message));
  assert.throws(() => loadConfig({ CORS_ORIGINS: 'app.example.com' }), ConfigError);
});

test("X-Request-Id: the client's is echoed; otherwise, or when it is not a plain token, a fresh UUID", async () => {
  const given = await service.request('GET', '/healthz', undefined, { 'x-request-id': 'client-id.42:a_b' });
  assert.equal(given.headers.get('x-request-id'), 'client-id.42:a_b');
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  const generated = await service.request('GET', '/healthz');
  assert.match(generated.headers.get('x-request-id') ?? '', uuid);
  const second = await service.request('GET', '/healthz');
  assert.notEqual(second.headers.get('x-request-id'), generated.headers.get('x-request-id'));
  for (const bad of ['x'.repeat(129), 'has space', '{"json":1}']) {
    const response = await service.request('GET', '/healthz', undefined, { 'x-request-id': bad });
    assert.match(response.headers.get('x-request-id') ?? '', uuid, bad);
  }
  const errored = await service.request('GET', '/v1/models', undefined, { 'x-request-id': 'on-an-error' });
  assert.equal(errored.status, 401);
  assert.equal(errored.headers.get('x-request-id'), 'on-an-error');
});

test('one log line per request: id, method, route, URL, status, duration; no key or Authorization value', async () => {
  const ok = await service.request('GET', '/v1/models/some-model', undefined, { authorization: `Bearer ${KEY}`, 'x-request-id': 'log-ok' });
  assert.equal(ok.status, 404);
  const [line, ...more] = await requestLines('log-ok');
  assert.equal(more.length, 0, 'exactly one line');
  assert.ok(line);
  assert.equal(line.method, 'GET');
  assert.equal(line.route, '/v1/models/:model');
  assert.equal(line.url, '/v1/models/some-model');
  assert.equal(line.status, 404);
  assert.equal(typeof line.duration_ms, 'number');
  assert.ok((line.duration_ms as number) >= 0);
  assert.equal(line.level, 30);
  assert.equal(line.service, 'modelyard');

  const wrongKey = 'wrong-key-5c0ffee';
  const denied = await service.request('GET', '/v1/models', undefined, { authorization: `Bearer ${wrongKey}`, 'x-request-id': 'log-denied' });
  assert.equal(denied.status, 403);
  assert.equal((await requestLines('log-denied'))[0]?.status, 403);
  const failed = lines.find((l) => l.request_id === 'log-denied' && l.msg === 'authentication failed');
  assert.ok(failed, 'a failed authentication is logged under the request id');
  assert.equal(failed.level, 40);
  assert.equal(failed.client, '127.0.0.1');
  assert.equal(failed.reason, 'unknown key');
  const missing = await service.request('GET', '/v1/models', undefined, { 'x-request-id': 'log-missing' });
  assert.equal(missing.status, 401);
  await requestLines('log-missing');
  assert.equal(lines.find((l) => l.request_id === 'log-missing' && l.msg === 'authentication failed')?.reason, 'no key');

  assert.ok(!lines.some((l) => l.msg === 'incoming request' || l.msg === 'request completed'), "Fastify's own two lines are gone");
  assert.ok(!raw.includes(KEY), 'the API key never reaches the log');
  assert.ok(!raw.includes(wrongKey), 'nor does a presented key');
  assert.ok(!raw.toLowerCase().includes('bearer'), 'nor any Authorization value');
});

test('a server fault answers 500 with no stack trace, path or cause; the log has them, under the request id', async () => {
  // The artifact store's scratch folder turned into a file: the next write fails inside the server.
  writeFileSync(join(service.config.DATA_DIR, '.tmp'), 'not a folder');
  const response = await service.request(
    'POST',
    '/v1/datasets',
    { name: 'tiny', x: [[1], [2]], y: [0, 1] },
    { authorization: `Bearer ${KEY}`, 'x-request-id': 'log-fault' },
  );
  assert.equal(response.status, 500);
  assert.deepEqual(response.body, { error: { code: 'internal_error', message: 'internal error' } });
  const [line] = await requestLines('log-fault');
  assert.equal(line?.status, 500);
  assert.equal(line?.level, 50);
  const fault = lines.find((l) => l.request_id === 'log-fault' && l.msg === 'unhandled error');
  assert.match(JSON.stringify(fault?.err), /EEXIST|ENOTDIR/);
  assert.match(String((fault?.err as { stack?: string } | undefined)?.stack), /\n\s+at /);
});
