import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { Metrics } from '../metrics.js';
import type { TrainingQueue } from '../queue/training-queue.js';
import type { ArtifactStore } from '../registry/artifacts.js';
import type { Registry } from '../registry/registry.js';
import type { BackendInfo } from '../tf/backend.js';
import { ModelCache } from './model-cache.js';
import authPlugin from './plugins/auth.js';
import dashboardPlugin from './plugins/dashboard.js';
import errorsPlugin from './plugins/errors.js';
import metricsPlugin from './plugins/metrics.js';
import openapiPlugin from './plugins/openapi.js';
import rateLimitPlugin from './plugins/rate-limit.js';
import { RequestLogController, requestIdOf } from './plugins/request-log.js';
import securityPlugin from './plugins/security.js';
import datasetRoutes from './routes/datasets.js';
import healthRoutes from './routes/health.js';
import jobRoutes from './routes/jobs.js';
import modelRoutes from './routes/models.js';
import servingRoutes from './routes/serving.js';
import versionRoutes from './routes/versions.js';

export interface AppDeps {
  config: Config;
  redis: Redis;
  registry: Registry;
  store: ArtifactStore;
  queue: TrainingQueue;
  backend: BackendInfo;
  cache: ModelCache;
  metrics: Metrics;
  /** Flipped by main on SIGTERM, so /readyz turns away new traffic first. */
  lifecycle: { shuttingDown: boolean };
}

export interface BuildAppOptions extends Omit<AppDeps, 'cache' | 'metrics' | 'lifecycle'> {
  logger?: Logger | false;
  /** Shared with the worker under `modelyard all`; the app's own otherwise. */
  metrics?: Metrics;
  lifecycle?: { shuttingDown: boolean };
}

/** The HTTP API; main and the tests listen with it. */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { logger = false, ...rest } = options;
  const app = Fastify({
    loggerInstance: (logger || undefined) as FastifyBaseLogger | undefined,
    bodyLimit: rest.config.BODY_LIMIT,
    genReqId: requestIdOf,
    logController: new RequestLogController(),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const deps: AppDeps = {
    ...rest,
    cache: new ModelCache({ registry: rest.registry, store: rest.store, size: rest.config.MODEL_CACHE_SIZE }),
    metrics: rest.metrics ?? new Metrics(rest.backend),
    lifecycle: rest.lifecycle ?? { shuttingDown: false },
  };
  app.addHook('onClose', async () => deps.cache.clear());
  // Set first thing, so every reply carries it: errors, and event streams that bypass onSend.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(errorsPlugin);
  await app.register(securityPlugin, { corsOrigins: rest.config.CORS_ORIGINS });
  await app.register(authPlugin, { keys: rest.config.API_KEYS });
  await app.register(rateLimitPlugin, { max: rest.config.RATE_LIMIT_MAX, windowMs: rest.config.RATE_LIMIT_WINDOW_MS });
  await app.register(openapiPlugin);
  await app.register(metricsPlugin, deps);
  await app.register(healthRoutes, deps);
  await app.register(modelRoutes, deps);
  await app.register(versionRoutes, deps);
  await app.register(servingRoutes, deps);
  await app.register(jobRoutes, deps);
  await app.register(datasetRoutes, deps);
  await app.register(dashboardPlugin);
  return app;
}
