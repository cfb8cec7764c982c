import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { loadBuiltin } from '../../src/datasets/builtins.js';
import { freePort } from '../../src/local-redis.js';
import { useTestRedis, type TestRedis } from '../support/redis.js';
import { startS3, TEST_BUCKET, type TestS3 } from '../support/s3.js';
import { IRIS, NEW_FLOWERS } from '../support/seed.js';

// The API and a worker in processes of their own, as on two hosts: they share Redis and the
// S3 endpoint, and each has a DATA_DIR of its own that must stay empty.

let redis: TestRedis;
let s3: TestS3;
let storeUrl: string;
let apiUrl: string;
const processes: ChildProcess[] = [];
const dataDirs: string[] = [];

function startProcess(command: 'api' | 'worker', env: Record<string, string>): ChildProcess {
  const dataDir = mkdtempSync(join(tmpdir(), `modelyard-s3-${command}-`));
  dataDirs.push(dataDir);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', command], {
    env: {
      ...process.env,
      ...s3.env,
      REDIS_URL: redis.url,
      KEY_PREFIX: redis.prefix,
      ARTIFACT_STORE: storeUrl,
      DATA_DIR: dataDir,
      GRPC_PORT: '0',
      LOG_LEVEL: 'error',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  processes.push(child);
  return child;
}

async function request(method: string, path: string, body?: unknown, contentType = 'application/json') {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': contentType },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    redirect: 'manual',
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

before(async () => {
  redis = await useTestRedis();
  s3 = await startS3();
  storeUrl = s3.storeUrl();
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  startProcess('api', { PORT: String(port), HOST: '127.0.0.1', ARTIFACT_REDIRECT: 'presigned' });
  startProcess('worker', {});
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ready = await fetch(`${apiUrl}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) break;
    if (Date.now() > deadline) throw new Error('the API process did not get ready');
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(async () => {
  for (const child of processes) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  for (const Key of await s3.keys(storeUrl)) await s3.client.send(new DeleteObjectCommand({ Bucket: TEST_BUCKET, Key }));
  await s3.stop();
  await redis.cleanup();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/** The built-in Iris data as the CSV a client would upload. */
function irisCsv(): string {
  const iris = loadBuiltin('iris');
  const x = Array.from(iris.x.data);
  const names = iris.classNames ?? [];
  const rows = Array.from(iris.y.data, (label, i) => [...x.slice(i * 4, i * 4 + 4), names[label] ?? label].join(','));
  return ['sepal_length,sepal_width,petal_length,petal_width,species', ...rows].join('\n');
}

test('the Iris flow with the API and a worker sharing only Redis and the S3 endpoint', async () => {
  const uploaded = await request('POST', '/v1/datasets?name=iris-csv&target=species', irisCsv(), 'text/csv');
  assert.equal(uploaded.status, 201, JSON.stringify(uploaded.body));
  const model = await request('POST', '/v1/models', { ...IRIS, name: 'iris' });
  assert.equal(model.status, 201, JSON.stringify(model.body));

  const submitted = await request('POST', '/v1/jobs', { model: 'iris', dataset: { id: uploaded.body.id }, fit: { epochs: 150, batch_size: 32 } });
  assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
  let job;
  for (const deadline = Date.now() + 240_000; ; ) {
    job = (await request('GET', `/v1/jobs/${submitted.body.id}`)).body;
    if (!['queued', 'running'].includes(job.status)) break;
    if (Date.now() > deadline) throw new Error(`job still ${job.status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(job.status, 'completed', JSON.stringify(job.error));
  assert.ok(job.history.accuracy.at(-1) > 0.8, `accuracy ${job.history.accuracy.at(-1)}`);

  const predicted = await request('POST', '/v1/models/iris/predict', { instances: NEW_FLOWERS });
  assert.equal(predicted.status, 200, JSON.stringify(predicted.body));
  assert.equal(predicted.body.classes[0], 'setosa');

  // The version lives in the bucket: model.json through the API, the weights by a presigned redirect.
  const modelJson = await request('GET', '/v1/models/iris/versions/1/artifact');
  assert.equal(modelJson.status, 200);
  assert.deepEqual(modelJson.body.weightsManifest[0].paths, ['artifact/weights.bin']);
  const weights = await request('GET', '/v1/models/iris/versions/1/artifact/weights.bin');
  assert.equal(weights.status, 302);
  const location = weights.headers.get('location') ?? '';
  assert.ok(location.startsWith(`${s3.env.S3_ENDPOINT}/${TEST_BUCKET}/`), location);
  const fetched = new Uint8Array(await (await fetch(location)).arrayBuffer());
  const expectedBytes = modelJson.body.weightsManifest[0].weights.reduce(
    (sum: number, w: { shape: number[] }) => sum + 4 * w.shape.reduce((a: number, b: number) => a * b, 1),
    0,
  );
  assert.equal(fetched.byteLength, expectedBytes);
  assert.equal((await request('GET', '/v1/models/iris/versions/1/artifact/other.bin')).status, 404);

  const keys = await s3.keys(storeUrl);
  const prefix = `${new URL(storeUrl).pathname.slice(1)}/`;
  assert.ok(keys.some((key) => key.startsWith(`${prefix}datasets/${uploaded.body.id}/`)), keys.join('\n'));
  assert.ok(keys.some((key) => key.startsWith(`${prefix}models/${model.body.id}/`) && key.endsWith('/weights.bin')), keys.join('\n'));
  // Nothing went to either process's own directory.
  for (const dir of dataDirs) assert.deepEqual(readdirSync(dir).filter((entry) => !entry.startsWith('.')), [], dir);
});
