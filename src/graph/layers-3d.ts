import type { Output } from './addon.js';
import { FLOAT, INT32, arg, refuseChannelsFirst, tuple, withBias, type LayerArgs, type LayerContext, type LayerLowering, type RegularizerSpec, type Shape } from './layer-lowering.js';

const NDHWC = { kind: 'string', value: 'NDHWC' } as const;
const ones5 = { kind: 'ints', value: [1, 1, 1, 1, 1] } as const;

/**
 * Conv3D. The C API has no gradient for it, so its backward is spliced in:
 * Conv3DBackpropInputV2 and Conv3DBackpropFilterV2 with the forward's attributes.
 */
export const CONV3D: LayerLowering = {
  convolution: true,
  refuse: refuseChannelsFirst,
  lower: (ctx, config, [x]) => {
    const { b } = ctx;
    const input = x as Output;
    const size = tuple(config.kernel_size, 3);
    const filters = arg<number>(config, 'filters');
    const channels = (ctx.inputShapes[0] as Shape).at(-1) as number;
    const kernelShape = [...size, channels, filters];
    const kernel = ctx.weight('kernel', kernelShape, { regularizer: arg<RegularizerSpec>(config, 'kernel_regularizer') });
    const attrs = {
      strides: { kind: 'ints', value: [1, ...tuple(config.strides, 3), 1] },
      padding: { kind: 'string', value: arg<string>(config, 'padding').toUpperCase() },
      data_format: NDHWC,
      dilations: ones5,
    } as const;
    const out = b.f('Conv3D', [input, kernel], attrs);
    const spliced = ctx.splice(out, [
      {
        value: input,
        gradient: (dy) =>
          b.f('Conv3DBackpropInputV2', [b.op('Shape', [input], { T: FLOAT, out_type: INT32 }), kernel, dy], { ...attrs, Tshape: INT32 }),
      },
      { value: kernel, gradient: (dy) => b.f('Conv3DBackpropFilterV2', [input, b.ints(kernelShape), dy], attrs) },
    ]);
    return withBias(ctx, config, spliced, filters);
  },
};

/** A 3D pooling; the C API differentiates MaxPool3D and AvgPool3D itself. */
function pool3d(type: 'MaxPool3D' | 'AvgPool3D'): LayerLowering {
  return {
    refuse: refuseChannelsFirst,
    lower: (ctx: LayerContext, config: LayerArgs, [x]: Output[]) => ({
      out: ctx.b.f(type, [x as Output], {
        ksize: { kind: 'ints', value: [1, ...tuple(config.pool_size, 3), 1] },
        strides: { kind: 'ints', value: [1, ...tuple(config.strides ?? config.pool_size, 3), 1] },
        padding: { kind: 'string', value: arg<string>(config, 'padding').toUpperCase() },
        data_format: NDHWC,
      }),
    }),
  };
}

export const MAX_POOLING_3D = pool3d('MaxPool3D');
export const AVERAGE_POOLING_3D = pool3d('AvgPool3D');
