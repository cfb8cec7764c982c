import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '../../src/errors.js';
import { datasetFromInline, instancesToArray } from '../../src/datasets/inline.js';

function expectError(fn: () => unknown, path: string, message: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    assert.equal(error.status, 400);
    assert.deepEqual(error.details, [{ path, message }]);
    assert.equal(error.message, `${path}: ${message}`);
    return true;
  });
}

test('nested arrays become float32 x and int32 class labels', () => {
  const ds = datasetFromInline(
    [
      [5.1, 3.5, 1.4, 0.2],
      [6.2, 2.9, 4.3, 1.3],
      [7.7, 3.0, 6.1, 2.3],
    ],
    [0, 1, 2],
  );
  assert.deepEqual(ds.x.shape, [3, 4]);
  assert.equal(ds.x.dtype, 'float32');
  assert.ok(ds.x.data instanceof Float32Array);
  assert.equal(ds.x.data[4], Math.fround(6.2));
  assert.equal(ds.x.data[11], Math.fround(2.3));
  assert.deepEqual(ds.y.shape, [3]);
  assert.equal(ds.y.dtype, 'int32');
  assert.ok(ds.y.data instanceof Int32Array);
  assert.deepEqual(Array.from(ds.y.data), [0, 1, 2]);
});

test('y with any non-integer stays float32; nested y keeps its shape', () => {
  const reg = datasetFromInline([[1], [2]], [1.5, 2]);
  assert.equal(reg.y.dtype, 'float32');
  assert.deepEqual(Array.from(reg.y.data), [1.5, 2]);
  const big = datasetFromInline([[1], [2]], [3e9, 1]);
  assert.equal(big.y.dtype, 'float32', 'integers beyond int32 are not class indices');
  const nested = datasetFromInline([[1], [2]], [[0, 1], [1, 0]]);
  assert.deepEqual(nested.y.shape, [2, 2]);
  assert.equal(nested.y.dtype, 'int32');
});

test('images keep every axis: [n, 2, 2, 1]', () => {
  const img = [
    [[1], [2]],
    [[3], [4]],
  ];
  const ds = datasetFromInline([img, img, img], [0, 1, 0]);
  assert.deepEqual(ds.x.shape, [3, 2, 2, 1]);
  assert.deepEqual(Array.from(ds.x.data.slice(0, 4)), [1, 2, 3, 4]);
  const flat = datasetFromInline([1, 2, 3], [2, 4, 6]);
  assert.deepEqual(flat.x.shape, [3]);
});

test('ragged rows are named with their path', () => {
  expectError(
    () => datasetFromInline([[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3]], [0, 0, 0, 0]),
    'dataset.x[3]',
    'ragged: expected 4 values, found 3',
  );
  expectError(() => datasetFromInline([[1, 2], 3], [0, 1]), 'dataset.x[1]', 'ragged: expected an array of 2 values, found number 3');
  expectError(() => datasetFromInline([[[1], [2]], [[1], [2, 3]]], [0, 1]), 'dataset.x[1][1]', 'ragged: expected 1 value, found 2');
  expectError(() => datasetFromInline([1, [2]], [0, 1]), 'dataset.x[1]', 'ragged: expected a number, found an array of 1 value');
  expectError(() => datasetFromInline([[1], [2]], [0, [1]]), 'dataset.y[1]', 'ragged: expected a number, found an array of 1 value');
});

test('non-numbers and non-finite numbers are named with their path', () => {
  expectError(() => datasetFromInline([[1, '2']], [0]), 'dataset.x[0][1]', 'expected a number, found string "2"');
  expectError(() => datasetFromInline([[1, null]], [0]), 'dataset.x[0][1]', 'expected a number, found null');
  expectError(() => datasetFromInline([[1, true]], [0]), 'dataset.x[0][1]', 'expected a number, found boolean true');
  expectError(() => datasetFromInline([[1, {}]], [0]), 'dataset.x[0][1]', 'expected a number, found an object');
  expectError(() => datasetFromInline([[1, 2], [NaN, 2]], [0, 1]), 'dataset.x[1][0]', 'expected a finite number, found NaN');
  expectError(() => datasetFromInline([[1], [2]], [0, Infinity]), 'dataset.y[1]', 'expected a finite number, found Infinity');
  expectError(() => datasetFromInline([[1], [2]], [0, -Infinity]), 'dataset.y[1]', 'expected a finite number, found -Infinity');
});

