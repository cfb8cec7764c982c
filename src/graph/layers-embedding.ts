import { DType, type Output } from './addon.js';
import { FLOAT, INT32, arg, type LayerLowering, type RegularizerSpec } from './layer-lowering.js';

/**
 * Embedding as GatherV2 on the value read from the variable: the C API's
 * GatherV2 gradient is dense (an UnsortedSegmentSum of the rows by index),
 * where ResourceGather on the handle has none. Indices are cast to int32, as
 * Keras and tfjs cast them.
 */
export const EMBEDDING: LayerLowering = {
  refuse: (config) =>
    config.mask_zero === true
      ? { argument: 'mask_zero', reason: 'the mask that the layers after an Embedding would read does not lower to the graph engine yet' }
      : null,
  lower: (ctx, config, [x]) => {
    const { b } = ctx;
    const embeddings = ctx.weight('embeddings', [arg<number>(config, 'input_dim'), arg<number>(config, 'output_dim')], {
      regularizer: arg<RegularizerSpec>(config, 'embeddings_regularizer'),
    });
    const indices = b.cast(x as Output, DType.int32);
    return {
      out: b.op('GatherV2', [embeddings, indices, b.intScalar(0)], {
        Tparams: FLOAT,
        Tindices: INT32,
        Taxis: INT32,
        batch_dims: { kind: 'int', value: 0 },
      }),
    };
  },
};
