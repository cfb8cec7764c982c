import { z } from 'zod';

/**
 * TensorFlow Serving's REST API (https://www.tensorflow.org/tfx/serving/api_rest),
 * on TFSERVING_PORT: its paths, its field names and its error body, `{"error": "..."}`.
 */

export const TfsModelParamsSchema = z.object({ name: z.string().min(1) });
export const TfsVersionParamsSchema = TfsModelParamsSchema.extend({ version: z.string().min(1) });
/** `:predict` ends the last segment, so the router hands over the segment whole: `{name}:predict` or `{version}:predict`. */
export const TfsPredictParamsSchema = z.object({ target: z.string().min(1) });
export const TfsVersionPredictParamsSchema = TfsModelParamsSchema.extend({ target: z.string().min(1) });

export const TfsPredictRequestSchema = z
  .object({
    signature_name: z.string().optional(),
    instances: z.unknown().optional(),
    inputs: z.unknown().optional(),
  })
  .describe('the row format (`instances`) or the columnar one (`inputs`), not both');
export type TfsPredictRequest = z.infer<typeof TfsPredictRequestSchema>;

export const TfsModelStatusSchema = z.object({
  model_version_status: z.array(
    z.object({
      version: z.string(),
      state: z.enum(['START', 'LOADING', 'AVAILABLE', 'UNLOADING', 'END']),
      status: z.object({ error_code: z.string(), error_message: z.string() }),
    }),
  ),
});
export type TfsModelStatus = z.infer<typeof TfsModelStatusSchema>;

/** A TensorInfo as protobuf's JSON mapping writes it: int64 sizes as strings. */
const TensorInfoSchema = z.object({
  dtype: z.string(),
  tensor_shape: z.object({ dim: z.array(z.object({ size: z.string(), name: z.string() })), unknown_rank: z.boolean() }),
  name: z.string(),
});
export type TfsTensorInfo = z.infer<typeof TensorInfoSchema>;

export const TfsModelMetadataSchema = z.object({
  model_spec: z.object({ name: z.string(), signature_name: z.string(), version: z.string() }),
  metadata: z.object({
    signature_def: z.object({
      signature_def: z.record(
        z.string(),
        z.object({
          inputs: z.record(z.string(), TensorInfoSchema),
          outputs: z.record(z.string(), TensorInfoSchema),
          method_name: z.string(),
          defaults: z.record(z.string(), z.unknown()),
        }),
      ),
    }),
  }),
});
export type TfsModelMetadata = z.infer<typeof TfsModelMetadataSchema>;
