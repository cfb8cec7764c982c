import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ValidationError, joinPath } from '../../errors.js';
import { baseKeys, defineLayer } from './define.js';
import { PositiveInt, expectRank, formatKerasShape, formatTuple, intOrTuple, ones, only, product, toTuple, type SampleShape } from './shape.js';
import { kernelBiasKeys, tfKernelBias } from './kernel-bias.js';

export type Rank = 1 | 2 | 3;

/** How Keras names the dimensions of a `rank`-D input, for error messages. */
export function layoutOf(rank: Rank, channelsFirst: boolean): string {
  const spatial = { 1: ['steps'], 2: ['rows', 'cols'], 3: ['dim1', 'dim2', 'dim3'] }[rank];
  return `(${['batch', ...(channelsFirst ? ['channels', ...spatial] : [...spatial, 'channels'])].join(', ')})`;
}

export const PaddingSchema = z
  .enum(['valid', 'same'], {
    error: (issue) =>
      issue.input === 'causal'
        ? 'padding "causal" is not supported by TensorFlow.js'
        : 'padding is "valid" or "same"',
  })
  .default('valid');

/** tfjs's 1D convolution and pooling mishandle channels_first, so 1D layers take channels_last only. */
export function dataFormatSchema(rank: Rank) {
  const formats = rank === 1 ? (['channels_last'] as const) : (['channels_last', 'channels_first'] as const);
  return z
    .enum(formats, {
      error: (issue) =>
        issue.input === 'channels_first'
          ? 'data_format "channels_first" is not supported for 1D layers by TensorFlow.js'
          : `data_format is ${formats.map((f) => `"${f}"`).join(' or ')}`,
    })
    .nullable()
    .default('channels_last');
}

export function tfDataFormat(format: 'channels_last' | 'channels_first' | null): 'channelsLast' | 'channelsFirst' {
  return format === 'channels_first' ? 'channelsFirst' : 'channelsLast';
}

/** Keras's `conv_output_length`: the size of one spatial dimension after a window slides over it. */
export function windowOutput(size: number, window: number, stride: number, padding: 'valid' | 'same'): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - window) / stride) + 1;
}

/**
 * Splits an input into its spatial dimensions and channels, checking its rank.
 * Shared by convolutions and poolings.
 */
export function spatialOf(
  type: string,
  input: SampleShape,
  rank: Rank,
  channelsFirst: boolean,
  path: string,
): { spatial: number[]; channels: number } {
  expectRank(type, input, rank + 2, layoutOf(rank, channelsFirst), path);
  const channels = (channelsFirst ? input[0] : input.at(-1)) as number;
  const spatial = channelsFirst ? input.slice(1) : input.slice(0, -1);
  return { spatial, channels };
}

export function withChannels(spatial: number[], channels: number, channelsFirst: boolean): SampleShape {
  return channelsFirst ? [channels, ...spatial] : [...spatial, channels];
}

/** Output sizes of a sliding window, refusing a window that does not fit its input. */
export function slide(
  type: string,
  input: SampleShape,
  spatial: number[],
  window: number[],
  strides: number[],
  padding: 'valid' | 'same',
  windowName: string,
  path: string,
): number[] {
  const out = spatial.map((size, i) => windowOutput(size, window[i] as number, strides[i] as number, padding));
  if (out.some((size) => size < 1)) {
    throw ValidationError.at(
      joinPath(path, windowName),
      `${type} ${windowName} ${formatTuple(window)} is larger than its input ${formatTuple(spatial)} ` +
        `(input ${formatKerasShape(input)}, padding "valid")`,
    );
  }
  return out;
}

function convSchema<T extends string>(type: T, rank: Rank) {
  return z.strictObject({
    type: z.literal(type),
    ...baseKeys,
    filters: PositiveInt,
    kernel_size: intOrTuple(rank),
    strides: intOrTuple(rank).default(ones(rank)),
    padding: PaddingSchema,
    data_format: dataFormatSchema(rank),
    dilation_rate: intOrTuple(rank)
      .default(ones(rank))
      .refine((rate) => toTuple(rate, rank).every((d) => d === 1), {
        message: 'dilation_rate other than 1 is not supported: TensorFlow.js has no gradient for dilated convolutions',
      }),
    groups: z.literal(1, { error: 'grouped convolutions (groups > 1) are not supported by TensorFlow.js' }).default(1),
    ...kernelBiasKeys,
  });
}

const FACTORIES = { 1: tf.layers.conv1d, 2: tf.layers.conv2d, 3: tf.layers.conv3d } as const;

function convolution<T extends string>(type: T, rank: Rank) {
  return defineLayer({
    schema: convSchema(type, rank),
    infer: (config, inputs, path) => {
      const input = only(inputs);
      const channelsFirst = config.data_format === 'channels_first';
      const { spatial, channels } = spatialOf(type, input, rank, channelsFirst, path);
      const kernel = toTuple(config.kernel_size, rank);
      const out = slide(type, input, spatial, kernel, toTuple(config.strides, rank), config.padding, 'kernel_size', path);
      return {
        shape: withChannels(out, config.filters, channelsFirst),
        params: product(kernel) * channels * config.filters + (config.use_bias ? config.filters : 0),
      };
    },
    create: (config, base) =>
      FACTORIES[rank]({
        ...base,
        filters: config.filters,
        kernelSize: toTuple(config.kernel_size, rank),
        strides: toTuple(config.strides, rank),
        padding: config.padding,
        dataFormat: tfDataFormat(config.data_format),
        ...tfKernelBias(config),
      }),
  });
}

export const Conv1D = convolution('Conv1D', 1);
export const Conv2D = convolution('Conv2D', 2);
export const Conv3D = convolution('Conv3D', 3);
