import * as tf from '@tensorflow/tfjs';
import type { NDArray } from '../datasets/types.js';

export type Nested = number | Nested[];

function toTensor(x: NDArray): tf.Tensor {
  const data = x.data instanceof Float32Array ? x.data : Float32Array.from(x.data);
  return tf.tensor(data, x.shape, 'float32');
}

function toNested(tensor: tf.Tensor): Nested[] {
  return tensor.arraySync() as Nested[];
}

const PREDICT_BATCH = 256;

export interface LayerOutput {
  name: string;
  type: string;
  output_shape: (number | null)[];
  output: Nested[];
}

/**
 * Every layer's output for `x`, in order: the seed's `predict_and_log`, done
 * as one model whose outputs are all the layers' outputs.
 */
export function inspect(model: tf.LayersModel, x: NDArray): LayerOutput[] {
  const layers = model.layers.filter((layer) => layer.getClassName() !== 'InputLayer');
  const probe = tf.model({ inputs: model.inputs, outputs: layers.map((layer) => layer.output as tf.SymbolicTensor) });
  const input = toTensor(x);
  const raw = probe.predict(input, { batchSize: PREDICT_BATCH });
  const outputs = Array.isArray(raw) ? raw : [raw];
  try {
    return layers.map((layer, i) => ({
      name: layer.name,
      type: layer.getClassName(),
      output_shape: (layer.output as tf.SymbolicTensor).shape.slice(1),
      output: toNested(outputs[i] as tf.Tensor),
    }));
  } finally {
    tf.dispose([input, ...outputs]);
  }
}

/** `model.evaluate(x, y)` with tfjs's metric names; the caller maps them to Keras's. */
export function evaluate(model: tf.LayersModel, x: NDArray, y: NDArray, batchSize = 32): Record<string, number> {
  return tf.tidy(() => {
    const result = model.evaluate(toTensor(x), toTensor(y), { batchSize });
    const scalars = Array.isArray(result) ? result : [result];
    const names = model.metricsNames;
    const out: Record<string, number> = {};
    scalars.forEach((scalar, i) => {
      out[names[i] ?? `metric_${i}`] = scalar.dataSync()[0] ?? NaN;
    });
    return out;
  });
}

export interface WeightInfo {
  name: string;
  shape: number[];
  values?: Nested[] | number[];
}

export interface LayerInfo {
  index: number;
  name: string;
  type: string;
  config: Record<string, unknown>;
  output_shape: (number | null)[] | (number | null)[][];
  params: number;
  weights: WeightInfo[];
}

/**
 * Each layer's config, output shape, parameter count and weights by Keras's
 * short names (`kernel`, `bias`, `gamma`, ...), the seed's `layer_0.kernel`.
 * `configs` gives layers their Keras-named arguments by layer name; a layer
 * without one shows tfjs's own config.
 */
export function describeLayers(model: tf.LayersModel, withValues: boolean, configs: ReadonlyMap<string, Record<string, unknown>> = new Map()): LayerInfo[] {
  return model.layers.map((layer, index) => ({
    index,
    name: layer.name,
    type: layer.getClassName(),
    config: configs.get(layer.name) ?? (layer.getConfig() as Record<string, unknown>),
    output_shape: dropBatch(layer.outputShape),
    params: layer.countParams(),
    weights: layer.weights.map((weight) => ({
      name: shortWeightName(weight.originalName ?? weight.name),
      shape: weight.shape.map((d) => d ?? 0),
      ...(withValues ? { values: tf.tidy(() => weight.read().arraySync() as Nested[] | number[]) } : {}),
    })),
  }));
}

function dropBatch(shape: tf.Shape | tf.Shape[]): (number | null)[] | (number | null)[][] {
  if (Array.isArray(shape[0])) return (shape as tf.Shape[]).map((s) => s.slice(1));
  return (shape as tf.Shape).slice(1);
}

/** `dense/kernel` (or tfjs's uniquified `dense/kernel_1`) → `kernel`. */
function shortWeightName(name: string): string {
  const last = name.split('/').at(-1) ?? name;
  return last.replace(/_\d+$/, '');
}
