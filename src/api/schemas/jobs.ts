import { z } from 'zod';
import { PreprocessingSchema } from '../../datasets/preprocessing.js';
import { DatasetRefSchema } from '../../datasets/ref.js';
import { ModelDefinitionSchema } from '../../models/index.js';
import { JobRecordSchema, JobStatusSchema } from '../../registry/records.js';
import { EarlyStoppingSchema, FitSchema } from '../../worker/fit-schema.js';

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

export const ListJobsQuerySchema = z.object({
  status: JobStatusSchema.optional(),
  model: z.string().optional().describe('model id or name'),
});

export const JobSchema = JobRecordSchema;
export const JobListSchema = z.object({ jobs: z.array(JobRecordSchema) });
