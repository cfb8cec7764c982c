import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import Fastify from 'fastify';
import { RequestLogController, requestIdOf } from '../../src/api/plugins/request-log.js';
import { createLogger } from '../../src/logger.js';

function capture(): { stream: Writable; lines: Record<string, unknown>[]; text: () => string } {
  let raw = '';
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw += chunk.toString();
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { stream, lines, text: () => raw };
}

test('secrets are redacted wherever they are logged: Authorization headers, API_KEYS, api_key fields', () => {
  const out = capture();
  const logger = createLogger({ LOG_LEVEL: 'info' }, out.stream);
  logger.info({ req: { method: 'GET', headers: { authorization: 'Bearer k-in-req', host: 'h' } } }, 'a');
  logger.info({ request: { headers: { authorization: 'Bearer k-in-request' } } }, 'b');
  logger.info({ headers: { authorization: 'Bearer k-in-headers' } }, 'c');
  logger.info({ authorization: 'Bearer k-alone' }, 'd');
  logger.info({ config: { API_KEYS: ['k-config-1', 'k-config-2'], PORT: 8080 } }, 'e');
  logger.info({ API_KEYS: ['k-env'] }, 'f');
  logger.info({ body: { api_key: 'k-field' }, api_key: 'k-top' }, 'g');
  logger.child({ job: 'job_1' }).info({ headers: { authorization: 'Bearer k-child' } }, 'h');

  assert.equal(out.lines.length, 8);
  assert.doesNotMatch(out.text(), /k-(in-req|in-request|in-headers|alone|config|env|field|top|child)/);
  assert.equal((out.lines[0]?.req as { headers: Record<string, string> }).headers.authorization, '[redacted]');
  assert.equal((out.lines[0]?.req as { headers: Record<string, string> }).headers.host, 'h', 'only the secret goes');
  assert.equal((out.lines[4]?.config as Record<string, unknown>).API_KEYS, '[redacted]');
  assert.equal((out.lines[4]?.config as Record<string, unknown>).PORT, 8080);
  assert.equal(out.lines[7]?.job, 'job_1');
  assert.equal(out.lines[7]?.service, 'modelyard');
});

test('one line per request, after the response: request id, protocol, method, route pattern, URL, status, duration', async () => {
  const out = capture();
  const app = Fastify({ loggerInstance: createLogger({ LOG_LEVEL: 'info' }, out.stream), genReqId: requestIdOf, logController: new RequestLogController(() => 'v1') });
  app.get('/things/:id', async (request) => {
    request.log.info('inside the handler');
    return { ok: true };
  });
  await app.ready();
  try {
    const response = await app.inject({ method: 'GET', url: '/things/42?full=1', headers: { 'x-request-id': 'req-7', authorization: 'Bearer hidden-token' } });
    assert.equal(response.statusCode, 200);
    await app.inject({ method: 'POST', url: '/nowhere' });

    const byRequest = out.lines.filter((line) => line.request_id === 'req-7');
    assert.deepEqual(
      byRequest.map((line) => line.msg),
      ['inside the handler', 'request'],
      "the handler's own line carries the id too; Fastify's two request lines are gone",
    );
    const line = byRequest[1] ?? {};
    assert.equal(line.protocol, 'v1');
    assert.equal(line.method, 'GET');
    assert.equal(line.route, '/things/:id');
    assert.equal(line.url, '/things/42?full=1');
    assert.equal(line.status, 200);
    assert.equal(typeof line.duration_ms, 'number');
    assert.equal(line.level, 30);

    const unmatched = out.lines.filter((l) => l.msg === 'request' && l.url === '/nowhere');
    assert.equal(unmatched.length, 1);
    assert.equal(unmatched[0]?.status, 404);
    assert.equal(unmatched[0]?.route, null);
    assert.match(String(unmatched[0]?.request_id), /^[0-9a-f-]{36}$/);
    assert.doesNotMatch(out.text(), /hidden-token|incoming request|request completed/);
  } finally {
    await app.close();
  }
});

test("a client's request id is taken only when it is a short plain token", () => {
  const of = (value?: string | string[]) => requestIdOf({ headers: value === undefined ? {} : { 'x-request-id': value } } as IncomingMessage);
  assert.equal(of('abc-123'), 'abc-123');
  assert.equal(of('a'.repeat(128)), 'a'.repeat(128));
  for (const bad of [undefined, '', 'a'.repeat(129), 'two words', 'new\nline', '<script>', ['a', 'b']]) {
    assert.match(of(bad), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/, String(bad));
  }
  assert.notEqual(of(), of());
});
