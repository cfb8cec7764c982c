import { z } from 'zod';
import { documentedAs } from '../../documented.js';
import { PreprocessingSchema } from '../../datasets/preprocessing.js';
import { DatasetRefSchema } from '../../datasets/ref.js';
import { EarlyStoppingSchema, FitSchema } from '../../jobs/contract.js';
import { ModelDefinitionSchema } from '../../models/index.js';
import { BestTrialSchema, ObjectiveSchema, SWEEP_STATUSES, SweepStatusSchema, TRIAL_STATUSES, TrialSchema, TrialStoppingSchema } from '../../sweeps/record.js';
import { MAX_SWEEP_TRIALS, SpaceSchema } from '../../sweeps/space.js';
import { TenantFieldSchema } from '../../registry/records.js';
import { OpaqueObjectSchema } from './common.js';

/** Trials queued at once, at most: each is a job in the shared queue. */
export const MAX_PARALLELISM = 64;

export const CreateSweepSchema = z
  .object({
    model: z.union([z.string().min(1).describe('model id or name'), ModelDefinitionSchema]).describe('a stored model, or a whole definition (stored once the sweep is accepted)'),
    dataset: DatasetRefSchema.describe('a stored or built-in dataset; inline data is refused: upload it once with POST /v1/datasets'),
    fit: FitSchema.default(FitSchema.parse({})),
    preprocessing: PreprocessingSchema.optional(),
    early_stopping: EarlyStoppingSchema.optional(),
    space: SpaceSchema,
    strategy: z.enum(['grid', 'random']).default('grid').describe('`grid`: every combination of choice and range values, in order; `random`: points drawn with `seed`'),
    seed: z.number().int().min(0).max(2 ** 32 - 1).optional().describe('random search only; drawn and recorded when left out, so a sweep can be run again'),
    max_trials: z.number().int().positive().max(MAX_SWEEP_TRIALS).optional().describe('grid: the first this many points (all by default); random: this many points (10 by default)'),
    parallelism: z.number().int().positive().max(MAX_PARALLELISM).default(2).describe('trials queued or running at once'),
    objective: ObjectiveSchema.default(ObjectiveSchema.parse({})),
    trial_stopping: TrialStoppingSchema.optional(),
  })
  .strict()
  .meta({
    examples: [
      {
        model: 'iris',
        dataset: { builtin: 'iris' },
        fit: { epochs: 30, batch_size: 16, validation_split: 0.2 },
        preprocessing: { standardize: true },
        space: {
          'architecture.layers[0].units': { type: 'choice', values: [4, 8, 16] },
          'compile.optimizer.learning_rate': { type: 'choice', values: [0.01, 0.001] },
        },
        strategy: 'grid',
        parallelism: 2,
        objective: { metric: 'val_loss' },
      },
    ],
  });
export type CreateSweep = z.infer<typeof CreateSweepSchema>;

export const SweepParamsSchema = z.object({ sweep: z.string().min(1) });

const SweepDatasetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('stored'), id: z.string() }),
  z.object({ kind: z.literal('builtin'), name: z.string(), split: z.string().optional(), limit: z.number().int().optional() }),
  z.object({ kind: z.literal('inline') }).describe('never: a sweep refuses inline data; the variant keeps the type of stored references whole'),
]);

const count = z.number().int().nonnegative();
const TrialCountsSchema = z
  .object({ pending: count, queued: count, running: count, completed: count, failed: count, cancelled: count, stopped: count } satisfies Record<(typeof TRIAL_STATUSES)[number], typeof count>)
  .describe('trials by status');

const sweepFields = {
  id: z.string(),
  model_id: z.string(),
  model_name: z.string(),
  dataset: SweepDatasetSchema,
  fit: documentedAs(OpaqueObjectSchema, 'Fit'),
  space: SpaceSchema,
  strategy: z.enum(['grid', 'random']),
  seed: z.number().int().nullable(),
  max_trials: z.number().int(),
  parallelism: z.number().int(),
  objective: z.object({ metric: z.string(), mode: z.enum(['min', 'max']) }),
  trial_stopping: TrialStoppingSchema.nullable(),
  tenant: TenantFieldSchema,
  status: SweepStatusSchema.describe(`one of ${SWEEP_STATUSES.join(', ')}`),
  best: BestTrialSchema.nullable().describe('the completed trial with the best objective; null until the sweep completes with one'),
  promoted_version: z.number().int().nullable().describe('the model version that promote made from the best trial'),
  trial_counts: TrialCountsSchema,
  created_at: z.string(),
  finished_at: z.string().nullable(),
  updated_at: z.string(),
};

export const SweepSummarySchema = z.object(sweepFields);
export const SweepSchema = z.object({ ...sweepFields, trials: z.array(TrialSchema) });
export const SweepListSchema = z.object({ sweeps: z.array(SweepSummarySchema) });
