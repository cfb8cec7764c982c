import assert from 'node:assert/strict';
import { test } from 'node:test';
import { datasetFromCsv } from '../../src/datasets/csv.js';
import { decodeNpy } from '../../src/datasets/npy.js';
import { checksumOf, decodeDataset, describeDataset, encodeDataset } from '../../src/datasets/storage.js';
import type { Dataset } from '../../src/datasets/types.js';
import { ValidationError } from '../../src/errors.js';

const iris: Dataset = datasetFromCsv('a,b,species\n5.1,0.2,setosa\n6.3,2.5,virginica\n4.9,0.2,setosa\n', { target: ['species'] });
const images: Dataset = {
  x: { data: Uint8Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 20), shape: [3, 2, 2], dtype: 'uint8' },
  y: { data: Float32Array.from([0.5, -1e-8, 3e20, 0, 1, 2]), shape: [3, 2], dtype: 'float32' },
};
const intX: Dataset = {
  x: { data: Int32Array.from([-2147483648, 2147483647]), shape: [2], dtype: 'int32' },
  y: { data: Int32Array.from([1, 0]), shape: [2], dtype: 'int32' },
  classNames: ['no', 'yes'],
};

function total(files: Record<string, Uint8Array>): number {
  return Object.values(files).reduce((n, f) => n + f.length, 0);
}

test('a dataset is kept as x.npy, y.npy and meta.json, and comes back exactly', () => {
  for (const ds of [iris, images, intX]) {
    const files = encodeDataset(ds);
    assert.deepEqual(Object.keys(files).sort(), ['meta.json', 'x.npy', 'y.npy']);
    assert.deepEqual(decodeDataset(files), ds);
  }
  const files = encodeDataset(iris);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(files['meta.json'])), { class_names: ['setosa', 'virginica'], feature_names: ['a', 'b'] });
  // The arrays are plain .npy files: np.load reads them, as decodeNpy does.
  assert.deepEqual(decodeNpy(files['x.npy'] as Uint8Array), iris.x);
});

test('files read back as Node Buffers at any offset decode the same', () => {
  const files = encodeDataset(images);
  const shifted: Record<string, Uint8Array> = {};
  for (const [name, bytes] of Object.entries(files)) {
    const outer = Buffer.alloc(bytes.length + 1);
    outer.set(bytes, 1);
    shifted[name] = outer.subarray(1);
  }
  assert.deepEqual(decodeDataset(shifted), images);
});

test('describeDataset gives the registry record, bytes equal to the encoded files', () => {
  const d = describeDataset(iris);
  assert.deepEqual(d, {
    rows: 3,
    x_shape: [3, 2],
    y_shape: [3],
    x_dtype: 'float32',
    y_dtype: 'int32',
    class_names: ['setosa', 'virginica'],
    column_names: ['a', 'b'],
    bytes: total(encodeDataset(iris)),
  });
  const img = describeDataset(images);
  assert.equal(img.bytes, total(encodeDataset(images)));
  assert.equal(img.class_names, null);
  assert.equal(img.column_names, null);
  assert.equal(img.x_dtype, 'uint8');
  assert.deepEqual(img.y_shape, [3, 2]);
});

test('checksumOf is sha256 hex, independent of listing order, sensitive to names and boundaries', () => {
  const files = encodeDataset(iris);
  const sum = checksumOf(files);
  assert.match(sum, /^[0-9a-f]{64}$/);
  const reordered = Object.fromEntries(Object.entries(files).reverse());
  assert.equal(checksumOf(reordered), sum);
  assert.equal(checksumOf(encodeDataset(decodeDataset(files))), sum);

  assert.notEqual(checksumOf({ a: Uint8Array.from([1, 2]), b: Uint8Array.from([3]) }), checksumOf({ a: Uint8Array.from([1]), b: Uint8Array.from([2, 3]) }));
  assert.notEqual(checksumOf({ a: Uint8Array.from([1]) }), checksumOf({ b: Uint8Array.from([1]) }));
  const flipped = Uint8Array.from(files['y.npy'] as Uint8Array);
  flipped[130] = (flipped[130] as number) ^ 1;
  assert.notEqual(checksumOf({ ...files, 'y.npy': flipped }), sum);
});

test('damaged stored files are a server error naming the file, not a client 400', () => {
  const files = encodeDataset(iris);
  const cases: [Record<string, Uint8Array>, RegExp][] = [
    [{ 'y.npy': files['y.npy'] as Uint8Array, 'meta.json': files['meta.json'] as Uint8Array }, /stored dataset: x\.npy is missing/],
    [{ ...files, 'x.npy': (files['x.npy'] as Uint8Array).subarray(0, 100) }, /stored dataset: x\.npy is unreadable: x\.npy: not a valid \.npy file/],
    [{ ...files, 'y.npy': encodeDataset(intX)['y.npy'] as Uint8Array }, /stored dataset: y\.npy has 2 rows, x\.npy 3/],
    [{ ...files, 'meta.json': new TextEncoder().encode('{') }, /stored dataset: meta\.json is not JSON/],
    [{ ...files, 'meta.json': new TextEncoder().encode('{"class_names": 3, "feature_names": null}') }, /stored dataset: meta\.json is not a dataset's metadata/],
    [{ 'x.npy': files['x.npy'] as Uint8Array, 'y.npy': files['y.npy'] as Uint8Array }, /stored dataset: meta\.json is missing/],
  ];
  for (const [damaged, message] of cases) {
    assert.throws(() => decodeDataset(damaged), (e: unknown) => e instanceof Error && !(e instanceof ValidationError) && message.test(e.message));
  }
});

test('a real-size dataset round trips quickly: 10,000 MNIST-sized images', () => {
  const n = 10_000;
  const x = new Uint8Array(n * 28 * 28);
  for (let i = 0; i < x.length; i++) x[i] = (i * 7) & 255;
  const ds: Dataset = { x: { data: x, shape: [n, 28, 28], dtype: 'uint8' }, y: { data: Int32Array.from({ length: n }, (_, i) => i % 10), shape: [n], dtype: 'int32' }, classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] };
  const back = decodeDataset(encodeDataset(ds));
  assert.deepEqual(back.x.shape, [n, 28, 28]);
  assert.ok(Buffer.from(back.x.data.buffer, back.x.data.byteOffset, back.x.data.byteLength).equals(Buffer.from(x.buffer)));
  assert.deepEqual(Array.from(back.y.data.subarray(9990)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});
