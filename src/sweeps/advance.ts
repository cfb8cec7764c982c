import { ConflictError } from '../errors.js';
import type { JobStore } from '../jobs/job-store.js';
import type { JobRecord } from '../jobs/record.js';
import { isTerminal } from '../jobs/status.js';
import { enqueueTraining, type TrainingQueue } from '../queue/training-queue.js';
import { newId } from '../registry/ids.js';
import type { ModelStore } from '../registry/model-store.js';
import { better, sweepStatusEvent, trialEnded, trialEvent, type BestTrial, type SweepRecord, type Trial } from './record.js';
import type { SweepStore } from './sweep-store.js';
import { trialArguments } from './trial.js';

export interface AdvanceDeps {
  sweeps: SweepStore;
  jobs: Pick<JobStore, 'create' | 'find'>;
  models: Pick<ModelStore, 'find'>;
  queue: TrainingQueue;
  /** Cancels an active trial's job: the API takes a queued one off the queue, a worker asks it to stop. */
  cancelJob(jobId: string): Promise<void>;
}

/**
 * Brings a sweep up to date with its trials' jobs: records the trials that
 * ended, queues pending ones while fewer than `parallelism` are active, and
 * completes the sweep once every trial has ended. It reads everything from
 * Redis, so any process may run it at any time (a worker when a trial starts
 * or ends, and periodically; the API when a sweep begins or is cancelled).
 */
export function advanceSweep(deps: AdvanceDeps, id: string): Promise<void> {
  return deps.sweeps.exclusive(id, () => step(deps, id));
}

/** Every sweep that may still have something to do: the safety net for an advance a crash cut short. */
export async function advanceUnfinished(deps: AdvanceDeps): Promise<void> {
  for (const id of await deps.sweeps.active()) await advanceSweep(deps, id);
}

async function step(deps: AdvanceDeps, id: string): Promise<void> {
  let sweep = await deps.sweeps.find(id);
  if (!sweep) return deps.sweeps.settled(id);
  const trials = await settleTrials(deps, sweep);
  if (sweep.status === 'running' && !(await deps.models.find(sweep.model_id))) sweep = await endSweep(deps, sweep, 'cancelled');
  if (sweep.status !== 'running') {
    if (trials.every((t) => trialEnded(t.status))) return deps.sweeps.settled(id);
    if (sweep.status === 'cancelled') await cancelTrials(deps, sweep, trials);
    return;
  }

  let active = trials.filter((t) => t.status === 'queued' || t.status === 'running').length;
  for (const trial of trials) {
    if (active >= sweep.parallelism) break;
    if (trial.status !== 'pending') continue;
    Object.assign(trial, await queueTrial(deps, sweep, trial));
    active += 1;
  }
  if (trials.every((t) => trialEnded(t.status))) {
    await deps.sweeps.update(id, { best: bestTrial(sweep, trials) });
    await endSweep(deps, sweep, 'completed');
    await deps.sweeps.settled(id);
  }
}

async function endSweep(deps: AdvanceDeps, sweep: SweepRecord, to: 'completed' | 'cancelled'): Promise<SweepRecord> {
  try {
    const ended = await deps.sweeps.transition(sweep.id, to, ['running']);
    await deps.sweeps.publish(sweep.id, sweepStatusEvent(ended));
    return ended;
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    return deps.sweeps.get(sweep.id);
  }
}

/** The trials as their jobs now stand; each one that changed is stored and published. */
async function settleTrials(deps: AdvanceDeps, sweep: SweepRecord): Promise<Trial[]> {
  const trials = await deps.sweeps.trials(sweep.id);
  const stopped = await deps.sweeps.stopped(sweep.id);
  for (const [i, trial] of trials.entries()) {
    if (!trial.job_id || trialEnded(trial.status)) continue;
    const next = settled(trial, await deps.jobs.find(trial.job_id), sweep.objective.metric, stopped.get(trial.index));
    if (next.status === trial.status) continue;
    await deps.sweeps.putTrial(sweep.id, next);
    await deps.sweeps.publish(sweep.id, trialEvent(next));
    trials[i] = next;
  }
  return trials;
}

function settled(trial: Trial, job: JobRecord | null, metric: string, stoppedHistory: (number | null)[] | undefined): Trial {
  if (!job) return { ...trial, status: 'failed', error: { code: 'not_found', message: `the trial's job ${trial.job_id ?? ''} no longer exists` } };
  if (!isTerminal(job.status)) return { ...trial, status: job.status === 'running' ? 'running' : 'queued' };
  if (job.status === 'failed') return { ...trial, status: 'failed', error: job.error };
  if (job.status === 'cancelled') {
    if (!stoppedHistory) return { ...trial, status: 'cancelled' };
    return { ...trial, status: 'stopped', objective_history: stoppedHistory, objective: stoppedHistory.at(-1) ?? null };
  }
  const history = job.history[metric] ?? [];
  return { ...trial, status: 'completed', objective_history: history, objective: history.at(-1) ?? null, version: job.version };
}

/**
 * The job is named in the trial before it exists, so a crash between leaves a
 * trial whose job is missing (recorded failed), never a job no trial knows.
 */
async function queueTrial(deps: AdvanceDeps, sweep: SweepRecord, trial: Trial): Promise<Trial> {
  const jobId = newId('job');
  const queued: Trial = { ...trial, status: 'queued', job_id: jobId };
  await deps.sweeps.putTrial(sweep.id, queued, jobId);
  const { fit } = trialArguments(sweep, trial.params);
  await deps.jobs.create({
    id: jobId,
    model_id: sweep.model_id,
    model_name: sweep.model_name,
    dataset: sweep.dataset,
    fit,
    preprocessing: sweep.preprocessing,
    early_stopping: sweep.early_stopping,
    tenant: sweep.tenant,
  });
  await enqueueTraining(deps.queue, { job_id: jobId });
  await deps.sweeps.publish(sweep.id, trialEvent(queued));
  return queued;
}

async function cancelTrials(deps: AdvanceDeps, sweep: SweepRecord, trials: Trial[]): Promise<void> {
  for (const trial of trials) {
    if (trial.status === 'pending') {
      const cancelled: Trial = { ...trial, status: 'cancelled' };
      await deps.sweeps.putTrial(sweep.id, cancelled);
      await deps.sweeps.publish(sweep.id, trialEvent(cancelled));
    } else if (trial.job_id && !trialEnded(trial.status)) {
      try {
        await deps.cancelJob(trial.job_id);
      } catch (error) {
        // It ended meanwhile: the advance its end brings records it.
        if (!(error instanceof ConflictError)) throw error;
      }
    }
  }
}

/** The completed trial with the best objective (the first such, on a tie); null when none completed with one. */
export function bestTrial(sweep: Pick<SweepRecord, 'objective'>, trials: Trial[]): BestTrial | null {
  let best: BestTrial | null = null;
  for (const t of trials) {
    if (t.status !== 'completed' || t.objective === null || t.version === null || t.job_id === null) continue;
    if (best === null || better(sweep.objective.mode, t.objective, best.objective)) best = { trial: t.index, objective: t.objective, job_id: t.job_id, version: t.version, params: t.params };
  }
  return best;
}
