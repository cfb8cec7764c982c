import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildTfServingApp } from '../../src/api/tfserving-app.js';
import { IRIS, NEW_FLOWERS } from '../support/seed.js';
import { startService, type TestService } from '../support/service.js';

const KEYS = {
  root: 'tenants-root-key',
  acme: 'tenants-acme-train',
  acmePredict: 'tenants-acme-predict',
  globex: 'tenants-globex-train',
  globexPredict: 'tenants-globex-predict',
};
const API_KEYS = [KEYS.root, `${KEYS.acme}:train:acme`, `${KEYS.acmePredict}:predict:acme`, `${KEYS.globex}:train:globex`, `${KEYS.globexPredict}:predict:globex`].join(',');
type Who = keyof typeof KEYS;
const as = (who: Who) => ({ authorization: `Bearer ${KEYS[who]}` });

const PROTO = fileURLToPath(new URL('../../proto/open_inference_grpc.proto', import.meta.url));
/** Two rows of the Iris features, labelled: a tenant's own small dataset. */
const ROWS = { x: [[5.1, 3.5, 1.4, 0.2], [6.2, 2.9, 4.3, 1.3], [6.3, 3.3, 6.0, 2.5]], y: [0, 1, 2] };

function assertNotFound(response: { status: number; body: any }, what: string, message?: string): void {
  assert.equal(response.status, 404, `${what}: ${JSON.stringify(response.body)}`);
  assert.equal(response.body?.error?.code, 'not_found', what);
  if (message !== undefined) assert.equal(response.body.error.message, message, what);
}

