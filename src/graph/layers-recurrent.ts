import type { ActivationName } from '../models/index.js';
import { activate } from './activations.js';
import type { Output } from './addon.js';
import type { GraphBuilder } from './builder.js';
import { FLOAT, INT32, arg, type LayerArgs, type LayerContext, type LayerLowering, type RegularizerSpec, type Shape } from './layer-lowering.js';

/**
 * LSTM and GRU unrolled over the (static) sequence length: a while loop's
 * gradient aborts the process through the C API, an unrolled one is plain
 * MatMul, Split and activations. The equations and the weight layout are
 * tfjs's (and Keras's): kernel [features, gates·units], recurrent_kernel
 * [units, gates·units], bias [gates·units], gates i, f, c, o for LSTM and
 * z, r, h for GRU (reset_after=false, the only form the catalogue accepts).
 * The state starts at zero, so the first step leaves out the recurrent terms.
 */

interface Cell {
  /** The next state from the step's projected input (bias included) and the state before it, null at the first step. */
  step(b: GraphBuilder, projected: Output, state: State | null): State;
}

interface State {
  h: Output;
  /** The recurrent input to the next step: `h`, or `h` through the recurrent dropout mask. */
  hIn?: Output;
  c?: Output;
}

function split(b: GraphBuilder, value: Output, parts: number): Output[] {
  const [op] = b.f('Split', [b.intScalar(1), value], { num_split: { kind: 'int', value: parts } });
  return Array.from({ length: parts }, (_, i): Output => [op, i]);
}

function lstmCell(ctx: LayerContext, config: LayerArgs, recurrentKernel: Output): Cell {
  const act = (x: Output) => activate(ctx.b, arg<ActivationName>(config, 'activation'), x).out;
  const recAct = (x: Output) => activate(ctx.b, arg<ActivationName>(config, 'recurrent_activation'), x).out;
  return {
    step: (b, projected, state) => {
      const z = state ? b.add(projected, b.matmul(state.hIn ?? state.h, recurrentKernel)) : projected;
      const [zi, zf, zc, zo] = split(b, z, 4) as [Output, Output, Output, Output];
      const candidate = b.mul(recAct(zi), act(zc));
      const c = state?.c ? b.add(b.mul(recAct(zf), state.c), candidate) : candidate;
      return { h: b.mul(recAct(zo), act(c)), c };
    },
  };
}

function gruCell(ctx: LayerContext, config: LayerArgs, recurrentKernel: Output): Cell {
  const act = (x: Output) => activate(ctx.b, arg<ActivationName>(config, 'activation'), x).out;
  const recAct = (x: Output) => activate(ctx.b, arg<ActivationName>(config, 'recurrent_activation'), x).out;
  const { b } = ctx;
  const units = arg<number>(config, 'units');
  // tfjs's split of the recurrent kernel: the z and r blocks together, then the h block.
  const [splitOp] = b.f('SplitV', [recurrentKernel, b.ints([2 * units, units]), b.intScalar(1)], {
    Tlen: INT32,
    num_split: { kind: 'int', value: 2 },
  });
  const zr: Output = [splitOp, 0];
  const hBlock: Output = [splitOp, 1];
  return {
    step: (b, projected, state) => {
      const [xz, xr, xh] = split(b, projected, 3) as [Output, Output, Output];
      if (!state) {
        const z = recAct(xz);
        return { h: b.mul(b.sub(b.scalar(1), z), act(xh)) };
      }
      const h = state.hIn ?? state.h;
      const [rz, rr] = split(b, b.matmul(h, zr), 2) as [Output, Output];
      const z = recAct(b.add(xz, rz));
      const r = recAct(b.add(xr, rr));
      const candidate = act(b.add(xh, b.matmul(b.mul(r, h), hBlock)));
      return { h: b.add(b.mul(z, h), b.mul(b.sub(b.scalar(1), z), candidate)) };
    },
  };
}

