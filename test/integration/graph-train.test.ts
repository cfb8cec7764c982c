import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadBuiltin } from '../../src/datasets/builtins.js';
import { trainOnGraph } from '../../src/graph/index.js';
import { parseModelDefinition } from '../../src/models/index.js';
import { selectBackend } from '../../src/tf/backend.js';
import { EarlyStoppingSchema, FitSchema } from '../../src/jobs/contract.js';
import { train, type TrainInput } from '../../src/worker/train.js';
import { assertClose, dataset, seeded } from '../support/graph.js';

const LIMITS = { maxParams: 1_000_000, maxLayers: 50 };

before(async () => {
  await selectBackend('tensorflow');
});

const iris = parseModelDefinition({
  architecture: {
    type: 'sequential',
    layers: [
      { type: 'Dense', units: 8, activation: 'relu', kernel_initializer: seeded(1) },
      { type: 'Dense', units: 3, activation: 'softmax', kernel_initializer: seeded(2) },
    ],
  },
  compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
});

function irisInput(fit: Record<string, unknown>, extra: Partial<TrainInput> = {}): TrainInput {
  return { definition: iris, dataset: loadBuiltin('iris'), fit: FitSchema.parse(fit), preprocessing: { standardize: true }, limits: LIMITS, ...extra };
}

describe('the graph trainer keeps Keras fit semantics', () => {
  it("reports every epoch with Keras's history keys and trains the seed's Iris model", async () => {
    const before = tf.memory().numTensors;
    const epochs: number[] = [];
    const result = await trainOnGraph(
      irisInput({ epochs: 60, batch_size: 32, validation_split: 0.1 }, { onEpoch: (epoch, logs) => void epochs.push(epoch, Object.keys(logs).length) }),
    );
    try {
      assert.deepEqual(Object.keys(result.history), ['loss', 'accuracy', 'val_loss', 'val_accuracy']);
      assert.equal(result.history.loss?.length, 60);
      assert.deepEqual(epochs.filter((_, i) => i % 2 === 0), [...Array(60).keys()]);
      assert.ok(epochs.filter((_, i) => i % 2 === 1).every((n) => n === 4));
      assert.equal(result.outcome, 'completed');
      assert.ok((result.metrics.accuracy as number) > 0.8, `accuracy ${result.metrics.accuracy}`);
      assert.ok((result.history.loss?.[59] as number) < (result.history.loss?.[0] as number));
      assert.deepEqual(result.inputShape, [4]);
      assert.deepEqual(result.outputShape, [3]);
      assert.equal(result.summary.total_params, 67);
      // The trained tfjs model is the one the artifact, predict and inspect use: it scores as the graph did.
      const ds = loadBuiltin('iris');
      const xs = tf.tensor(ds.x.data, ds.x.shape);
      const mean = result.preprocessing.standardize?.mean as number[];
      const std = result.preprocessing.standardize?.std as number[];
      const predictions = tf.tidy(() => result.model.predict(tf.div(tf.sub(xs, mean), std)) as tf.Tensor);
      const accuracy = tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(predictions, -1), tf.tensor(ds.y.data, [150], 'int32')), 'float32')).dataSync()[0] as number);
      tf.dispose([xs, predictions]);
      assert.ok(accuracy > 0.8, `the tfjs model's accuracy ${accuracy}`);
    } finally {
      result.model.dispose();
    }
    assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  });

  it('applies the preprocessing as the eager engine does', async () => {
    const input = irisInput({ epochs: 2, batch_size: 16, validation_split: 0.2, shuffle: false });
    const eager = await train(input);
    const graph = await trainOnGraph(input);
    try {
      assert.deepEqual(graph.preprocessing, eager.preprocessing);
      for (const key of Object.keys(eager.history)) assertClose(graph.history[key] as number[], eager.history[key] as number[], 1e-4, 1e-3, key);
    } finally {
      eager.model.dispose();
      graph.model.dispose();
    }
  });

  it('stops early and restores the best weights, as the eager engine does', async () => {
    const definition = parseModelDefinition({
      architecture: { type: 'sequential', input_shape: [4], layers: [{ type: 'Dense', units: 2, kernel_initializer: seeded(5) }] },
      compile: { optimizer: { type: 'sgd', learning_rate: 0.3 }, loss: 'mse' },
    });
    const data = dataset(40, [4], [2], (x) => [(x[0] as number) * 3, (x[1] as number) - (x[2] as number)], 9);
    // The validation part (the last quarter) has the opposite relation, so val_loss rises as training fits.
    const y = data.y.data as Float32Array;
    y.subarray(60).forEach((v, i) => (y[60 + i] = -v));
    const input: TrainInput = {
      definition,
      dataset: data,
      fit: FitSchema.parse({ epochs: 50, batch_size: 40, validation_split: 0.25, shuffle: false }),
      earlyStopping: EarlyStoppingSchema.parse({ monitor: 'val_loss', patience: 2, restore_best_weights: true }),
      limits: LIMITS,
    };
    const eager = await train(input);
    const graph = await trainOnGraph(input);
    try {
      assert.equal(graph.outcome, 'early_stopped');
      assert.equal(graph.epochsRun, eager.epochsRun);
      assert.ok(graph.epochsRun < 50);
      const weights = (r: typeof graph) => r.model.getWeights().flatMap((w) => [...w.dataSync()]);
      assertClose(weights(graph), weights(eager), 1e-4, 1e-3, 'restored weights');
    } finally {
      eager.model.dispose();
      graph.model.dispose();
    }
  });

  it('stops at the next batch when asked, without reporting the half epoch', async () => {
    let batches = 0;
    const reported: number[] = [];
    const result = await trainOnGraph(
      irisInput({ epochs: 10, batch_size: 10 }, { shouldStop: () => ++batches >= 25, onEpoch: (epoch) => void reported.push(epoch) }),
    );
    try {
      assert.equal(result.outcome, 'cancelled');
      assert.equal(batches, 25, 'checked after every batch, stopped at the 25th');
      assert.equal(result.epochsRun, 1, '15 batches per epoch: one whole epoch ran');
      assert.deepEqual(reported, [0]);
      assert.equal(result.history.loss?.length, 1);
    } finally {
      result.model.dispose();
    }
  });
});
