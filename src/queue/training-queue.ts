import { Queue, type QueueOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { TrainingJobDataSchema, type TrainingJobData } from '../jobs/contract.js';

export const TRAINING_QUEUE = 'training';

/** BullMQ's keys live under the service's own prefix, beside the registry's. */
export function queuePrefix(keyPrefix: string): string {
  return `${keyPrefix}:bull`;
}

/**
 * A connection for BullMQ. Workers block on Redis, so requests must never give
 * up (`maxRetriesPerRequest: null`, as BullMQ requires); the API's queue uses
 * the same so an enqueue during a Redis restart waits instead of failing.
 */
export function createQueueConnection(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, ...options });
}

export type TrainingQueue = Queue<TrainingJobData, void, 'train'>;

export function createTrainingQueue(connection: Redis, keyPrefix: string, options: Partial<QueueOptions> = {}): TrainingQueue {
  return new Queue<TrainingJobData, void, 'train'>(TRAINING_QUEUE, {
    connection,
    prefix: queuePrefix(keyPrefix),
    defaultJobOptions: { removeOnComplete: 1000, removeOnFail: 1000 },
    ...options,
  });
}

export async function enqueueTraining(queue: TrainingQueue, data: TrainingJobData): Promise<void> {
  // The BullMQ job id is the registry's job id: one name for one job everywhere.
  await queue.add('train', TrainingJobDataSchema.parse(data), { jobId: data.job_id });
}
