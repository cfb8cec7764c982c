import { z } from 'zod';
import { PreprocessingSchema } from '../datasets/preprocessing.js';
import { StoredDatasetRefSchema } from '../datasets/ref.js';
import { BackendRecordSchema, HistorySchema, TenantFieldSchema, TimestampSchema } from '../registry/records.js';
import { EarlyStoppingSchema, FitSchema } from './contract.js';
import { JobStatusSchema } from './status.js';

export const JobErrorSchema = z.object({ code: z.string(), message: z.string() });
export type JobError = z.infer<typeof JobErrorSchema>;

export const JobProgressSchema = z.object({
  /** Epochs finished so far. */
  epoch: z.number().int().nonnegative(),
  epochs: z.number().int().nonnegative(),
});
export type JobProgress = z.infer<typeof JobProgressSchema>;

export const JobEngineSchema = z.enum(['graph', 'eager']);
export type JobEngine = z.infer<typeof JobEngineSchema>;

/** A training job as the JobStore keeps it. */
export const JobRecordSchema = z.object({
  id: z.string(),
  model_id: z.string(),
  model_name: z.string(),
  dataset: StoredDatasetRefSchema,
  fit: FitSchema,
  preprocessing: PreprocessingSchema.nullable(),
  early_stopping: EarlyStoppingSchema.nullable(),
  status: JobStatusSchema,
  progress: JobProgressSchema,
  history: HistorySchema,
  /** The trained version, once completed. */
  version: z.number().int().positive().nullable(),
  error: JobErrorSchema.nullable(),
  backend: BackendRecordSchema.nullable(),
  /** The engine that trains (or trained) the job, once chosen. */
  engine: JobEngineSchema.nullable().default(null),
  /** Why a job that could have trained on the graph engine trains on the eager one: the layer, argument or addon at fault. */
  engine_note: z.string().nullable().default(null),
  cancel_requested: z.boolean(),
  attempts: z.number().int().nonnegative(),
  created_at: TimestampSchema,
  started_at: TimestampSchema.nullable(),
  finished_at: TimestampSchema.nullable(),
  updated_at: TimestampSchema,
  tenant: TenantFieldSchema,
});
export type JobRecord = z.infer<typeof JobRecordSchema>;

/** What `GET /v1/jobs/{job}/events` streams: an `epoch` per epoch, a `status` per change. */
export const JobEventSchema = z.object({
  type: z.enum(['epoch', 'status']),
  data: z.record(z.string(), z.unknown()),
});
export type JobEvent = z.infer<typeof JobEventSchema>;

/** The `status` event for a job as it now stands: what SSE clients see on every change. */
export function jobStatusEvent(job: JobRecord): JobEvent {
  return { type: 'status', data: { status: job.status, version: job.version, error: job.error, progress: job.progress } };
}
