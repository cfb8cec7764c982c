import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ActivationSchema, tfActivation } from '../activations.js';
import { baseKeys, defineLayer } from './define.js';
import { PositiveInt, expectRank, only } from './shape.js';
import { InitializerSchema, initializer } from '../initializers.js';
import { ActivityRegularizerSchema, ConstraintSchema, RegularizerSchema, regularizer } from '../regularizers.js';

const Rate = z.number().min(0).lt(1, { error: 'must be in [0, 1)' });

/** Arguments LSTM and GRU share, with Keras's defaults. */
function recurrentKeys() {
  return {
    ...baseKeys,
    units: PositiveInt,
    activation: ActivationSchema.default('tanh'),
    recurrent_activation: ActivationSchema.default('sigmoid'),
    use_bias: z.boolean().default(true),
    kernel_initializer: InitializerSchema.default('glorot_uniform'),
    recurrent_initializer: InitializerSchema.default('orthogonal'),
    bias_initializer: InitializerSchema.default('zeros'),
    kernel_regularizer: RegularizerSchema,
    recurrent_regularizer: RegularizerSchema,
    bias_regularizer: RegularizerSchema,
    activity_regularizer: ActivityRegularizerSchema,
    kernel_constraint: ConstraintSchema,
    recurrent_constraint: ConstraintSchema,
    bias_constraint: ConstraintSchema,
    dropout: Rate.default(0),
    recurrent_dropout: Rate.default(0),
    seed: z.number().int().nullable().default(null),
    return_sequences: z.boolean().default(false),
    return_state: z
      .literal(false, { error: 'return_state is not supported: a layer here has one output' })
      .default(false),
    go_backwards: z.boolean().default(false),
    stateful: z.literal(false, { error: 'stateful recurrent layers are not supported' }).default(false),
    // Speed options with no effect on the result; tfjs has one implementation.
    unroll: z.boolean().default(false),
    use_cudnn: z.union([z.literal('auto'), z.boolean()]).optional(),
    implementation: z.union([z.literal(1), z.literal(2)]).optional(),
    time_major: z.literal(false, { error: 'time_major inputs are not supported' }).optional(),
  };
}

type RecurrentConfig = z.output<z.ZodObject<ReturnType<typeof recurrentKeys>>>;

function recurrentArgs(config: RecurrentConfig) {
  return {
    units: config.units,
    activation: tfActivation(config.activation),
    recurrentActivation: tfActivation(config.recurrent_activation),
    useBias: config.use_bias,
    kernelInitializer: initializer(config.kernel_initializer),
    recurrentInitializer: initializer(config.recurrent_initializer),
    biasInitializer: initializer(config.bias_initializer),
    kernelRegularizer: regularizer(config.kernel_regularizer),
    recurrentRegularizer: regularizer(config.recurrent_regularizer),
    biasRegularizer: regularizer(config.bias_regularizer),
    dropout: config.dropout,
    recurrentDropout: config.recurrent_dropout,
    returnSequences: config.return_sequences,
    goBackwards: config.go_backwards,
  };
}

type RecurrentLayer = ReturnType<typeof tf.layers.lstm> | ReturnType<typeof tf.layers.gru>;

/**
 * tfjs's RNN layer leaves its cell's regularization losses out of training
 * (the cell, which owns the weights and their regularizers, is not one of the
 * model's layers), where Keras adds them to the loss: the layer reports them
 * as its own.
 */
function withCellLosses<L extends RecurrentLayer>(layer: L): L {
  const own = layer.calculateLosses.bind(layer);
  layer.calculateLosses = () => [...own(), ...layer.cell.calculateLosses()];
  return layer;
}

/**
 * SampleShape and parameters of a recurrent layer with `gates` gate blocks
 * (LSTM 4, GRU 3): a kernel, a recurrent kernel and a bias per block.
 */
function inferRecurrent(type: string, gates: number) {
  return (config: RecurrentConfig, inputs: number[][], path: string) => {
    const input = only(inputs);
    expectRank(type, input, 3, '(batch, timesteps, features)', path);
    const [steps, features] = input as [number, number];
    const { units } = config;
    return {
      shape: config.return_sequences ? [steps, units] : [units],
      params: gates * (units * (features + units) + (config.use_bias ? units : 0)),
    };
  };
}

export const LSTM = defineLayer({
  schema: z.strictObject({
    type: z.literal('LSTM'),
    ...recurrentKeys(),
    unit_forget_bias: z.boolean().default(true),
  }),
  infer: inferRecurrent('LSTM', 4),
  create: (config, base) => withCellLosses(tf.layers.lstm({ ...base, ...recurrentArgs(config), unitForgetBias: config.unit_forget_bias })),
});

/**
 * Keras's GRU defaults to `reset_after=True` (the cuDNN form, with two bias
 * vectors); tfjs implements only the original `reset_after=False`. Training
 * the other form under Keras's name would change the model, so the default
 * is refused with the fix spelled out.
 */
export const GRU = defineLayer({
  schema: z.strictObject({
    type: z.literal('GRU'),
    ...recurrentKeys(),
    reset_after: z
      .boolean()
      .default(true)
      .refine((value) => value === false, {
        message:
          'TensorFlow.js implements only reset_after=false; Keras defaults to true, so set "reset_after": false ' +
          'explicitly (that GRU has one bias vector instead of two)',
      }),
  }),
  infer: inferRecurrent('GRU', 3),
  create: (config, base) => withCellLosses(tf.layers.gru({ ...base, ...recurrentArgs(config) })),
});
