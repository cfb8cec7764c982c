#!/usr/bin/env node
import type { Server } from 'node:http';
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { buildApp } from './api/app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { MissingRedisError, ensureLocalRedis, type LocalRedis } from './local-redis.js';
import { createLogger } from './logger.js';
import { Metrics, serveMetrics } from './metrics.js';
import { createQueueConnection, createTrainingQueue, type TrainingQueue } from './queue/training-queue.js';
import { openArtifactStore } from './registry/artifact-stores.js';
import type { ArtifactStore } from './registry/artifacts.js';
import { withDatasetCache } from './registry/dataset-cache.js';
import { FileArtifactStore } from './registry/file-artifact-store.js';
import { createPatientConnection } from './registry/connection.js';
import { createRedisStores, type Stores } from './registry/stores.js';
import { selectBackend } from './tf/backend.js';
import { startTrainingWorker, type TrainingWorker } from './worker/worker.js';

const USAGE = `usage: modelyard <api|worker|all>

  api      the HTTP API
  worker   a training worker (run as many as needed)
  all      both in one process; starts a private redis-server when no Redis is configured

Configuration comes from the environment; see the README.`;

type Command = 'api' | 'worker' | 'all';

/** Below compose's stop_grace_period (2 minutes), so the process says why before it is killed. */
const SHUTDOWN_DEADLINE_MS = 100_000;

function parseCommand(argv: string[]): Command {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  const [command] = positionals;
  if (values.help || positionals.length !== 1 || !['api', 'worker', 'all'].includes(command ?? '')) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  return command as Command;
}

async function main(): Promise<void> {
  const command = parseCommand(process.argv.slice(2));
  let config: Config;
  let artifacts: ArtifactStore;
  try {
    config = loadConfig();
    artifacts = openArtifactStore(config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  const logger = createLogger(config);

  let localRedis: LocalRedis | undefined;
  let redisUrl = config.REDIS_URL;
  if (!redisUrl && command === 'all') {
    try {
      localRedis = await ensureLocalRedis(config.DATA_DIR, logger);
    } catch (error) {
      if (!(error instanceof MissingRedisError)) throw error;
      logger.fatal(error.message);
      process.exit(1);
    }
    redisUrl = localRedis.url;
  }
  redisUrl ??= 'redis://127.0.0.1:6379';

  const backend = await selectBackend(config.TF_BACKEND);
  logger.info({ backend: backend.name, tensorflow: backend.tensorflowVersion, tfjs: backend.tfjsVersion, fallbacks: backend.fallbacks }, 'TensorFlow.js backend');

  // Store calls fail fast when Redis is away, so the API answers 503 instead of hanging.
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', (error) => logger.warn({ err: error }, 'redis'));
  const stores = createRedisStores({ redis, prefix: config.KEY_PREFIX });
  const lifecycle = { shuttingDown: false };
  // One set of metrics for the process: under `all`, the API's /metrics shows the worker's too.
  const metrics = new Metrics(backend);

  let app: FastifyInstance | undefined;
  let queue: TrainingQueue | undefined;
  let worker: TrainingWorker | undefined;
  let metricsServer: Server | undefined;
  const connections: Redis[] = [];
  let workerStores: Stores | undefined;

  if (command === 'api' || command === 'all') {
    const connection = createQueueConnection(redisUrl);
    connections.push(connection);
    queue = createTrainingQueue(connection, config.KEY_PREFIX);
    queue.on('error', (error) => logger.warn({ err: error }, 'queue'));
    app = await buildApp({ config, redis, stores, artifacts, queue, backend, logger, lifecycle, metrics });
    await app.listen({ port: config.PORT, host: config.HOST });
    if (config.GRPC_PORT > 0) {
      await app.grpcServer.listen(config.GRPC_PORT, config.HOST);
      logger.info({ port: config.GRPC_PORT }, 'Open Inference Protocol (V2) over gRPC: inference.GRPCInferenceService');
    }
  }
  if (command === 'worker' || command === 'all') {
    const connection = createQueueConnection(redisUrl);
    connections.push(connection);
    // The worker's own registry connection: it waits out a Redis outage, where the API's fails fast.
    const patient = createPatientConnection(redisUrl, config.REDIS_WAIT_MS);
    patient.on('error', (error) => logger.warn({ err: error }, 'redis (worker)'));
    connections.push(patient);
    workerStores = createRedisStores({ redis: patient, prefix: config.KEY_PREFIX });
    const workerArtifacts = withDatasetCache(artifacts, config.DATASET_CACHE_BYTES, artifacts instanceof FileArtifactStore);
    worker = await startTrainingWorker({ config, connection, ...workerStores, artifacts: workerArtifacts, backend, logger, metrics });
    logger.info({ concurrency: config.WORKER_CONCURRENCY }, 'worker taking training jobs');
    if (!app && config.WORKER_METRICS_PORT !== undefined) {
      metricsServer = await serveMetrics(metrics, config.WORKER_METRICS_PORT, config.HOST);
      logger.info({ port: config.WORKER_METRICS_PORT }, 'worker metrics at /metrics');
    }
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    lifecycle.shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    // A running epoch ends within its own time; a Redis that never answers would hold the close forever.
    setTimeout(() => {
      logger.error({ after_ms: SHUTDOWN_DEADLINE_MS }, 'shutdown did not finish in time; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    await app?.close();
    await worker?.close();
    metricsServer?.close();
    await queue?.close();
    await stores.close();
    await workerStores?.close();
    await redis.quit().catch(() => undefined);
    for (const connection of connections) await connection.quit().catch(() => undefined);
    await localRedis?.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

await main();
