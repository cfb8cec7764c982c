import type { Logger } from 'pino';
import type { JobProgress } from '../jobs/record.js';
import type { ModelDefinition } from '../models/index.js';
import { advanceSweep, advanceUnfinished, type AdvanceDeps } from './advance.js';
import { better, type SweepRecord, type Trial } from './record.js';
import { trialArguments } from './trial.js';

/** A training job that is one trial of a sweep, as the worker running it sees it. */
export interface TrialRun {
  sweepId: string;
  trial: number;
  /** The definition the trial trains: the sweep's base with the trial's arguments. */
  definition: ModelDefinition;
  /** Publishes the epoch on the sweep's stream; true when the median rule stops the trial here. */
  epoch(progress: JobProgress, logs: Record<string, number>): Promise<boolean>;
}

/**
 * The worker's side of sweeps: which jobs are trials, what each trains, and
 * advancing their sweep when one starts or ends. A failure here is logged and
 * left to the periodic advance; it never fails the job itself.
 */
export class TrialRuns {
  constructor(
    private readonly deps: AdvanceDeps,
    private readonly logger: Logger,
  ) {}

  async of(jobId: string): Promise<TrialRun | null> {
    const link = await this.deps.sweeps.trialOfJob(jobId);
    if (!link) return null;
    const sweep = await this.deps.sweeps.get(link.sweep_id);
    const trial = (await this.deps.sweeps.trials(sweep.id)).find((t) => t.index === link.trial);
    if (!trial) return null;
    const objective: (number | null)[] = [];
    // A stop takes effect at the next batch or epoch: an epoch that ends before it does not stop the trial again.
    let stopped = false;
    return {
      sweepId: sweep.id,
      trial: trial.index,
      definition: trialArguments(sweep, trial.params).definition,
      epoch: async (progress, logs) => {
        const value = logs[sweep.objective.metric];
        objective.push(value === undefined || !Number.isFinite(value) ? null : value);
        await this.deps.sweeps.publish(sweep.id, { type: 'epoch', data: { trial: trial.index, job_id: jobId, ...progress, objective: objective.at(-1), logs } });
        if (stopped) return true;
        if (!sweep.trial_stopping || progress.epoch < sweep.trial_stopping.after_epochs) return false;
        if (!medianStops(sweep, await this.deps.sweeps.trials(sweep.id), progress.epoch, objective.at(-1) ?? null)) return false;
        stopped = true;
        await this.deps.sweeps.markStopped(sweep.id, trial.index, objective);
        this.logger.info({ job: jobId, sweep: sweep.id, trial: trial.index, epoch: progress.epoch }, 'trial stopped by the median rule');
        return true;
      },
    };
  }

  /** After a trial's job started. */
  async started(run: TrialRun | null): Promise<void> {
    if (run) await this.advance(run.sweepId);
  }

  /** After a job ended: when it was a trial, its sweep moves on. */
  async ended(jobId: string): Promise<void> {
    const link = await this.deps.sweeps.trialOfJob(jobId);
    if (link) await this.advance(link.sweep_id);
  }

  private async advance(sweepId: string): Promise<void> {
    await advanceSweep(this.deps, sweepId).catch((error: unknown) => this.logger.warn({ err: error, sweep: sweepId }, 'could not advance the sweep; the periodic advance will'));
  }

  unfinished(): Promise<void> {
    return advanceUnfinished(this.deps);
  }
}

/**
 * The median stopping rule (Golovin et al., Google Vizier, simplified to one
 * epoch): from `after_epochs` on, a trial whose objective at epoch `epoch` is
 * worse than the median of the completed trials' objectives at that epoch
 * stops. A diverged objective (null) is worse than any.
 */
export function medianStops(sweep: Pick<SweepRecord, 'trial_stopping' | 'objective'>, trials: Trial[], epoch: number, value: number | null): boolean {
  const rule = sweep.trial_stopping;
  if (!rule || epoch < rule.after_epochs) return false;
  const at = trials.flatMap((t) => {
    const v = t.status === 'completed' ? t.objective_history[epoch - 1] : undefined;
    return typeof v === 'number' ? [v] : [];
  });
  if (at.length < rule.min_trials) return false;
  at.sort((a, b) => a - b);
  const mid = at.length / 2;
  const median = at.length % 2 ? (at[Math.floor(mid)] as number) : ((at[mid - 1] as number) + (at[mid] as number)) / 2;
  return value === null || better(sweep.objective.mode, median, value);
}
