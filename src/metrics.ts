import { createServer, type Server } from 'node:http';
import * as tf from '@tensorflow/tfjs';
import { Counter, Gauge, Histogram, Registry as PromRegistry, collectDefaultMetrics } from 'prom-client';
import type { TrainingQueue } from './queue/training-queue.js';
import type { JobStore } from './jobs/job-store.js';
import type { JobEngine } from './jobs/record.js';
import type { BackendInfo } from './tf/backend.js';

/** The protocol a request spoke: the API's own routes, the Open Inference Protocol's under /v2 or over gRPC, TensorFlow Serving's REST API. */
export type RequestProtocol = 'v1' | 'v2' | 'tfserving' | 'grpc';

/** What the API's scrape-time gauges read. */
export interface ApiSources {
  jobs: Pick<JobStore, 'countByStatus'>;
  queue: Pick<TrainingQueue, 'getJobCounts'>;
  cache: { hits: number; misses: number };
}

/** BullMQ's states that make up the queue's depth: work taken or still to take. */
const QUEUE_STATES = ['waiting', 'prioritized', 'delayed', 'active'] as const;

/** A scrape that waits on a Redis that is away would stall the scraper; the series is left out instead. */
const SCRAPE_READ_MS = 2000;

/**
 * One process's Prometheus metrics, on a registry of its own (not prom-client's
 * global one), so several apps in one process never collide. Under `modelyard all`
 * the API and the worker share one, and the API's /metrics shows both.
 */
export class Metrics {
  readonly registry = new PromRegistry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code' | 'protocol'>;
  readonly epochDuration: Histogram<'model' | 'engine'>;
  readonly samplesPerSecond: Gauge<'model' | 'engine'>;
  readonly predictDuration: Histogram<'model'>;

  constructor(backend: BackendInfo) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'modelyard_info',
      help: 'the TensorFlow.js backend this process trains and predicts on (always 1)',
      labelNames: ['backend', 'tensorflow_version', 'tfjs_version'],
      registers,
    }).set({ backend: backend.name, tensorflow_version: backend.tensorflowVersion ?? '', tfjs_version: backend.tfjsVersion }, 1);
    new Gauge({
      name: 'modelyard_tf_tensors',
      help: 'tensors TensorFlow.js holds in this process (tf.memory().numTensors): steady under load, or something leaks',
      registers,
      collect() {
        this.set(tf.memory().numTensors);
      },
    });
    this.httpDuration = new Histogram({
      name: 'modelyard_http_request_duration_seconds',
      help: "requests by method, route pattern, status code and protocol (v1, v2, tfserving, grpc); a gRPC call's route is its RPC's path and its status code the gRPC status name",
      labelNames: ['method', 'route', 'status_code', 'protocol'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.epochDuration = new Histogram({
      name: 'modelyard_epoch_duration_seconds',
      help: 'training epochs by model and training engine, including validation',
      labelNames: ['model', 'engine'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900],
      registers,
    });
    this.samplesPerSecond = new Gauge({
      name: 'modelyard_training_samples_per_second',
      help: "training samples per second in each model's latest epoch, by training engine",
      labelNames: ['model', 'engine'],
      registers,
    });
    this.predictDuration = new Histogram({
      name: 'modelyard_predict_duration_seconds',
      help: 'predict calls by model, from the request parsed to the predictions, loading included',
      labelNames: ['model'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
  }

  /** One finished epoch of `samples` training samples that took `seconds` on `engine`. */
  observeEpoch(model: string, engine: JobEngine, seconds: number, samples: number): void {
    this.epochDuration.observe({ model, engine }, seconds);
    if (seconds > 0) this.samplesPerSecond.set({ model, engine }, samples / seconds);
  }

  /** The API's gauges, read when scraped: jobs by status, queue depth, model cache. Once per Metrics. */
  observeApi(sources: ApiSources): void {
    const registers = [this.registry];
    new Gauge({
      name: 'modelyard_jobs',
      help: 'training jobs by status, from the registry',
      labelNames: ['status'],
      registers,
      async collect() {
        this.reset();
        const counts = await readWithin(() => sources.jobs.countByStatus());
        for (const [status, count] of Object.entries(counts ?? {})) this.set({ status }, count);
      },
    });
    new Gauge({
      name: 'modelyard_queue_jobs',
      help: 'training queue depth by BullMQ state',
      labelNames: ['state'],
      registers,
      async collect() {
        this.reset();
        const counts = await readWithin(() => sources.queue.getJobCounts(...QUEUE_STATES));
        for (const state of QUEUE_STATES) if (counts) this.set({ state }, counts[state] ?? 0);
      },
    });
    new Counter({
      name: 'modelyard_model_cache_hits_total',
      help: 'predict, evaluate and inspect calls served by an already loaded version',
      registers,
      collect() {
        this.reset();
        this.inc(sources.cache.hits);
      },
    });
    new Counter({
      name: 'modelyard_model_cache_misses_total',
      help: 'predict, evaluate and inspect calls that loaded a version from the artifact store',
      registers,
      collect() {
        this.reset();
        this.inc(sources.cache.misses);
      },
    });
  }
}

async function readWithin<T>(read: () => Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), SCRAPE_READ_MS)));
  try {
    return await Promise.race([read().catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** GET /metrics on its own port, for a worker-only process, which has no API to serve it. */
export function serveMetrics(metrics: Metrics, port: number, host: string): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'application/json' }).end(
        JSON.stringify({ error: { code: 'not_found', message: `no route ${request.method} ${request.url?.split('?')[0]}` } }),
      );
      return;
    }
    metrics.registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      () => response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'internal_error', message: 'internal error' } })),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
