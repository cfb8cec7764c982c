import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendName } from '../../src/tf/backend.js';

test('the TensorFlow.js backend loads, and is the one CI requires', async (t) => {
  const info = await selectBackend(process.env.TF_BACKEND as BackendName | undefined);
  t.diagnostic(`backend ${info.name}, TensorFlow ${info.tensorflowVersion ?? 'n/a'}, tfjs ${info.tfjsVersion}`);
  assert.equal(tf.getBackend(), info.name);
  const required = process.env.MODELYARD_REQUIRE_BACKEND;
  if (required) {
    assert.equal(info.name, required, `backend ${info.name} is not the required ${required} (fallbacks: ${info.fallbacks.join('; ')})`);
  }
  if (info.name === 'tensorflow') assert.match(info.tensorflowVersion ?? '', /^\d+\.\d+/);
  const sum = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).arraySync());
  assert.deepEqual(sum, [4, 6]);
});

test('selectBackend chooses once per process', async () => {
  const first = await selectBackend();
  const second = await selectBackend('cpu');
  assert.equal(second, first);
});
