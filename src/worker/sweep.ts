import type { Logger } from 'pino';
import { ConflictError, NotFoundError } from '../errors.js';
import type { JobStore } from '../jobs/job-store.js';
import { jobArtifactsFolder } from '../registry/artifact-layout.js';
import type { ArtifactStore } from '../registry/artifacts.js';
import { periodically, type Periodic } from './periodic.js';

export interface RetentionDeps {
  jobs: Pick<JobStore, 'finishedBefore' | 'delete'>;
  artifacts: Pick<ArtifactStore, 'delete'>;
  logger: Logger;
}

/**
 * Removes the jobs that finished more than `retentionMs` before `now` (none
 * when it is 0): each record with its epochs, then its own files. The
 * versions a job trained belong to its model and stay. Several workers may
 * sweep at once: a job another one removed first is passed over. Returns the
 * ids it removed.
 */
export async function removeExpiredJobs(deps: RetentionDeps, retentionMs: number, now = Date.now()): Promise<string[]> {
  if (retentionMs === 0) return [];
  const removed: string[] = [];
  for (const id of await deps.jobs.finishedBefore(new Date(now - retentionMs))) {
    try {
      await deps.jobs.delete(id);
    } catch (error) {
      if (error instanceof NotFoundError || error instanceof ConflictError) continue;
      throw error;
    }
    // After the record: a crash between leaves files no record refers to, which the orphan sweep finds.
    await deps.artifacts.delete(jobArtifactsFolder(id));
    removed.push(id);
  }
  if (removed.length > 0) deps.logger.info({ jobs: removed.length }, 'removed jobs past their retention');
  return removed;
}

export interface SweepSettings {
  intervalMs: number;
  retentionMs: number;
}

/** The sweeps now and every `intervalMs`; none when it is 0. */
export function sweepPeriodically(deps: RetentionDeps, settings: SweepSettings): Periodic | undefined {
  if (settings.intervalMs === 0) return undefined;
  return periodically(() => removeExpiredJobs(deps, settings.retentionMs), settings.intervalMs, deps.logger, 'the retention sweep');
}
