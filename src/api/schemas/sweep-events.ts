import { z } from 'zod';
import { JobErrorSchema } from '../../jobs/record.js';
import { BestTrialSchema, SweepStatusSchema, TrialStatusSchema } from '../../sweeps/record.js';
import { ChoiceValueSchema } from '../../sweeps/space.js';

/** The `data` of a `trial` event: a trial queued, started or ended. */
export const SweepTrialEventSchema = z.object({
  trial: z.number().int().nonnegative(),
  status: TrialStatusSchema,
  job_id: z.string().nullable(),
  params: z.record(z.string(), ChoiceValueSchema),
  objective: z.number().nullable(),
  version: z.number().int().positive().nullable(),
  error: JobErrorSchema.nullable(),
});

/** The `data` of an `epoch` event: one epoch of a running trial. */
export const SweepEpochEventSchema = z.object({
  trial: z.number().int().nonnegative(),
  job_id: z.string(),
  epoch: z.number().int().positive(),
  epochs: z.number().int().nonnegative(),
  objective: z.number().nullable().describe("the sweep's objective at this epoch"),
  logs: z.record(z.string(), z.number().nullable()),
});

/** The `data` of a `status` event: the sweep as it now stands. */
export const SweepStatusEventSchema = z.object({
  status: SweepStatusSchema,
  best: BestTrialSchema.nullable(),
  promoted_version: z.number().int().positive().nullable(),
});

export const SweepEventDataSchema = z
  .union([SweepTrialEventSchema, SweepEpochEventSchema, SweepStatusEventSchema])
  .describe(
    'Server-Sent Events: first a `trial` event per trial and a `status` event, as the sweep stands; then `event: trial` (SweepTrialEvent) when a trial is queued, starts or ends, ' +
      '`event: epoch` (SweepEpochEvent) after each epoch of a running trial, and `event: status` (SweepStatusEvent) when the sweep changes; the stream closes when the sweep has ended.',
  );
