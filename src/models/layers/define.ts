import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { SampleShape } from './shape.js';

/** What a layer does to shapes: its output shape and its weights' sizes. */
export interface Inferred {
  shape: SampleShape;
  params: number;
  /** Weights that training never changes (BatchNormalization's moving statistics). */
  nonTrainableParams?: number;
}

/** The arguments every tfjs layer takes from the definition, not from its own config. */
export interface BaseArgs {
  name: string;
  trainable: boolean;
  /** Given to a Sequential model's first layer, which makes tfjs add the InputLayer that Keras hides. */
  inputShape?: number[];
}

/**
 * One catalogue entry, type-erased so that entries of every layer type fit one
 * table. `defineLayer` is the only place that narrows the config back.
 */
export interface LayerEntry {
  readonly type: string;
  readonly schema: z.ZodObject;
  /** Merge layers (Add, Concatenate) take a list of inputs; every other layer one. */
  readonly merge: boolean;
  infer(config: object, inputs: SampleShape[], path: string): Inferred;
  /** `output` is the shape `infer` found, for layers whose tfjs form wants it spelled out. */
  create(config: object, base: BaseArgs, output: SampleShape): tf.layers.Layer;
}

export function defineLayer<S extends z.ZodObject>(spec: {
  schema: S;
  merge?: boolean;
  infer: (config: z.output<S>, inputs: SampleShape[], path: string) => Inferred;
  create: (config: z.output<S>, base: BaseArgs, output: SampleShape) => tf.layers.Layer;
}): LayerEntry {
  const type = (spec.schema.shape as { type?: z.ZodLiteral<string> }).type?.value;
  if (typeof type !== 'string') throw new Error('a layer schema needs a literal `type`');
  return {
    type,
    schema: spec.schema,
    merge: spec.merge ?? false,
    // Safe: the catalogue hands an entry only configs that its own schema parsed.
    infer: (config, inputs, path) => spec.infer(config as z.output<S>, inputs, path),
    create: (config, base, output) => spec.create(config as z.output<S>, base, output),
  };
}

export const LayerName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, { message: 'a layer name uses letters, digits, _ . - only' });

const DTypePolicy = z.strictObject({
  module: z.string().optional(),
  class_name: z.literal(['DTypePolicy', 'Policy']),
  config: z.strictObject({ name: z.literal('float32') }),
  registered_name: z.string().nullable().optional(),
});

/** Keys Keras writes on every layer; only the values tfjs can honour are accepted. */
export const baseKeys = {
  name: LayerName.optional(),
  trainable: z.boolean().default(true),
  dtype: z
    .union([z.literal('float32'), z.null(), DTypePolicy], { error: 'modelyard computes in float32 only' })
    .optional(),
};
