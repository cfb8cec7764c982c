import type { Redis } from 'ioredis';
import { registryKeys, type RegistryKeys } from '../registry/keys.js';
import { ChannelSubscriptions } from '../registry/subscriptions.js';
import { asJson } from '../registry/redis-record.js';
import { JobEventSchema, type JobEvent } from './record.js';

export interface JobEventsOptions {
  /** Used to publish, and duplicated once for subscribing; never closed here. */
  redis: Redis;
  prefix: string;
  /** Where a failing handler or a subscriber connection error goes; a process warning by default. */
  onError?: (error: unknown) => void;
}

/**
 * The pub/sub side of jobs, across processes: each job's events for its
 * SSE streams, and one channel of cancel requests that every worker hears.
 */
export class JobEvents {
  private readonly redis: Redis;
  private readonly subscriptions: ChannelSubscriptions;
  private readonly keys: RegistryKeys;

  constructor(options: JobEventsOptions) {
    this.redis = options.redis;
    this.keys = registryKeys(options.prefix);
    const onError = options.onError ?? ((error: unknown) => process.emitWarning(error instanceof Error ? error : String(error)));
    this.subscriptions = new ChannelSubscriptions(options.redis, onError);
  }

  async publish(jobId: string, event: JobEvent): Promise<void> {
    await this.redis.publish(this.keys.jobEvents(jobId), JSON.stringify(JobEventSchema.parse(asJson(event))));
  }

  /** Events published from when this resolves, in publish order; the result unsubscribes. */
  subscribe(jobId: string, handler: (event: JobEvent) => void): Promise<() => Promise<void>> {
    return this.subscriptions.listen(this.keys.jobEvents(jobId), (message) => handler(JobEventSchema.parse(JSON.parse(message))));
  }

  async publishCancel(jobId: string): Promise<void> {
    await this.redis.publish(this.keys.cancels, jobId);
  }

  /** Every cancel request, for every job: a worker checks whether the job is one of its own. */
  onCancel(handler: (jobId: string) => void): Promise<() => Promise<void>> {
    return this.subscriptions.listen(this.keys.cancels, handler);
  }

  /** Closes the subscriber connection opened here; the one passed in stays open. */
  async close(): Promise<void> {
    await this.subscriptions.close();
  }
}
