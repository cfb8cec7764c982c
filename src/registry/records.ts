import { z } from 'zod';

/**
 * The records the registry stores, field for field as the HTTP API returns
 * them. The API's response schemas derive from these, so a field added here
 * appears in the OpenAPI document too.
 */

/** A JSON object the registry stores as given and never looks into. */
export const OpaqueObjectSchema = z.record(z.string(), z.unknown());
export type OpaqueObject = z.infer<typeof OpaqueObjectSchema>;

export const TimestampSchema = z.iso.datetime().describe('ISO 8601, UTC');

/** JSON has no NaN or Infinity: a diverged loss is stored, and returned, as null. */
export const MetricValueSchema = z.number().nullable();

/** Per-epoch values keyed as Keras names them (`loss`, `val_accuracy`, ...). */
export const HistorySchema = z.record(z.string(), z.array(MetricValueSchema));
export type History = z.infer<typeof HistorySchema>;

/** One sample's shape, without the batch axis; null where any size fits (Keras's None). */
export const ShapeSchema = z.array(z.number().int().nullable());
export type Shape = z.infer<typeof ShapeSchema>;

/** The TensorFlow.js backend a job ran on; loose, so a worker may add facts such as tfjs_version. */
export const BackendRecordSchema = z.looseObject({
  name: z.string(),
  tensorflow_version: z.string().nullable(),
});
export type BackendRecord = z.infer<typeof BackendRecordSchema>;

export const ModelRecordSchema = z.object({
  id: z.string(),
  name: z.string().min(1),
  definition: OpaqueObjectSchema,
  input_shape: z.array(z.number().int()).nullable(),
  summary: OpaqueObjectSchema.nullable(),
  created_at: TimestampSchema,
  updated_at: TimestampSchema,
  /** 0 until the first trained version. */
  latest_version: z.number().int().nonnegative(),
});
export type ModelRecord = z.infer<typeof ModelRecordSchema>;

export const VersionRecordSchema = z.object({
  model_id: z.string(),
  version: z.number().int().positive(),
  job_id: z.string(),
  created_at: TimestampSchema,
  summary: OpaqueObjectSchema,
  /** The last epoch's values. */
  metrics: z.record(z.string(), MetricValueSchema),
  history: HistorySchema,
  preprocessing: OpaqueObjectSchema.nullable(),
  backend: BackendRecordSchema,
  input_shape: ShapeSchema,
  output_shape: ShapeSchema,
  /** Label names by class index, when the training labels were classes with names. */
  class_names: z.array(z.string()).nullable(),
  /** The artifact-store key of the version's files (model.json, weights.bin). */
  artifact: z.string(),
});
export type VersionRecord = z.infer<typeof VersionRecordSchema>;

export const DTypeSchema = z.enum(['float32', 'int32', 'uint8']);

export const DatasetRecordSchema = z.object({
  id: z.string(),
  name: z.string().min(1),
  rows: z.number().int().nonnegative(),
  /** Whole-array shapes, NumPy style: the first axis is the rows. */
  x_shape: z.array(z.number().int().nonnegative()),
  y_shape: z.array(z.number().int().nonnegative()),
  x_dtype: DTypeSchema,
  y_dtype: DTypeSchema,
  class_names: z.array(z.string()).nullable(),
  column_names: z.array(z.string()).nullable(),
  /** Size of the stored data. */
  bytes: z.number().int().nonnegative(),
  /** sha256 of the stored data, hex. */
  checksum: z.string().regex(/^[0-9a-f]{64}$/),
  created_at: TimestampSchema,
  artifact: z.string(),
});
export type DatasetRecord = z.infer<typeof DatasetRecordSchema>;

export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export const JobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatusSchema>;

/** Statuses a job can still leave: it holds its dataset, and a cancel applies to it. */
export const ACTIVE_JOB_STATUSES: readonly JobStatus[] = ['queued', 'running'];

export const JobErrorSchema = z.object({ code: z.string(), message: z.string() });
export type JobError = z.infer<typeof JobErrorSchema>;

export const JobProgressSchema = z.object({
  /** Epochs finished so far. */
  epoch: z.number().int().nonnegative(),
  epochs: z.number().int().nonnegative(),
});
export type JobProgress = z.infer<typeof JobProgressSchema>;

export const JobRecordSchema = z.object({
  id: z.string(),
  model_id: z.string(),
  model_name: z.string(),
  /** The dataset reference as the client gave it: `{id}`, `{builtin, split}` or inline. */
  dataset: OpaqueObjectSchema,
  fit: OpaqueObjectSchema,
  preprocessing: OpaqueObjectSchema.nullable(),
  early_stopping: OpaqueObjectSchema.nullable(),
  status: JobStatusSchema,
  progress: JobProgressSchema,
  history: HistorySchema,
  /** The trained version, once completed. */
  version: z.number().int().positive().nullable(),
  error: JobErrorSchema.nullable(),
  backend: BackendRecordSchema.nullable(),
  cancel_requested: z.boolean(),
  attempts: z.number().int().nonnegative(),
  created_at: TimestampSchema,
  started_at: TimestampSchema.nullable(),
  finished_at: TimestampSchema.nullable(),
  updated_at: TimestampSchema,
});
export type JobRecord = z.infer<typeof JobRecordSchema>;

/** What `GET /v1/jobs/{job}/events` streams: an `epoch` per epoch, a `status` per change. */
export const JobEventSchema = z.object({
  type: z.enum(['epoch', 'status']),
  data: OpaqueObjectSchema,
});
export type JobEvent = z.infer<typeof JobEventSchema>;
