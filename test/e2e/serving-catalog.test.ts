import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_OPTIONS, PROTO_PATH } from '../../src/api/grpc-server.js';
import { freePort, type RedisServer } from '../../src/local-redis.js';
import { startRedisServer } from '../support/redis.js';
import { commandsDuring } from '../support/redis-monitor.js';
import { IRIS, NEW_FLOWERS } from '../support/seed.js';
import { startService, type TestService } from '../support/service.js';
import { waitUntil } from '../support/wait.js';

// A server of this file's own, as the last test restarts it.
let server: RedisServer;
let service: TestService;
let tfserving: string;
let grpcClient: grpc.Client;

before(async () => {
  server = await startRedisServer();
  const tfservingPort = await freePort();
  service = await startService({ grpc: true, env: { REDIS_URL: server.url, TFSERVING_PORT: String(tfservingPort) } });
  tfserving = `http://127.0.0.1:${tfservingPort}`;
  const { inference } = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO_PATH, PROTO_OPTIONS)) as unknown as {
    inference: { GRPCInferenceService: grpc.ServiceClientConstructor };
  };
  grpcClient = new inference.GRPCInferenceService(`127.0.0.1:${service.grpcPort}`, grpc.credentials.createInsecure());
});
after(async () => {
  grpcClient.close();
  await service.close();
  await server.stop();
});

function rpc(method: 'ModelMetadata' | 'ModelInfer', request: object): Promise<any> {
  const call = (grpcClient as unknown as Record<string, (request: object, callback: (error: grpc.ServiceError | null, response: unknown) => void) => void>)[method];
  assert.ok(call);
  return new Promise((resolve, reject) => call.call(grpcClient, request, (error, response) => (error ? reject(error) : resolve(response))));
}

async function tfservingGet(path: string): Promise<any> {
  const response = await fetch(`${tfserving}${path}`);
  assert.equal(response.status, 200, path);
  return response.json();
}

/** The version each protocol serves now, by each way it says so. */
function versionProbes(model: string): Record<string, () => Promise<number>> {
  const flowers = { name: 'input', shape: [3, 4], datatype: 'FP32' };
  return {
    'v1 predict': async () => (await service.request('POST', `/v1/models/${model}/predict`, { instances: NEW_FLOWERS })).body.version,
    'V2 REST metadata': async () => Number((await service.request('GET', `/v2/models/${model}`)).body.versions[0]),
    'V2 REST infer': async () => Number((await service.request('POST', `/v2/models/${model}/infer`, { inputs: [{ ...flowers, data: NEW_FLOWERS.flat() }] })).body.model_version),
    'gRPC ModelMetadata': async () => Number((await rpc('ModelMetadata', { name: model })).versions[0]),
    'gRPC ModelInfer': async () => Number((await rpc('ModelInfer', { model_name: model, inputs: [{ ...flowers, contents: { fp32_contents: NEW_FLOWERS.flat() } }] })).model_version),
    'TF Serving status': async () => Number((await tfservingGet(`/v1/models/${model}`)).model_version_status[0].version),
    'TF Serving metadata': async () => Number((await tfservingGet(`/v1/models/${model}/metadata`)).model_spec.version),
  };
}

async function train(model: string): Promise<number> {
  const submitted = await service.request('POST', '/v1/jobs', { model, dataset: { builtin: 'iris' }, fit: { epochs: 5, batch_size: 32 } });
  assert.equal(submitted.status, 202);
  const job = await service.waitForJob(submitted.body.id);
  assert.equal(job.status, 'completed');
  return job.version;
}

/** The commands the API's own Redis connections send while `work` runs. */
async function apiCommandsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const apiPorts = new Set([service.app.redis.stream.localPort]);
  const seen = await commandsDuring(
    {
      url: server.url,
      marker: `${service.redis.prefix}:monitor-marker`,
      sendMarker: (marker) => service.redis.client.exists(marker),
      keep: ({ args, source }) => apiPorts.has(Number(source.split(':').at(-1))) || args.some((arg) => arg.startsWith(`${service.redis.prefix}:model`)),
    },
    work,
  );
  return seen.map(({ args }) => args.join(' '));
}

