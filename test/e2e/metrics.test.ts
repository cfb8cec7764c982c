import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { Server } from 'node:http';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { Metrics, serveMetrics } from '../../src/metrics.js';
import { createQueueConnection, createTrainingQueue } from '../../src/queue/training-queue.js';
import { createRedisStores } from '../../src/registry/stores.js';
import { selectBackend, type BackendName } from '../../src/tf/backend.js';
import { freePort } from '../../src/local-redis.js';
import { startService, type TestService } from '../support/service.js';

const KEY = 'metrics-test-key';
const AUTH = { authorization: `Bearer ${KEY}` };
const EPOCHS = 4;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus's text format, the sample lines of it. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key as string] = value as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The one sample with this name whose labels include `labels`. */
function sample(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.equal(found.length, 1, `${name}${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0] as Sample;
}

let service: TestService;
let scraped: Sample[];

before(async () => {
  service = await startService({ env: { API_KEYS: KEY } });
  const model = {
    name: 'iris-metrics',
    architecture: { type: 'sequential', layers: [{ type: 'Dense', units: 4, activation: 'relu' }, { type: 'Dense', units: 3, activation: 'softmax' }] },
    compile: { loss: 'sparse_categorical_crossentropy', optimizer: 'adam', metrics: ['accuracy'] },
  };
  assert.equal((await service.request('POST', '/v1/models', model, AUTH)).status, 201);
  const job = await service.request('POST', '/v1/jobs', { model: 'iris-metrics', dataset: { builtin: 'iris' }, fit: { epochs: EPOCHS, validation_split: 0.2 } }, AUTH);
  assert.equal(job.status, 202);
  const finished = await waitForJob(job.body.id);
  assert.equal(finished.status, 'completed', JSON.stringify(finished.error));
  for (let i = 0; i < 2; i++) {
    const predicted = await service.request('POST', '/v1/models/iris-metrics/predict', { instances: [[5.1, 3.5, 1.4, 0.2]] }, AUTH);
    assert.equal(predicted.status, 200);
  }
  const response = await fetch(`${service.url}/metrics`, { headers: AUTH });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  scraped = parse(await response.text());
});
after(async () => {
  await service.close();
});

async function waitForJob(id: string): Promise<{ status: string; error: unknown }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { body } = await service.request('GET', `/v1/jobs/${id}`, undefined, AUTH);
    if (!['queued', 'running'].includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${body.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('/metrics needs an admin key when API_KEYS is set: its labels name the models', async () => {
  assert.equal((await service.request('GET', '/v1/models')).status, 401);
  assert.equal((await fetch(`${service.url}/metrics`)).status, 401);
  assert.equal((await fetch(`${service.url}/metrics`, { headers: AUTH })).status, 200);
});

test('jobs by status come from the registry at scrape time', () => {
  assert.ok(sample(scraped, 'modelyard_jobs', { status: 'completed' }).value >= 1);
  for (const status of ['queued', 'running', 'failed', 'cancelled']) assert.equal(sample(scraped, 'modelyard_jobs', { status }).value, 0);
});

test('the queue depth is read from BullMQ at scrape time', () => {
  for (const state of ['waiting', 'prioritized', 'delayed', 'active']) assert.equal(sample(scraped, 'modelyard_queue_jobs', { state }).value, 0);
});

test("the worker's epochs show on the API's /metrics: durations and samples per second by model and engine", () => {
  const epochs = sample(scraped, 'modelyard_epoch_duration_seconds_count', { model: 'iris-metrics' });
  assert.match(epochs.labels.engine ?? '', /^(graph|eager)$/);
  const count = epochs.value;
  assert.ok(count >= EPOCHS, `${count} epochs observed`);
  assert.ok(sample(scraped, 'modelyard_epoch_duration_seconds_sum', { model: 'iris-metrics' }).value > 0);
  assert.equal(sample(scraped, 'modelyard_epoch_duration_seconds_bucket', { model: 'iris-metrics', le: '+Inf' }).value, count);
  assert.ok(sample(scraped, 'modelyard_training_samples_per_second', { model: 'iris-metrics' }).value > 0);
});

test('HTTP durations are labelled by route pattern, method, status and protocol, never by raw URL', () => {
  const predict = { method: 'POST', route: '/v1/models/:model/predict', status_code: '200', protocol: 'v1' };
  assert.equal(sample(scraped, 'modelyard_http_request_duration_seconds_count', predict).value, 2);
  assert.equal(sample(scraped, 'modelyard_http_request_duration_seconds_count', { method: 'POST', route: '/v1/jobs', status_code: '202' }).value, 1);
  assert.ok(sample(scraped, 'modelyard_http_request_duration_seconds_count', { method: 'GET', route: '/v1/jobs/:job', status_code: '200' }).value >= 1);
  const routes = new Set(scraped.filter((s) => s.name.startsWith('modelyard_http_request_duration_seconds')).map((s) => s.labels.route));
  assert.ok(![...routes].some((route) => route?.includes('iris-metrics') || route?.includes('job_')), [...routes].join(', '));
});

test('predict latency by model, and the model cache: one load, then a hit', () => {
  assert.equal(sample(scraped, 'modelyard_predict_duration_seconds_count', { model: 'iris-metrics' }).value, 2);
  assert.equal(sample(scraped, 'modelyard_model_cache_misses_total').value, 1);
  assert.equal(sample(scraped, 'modelyard_model_cache_hits_total').value, 1);
});

test('the info gauge names the backend and versions; default process metrics are there', async () => {
  const info = sample(scraped, 'modelyard_info');
  assert.equal(info.value, 1);
  const backend = await selectBackend(process.env.TF_BACKEND as BackendName | undefined);
  assert.equal(info.labels.backend, backend.name);
  assert.equal(info.labels.tensorflow_version, backend.tensorflowVersion ?? '');
  assert.match(info.labels.tfjs_version ?? '', /^\d+\.\d+\.\d+/);
  assert.ok(sample(scraped, 'process_cpu_user_seconds_total').value > 0);
});

test("the tensor gauge is this process's tf.memory().numTensors", async () => {
  const tensors = sample(parse(await (await fetch(`${service.url}/metrics`, { headers: AUTH })).text()), 'modelyard_tf_tensors');
  assert.equal(tensors.value, tf.memory().numTensors);
});

test('a worker-only process serves its own /metrics; a second Metrics in the process does not collide', async () => {
  const backend = await selectBackend(process.env.TF_BACKEND as BackendName | undefined);
  const metrics = new Metrics(backend);
  metrics.observeEpoch('solo', 'eager', 0.5, 100);
  let server: Server | undefined;
  try {
    server = await serveMetrics(metrics, 0, '127.0.0.1');
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const response = await fetch(`${url}/metrics`);
    assert.equal(response.status, 200);
    const samples = parse(await response.text());
    assert.equal(sample(samples, 'modelyard_epoch_duration_seconds_count', { model: 'solo', engine: 'eager' }).value, 1);
    assert.equal(sample(samples, 'modelyard_training_samples_per_second', { model: 'solo' }).value, 200);
    assert.equal(sample(samples, 'modelyard_info').labels.backend, backend.name);
    assert.ok(!samples.some((s) => s.name === 'modelyard_jobs'), 'no API, no job gauges');
    assert.equal((await fetch(`${url}/other`)).status, 404);
  } finally {
    server?.close();
  }
});

test('a scrape with Redis away still answers, within seconds, leaving out what Redis would have told', async () => {
  const backend = await selectBackend(process.env.TF_BACKEND as BackendName | undefined);
  const deadUrl = `redis://127.0.0.1:${await freePort()}`;
  const client = new Redis(deadUrl, { maxRetriesPerRequest: 1 });
  const connection = createQueueConnection(deadUrl);
  const queue = createTrainingQueue(connection, 'metrics-dead');
  for (const emitter of [client, connection, queue]) emitter.on('error', () => undefined);
  const stores = createRedisStores({ redis: client, prefix: 'metrics-dead' });
  const metrics = new Metrics(backend);
  metrics.observeApi({ jobs: stores.jobs, queue, cache: { hits: 3, misses: 2 } });
  try {
    const started = Date.now();
    const samples = parse(await metrics.registry.metrics());
    assert.ok(Date.now() - started < 5000, `scrape took ${Date.now() - started} ms`);
    assert.ok(!samples.some((s) => s.name === 'modelyard_jobs' || s.name === 'modelyard_queue_jobs'));
    assert.equal(sample(samples, 'modelyard_model_cache_hits_total').value, 3);
    assert.equal(sample(samples, 'modelyard_model_cache_misses_total').value, 2);
  } finally {
    await queue.close().catch(() => undefined);
    await stores.close();
    client.disconnect();
    connection.disconnect();
  }
});
