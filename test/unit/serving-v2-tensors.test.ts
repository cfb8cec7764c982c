import assert from 'node:assert/strict';
import { test } from 'node:test';
import { v2InputToArray } from '../../src/serving/v2-tensors.js';

const input = (datatype: string, shape: number[], data: unknown[]) => ({ name: 'input', datatype, shape, data });

test('flat and nested data fill the same row-major elements, any batch size and any None dimension', () => {
  const flat = v2InputToArray(input('FP64', [2, 3], [1, 2, 3, 4, 5, 6]), [3], 'inputs[0]');
  const nested = v2InputToArray(input('INT64', [2, 3], [[1, 2, 3], [4, 5, 6]]), [3], 'inputs[0]');
  assert.deepEqual([...flat.data], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(nested, flat);
  assert.deepEqual(v2InputToArray(input('UINT8', [1, 2, 2], [0, 255, 7, 9]), [null, 2], 'in').shape, [1, 2, 2]);
  assert.deepEqual([...v2InputToArray(input('BOOL', [1, 2], [true, false]), [2], 'in').data], [1, 0]);
});

test('each datatype takes its own values only, and the error names the element', () => {
  // Accepted at the ends of its range, then rounded to the float32 the model takes.
  assert.deepEqual([...v2InputToArray(input('INT32', [1, 2], [-(2 ** 31), 2 ** 31 - 1]), [2], 'in').data], [-(2 ** 31), Math.fround(2 ** 31 - 1)]);
  const refused: [string, unknown, RegExp][] = [
    ['INT32', 2 ** 31, /element 1: expected an integer from -2147483648 to 2147483647 for INT32, found 2147483648/],
    ['UINT8', -1, /element 1: expected an integer from 0 to 255/],
    ['INT64', 1.5, /expected an integer for INT64, found 1.5/],
    ['BOOL', 1, /expected true or false for BOOL, found 1/],
    ['FP32', '1', /expected a number for FP32, found "1"/],
    ['FP32', null, /expected a number for FP32, found null/],
  ];
  for (const [datatype, bad, message] of refused) {
    const good = datatype === 'BOOL' ? true : 0;
    assert.throws(() => v2InputToArray(input(datatype, [1, 2], [good, bad]), [2], 'in'), message, datatype);
  }
  assert.throws(() => v2InputToArray(input('BYTES', [1, 2], ['a', 'b']), [2], 'in'), /in.datatype: unsupported datatype BYTES/);
});

test('the shape must fit the model and hold the data', () => {
  assert.throws(() => v2InputToArray(input('FP32', [2], [1, 2]), [2], 'in'), /in.shape: expected shape \[-1, 2\], found \[2\]/);
  assert.throws(() => v2InputToArray(input('FP32', [0, 2], []), [2], 'in'), /expected at least one element/);
  assert.throws(() => v2InputToArray(input('FP32', [2, 2], [1, 2, 3]), [2], 'in'), /shape \[2, 2\] holds 4 elements, found 3/);
  assert.throws(() => v2InputToArray(input('FP32', [1, 2], [[1, 2], [3]]), [2], 'in'), /holds 2 elements, found 3/);
});
