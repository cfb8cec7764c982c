import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createLogger } from '../../src/logger.js';
import { IRIS, IRIS_VERSION_JOBS, NEW_FLOWERS } from '../support/seed.js';
import { startService, type TestService } from '../support/service.js';

// The client is generated here, from the committed .proto, as any client of the protocol would be.
const PROTO = fileURLToPath(new URL('../../proto/open_inference_grpc.proto', import.meta.url));
const ADMIN = 'grpc-admin-key';
const APP = 'grpc-app-key';

let service: TestService;
let client: grpc.Client;
const v1: Record<string, any> = {};

before(async () => {
  service = await startService({ grpc: true, env: { API_KEYS: `${ADMIN},${APP}:predict` } });
  const admin = { authorization: `Bearer ${ADMIN}` };
  assert.equal((await service.request('POST', '/v1/models', IRIS, admin)).status, 201);
  for (const job of IRIS_VERSION_JOBS) {
    const submitted = await service.request('POST', '/v1/jobs', job, admin);
    assert.equal((await ended(submitted.body.id, admin)).status, 'completed');
  }
  assert.equal((await service.request('POST', '/v1/models', { ...IRIS, name: 'untrained' }, admin)).status, 201);
  for (const version of [1, 2]) v1[version] = (await service.request('POST', '/v1/models/iris/predict', { instances: NEW_FLOWERS, version }, admin)).body;
  v1.integers = (await service.request('POST', '/v1/models/iris/predict', { instances: [[5, 3, 2, 1]] }, admin)).body;
  v1.bools = (await service.request('POST', '/v1/models/iris/predict', { instances: [[1, 0, 1, 0]] }, admin)).body;

  client = connect(service.grpcPort);
});
after(async () => {
  client.close();
  await service.close();
});

