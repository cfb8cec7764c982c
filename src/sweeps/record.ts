import { z } from 'zod';
import { PreprocessingSchema } from '../datasets/preprocessing.js';
import { StoredDatasetRefSchema } from '../datasets/ref.js';
import { EarlyStoppingSchema, FitSchema } from '../jobs/contract.js';
import { JobErrorSchema } from '../jobs/record.js';
import { ResolvedModelDefinitionSchema } from '../models/index.js';
import { MetricValueSchema, TenantFieldSchema, TimestampSchema } from '../registry/records.js';
import { ChoiceValueSchema, SpaceSchema } from './space.js';

export const SWEEP_STATUSES = ['running', 'completed', 'cancelled'] as const;
export const SweepStatusSchema = z.enum(SWEEP_STATUSES);
export type SweepStatus = z.infer<typeof SweepStatusSchema>;

/** `pending` waits for a slot; `stopped` is a trial the median rule cut short (its job ends cancelled). */
export const TRIAL_STATUSES = ['pending', 'queued', 'running', 'completed', 'failed', 'cancelled', 'stopped'] as const;
export const TrialStatusSchema = z.enum(TRIAL_STATUSES);
export type TrialStatus = z.infer<typeof TrialStatusSchema>;

export function trialEnded(status: TrialStatus): boolean {
  return !['pending', 'queued', 'running'].includes(status);
}

export const ObjectiveSchema = z
  .strictObject({
    metric: z.string().min(1).default('val_loss').describe('a key of the epoch logs, as Keras names it: `val_loss`, `val_accuracy`, `loss`, ...'),
    mode: z.enum(['auto', 'min', 'max']).default('auto').describe('`auto`, as Keras decides: max for accuracies and AUC, min otherwise'),
  })
  .describe("what ranks the trials: the metric's value at the trial's last epoch");
export type Objective = z.infer<typeof ObjectiveSchema>;

export const TrialStoppingSchema = z
  .strictObject({
    rule: z.literal('median'),
    after_epochs: z.number().int().positive().default(1).describe('epochs a trial runs before the rule applies to it'),
    min_trials: z.number().int().positive().default(2).describe('completed trials the median needs before it stops any'),
  })
  .describe(
    "the median stopping rule: from `after_epochs` on, a running trial whose objective at epoch e is worse than the median of the completed trials' objectives at epoch e is stopped",
  );
export type TrialStopping = z.infer<typeof TrialStoppingSchema>;

const ParamsSchema = z.record(z.string(), ChoiceValueSchema).describe('argument path → the value this trial takes');

/** One point of the space, and what became of it. */
export const TrialSchema = z.object({
  index: z.number().int().nonnegative(),
  params: ParamsSchema,
  status: TrialStatusSchema,
  job_id: z.string().nullable(),
  /** The objective at the trial's last epoch (or the epoch it was stopped at). */
  objective: MetricValueSchema,
  /** The objective per epoch: what the median rule compares running trials with. */
  objective_history: z.array(MetricValueSchema),
  version: z.number().int().positive().nullable(),
  error: JobErrorSchema.nullable(),
});
export type Trial = z.infer<typeof TrialSchema>;

export const BestTrialSchema = z.object({
  trial: z.number().int().nonnegative(),
  objective: z.number(),
  job_id: z.string(),
  version: z.number().int().positive(),
  params: ParamsSchema,
});
export type BestTrial = z.infer<typeof BestTrialSchema>;

/** A sweep as the SweepStore keeps it; its trials are kept beside it, one hash field each. */
export const SweepRecordSchema = z.object({
  id: z.string(),
  model_id: z.string(),
  model_name: z.string(),
  /** The base every trial's arguments apply to: the model's definition when the sweep began, and the job's. */
  definition: ResolvedModelDefinitionSchema,
  dataset: StoredDatasetRefSchema,
  fit: FitSchema,
  preprocessing: PreprocessingSchema.nullable(),
  early_stopping: EarlyStoppingSchema.nullable(),
  space: SpaceSchema,
  strategy: z.enum(['grid', 'random']),
  seed: z.number().int().nullable(),
  max_trials: z.number().int().positive(),
  parallelism: z.number().int().positive(),
  objective: z.object({ metric: z.string(), mode: z.enum(['min', 'max']) }),
  trial_stopping: TrialStoppingSchema.nullable(),
  /** The tenant whose key started it: its trials' jobs are that tenant's. */
  tenant: TenantFieldSchema,
  status: SweepStatusSchema,
  best: BestTrialSchema.nullable(),
  /** The model version promote made from the best trial's. */
  promoted_version: z.number().int().positive().nullable(),
  created_at: TimestampSchema,
  finished_at: TimestampSchema.nullable(),
  updated_at: TimestampSchema,
});
export type SweepRecord = z.infer<typeof SweepRecordSchema>;

/** What the sweep's event channel carries, and its SSE stream sends. */
export const SweepEventSchema = z.object({
  type: z.enum(['trial', 'epoch', 'status']),
  data: z.record(z.string(), z.unknown()),
});
export type SweepEvent = z.infer<typeof SweepEventSchema>;

export function trialEvent(trial: Trial): SweepEvent {
  return { type: 'trial', data: { trial: trial.index, status: trial.status, job_id: trial.job_id, params: trial.params, objective: trial.objective, version: trial.version, error: trial.error } };
}

export function sweepStatusEvent(sweep: SweepRecord): SweepEvent {
  return { type: 'status', data: { status: sweep.status, best: sweep.best, promoted_version: sweep.promoted_version } };
}

/** As Keras's EarlyStopping decides `auto`: a metric ending in acc, accuracy or auc grows; anything else shrinks. */
export function objectiveMode(objective: Objective): 'min' | 'max' {
  if (objective.mode !== 'auto') return objective.mode;
  return /(acc|accuracy|auc)$/.test(objective.metric) ? 'max' : 'min';
}

/** Whether `a` is a better objective than `b` under `mode`. */
export function better(mode: 'min' | 'max', a: number, b: number): boolean {
  return mode === 'min' ? a < b : a > b;
}
