import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadBuiltin } from '../../src/datasets/builtins.js';
import * as tf from '@tensorflow/tfjs';
import { FitSchema } from '../../src/jobs/contract.js';
import { parseModelDefinition } from '../../src/models/index.js';
import { selectBackend } from '../../src/tf/backend.js';
import { CHECKPOINT_JSON, CHECKPOINT_TENSORS, decodeCheckpoint, encodeCheckpoint, type TrainingCheckpoint } from '../../src/worker/checkpoint.js';
import { trainOnGraph } from '../../src/graph/index.js';
import { train, type TrainInput, type TrainResult } from '../../src/worker/train.js';
import { assertClose, seeded } from '../support/graph.js';

// Every optimizer's state goes through a checkpoint of either engine: Adagrad's accumulator (which starts at
// initial_accumulator_value, not 0), Adadelta's two accumulators (on the eager engine, those of the service's
// own Keras-rule Adadelta), Adamax's moment and norm with the step count of its bias correction. 2 + 2 epochs
// through the checkpoint's files end where 4 straight through end (within 1e-5 + 1e-4 relative), and a resume
// without the optimizer's state does not.
const LIMITS = { maxParams: 1_000_000, maxLayers: 50 };

before(async () => {
  await selectBackend('tensorflow');
});

const OPTIMIZERS: [string, Record<string, unknown>][] = [
  ['adagrad', { type: 'adagrad', learning_rate: 0.05, initial_accumulator_value: 0.2 }],
  ['adadelta', { type: 'adadelta', learning_rate: 1, rho: 0.9, epsilon: 1e-4 }],
  ['adamax', { type: 'adamax', learning_rate: 0.02 }],
];

function input(optimizer: Record<string, unknown>, epochs: number, extra: Partial<TrainInput> = {}): TrainInput {
  return {
    definition: parseModelDefinition({
      architecture: {
        type: 'sequential',
        layers: [
          { type: 'Dense', units: 8, activation: 'relu', kernel_initializer: seeded(1) },
          { type: 'Dense', units: 3, activation: 'softmax', kernel_initializer: seeded(2) },
        ],
      },
      compile: { optimizer, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
    }),
    dataset: loadBuiltin('iris'),
    fit: FitSchema.parse({ epochs, batch_size: 16, shuffle: false }),
    preprocessing: { standardize: true },
    limits: LIMITS,
    ...extra,
  };
}

function run(engine: 'graph' | 'eager', input: TrainInput): Promise<TrainResult> {
  return engine === 'eager' ? train(input) : trainOnGraph(input, { seed: 1 });
}

function weightsOf(result: TrainResult): Float32Array[] {
  return result.model.getWeights().map((weight) => weight.dataSync() as Float32Array);
}

function throughFiles(checkpoint: TrainingCheckpoint): TrainingCheckpoint {
  const files = encodeCheckpoint(checkpoint);
  return decodeCheckpoint({ json: files[CHECKPOINT_JSON] as Uint8Array, tensors: files[CHECKPOINT_TENSORS] as Uint8Array });
}

for (const engine of ['graph', 'eager'] as const) {
  describe(`resuming from a ${engine}-engine checkpoint restores the optimizer's state`, () => {
    for (const [name, optimizer] of OPTIMIZERS) {
      it(name, async () => {
        const tensorsBefore = tf.memory().numTensors;
        let saved: TrainingCheckpoint | undefined;
        const first = await run(engine, input(optimizer, 2, { onEpoch: (epoch) => ({ checkpoint: epoch === 1 }), onCheckpoint: (c) => void (saved = c) }));
        first.model.dispose();
        assert.ok(saved, 'the second epoch saved a checkpoint');
        const checkpoint = throughFiles(saved);
        const straight = await run(engine, input(optimizer, 4));
        const resumed = await run(engine, input(optimizer, 4, { resume: checkpoint }));
        const restarted = await run(engine, input(optimizer, 4, { resume: { ...checkpoint, optimizer: null } }));
        try {
          const expected = weightsOf(straight);
          weightsOf(resumed).forEach((actual, i) => assertClose(actual, expected[i] as Float32Array, 1e-5, 1e-4, `weight ${i}`));
          assertClose(resumed.history.loss as number[], straight.history.loss as number[], 1e-5, 1e-4, 'history loss');
          const differs = weightsOf(restarted).some((actual, i) => actual.some((value, j) => Math.abs(value - ((expected[i] as Float32Array)[j] as number)) > 1e-4));
          assert.ok(differs, `${name} restarted from its starting state takes other steps than ${name} restored`);
        } finally {
          straight.model.dispose();
          resumed.model.dispose();
          restarted.model.dispose();
        }
        assert.equal(tf.memory().numTensors, tensorsBefore, 'training, checkpointing and resuming leave no tensor behind');
      });
    }
  });
}
