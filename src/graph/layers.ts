import type { ActivationName } from '../models/index.js';
import { activate } from './activations.js';
import type { Output } from './addon.js';
import { AVERAGE_POOLING_3D, CONV3D, MAX_POOLING_3D } from './layers-3d.js';
import { EMBEDDING } from './layers-embedding.js';
import { GRU, LSTM } from './layers-recurrent.js';
import {
  FLOAT,
  INT32,
  arg,
  refuseChannelsFirst,
  tuple,
  withBias,
  type LayerArgs,
  type LayerContext,
  type LayerLowering,
  type RegularizerSpec,
  type Shape,
} from './layer-lowering.js';

export type { LayerArgs, LayerContext, LayerLowering, RegularizerSpec, Refusal } from './layer-lowering.js';

// ---------------------------------------------------------------- regularizers

/** Keras's factors: l1/l2 0.01 by name; l1_l2 by name is 0 and 0. */
export function regularizerFactors(spec: RegularizerSpec): { l1: number; l2: number } | null {
  if (spec === null || spec === undefined) return null;
  if (typeof spec === 'string') {
    if (spec === 'l1' || spec === 'L1') return { l1: 0.01, l2: 0 };
    if (spec === 'l2' || spec === 'L2') return { l1: 0, l2: 0.01 };
    return { l1: 0, l2: 0 };
  }
  return { l1: spec.config.l1 ?? 0, l2: spec.config.l2 ?? 0 };
}

// ---------------------------------------------------------------- 1D and 2D

/** A 2D pooling, or a 1D one as a 2D pooling over a height of 1. */
function pool(type: 'MaxPool' | 'AvgPool', rank: 1 | 2) {
  return {
    refuse: refuseChannelsFirst,
    lower: (ctx: LayerContext, config: LayerArgs, [x]: Output[]) => {
      const { b } = ctx;
      const size = [...(rank === 1 ? [1] : []), ...tuple(config.pool_size, rank)];
      const strides = [...(rank === 1 ? [1] : []), ...tuple(config.strides ?? config.pool_size, rank)];
      const input = rank === 1 ? b.reshape(x as Output, [-1, 1, ...(ctx.inputShapes[0] as Shape)]) : (x as Output);
      const out = b.f(type, [input], {
        ksize: { kind: 'ints', value: [1, ...size, 1] },
        strides: { kind: 'ints', value: [1, ...strides, 1] },
        padding: { kind: 'string', value: arg<string>(config, 'padding').toUpperCase() },
        data_format: { kind: 'string', value: 'NHWC' },
      });
      return { out: rank === 1 ? b.reshape(out, [-1, ...ctx.outputShape]) : out };
    },
  } satisfies LayerLowering;
}

/** A 2D convolution, or a 1D one as a 2D convolution over a height of 1 (Keras's own TF route). */
function convolution(rank: 1 | 2): LayerLowering {
  return {
    convolution: true,
    refuse: refuseChannelsFirst,
    lower: (ctx, config, [x]) => {
      const { b } = ctx;
      const input = ctx.inputShapes[0] as Shape;
      const size = tuple(config.kernel_size, rank);
      const filters = arg<number>(config, 'filters');
      const channels = input.at(-1) as number;
      const kernel = ctx.weight('kernel', [...size, channels, filters], { regularizer: arg<RegularizerSpec>(config, 'kernel_regularizer') });
      const lift = rank === 1 ? [1] : [];
      const out = b.f(
        'Conv2D',
        [rank === 1 ? b.reshape(x as Output, [-1, 1, ...input]) : (x as Output), rank === 1 ? b.reshape(kernel, [1, ...size, channels, filters]) : kernel],
        {
          strides: { kind: 'ints', value: [1, ...lift, ...tuple(config.strides, rank), 1] },
          padding: { kind: 'string', value: arg<string>(config, 'padding').toUpperCase() },
          data_format: { kind: 'string', value: 'NHWC' },
          dilations: { kind: 'ints', value: [1, 1, 1, 1] },
        },
      );
      return withBias(ctx, config, rank === 1 ? b.reshape(out, [-1, ...ctx.outputShape]) : out, filters);
    },
  };
}

