import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/tf/backend.js';
import { assertClose } from '../support/graph.js';
import { assertFinalWeights, eagerSteps, graphSteps, readFixture } from '../support/keras-fixture.js';

// Keras 3 itself (scripts/make-keras-graph-fixtures.py) trained these (BatchNormalization's moving statistics
// included) from fixed initial weights, one
// whole-data batch per step: both engines reproduce each step's loss within 1e-5 + 1e-4 relative,
// and the weights after the last step within 1e-5 + 1e-3 relative.
const cases = readFixture('keras-steps.json');

describe("the graph engine reproduces Keras's first training steps", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const graph = await graphSteps(c);
      assertClose(graph.history.loss as number[], c.losses, 1e-5, 1e-4, 'losses');
      assertClose(graph.history.accuracy as number[], c.metrics.accuracy as number[], 1e-6, 0, 'accuracy');
      assertFinalWeights(graph, c);
    });
  }
});

describe("the eager engine reproduces Keras's first training steps", () => {
  before(async () => {
    await selectBackend('tensorflow');
  });

  for (const c of cases) {
    it(c.name, async () => {
      const tensorsBefore = tf.memory().numTensors;
      const eager = await eagerSteps(c);
      assertClose(eager.history.loss as number[], c.losses, 1e-5, 1e-4, 'losses');
      assertClose(eager.history.accuracy as number[], c.metrics.accuracy as number[], 1e-6, 0, 'accuracy');
      for (const w of c.final_weights) assertClose(eager.weights.get(`${w.layer}/${w.weight}`) as Float32Array, w.data, 1e-5, 1e-3, `${w.layer}/${w.weight}`);
      assert.equal(tf.memory().numTensors, tensorsBefore, 'training leaves no tensor behind');
    });
  }
});
