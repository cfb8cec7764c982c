import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '../../src/errors.js';
import {
  PreprocessingSchema,
  PreprocessingStateSchema,
  fitPreprocessing,
  transformX,
  transformY,
} from '../../src/datasets/preprocessing.js';
import type { Dataset, NDArray } from '../../src/datasets/types.js';

function f32(rows: number[][]): NDArray {
  return { data: Float32Array.from(rows.flat()), shape: [rows.length, rows[0]?.length ?? 0], dtype: 'float32' };
}

function labels(values: number[]): NDArray {
  return { data: Int32Array.from(values), shape: [values.length], dtype: 'int32' };
}

function close(actual: ArrayLike<number>, expected: number[], tolerance = 1e-6): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs((actual[i] as number) - (expected[i] as number)) <= tolerance, `[${i}]: ${actual[i]} != ${expected[i]}`);
  }
}

// Columns: mean 4 / population variance 5; mean 4 / variance 6; constant 0.1.
const X = f32([
  [1, 2, 0.1],
  [3, 2, 0.1],
  [5, 4, 0.1],
  [7, 8, 0.1],
]);
const train: Dataset = { x: X, y: labels([0, 1, 2, 1]) };

test('standardize matches StandardScaler: per-feature mean, population std, 1 for a constant feature', () => {
  const state = fitPreprocessing({ standardize: true }, train);
  assert.ok(state.standardize);
  close(state.standardize.mean, [4, 4, 0.1], 1e-8);
  close(state.standardize.std, [Math.sqrt(5), Math.sqrt(6), 1], 1e-12);

  const out = transformX(state, X);
  assert.equal(out.dtype, 'float32');
  assert.deepEqual(out.shape, [4, 3]);
  const s5 = Math.sqrt(5);
  const s6 = Math.sqrt(6);
  close(out.data, [-3 / s5, -2 / s6, 0, -1 / s5, -2 / s6, 0, 1 / s5, 0, 0, 3 / s5, 4 / s6, 0]);
  assert.equal(X.data[0], 1, 'the input is left as it was');
  assert.notEqual(out.data.buffer, X.data.buffer);
});

test('standardize on images: every per-sample element is its own feature', () => {
  const images: NDArray = { data: Uint8Array.from([0, 10, 20, 30, 2, 10, 40, 30]), shape: [2, 2, 2], dtype: 'uint8' };
  const state = fitPreprocessing({ standardize: true }, { x: images, y: labels([0, 1]) });
  assert.deepEqual(state.standardize?.mean, [1, 10, 30, 30]);
  assert.deepEqual(state.standardize?.std, [1, 1, 10, 1]);
  const out = transformX(state, images);
  assert.deepEqual(out.shape, [2, 2, 2]);
  assert.deepEqual(Array.from(out.data), [-1, 0, -1, 0, 1, 0, 1, 0]);
});

test('rescale is x * scale + offset, as Keras Rescaling', () => {
  const pixels: NDArray = { data: Uint8Array.from([0, 255, 51]), shape: [3, 1], dtype: 'uint8' };
  const unit = fitPreprocessing(PreprocessingSchema.parse({ rescale: { scale: 1 / 255 } }), { x: pixels, y: labels([0, 0, 0]) });
  assert.deepEqual(unit, { rescale: { scale: 1 / 255, offset: 0 } });
  close(transformX(unit, pixels).data, [0, 1, 0.2]);
  const signed = fitPreprocessing({ rescale: { scale: 1 / 127.5, offset: -1 } }, { x: pixels, y: labels([0, 0, 0]) });
  close(transformX(signed, pixels).data, [-1, 1, -0.6]);
});

test('rescale comes first; standardize is fitted on the rescaled values', () => {
  const x: NDArray = { data: Uint8Array.from([0, 255, 0, 255]), shape: [4, 1], dtype: 'uint8' };
  const state = fitPreprocessing({ rescale: { scale: 1 / 255, offset: 0 }, standardize: true }, { x, y: labels([0, 0, 0, 0]) });
  close(state.standardize?.mean ?? [], [0.5], 1e-12);
  close(state.standardize?.std ?? [], [0.5], 1e-12);
  assert.deepEqual(Array.from(transformX(state, x).data), [-1, 1, -1, 1]);
});

