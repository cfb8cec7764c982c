import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { metricKey } from '../../src/models/index.js';
import { selectBackend } from '../../src/tf/backend.js';
import { assertClose } from '../support/graph.js';
import { assertFinalWeights, eagerSteps, graphSteps, readFixture } from '../support/keras-fixture.js';

// Keras 3 itself (scripts/make-keras-compile-fixtures.py) trained these with the optimizers, losses and metrics
// that test/integration/graph-keras.test.ts does not cover (adagrad, adadelta, adamax; the hinge losses, cosine
// similarity, poisson; the regression and crossentropy metrics), from fixed initial weights, one whole-data
// batch per step. The graph engine reproduces each step's loss and metrics within 1e-5 + 1e-4 relative, and the
// weights after the last step within 1e-5 + 1e-3 relative. The eager engine's Adadelta and Adamax (the service's
// own, with Keras 3's rules: src/models/compile/keras-optimizers.ts) reproduce them as closely.
const cases = readFixture('keras-compile-steps.json');

describe("the graph engine reproduces Keras's first steps with every optimizer, loss and metric", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const graph = await graphSteps(c);
      // The history keys are Keras's: the names the metrics were given.
      assert.deepEqual(Object.keys(graph.history), ['loss', ...Object.keys(c.metrics).map(metricKey)]);
      const expected = [c.losses, ...Object.values(c.metrics)];
      Object.entries(graph.history).forEach(([key, values], i) => assertClose(values, expected[i] as number[], 1e-5, 1e-4, key));
      assertFinalWeights(graph, c);
    });
  }
});

describe("the eager engine reproduces Keras's first steps with adadelta and adamax", () => {
  before(async () => {
    await selectBackend('tensorflow');
  });

  for (const c of cases.filter((c) => ['dense/adadelta', 'dense/adamax'].includes(c.name))) {
    it(c.name, async () => {
      const tensorsBefore = tf.memory().numTensors;
      const eager = await eagerSteps(c);
      assertClose(eager.history.loss as number[], c.losses, 1e-5, 1e-4, 'loss');
      for (const [key, values] of Object.entries(c.metrics)) assertClose(eager.history[key] as number[], values, 1e-5, 1e-4, key);
      for (const w of c.final_weights) assertClose(eager.weights.get(`${w.layer}/${w.weight}`) as Float32Array, w.data, 1e-5, 1e-3, `${w.layer}/${w.weight}`);
      assert.equal(tf.memory().numTensors, tensorsBefore, 'training leaves no tensor behind');
    });
  }
});
