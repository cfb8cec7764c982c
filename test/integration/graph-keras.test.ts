import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { canLower, lowerModel } from '../../src/graph/index.js';
import { GraphSession, tensor } from '../../src/graph/session.js';
import { threadsFor } from '../../src/graph/session-config.js';
import { parseModelDefinition, planModel } from '../../src/models/index.js';
import { selectBackend } from '../../src/tf/backend.js';
import { assertClose } from '../support/graph.js';
import { eagerSteps, type FixtureCase } from '../support/keras-fixture.js';

// Keras 3 itself (scripts/make-keras-graph-fixtures.py) trained these (BatchNormalization's moving statistics
// included) from fixed initial weights, one
// whole-data batch per step: both engines reproduce each step's loss within 1e-5 + 1e-4 relative,
// and the weights after the last step within 1e-5 + 1e-3 relative.
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
  accuracy: number[];
  final_weights: Weight[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/graph/keras-steps.json', import.meta.url), 'utf8')) as { cases: Case[] };

function byName(weights: Weight[], layer: string, name: string): Weight {
  const weight = weights.find((w) => w.layer === layer && w.weight === name);
  assert.ok(weight, `the fixture has no ${layer}/${name}`);
  return weight;
}

describe("the graph engine reproduces Keras's first training steps", () => {
  for (const c of fixture.cases) {
    it(c.name, async () => {
      const definition = parseModelDefinition(c.definition);
      assert.deepEqual(canLower(definition), { ok: true });
      const plan = planModel(definition, { maxParams: 1e6, maxLayers: 10 });
      assert.ok(plan && definition.compile);
      const lowered = lowerModel(plan, definition.compile, c.y.shape.slice(1));
      const session = new GraphSession(lowered, threadsFor(lowered.convolution));
      try {
        await session.loadWeights(lowered.store.weights.map((w) => Float32Array.from(byName(c.initial_weights, w.layer, w.weight).data)));
        const x = tensor(Float32Array.from(c.x.data), c.x.shape);
        const y = tensor(Float32Array.from(c.y.data), c.y.shape);
        const losses: number[] = [];
        const accuracy: number[] = [];
        for (let step = 1; step <= c.losses.length; step++) {
          const [loss, acc] = await session.run(
            [[lowered.x, x], [lowered.y, y], [lowered.iteration, tensor(Float32Array.of(step), [])]],
            lowered.trainFetches,
            [lowered.trainStep],
          );
          losses.push(loss?.data[0] as number);
          accuracy.push(acc?.data[0] as number);
        }
        assertClose(losses, c.losses, 1e-5, 1e-4, 'losses');
        assertClose(accuracy, c.accuracy, 1e-6, 0, 'accuracy');
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

describe("the eager engine reproduces Keras's first training steps", () => {
  before(async () => {
    await selectBackend('tensorflow');
  });

  for (const c of fixture.cases) {
    it(c.name, async () => {
      const tensorsBefore = tf.memory().numTensors;
      const eager = await eagerSteps({ ...c, metrics: { accuracy: c.accuracy } } satisfies FixtureCase);
      assertClose(eager.history.loss as number[], c.losses, 1e-5, 1e-4, 'losses');
      assertClose(eager.history.accuracy as number[], c.accuracy, 1e-6, 0, 'accuracy');
      for (const w of c.final_weights) assertClose(eager.weights.get(`${w.layer}/${w.weight}`) as Float32Array, w.data, 1e-5, 1e-3, `${w.layer}/${w.weight}`);
      assert.equal(tf.memory().numTensors, tensorsBefore, 'training leaves no tensor behind');
    });
  }
});
