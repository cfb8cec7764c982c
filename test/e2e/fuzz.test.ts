import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { seededRandom } from '../../src/seeded-random.js';
import { rawRequest } from '../support/raw-http.js';
import { IRIS, NEW_FLOWERS } from '../support/seed.js';
import { startService, type TestService } from '../support/service.js';

/**
 * Every operation in openapi.json, requested with mutated paths, queries, headers and bodies, under keys of each
 * role and none. A failure prints the seed; `FUZZ_SEED=<seed>` replays the same requests.
 */
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TOTAL_REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 5000);
// A bound on the run, not an assertion: a slow machine sends fewer requests, never fails for it.
const TIME_BUDGET_MS = 60_000;

const KEYS = { admin: 'fuzz-admin-key', train: 'fuzz-train-key', predict: 'fuzz-predict-key' };
const KEPT_MODEL = 'kept-iris';

interface Operation {
  method: string;
  path: string;
  parameters: { in: string; name: string }[];
  contentTypes: string[];
  example: unknown;
}

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  raw: boolean;
}

function operations(): Operation[] {
  const document = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8')) as {
    paths: Record<string, Record<string, { parameters?: { in: string; name: string }[]; requestBody?: { content: Record<string, { example?: unknown }> } }>>;
  };
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete', 'head'].includes(method))
      .map(([method, operation]) => {
        const content = operation.requestBody?.content ?? {};
        return {
          method: method.toUpperCase(),
          path,
          parameters: operation.parameters ?? [],
          contentTypes: Object.keys(content),
          example: Object.values(content)[0]?.example,
        };
      }),
  );
}

/** `{"a":[{"a":…`, `levels` deep, as text: JSON.stringify itself would recurse. */
function nested(levels: number): string {
  return '{"a":['.repeat(levels) + '1' + ']}'.repeat(levels);
}

class Fuzzer {
  constructor(private readonly random: () => number) {}

  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  /** A path segment: real names, traversal, encodings, unicode, lengths around the limits. */
  segment(known: readonly string[]): string {
    return this.pick<() => string>([
      () => this.pick(known),
      () => this.pick(known),
      () => encodeURIComponent(this.pick(known)),
      () => '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      () => '..%2f..%2f..%2fredis.conf',
      () => '%00',
      () => '%25',
      () => '%E0%A4%A',
      () => '%ff%fe',
      () => encodeURIComponent('模型ü🙂'),
      () => encodeURIComponent('\u202e\u0000\ufeff'),
      () => 'x'.repeat(this.pick([1, 63, 64, 65, 128, 200, 256, 1000, 5000])),
      () => String(this.pick([0, -1, 1.5, 1e21, Number.MAX_SAFE_INTEGER + 2, Number.MAX_SAFE_INTEGER])),
      () => this.pick(['NaN', 'Infinity', 'null', 'undefined', 'true', '[]', '{}', '__proto__', 'constructor', 'latest']),
      () => encodeURIComponent(`${this.pick(known)}'; DROP TABLE models;--`),
      () => `model_${this.int(1e6)}`,
      () => `job_${'0'.repeat(this.int(40))}`,
      () => '',
      () => encodeURIComponent('a b\tc\nd'),
    ])();
  }

  /** A value of any type, many of them wrong for wherever they land. */
  value(depth = 0): unknown {
    return this.pick<() => unknown>([
      () => null,
      () => true,
      () => 0,
      () => -1,
      () => 1.5,
      () => 1e308,
      () => -1e308,
      () => 2 ** 53 + 1,
      () => 'NaN',
      () => 'Infinity',
      () => '',
      () => 'x'.repeat(this.pick([1, 100, 10_000, 100_000])),
      () => '模型🙂\u0000',
      () => [],
      () => ({}),
      () => (depth < 3 ? [this.value(depth + 1), this.value(depth + 1)] : [1]),
      () => (depth < 3 ? { [this.key()]: this.value(depth + 1) } : {}),
      () => ({ __proto__: { polluted: true } }),
      () => Array.from({ length: this.pick([2, 100, 5000]) }, () => this.int(3)),
    ])();
  }

