import { ValidationError } from '../../errors.js';
import type { ModelDefinition } from '../definition/schema.js';
import { formatKerasShape, type SampleShape } from '../layers/shape.js';
import { graphOf } from './graph.js';
import type { ModelGraph } from './types.js';

/**
 * The per-sample input shape a definition declares: null when it leaves it
 * to the data (a sequential model without `input_shape`, as Keras allows).
 */
export function inputShapeOf(def: ModelDefinition): number[] | null {
  return graphOf(def).input.shape;
}

/** The data's shape where it is given, checked against the declared one; else the declared one. */
export function resolveInputShape(graph: ModelGraph, given: number[] | undefined): SampleShape | null {
  const declared = graph.input.shape;
  if (!given) return declared;
  if (given.length === 0 || given.some((d) => !Number.isInteger(d) || d < 1)) {
    throw ValidationError.at(graph.input.path, `the data's per-sample shape ${formatKerasShape(given)} is not a valid input shape`);
  }
  if (declared && (declared.length !== given.length || declared.some((d, i) => d !== given[i]))) {
    throw ValidationError.at(
      graph.input.path,
      `the model expects input of shape ${formatKerasShape(declared)}, found data of shape ${formatKerasShape(given)}`,
    );
  }
  return [...given];
}
