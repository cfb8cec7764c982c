import { z } from 'zod';
import { CompileSchema } from '../compile/compile.js';
import { LayerName } from '../layers/define.js';
import { SampleShapeSchema } from '../layers/shape.js';
import { FunctionalLayerSchema, SequentialLayerSchema } from './layers.js';


export const SequentialArchitectureSchema = z.strictObject({
  type: z.literal('sequential'),
  /** Per-sample, without the batch dimension; left out, the data decides at training time. */
  input_shape: SampleShapeSchema.optional(),
  layers: z.array(SequentialLayerSchema).min(1, { error: 'a model needs at least one layer' }),
});
export type SequentialArchitecture = z.output<typeof SequentialArchitectureSchema>;

// A job trains on one `x` and one `y` array, so a functional model has one input and one output.
const ONE_INPUT = 'a functional model here has exactly one input (a job trains on one x array)';
const ONE_OUTPUT = 'a functional model here has exactly one output (a job trains on one y array)';

export const FunctionalArchitectureSchema = z.strictObject({
  type: z.literal('functional'),
  inputs: z
    .array(
      z.strictObject({
        name: LayerName,
        shape: SampleShapeSchema,
        dtype: z.literal('float32', { error: 'modelyard computes in float32 only' }).optional(),
      }),
    )
    .length(1, { error: ONE_INPUT }),
  layers: z.array(FunctionalLayerSchema).min(1, { error: 'a model needs at least one layer' }),
  outputs: z.array(LayerName).length(1, { error: ONE_OUTPUT }),
});
export type FunctionalArchitecture = z.output<typeof FunctionalArchitectureSchema>;

/** What Keras's `model.to_json()` wrote: the JSON text or the object it encodes. */
export const KerasArchitectureSchema = z.strictObject({
  type: z.literal('keras'),
  config: z.union([z.string(), z.record(z.string(), z.unknown())], {
    error: "config is the JSON that Keras's model.to_json() writes, as text or as an object",
  }),
});

const ARCHITECTURE_TYPES = 'sequential, functional or keras';

export const ArchitectureSchema = z.discriminatedUnion(
  'type',
  [SequentialArchitectureSchema, FunctionalArchitectureSchema, KerasArchitectureSchema],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `architecture.type is ${ARCHITECTURE_TYPES}, found ${JSON.stringify((issue.input as { type?: unknown } | undefined)?.type)}`
        : undefined,
  },
);

export const ResolvedArchitectureSchema = z.discriminatedUnion('type', [SequentialArchitectureSchema, FunctionalArchitectureSchema]);

/**
 * A sequential or functional architecture before it is parsed: what the
 * Keras import writes, for `ResolvedArchitectureSchema` to check.
 */
export type ArchitectureInput = z.input<typeof ResolvedArchitectureSchema>;

const definitionKeys = {
  name: z.string().min(1).max(128).optional(),
  compile: CompileSchema.optional(),
};

/** A model definition as a client sends it (the `keras` form included). */
export const ModelDefinitionSchema = z.strictObject({ ...definitionKeys, architecture: ArchitectureSchema });

/** A definition as stored and returned: `parseModelDefinition`'s output, the keras form converted. */
export const ResolvedModelDefinitionSchema = z.strictObject({ ...definitionKeys, architecture: ResolvedArchitectureSchema });

/** A definition after `parseModelDefinition`: a Keras JSON architecture already converted. */
export type ModelDefinition = z.output<typeof ResolvedModelDefinitionSchema>;