test('no preprocessing still yields a float32 copy', () => {
  const state = fitPreprocessing(undefined, train);
  assert.deepEqual(state, {});
  const bytes: NDArray = { data: Uint8Array.from([1, 2]), shape: [2], dtype: 'uint8' };
  const out = transformX(state, bytes);
  assert.ok(out.data instanceof Float32Array);
  assert.deepEqual(Array.from(out.data), [1, 2]);
});

test('one_hot: class count from the argument, else class names, else the largest label + 1', () => {
  const y = labels([0, 2, 1]);
  const ds: Dataset = { x: f32([[0], [0], [0]]), y };
  assert.deepEqual(fitPreprocessing({ one_hot: true }, ds).one_hot, { num_classes: 3 });
  assert.deepEqual(fitPreprocessing({ one_hot: true }, { ...ds, classNames: ['a', 'b', 'c', 'd'] }).one_hot, { num_classes: 4 });
  assert.deepEqual(fitPreprocessing({ one_hot: true }, ds, 5).one_hot, { num_classes: 5 });

  const state = fitPreprocessing({ one_hot: true }, ds);
  const out = transformY(state, y);
  assert.equal(out.dtype, 'float32');
  assert.deepEqual(out.shape, [3, 3]);
  assert.deepEqual(Array.from(out.data), [1, 0, 0, 0, 0, 1, 0, 1, 0]);
  const column: NDArray = { data: Float32Array.from([1, 0]), shape: [2, 1], dtype: 'float32' };
  assert.deepEqual(Array.from(transformY(state, column).data), [0, 1, 0, 1, 0, 0]);
});

test('one_hot rejects what is not a class index, naming the sample', () => {
  const x = f32([[0], [0]]);
  const expectError = (fn: () => unknown, path: string, message: RegExp): void => {
    assert.throws(fn, (e: unknown) => e instanceof ValidationError && e.details[0]?.path === path && message.test(e.message));
  };
  const fractional: NDArray = { data: Float32Array.from([0, 0.5]), shape: [2], dtype: 'float32' };
  expectError(() => fitPreprocessing({ one_hot: true }, { x, y: fractional }), 'y[1]', /class index, a non-negative integer, found 0.5/);
  expectError(() => fitPreprocessing({ one_hot: true }, { x, y: labels([0, -1]) }), 'y[1]', /found -1/);
  expectError(() => fitPreprocessing({ one_hot: true }, { x, y: labels([0, 3]) }, 3), 'y[1]', /an integer in \[0, 3\), found 3/);
  const state = { one_hot: { num_classes: 2 } };
  expectError(() => transformY(state, labels([1, 2]), 'evaluate.y'), 'evaluate.y[1]', /\[0, 2\), found 2/);
  const already: NDArray = { data: Float32Array.from([1, 0, 0, 1]), shape: [2, 2], dtype: 'float32' };
  expectError(() => transformY(state, already), 'y', /shape \[n\] or \[n, 1\], found \[2, 2\]/);
});

test('transformY without one_hot returns y itself', () => {
  const y = labels([1]);
  assert.equal(transformY({ standardize: { mean: [0], std: [1] } }, y), y);
});

test('transformX refuses samples of another size than training', () => {
  const state = fitPreprocessing({ standardize: true }, train);
  assert.throws(
    () => transformX(state, f32([[1, 2]]), 'instances'),
    (e: unknown) =>
      e instanceof ValidationError && e.message === 'instances: expected 3 values per sample, as in training, found 2',
  );
});

test('the state is plain JSON and its schema reads it back', () => {
  const state = fitPreprocessing({ standardize: true, rescale: { scale: 0.5, offset: 1 }, one_hot: true }, train);
  const stored = JSON.parse(JSON.stringify(state)) as unknown;
  assert.deepEqual(PreprocessingStateSchema.parse(stored), state);
  assert.deepEqual(Array.from(transformX(PreprocessingStateSchema.parse(stored), X).data), Array.from(transformX(state, X).data));
});

test('the spec schema: offset defaults to 0, unknown keys are refused', () => {
  assert.deepEqual(PreprocessingSchema.parse({ rescale: { scale: 2 } }), { rescale: { scale: 2, offset: 0 } });
  assert.equal(PreprocessingSchema.safeParse({ standardise: true }).success, false);
  assert.equal(PreprocessingSchema.safeParse({ rescale: { scale: 2, shift: 1 } }).success, false);
  assert.equal(PreprocessingSchema.safeParse({ rescale: { scale: Infinity } }).success, false);
});
