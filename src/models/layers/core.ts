import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ValidationError, joinPath } from '../../errors.js';
import { ActivationSchema, tfActivation } from '../activations.js';
import { baseKeys, defineLayer } from './define.js';
import { BatchShapeSchema, PositiveInt, SampleShapeSchema, formatKerasShape, only, product, type SampleShape } from './shape.js';
import { InitializerSchema, initializer, initializerClass } from '../initializers.js';
import { ActivityRegularizerSchema, ConstraintSchema, RegularizerSchema, regularizer } from '../regularizers.js';
import { kernelBiasKeys, tfKernelBias } from './kernel-bias.js';

const ONE_SHAPE = 'give exactly one of shape, input_shape, batch_shape, batch_input_shape';

export const InputLayer = defineLayer({
  schema: z.strictObject({
    type: z.literal('InputLayer'),
    ...baseKeys,
    shape: SampleShapeSchema.optional(),
    input_shape: SampleShapeSchema.optional(),
    batch_shape: BatchShapeSchema.optional(),
    batch_input_shape: BatchShapeSchema.optional(),
    batch_size: z.null({ error: 'a fixed batch size is not supported' }).optional(),
    sparse: z.literal(false, { error: 'sparse inputs are not supported' }).optional(),
    ragged: z.literal(false, { error: 'ragged inputs are not supported' }).optional(),
    optional: z.literal(false, { error: 'optional inputs are not supported' }).optional(),
  }),
  infer: (_config, inputs) => ({ shape: only(inputs), params: 0 }),
  create: (config, base) => tf.layers.inputLayer({ name: base.name, inputShape: inputLayerShape(config, '') }),
});

/** The per-sample shape an InputLayer declares, whichever of Keras's spellings carries it. */
export function inputLayerShape(
  config: {
    shape?: SampleShape | undefined;
    input_shape?: SampleShape | undefined;
    batch_shape?: (number | null)[] | undefined;
    batch_input_shape?: (number | null)[] | undefined;
  },
  path: string,
): SampleShape {
  const candidates = [
    config.shape,
    config.input_shape,
    config.batch_shape?.slice(1) as SampleShape | undefined,
    config.batch_input_shape?.slice(1) as SampleShape | undefined,
  ].filter((shape): shape is SampleShape => shape !== undefined);
  const [shape] = candidates;
  if (!shape || candidates.length !== 1) throw ValidationError.at(path, ONE_SHAPE);
  return shape;
}

export const Dense = defineLayer({
  schema: z.strictObject({
    type: z.literal('Dense'),
    ...baseKeys,
    units: PositiveInt,
    ...kernelBiasKeys,
  }),
  infer: (config, inputs, path) => {
    const input = only(inputs);
    const features = input.at(-1) as number;
    checkIdentityKernel(config.kernel_initializer, features, config.units, joinPath(path, 'kernel_initializer'));
    return {
      shape: [...input.slice(0, -1), config.units],
      params: features * config.units + (config.use_bias ? config.units : 0),
    };
  },
  create: (config, base) =>
    tf.layers.dense({
      ...base,
      units: config.units,
      ...tfKernelBias(config),
    }),
});

/** tfjs's Identity initializer throws on a non-square kernel, at build time; say so at check time. */
function checkIdentityKernel(spec: z.output<typeof InitializerSchema>, rows: number, cols: number, path: string): void {
  const name = initializerClass(spec);
  if ((name === 'Identity' || name === 'IdentityInitializer') && rows !== cols) {
    throw ValidationError.at(path, `the identity initializer needs a square kernel, found ${rows}×${cols}`);
  }
}

export const Activation = defineLayer({
  schema: z.strictObject({
    type: z.literal('Activation'),
    ...baseKeys,
    activation: ActivationSchema,
  }),
  infer: (_config, inputs) => ({ shape: only(inputs), params: 0 }),
  create: (config, base) => tf.layers.activation({ ...base, activation: tfActivation(config.activation) }),
});

export const Dropout = defineLayer({
  schema: z.strictObject({
    type: z.literal('Dropout'),
    ...baseKeys,
    rate: z.number().min(0).lt(1, { error: 'rate must be in [0, 1)' }),
    noise_shape: z.null({ error: 'noise_shape is not supported' }).default(null),
    seed: z.number().int().nullable().default(null),
  }),
  infer: (_config, inputs) => ({ shape: only(inputs), params: 0 }),
  create: (config, base) =>
    tf.layers.dropout({ ...base, rate: config.rate, ...(config.seed === null ? {} : { seed: config.seed }) }),
});

