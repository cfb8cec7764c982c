import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { baseKeys, defineLayer } from './define.js';
import { intOrTuple, only, toTuple } from './shape.js';
import { PaddingSchema, dataFormatSchema, slide, spatialOf, tfDataFormat, withChannels, type Rank } from './convolutional.js';

function poolingSchema<T extends string>(type: T, rank: Rank) {
  return z.strictObject({
    type: z.literal(type),
    ...baseKeys,
    pool_size: intOrTuple(rank).default(toTuple(2, rank)),
    // Keras's None: the window moves by its own size.
    strides: intOrTuple(rank).nullable().default(null),
    padding: PaddingSchema,
    data_format: dataFormatSchema(rank),
  });
}

type PoolArgs = {
  name: string;
  trainable: boolean;
  poolSize: number[];
  strides: number[];
  padding: 'valid' | 'same';
  dataFormat: 'channelsLast' | 'channelsFirst';
};

/** tfjs's pooling factories, by kind and rank; 1D poolings take no data format. */
const FACTORIES: Record<'max' | 'average', Record<Rank, (args: PoolArgs) => tf.layers.Layer>> = {
  max: {
    1: ({ dataFormat: _ignored, poolSize, strides, ...args }) =>
      tf.layers.maxPooling1d({ ...args, poolSize: poolSize as [number], strides: strides as [number] }),
    2: ({ poolSize, strides, ...args }) =>
      tf.layers.maxPooling2d({ ...args, poolSize: poolSize as [number, number], strides: strides as [number, number] }),
    3: ({ poolSize, strides, ...args }) =>
      tf.layers.maxPooling3d({ ...args, poolSize: poolSize as [number, number, number], strides: strides as [number, number, number] }),
  },
  average: {
    1: ({ dataFormat: _ignored, poolSize, strides, ...args }) =>
      tf.layers.averagePooling1d({ ...args, poolSize: poolSize as [number], strides: strides as [number] }),
    2: ({ poolSize, strides, ...args }) =>
      tf.layers.averagePooling2d({ ...args, poolSize: poolSize as [number, number], strides: strides as [number, number] }),
    3: ({ poolSize, strides, ...args }) =>
      tf.layers.averagePooling3d({ ...args, poolSize: poolSize as [number, number, number], strides: strides as [number, number, number] }),
  },
};

function pooling<T extends string>(type: T, kind: 'max' | 'average', rank: Rank) {
  return defineLayer({
    schema: poolingSchema(type, rank),
    infer: (config, inputs, path) => {
      const input = only(inputs);
      const channelsFirst = config.data_format === 'channels_first';
      const { spatial, channels } = spatialOf(type, input, rank, channelsFirst, path);
      const pool = toTuple(config.pool_size, rank);
      const strides = toTuple(config.strides ?? config.pool_size, rank);
      const out = slide(type, input, spatial, pool, strides, config.padding, 'pool_size', path);
      return { shape: withChannels(out, channels, channelsFirst), params: 0 };
    },
    create: (config, base) =>
      FACTORIES[kind][rank]({
        ...base,
        poolSize: toTuple(config.pool_size, rank),
        strides: toTuple(config.strides ?? config.pool_size, rank),
        padding: config.padding,
        dataFormat: tfDataFormat(config.data_format),
      }),
  });
}

export const MaxPooling1D = pooling('MaxPooling1D', 'max', 1);
export const MaxPooling2D = pooling('MaxPooling2D', 'max', 2);
export const MaxPooling3D = pooling('MaxPooling3D', 'max', 3);
export const AveragePooling1D = pooling('AveragePooling1D', 'average', 1);
export const AveragePooling2D = pooling('AveragePooling2D', 'average', 2);
export const AveragePooling3D = pooling('AveragePooling3D', 'average', 3);

const GLOBAL_FACTORIES = {
  max: {
    1: (args: { name: string; trainable: boolean }) => tf.layers.globalMaxPooling1d(args),
    2: (args: { name: string; trainable: boolean; dataFormat: 'channelsLast' | 'channelsFirst' }) => tf.layers.globalMaxPooling2d(args),
  },
  average: {
    1: (args: { name: string; trainable: boolean }) => tf.layers.globalAveragePooling1d(args),
    2: (args: { name: string; trainable: boolean; dataFormat: 'channelsLast' | 'channelsFirst' }) =>
      tf.layers.globalAveragePooling2d(args),
  },
} as const;

function globalPooling<T extends string>(type: T, kind: 'max' | 'average', rank: 1 | 2) {
  return defineLayer({
    schema: z.strictObject({
      type: z.literal(type),
      ...baseKeys,
      data_format: dataFormatSchema(rank),
      keepdims: z.literal(false, { error: 'keepdims=true is not supported by TensorFlow.js' }).default(false),
    }),
    infer: (config, inputs, path) => {
      const { channels } = spatialOf(type, only(inputs), rank, config.data_format === 'channels_first', path);
      return { shape: [channels], params: 0 };
    },
    create: (config, base) =>
      rank === 1
        ? GLOBAL_FACTORIES[kind][1](base)
        : GLOBAL_FACTORIES[kind][2]({ ...base, dataFormat: tfDataFormat(config.data_format) }),
  });
}

export const GlobalAveragePooling1D = globalPooling('GlobalAveragePooling1D', 'average', 1);
export const GlobalAveragePooling2D = globalPooling('GlobalAveragePooling2D', 'average', 2);
export const GlobalMaxPooling1D = globalPooling('GlobalMaxPooling1D', 'max', 1);
export const GlobalMaxPooling2D = globalPooling('GlobalMaxPooling2D', 'max', 2);