  key(): string {
    return this.pick(['name', 'type', 'units', 'layers', 'x', 'y', 'instances', 'fit', 'epochs', 'extra', '__proto__', 'constructor', '', '模型']);
  }

  /** The example with one to three of its fields removed, retyped, or joined by extra ones. */
  mutate(value: unknown, depth = 0): unknown {
    if (Array.isArray(value)) {
      if (value.length === 0 || this.chance(0.2)) return this.pick([[], this.value(), [...value, this.value()], value.slice(1)]);
      const copy = [...value];
      const i = this.int(copy.length);
      copy[i] = this.chance(0.6) ? this.mutate(copy[i], depth + 1) : this.value();
      return copy;
    }
    if (value && typeof value === 'object') {
      const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      const keys = Object.keys(copy);
      const action = this.int(4);
      if (action === 0 && keys.length) delete copy[this.pick(keys)];
      else if (action === 1) copy[this.key()] = this.value();
      else if (keys.length) {
        const key = this.pick(keys);
        copy[key] = this.chance(0.6) ? this.mutate(copy[key], depth + 1) : this.value();
      }
      return copy;
    }
    return this.chance(0.7) ? this.value() : value;
  }

  jsonBody(example: unknown): string {
    return this.pick<() => string>([
      () => JSON.stringify(this.mutate(example)),
      () => JSON.stringify(this.mutate(this.mutate(this.mutate(example)))),
      () => JSON.stringify(this.mutate(example)),
      () => JSON.stringify(example ?? {}),
      () => JSON.stringify(this.value()),
      () => '',
      () => '{',
      () => '{"name": NaN}',
      () => '{"instances": [[1e999999]]}',
      () => JSON.stringify(example ?? {}).slice(0, this.int(JSON.stringify(example ?? {}).length)),
      () => nested(this.pick([10, 70, 1000, 50_000])),
      () => `{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}}`,
      () => '\u0000\u0001\u0002',
      () => 'not json at all',
    ])();
  }