describe('tenants: each key sees only its own tenant', () => {
  let service: TestService;
  let tfs: string;
  let tfsApp: FastifyInstance;
  let client: grpc.Client;
  /** Per tenant: its model, dataset and trained job, as the API returned them. */
  const own: Record<'acme' | 'globex', { model: any; dataset: any; job: any }> = {} as never;

  async function ended(id: string, who: Who): Promise<any> {
    for (;;) {
      const { body } = await service.request('GET', `/v1/jobs/${id}`, undefined, as(who));
      if (!['queued', 'running'].includes(body.status)) return body;
      await delay(100);
    }
  }

  before(async () => {
    service = await startService({ grpc: true, env: { API_KEYS } });
    // TF Serving's app as TFSERVING_PORT opens it, on a port picked as it binds.
    tfsApp = await buildTfServingApp(service.app);
    await tfsApp.listen({ port: 0, host: '127.0.0.1' });
    const address = tfsApp.server.address();
    tfs = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    for (const tenant of ['acme', 'globex'] as const) {
      const model = await service.request('POST', '/v1/models', { ...IRIS, name: `${tenant}-iris` }, as(tenant));
      assert.equal(model.status, 201, JSON.stringify(model.body));
      const dataset = await service.request('POST', '/v1/datasets', { name: `${tenant}-rows`, ...ROWS }, as(tenant));
      assert.equal(dataset.status, 201, JSON.stringify(dataset.body));
      const job = await service.request('POST', '/v1/jobs', { model: `${tenant}-iris`, dataset: { builtin: 'iris' }, fit: { epochs: 5 } }, as(tenant));
      assert.equal(job.status, 202, JSON.stringify(job.body));
      own[tenant] = { model: model.body, dataset: dataset.body, job: await ended(job.body.id, tenant) };
      assert.equal(own[tenant].job.status, 'completed');
    }
    const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
    const { inference } = grpc.loadPackageDefinition(definition) as unknown as { inference: { GRPCInferenceService: grpc.ServiceClientConstructor } };
    client = new inference.GRPCInferenceService(`127.0.0.1:${service.grpcPort}`, grpc.credentials.createInsecure());
  });
  after(async () => {
    client?.close();
    await tfsApp?.close();
    await service?.close();
  });

  test('records carry the tenant of the key that created them; each tenant lists only its own, an admin lists all', async () => {
    const shared = await service.request('POST', '/v1/models', { ...IRIS, name: 'root-iris' }, as('root'));
    assert.equal(shared.status, 201);
    assert.equal(shared.body.tenant, null, 'a key without a tenant creates records of no tenant');
    try {
      for (const tenant of ['acme', 'globex'] as const) {
        assert.equal(own[tenant].model.tenant, tenant);
        assert.equal(own[tenant].dataset.tenant, tenant);
        assert.equal(own[tenant].job.tenant, tenant);
        const models = await service.request('GET', '/v1/models', undefined, as(tenant));
        assert.deepEqual(models.body.models.map((m: any) => m.name), [`${tenant}-iris`]);
        const predictor = tenant === 'acme' ? 'acmePredict' : 'globexPredict';
        assert.deepEqual((await service.request('GET', '/v1/models', undefined, as(predictor))).body.models.map((m: any) => m.name), [`${tenant}-iris`]);
        const datasets = await service.request('GET', '/v1/datasets', undefined, as(tenant));
        assert.deepEqual(datasets.body.datasets.map((d: any) => d.name), [`${tenant}-rows`]);
        assert.ok(datasets.body.builtin.length > 0, 'the built-ins are everyone\'s');
        const jobs = await service.request('GET', '/v1/jobs', undefined, as(tenant));
        assert.deepEqual(jobs.body.jobs.map((j: any) => j.id), [own[tenant].job.id]);
      }
      const all = await service.request('GET', '/v1/models', undefined, as('root'));
      assert.deepEqual(all.body.models.map((m: any) => m.name).sort(), ['acme-iris', 'globex-iris', 'root-iris']);
      assert.deepEqual((await service.request('GET', '/v1/datasets', undefined, as('root'))).body.datasets.map((d: any) => d.name).sort(), ['acme-rows', 'globex-rows']);
      const jobs = await service.request('GET', '/v1/jobs', undefined, as('root'));
      assert.deepEqual(jobs.body.jobs.map((j: any) => j.id).sort(), [own.acme.job.id, own.globex.job.id].sort());
      const acmeJobsOfAdmin = await service.request('GET', `/v1/jobs?model=acme-iris`, undefined, as('root'));
      assert.deepEqual(acmeJobsOfAdmin.body.jobs.map((j: any) => j.id), [own.acme.job.id]);
    } finally {
      assert.equal((await service.request('DELETE', '/v1/models/root-iris', undefined, as('root'))).status, 204);
    }
  });

  test("another tenant's model is a 404 everywhere under /v1, by name and by id, worded as for a model that does not exist", async () => {
    const missing = await service.request('GET', '/v1/models/no-such-model', undefined, as('globex'));
    assertNotFound(missing, 'a missing model', "model 'no-such-model' not found");
    for (const ref of [own.acme.model.name, own.acme.model.id]) {
      const message = `model '${ref}' not found`;
      const m = encodeURIComponent(ref);
      for (const [who, method, path, body] of [
        ['globex', 'GET', `/v1/models/${m}`, undefined],
        ['globex', 'GET', `/v1/models/${m}/versions`, undefined],
        ['globex', 'GET', `/v1/models/${m}/versions/1`, undefined],
        ['globex', 'GET', `/v1/models/${m}/versions/1/artifact`, undefined],
        ['globex', 'GET', `/v1/models/${m}/versions/1/artifact/weights.bin`, undefined],
        ['globexPredict', 'GET', `/v1/models/${m}/layers`, undefined],
        ['globexPredict', 'POST', `/v1/models/${m}/predict`, { instances: NEW_FLOWERS }],
        ['globexPredict', 'POST', `/v1/models/${m}/inspect`, { instances: NEW_FLOWERS }],
        ['globexPredict', 'POST', `/v1/models/${m}/evaluate`, ROWS],
        ['globex', 'GET', `/v1/jobs?model=${m}`, undefined],
        ['globex', 'POST', '/v1/jobs', { model: ref, dataset: { builtin: 'iris' }, fit: { epochs: 1 } }],
        ['globex', 'DELETE', `/v1/models/${m}`, undefined],
      ] as const) {
        assertNotFound(await service.request(method, path, body, as(who)), `${who} ${method} ${path}`, message);
      }
    }
    // Still there, untouched, for its own tenant.
    const kept = await service.request('GET', `/v1/models/${own.acme.model.id}`, undefined, as('acme'));
    assert.equal(kept.status, 200);
    assert.equal(kept.body.latest_version, 1);
    const predicted = await service.request('POST', '/v1/models/acme-iris/predict', { instances: NEW_FLOWERS }, as('acmePredict'));
    assert.equal(predicted.status, 200);
    assert.equal(predicted.body.predictions.length, 3);
    assert.equal((await service.request('GET', '/v1/models/acme-iris/versions/1/artifact', undefined, as('acme'))).status, 200);
    assert.equal((await service.request('POST', '/v1/models/acme-iris/predict', { instances: NEW_FLOWERS }, as('root'))).status, 200, 'an admin serves any tenant\'s model');
  });

  test("another tenant's dataset and job are 404s, and a job may use only its own tenant's model and dataset", async () => {
    for (const ref of [own.acme.dataset.name, own.acme.dataset.id]) {
      const message = `dataset '${ref}' not found`;
      assertNotFound(await service.request('GET', `/v1/datasets/${ref}`, undefined, as('globex')), 'get dataset', message);
      assertNotFound(await service.request('DELETE', `/v1/datasets/${ref}`, undefined, as('globex')), 'delete dataset', message);
      const job = await service.request('POST', '/v1/jobs', { model: 'globex-iris', dataset: { id: ref }, fit: { epochs: 1 } }, as('globex'));
      assertNotFound(job, 'a job on their dataset', message);
      const evaluated = await service.request('POST', '/v1/models/globex-iris/evaluate', { dataset: { id: ref } }, as('globexPredict'));
      assertNotFound(evaluated, 'evaluate on their dataset', message);
    }
    const jobId = own.acme.job.id;
    const message = `job '${jobId}' not found`;
    assertNotFound(await service.request('GET', `/v1/jobs/${jobId}`, undefined, as('globex')), 'get job', message);
    assertNotFound(await service.request('POST', `/v1/jobs/${jobId}/cancel`, undefined, as('globex')), 'cancel job', message);
    const events = await fetch(`${service.url}/v1/jobs/${jobId}/events`, { headers: as('globex') });
    assert.equal(events.status, 404);
    assert.equal(((await events.json()) as any).error.code, 'not_found');
    assert.deepEqual((await service.request('GET', '/v1/jobs', undefined, as('globex'))).body.jobs.map((j: any) => j.id), [own.globex.job.id], 'no job was created');

    // Their own dataset, on their own model: evaluated, and the cancel of a finished job is a conflict, not a 404.
    const evaluated = await service.request('POST', '/v1/models/globex-iris/evaluate', { dataset: { id: 'globex-rows' } }, as('globexPredict'));
    assert.equal(evaluated.status, 200, JSON.stringify(evaluated.body));
    assert.equal(evaluated.body.samples, 3);
    assert.equal((await service.request('POST', `/v1/jobs/${own.globex.job.id}/cancel`, undefined, as('globex'))).status, 409);
    const events2 = await fetch(`${service.url}/v1/jobs/${own.globex.job.id}/events`, { headers: as('globex') });
    assert.equal(events2.status, 200);
    assert.match(await events2.text(), /event: status/);
  });

  test("names are unique across tenants: another tenant's name is a 409, and an inline model in a job becomes the job's tenant's", async () => {
    const taken = await service.request('POST', '/v1/models', { ...IRIS, name: 'acme-iris' }, as('globex'));
    assert.equal(taken.status, 409);
    assert.equal(taken.body.error.code, 'conflict');
    const datasetTaken = await service.request('POST', '/v1/datasets', { name: 'acme-rows', ...ROWS }, as('globex'));
    assert.equal(datasetTaken.status, 409);

    const queued = await service.request('POST', '/v1/jobs', { model: { ...IRIS, name: 'globex-inline' }, dataset: { id: 'globex-rows' }, fit: { epochs: 1 } }, as('globex'));
    assert.equal(queued.status, 202, JSON.stringify(queued.body));
    assert.equal(queued.body.tenant, 'globex');
    assert.equal((await ended(queued.body.id, 'globex')).status, 'completed');
    const inline = await service.request('GET', '/v1/models/globex-inline', undefined, as('globex'));
    assert.equal(inline.body.tenant, 'globex');
    assertNotFound(await service.request('GET', '/v1/models/globex-inline', undefined, as('acme')), 'the inline model from acme');
    assertNotFound(await service.request('GET', `/v1/jobs/${queued.body.id}`, undefined, as('acme')), 'the job from acme');
    assert.equal((await service.request('DELETE', '/v1/models/globex-inline', undefined, as('globex'))).status, 204);
  });

  test("the job list pages through a tenant's jobs only, with a working cursor and no empty page", async () => {
    const mine: string[] = [];
    for (let i = 0; i < 3; i++) {
      // Other tenants' jobs come between, so a page of acme's walks past them.
      for (const tenant of ['globex', 'acme'] as const) {
        const job = await service.request('POST', '/v1/jobs', { model: `${tenant}-iris`, dataset: { builtin: 'iris', limit: 30 }, fit: { epochs: 1 } }, as(tenant));
        assert.equal(job.status, 202);
        if (tenant === 'acme') mine.unshift(job.body.id);
        await ended(job.body.id, tenant);
      }
    }
    mine.push(own.acme.job.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `limit=1&cursor=${cursor}` : 'limit=1';
      const page = await service.request('GET', `/v1/jobs?${query}`, undefined, as('acme'));
      assert.equal(page.status, 200);
      assert.equal(page.body.jobs.length, 1, 'every page of a walk has its job');
      seen.push(...page.body.jobs.map((j: any) => j.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, mine);
    const completed = await service.request('GET', '/v1/jobs?status=completed&model=acme-iris&limit=10', undefined, as('acme'));
    assert.deepEqual(completed.body.jobs.map((j: any) => j.id), mine);
    const all = await service.request('GET', '/v1/jobs?limit=100', undefined, as('root'));
    assert.ok(all.body.jobs.length >= 2 * mine.length, 'the admin sees both tenants\' jobs');
  });

  test("the Open Inference Protocol's REST routes serve a tenant its own models only", async () => {
    for (const path of ['/v2/models/acme-iris', '/v2/models/acme-iris/ready', '/v2/models/acme-iris/versions/1']) {
      const response = await service.request('GET', path, undefined, as('globexPredict'));
      assert.equal(response.status, 404, path);
      assert.deepEqual(response.body, { error: "model 'acme-iris' not found" }, path);
      assert.equal((await service.request('GET', path, undefined, as('acmePredict'))).status, 200, path);
    }
    const body = { inputs: [{ name: 'input', datatype: 'FP32', shape: [3, 4], data: NEW_FLOWERS.flat() }] };
    assert.equal((await service.request('POST', '/v2/models/acme-iris/infer', body, as('globexPredict'))).status, 404);
    const inferred = await service.request('POST', '/v2/models/acme-iris/infer', body, as('acmePredict'));
    assert.equal(inferred.status, 200);
    assert.equal(inferred.body.model_name, 'acme-iris');
    assert.equal((await service.request('POST', '/v2/models/acme-iris/infer', body, as('root'))).status, 200);
  });

  test("TensorFlow Serving's REST API serves a tenant its own models only", async () => {
    const call = async (who: Who, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${tfs}${path}`, { method, headers: { ...as(who), ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
      return { status: response.status, body: (await response.json()) as any };
    };
    for (const [method, path, body] of [
      ['GET', '/v1/models/acme-iris', undefined],
      ['GET', '/v1/models/acme-iris/metadata', undefined],
      ['GET', '/v1/models/acme-iris/versions/1', undefined],
      ['POST', '/v1/models/acme-iris:predict', { instances: NEW_FLOWERS }],
      ['POST', '/v1/models/acme-iris/versions/1:predict', { instances: NEW_FLOWERS }],
    ] as const) {
      const refused = await call('globexPredict', method, path, body);
      assert.equal(refused.status, 404, `${method} ${path}: ${JSON.stringify(refused.body)}`);
      assert.equal(typeof refused.body.error, 'string');
      const served = await call('acmePredict', method, path, body);
      assert.equal(served.status, 200, `${method} ${path}: ${JSON.stringify(served.body)}`);
    }
    // TF Serving's own not-found wording, the same for a model of another tenant as for none.
    const missing = await call('globexPredict', 'POST', '/v1/models/nobody:predict', { instances: NEW_FLOWERS });
    const other = await call('globexPredict', 'POST', '/v1/models/acme-iris:predict', { instances: NEW_FLOWERS });
    assert.equal(other.body.error, missing.body.error.replace('nobody', 'acme-iris'));
  });

  test('gRPC inference scopes by the tenant of the key in the metadata', async () => {
    const rpc = (method: string, request: object, who: Who): Promise<any> => {
      const metadata = new grpc.Metadata();
      metadata.set('authorization', `Bearer ${KEYS[who]}`);
      const call = (client as unknown as Record<string, (r: object, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, r: any) => void) => void>)[method];
      assert.ok(call);
      return new Promise((resolve, reject) => call.call(client, request, metadata, (error, response) => (error ? reject(error) : resolve(response))));
    };
    const inputs = [{ name: 'input', datatype: 'FP32', shape: [3, 4], contents: { fp32_contents: NEW_FLOWERS.flat() } }];
    for (const [method, request] of [
      ['ModelMetadata', { name: 'acme-iris', version: '' }],
      ['ModelReady', { name: 'acme-iris', version: '' }],
      ['ModelInfer', { model_name: 'acme-iris', inputs }],
    ] as const) {
      await assert.rejects(rpc(method, request, 'globexPredict'), (error: grpc.ServiceError) => error.code === grpc.status.NOT_FOUND && /not found/.test(error.details), method);
      await rpc(method, request, 'acmePredict');
    }
    const inferred = await rpc('ModelInfer', { model_name: 'acme-iris', inputs }, 'acmePredict');
    assert.equal(inferred.model_name, 'acme-iris');
    assert.equal((await rpc('ModelReady', { name: 'globex-iris', version: '' }, 'root')).ready, true, 'an admin key reaches every tenant over gRPC too');
  });

  test("a sweep is its tenant's, and so are its trials' jobs; another tenant can neither start one on its model nor see, follow, cancel or promote it", async () => {
    const request = { dataset: { builtin: 'iris' }, fit: { epochs: 2, batch_size: 16 }, space: { 'fit.batch_size': { type: 'choice', values: [16, 32] } }, objective: { metric: 'loss' } };
    assertNotFound(await service.request('POST', '/v1/sweeps', { ...request, model: 'acme-iris' }, as('globex')), "a sweep on another tenant's model");
    const created = await service.request('POST', '/v1/sweeps', { ...request, model: 'acme-iris' }, as('acme'));
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.equal(created.body.tenant, 'acme');
    const id = created.body.id;
    let sweep = created.body;
    while (sweep.status === 'running') {
      await delay(100);
      sweep = (await service.request('GET', `/v1/sweeps/${id}`, undefined, as('acme'))).body;
    }
    assert.equal(sweep.status, 'completed', JSON.stringify(sweep));
    for (const trial of sweep.trials) {
      const job = await service.request('GET', `/v1/jobs/${trial.job_id}`, undefined, as('acme'));
      assert.equal(job.body.tenant, 'acme', 'a trial runs as a job of the sweep\'s tenant');
      assertNotFound(await service.request('GET', `/v1/jobs/${trial.job_id}`, undefined, as('globex')), "another tenant's trial job");
    }
    for (const [method, path] of [['GET', `/v1/sweeps/${id}`], ['GET', `/v1/sweeps/${id}/events`], ['POST', `/v1/sweeps/${id}/cancel`], ['POST', `/v1/sweeps/${id}/promote`]] as const) {
      assertNotFound(await service.request(method, path, undefined, as('globex')), `${method} ${path} by another tenant`);
    }
    const listed = (who: Who) => service.request('GET', '/v1/sweeps', undefined, as(who)).then((r) => r.body.sweeps.map((s: { id: string }) => s.id));
    assert.ok(!(await listed('globex')).includes(id), "another tenant's list leaves it out");
    assert.ok((await listed('acme')).includes(id));
    assert.ok((await listed('root')).includes(id), 'an admin lists every tenant\'s sweeps');
    const promoted = await service.request('POST', `/v1/sweeps/${id}/promote`, undefined, as('acme'));
    assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
  });

  test('a tenant deletes its own dataset and model, and never the other tenant\'s', async () => {
    assert.equal((await service.request('DELETE', '/v1/datasets/globex-rows', undefined, as('globex'))).status, 204);
    assertNotFound(await service.request('GET', '/v1/datasets/globex-rows', undefined, as('globex')), 'deleted');
    assert.equal((await service.request('GET', '/v1/datasets/acme-rows', undefined, as('acme'))).status, 200, "acme's dataset stays");
    assert.equal((await service.request('DELETE', '/v1/models/globex-iris', undefined, as('globex'))).status, 204);
    assert.equal((await service.request('GET', '/v1/models/acme-iris', undefined, as('acme'))).status, 200, "acme's model stays");
  });
});

test('the plain API_KEYS list from before tenants still gives admins, who see and use each other\'s records', async () => {
  const service = await startService({ workers: 0, env: { API_KEYS: 'a,b' } });
  try {
    const created = await service.request('POST', '/v1/models', { ...IRIS, name: 'from-a' }, { authorization: 'Bearer a' });
    assert.equal(created.status, 201);
    assert.equal(created.body.tenant, null);
    const dataset = await service.request('POST', '/v1/datasets', { name: 'rows-of-a', ...ROWS }, { authorization: 'Bearer a' });
    assert.equal(dataset.status, 201);
    const b = { authorization: 'Bearer b' };
    assert.deepEqual((await service.request('GET', '/v1/models', undefined, b)).body.models.map((m: any) => m.name), ['from-a']);
    assert.deepEqual((await service.request('GET', '/v1/datasets', undefined, b)).body.datasets.map((d: any) => d.name), ['rows-of-a']);
    const job = await service.request('POST', '/v1/jobs', { model: 'from-a', dataset: { id: 'rows-of-a' }, fit: { epochs: 1 } }, b);
    assert.equal(job.status, 202, JSON.stringify(job.body));
    assert.equal((await service.request('GET', `/v1/jobs/${job.body.id}`, undefined, { authorization: 'Bearer a' })).status, 200);
    assert.equal((await fetch(`${service.url}/metrics`, { headers: b })).status, 200, 'an admin still');
  } finally {
    await service.close();
  }
});

test('a bad API_KEYS stops the API at its start, with a message that names the entry and not the key', async () => {
  for (const [value, reason] of [
    ['fine-key,secret-key-9:admin:acme', /entry 2 of 2: .*admin key sees every tenant/],
    ['secret-key-9:train:Not_A_Tenant', /entry 1 of 1: .*TENANT is 1 to 63 of a-z/],
    ['secret-key-9:train:acme:extra', /entry 1 of 1: expected KEY, KEY:ROLE or KEY:ROLE:TENANT/],
  ] as const) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'api'], {
      env: { ...process.env, API_KEYS: value, REDIS_URL: 'redis://127.0.0.1:1', PORT: '0', GRPC_PORT: '0', TFSERVING_PORT: '0', LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 1, `${value}: ${output}`);
    assert.match(output, /API_KEYS/);
    assert.match(output, reason);
    assert.doesNotMatch(output, /secret-key-9|Not_A_Tenant|extra/, 'no part of the entry is shown');
  }
});

test("each request's log line names the tenant of its key, when the key has one", async () => {
  const lines: any[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  const service = await startService({ workers: 0, env: { API_KEYS }, logger: pino({ level: 'info' }, sink) });
  try {
    for (const who of ['acme', 'root'] as const) {
      const response = await service.request('GET', '/v1/models', undefined, { ...as(who), 'x-request-id': `log-${who}` });
      assert.equal(response.status, 200);
    }
    const line = (id: string) => lines.find((l) => l.msg === 'request' && l.request_id === id);
    assert.equal(line('log-acme')?.tenant, 'acme');
    assert.ok(line('log-root'), 'the admin request is logged');
    assert.equal('tenant' in line('log-root'), false);
  } finally {
    await service.close();
  }
});
