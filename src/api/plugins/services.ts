import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { Config } from '../../config.js';
import type { JobEvents } from '../../jobs/events.js';
import type { JobStore } from '../../jobs/job-store.js';
import type { Metrics } from '../../metrics.js';
import type { TrainingQueue } from '../../queue/training-queue.js';
import type { ArtifactStore } from '../../registry/artifacts.js';
import type { DatasetStore } from '../../registry/dataset-store.js';
import type { ModelStore } from '../../registry/model-store.js';
import type { SweepStore } from '../../sweeps/sweep-store.js';
import type { BackendInfo } from '../../tf/backend.js';
import type { ModelCache } from '../model-cache.js';
import type { UploadSlots } from '../services/upload-slots.js';

/**
 * What routes and services share, as decorators on the app (fastify/demo's
 * pattern): a route reads `app.models`, and a service names the few it needs
 * as `Pick<FastifyInstance, ...>`, so nothing imports the app to know a type.
 */
declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    /** For /readyz's ping; the stores hold their own reference. */
    redis: Redis;
    models: ModelStore;
    datasets: DatasetStore;
    jobs: JobStore;
    jobEvents: JobEvents;
    sweeps: SweepStore;
    artifacts: ArtifactStore;
    queue: TrainingQueue;
    backend: BackendInfo;
    modelCache: ModelCache;
    metrics: Metrics;
    /** Turns for the upload parser threads (UPLOAD_PARSE_CONCURRENCY). */
    uploadSlots: UploadSlots;
    /** Flipped by main on SIGTERM, so /readyz turns away new traffic first. */
    lifecycle: { shuttingDown: boolean };
  }
}

export type Services = Pick<
  FastifyInstance,
  'config' | 'redis' | 'models' | 'datasets' | 'jobs' | 'jobEvents' | 'sweeps' | 'artifacts' | 'queue' | 'backend' | 'modelCache' | 'metrics' | 'uploadSlots' | 'lifecycle'
>;

async function services(app: FastifyInstance, given: Services): Promise<void> {
  app.decorate('config', given.config);
  app.decorate('redis', given.redis);
  app.decorate('models', given.models);
  app.decorate('datasets', given.datasets);
  app.decorate('jobs', given.jobs);
  app.decorate('jobEvents', given.jobEvents);
  app.decorate('sweeps', given.sweeps);
  app.decorate('artifacts', given.artifacts);
  app.decorate('queue', given.queue);
  app.decorate('backend', given.backend);
  app.decorate('modelCache', given.modelCache);
  app.decorate('metrics', given.metrics);
  app.decorate('uploadSlots', given.uploadSlots);
  app.decorate('lifecycle', given.lifecycle);
}

export default fp(services, { name: 'services' });
