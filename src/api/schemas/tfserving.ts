import { z } from 'zod';
import { TensorSchema, documentedAs } from '../../documented.js';

/**
 * TensorFlow Serving's REST API (https://www.tensorflow.org/tfx/serving/api_rest),
 * on TFSERVING_PORT: its paths, its field names and its error body, `{"error": "..."}`.
 */

export const TfsErrorSchema = z.object({ error: z.string() }).meta({ id: 'TfServingError', description: "TensorFlow Serving's error body, on every error of this port" });

export const TfsModelParamsSchema = z.object({ name: z.string().min(1).describe('model id or unique name') });
export const TfsVersionParamsSchema = TfsModelParamsSchema.extend({ version: z.string().min(1).describe('trained version number') });
/** `:predict` ends the last segment, so the router hands over the segment whole: `{name}:predict` or `{version}:predict`. */
export const TfsPredictParamsSchema = z.object({ target: z.string().min(1) });
export const TfsVersionPredictParamsSchema = TfsModelParamsSchema.extend({ target: z.string().min(1) });

const SampleSchema = z.union([z.number(), TensorSchema]).describe('one sample, shaped as the model input');

/**
 * What the two formats carry, as the document describes them: the predict
 * service checks these against the model, so the request schema takes any value there.
 */
export const TfsInstancesSchema = z
  .array(z.union([SampleSchema, z.object({ input: SampleSchema })]))
  .meta({ id: 'TfServingInstances', description: 'the row format: one entry per sample, the sample itself or `{"input": sample}` (the signature\'s one input by name)' });
export const TfsInputsSchema = z
  .union([TensorSchema, z.object({ input: TensorSchema })])
  .meta({ id: 'TfServingInputs', description: 'the columnar format: the batch, samples first, or `{"input": batch}` (the signature\'s one input by name)' });

export const TfsPredictRequestSchema = z
  .object({
    signature_name: z.string().optional().describe('`serving_default`, the one signature, where given'),
    instances: documentedAs(z.unknown(), 'TfServingInstances').optional(),
    inputs: documentedAs(z.unknown(), 'TfServingInputs').optional(),
  })
  .meta({
    id: 'TfServingPredictRequest',
    description: 'the row format (`instances`) or the columnar one (`inputs`), not both',
    examples: [{ instances: [[5.1, 3.5, 1.4, 0.2]] }],
  });
export type TfsPredictRequest = z.infer<typeof TfsPredictRequestSchema>;

export const TfsPredictResponseSchema = z
  .union([z.object({ predictions: TensorSchema }), z.object({ outputs: TensorSchema })])
  .meta({ id: 'TfServingPrediction', description: "the model's one output for every sample, in order: `predictions` answers the row format, `outputs` the columnar one" });

export const TfsModelStatusSchema = z
  .object({
    model_version_status: z.array(
      z.object({
        version: z.string(),
        state: z.enum(['START', 'LOADING', 'AVAILABLE', 'UNLOADING', 'END']),
        status: z.object({ error_code: z.string(), error_message: z.string() }),
      }),
    ),
  })
  .meta({ id: 'TfServingModelStatus', description: 'every trained version, newest first, or the one asked for' });
export type TfsModelStatus = z.infer<typeof TfsModelStatusSchema>;

/** A TensorInfo as protobuf's JSON mapping writes it: int64 sizes as strings. */
const TensorInfoSchema = z.object({
  dtype: z.string(),
  tensor_shape: z.object({ dim: z.array(z.object({ size: z.string(), name: z.string() })), unknown_rank: z.boolean() }),
  name: z.string(),
});
export type TfsTensorInfo = z.infer<typeof TensorInfoSchema>;

export const TfsModelMetadataSchema = z
  .object({
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
  })
  .meta({ id: 'TfServingModelMetadata', description: 'the `serving_default` signature: float inputs and outputs, the batch axis first (-1)' });
export type TfsModelMetadata = z.infer<typeof TfsModelMetadataSchema>;
