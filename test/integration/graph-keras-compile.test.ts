import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { canLower, lowerModel } from '../../src/graph/index.js';
import { GraphSession, tensor } from '../../src/graph/session.js';
import { threadsFor } from '../../src/graph/session-config.js';
import { metricKey, parseModelDefinition, planModel } from '../../src/models/index.js';
import { selectBackend } from '../../src/tf/backend.js';
import { assertClose } from '../support/graph.js';
import { eagerSteps, readFixture } from '../support/keras-fixture.js';

// Keras 3 itself (scripts/make-keras-compile-fixtures.py) trained these with the optimizers, losses and metrics
// that test/integration/graph-keras.test.ts does not cover (adagrad, adadelta, adamax; the hinge losses, cosine
// similarity, poisson; the regression and crossentropy metrics), from fixed initial weights, one whole-data
// batch per step. The graph engine reproduces each step's loss and metrics within 1e-5 + 1e-4 relative, and the
// weights after the last step within 1e-5 + 1e-3 relative. The eager engine's Adadelta and Adamax (the service's
// own, with Keras 3's rules: src/models/compile/keras-optimizers.ts) reproduce them as closely.
interface Weight {
  layer: string;
  weight: string;
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  definition: unknown;
  x: { shape: number[]; data: number[] };
  y: { shape: number[]; data: number[] };
  initial_weights: Weight[];
  losses: number[];
  metrics: Record<string, number[]>;
  final_weights: Weight[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/graph/keras-compile-steps.json', import.meta.url), 'utf8')) as { cases: Case[] };

function byName(weights: Weight[], layer: string, name: string): Weight {
  const weight = weights.find((w) => w.layer === layer && w.weight === name);
  assert.ok(weight, `the fixture has no ${layer}/${name}`);
  return weight;
}

describe("the graph engine reproduces Keras's first steps with every optimizer, loss and metric", () => {
  for (const c of fixture.cases) {
    it(c.name, async () => {
      const definition = parseModelDefinition(c.definition);
      assert.deepEqual(canLower(definition), { ok: true });
      const plan = planModel(definition, { maxParams: 1e6, maxLayers: 10 });
      assert.ok(plan && definition.compile);
      const lowered = lowerModel(plan, definition.compile, c.y.shape.slice(1));
      // The history keys are Keras's: the names the metrics were given.
      assert.deepEqual(lowered.logKeys, ['loss', ...Object.keys(c.metrics).map(metricKey)]);
      const session = new GraphSession(lowered, threadsFor(lowered.convolution));
      try {
        await session.loadWeights(lowered.store.weights.map((w) => Float32Array.from(byName(c.initial_weights, w.layer, w.weight).data)));
        const x = tensor(Float32Array.from(c.x.data), c.x.shape);
        const y = tensor(Float32Array.from(c.y.data), c.y.shape);
        const logs: number[][] = lowered.logKeys.map(() => []);
        for (let step = 1; step <= c.losses.length; step++) {
          const values = await session.run(
            [[lowered.x, x], [lowered.y, y], [lowered.iteration, tensor(Float32Array.of(step), [])]],
            lowered.trainFetches,
            [lowered.trainStep],
          );
          values.forEach((value, i) => logs[i]?.push(value.data[0] as number));
        }
        const expected = [c.losses, ...Object.values(c.metrics)];
        lowered.logKeys.forEach((key, i) => assertClose(logs[i] as number[], expected[i] as number[], 1e-5, 1e-4, key));
        const final = await session.fetchWeights();
        lowered.store.weights.forEach((w, i) => {
          assertClose(final[i] as Float32Array, byName(c.final_weights, w.layer, w.weight).data, 1e-5, 1e-3, `${w.layer}/${w.weight}`);
        });
      } finally {
        session.close();
      }
    });
  }
});

describe("the eager engine reproduces Keras's first steps with adadelta and adamax", () => {
  before(async () => {
    await selectBackend('tensorflow');
  });

  for (const c of readFixture('keras-compile-steps.json').filter((c) => ['dense/adadelta', 'dense/adamax'].includes(c.name))) {
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
