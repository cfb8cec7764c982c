import { z } from 'zod';

/** How a job trains: one TensorFlow graph per step, or tfjs's op-by-op `model.fit`; `auto` takes the graph when it can. */
export const TRAINING_ENGINES = ['auto', 'graph', 'eager'] as const;
export const TrainingEngineSchema = z.enum(TRAINING_ENGINES);
export type TrainingEngine = z.infer<typeof TrainingEngineSchema>;

/** `model.fit` arguments, with Keras's names and defaults. */
export const FitSchema = z
  .object({
    epochs: z.number().int().positive().default(1),
    batch_size: z.number().int().positive().default(32),
    validation_split: z.number().min(0).lt(1).default(0),
    shuffle: z.boolean().default(true),
    engine: TrainingEngineSchema.optional().describe(
      'not a Keras argument: the training engine for this job; unset, the service\'s TRAINING_ENGINE decides. `graph` for a model that does not lower is refused at submit',
    ),
  })
  .strict();
export type FitSpec = z.infer<typeof FitSchema>;

/** `keras.callbacks.EarlyStopping` arguments, with its defaults. */
export const EarlyStoppingSchema = z
  .object({
    monitor: z.string().min(1).default('val_loss'),
    min_delta: z.number().min(0).default(0),
    patience: z.number().int().min(0).default(0),
    mode: z.enum(['auto', 'min', 'max']).default('auto'),
    baseline: z.number().nullable().default(null),
    restore_best_weights: z.boolean().default(false),
    start_from_epoch: z.number().int().min(0).default(0),
  })
  .strict();
export type EarlyStoppingSpec = z.infer<typeof EarlyStoppingSchema>;

/**
 * What travels through the queue: only the job's id. The job record holds
 * the request, so a job taken again after a crash reads the same thing, and
 * nothing large sits in Redis twice.
 */
export const TrainingJobDataSchema = z.object({ job_id: z.string().min(1) }).strict();
export type TrainingJobData = z.infer<typeof TrainingJobDataSchema>;
