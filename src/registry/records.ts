import { z } from 'zod';
import { PreprocessingStateSchema } from '../datasets/preprocessing.js';
import { ResolvedModelDefinitionSchema, type ModelSummary } from '../models/index.js';

/**
 * The records the stores keep, typed field for field by the schemas that
 * validated them on the way in. These are storage shapes: the HTTP API's
 * responses are their own schemas (src/api/schemas), so a storage field such
 * as an artifact key never reaches a client.
 */

export const TimestampSchema = z.iso.datetime().describe('ISO 8601, UTC');

/** The tenant a record belongs to; records stored before tenants, or created without one, belong to none. */
export const TenantFieldSchema = z
  .string()
  .nullable()
  .default(null)
  .describe("the tenant of the API key that created it; null: created with no keys configured or by a key without a tenant");

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

const LayerSummarySchema = z.object({ name: z.string(), type: z.string(), output_shape: ShapeSchema, params: z.number().int() });

/** `summarize`'s and `checkModel`'s output, as stored with a model and a version. */
export const ModelSummarySchema = z.object({
  layers: z.array(LayerSummarySchema),
  total_params: z.number().int(),
  trainable_params: z.number().int(),
  non_trainable_params: z.number().int(),
  input_shape: ShapeSchema,
  output_shape: ShapeSchema,
}) satisfies z.ZodType<ModelSummary>;

export const ModelRecordSchema = z.object({
  id: z.string(),
  name: z.string().min(1),
  definition: ResolvedModelDefinitionSchema,
  input_shape: z.array(z.number().int()).nullable(),
  summary: ModelSummarySchema.nullable(),
  created_at: TimestampSchema,
  updated_at: TimestampSchema,
  /** 0 until the first trained version. */
  latest_version: z.number().int().nonnegative(),
  tenant: TenantFieldSchema,
});
export type ModelRecord = z.infer<typeof ModelRecordSchema>;

export const VersionRecordSchema = z.object({
  model_id: z.string(),
  version: z.number().int().positive(),
  job_id: z.string(),
  created_at: TimestampSchema,
  summary: ModelSummarySchema,
  /** The last epoch's values. */
  metrics: z.record(z.string(), MetricValueSchema),
  history: HistorySchema,
  preprocessing: PreprocessingStateSchema.nullable(),
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
  /** The artifact-store key of the data's files. */
  artifact: z.string(),
  tenant: TenantFieldSchema,
});
export type DatasetRecord = z.infer<typeof DatasetRecordSchema>;
