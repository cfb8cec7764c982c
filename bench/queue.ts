import type { JobRecord } from '../src/jobs/record.js';
import { between, type ServiceClient } from './client.js';
import { log } from './log.js';
import { startWorker, type ServiceEnv } from './processes.js';
import type { QueueResult, Throughput } from './report-types.js';
import type { Sizes } from './sizes.js';
import { summarize } from './stats.js';

const TINY_MODEL = {
  name: 'tiny',
  architecture: { type: 'sequential', input_shape: [2], layers: [{ type: 'Dense', units: 1 }] },
  compile: { loss: 'mse' },
};

const TINY_JOB = {
  model: 'tiny',
  dataset: { x: [[0, 0], [0, 1], [1, 0], [1, 1]], y: [[0], [1], [1], [0]] },
  fit: { epochs: 1 },
};

/** `count` tiny jobs submitted at once, each waited for: jobs/s from the first created_at to the last finished_at. */
async function burst(client: ServiceClient, count: number, workers: number): Promise<Throughput> {
  const submitted: JobRecord[] = [];
  for (let i = 0; i < count; i++) submitted.push(await client.submitJob(TINY_JOB));
  const done: JobRecord[] = [];
  for (const job of submitted) done.push(await client.waitForJob(job.id));
  const failed = done.filter((job) => job.status !== 'completed');
  if (failed.length) throw new Error(`${failed.length} tiny jobs did not complete: ${JSON.stringify(failed[0]?.error)}`);
  const first = Math.min(...done.map((job) => Date.parse(job.created_at)));
  const last = Math.max(...done.map((job) => Date.parse(job.finished_at ?? job.updated_at)));
  const seconds = (last - first) / 1000;
  return { workers, jobs: count, seconds, jobs_per_s: count / seconds };
}

export interface QueueContext {
  client: ServiceClient;
  sizes: Sizes;
  env: ServiceEnv;
}

/** Part 2: how long a job waits for a free worker, and how many tiny jobs one and two workers get through. */
export async function runQueue(ctx: QueueContext): Promise<QueueResult> {
  const { client } = ctx;
  const { warmup, sequential, burst: burstSize } = ctx.sizes.queue;
  await client.expect(201, 'POST', '/v1/models', TINY_MODEL);
  for (let i = 0; i < warmup; i++) await client.train(TINY_JOB);

  log(`queue: ${sequential} tiny jobs one at a time`);
  const waits: number[] = [];
  const roundTrips: number[] = [];
  for (let i = 0; i < sequential; i++) {
    const { record, submitToCompletedMs } = await client.train(TINY_JOB);
    waits.push(between(record.created_at, record.started_at));
    roundTrips.push(submitToCompletedMs);
  }

  log(`queue: bursts of ${burstSize} with one worker, then two`);
  const throughput = [await burst(client, burstSize, 1)];
  const second = await startWorker(ctx.env, 2);
  try {
    throughput.push(await burst(client, burstSize, 2));
  } finally {
    await second.stop();
  }
  return {
    latency: summarize(waits),
    round_trip: summarize(roundTrips),
    throughput,
    notes: [
      'latency: the job record\'s created_at → started_at (millisecond timestamps), jobs submitted one at a time after the previous completed',
      'tiny job: Dense(1) on 4 inline samples, 1 epoch; the first worker is the one inside `modelyard all`, the second a `modelyard worker` process',
    ],
  };
}
