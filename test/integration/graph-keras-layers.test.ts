import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/tf/backend.js';
import { assertClose } from '../support/graph.js';
import { eagerSteps, graphSteps, readFixture, type FixtureCase, type StepsResult } from '../support/keras-fixture.js';

// Keras 3 itself (scripts/make-keras-layer-fixtures.py) trained small models with LSTM (returning sequences or
// not, going backwards), GRU (reset_after=False), Embedding and Conv3D with the 3D poolings, with sgd with
// momentum and with adam, from fixed initial weights, one whole-data batch per step. Both engines reproduce
// each step's loss and metrics within 1e-5 + 1e-4 relative, and the weights after the last step within
// 1e-5 + 1e-3 relative.

const cases = readFixture('keras-layer-steps.json');

before(async () => {
  await selectBackend('tensorflow');
});

function assertKeras(result: StepsResult, c: FixtureCase): void {
  assert.deepEqual(Object.keys(result.history).sort(), ['loss', ...Object.keys(c.metrics)].sort());
  assertClose(result.history.loss as number[], c.losses, 1e-5, 1e-4, 'loss');
  for (const [key, values] of Object.entries(c.metrics)) assertClose(result.history[key] as number[], values, 1e-5, 1e-4, key);
  assert.deepEqual([...result.weights.keys()].sort(), c.final_weights.map((w) => `${w.layer}/${w.weight}`).sort());
  for (const w of c.final_weights) assertClose(result.weights.get(`${w.layer}/${w.weight}`) as Float32Array, w.data, 1e-5, 1e-3, `${w.layer}/${w.weight}`);
}

describe("the graph engine reproduces Keras's first steps with LSTM, GRU, Embedding and Conv3D", () => {
  for (const c of cases) it(c.name, async () => assertKeras(await graphSteps(c), c));
});

describe("the eager engine reproduces Keras's first steps with LSTM, GRU, Embedding and Conv3D", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const before = tf.memory().numTensors;
      assertKeras(await eagerSteps(c), c);
      assert.equal(tf.memory().numTensors, before, 'training leaves no tensor behind');
    });
  }
});