/** A client of the service on `port`, generated from the committed .proto. */
function connect(port: number | undefined): grpc.Client {
  const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
  const { inference } = grpc.loadPackageDefinition(definition) as unknown as { inference: { GRPCInferenceService: grpc.ServiceClientConstructor } };
  return new inference.GRPCInferenceService(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

/** service.waitForJob, with the key this service needs. */
async function ended(id: string, headers: Record<string, string>): Promise<any> {
  for (;;) {
    const { body } = await service.request('GET', `/v1/jobs/${id}`, undefined, headers);
    if (!['queued', 'running'].includes(body.status)) return body;
    await delay(100);
  }
}

type Method = (request: object, metadata: grpc.Metadata, callback: (error: grpc.ServiceError | null, response: any) => void) => void;

/** `key` null sends no authorization metadata; `to` another service's client. */
function rpc(method: string, request: object, key: string | null = APP, to: grpc.Client = client, more: Record<string, string> = {}): Promise<any> {
  const metadata = new grpc.Metadata();
  if (key) metadata.set('authorization', `Bearer ${key}`);
  for (const [name, value] of Object.entries(more)) metadata.set(name, value);
  const call = (to as unknown as Record<string, Method>)[method];
  assert.ok(call, `the generated client has ${method}`);
  return new Promise((resolve, reject) => call.call(to, request, metadata, (error, response) => (error ? reject(error) : resolve(response))));
}

async function rpcError(method: string, request: object, key: string | null = APP, to: grpc.Client = client, more: Record<string, string> = {}): Promise<grpc.ServiceError> {
  const error = await rpc(method, request, key, to, more).then(
    () => assert.fail(`${method} succeeded`),
    (e: grpc.ServiceError) => e,
  );
  return error;
}

const input = (datatype: string, contents: object, shape = [3, 4]) => ({ name: 'input', datatype, shape, contents });
const infer = (inputs: object[], more: object = {}) => rpc('ModelInfer', { model_name: 'iris', inputs, ...more });

function close(a: number[], b: number[]): void {
  assert.equal(a.length, b.length);
  a.forEach((x, i) => assert.ok(Math.abs(x - (b[i] ?? NaN)) < 1e-6, `${x} vs ${b[i]}`));
}

function floatsLE(raw: Buffer): number[] {
  return Array.from({ length: raw.length / 4 }, (_, i) => raw.readFloatLE(i * 4));
}

test('ServerLive, ServerReady and ServerMetadata answer without a key', async () => {
  assert.deepEqual(await rpc('ServerLive', {}, null), { live: true });
  assert.deepEqual(await rpc('ServerReady', {}, null), { ready: true });
  const meta = await rpc('ServerMetadata', {}, null);
  assert.equal(meta.name, 'modelyard');
  assert.match(meta.version, /^\d+\.\d+\.\d+/);
  assert.deepEqual(meta.extensions, []);
});

test("ModelMetadata gives the trained version's input and outputs, as the REST route does", async () => {
  const meta = await rpc('ModelMetadata', { name: 'iris' });
  assert.deepEqual(meta, {
    name: 'iris',
    versions: ['2'],
    platform: 'tensorflowjs_layers',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
    outputs: [
      { name: 'output', datatype: 'FP32', shape: [-1, 3] },
      { name: 'classes', datatype: 'BYTES', shape: [-1] },
    ],
    properties: {},
  });
  const { properties: _none, ...rest } = meta;
  assert.deepEqual(rest, (await service.request('GET', '/v2/models/iris', undefined, { authorization: `Bearer ${APP}` })).body);
  assert.deepEqual((await rpc('ModelMetadata', { name: 'iris', version: '1' })).versions, ['1']);
});

test('ModelReady: true for a loaded version, false for a model without one, NOT_FOUND for an unknown version or model', async () => {
  assert.deepEqual(await rpc('ModelReady', { name: 'iris' }), { ready: true });
  assert.deepEqual(await rpc('ModelReady', { name: 'iris', version: '1' }), { ready: true });
  assert.deepEqual(await rpc('ModelReady', { name: 'untrained' }), { ready: false });
  assert.equal((await rpcError('ModelReady', { name: 'iris', version: '9' })).code, grpc.status.NOT_FOUND);
  assert.equal((await rpcError('ModelReady', { name: 'nope' })).code, grpc.status.NOT_FOUND);
});

test('ModelInfer with FP32 contents gives what /v1 predict gives, class names as BYTES, and echoes the id', async () => {
  const response = await infer([input('FP32', { fp32_contents: NEW_FLOWERS.flat() })], { id: 'req-7' });
  assert.equal(response.model_name, 'iris');
  assert.equal(response.model_version, '2');
  assert.equal(response.id, 'req-7');
  assert.deepEqual(response.raw_output_contents, []);
  const [output, classes] = response.outputs;
  assert.equal(output.name, 'output');
  assert.equal(output.datatype, 'FP32');
  assert.deepEqual(output.shape, [3, 3]);
  close(output.contents.fp32_contents, v1[2].predictions.flat());
  assert.equal(classes.name, 'classes');
  assert.equal(classes.datatype, 'BYTES');
  assert.deepEqual(classes.shape, [3]);
  assert.deepEqual(classes.contents.bytes_contents.map((b: Buffer) => b.toString('utf8')), v1[2].classes);
});

test('ModelInfer takes FP64, INT32, INT64, UINT8 and BOOL contents, converted as the model needs', async () => {
  const fp64 = await infer([input('FP64', { fp64_contents: NEW_FLOWERS.flat() })]);
  close(fp64.outputs[0].contents.fp32_contents, v1[2].predictions.flat());
  for (const [datatype, field] of [
    ['INT32', 'int_contents'],
    ['INT64', 'int64_contents'],
    ['UINT8', 'uint_contents'],
  ] as const) {
    const response = await infer([input(datatype, { [field]: [5, 3, 2, 1] }, [1, 4])]);
    close(response.outputs[0].contents.fp32_contents, v1.integers.predictions.flat());
  }
  const bools = await infer([input('BOOL', { bool_contents: [true, false, true, false] }, [1, 4])]);
  close(bools.outputs[0].contents.fp32_contents, v1.bools.predictions.flat());
});

test('ModelInfer with raw_input_contents (little-endian) answers in raw_output_contents', async () => {
  const fp32 = Buffer.alloc(48);
  NEW_FLOWERS.flat().forEach((x, i) => fp32.writeFloatLE(x, i * 4));
  const response = await infer([{ name: 'input', datatype: 'FP32', shape: [3, 4] }], { raw_input_contents: [fp32] });
  assert.deepEqual(
    response.outputs.map((o: any) => [o.name, o.datatype, o.shape, o.contents]),
    [
      ['output', 'FP32', [3, 3], null],
      ['classes', 'BYTES', [3], null],
    ],
  );
  const [predictions, classes] = response.raw_output_contents as Buffer[];
  close(floatsLE(predictions!), v1[2].predictions.flat());
  // BYTES raw: each element after its 4-byte little-endian length.
  const names: string[] = [];
  for (let at = 0; at < classes!.length; ) {
    const length = classes!.readUInt32LE(at);
    names.push(classes!.subarray(at + 4, at + 4 + length).toString('utf8'));
    at += 4 + length;
  }
  assert.deepEqual(names, v1[2].classes);

  const int64 = Buffer.alloc(32);
  [5, 3, 2, 1].forEach((x, i) => int64.writeBigInt64LE(BigInt(x), i * 8));
  const integers = await infer([{ name: 'input', datatype: 'INT64', shape: [1, 4] }], { raw_input_contents: [int64] });
  close(floatsLE(integers.raw_output_contents[0]), v1.integers.predictions.flat());
});

test('requested outputs: only those named, in raw form when their binary_data parameter asks', async () => {
  const flowers = [input('FP32', { fp32_contents: NEW_FLOWERS.flat() })];
  const classesOnly = await infer(flowers, { outputs: [{ name: 'classes' }] });
  assert.deepEqual(classesOnly.outputs.map((o: any) => o.name), ['classes']);
  assert.deepEqual(classesOnly.outputs[0].contents.bytes_contents.map((b: Buffer) => b.toString()), v1[2].classes);
  const raw = await infer(flowers, { outputs: [{ name: 'output', parameters: { binary_data: { bool_param: true } } }] });
  assert.deepEqual(raw.outputs.map((o: any) => o.name), ['output']);
  close(floatsLE(raw.raw_output_contents[0]), v1[2].predictions.flat());
  const unknown = await rpcError('ModelInfer', { model_name: 'iris', inputs: flowers, outputs: [{ name: 'logits' }] });
  assert.equal(unknown.code, grpc.status.INVALID_ARGUMENT);
  assert.match(unknown.details, /no output 'logits'/);
});

test('model_version selects a version', async () => {
  const response = await infer([input('FP32', { fp32_contents: NEW_FLOWERS.flat() })], { model_version: '1' });
  assert.equal(response.model_version, '1');
  close(response.outputs[0].contents.fp32_contents, v1[1].predictions.flat());
  const missing = await rpcError('ModelInfer', { model_name: 'iris', model_version: '9', inputs: [input('FP32', { fp32_contents: NEW_FLOWERS.flat() })] });
  assert.equal(missing.code, grpc.status.NOT_FOUND);
});

test('errors are status codes with messages: unknown model, wrong shape, wrong datatype, a model not ready', async () => {
  const flowers = input('FP32', { fp32_contents: NEW_FLOWERS.flat() });
  const unknown = await rpcError('ModelInfer', { model_name: 'nope', inputs: [flowers] });
  assert.equal(unknown.code, grpc.status.NOT_FOUND);
  assert.match(unknown.details, /nope/);
  assert.equal((await rpcError('ModelMetadata', { name: 'nope' })).code, grpc.status.NOT_FOUND);

  const cases: [object, RegExp][] = [
    [{ inputs: [input('FP32', { fp32_contents: [1, 2, 3, 4, 5] }, [1, 5])] }, /inputs\[0\]\.shape: expected shape \[-1, 4\], found \[1, 5\]/],
    [{ inputs: [input('FP32', { fp32_contents: [1, 2, 3] }, [1, 4])] }, /holds 4 elements, found 3/],
    [{ inputs: [input('FP16', { fp32_contents: [1, 2, 3, 4] }, [1, 4])] }, /unsupported datatype FP16/],
    [{ inputs: [input('UINT8', { uint_contents: [1, 2, 300, 4] }, [1, 4])] }, /expected an integer from 0 to 255 for UINT8/],
    [{ inputs: [input('FP32', { int_contents: [1, 2, 3, 4] }, [1, 4])] }, /datatype FP32 takes fp32_contents, found int_contents/],
    [{ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4] }], raw_input_contents: [Buffer.alloc(15)] }, /15 bytes is not a whole number of 4-byte FP32 elements/],
    [{ inputs: [flowers], raw_input_contents: [Buffer.alloc(48)] }, /must be empty when raw_input_contents is given/],
    [{ inputs: [{ ...flowers, name: 'x' }] }, /no input 'x'/],
  ];
  for (const [request, message] of cases) {
    const error = await rpcError('ModelInfer', { model_name: 'iris', ...request });
    assert.equal(error.code, grpc.status.INVALID_ARGUMENT, `${message}: ${error.details}`);
    assert.match(error.details, message);
  }

  const untrained = await rpcError('ModelInfer', { model_name: 'untrained', inputs: [flowers] });
  assert.equal(untrained.code, grpc.status.UNAVAILABLE);
  assert.match(untrained.details, /no trained version/);
});

