import { z } from 'zod';
import { JobErrorSchema, JobProgressSchema } from '../../jobs/record.js';
import { JobStatusSchema } from '../../jobs/status.js';

/** The `data` of an `epoch` event: the epoch just finished, and its logs under Keras's names. */
export const JobEpochEventSchema = z.object({
  epoch: z.number().int().positive().describe('epochs finished, counting from 1'),
  epochs: z.number().int().nonnegative(),
  logs: z.record(z.string(), z.number().nullable()).describe('loss and metrics, as Keras names them; null where the value is not finite'),
});

/** The `data` of a `status` event: the job as it now stands. */
export const JobStatusEventSchema = z.object({
  status: JobStatusSchema,
  version: z.number().int().positive().nullable(),
  error: JobErrorSchema.nullable(),
  progress: JobProgressSchema,
});

export const JobEventDataSchema = z
  .union([JobEpochEventSchema, JobStatusEventSchema])
  .describe(
    'Server-Sent Events: `event: epoch` with a JobEpochEvent as `data` after every epoch (the epochs already run are sent first), ' +
      '`event: status` with a JobStatusEvent on every change; the stream closes when the job has finished. ' +
      'The two payloads have no field in common, so `"logs" in data` tells them apart.',
  );
