import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { zipSync } from 'fflate';
import { encodeNpy } from '../../src/datasets/npy.js';
import { datasetFromArrays, readNpzDataset, type StoredArrays } from '../../src/datasets/npz.js';
import type { NDArray } from '../../src/datasets/types.js';
import { PayloadTooLargeError, ValidationError } from '../../src/errors.js';

function fixture(name: string): Uint8Array {
  return readFileSync(new URL(`../fixtures/numpy/${name}`, import.meta.url));
}

/** `bytes` arriving in chunks of `size`, as an upload's file does. */
async function* inChunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

function readNpz(bytes: Uint8Array, path = '', maxBytes = 1 << 30, chunk = 7): Promise<StoredArrays> {
  return readNpzDataset(inChunks(bytes, chunk), path, maxBytes);
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

async function refusesRead(read: Promise<unknown>, path: string, message: RegExp): Promise<void> {
  await assert.rejects(read, (error: unknown) => {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    assert.equal(error.status, 400);
    assert.equal(error.details[0]?.path, path);
    assert.match(error.message, message);
    return true;
  });
}

const f32 = (values: number[], shape: number[]): NDArray => ({ data: Float32Array.from(values), shape, dtype: 'float32' });
const i32 = (values: number[], shape: number[]): NDArray => ({ data: Int32Array.from(values), shape, dtype: 'int32' });

test('np.savez and np.savez_compressed archives read, in chunks of any size, into the arrays numpy saved and their stored .npy files', async () => {
  for (const name of ['savez.npz', 'savez-compressed.npz']) {
    for (const chunk of [1, 5, 64, 1 << 16]) {
      const { dataset, npy } = await readNpz(fixture(name), 'file', 1 << 30, chunk);
      assert.deepEqual(Array.from(dataset.x.data), [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4], name);
      assert.deepEqual(dataset.x.shape, [4, 2]);
      assert.equal(dataset.x.dtype, 'float32');
      // numpy's default int64 labels narrow to int32.
      assert.deepEqual(Array.from(dataset.y.data), [0, 1, 1, 0], name);
      assert.equal(dataset.y.dtype, 'int32');
      assert.equal(dataset.classNames, undefined);
      assert.deepEqual(npy.x, encodeNpy(dataset.x), `${name}: x.npy is the array as np.save writes it`);
      assert.deepEqual(npy.y, encodeNpy(dataset.y), `${name}: y.npy is the array as np.save writes it`);
    }
  }
});

test('datasetFromArrays pairs x and y, dtypes as saved', () => {

  const images = datasetFromArrays({ x: { data: new Uint8Array(2 * 4), shape: [2, 2, 2], dtype: 'uint8' }, y: i32([1, 0], [2]), extra: f32([1], [1]) });
  assert.equal(images.x.dtype, 'uint8');
  assert.deepEqual(Object.keys(images), ['x', 'y']);
});

test('an archive without x or y names the missing array and lists what it holds', async () => {
  await refusesRead(readNpz(fixture('keras-style.npz'), 'file'), 'file.x', /^file\.x: missing: a dataset needs arrays named x and y .*; found x_train, y_train$/);
  refuses(() => datasetFromArrays({ x: f32([1, 2], [2]) }), 'y', /^y: missing: .*found x$/);
});

test('row counts must agree and there must be a row', () => {
  refuses(() => datasetFromArrays({ x: f32([1, 2, 3], [3]), y: i32([0, 1], [2]) }), 'y', /expected as many samples as x \(3\), found 2 \(shape \[2\]\)/);
  refuses(() => datasetFromArrays({ x: f32([], [0, 4]), y: i32([], [0]) }, 'd'), 'd.x', /no rows: expected at least one sample, found shape \[0, 4\]/);
  refuses(() => datasetFromArrays({ x: f32([1], []), y: i32([0], [1]) }), 'x', /found a scalar/);
});

test('arrays in an archive are named by their key in errors', async () => {
  const zip = zipSync({ 'x.npy': fixture('fortran.npy'), 'y.npy': fixture('int32.npy') });
  await refusesRead(readNpz(zip, 'upload'), 'upload.x', /^upload\.x: Fortran-order arrays are not supported/);
  const nan = zipSync({ 'x.npy': fixture('float32-nan.npy'), 'y.npy': fixture('int32.npy') }, { level: 6 });
  await refusesRead(readNpz(nan), 'x', /^x: expected finite numbers, found NaN at flat index 4/);
});

test('members other than x.npy and y.npy are read past; an archive with no .npy is refused', async () => {
  const zip = zipSync(
    {
      'notes/extra.npy': fixture('object.npy'),
      'x.npy': encodeNpy(f32([1], [1])),
      'y.npy': encodeNpy(i32([2], [1])),
      '__MACOSX/._x.npy.txt': new Uint8Array(3),
      'README': new Uint8Array(1),
    },
    { level: 6 },
  );
  const { dataset } = await readNpz(zip);
  assert.deepEqual(Array.from(dataset.x.data), [1]);
  assert.deepEqual(Array.from(dataset.y.data), [2]);
  await refusesRead(readNpz(zipSync({ 'notes.txt': new Uint8Array(2) })), '', /holds no \.npy arrays/);
  await refusesRead(readNpz(zipSync({})), '', /holds no \.npy arrays/);
});

test('a file that is not a zip is refused as such', async () => {
  await refusesRead(readNpz(fixture('float32.npy')), '', /^not an \.npz \(zip\) file/);
  await refusesRead(readNpz(new Uint8Array(0), 'body'), 'body', /not an \.npz \(zip\) file/);
  // Starts like a zip but is cut short.
  await refusesRead(readNpz(fixture('savez.npz').subarray(0, 200)), '', /not an \.npz \(zip\) file/);
  // A deflated member whose data is not deflate.
  const garbled = zipSync({ 'x.npy': encodeNpy(f32(Array.from({ length: 256 }, (_, i) => i), [256])) }, { level: 6 });
  garbled.fill(0xff, 60, 120);
  await assert.rejects(readNpz(garbled), (error: unknown) => error instanceof ValidationError && error.status === 400);
});

test('maxBytes bounds the declared size of the arrays together, before anything is inflated into them', async () => {
  const x = encodeNpy({ data: new Uint8Array(100_000), shape: [100_000], dtype: 'uint8' });
  const y = encodeNpy({ data: new Uint8Array(100_000), shape: [100_000], dtype: 'uint8' });
  const big = zipSync({ 'x.npy': x, 'y.npy': y }, { level: 9 });
  assert.ok(big.length < 2000);
  await assert.rejects(readNpz(big, '', 150_000), PayloadTooLargeError);
  assert.equal((await readNpz(big, '', 200_000)).dataset.x.data.length, 100_000);
});

test('a member that holds more data than its header declares is refused, so nothing expands past its declared size', async () => {
  const header = encodeNpy(f32([1, 2], [2]));
  const padded = new Uint8Array(header.length + 4096);
  padded.set(header);
  const zip = zipSync({ 'x.npy': padded, 'y.npy': encodeNpy(i32([0, 1], [2])) }, { level: 9 });
  await refusesRead(readNpz(zip), 'x', /shape \(2\) of float32 needs 8 bytes of data, found 4104/);
});