test('a new version is served as soon as its job completes, and a predict sends Redis nothing', async () => {
  assert.equal((await service.request('POST', '/v1/models', IRIS)).status, 201);
  assert.equal(await train('iris'), 1);
  const first = await service.request('POST', '/v1/models/iris/predict', { instances: NEW_FLOWERS });
  assert.equal(first.status, 200);
  assert.equal(first.body.version, 1);

  assert.equal(await train('iris'), 2);
  let predicted = { status: 0, version: 0 };
  const loads = await apiCommandsDuring(async () => {
    const { status, body } = await service.request('POST', '/v1/models/iris/predict', { instances: NEW_FLOWERS });
    predicted = { status, version: body.version };
  });
  assert.equal(predicted.status, 200);
  assert.equal(predicted.version, 2, 'the version the job just added, right after it completed');
  assert.ok(loads.length > 0, 'the first predict of version 2 loads its record');

  const hot = await apiCommandsDuring(async () => {
    const again = await service.request('POST', '/v1/models/iris/predict', { instances: NEW_FLOWERS });
    assert.equal(again.status, 200);
    assert.equal(again.body.version, 2);
    assert.equal(again.body.predictions.length, 3);
    assert.equal(again.body.classes.length, 3);
    const old = await service.request('POST', '/v1/models/iris/predict', { instances: NEW_FLOWERS, version: 1 });
    assert.equal(old.body.version, 1);
  });
  assert.deepEqual(hot, [], 'no Redis command on the predict path once the version is loaded');
});

// The product's target is 100 ms from the job's completion (the bench measures it, on every protocol); a test
// on a shared CI machine asserts what cannot flake: each protocol comes to the new version by itself, no reload
// or restart, and once it has answered with it, never answers with the old one again.
test('a new version reaches every protocol once its job completes, and none answers with the old one after', async () => {
  assert.equal((await service.request('POST', '/v1/models', { ...IRIS, name: 'everywhere' })).status, 201);
  assert.equal(await train('everywhere'), 1);
  const probes = versionProbes('everywhere');
  for (const [name, probe] of Object.entries(probes)) assert.equal(await probe(), 1, `${name} serves version 1`);

  const submitted = await service.request('POST', '/v1/jobs', { model: 'everywhere', dataset: { builtin: 'iris' }, fit: { epochs: 5, batch_size: 32 } });
  assert.equal(submitted.status, 202);
  const job = await waitUntil('the second job to end', async () => {
    const { body } = await service.request('GET', `/v1/jobs/${submitted.body.id}`);
    return ['queued', 'running'].includes(body.status) ? undefined : body;
  });
  assert.equal(job.status, 'completed');
  assert.equal(job.version, 2);

  await Promise.all(
    Object.entries(probes).map(async ([name, probe]) => {
      const answers: number[] = [];
      await waitUntil(`${name} to serve version 2`, async () => {
        answers.push(await probe());
        return answers.at(-1) === 2 ? true : undefined;
      }, 30_000);
      for (let i = 0; i < 10; i++) answers.push(await probe());
      const first = answers.indexOf(2);
      assert.ok(answers.slice(0, first).every((version) => version === 1), `${name}: ${answers.join(', ')}`);
      assert.ok(answers.slice(first).every((version) => version === 2), `${name} went back to an old version: ${answers.join(', ')}`);
    }),
  );
});

test('a deleted model answers 404 at once, though its versions were loaded', async () => {
  assert.equal((await service.request('POST', '/v1/models', { ...IRIS, name: 'doomed' })).status, 201);
  await train('doomed');
  assert.equal((await service.request('POST', '/v1/models/doomed/predict', { instances: NEW_FLOWERS })).status, 200);
  assert.equal((await service.request('DELETE', '/v1/models/doomed')).status, 204);
  const gone = await service.request('POST', '/v1/models/doomed/predict', { instances: NEW_FLOWERS, version: 1 });
  assert.equal(gone.status, 404);
  assert.equal(gone.body.error.code, 'not_found');
});

test('after a Redis restart the catalog loads again: a model lost with the data is no longer served from memory', async () => {
  assert.equal((await service.request('POST', '/v1/models/iris/predict', { instances: NEW_FLOWERS })).status, 200);
  const { catalog } = service.app.modelCache;
  const reloads = catalog.reloads;
  // No persistence: the server comes back empty, and no event says the model went.
  await server.stop();
  server = await startRedisServer(server.port);
  while (catalog.reloads === reloads) await new Promise((r) => setTimeout(r, 20));
  const lost = await service.request('POST', '/v1/models/iris/predict', { instances: NEW_FLOWERS });
  assert.equal(lost.status, 404);
});
