import { z } from 'zod';
import { DatasetRefSchema } from '../../datasets/ref.js';

const Nested: z.ZodType<unknown> = z.unknown();

export const PredictSchema = z
  .object({
    instances: z.array(Nested).min(1).describe('samples, each shaped as the model input'),
    version: z.number().int().positive().optional().describe('trained version; the latest when left out'),
  })
  .strict()
  .meta({ examples: [{ instances: [[5.3, 3.4, 1.9, 0.6], [6.0, 3.0, 4.7, 1.5]] }] });

export const PredictionSchema = z.object({
  model: z.string(),
  version: z.number().int(),
  predictions: z.array(z.unknown()),
  classes: z.array(z.string()).optional().describe('argmax labels, when the training data had class names'),
});

export const EvaluateSchema = z
  .object({
    x: z.array(Nested).optional(),
    y: z.array(Nested).optional(),
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
    instances: z.array(Nested).min(1),
    version: z.number().int().positive().optional(),
  })
  .strict();

export const InspectionSchema = z.object({
  model: z.string(),
  version: z.number().int(),
  layers: z.array(
    z.object({ name: z.string(), type: z.string(), output_shape: z.array(z.number().nullable()), output: z.array(z.unknown()) }),
  ),
});

export const LayersQuerySchema = z.object({
  weights: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
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
      config: z.record(z.string(), z.unknown()),
      output_shape: z.array(z.unknown()),
      params: z.number().int(),
      weights: z.array(z.object({ name: z.string(), shape: z.array(z.number().int()), values: z.array(z.unknown()).optional() })),
    }),
  ),
});
