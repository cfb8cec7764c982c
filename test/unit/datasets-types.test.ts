import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  elementCount,
  formatShape,
  gatherDataset,
  gatherRows,
  rowCount,
  sampleShape,
  sampleSize,
  sliceDataset,
  sliceRows,
  type NDArray,
} from '../../src/datasets/types.js';

function grid(): NDArray {
  // 4 samples of shape [2, 3]; element value = 10 * row + position
  const data = new Int32Array(24);
  for (let r = 0; r < 4; r++) for (let k = 0; k < 6; k++) data[r * 6 + k] = 10 * r + k;
  return { data, shape: [4, 2, 3], dtype: 'int32' };
}

test('shape helpers', () => {
  const a = grid();
  assert.equal(elementCount([4, 2, 3]), 24);
  assert.equal(elementCount([]), 1);
  assert.equal(rowCount(a), 4);
  assert.deepEqual(sampleShape(a), [2, 3]);
  assert.equal(sampleSize(a), 6);
  assert.equal(formatShape([null, 28, 28]), '[None, 28, 28]');
});

test('sliceRows is a view over [start, end)', () => {
  const a = grid();
  const s = sliceRows(a, 1, 3);
  assert.deepEqual(s.shape, [2, 2, 3]);
  assert.equal(s.dtype, 'int32');
  assert.deepEqual(Array.from(s.data.slice(0, 2)), [10, 11]);
  assert.equal(s.data[11], 25);
  assert.equal(s.data.buffer, a.data.buffer);
  s.data[0] = -1;
  assert.equal(a.data[6], -1);
  assert.deepEqual(sliceRows(a, 3, 99).shape, [1, 2, 3]);
  assert.deepEqual(sliceRows(a, 3, 1).shape, [0, 2, 3]);
});

test('gatherRows copies the rows in the given order', () => {
  const a = grid();
  const g = gatherRows(a, [3, 0, 3]);
  assert.deepEqual(g.shape, [3, 2, 3]);
  assert.deepEqual(Array.from(g.data.slice(0, 6)), [30, 31, 32, 33, 34, 35]);
  assert.deepEqual(Array.from(g.data.slice(6, 12)), [0, 1, 2, 3, 4, 5]);
  assert.notEqual(g.data.buffer, a.data.buffer);
  assert.ok(g.data instanceof Int32Array);
  assert.throws(() => gatherRows(a, [4]), RangeError);
  assert.throws(() => gatherRows(a, [1.5]), RangeError);
});

test('sliceDataset and gatherDataset keep x and y aligned and carry the names', () => {
  const ds = {
    x: grid(),
    y: { data: new Int32Array([0, 1, 2, 1]), shape: [4], dtype: 'int32' as const },
    classNames: ['a', 'b', 'c'],
  };
  const s = sliceDataset(ds, 2, 4);
  assert.deepEqual(Array.from(s.y.data), [2, 1]);
  assert.equal(s.x.data[0], 20);
  assert.deepEqual(s.classNames, ['a', 'b', 'c']);
  assert.equal(s.featureNames, undefined);
  const g = gatherDataset(ds, [1, 0]);
  assert.deepEqual(Array.from(g.y.data), [1, 0]);
  assert.equal(g.x.data[0], 10);
});
