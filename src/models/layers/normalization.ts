import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ValidationError, joinPath } from '../../errors.js';
import { baseKeys, defineLayer } from './define.js';
import { formatKerasShape, only, product, sampleAxis } from './shape.js';
import { InitializerSchema, initializer } from '../initializers.js';
import { ConstraintSchema, RegularizerSchema, regularizer } from '../regularizers.js';

const Axis = z.number().int();

/** tfjs's normalization layers fail in training without their beta (center) and gamma (scale). */
function trainsOnlyWith(key: 'center' | 'scale') {
  const error = `${key}=false is not supported: TensorFlow.js's normalization layers cannot train without it`;
  return z.literal(true, { error }).default(true);
}

export const BatchNormalization = defineLayer({
  schema: z.strictObject({
    type: z.literal('BatchNormalization'),
    ...baseKeys,
    axis: Axis.default(-1),
    momentum: z.number().min(0).max(1).default(0.99),
    epsilon: z.number().positive().default(0.001),
    center: trainsOnlyWith('center'),
    scale: trainsOnlyWith('scale'),
    beta_initializer: InitializerSchema.default('zeros'),
    gamma_initializer: InitializerSchema.default('ones'),
    moving_mean_initializer: InitializerSchema.default('zeros'),
    moving_variance_initializer: InitializerSchema.default('ones'),
    beta_regularizer: RegularizerSchema,
    gamma_regularizer: RegularizerSchema,
    beta_constraint: ConstraintSchema,
    gamma_constraint: ConstraintSchema,
    synchronized: z.literal(false, { error: 'synchronized batch normalization is not supported' }).default(false),
  }),
  infer: (config, inputs, path) => {
    const input = only(inputs);
    if (input.length > 3) {
      throw ValidationError.at(
        path,
        `BatchNormalization expects input of rank 2 to 4 in TensorFlow.js, found ${formatKerasShape(input)}`,
      );
    }
    if (!config.trainable) {
      // Keras runs a frozen BatchNormalization in inference mode; tfjs would go on normalizing with batch statistics.
      throw ValidationError.at(
        joinPath(path, 'trainable'),
        'a frozen BatchNormalization (trainable=false) is not supported: TensorFlow.js would not switch it to inference mode as Keras does',
      );
    }
    const axis = sampleAxis(config.axis, input.length, joinPath(path, 'axis'), 'BatchNormalization');
    if (axis !== input.length - 1) {
      throw ValidationError.at(
        joinPath(path, 'axis'),
        `TensorFlow.js's BatchNormalization trains only along the last axis (-1), found axis ${config.axis} of ${formatKerasShape(input)}`,
      );
    }
    const channels = input[axis] as number;
    return { shape: input, params: 4 * channels, nonTrainableParams: 2 * channels };
  },
  create: (config, base) =>
    tf.layers.batchNormalization({
      ...base,
      axis: config.axis,
      momentum: config.momentum,
      epsilon: config.epsilon,
      center: config.center,
      scale: config.scale,
      betaInitializer: initializer(config.beta_initializer),
      gammaInitializer: initializer(config.gamma_initializer),
      movingMeanInitializer: initializer(config.moving_mean_initializer),
      movingVarianceInitializer: initializer(config.moving_variance_initializer),
      betaRegularizer: regularizer(config.beta_regularizer),
      gammaRegularizer: regularizer(config.gamma_regularizer),
    }),
});

export const LayerNormalization = defineLayer({
  schema: z.strictObject({
    type: z.literal('LayerNormalization'),
    ...baseKeys,
    axis: z.union([Axis, z.array(Axis).min(1)]).default(-1),
    epsilon: z.number().positive().default(0.001),
    center: trainsOnlyWith('center'),
    scale: trainsOnlyWith('scale'),
    rms_scaling: z.literal(false, { error: 'rms_scaling is not supported by TensorFlow.js' }).default(false),
    beta_initializer: InitializerSchema.default('zeros'),
    gamma_initializer: InitializerSchema.default('ones'),
    beta_regularizer: RegularizerSchema,
    gamma_regularizer: RegularizerSchema,
    beta_constraint: ConstraintSchema,
    gamma_constraint: ConstraintSchema,
  }),
  infer: (config, inputs, path) => {
    const input = only(inputs);
    const axes = typeof config.axis === 'number' ? [config.axis] : config.axis;
    const indices = axes.map((axis) => sampleAxis(axis, input.length, joinPath(path, 'axis'), 'LayerNormalization'));
    if (new Set(indices).size !== indices.length) throw ValidationError.at(joinPath(path, 'axis'), 'an axis is listed twice');
    return { shape: input, params: 2 * product(indices.map((i) => input[i] as number)) };
  },
  create: (config, base) =>
    tf.layers.layerNormalization({
      ...base,
      axis: typeof config.axis === 'number' ? config.axis : [...config.axis],
      epsilon: config.epsilon,
      center: config.center,
      scale: config.scale,
      betaInitializer: initializer(config.beta_initializer),
      gammaInitializer: initializer(config.gamma_initializer),
      betaRegularizer: regularizer(config.beta_regularizer),
      gammaRegularizer: regularizer(config.gamma_regularizer),
    }),
});
