import * as convolutional from './layers/convolutional.js';
import * as core from './layers/core.js';
import type { LayerEntry } from './layers/define.js';
import * as merge from './layers/merge.js';
import * as normalization from './layers/normalization.js';
import * as pooling from './layers/pooling.js';
import * as recurrent from './layers/recurrent.js';

/**
 * The layer catalogue: Keras class name → schema (Keras's arguments and
 * defaults), shape inference and parameter count, and the tfjs constructor.
 * Adding a layer is its `defineLayer` in its module under layers/ and one line
 * here, in the order the OpenAPI document lists layers.
 */
export const CATALOGUE: ReadonlyMap<string, LayerEntry> = new Map(
  [
    core.InputLayer,
    core.Dense,
    core.Activation,
    core.Dropout,
    core.Flatten,
    core.Reshape,
    core.Rescaling,
    core.Embedding,
    convolutional.Conv1D,
    convolutional.Conv2D,
    convolutional.Conv3D,
    pooling.MaxPooling1D,
    pooling.MaxPooling2D,
    pooling.MaxPooling3D,
    pooling.AveragePooling1D,
    pooling.AveragePooling2D,
    pooling.AveragePooling3D,
    pooling.GlobalAveragePooling1D,
    pooling.GlobalAveragePooling2D,
    pooling.GlobalMaxPooling1D,
    pooling.GlobalMaxPooling2D,
    normalization.BatchNormalization,
    normalization.LayerNormalization,
    merge.Concatenate,
    merge.Add,
    recurrent.LSTM,
    recurrent.GRU,
  ].map((entry) => [entry.type, entry]),
);

export const LAYER_TYPES = [...CATALOGUE.keys()];

export function entryOf(type: string): LayerEntry {
  const entry = CATALOGUE.get(type);
  if (!entry) throw new Error(`no catalogue entry for ${type}`);
  return entry;
}

/** Whether `key` is one of the layer's own arguments rather than a first-layer input shape. */
export function isOwnArgument(type: string, key: string): boolean {
  return key in entryOf(type).schema.shape;
}
