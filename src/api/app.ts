import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { Metrics } from '../metrics.js';
import type { TrainingQueue } from '../queue/training-queue.js';
import type { ArtifactStore } from '../registry/artifacts.js';
import type { Stores } from '../registry/stores.js';
import type { BackendInfo } from '../tf/backend.js';
import grpcServerPlugin from './grpc-server.js';
import { ModelCache } from './model-cache.js';
import authPlugin from './plugins/auth.js';
import dashboardPlugin from './plugins/dashboard.js';
import errorsPlugin from './plugins/errors.js';
import limitsPlugin, { clientErrorHandler, frameworkErrors } from './plugins/limits.js';
import metricsPlugin from './plugins/metrics.js';
import openapiPlugin from './plugins/openapi.js';
import rateLimitPlugin from './plugins/rate-limit.js';
import { RequestLogController, apiProtocolOf, requestIdOf } from './plugins/request-log.js';
import securityPlugin from './plugins/security.js';
import servicesPlugin from './plugins/services.js';
import datasetRoutes from './routes/datasets.js';
import healthRoutes from './routes/health.js';
import jobRoutes from './routes/jobs.js';
import modelRoutes from './routes/models.js';
import servingRoutes from './routes/serving.js';
import sweepRoutes from './routes/sweeps.js';
import v2Routes from './routes/v2.js';
import versionRoutes from './routes/versions.js';
import tfservingPlugin from './tfserving-app.js';
import { MAX_NAME_LENGTH } from './schemas/common.js';
import { UploadSlots } from './services/upload-slots.js';

export interface BuildAppOptions {
  config: Config;
  /** For /readyz's ping. */
  redis: Redis;
  stores: Pick<Stores, 'models' | 'datasets' | 'jobs' | 'events' | 'modelEvents' | 'sweeps'>;
  artifacts: ArtifactStore;
  queue: TrainingQueue;
  backend: BackendInfo;
  logger?: Logger | false;
  /** Shared with the worker under `modelyard all`; the app's own otherwise. */
  metrics?: Metrics;
  /** Flipped by main on SIGTERM, so /readyz turns away new traffic first. */
  lifecycle?: { shuttingDown: boolean };
}

/** The HTTP API; main and the tests listen with it. */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { config, stores, logger = false } = options;
  const app = Fastify({
    loggerInstance: (logger || undefined) as FastifyBaseLogger | undefined,
    bodyLimit: config.BODY_LIMIT,
    // Names are path segments: every name creation accepts must fit; a longer segment is a 414 `uri_too_long`.
    routerOptions: { maxParamLength: MAX_NAME_LENGTH },
    genReqId: requestIdOf,
    logController: new RequestLogController(apiProtocolOf),
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    connectionTimeout: config.CONNECTION_TIMEOUT_MS,
    http: {
      maxHeaderSize: config.MAX_HEADER_BYTES,
      // Node waits for the whole head only as long as for the whole request.
      ...(config.REQUEST_TIMEOUT_MS > 0 ? { headersTimeout: Math.min(60_000, config.REQUEST_TIMEOUT_MS) } : {}),
      // Node looks for late requests on this interval: a quarter of the timeout overshoots it by at most that much.
      connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(config.REQUEST_TIMEOUT_MS / 4) || 30_000)),
    },
    frameworkErrors,
    clientErrorHandler,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const modelCache = new ModelCache({
    models: stores.models,
    events: stores.modelEvents,
    artifacts: options.artifacts,
    size: config.MODEL_CACHE_SIZE,
    onError: (error) => app.log.warn({ err: error }, 'model catalog'),
  });
  // From listening on: an app that never serves (the OpenAPI writer's) opens no subscription.
  app.addHook('onListen', async () => modelCache.catalog.start());
  app.addHook('onClose', async () => modelCache.close());
  // Set first thing, so every reply carries it: errors, and event streams that bypass onSend.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(servicesPlugin, {
    config,
    redis: options.redis,
    models: stores.models,
    datasets: stores.datasets,
    jobs: stores.jobs,
    jobEvents: stores.events,
    sweeps: stores.sweeps,
    artifacts: options.artifacts,
    queue: options.queue,
    backend: options.backend,
    modelCache,
    metrics: options.metrics ?? new Metrics(options.backend),
    uploadSlots: new UploadSlots(config.UPLOAD_PARSE_CONCURRENCY, config.UPLOAD_PARSE_WAIT_MS),
    lifecycle: options.lifecycle ?? { shuttingDown: false },
  });
  await app.register(errorsPlugin);
  await app.register(limitsPlugin, { maxJsonDepth: config.MAX_JSON_DEPTH });
  await app.register(securityPlugin, { corsOrigins: config.CORS_ORIGINS });
  // The limiter before auth: a wrong key is counted like any request, so keys cannot be guessed at full speed.
  await app.register(rateLimitPlugin, { max: config.RATE_LIMIT_MAX, windowMs: config.RATE_LIMIT_WINDOW_MS });
  await app.register(authPlugin, { keys: config.API_KEYS });
  await app.register(openapiPlugin);
  await app.register(metricsPlugin);
  for (const routes of [healthRoutes, modelRoutes, versionRoutes, servingRoutes, v2Routes, jobRoutes, datasetRoutes, sweepRoutes]) await app.register(routes);
  await app.register(dashboardPlugin);
  await app.register(grpcServerPlugin, {
    keys: config.API_KEYS,
    rateLimit: { max: config.RATE_LIMIT_MAX, windowMs: config.RATE_LIMIT_WINDOW_MS },
    maxMessageBytes: config.BODY_LIMIT,
  });
  await app.register(tfservingPlugin);
  return app;
}
