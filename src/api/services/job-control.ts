import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError } from '../../errors.js';
import { jobStatusEvent, type JobEvent, type JobRecord } from '../../jobs/record.js';
import { JobStatusSchema, isTerminal } from '../../jobs/status.js';
import { releaseJobDataset } from '../../registry/dataset-loader.js';
import type { Tenant } from '../../registry/tenants.js';
import { openEventStream } from '../sse.js';
import { ownJob } from './owned.js';

/** A status from an event's data, which is loosely typed on the wire. */
function endsStream(status: unknown): boolean {
  const parsed = JobStatusSchema.safeParse(status);
  return parsed.success && isTerminal(parsed.data);
}

/**
 * A queued job of the tenant's is taken off the queue and cancelled at once; a running one is
 * asked to stop, and its worker stops at the next batch and records `cancelled`.
 */
export async function cancelJob(deps: Pick<FastifyInstance, 'jobs' | 'queue' | 'artifacts'>, tenant: Tenant, id: string): Promise<{ job: JobRecord; immediate: boolean }> {
  const job = await ownJob(deps, tenant, id);
  if (isTerminal(job.status)) throw new ConflictError(`job ${id} is already ${job.status}`);
  if (job.status === 'queued') {
    const queued = await deps.queue.getJob(id);
    // remove() refuses a job a worker holds the lock on: then it is running, whatever the record says yet.
    const removed = queued ? await queued.remove().then(() => true, () => false) : false;
    if (removed) {
      try {
        const cancelled = await deps.jobs.cancelQueued(id);
        // No worker will see this job again, so its data goes here.
        await releaseJobDataset(deps.artifacts, cancelled.dataset);
        return { job: cancelled, immediate: true };
      } catch (error) {
        // It ended meanwhile; requestCancel says how.
        if (!(error instanceof ConflictError)) throw error;
      }
    }
  }
  return { job: await deps.jobs.requestCancel(id), immediate: false };
}

/**
 * Server-Sent Events for one job: its current status, the epochs it already
 * ran, then live `epoch` and `status` events until it finishes.
 */
export async function streamJobEvents(deps: Pick<FastifyInstance, 'jobs' | 'jobEvents'>, tenant: Tenant, id: string, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  await ownJob(deps, tenant, id);
  const stream = openEventStream(request, reply);
  let lastEpoch = 0;
  const onEvent = (event: JobEvent) => {
    if (event.type === 'epoch') {
      const epoch = Number(event.data.epoch);
      if (epoch <= lastEpoch) return;
      lastEpoch = epoch;
    }
    stream.send(event.type, event.data);
    if (event.type === 'status' && endsStream(event.data.status)) stream.close();
  };
  // Subscribe before reading the record, so nothing falls between the two.
  await stream.onClose(await deps.jobEvents.subscribe(id, onEvent));
  if (stream.closed) return;
  const job = await deps.jobs.get(id);
  stream.send('status', jobStatusEvent(job).data);
  const epochs = Object.values(job.history)[0]?.length ?? 0;
  for (let i = 0; i < epochs; i++) {
    const logs = Object.fromEntries(Object.entries(job.history).map(([key, values]) => [key, values[i] ?? null]));
    onEvent({ type: 'epoch', data: { epoch: i + 1, epochs: job.progress.epochs, logs } });
  }
  if (isTerminal(job.status)) stream.close();
}
