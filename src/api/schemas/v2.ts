import { z } from 'zod';
import { V2_DATATYPES } from '../../serving/v2-tensors.js';

/**
 * The Open Inference Protocol (KServe V2), REST: the protocol's own field
 * names and its error body, `{"error": "..."}`, on every /v2 route.
 */

export const V2ErrorSchema = z.object({ error: z.string() }).meta({ id: 'V2Error', description: 'the Open Inference Protocol error body' });

/** The error responses a /v2 route can give, for its OpenAPI document; `default` keeps the plugin's /v1 error shape off these routes. */
export function v2ErrorResponses(...statuses: number[]): Record<number | 'default', typeof V2ErrorSchema> {
  return { ...Object.fromEntries(statuses.map((status) => [status, V2ErrorSchema])), default: V2ErrorSchema };
}

export const V2ServerMetadataSchema = z.object({
  name: z.string(),
  version: z.string(),
  extensions: z.array(z.string()),
});

export const V2LiveSchema = z.object({ live: z.boolean() });
export const V2ReadySchema = z.object({ ready: z.boolean() });
export const V2ModelReadySchema = z.object({ name: z.string(), version: z.string(), ready: z.boolean() });

export const V2ModelParamsSchema = z.object({
  name: z.string().min(1).describe('model id or unique name'),
});
export const V2VersionParamsSchema = V2ModelParamsSchema.extend({
  version: z.string().min(1).describe('trained version number'),
});

const TensorMetadataSchema = z.object({
  name: z.string(),
  datatype: z.string(),
  shape: z.array(z.number().int()).describe('-1 where any size fits, the batch axis first'),
});

export const V2ModelMetadataSchema = z
  .object({
  name: z.string(),
  versions: z.array(z.string()).describe('the version this metadata describes'),
  platform: z.string(),
  inputs: z.array(TensorMetadataSchema),
  outputs: z.array(TensorMetadataSchema),
  })
  .meta({ id: 'V2ModelMetadata' });

const ParametersSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).describe("the protocol's parameters; none changes what this server does");

export const V2InferRequestSchema = z
  .object({
    id: z.string().optional(),
    parameters: ParametersSchema.optional(),
    inputs: z
      .array(
        z.object({
          name: z.string(),
          shape: z.array(z.number().int().nonnegative()),
          datatype: z.string().describe(`one of ${V2_DATATYPES.join(', ')} (converted to the float32 the model takes)`),
          parameters: ParametersSchema.optional(),
          data: z.array(z.unknown()).describe('the tensor in row-major order, flat or nested'),
        }),
      )
      .min(1),
    outputs: z.array(z.object({ name: z.string(), parameters: ParametersSchema.optional() })).optional(),
  })
  .meta({ id: 'V2InferRequest', examples: [{ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.3, 3.4, 1.9, 0.6] }] }] });
export type V2InferRequest = z.infer<typeof V2InferRequestSchema>;

export const V2InferResponseSchema = z
  .object({
  model_name: z.string(),
  model_version: z.string(),
  id: z.string().optional(),
  outputs: z.array(
    z.object({
      name: z.string(),
      shape: z.array(z.number().int()),
      datatype: z.string(),
      data: z.array(z.unknown()).describe('flat, in row-major order: numbers, or the class names of BYTES'),
    }),
  ),
  })
  .meta({ id: 'V2InferResponse' });
