import { z } from 'zod';
import { documentedAs } from '../../documented.js';
import { PreprocessingSchema } from '../../datasets/preprocessing.js';
import { DatasetRefSchema } from '../../datasets/ref.js';
import { ModelDefinitionSchema } from '../../models/index.js';
import { EarlyStoppingSchema, FitSchema } from '../../jobs/contract.js';
import { JobRecordSchema } from '../../jobs/record.js';
import { JobStatusSchema } from '../../jobs/status.js';
import { OpaqueObjectSchema } from './common.js';

export const CreateJobSchema = z
  .object({
    model: z.union([z.string().min(1).describe('model id or name'), ModelDefinitionSchema]).describe('a stored model, or a whole definition'),
    dataset: DatasetRefSchema,
    fit: FitSchema.default(FitSchema.parse({})),
    preprocessing: PreprocessingSchema.optional(),
    early_stopping: EarlyStoppingSchema.optional(),
  })
  .strict()
  .meta({
    examples: [
      {
        model: 'iris',
        dataset: { builtin: 'iris' },
        fit: { epochs: 300, batch_size: 32, validation_split: 0.1, shuffle: true },
        preprocessing: { standardize: true },
        early_stopping: { monitor: 'val_loss', patience: 10, restore_best_weights: true },
      },
    ],
  });
export type CreateJob = z.infer<typeof CreateJobSchema>;

export const JobParamsSchema = z.object({ job: z.string().min(1) });

export const MAX_JOBS_PAGE = 1000;

export const ListJobsQuerySchema = z.object({
  status: JobStatusSchema.optional(),
  model: z.string().optional().describe('model id or name'),
  limit: z.coerce.number().int().min(1).max(MAX_JOBS_PAGE).default(100).describe('jobs per page'),
  cursor: z.string().min(1).optional().describe("the previous page's `next_cursor`, to read on from there"),
});
export type ListJobsQuery = z.infer<typeof ListJobsQuerySchema>;

/** The data a job trains on, as clients see it: inline data's storage key stays out. */
const JobDatasetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('stored'), id: z.string() }),
  z.object({ kind: z.literal('builtin'), name: z.string(), split: z.string().optional(), limit: z.number().int().optional() }),
  z.object({ kind: z.literal('inline') }),
]);

export const JobSchema = JobRecordSchema.extend({
  dataset: JobDatasetSchema,
  fit: documentedAs(OpaqueObjectSchema, 'Fit'),
  preprocessing: documentedAs(OpaqueObjectSchema, 'Preprocessing').nullable(),
  early_stopping: documentedAs(OpaqueObjectSchema, 'EarlyStopping').nullable(),
});
export const JobListSchema = z.object({
  jobs: z.array(JobSchema),
  next_cursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last page'),
});