function globalPool(reduce: 'mean' | 'max') {
  return {
    refuse: refuseChannelsFirst,
    lower: (ctx: LayerContext, _config: LayerArgs, [x]: Output[]) => ({ out: ctx.b[reduce](x as Output, [1, 2]) }),
  } satisfies LayerLowering;
}

// ---------------------------------------------------------------- the table

/** Layer type → its forward pass as graph ops; a type missing here does not lower. */
export const LOWERINGS: ReadonlyMap<string, LayerLowering> = new Map<string, LayerLowering>([
  ['InputLayer', { lower: (_ctx, _config, [x]) => ({ out: x as Output }) }],
  [
    'Dense',
    {
      lower: (ctx, config, [x]) => {
        const { b } = ctx;
        const input = ctx.inputShapes[0] as Shape;
        const features = input.at(-1) as number;
        const units = arg<number>(config, 'units');
        const kernel = ctx.weight('kernel', [features, units], { regularizer: arg<RegularizerSpec>(config, 'kernel_regularizer') });
        // Keras's Dense works on the last axis of any rank: flatten the leading axes around the product.
        const flat = input.length === 1 ? (x as Output) : b.reshape(x as Output, [-1, features]);
        const product_ = b.matmul(flat, kernel);
        const out = input.length === 1 ? product_ : b.reshape(product_, [-1, ...ctx.outputShape]);
        return withBias(ctx, config, out, units);
      },
    },
  ],
  ['Activation', { lower: (ctx, config, [x]) => activate(ctx.b, arg<ActivationName | null>(config, 'activation'), x as Output) }],
  [
    'Dropout',
    {
      lower: (ctx, config, [x]) => {
        const rate = arg<number>(config, 'rate');
        if (!ctx.training || rate === 0) return { out: x as Output };
        const { b } = ctx;
        // Keras (TF backend): keep where uniform ≥ rate, and scale what is kept by 1 / (1 - rate).
        const shape = b.op('Shape', [x as Output], { T: FLOAT, out_type: INT32 });
        const seed = ctx.seed();
        const uniform = b.op('RandomUniform', [shape], {
          T: INT32,
          dtype: FLOAT,
          seed: { kind: 'int', value: seed },
          seed2: { kind: 'int', value: seed + 1 },
        });
        const keep = b.compare('GreaterEqual', uniform, b.scalar(rate));
        return { out: b.mul(b.mul(x as Output, keep), b.scalar(1 / (1 - rate))) };
      },
    },
  ],
  ['Flatten', { refuse: refuseChannelsFirst, lower: (ctx, _config, [x]) => ({ out: ctx.b.reshape(x as Output, [-1, ...ctx.outputShape]) }) }],
  ['Reshape', { lower: (ctx, _config, [x]) => ({ out: ctx.b.reshape(x as Output, [-1, ...ctx.outputShape]) }) }],
  ['Embedding', EMBEDDING],
  [
    'Rescaling',
    {
      lower: (ctx, config, [x]) => {
        const { b } = ctx;
        return { out: b.add(b.mul(x as Output, b.scalar(arg<number>(config, 'scale'))), b.scalar(arg<number>(config, 'offset'))) };
      },
    },
  ],
  [
    'BatchNormalization',
    {
      lower: (ctx, config, [x]) => {
        const { b } = ctx;
        const input = ctx.inputShapes[0] as Shape;
        const channels = input.at(-1) as number;
        const gamma = ctx.weight('gamma', [channels], { regularizer: arg<RegularizerSpec>(config, 'gamma_regularizer') });
        const beta = ctx.weight('beta', [channels], { regularizer: arg<RegularizerSpec>(config, 'beta_regularizer') });
        const movingMean = ctx.weight('moving_mean', [channels], { trainable: false });
        const movingVariance = ctx.weight('moving_variance', [channels], { trainable: false });
        const epsilon = b.scalar(arg<number>(config, 'epsilon'));
        let mean = movingMean;
        let variance = movingVariance;
        if (ctx.training) {
          // Keras's moments: the batch mean and the biased batch variance over every axis but the channels.
          const axes = Array.from({ length: input.length }, (_, i) => i);
          mean = b.mean(x as Output, axes);
          variance = b.mean(b.f('SquaredDifference', [x as Output, b.stopGradient(mean)]), axes);
          const momentum = arg<number>(config, 'momentum');
          for (const [variable, value] of [
            ['moving_mean', mean],
            ['moving_variance', variance],
          ] as const) {
            ctx.update(movingAverage(ctx, variable, channels, value, momentum));
          }
        }
        const scale = b.mul(b.rsqrt(b.add(variance, epsilon)), gamma);
        return { out: b.add(b.mul(x as Output, scale), b.sub(beta, b.mul(mean, scale))) };
      },
    },
  ],
  [
    'LayerNormalization',
    {
      refuse: (config) => {
        const axis = config.axis;
        return axis === -1 || (Array.isArray(axis) && axis.length === 1 && axis[0] === -1)
          ? null
          : { argument: 'axis', reason: 'only axis -1 lowers to the graph engine yet' };
      },
      lower: (ctx, config, [x]) => {
        const { b } = ctx;
        const input = ctx.inputShapes[0] as Shape;
        const channels = input.at(-1) as number;
        const axis = input.length;
        const mean = b.mean(x as Output, [axis], true);
        const variance = b.mean(b.f('SquaredDifference', [x as Output, b.stopGradient(mean)]), [axis], true);
        let out = b.mul(b.sub(x as Output, mean), b.rsqrt(b.add(variance, b.scalar(arg<number>(config, 'epsilon')))));
        if (arg<boolean>(config, 'scale')) out = b.mul(out, ctx.weight('gamma', [channels], { regularizer: arg<RegularizerSpec>(config, 'gamma_regularizer') }));
        if (arg<boolean>(config, 'center')) out = b.add(out, ctx.weight('beta', [channels], { regularizer: arg<RegularizerSpec>(config, 'beta_regularizer') }));
        return { out };
      },
    },
  ],
  ['Conv1D', convolution(1)],
  ['Conv2D', convolution(2)],
  ['Conv3D', CONV3D],
  ['MaxPooling1D', pool('MaxPool', 1)],
  ['MaxPooling2D', pool('MaxPool', 2)],
  ['AveragePooling1D', pool('AvgPool', 1)],
  ['AveragePooling2D', pool('AvgPool', 2)],
  ['MaxPooling3D', MAX_POOLING_3D],
  ['AveragePooling3D', AVERAGE_POOLING_3D],
  ['GlobalAveragePooling2D', globalPool('mean')],
  ['GlobalMaxPooling2D', globalPool('max')],
  ['GlobalAveragePooling1D', { lower: (ctx, _config, [x]) => ({ out: ctx.b.mean(x as Output, [1]) }) }],
  ['GlobalMaxPooling1D', { lower: (ctx, _config, [x]) => ({ out: ctx.b.max(x as Output, [1]) }) }],
  ['Add', { lower: (ctx, _config, inputs) => ({ out: ctx.b.op('AddN', [inputs], { T: FLOAT, N: { kind: 'int', value: inputs.length } }) }) }],
  [
    'Concatenate',
    {
      lower: (ctx, config, inputs) => {
        const rank = ctx.outputShape.length + 1;
        const axis = arg<number>(config, 'axis');
        return {
          out: ctx.b.op('ConcatV2', [inputs, ctx.b.intScalar(axis < 0 ? rank + axis : axis)], {
            T: FLOAT,
            N: { kind: 'int', value: inputs.length },
            Tidx: INT32,
          }),
        };
      },
    },
  ],
  ['LSTM', LSTM],
  ['GRU', GRU],
]);

/** Keras's moving average: `variable ← variable·momentum + value·(1 − momentum)`. */
function movingAverage(ctx: LayerContext, name: string, channels: number, value: Output, momentum: number): string {
  const { b } = ctx;
  const current = ctx.weight(name, [channels], { trainable: false });
  return ctx.assign(name, b.add(b.mul(current, b.scalar(momentum)), b.mul(value, b.scalar(1 - momentum))));
}