  uploadBody(contentType: string): string | Buffer {
    if (contentType === 'text/csv') {
      return this.pick<() => string | Buffer>([
        () => 'a,b,y\n1,2,0\n3,4,1\n',
        () => 'a,b,y\n1,2\n3,4,1,5\n',
        () => 'a,b,y\nNaN,x,1\n,,\n',
        () => '"unclosed,1\n2,3',
        () => '',
        () => '\n\n\n',
        () => `${'c,'.repeat(5000)}y\n${'1,'.repeat(5000)}0\n`,
        () => Buffer.from(Array.from({ length: 512 }, () => this.int(256))),
        () => '\ufeffa;b;y\r\n1;2;0\r\n',
      ])();
    }
    if (contentType === 'application/zip') {
      return this.pick<() => Buffer>([
        () => Buffer.from('PK\u0003\u0004garbage'),
        () => Buffer.concat([Buffer.from('PK\u0005\u0006'), Buffer.alloc(18)]),
        () => Buffer.alloc(0),
        () => Buffer.from(Array.from({ length: 1024 }, () => this.int(256))),
      ])();
    }
    const boundary = 'fuzzboundary';
    const part = (name: string, content: Buffer | string) =>
      Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}.npy"\r\nContent-Type: application/octet-stream\r\n\r\n`),
        Buffer.from(content),
        Buffer.from('\r\n'),
      ]);
    const npyHeader = (descr: string, shape: string) => {
      const header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`.padEnd(118, ' ') + '\n';
      return Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0, header.length, 0]), Buffer.from(header)]);
    };
    return this.pick<() => Buffer>([
      () => Buffer.concat([part('x', npyHeader('<f4', '(2, 2)')), part('y', npyHeader('<f4', '(2,)')), Buffer.from(`--${boundary}--\r\n`)]),
      () => Buffer.concat([part('x', Buffer.concat([npyHeader('<f4', '(2, 2)'), Buffer.alloc(16)])), Buffer.from(`--${boundary}--\r\n`)]),
      () => Buffer.concat([part('x', npyHeader('<f4', '(99999999999, 99999999999)')), Buffer.from(`--${boundary}--\r\n`)]),
      () => Buffer.concat([part('x', npyHeader('|O', '(1,)')), Buffer.from(`--${boundary}--\r\n`)]),
      () => Buffer.concat([part(this.key() || 'z', Buffer.from(Array.from({ length: 256 }, () => this.int(256)))), Buffer.from(`--${boundary}--\r\n`)]),
      () => Buffer.from(`--${boundary}\r\n`),
      () => Buffer.alloc(0),
    ])();
  }

  contentType(declared: string | undefined): string | undefined {
    return this.pick([
      declared,
      declared,
      declared,
      declared === 'multipart/form-data' ? 'multipart/form-data; boundary=fuzzboundary' : declared,
      declared === 'multipart/form-data' ? 'multipart/form-data; boundary=fuzzboundary' : declared,
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
      'application/json; charset=utf-16',
      'application/octet-stream',
      '*/*',
      'garbage',
      undefined,
    ]);
  }

  query(parameters: Operation['parameters']): string {
    const names = [...parameters.filter((p) => p.in === 'query').map((p) => p.name), 'extra', 'name', '__proto__'];
    const pairs = Array.from({ length: this.int(4) }, () => {
      const name = this.pick(names);
      const value = this.pick([
        'true',
        'false',
        '1',
        '-1',
        'NaN',
        '1e400',
        'queued',
        'bogus',
        KEPT_MODEL,
        '',
        'x'.repeat(5000),
        '%ZZ',
        encodeURIComponent('模型'),
        '%00',
      ]);
      return this.chance(0.1) ? `${name}[]=${value}&${name}=${value}` : `${name}=${value}`;
    });
    return pairs.length ? `?${pairs.join('&')}` : this.pick(['', '?', '?&&', '?=']);
  }

  authorization(): Record<string, string> {
    return this.pick<Record<string, string>>([
      { authorization: `Bearer ${KEYS.admin}` },
      { authorization: `Bearer ${KEYS.admin}` },
      { authorization: `Bearer ${KEYS.train}` },
      { authorization: `Bearer ${KEYS.train}` },
      { authorization: `Bearer ${KEYS.predict}` },
      {},
      { authorization: 'Bearer wrong-key' },
      { authorization: `bearer ${KEYS.admin}` },
      { authorization: `Basic ${Buffer.from(`x:${KEYS.admin}`).toString('base64')}` },
      { authorization: 'Bearer ' },
      { authorization: `Bearer ${KEYS.admin} ${KEYS.admin}` },
      { authorization: `Bearer ${'k'.repeat(2000)}` },
    ]);
  }

  extraHeaders(): Record<string, string> {
    const headers: Record<string, string> = {};
    if (this.chance(0.2)) headers.accept = this.pick(['text/html', 'application/xml', '*/*', 'text/event-stream', 'garbage']);
    if (this.chance(0.1)) headers['x-forwarded-for'] = this.pick(['1.2.3.4', 'garbage', '::1, 10.0.0.1']);
    if (this.chance(0.1)) headers['accept-encoding'] = this.pick(['gzip', 'br', 'identity;q=0', 'bogus']);
    if (this.chance(0.05)) headers['content-encoding'] = this.pick(['gzip', 'deflate', 'bogus']);
    if (this.chance(0.05)) headers['x-http-method-override'] = 'DELETE';
    return headers;
  }

  request(operation: Operation, known: Readonly<Record<string, readonly string[]>>): FuzzRequest {
    let path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => this.segment(known[name] ?? ['x']));
    if (this.chance(0.05)) path = path.replace('/v1/', this.pick(['/%761/', '/v1//', '/V1/', '/v1/./']));
    path += this.query(operation.parameters);
    const headers = { ...this.authorization(), ...this.extraHeaders() };
    let method = operation.method;
    if (this.chance(0.03)) method = this.pick(['PUT', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE']);
    let body: string | Buffer | undefined;
    const declared = operation.contentTypes[0];
    if (declared || this.chance(0.1)) {
      const type = this.contentType(declared);
      if (type) headers['content-type'] = type;
      body = declared && declared !== 'application/json' && this.chance(0.8) ? this.uploadBody(declared) : this.jsonBody(operation.example);
    }
    if (method === 'GET' || method === 'HEAD' || method === 'TRACE') body = undefined;
    // fetch refuses TRACE; the raw socket sends it as written.
    return { method, path, headers, body, raw: method === 'TRACE' || this.chance(0.08) };
  }
}

function describeRequest(request: FuzzRequest): string {
  const body = request.body === undefined ? '' : ` body=${JSON.stringify(request.body.toString().slice(0, 300))}`;
  return `seed=${SEED} ${request.method} ${request.path.slice(0, 300)} headers=${JSON.stringify(request.headers).slice(0, 300)}${body}`;
}

async function send(baseUrl: string, request: FuzzRequest): Promise<{ status: number; contentType: string; text: string }> {
  if (request.raw) {
    const body = request.body === undefined ? Buffer.alloc(0) : Buffer.from(request.body);
    const headerLines = Object.entries({ ...request.headers, 'content-length': String(body.length), host: 'fuzz', connection: 'close' })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    const response = await rawRequest(baseUrl, `${request.method} ${request.path} HTTP/1.1\r\n${headerLines}\r\n`, body);
    const text = response.headers['transfer-encoding'] === 'chunked' ? (response.body.split('\r\n')[1] ?? '') : response.body;
    return { status: response.status, contentType: response.headers['content-type'] ?? '', text };
  }
  const controller = new AbortController();
  const response = await fetch(`${baseUrl}${request.path}`, { method: request.method, headers: request.headers, body: request.body, signal: controller.signal });
  const contentType = response.headers.get('content-type') ?? '';
  // A stream's status and type are what is checked here; its events are the job tests' business.
  if (contentType.startsWith('text/event-stream')) {
    controller.abort();
    return { status: response.status, contentType, text: '' };
  }
  return { status: response.status, contentType, text: await response.text() };
}

/** The path the router sees: an absolute-form target's path, percent-escapes decoded where they decode. */
function routedPath(path: string): string {
  const pathname = path.startsWith('/') ? path.split('?')[0] ?? '' : new URL(path).pathname;
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname;
  }
}

/** Refused before any route is chosen, so in the service's own error shape whatever the path. */
const BEFORE_ROUTING = new Set(['bad_url', 'uri_too_long', 'header_too_large', 'request_timeout']);

/** The Open Inference Protocol's routes answer in its own error body, `{"error": "..."}`. */
function assertV2ErrorShape(text: string, context: string): void {
  const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
  if (typeof code === 'string' && BEFORE_ROUTING.has(code)) return assertErrorShape(text, context);
  let body: unknown;
  assert.doesNotThrow(() => (body = JSON.parse(text)), `not JSON: ${text.slice(0, 200)} — ${context}`);
  assert.ok(body && typeof body === 'object' && !Array.isArray(body), `not an object — ${context}`);
  assert.deepEqual(Object.keys(body), ['error'], `${text.slice(0, 200)} — ${context}`);
  assert.equal(typeof (body as { error: unknown }).error, 'string', `error is not a string: ${text.slice(0, 200)} — ${context}`);
}

function assertErrorShape(text: string, context: string): void {
  let body: unknown;
  assert.doesNotThrow(() => (body = JSON.parse(text)), `not JSON: ${text.slice(0, 200)} — ${context}`);
  assert.ok(body && typeof body === 'object' && !Array.isArray(body), `not an object — ${context}`);
  assert.deepEqual(Object.keys(body), ['error'], `${text.slice(0, 200)} — ${context}`);
  const error = (body as { error: unknown }).error as Record<string, unknown>;
  assert.ok(error && typeof error === 'object', `error is not an object: ${text.slice(0, 200)} — ${context}`);
  assert.match(String(error.code), /^[a-z][a-z_]*$/, `code: ${text.slice(0, 200)} — ${context}`);
  assert.equal(typeof error.message, 'string', `message: ${text.slice(0, 200)} — ${context}`);
  for (const key of Object.keys(error)) assert.ok(['code', 'message', 'details'].includes(key), `extra field ${key} — ${context}`);
  if (error.details !== undefined) {
    assert.ok(Array.isArray(error.details), `details: ${text.slice(0, 200)} — ${context}`);
    for (const detail of error.details as Record<string, unknown>[]) {
      assert.equal(typeof detail.path, 'string', `detail path — ${context}`);
      assert.equal(typeof detail.message, 'string', `detail message — ${context}`);
    }
  }
}

describe('fuzzing every operation in openapi.json', () => {
  let service: TestService;
  const admin = { authorization: `Bearer ${KEYS.admin}` };
  const known: { model: string[]; version: string[]; job: string[]; dataset: string[]; file: string[] } = { model: [KEPT_MODEL], version: ['1', 'latest'], job: [], dataset: ['iris'], file: ['model.json', 'weights.bin'] };

  before(async () => {
    service = await startService({
      workers: 1,
      env: { API_KEYS: `${KEYS.admin},${KEYS.train}:train,${KEYS.predict}:predict`, RATE_LIMIT_MAX: '0' },
    });
    const created = await service.request('POST', '/v1/models', { ...IRIS, name: KEPT_MODEL }, admin);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    known.model.push(created.body.id);
    const job = await service.request('POST', '/v1/jobs', { model: KEPT_MODEL, dataset: { builtin: 'iris' }, fit: { epochs: 2 } }, admin);
    assert.equal(job.status, 202, JSON.stringify(job.body));
    // waitForJob polls without a key; under API_KEYS the job is read with one.
    let status = job.body.status as string;
    while (status === 'queued' || status === 'running') {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await service.request('GET', `/v1/jobs/${job.body.id}`, undefined, admin)).body.status;
    }
    assert.equal(status, 'completed');
    known.job.push(job.body.id);
    // Jobs the fuzz queues stay queued: the point is the API, and a fuzzed fit could train for hours.
    for (const worker of service.workers.splice(0)) await worker.close();
  });
  after(async () => {
    await service?.close();
  });

  test(`no 5xx, and every error in the error shape (seed ${SEED})`, async (t) => {
    t.diagnostic(`FUZZ_SEED=${SEED}`);
    const fuzzer = new Fuzzer(seededRandom(SEED));
    const all = operations();
    assert.ok(all.length >= 20, `openapi.json lists ${all.length} operations`);
    const deadline = Date.now() + TIME_BUDGET_MS;
    const sent = new Map<string, number>();
    const statuses = new Map<number, number>();
    for (let i = 0; i < TOTAL_REQUESTS && Date.now() < deadline; i++) {
      const operation = all[i % all.length] as Operation;
      // Deleting the kept model is a legal request, not a lost one: it is kept out of deletes only.
      const names = operation.method === 'DELETE' ? { ...known, model: ['some-other-model'], dataset: ['some-other-dataset'] } : known;
      const request = fuzzer.request(operation, names);
      const context = describeRequest(request);
      const response = await send(service.url, request);
      assert.ok(response.status >= 200 && response.status < 500, `status ${response.status}: ${response.text.slice(0, 300)} — ${context}`);
      if (response.status >= 400 && request.method !== 'HEAD') {
        const check = /^\/v2(\/|$)/.test(routedPath(request.path)) ? assertV2ErrorShape : assertErrorShape;
        check(response.text, `${response.status} ${context}`);
      }
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      const label = `${operation.method} ${operation.path}`;
      sent.set(label, (sent.get(label) ?? 0) + 1);
    }
    t.diagnostic(`${[...sent.values()].reduce((a, b) => a + b, 0)} requests over ${sent.size} operations; by status ${JSON.stringify(Object.fromEntries(statuses))}`);
    assert.equal(sent.size, all.length, 'every operation was requested');
  });

  test('afterwards the service answers, and the model stored before the fuzz still predicts', async () => {
    assert.equal((await service.request('GET', '/healthz')).status, 200);
    const predicted = await service.request('POST', `/v1/models/${KEPT_MODEL}/predict`, { instances: NEW_FLOWERS }, admin);
    assert.equal(predicted.status, 200, JSON.stringify(predicted.body));
    assert.equal(predicted.body.predictions.length, NEW_FLOWERS.length);
    const job = await service.request('GET', `/v1/jobs/${known.job[0]}`, undefined, admin);
    assert.equal(job.body.status, 'completed');
  });
});
