import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { buildApp } from '../../src/api/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { Metrics } from '../../src/metrics.js';
import { createQueueConnection, createTrainingQueue, type TrainingQueue } from '../../src/queue/training-queue.js';
import { FileArtifactStore } from '../../src/registry/file-artifact-store.js';
import { createPatientConnection } from '../../src/registry/connection.js';
import { createRedisStores, type Stores } from '../../src/registry/stores.js';
import { selectBackend, type BackendName } from '../../src/tf/backend.js';
import { startTrainingWorker, type TrainingWorker } from '../../src/worker/worker.js';
import { useTestRedis, type TestRedis } from './redis.js';

export interface TestService {
  url: string;
  config: Config;
  redis: TestRedis;
  stores: Stores;
  artifacts: FileArtifactStore;
  app: FastifyInstance;
  workers: TrainingWorker[];
  /** Shared by the API and the workers, as under `modelyard all`. */
  metrics: Metrics;
  /** JSON over real HTTP; the parsed body (null when empty) and the status. */
  request<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T; headers: Headers }>;
  /** The gRPC service's port, when started with `grpc`. */
  grpcPort: number | undefined;
  /** Polls a job until it leaves queued/running. */
  waitForJob(id: string, timeoutMs?: number): Promise<any>;
  close(): Promise<void>;
}

export interface ServiceOptions {
  workers?: number;
  env?: Record<string, string>;
  /** Where the API and workers log; silent (or TEST_LOG_LEVEL) by default. */
  logger?: Logger;
  /** Also serve the Open Inference Protocol over gRPC, on a free port. */
  grpc?: boolean;
}

/**
 * The API listening on a free port and `workers` training workers in this
 * process, on real Redis (a unique key prefix) and a temporary DATA_DIR.
 */
export async function startService(options: ServiceOptions = {}): Promise<TestService> {
  const redis = await useTestRedis(options.env?.REDIS_URL ?? process.env.REDIS_URL);
  const dataDir = mkdtempSync(join(tmpdir(), 'modelyard-test-'));
  const config = loadConfig({ KEY_PREFIX: redis.prefix, DATA_DIR: dataDir, LOG_LEVEL: 'silent', TFSERVING_PORT: '0', ...options.env, REDIS_URL: redis.url });
  const backend = await selectBackend(process.env.TF_BACKEND as BackendName | undefined);
  const logger = options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const metrics = new Metrics(backend);
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  const stores = createRedisStores({ redis: client, prefix: redis.prefix });
  const artifacts = new FileArtifactStore(dataDir);
  const queueConnection = createQueueConnection(redis.url);
  const queue: TrainingQueue = createTrainingQueue(queueConnection, redis.prefix);
  // Tests that stop Redis expect these connections to complain; the assertions say what matters.
  for (const emitter of [client, queueConnection, queue]) emitter.on('error', () => undefined);
  const app = await buildApp({ config, redis: client, stores, artifacts, queue, backend, logger, metrics });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const grpcPort = options.grpc ? await app.grpcServer.listen(0, '127.0.0.1') : undefined;

  // The workers' registry connection, as `modelyard worker` opens it: it waits out a Redis outage.
  const patient = createPatientConnection(redis.url, config.REDIS_WAIT_MS);
  patient.on('error', () => undefined);
  const workerStores = createRedisStores({ redis: patient, prefix: redis.prefix, onError: () => undefined });
  const workerConnections: Redis[] = [patient];
  const workers: TrainingWorker[] = [];
  for (let i = 0; i < (options.workers ?? 1); i++) {
    const connection = createQueueConnection(redis.url);
    connection.on('error', () => undefined);
    workerConnections.push(connection);
    workers.push(await startTrainingWorker({ config, connection, ...workerStores, artifacts, backend, logger, metrics }));
  }

  const request: TestService['request'] = async (method, path, body, headers = {}) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
  };

  return {
    url,
    config,
    redis,
    stores,
    artifacts,
    app,
    workers,
    metrics,
    grpcPort,
    request,
    async waitForJob(id, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { body } = await request('GET', `/v1/jobs/${id}`);
        if (!['queued', 'running'].includes(body.status)) return body;
        if (Date.now() > deadline) throw new Error(`job ${id} still ${body.status} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async close() {
      for (const worker of workers) await worker.close();
      await app.close();
      await queue.close();
      await stores.close();
      await workerStores.close();
      for (const connection of [queueConnection, ...workerConnections]) await connection.quit().catch(() => undefined);
      await client.quit().catch(() => undefined);
      await redis.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
