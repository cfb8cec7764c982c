import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadBuiltin } from '../../src/datasets/builtins.js';
import { EarlyStoppingSchema, FitSchema } from '../../src/jobs/contract.js';
import { parseModelDefinition } from '../../src/models/index.js';
import { selectBackend } from '../../src/tf/backend.js';
import { CHECKPOINT_JSON, CHECKPOINT_TENSORS, decodeCheckpoint, encodeCheckpoint, type TrainingCheckpoint } from '../../src/worker/checkpoint.js';
import { trainOn } from '../../src/worker/engine.js';
import type { TrainInput, TrainResult } from '../../src/worker/train.js';
import { assertClose, seeded } from '../support/graph.js';

const LIMITS = { maxParams: 1_000_000, maxLayers: 50 };

before(async () => {
  await selectBackend('tensorflow');
});

// Seeded initializers and no shuffle: two runs from scratch take the same steps.
const definition = parseModelDefinition({
  architecture: {
    type: 'sequential',
    layers: [
      { type: 'Dense', units: 8, activation: 'relu', kernel_initializer: seeded(1) },
      { type: 'Dense', units: 3, activation: 'softmax', kernel_initializer: seeded(2) },
    ],
  },
  compile: { optimizer: { type: 'adam', learning_rate: 0.05 }, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
});

function input(epochs: number, extra: Partial<TrainInput> = {}): TrainInput {
  return {
    definition,
    dataset: loadBuiltin('iris'),
    fit: FitSchema.parse({ epochs, batch_size: 16, shuffle: false, validation_split: 0.2 }),
    preprocessing: { standardize: true },
    // Patient enough never to stop in 4 epochs, so its state (the best loss, the best weights) goes through the checkpoint.
    earlyStopping: EarlyStoppingSchema.parse({ monitor: 'loss', patience: 100, restore_best_weights: true }),
    limits: LIMITS,
    ...extra,
  };
}

function weightsOf(result: TrainResult): Float32Array[] {
  return result.model.getWeights().map((weight) => weight.dataSync() as Float32Array);
}

for (const engine of ['eager', 'graph'] as const) {
  describe(`resuming from a checkpoint on the ${engine} engine`, () => {
    it('ends where training straight through ends: 2 + 2 epochs equal 4', async () => {
      const tensorsBefore = tf.memory().numTensors;
      const straight = await trainOn(engine, input(4), 1);
      let saved: TrainingCheckpoint | undefined;
      const first = await trainOn(
        engine,
        input(2, {
          onEpoch: (epoch) => ({ checkpoint: epoch === 1 }),
          onCheckpoint: (checkpoint) => void (saved = checkpoint),
        }),
        1,
      );
      first.model.dispose();
      assert.ok(saved, 'the second epoch saved a checkpoint');
      // Through the files a worker writes, as another worker reads them.
      const checkpoint = decodeCheckpoint(filesOf(saved));
      assert.equal(checkpoint.epoch, 2);
      assert.equal(checkpoint.engine, engine);
      assert.ok(checkpoint.optimizer && checkpoint.optimizer.length > 0, 'the optimizer state is saved');
      assert.equal(checkpoint.earlyStopping?.best, checkpoint.history.loss?.[1], 'the loss fell: its last value is the best');
      assert.equal(checkpoint.earlyStopping?.bestWeights?.length, checkpoint.weights.length);

      const epochsSeen: number[] = [];
      const resumed = await trainOn(engine, input(4, { resume: checkpoint, onEpoch: (epoch) => void epochsSeen.push(epoch) }), 1);
      try {
        assert.deepEqual(epochsSeen, [2, 3], 'training goes on at the epoch after the checkpoint');
        assert.equal(resumed.epochsRun, 4);
        assert.deepEqual(Object.keys(resumed.history), Object.keys(straight.history));
        for (const [key, values] of Object.entries(straight.history)) {
          assert.equal(resumed.history[key]?.length, 4, `${key}: each epoch once`);
          assertClose(resumed.history[key] as number[], values, 1e-5, 1e-4, `history ${key}`);
        }
        const expected = weightsOf(straight);
        weightsOf(resumed).forEach((actual, i) => assertClose(actual, expected[i] as Float32Array, 1e-5, 1e-4, `weight ${i}`));
      } finally {
        straight.model.dispose();
        resumed.model.dispose();
      }
      assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor left behind');
    });

    it('restarts the optimizer when the checkpoint has no state it can use, so the weights then differ', async () => {
      let saved: TrainingCheckpoint | undefined;
      const first = await trainOn(engine, input(2, { onEpoch: () => ({ checkpoint: true }), onCheckpoint: (c) => void (saved = c) }), 1);
      first.model.dispose();
      assert.ok(saved);
      const straight = await trainOn(engine, input(4), 1);
      const restarted = await trainOn(engine, input(4, { resume: { ...saved, optimizer: null } }), 1);
      try {
        assert.equal(restarted.history.loss?.length, 4);
        const expected = weightsOf(straight);
        const differs = weightsOf(restarted).some((actual, i) => actual.some((value, j) => Math.abs(value - ((expected[i] as Float32Array)[j] as number)) > 1e-4));
        assert.ok(differs, 'Adam restarted from zero takes other steps than Adam restored');
      } finally {
        straight.model.dispose();
        restarted.model.dispose();
      }
    });
  });
}

function filesOf(checkpoint: TrainingCheckpoint): { json: Uint8Array; tensors: Uint8Array } {
  const files = encodeCheckpoint(checkpoint);
  return { json: files[CHECKPOINT_JSON] as Uint8Array, tensors: files[CHECKPOINT_TENSORS] as Uint8Array };
}
