import assert from 'node:assert/strict';
import { test } from 'node:test';
import { transformX } from '../../src/datasets/preprocessing.js';
import type { NDArray } from '../../src/datasets/types.js';
import { argmaxRows, predictionsJson } from '../../src/serving/predictions.js';
import { preparePreprocessing } from '../../src/serving/preprocess.js';

test('predictions are written as the nested JSON of their shape, as JSON.stringify writes the rows', () => {
  const data = Float32Array.from([0.1, 0.2, 0.7, 1e-8, -3.5, 2]);
  const rows = [[...data.subarray(0, 3)], [...data.subarray(3, 6)]];
  assert.equal(predictionsJson(data, [2, 3]), JSON.stringify(rows));
  assert.deepEqual(JSON.parse(predictionsJson(data, [1, 2, 3])), [[rows[0], rows[1]]]);
  assert.equal(predictionsJson(Float32Array.from([NaN, Infinity]), [2, 1]), '[[null],[null]]');
});

test("each row's class is its largest output, or a single output's side of 0.5", () => {
  assert.deepEqual(argmaxRows(Float32Array.from([0.1, 0.7, 0.2, 0.5, 0.4, 0.1, 0.2, 0.3, 0.5]), 3), [1, 0, 2]);
  assert.deepEqual(argmaxRows(Float32Array.from([0.2, 0.5, 0.9]), 3), [0, 1, 1]);
});

test('prepared preprocessing computes what transformX does, on the input it is given', () => {
  const fresh = (): NDArray => ({ data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [3, 2], dtype: 'float32' });
  const states = [{}, { rescale: { scale: 1 / 255, offset: -1 } }, { standardize: { mean: [3, 4], std: [2, 0.5] }, rescale: { scale: 2, offset: 1 } }];
  for (const state of states) {
    const x = fresh();
    assert.deepEqual([...preparePreprocessing(state)(x, 'x').data], [...transformX(state, fresh()).data], JSON.stringify(state));
  }
  assert.throws(() => preparePreprocessing({ standardize: { mean: [0, 0, 0], std: [1, 1, 1] } })(fresh(), 'instances'), /instances: expected 3 values per sample, as in training, found 2/);
});
