import type { Logger } from 'pino';
import { ConflictError } from '../errors.js';
import type { JobStore } from '../jobs/job-store.js';
import type { JobError, JobRecord } from '../jobs/record.js';
import type { TrainingQueue } from '../queue/training-queue.js';
import { periodically, type Periodic } from './periodic.js';

/** BullMQ's `failedReason` for a job whose worker died more than `maxStalledCount` times. */
const STALLED_REASON = 'job stalled more than allowable limit';

/** What a job's record says when the queue failed it, from the reason BullMQ recorded. */
export function queueFailure(reason: string | undefined): JobError {
  if (reason === STALLED_REASON) {
    return { code: 'worker_lost', message: `its worker died more times than JOB_ATTEMPTS allows (${reason})` };
  }
  return { code: 'training_error', message: reason ? `the queue failed the job: ${reason}` : 'the queue failed the job without a reason' };
}

export interface ReconcileDeps {
  jobs: Pick<JobStore, 'list' | 'fail'>;
  queue: Pick<TrainingQueue, 'getJob'>;
  logger: Logger;
  /**
   * A queued record younger than this may not be in the queue yet: the API
   * writes the record before it enqueues the job.
   */
  enqueueGraceMs: number;
}

/**
 * Fails the queued and running records whose BullMQ job failed or is gone, so
 * that no record waits on a job no worker will ever run. Each record is read
 * before its queue job, and a worker writes a job's end to the record before
 * BullMQ's, so a job that ends meanwhile is seen as ended and its fail is
 * refused by the compare-and-set. Returns the ids it failed.
 */
export async function reconcileJobs(deps: ReconcileDeps): Promise<string[]> {
  const records = [...(await deps.jobs.list({ status: 'running' })), ...(await deps.jobs.list({ status: 'queued' }))];
  const failed: string[] = [];
  for (const record of records) {
    const error = await lostBecause(deps, record);
    if (!error) continue;
    try {
      await deps.jobs.fail(record.id, error);
      failed.push(record.id);
      deps.logger.warn({ job: record.id, ...error }, 'job failed by reconciliation with the queue');
    } catch (failure) {
      if (!(failure instanceof ConflictError)) throw failure;
    }
  }
  return failed;
}

async function lostBecause(deps: ReconcileDeps, record: JobRecord): Promise<JobError | undefined> {
  const queued = await deps.queue.getJob(record.id);
  const state = queued ? await queued.getState() : 'unknown';
  if (state === 'failed') return queueFailure(queued?.failedReason);
  if (state !== 'unknown' && state !== 'completed') return undefined;
  if (record.status === 'queued' && Date.now() - Date.parse(record.updated_at) < deps.enqueueGraceMs) return undefined;
  return { code: 'worker_lost', message: `the queue no longer holds this ${record.status} job (${state}): no worker will run it` };
}

/** `reconcileJobs` now and every `intervalMs` (see `periodically`). */
export function reconcilePeriodically(deps: ReconcileDeps, intervalMs: number): Periodic {
  return periodically(() => reconcileJobs(deps), intervalMs, deps.logger, 'reconciliation with the queue');
}
