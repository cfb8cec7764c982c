import type * as tf from '@tensorflow/tfjs';

export interface LayerSummary {
  name: string;
  /** The Keras class name. */
  type: string;
  /** With Keras's `None` batch dimension first: `[null, 10]`. */
  output_shape: (number | null)[];
  params: number;
}

/** The numbers Keras's `model.summary()` prints. */
export interface ModelSummary {
  layers: LayerSummary[];
  total_params: number;
  trainable_params: number;
  non_trainable_params: number;
  input_shape: (number | null)[];
  output_shape: (number | null)[];
}

/**
 * The summary of a built model. A tfjs Sequential model's `layers` leave out
 * its InputLayer and a functional model's include them, as Keras's do.
 */
export function summarize(model: tf.LayersModel): ModelSummary {
  const layers = model.layers.map((layer) => ({
    name: layer.name,
    type: layer.getClassName(),
    output_shape: [...(layer.outputShape as (number | null)[])],
    params: layer.countParams(),
  }));
  const total = layers.reduce((sum, layer) => sum + layer.params, 0);
  const trainable = model.trainableWeights.reduce((sum, weight) => sum + sizeOf(weight.shape), 0);
  return {
    layers,
    total_params: total,
    trainable_params: trainable,
    non_trainable_params: total - trainable,
    input_shape: [...(model.inputs[0]?.shape ?? [])],
    output_shape: [...(model.outputs[0]?.shape ?? [])],
  };
}

function sizeOf(shape: readonly (number | null)[]): number {
  return shape.reduce<number>((size, d) => size * (d ?? 0), 1);
}
