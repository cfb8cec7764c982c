import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { NDArray } from '../../src/datasets/types.js';
import { PredictBatcher } from '../../src/models/index.js';
import { selectBackend, type BackendName } from '../../src/tf/backend.js';

before(async () => {
  await selectBackend(process.env.TF_BACKEND as BackendName | undefined);
});

const rows = (values: number[][]): NDArray => ({ data: Float32Array.from(values.flat()), shape: [values.length, values[0]?.length ?? 0], dtype: 'float32' });

test('concurrent requests share one model call and each gets its own rows, as predicting alone', async () => {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [2], activation: 'softmax' })] });
  const start = tf.memory().numTensors;
  const batcher = new PredictBatcher(model);
  const requests = [rows([[1, 2]]), rows([[3, 4], [5, 6]]), rows([[-1, 0]])];
  const alone = requests.map((x) => tf.tidy(() => (model.predict(tf.tensor(x.data, x.shape)) as tf.Tensor).arraySync() as number[][]));

  const calls: number[] = [];
  const original = model.execute.bind(model);
  model.execute = (x, outputs) => {
    calls.push((x as tf.Tensor).shape[0] ?? 0);
    return original(x, outputs);
  };
  const together = await Promise.all(requests.map((x) => batcher.predict(x)));
  assert.deepEqual(calls, [4], 'one call for the four rows of three requests');
  together.forEach((got, i) => {
    assert.deepEqual(got.shape, [requests[i]?.shape[0], 3]);
    got.data.forEach((p, k) => assert.ok(Math.abs(p - (alone[i]?.[Math.floor(k / 3)]?.[k % 3] ?? NaN)) < 1e-6));
  });
  assert.equal(tf.memory().numTensors, start);
  model.dispose();
});

test('a failing call rejects every request in it, and the next call works', async () => {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
  const start = tf.memory().numTensors;
  const batcher = new PredictBatcher(model);
  const calls: number[] = [];
  const original = model.execute.bind(model);
  model.execute = (x, outputs) => {
    calls.push((x as tf.Tensor).shape[0] ?? 0);
    return original(x, outputs);
  };
  // Three features where the model takes two: one call for all three requests, and it throws.
  const bad = [rows([[1, 2, 3]]), rows([[4, 5, 6], [7, 8, 9]]), rows([[0, 0, 0]])].map((x) => batcher.predict(x));
  const settled = await Promise.allSettled(bad);
  assert.deepEqual(calls, [4], 'the three requests shared one call');
  assert.deepEqual(settled.map((s) => s.status), ['rejected', 'rejected', 'rejected']);
  const reasons = settled.map((s) => (s.status === 'rejected' ? s.reason : null));
  assert.ok(reasons[0] instanceof Error);
  assert.ok(reasons.every((reason) => reason === reasons[0]), 'each request gets the call\'s error');
  const good = await batcher.predict(rows([[1, 2]]));
  assert.deepEqual(good.shape, [1, 1]);
  assert.deepEqual(calls, [4, 1]);
  assert.equal(tf.memory().numTensors, start);
  model.dispose();
});
