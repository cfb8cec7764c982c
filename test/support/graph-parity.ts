import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../../src/datasets/types.js';
import { canLower, trainOnGraph } from '../../src/graph/index.js';
import { parseModelDefinition } from '../../src/models/index.js';
import { FitSchema } from '../../src/jobs/contract.js';
import { train, type TrainResult } from '../../src/worker/train.js';
import { assertClose } from './graph.js';

// The graph engine against the eager one: same seeded initial weights, same batches (no shuffle, a partial
// last batch), a few epochs. Stated tolerances: every history value within 1e-4 + 1e-3 relative, every final
// weight within 1e-4 + 1e-3 relative (Adam, Adamax and RMSprop normalize tiny gradients, so their weights get 5e-4).
const LIMITS = { maxParams: 1_000_000, maxLayers: 50 };
const LOSS_TOLERANCE = { atol: 1e-4, rtol: 1e-3 };

export interface Case {
  layers?: unknown[];
  architecture?: unknown;
  input_shape?: number[];
  compile: unknown;
  data: Dataset;
  fit?: Record<string, unknown>;
  weightAtol?: number;
}

async function bothEngines(c: Case): Promise<{ eager: TrainResult; graph: TrainResult }> {
  const definition = parseModelDefinition({
    architecture: c.architecture ?? { type: 'sequential', ...(c.input_shape ? { input_shape: c.input_shape } : {}), layers: c.layers },
    compile: c.compile,
  });
  const lowers = canLower(definition);
  assert.ok(lowers.ok, lowers.ok ? '' : `${lowers.path}: ${lowers.reason}`);
  const fit = FitSchema.parse({ epochs: 3, batch_size: 7, shuffle: false, ...c.fit });
  const input = { definition, dataset: c.data, fit, limits: LIMITS };
  const eager = await train(input);
  const graph = await trainOnGraph(input, { seed: 3 });
  return { eager, graph };
}

export async function assertParity(c: Case): Promise<void> {
  const before = tf.memory().numTensors;
  const { eager, graph } = await bothEngines(c);
  try {
    assert.deepEqual(Object.keys(graph.history).sort(), Object.keys(eager.history).sort());
    for (const [key, values] of Object.entries(eager.history)) {
      assertClose(graph.history[key] as number[], values, LOSS_TOLERANCE.atol, LOSS_TOLERANCE.rtol, `history ${key}`);
    }
    assert.equal(graph.epochsRun, eager.epochsRun);
    const eagerWeights = eager.model.getWeights();
    const graphWeights = graph.model.getWeights();
    assert.equal(graphWeights.length, eagerWeights.length);
    eagerWeights.forEach((weight, i) => {
      const name = eager.model.weights[i]?.originalName ?? String(i);
      assertClose(graphWeights[i]?.dataSync() as Float32Array, weight.dataSync() as Float32Array, c.weightAtol ?? 1e-4, 1e-3, `weight ${name}`);
    });
  } finally {
    eager.model.dispose();
    graph.model.dispose();
  }
  assert.equal(tf.memory().numTensors, before, 'both engines leave no tensor behind');
}