test('the API keys of /v2/models: UNAUTHENTICATED without one, PERMISSION_DENIED with a wrong one, a predict key serves', async () => {
  const flowers = { model_name: 'iris', inputs: [input('FP32', { fp32_contents: NEW_FLOWERS.flat() })] };
  for (const [method, request] of [
    ['ModelMetadata', { name: 'iris' }],
    ['ModelReady', { name: 'iris' }],
    ['ModelInfer', flowers],
  ] as const) {
    const missing = await rpcError(method, request, null);
    assert.equal(missing.code, grpc.status.UNAUTHENTICATED, method);
    assert.match(missing.details, /Authorization: Bearer/);
    assert.equal((await rpcError(method, request, 'not-a-key')).code, grpc.status.PERMISSION_DENIED, method);
    assert.ok(await rpc(method, request, APP), method);
    assert.ok(await rpc(method, request, ADMIN), method);
  }
});

test('the rate limit counts model calls per client and answers RESOURCE_EXHAUSTED; server calls stay unlimited', async () => {
  const lines: Record<string, unknown>[] = [];
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const limited = await startService({ grpc: true, workers: 0, env: { API_KEYS: APP, RATE_LIMIT_MAX: '2' }, logger: createLogger({ LOG_LEVEL: 'info' }, stream) });
  const other = connect(limited.grpcPort);
  try {
    for (let i = 0; i < 3; i++) assert.deepEqual(await rpc('ServerLive', {}, null, other), { live: true });
    // A wrong key spends the budget as a right one does, so keys cannot be guessed at full speed.
    assert.equal((await rpcError('ModelMetadata', { name: 'iris' }, 'guessed-key-1', other)).code, grpc.status.PERMISSION_DENIED);
    assert.equal((await rpcError('ModelMetadata', { name: 'iris' }, APP, other, { 'x-request-id': 'grpc-call-2' })).code, grpc.status.NOT_FOUND);
    const over = await rpcError('ModelInfer', { model_name: 'iris', inputs: [] }, APP, other);
    assert.equal(over.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(over.details, /rate limit exceeded: 2 requests per 60 s/);
    assert.match(String(over.metadata.get('retry-after')[0]), /^\d+$/);
    assert.equal((await rpcError('ModelMetadata', { name: 'iris' }, APP, other)).code, grpc.status.RESOURCE_EXHAUSTED);
    assert.deepEqual(await rpc('ServerReady', {}, null, other), { ready: true });

    // One request line per call, in the HTTP ports' format, with the client's request id; never the key.
    const requests = lines.filter((line) => line.msg === 'request');
    assert.equal(requests.length, 8, JSON.stringify(requests));
    const named = requests.find((line) => line.request_id === 'grpc-call-2');
    assert.ok(named, JSON.stringify(requests));
    assert.deepEqual(
      { protocol: named.protocol, method: named.method, route: named.route, status: named.status, level: named.level },
      { protocol: 'grpc', method: 'POST', route: '/inference.GRPCInferenceService/ModelMetadata', status: 'NOT_FOUND', level: 30 },
    );
    assert.equal(typeof named.duration_ms, 'number');
    assert.deepEqual(
      requests.map((line) => line.status),
      ['OK', 'OK', 'OK', 'PERMISSION_DENIED', 'NOT_FOUND', 'RESOURCE_EXHAUSTED', 'RESOURCE_EXHAUSTED', 'OK'],
    );
    assert.ok(requests.every((line) => typeof line.request_id === 'string' && (line.request_id as string).length > 0));
    assert.ok(lines.some((line) => line.msg === 'authentication failed' && line.reason === 'unknown key'));
    assert.doesNotMatch(text, /guessed-key-1|grpc-app-key/);

    // The durations histogram, under protocol="grpc", by RPC path and status name.
    const { values } = await limited.metrics.httpDuration.get();
    const count = (labels: Record<string, string>) =>
      values
        .filter((v) => v.metricName === 'modelyard_http_request_duration_seconds_count' && Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x))
        .reduce((n, v) => n + v.value, 0);
    const route = (rpcName: string) => `/inference.GRPCInferenceService/${rpcName}`;
    assert.equal(count({ protocol: 'grpc', method: 'POST', route: route('ServerLive'), status_code: 'OK' }), 3);
    assert.equal(count({ protocol: 'grpc', route: route('ModelMetadata'), status_code: 'NOT_FOUND' }), 1);
    assert.equal(count({ protocol: 'grpc', status_code: 'RESOURCE_EXHAUSTED' }), 2);
    assert.equal(count({ protocol: 'grpc' }), 8);
  } finally {
    other.close();
    await limited.close();
  }
});

test('a call echoes its x-request-id in the response metadata, or gives one of its own', async () => {
  const responseMetadata = (more: Record<string, string>) =>
    new Promise<grpc.Metadata>((resolve, reject) => {
      const metadata = new grpc.Metadata();
      for (const [name, value] of Object.entries(more)) metadata.set(name, value);
      const call = (client as unknown as Record<string, (request: object, metadata: grpc.Metadata, callback: (error: grpc.ServiceError | null) => void) => grpc.ClientUnaryCall>).ServerLive;
      assert.ok(call);
      call.call(client, {}, metadata, (error) => (error ? reject(error) : undefined)).on('metadata', resolve);
    });
  assert.deepEqual((await responseMetadata({ 'x-request-id': 'grpc-echo-1' })).get('x-request-id'), ['grpc-echo-1']);
  const [given] = (await responseMetadata({ 'x-request-id': 'not a token' })).get('x-request-id');
  assert.match(String(given), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
});
