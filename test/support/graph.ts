import assert from 'node:assert/strict';
import type { Dataset } from '../../src/datasets/types.js';
import { seededRandom } from '../../src/seeded-random.js';

export function floats(shape: number[], seed: number, low = -1, high = 1): Float32Array {
  const next = seededRandom(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => low + (high - low) * next());
}

/** A dataset of `n` samples of `xShape`, labels from `label(row, features)`. */
export function dataset(n: number, xShape: number[], yShape: number[], label: (x: Float32Array) => number[], seed = 1): Dataset {
  const x = floats([n, ...xShape], seed);
  const size = xShape.reduce((a, b) => a * b, 1);
  const y = new Float32Array(n * yShape.reduce((a, b) => a * b, 1));
  const width = y.length / n;
  for (let i = 0; i < n; i++) y.set(label(x.subarray(i * size, (i + 1) * size)).slice(0, width), i * width);
  return { x: { data: x, shape: [n, ...xShape], dtype: 'float32' }, y: { data: y, shape: [n, ...yShape], dtype: 'float32' } };
}

/** Asserts |actual − expected| ≤ atol + rtol·|expected| element by element. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: lengths differ`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs((actual[i] as number) - (expected[i] as number)) - (atol + rtol * Math.abs(expected[i] as number));
    if (excess > worst) {
      worst = excess;
      at = i;
    }
  }
  assert.ok(at < 0, `${what}: element ${at} is ${actual[at]}, expected ${expected[at]} (atol ${atol}, rtol ${rtol})`);
}

/** A seeded Keras initializer, so that the eager and graph engines start from the same weights. */
export function seeded(seed: number, className = 'GlorotUniform') {
  return { class_name: className, config: { seed } };
}
