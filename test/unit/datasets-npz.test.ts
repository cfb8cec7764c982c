import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { zipSync } from 'fflate';
import { encodeNpy } from '../../src/datasets/npy.js';
import { datasetFromArrays, decodeNpz } from '../../src/datasets/npz.js';
import type { NDArray } from '../../src/datasets/types.js';
import { PayloadTooLargeError, ValidationError } from '../../src/errors.js';

function fixture(name: string): Uint8Array {
  return readFileSync(new URL(`../fixtures/numpy/${name}`, import.meta.url));
}

function refuses(fn: () => unknown, path: string, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    assert.equal(error.status, 400);
    assert.equal(error.details[0]?.path, path);
    assert.match(error.message, message);
    return true;
  });
}

const f32 = (values: number[], shape: number[]): NDArray => ({ data: Float32Array.from(values), shape, dtype: 'float32' });
const i32 = (values: number[], shape: number[]): NDArray => ({ data: Int32Array.from(values), shape, dtype: 'int32' });

test('np.savez and np.savez_compressed archives decode to the arrays numpy saved', () => {
  for (const name of ['savez.npz', 'savez-compressed.npz']) {
    const arrays = decodeNpz(fixture(name));
    assert.deepEqual(Object.keys(arrays).sort(), ['x', 'y'], name);
    assert.deepEqual(arrays.x, f32([0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4], [4, 2]), name);
    // numpy's default int64 labels narrow to int32.
    assert.deepEqual(arrays.y, i32([0, 1, 1, 0], [4]), name);
  }
});

test('datasetFromArrays pairs x and y, dtypes as saved', () => {
  const ds = datasetFromArrays(decodeNpz(fixture('savez-compressed.npz')), 'file');
  assert.deepEqual(ds.x.shape, [4, 2]);
  assert.equal(ds.x.dtype, 'float32');
  assert.deepEqual(Array.from(ds.y.data), [0, 1, 1, 0]);
  assert.equal(ds.classNames, undefined);

  const images = datasetFromArrays({ x: { data: new Uint8Array(2 * 4), shape: [2, 2, 2], dtype: 'uint8' }, y: i32([1, 0], [2]), extra: f32([1], [1]) });
  assert.equal(images.x.dtype, 'uint8');
  assert.deepEqual(Object.keys(images), ['x', 'y']);
});

test('an archive without x or y names the missing array and lists what it holds', () => {
  const keras = decodeNpz(fixture('keras-style.npz'));
  assert.deepEqual(Object.keys(keras).sort(), ['x_train', 'y_train']);
  assert.deepEqual(keras.x_train?.shape, [2, 28, 28]);
  refuses(() => datasetFromArrays(keras, 'file'), 'file.x', /^file\.x: missing: a dataset needs arrays named x and y .*; found x_train, y_train$/);
  refuses(() => datasetFromArrays({ x: f32([1, 2], [2]) }), 'y', /^y: missing: .*found x$/);
});

test('row counts must agree and there must be a row', () => {
  refuses(() => datasetFromArrays({ x: f32([1, 2, 3], [3]), y: i32([0, 1], [2]) }), 'y', /expected as many samples as x \(3\), found 2 \(shape \[2\]\)/);
  refuses(() => datasetFromArrays({ x: f32([], [0, 4]), y: i32([], [0]) }, 'd'), 'd.x', /no rows: expected at least one sample, found shape \[0, 4\]/);
  refuses(() => datasetFromArrays({ x: f32([1], []), y: i32([0], [1]) }), 'x', /found a scalar/);
});

test('arrays in an archive are named by their key in errors', () => {
  const zip = zipSync({ 'x.npy': fixture('fortran.npy'), 'y.npy': fixture('int32.npy') });
  refuses(() => decodeNpz(zip, { path: 'upload' }), 'upload.x', /^upload\.x: Fortran-order arrays are not supported/);
  const nan = zipSync({ 'x.npy': fixture('float32-nan.npy') }, { level: 6 });
  refuses(() => decodeNpz(nan), 'x', /^x: expected finite numbers, found NaN at flat index 4/);
});

test('members other than .npy files are skipped; an archive with none is refused', () => {
  const zip = zipSync({ 'x.npy': encodeNpy(f32([1], [1])), 'y.npy': encodeNpy(i32([2], [1])), '__MACOSX/._x.npy.txt': new Uint8Array(3), 'README': new Uint8Array(1) });
  assert.deepEqual(Object.keys(decodeNpz(zip)).sort(), ['x', 'y']);
  refuses(() => decodeNpz(zipSync({ 'notes.txt': new Uint8Array(2) })), '', /holds no \.npy arrays/);
  refuses(() => decodeNpz(zipSync({})), '', /holds no \.npy arrays/);
});

test('a file that is not a zip is refused as such', () => {
  refuses(() => decodeNpz(fixture('float32.npy')), '', /^not an \.npz \(zip\) file/);
  refuses(() => decodeNpz(new Uint8Array(0), { path: 'body' }), 'body', /not an \.npz \(zip\) file/);
  // Starts like a zip but is cut short.
  const cut = fixture('savez.npz').subarray(0, 200);
  refuses(() => decodeNpz(cut), '', /not an \.npz \(zip\) file/);
});

test('maxBytes bounds the declared size of the arrays before they are inflated', () => {
  const big = zipSync({ 'x.npy': encodeNpy({ data: new Uint8Array(100_000), shape: [100_000], dtype: 'uint8' }) }, { level: 9 });
  assert.ok(big.length < 1000);
  assert.throws(() => decodeNpz(big, { maxBytes: 50_000 }), PayloadTooLargeError);
  assert.equal(decodeNpz(big, { maxBytes: 200_000 }).x?.data.length, 100_000);
});
