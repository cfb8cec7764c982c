import { z } from 'zod';
import { ValidationError } from '../../errors.js';

/** A per-sample shape with every size known: Keras's shape without the batch dimension. */
export type SampleShape = number[];

const POSITIVE_INT = 'must be a positive integer';
export const PositiveInt = z
  .number({ error: POSITIVE_INT })
  .int({ error: POSITIVE_INT })
  .positive({ error: POSITIVE_INT })
  .max(Number.MAX_SAFE_INTEGER);

export const SampleShapeSchema = z
  .array(PositiveInt, { error: 'a shape is a list of positive integers (None dimensions are not supported)' })
  .min(1)
  .max(8);

/** Keras's `None` batch dimension followed by the sample's dimensions. */
export const BatchShapeSchema = z
  .tuple([z.null({ error: 'a fixed batch size is not supported: the batch dimension must be null' })], PositiveInt)
  .refine((shape) => shape.length >= 2, { message: 'a batch shape needs the batch dimension and at least one more' });

/** `(None, 28, 28, 1)`: shapes as Keras prints them. */
export function formatKerasShape(shape: readonly (number | null)[]): string {
  return `(${['None', ...shape.map((d) => (d === null ? 'None' : String(d)))].join(', ')})`;
}

export function formatTuple(values: readonly number[]): string {
  return values.length === 1 ? `(${values[0]},)` : `(${values.join(', ')})`;
}

export function product(values: readonly number[]): number {
  return values.reduce((a, b) => a * b, 1);
}

/** An int or a tuple of `n` ints, as Keras's `kernel_size`, `strides`, `pool_size` are. */
export function intOrTuple(n: number) {
  return z.union([PositiveInt, z.array(PositiveInt).length(n)], {
    error: `expected a positive integer or a list of ${n} positive integers`,
  });
}

export function toTuple(value: number | readonly number[], n: number): number[] {
  return typeof value === 'number' ? Array.from({ length: n }, () => value) : [...value];
}

export function ones(n: number): number[] {
  return Array.from({ length: n }, () => 1);
}

/** Throws the error a user sees when an input has the wrong rank. */
export function expectRank(type: string, input: SampleShape, rank: number, layout: string, path: string): void {
  if (input.length + 1 !== rank) {
    throw ValidationError.at(path, `${type} expects input of rank ${rank} ${layout}, found ${formatKerasShape(input)}`);
  }
}

export function only(inputs: SampleShape[]): SampleShape {
  const [input] = inputs;
  if (!input || inputs.length !== 1) throw new Error('a single-input layer got a list of inputs');
  return input;
}

/**
 * A Keras axis (counted with the batch dimension, negative from the end) as an
 * index into the per-sample shape; the batch axis is refused.
 */
export function sampleAxis(axis: number, rank: number, path: string, type: string): number {
  const full = axis < 0 ? rank + 1 + axis : axis;
  if (full === 0) throw ValidationError.at(path, `${type} cannot work along the batch axis (axis ${axis})`);
  if (full < 0 || full > rank) {
    throw ValidationError.at(path, `axis ${axis} is out of range for input of rank ${rank + 1}`);
  }
  return full - 1;
}
