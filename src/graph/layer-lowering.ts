import type { ActivationName } from '../models/index.js';
import { activate, type Activated } from './activations.js';
import { DType, type Output } from './addon.js';
import type { GraphBuilder } from './builder.js';

export type Shape = number[];

export const FLOAT = { kind: 'type', value: DType.float32 } as const;
export const INT32 = { kind: 'type', value: DType.int32 } as const;

/** One input of a spliced op and the hand-written backward for it: d(⟨dy, output⟩)/d input. */
export interface SplicedInput {
  value: Output;
  gradient(dy: Output): Output;
}

/** What a layer's lowering may use: the builder, its weights, and the pass it is in. */
export interface LayerContext {
  b: GraphBuilder;
  /** The training pass (Dropout drops, BatchNormalization uses batch statistics) or the inference pass. */
  training: boolean;
  /** Per-sample shapes of the layer's inputs and output, as the checker inferred them. */
  inputShapes: Shape[];
  outputShape: Shape;
  /** The value of one of the layer's weights; both passes read the same variable. */
  weight(name: string, shape: Shape, options?: { trainable?: boolean; regularizer?: RegularizerSpec }): Output;
  /** An op that the training step runs (BatchNormalization's moving statistics). */
  update(op: string): void;
  /** Assigns `value` to one of the layer's weights; returns the op's name. */
  assign(name: string, value: Output): string;
  seed(): number;
  /**
   * Declares `out` the output of an op whose gradient the C API lacks or gets
   * wrong, with the backward for each input; returns what the layers after it
   * read. The training step's gradient goes through the given backward.
   */
  splice(out: Output, inputs: readonly SplicedInput[]): Output;
}

/** Why a layer does not lower: the argument (or '' for the layer itself) and the reason. */
export interface Refusal {
  argument: string;
  reason: string;
}

export interface LayerLowering {
  /** Convolutions want every core; dense layers one (see session-config.ts). */
  convolution?: boolean;
  refuse?(config: LayerArgs): Refusal | null;
  lower(ctx: LayerContext, config: LayerArgs, inputs: Output[]): Activated;
}

export type RegularizerSpec = string | { class_name: string; config: { l1?: number; l2?: number } } | null;

/** A layer's parsed arguments; each lowering reads the ones its schema defines (the catalogue parsed them). */
export type LayerArgs = Record<string, unknown> & { type: string; trainable: boolean };

export const arg = <T>(config: LayerArgs, key: string): T => config[key] as T;

export function tuple(value: unknown, n: number): number[] {
  return typeof value === 'number' ? Array.from({ length: n }, () => value) : [...(value as number[])];
}

/** Dense's and the convolutions' bias and activation. */
export function withBias(ctx: LayerContext, config: LayerArgs, x: Output, units: number): Activated {
  const { b } = ctx;
  let out = x;
  if (arg<boolean>(config, 'use_bias')) {
    const bias = ctx.weight('bias', [units], { regularizer: arg<RegularizerSpec>(config, 'bias_regularizer') });
    out = b.f('BiasAdd', [out, bias], { data_format: { kind: 'string', value: 'NHWC' } });
  }
  return activate(b, arg<ActivationName | null>(config, 'activation'), out);
}

export function refuseChannelsFirst(config: LayerArgs): Refusal | null {
  return config.data_format === 'channels_first'
    ? { argument: 'data_format', reason: 'channels_first does not lower to the graph engine yet' }
    : null;
}
