import type { Redis } from 'ioredis';
import { JobEvents } from '../jobs/events.js';
import { RedisJobStore, type JobStore } from '../jobs/job-store.js';
import { SweepStore } from '../sweeps/sweep-store.js';
import { RedisDatasetStore, type DatasetStore } from './dataset-store.js';
import { ModelEvents } from './model-events.js';
import { RedisModelStore, type ModelStore } from './model-store.js';

/** Every store the service keeps in Redis, and the job events beside them. */
export interface Stores {
  models: ModelStore;
  datasets: DatasetStore;
  jobs: JobStore;
  events: JobEvents;
  modelEvents: ModelEvents;
  sweeps: SweepStore;
  /** Closes the subscriber connections the events opened; the Redis client passed in stays open. */
  close(): Promise<void>;
}

export interface RedisStoresOptions {
  /** Used as given and never closed here. */
  redis: Redis;
  /** Every key and channel lives under `${prefix}:`. */
  prefix: string;
  /** Where a failing event handler or a subscriber connection error goes; a process warning by default. */
  onError?: (error: unknown) => void;
}

export function createRedisStores(options: RedisStoresOptions): Stores {
  const { redis, prefix } = options;
  const events = new JobEvents(options);
  const modelEvents = new ModelEvents(options);
  const jobs = new RedisJobStore(redis, prefix, events);
  const sweeps = new SweepStore(options);
  return {
    models: new RedisModelStore(redis, prefix),
    datasets: new RedisDatasetStore(redis, prefix, jobs),
    jobs,
    events,
    modelEvents,
    sweeps,
    close: async () => {
      await events.close();
      await modelEvents.close();
      await sweeps.close();
    },
  };
}