export const Flatten = defineLayer({
  schema: z.strictObject({
    type: z.literal('Flatten'),
    ...baseKeys,
    data_format: z.enum(['channels_last', 'channels_first']).nullable().default('channels_last'),
  }),
  infer: (_config, inputs, path) => {
    const input = only(inputs);
    // Keras passes a flat input through; tfjs's Flatten refuses it.
    if (input.length < 2) {
      throw ValidationError.at(
        path,
        `Flatten expects input of rank 3 or more (batch plus at least two dimensions) in TensorFlow.js, ` +
          `found ${formatKerasShape(input)}, which is already flat: remove the Flatten`,
      );
    }
    return { shape: [product(input)], params: 0 };
  },
  create: (config, base) =>
    tf.layers.flatten({ ...base, dataFormat: config.data_format === 'channels_first' ? 'channelsFirst' : 'channelsLast' }),
});

export const Reshape = defineLayer({
  schema: z.strictObject({
    type: z.literal('Reshape'),
    ...baseKeys,
    target_shape: z
      .array(z.number().int().refine((d) => d === -1 || d > 0, { message: 'each dimension is a positive integer or -1' }))
      .min(1)
      .refine((shape) => shape.filter((d) => d === -1).length <= 1, { message: 'at most one dimension may be -1' }),
  }),
  infer: (config, inputs, path) => {
    const input = only(inputs);
    const size = product(input);
    const known = product(config.target_shape.filter((d) => d !== -1));
    const target = config.target_shape;
    const wanted = formatKerasShape(target.map((d) => (d === -1 ? null : d)));
    if (target.includes(-1)) {
      if (size % known !== 0) {
        throw ValidationError.at(
          joinPath(path, 'target_shape'),
          `Reshape cannot reshape ${formatKerasShape(input)} (${size} values) into ${wanted}: ${size} is not a multiple of ${known}`,
        );
      }
      return { shape: target.map((d) => (d === -1 ? size / known : d)), params: 0 };
    }
    if (known !== size) {
      throw ValidationError.at(
        joinPath(path, 'target_shape'),
        `Reshape cannot reshape ${formatKerasShape(input)} (${size} values) into ${wanted} (${known} values)`,
      );
    }
    return { shape: [...target], params: 0 };
  },
  // tfjs leaves a -1 unresolved in its symbolic shapes (and overwrites the array it is given), so it gets the
  // shape the checker resolved.
  create: (_config, base, output) => tf.layers.reshape({ ...base, targetShape: [...output] }),
});

export const Rescaling = defineLayer({
  schema: z.strictObject({
    type: z.literal('Rescaling'),
    ...baseKeys,
    scale: z.number(),
    offset: z.number().default(0),
  }),
  infer: (_config, inputs) => ({ shape: only(inputs), params: 0 }),
  create: (config, base) => tf.layers.rescaling({ ...base, scale: config.scale, offset: config.offset }),
});

export const Embedding = defineLayer({
  schema: z.strictObject({
    type: z.literal('Embedding'),
    ...baseKeys,
    input_dim: PositiveInt,
    output_dim: PositiveInt,
    embeddings_initializer: InitializerSchema.default('uniform'),
    embeddings_regularizer: RegularizerSchema,
    activity_regularizer: ActivityRegularizerSchema,
    embeddings_constraint: ConstraintSchema,
    mask_zero: z.boolean().default(false),
    input_length: PositiveInt.nullable().optional(),
  }),
  infer: (config, inputs, path) => {
    const input = only(inputs);
    if (config.input_length != null && input.at(-1) !== config.input_length) {
      throw ValidationError.at(
        joinPath(path, 'input_length'),
        `Embedding was declared with input_length ${config.input_length}, found input ${formatKerasShape(input)}`,
      );
    }
    checkIdentityKernel(config.embeddings_initializer, config.input_dim, config.output_dim, joinPath(path, 'embeddings_initializer'));
    return { shape: [...input, config.output_dim], params: config.input_dim * config.output_dim };
  },
  create: (config, base) =>
    tf.layers.embedding({
      ...base,
      inputDim: config.input_dim,
      outputDim: config.output_dim,
      embeddingsInitializer: initializer(config.embeddings_initializer),
      embeddingsRegularizer: regularizer(config.embeddings_regularizer),
      maskZero: config.mask_zero,
    }),
});