test('missing rows, empty samples and mismatched lengths', () => {
  expectError(() => datasetFromInline([], []), 'dataset.x', 'no rows: expected at least one sample');
  expectError(() => datasetFromInline([[1]], []), 'dataset.y', 'no rows: expected at least one sample');
  expectError(() => datasetFromInline({ a: 1 }, [0]), 'dataset.x', 'expected an array of samples, found an object');
  expectError(() => datasetFromInline([[1]], undefined), 'dataset.y', 'expected an array of samples, found nothing');
  expectError(() => datasetFromInline([[], []], [0, 1]), 'dataset.x[0]', 'expected a non-empty array');
  expectError(() => datasetFromInline([[1], [2], [3]], [0, 1]), 'dataset.y', 'expected as many samples as x (3), found 2');
});

test('the path prefix places errors inside a larger request', () => {
  expectError(() => datasetFromInline([[1], ['a']], [0, 1], 'evaluate'), 'evaluate.x[1][0]', 'expected a number, found string "a"');
  expectError(() => datasetFromInline([[1]], [], ''), 'y', 'no rows: expected at least one sample');
});

test('a long first row cannot make a short payload allocate for its length', () => {
  const rows: unknown[] = [new Array(1_000_000).fill(0)];
  for (let i = 0; i < 1000; i++) rows.push([0]);
  expectError(() => datasetFromInline(rows, new Array(1001).fill(0)), 'dataset.x[1]', 'ragged: expected 1000000 values, found 1');
});

test('instancesToArray checks each instance against the model input shape', () => {
  const a = instancesToArray([[5.1, 3.5, 1.4, 0.2], [6, 3, 4, 1]], [4]);
  assert.deepEqual(a.shape, [2, 4]);
  assert.equal(a.dtype, 'float32');
  assert.equal(a.data[4], 6);

  expectError(() => instancesToArray([[1, 2, 3, 4], [1, 2, 3]], [4]), 'instances[1]', 'expected each instance of shape [4], found [3]');
  expectError(() => instancesToArray([[[1, 2, 3, 4]]], [4]), 'instances[0]', 'expected each instance of shape [4], found [1, 4]');
  expectError(() => instancesToArray([5.1], [4]), 'instances[0]', 'expected each instance of shape [4], found [] (number 5.1)');
  expectError(() => instancesToArray([[1, 'x', 3, 4]], [4]), 'instances[0][1]', 'expected a number, found string "x"');
  expectError(() => instancesToArray([], [4]), 'instances', 'expected at least one instance');
  expectError(() => instancesToArray('nope', [4]), 'instances', 'expected an array of instances, found string "nope"');
  expectError(
    () => instancesToArray([[[1, 2], [3, 4]], [[1, 2], [3]]], [2, 2], 'inspect.instances'),
    'inspect.instances[1][1]',
    'ragged: expected 2 values, found 1',
  );
});

test('instancesToArray: a free (None) dimension takes its size from the first instance', () => {
  const a = instancesToArray([[[1], [2], [3]], [[4], [5], [6]]], [null, 1]);
  assert.deepEqual(a.shape, [2, 3, 1]);
  expectError(() => instancesToArray([[[1], [2], [3]], [[4], [5]]], [null, 1]), 'instances[1]', 'expected each instance of shape [3, 1], found [2, 1]');
  const scalars = instancesToArray([1, 2, 3], []);
  assert.deepEqual(scalars.shape, [3]);
});
