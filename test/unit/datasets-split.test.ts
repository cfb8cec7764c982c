import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '../../src/errors.js';
import { splitValidation } from '../../src/datasets/split.js';
import type { Dataset } from '../../src/datasets/types.js';

function rows(n: number): Dataset {
  const x = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) x.set([i, 100 + i], i * 2);
  return {
    x: { data: x, shape: [n, 2], dtype: 'float32' },
    y: { data: Int32Array.from({ length: n }, (_, i) => i), shape: [n], dtype: 'int32' },
    classNames: ['a'],
  };
}

test('validation is the last fraction of the samples, in order', () => {
  const { train, validation } = splitValidation(rows(10), 0.2);
  assert.deepEqual(train.x.shape, [8, 2]);
  assert.deepEqual(Array.from(train.y.data), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.ok(validation);
  assert.deepEqual(validation.x.shape, [2, 2]);
  assert.deepEqual(Array.from(validation.x.data), [8, 108, 9, 109]);
  assert.deepEqual(Array.from(validation.y.data), [8, 9]);
  assert.deepEqual(validation.classNames, ['a']);
});

test('both parts are views over the original buffers', () => {
  const ds = rows(10);
  const { train, validation } = splitValidation(ds, 0.5);
  assert.equal(train.x.data.buffer, ds.x.data.buffer);
  assert.equal(validation?.y.data.buffer, ds.y.data.buffer);
});

test('split_at = floor(n * (1 - fraction)), with floating-point rounding as in Keras', () => {
  const iris = splitValidation(rows(150), 0.1);
  assert.equal(iris.train.x.shape[0], 135);
  assert.equal(iris.validation?.x.shape[0], 15);
  // 10 * (1 - 0.8) is 1.9999999999999996 in float64: Keras keeps 1 training sample, not 2.
  const odd = splitValidation(rows(10), 0.8);
  assert.equal(odd.train.x.shape[0], 1);
  assert.equal(odd.validation?.x.shape[0], 9);
  assert.equal(splitValidation(rows(7), 0.33).train.x.shape[0], 4);
});

test('fraction 0 means no validation set', () => {
  const ds = rows(4);
  const { train, validation } = splitValidation(ds, 0);
  assert.equal(train, ds);
  assert.equal(validation, null);
});

test('fractions outside [0, 1) and splits leaving a part empty are 400s', () => {
  for (const bad of [1, 1.5, -0.1, NaN, Infinity]) {
    assert.throws(() => splitValidation(rows(10), bad), (e: unknown) => {
      assert.ok(e instanceof ValidationError);
      assert.equal(e.details[0]?.path, 'fit.validation_split');
      assert.match(e.message, /expected a number in \[0, 1\)/);
      return true;
    });
  }
  // 5 * (1 - 0.8) floors to 0 training samples; 1 - 1e-20 rounds to 1, leaving no validation samples.
  for (const [n, fraction] of [
    [5, 0.8],
    [3, 1e-20],
    [1, 0.5],
  ] as const) {
    assert.throws(
      () => splitValidation(rows(n), fraction, 'job.fit.validation_split'),
      (e: unknown) =>
        e instanceof ValidationError &&
        e.details[0]?.path === 'job.fit.validation_split' &&
        e.message.includes(`the data has ${n} samples, too few to split`),
    );
  }
});
