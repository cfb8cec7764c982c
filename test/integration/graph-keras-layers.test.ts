import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/tf/backend.js';
import { assertClose } from '../support/graph.js';
import { eagerSteps, graphSteps, readFixture, type FixtureCase, type StepsResult } from '../support/keras-fixture.js';

// Keras 3 itself (scripts/make-keras-layer-fixtures.py) trained small models with LSTM (returning sequences or
// not, going backwards), GRU (reset_after=False), both with regularizers on every weight, Embedding and Conv3D with the 3D poolings, with sgd with
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

interface RegularizedLayer {
  name: string;
  kernel_regularizer?: Penalty;
  recurrent_regularizer?: Penalty;
  bias_regularizer?: Penalty;
}
interface Penalty {
  class_name: string;
  config: { l1?: number; l2?: number };
}

/** Keras's penalty on the fixture's initial weights: Σ l1·|w| + l2·w² over every regularized weight. */
function initialPenalty(c: FixtureCase): number {
  const layers = (c.definition as { architecture: { layers: RegularizedLayer[] } }).architecture.layers;
  let total = 0;
  for (const layer of layers) {
    for (const [weight, spec] of [['kernel', layer.kernel_regularizer], ['recurrent_kernel', layer.recurrent_regularizer], ['bias', layer.bias_regularizer]] as const) {
      const values = c.initial_weights.find((w) => w.layer === layer.name && w.weight === weight)?.data ?? [];
      for (const v of values) total += (spec?.config.l1 ?? 0) * Math.abs(v) + (spec?.config.l2 ?? 0) * v * v;
    }
  }
  return total;
}

/** The same case without any regularizer. */
function unregularized(c: FixtureCase): FixtureCase {
  const definition = structuredClone(c.definition) as { architecture: { layers: Record<string, unknown>[] } };
  for (const layer of definition.architecture.layers) for (const key of Object.keys(layer)) if (key.endsWith('_regularizer')) delete layer[key];
  return { ...c, definition };
}

describe("an LSTM's and a GRU's regularizers add Keras's penalty to the loss", () => {
  const c = cases.find((c) => c.name === 'lstm_gru_regularized/sgd_momentum') as FixtureCase;
  const penalty = initialPenalty(c);
  for (const [engine, steps] of [['graph', graphSteps], ['eager', eagerSteps]] as const) {
    it(`on the ${engine} engine`, async () => {
      assert.ok(penalty > 0.1, `the fixture's penalty ${penalty} is large enough to see`);
      const [regularized, plain] = [await steps(c), await steps(unregularized(c))];
      const first = (result: StepsResult) => result.history.loss?.[0] as number;
      assertClose([first(regularized) - first(plain)], [penalty], 1e-5, 1e-4, 'the first loss less the unregularized one');
    });
  }
});
