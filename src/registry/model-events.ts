import type { Redis } from 'ioredis';
import { z } from 'zod';
import { registryKeys } from './keys.js';
import { ModelRecordSchema, VersionRecordSchema } from './records.js';
import { ChannelSubscriptions } from './subscriptions.js';

/**
 * What changed in the models, carrying the new state itself, so a listener
 * applies it without reading Redis back. A version is published by the
 * script that adds it, in the same step.
 */
export const ModelEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('model'), model: ModelRecordSchema }),
  z.object({ type: z.literal('version'), version: VersionRecordSchema }),
  z.object({ type: z.literal('deleted'), model_id: z.string() }),
]);
export type ModelEvent = z.infer<typeof ModelEventSchema>;

export async function publishModelEvent(redis: Redis, prefix: string, event: ModelEvent): Promise<void> {
  await redis.publish(registryKeys(prefix).modelEvents, JSON.stringify(event));
}

export interface ModelEventsOptions {
  /** Duplicated once for subscribing; never closed here. */
  redis: Redis;
  prefix: string;
  onError?: (error: unknown) => void;
}

export interface ModelEventHandlers {
  event(event: ModelEvent): void;
  /** The subscription came back after its connection dropped: events published meanwhile were lost. */
  resubscribed(): void;
}

/** Listening to the model events channel, across processes; the ModelStore publishes. */
export class ModelEvents {
  private readonly channel: string;
  private readonly subscriptions: ChannelSubscriptions;

  constructor(options: ModelEventsOptions) {
    this.channel = registryKeys(options.prefix).modelEvents;
    const onError = options.onError ?? ((error: unknown) => process.emitWarning(error instanceof Error ? error : String(error)));
    this.subscriptions = new ChannelSubscriptions(options.redis, onError);
  }

  /** Events published from when this resolves, in publish order; the result stops both handlers. */
  async listen(handlers: ModelEventHandlers): Promise<() => Promise<void>> {
    const stopResync = this.subscriptions.onResubscribed(handlers.resubscribed);
    try {
      const stop = await this.subscriptions.listen(this.channel, (message) => handlers.event(ModelEventSchema.parse(JSON.parse(message))));
      return async () => {
        stopResync();
        await stop();
      };
    } catch (error) {
      stopResync();
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.subscriptions.close();
  }
}
