import type { Logger } from 'pino';
import { ConflictError, NotFoundError } from '../errors.js';
import type { JobStore } from '../jobs/job-store.js';
import { isTerminal } from '../jobs/status.js';
import { DATASETS_FOLDER, JOBS_FOLDER, MODELS_FOLDER, UPLOADS_FOLDER, jobArtifactsFolder, jobCheckpointKey } from '../registry/artifact-layout.js';
import type { ArtifactStore } from '../registry/artifacts.js';
import type { DatasetStore } from '../registry/dataset-store.js';
import { isId, type IdKind } from '../registry/ids.js';
import type { ModelStore } from '../registry/model-store.js';
import type { SweepStore } from '../sweeps/sweep-store.js';
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

export interface SweepRetentionDeps {
  sweeps: Pick<SweepStore, 'finishedBefore' | 'delete'>;
  logger: Logger;
}

/**
 * Removes the hyperparameter sweeps that ended more than `retentionMs` before
 * `now` (none when it is 0), as jobs are: a sweep's record goes with the jobs of
 * its trials. Returns the ids it removed.
 */
export async function removeExpiredSweeps(deps: SweepRetentionDeps, retentionMs: number, now = Date.now()): Promise<string[]> {
  if (retentionMs === 0) return [];
  const removed: string[] = [];
  for (const id of await deps.sweeps.finishedBefore(new Date(now - retentionMs))) {
    if (await deps.sweeps.delete(id)) removed.push(id);
  }
  if (removed.length > 0) deps.logger.info({ sweeps: removed.length }, 'removed sweeps past their retention');
  return removed;
}

export interface OrphanDeps {
  models: Pick<ModelStore, 'find'>;
  datasets: Pick<DatasetStore, 'find'>;
  jobs: Pick<JobStore, 'find'>;
  artifacts: Pick<ArtifactStore, 'children' | 'delete' | 'exists'>;
  logger: Logger;
}

/**
 * Removes the folders under `models/`, `jobs/` and `datasets/` whose record
 * is gone (a crash between a record's delete and its files', a write that
 * lost its race with a delete) and the uploads a crash left, and the
 * checkpoints of finished jobs (one cancelled while queued after a hand-back,
 * or failed where its worker could not remove it): nothing resumes from them. Only those in
 * which nothing changed for `graceMs`: files are written before the record
 * that refers to them (a version, a dataset, a job's inline data), and an
 * upload lives only while its request runs. Other top folders are left
 * alone. Returns the keys it removed.
 */
export async function removeOrphanFiles(deps: OrphanDeps, graceMs: number, now = Date.now()): Promise<string[]> {
  const owners: Record<string, (name: string) => Promise<boolean>> = {
    [MODELS_FOLDER]: (name) => hasRecord('model', name, (id) => deps.models.find(id)),
    [JOBS_FOLDER]: (name) => hasRecord('job', name, (id) => deps.jobs.find(id)),
    [DATASETS_FOLDER]: (name) => hasRecord('dataset', name, (id) => deps.datasets.find(id)),
    [UPLOADS_FOLDER]: async () => false,
  };
  const removed: string[] = [];
  for (const [folder, owned] of Object.entries(owners)) {
    for (const entry of await deps.artifacts.children(folder)) {
      if (now - entry.modified.getTime() < graceMs || (await owned(entry.name))) continue;
      const key = `${folder}/${entry.name}`;
      await deps.artifacts.delete(key);
      removed.push(key);
    }
  }
  for (const entry of await deps.artifacts.children(JOBS_FOLDER)) {
    const key = jobCheckpointKey(entry.name);
    if (now - entry.modified.getTime() < graceMs || !isId('job', entry.name) || !(await deps.artifacts.exists(key))) continue;
    const job = await deps.jobs.find(entry.name);
    if (job?.id !== entry.name || !isTerminal(job.status)) continue;
    await deps.artifacts.delete(key);
    removed.push(key);
  }
  if (removed.length > 0) deps.logger.info({ keys: removed }, 'removed files no record refers to, and finished jobs\' checkpoints');
  return removed;
}

/** Whether a record owns the folder `name`: only a folder named by an id can have one, and `find` matches names too. */
async function hasRecord(kind: IdKind, name: string, find: (id: string) => Promise<{ id: string } | null>): Promise<boolean> {
  return isId(kind, name) && (await find(name))?.id === name;
}

export interface SweepSettings {
  intervalMs: number;
  retentionMs: number;
  orphanGraceMs: number;
}

/** The retention sweep, then the orphan sweep, now and every `intervalMs`; none when it is 0. */
export function sweepPeriodically(deps: RetentionDeps & SweepRetentionDeps & OrphanDeps, settings: SweepSettings): Periodic | undefined {
  if (settings.intervalMs === 0) return undefined;
  const sweep = async () => {
    await removeExpiredJobs(deps, settings.retentionMs);
    await removeExpiredSweeps(deps, settings.retentionMs);
    await removeOrphanFiles(deps, settings.orphanGraceMs);
  };
  return periodically(sweep, settings.intervalMs, deps.logger, 'the retention and orphan sweep');
}
