import { z } from 'zod';
import { SamplesSchema } from '../../documented.js';
import { MAX_NAME_LENGTH } from './common.js';
import { BuiltinDatasetInfoSchema } from '../../datasets/builtins.js';
import { DatasetRecordSchema, type DatasetRecord } from '../../registry/records.js';

export const DatasetParamsSchema = z.object({ dataset: z.string().min(1).describe('dataset id or name') });

export const UploadQuerySchema = z.object({
  name: z.string().min(1).max(MAX_NAME_LENGTH).optional().describe('dataset name (CSV and NumPy uploads; JSON carries it in the body)'),
  target: z.string().min(1).optional().describe('CSV: the label column, or several separated by commas'),
});

export const JsonDatasetSchema = z
  .object({
    name: z.string().min(1).max(MAX_NAME_LENGTH),
    x: SamplesSchema.describe('samples, as nested arrays'),
    y: SamplesSchema.describe('targets, one per sample'),
    class_names: z.array(z.string()).optional(),
  })
  .strict()
  .meta({ examples: [{ name: 'xor', x: [[0, 0], [0, 1], [1, 0], [1, 1]], y: [0, 1, 1, 0] }] });

/**
 * An uploaded dataset without its storage key. Shapes are one sample's, as Keras's
 * `input_shape` and a built-in's `x_shape`; `rows` counts the samples.
 */
export const DatasetSchema = DatasetRecordSchema.omit({ artifact: true }).extend({
  x_shape: DatasetRecordSchema.shape.x_shape.describe("one sample's shape, as Keras's input_shape: NumPy's x.shape without the rows"),
  y_shape: DatasetRecordSchema.shape.y_shape.describe("one target's shape: NumPy's y.shape without the rows ([] for one label per sample)"),
});
export type PublicDataset = z.infer<typeof DatasetSchema>;

/** A stored record as clients see it: no storage key, per-sample shapes. */
export function publicDataset(record: DatasetRecord): PublicDataset {
  const { artifact: _artifact, ...rest } = record;
  return { ...rest, x_shape: record.x_shape.slice(1), y_shape: record.y_shape.slice(1) };
}
export const DatasetListSchema = z.object({
  builtin: z.array(BuiltinDatasetInfoSchema).describe('never uploaded; refer to them as {"builtin": name, "split": ...}'),
  datasets: z.array(DatasetSchema),
});
