import { z } from 'zod';
import { DatasetRefSchema } from '../../datasets/ref.js';
import { SamplesSchema, documentedAs } from '../../documented.js';

/** Numbers the model computed, returned without a second pass over every element. */
const Computed = documentedAs(z.array(z.unknown()), 'Tensor');
const OutputShape = z.array(z.number().int().nullable()).describe("one sample's shape, without the batch axis; null where any size fits (Keras's None)");

export const PredictSchema = z
  .object({
    instances: SamplesSchema.min(1).describe('samples, each shaped as the model input'),
    version: z.number().int().positive().optional().describe('trained version; the latest when left out'),
  })
  .strict()
  .meta({ examples: [{ instances: [[5.3, 3.4, 1.9, 0.6], [6.0, 3.0, 4.7, 1.5]] }] });

export const PredictionSchema = z.object({
  model: z.string(),
  version: z.number().int(),
  predictions: Computed.describe("one per instance, each shaped as the model's output"),
  classes: z.array(z.string()).optional().describe('argmax labels, when the training data had class names'),
});

export const EvaluateSchema = z
  .object({
    x: SamplesSchema.optional().describe('samples, each shaped as the model input'),
    y: SamplesSchema.optional().describe('targets, one per sample'),
    dataset: DatasetRefSchema.optional(),
    version: z.number().int().positive().optional(),
    batch_size: z.number().int().positive().default(32),
  })
  .strict()
  .refine((body) => (body.dataset ? body.x === undefined && body.y === undefined : body.x !== undefined && body.y !== undefined), {
    message: 'give either `x` and `y`, or `dataset`',
  });

export const EvaluationSchema = z.object({
  model: z.string(),
  version: z.number().int(),
  samples: z.number().int(),
  metrics: z.record(z.string(), z.number().nullable()).describe("loss and metrics under Keras's names"),
});

export const InspectSchema = z
  .object({
    instances: SamplesSchema.min(1).describe('samples, each shaped as the model input'),
    version: z.number().int().positive().optional(),
  })
  .strict();

export const InspectionSchema = z.object({
  model: z.string(),
  version: z.number().int(),
  layers: z.array(
    z.object({ name: z.string(), type: z.string(), output_shape: OutputShape, output: Computed.describe("one per instance, each shaped as the layer's output_shape") }),
  ),
});

export const LayersQuerySchema = z.object({
  // A query string carries text; the boolean branch is there so that SDKs type the parameter as one.
  weights: z
    .union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')])
    .default(false)
    .describe('include each weight’s values'),
  version: z.coerce.number().int().positive().optional(),
});

export const LayersSchema = z.object({
  model: z.string(),
  version: z.number().int(),
  layers: z.array(
    z.object({
      index: z.number().int(),
      name: z.string(),
      type: z.string(),
      config: z.record(z.string(), z.unknown()).describe("the layer's arguments under Keras's names, as Keras's get_config() gives them"),
      output_shape: z.union([OutputShape, z.array(OutputShape)]).describe('a list of shapes for a layer with several outputs'),
      params: z.number().int(),
      weights: z.array(
        z.object({
          name: z.string().describe("Keras's short name: kernel, bias, gamma, beta, moving_mean, ..."),
          shape: z.array(z.number().int()),
          values: Computed.optional().describe('with ?weights=true: the values, shaped as `shape`'),
        }),
      ),
    }),
  ),
});