/** Keras's dropout mask for `shape`: 1 / (1 − rate) where a uniform draw is ≥ rate, else 0. */
function dropoutMask(ctx: LayerContext, shape: Output, rate: number): Output {
  const { b } = ctx;
  const seed = ctx.seed();
  const uniform = b.op('RandomUniform', [shape], { T: INT32, dtype: FLOAT, seed: { kind: 'int', value: seed }, seed2: { kind: 'int', value: seed + 1 } });
  return b.mul(b.compare('GreaterEqual', uniform, b.scalar(rate)), b.scalar(1 / (1 - rate)));
}

function recurrent(makeCell: (ctx: LayerContext, config: LayerArgs, recurrentKernel: Output) => Cell, gates: number): LayerLowering {
  return {
    lower: (ctx, config, [x]) => {
      const { b } = ctx;
      const [steps, features] = ctx.inputShapes[0] as Shape as [number, number];
      const units = arg<number>(config, 'units');
      const width = gates * units;
      const kernel = ctx.weight('kernel', [features, width], { regularizer: arg<RegularizerSpec>(config, 'kernel_regularizer') });
      const recurrentKernel = ctx.weight('recurrent_kernel', [units, width], { regularizer: arg<RegularizerSpec>(config, 'recurrent_regularizer') });
      const cell = makeCell(ctx, config, recurrentKernel);

      // One mask per sequence, the same at every step (Keras and tfjs alike), in the training pass only.
      const dropout = ctx.training ? arg<number>(config, 'dropout') : 0;
      const recurrentDropout = ctx.training ? arg<number>(config, 'recurrent_dropout') : 0;
      let input = x as Output;
      if (dropout > 0) {
        const shape = b.op('Shape', [input], { T: FLOAT, out_type: INT32 });
        // [batch, 1, features]: Shape · [1, 0, 1] + [0, 1, 0].
        const perSequence = b.op('AddV2', [b.op('Mul', [shape, b.ints([1, 0, 1])], { T: INT32 }), b.ints([0, 1, 0])], { T: INT32 });
        input = b.mul(input, dropoutMask(ctx, perSequence, dropout));
      }

      // Every step's input projection in one product: [batch·steps, features] × kernel.
      let projected = b.reshape(b.matmul(b.reshape(input, [-1, features]), kernel), [-1, steps, width]);
      if (arg<boolean>(config, 'use_bias')) {
        const bias = ctx.weight('bias', [width], { regularizer: arg<RegularizerSpec>(config, 'bias_regularizer') });
        projected = b.f('BiasAdd', [projected, bias], { data_format: { kind: 'string', value: 'NHWC' } });
      }
      const [unpack] = b.f('Unpack', [projected], { num: { kind: 'int', value: steps }, axis: { kind: 'int', value: 1 } });
      const order = Array.from({ length: steps }, (_, t) => (arg<boolean>(config, 'go_backwards') ? steps - 1 - t : t));

      let state: State | null = null;
      let recurrentMask: Output | null = null;
      const outputs: Output[] = [];
      for (const t of order) {
        state = b.scoped(`step_${t}`, () => cell.step(b, [unpack, t], state));
        if (recurrentDropout > 0) {
          recurrentMask ??= dropoutMask(ctx, b.op('Shape', [state.h], { T: FLOAT, out_type: INT32 }), recurrentDropout);
          state = { ...state, hIn: b.mul(state.h, recurrentMask) };
        }
        outputs.push(state.h);
      }
      if (!arg<boolean>(config, 'return_sequences')) return { out: outputs.at(-1) as Output };
      // In the order the steps ran, as Keras and tfjs return a go_backwards sequence.
      return { out: b.op('Pack', [outputs], { T: FLOAT, N: { kind: 'int', value: steps }, axis: { kind: 'int', value: 1 } }) };
    },
  };
}

export const LSTM = recurrent(lstmCell, 4);
export const GRU = recurrent(gruCell, 3);
