import { z } from 'zod';
import { SamplesSchema } from '../documented.js';
import { BUILTIN_NAMES, SPLIT_NAMES } from './builtins.js';
import { datasetFromInline } from './inline.js';
import type { Dataset } from './types.js';

const BuiltinRefSchema = z
  .object({
    builtin: z.enum(BUILTIN_NAMES),
    split: z
      .enum(SPLIT_NAMES)
      .optional()
      .describe('mnist: train (60,000) or test (10,000); california_housing: all (20,640, the default), train (16,512) or test (4,128); iris has one'),
    limit: z.number().int().positive().optional().describe('only the first N rows'),
  })
  .strict();

/**
 * A dataset anywhere in the API: a stored one by id or name, a built-in, or
 * the data itself inline.
 */
export const DatasetRefSchema = z.union([
  z.object({ id: z.string().min(1).describe('dataset id or name') }).strict(),
  BuiltinRefSchema,
  z
    .object({
      x: SamplesSchema.describe('samples, as nested arrays'),
      y: SamplesSchema.describe('targets: labels or values, one per sample'),
      class_names: z.array(z.string()).optional(),
    })
    .strict(),
]);
export type DatasetRef = z.infer<typeof DatasetRefSchema>;

/**
 * The form a job keeps: inline data is stored in the artifact store at
 * submit time, so a queued job refers to it instead of carrying it.
 */
export const StoredDatasetRefSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('stored'), id: z.string() }),
  z.object({
    kind: z.literal('builtin'),
    name: BuiltinRefSchema.shape.builtin,
    split: BuiltinRefSchema.shape.split,
    limit: BuiltinRefSchema.shape.limit,
  }),
  z.object({ kind: z.literal('inline'), artifact: z.string() }),
]);
export type StoredDatasetRef = z.infer<typeof StoredDatasetRefSchema>;

/** The arrays of an inline reference (or an inline upload), with its class names. */
export function inlineDataset(ref: { x: unknown[]; y: unknown[]; class_names?: string[] | undefined }, path = 'dataset'): Dataset {
  const dataset = datasetFromInline(ref.x, ref.y, path);
  if (ref.class_names) dataset.classNames = ref.class_names;
  return dataset;
}
