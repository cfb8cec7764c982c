import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { CompileSchema, buildModel, createOptimizer, parseModelDefinition, toKerasLogs } from '../../src/models/index.js';
import { selectBackend, type BackendName } from '../../src/tf/backend.js';

const LIMITS = { maxParams: 1_000_000, maxLayers: 20 };

before(async () => {
  await selectBackend(process.env.TF_BACKEND as BackendName | undefined);
});

function dense(units: number, activation: string, inputs: number, compile: unknown, extra: object = {}) {
  return parseModelDefinition({
    architecture: { type: 'sequential', input_shape: [inputs], layers: [{ type: 'Dense', units, activation, ...extra }] },
    compile,
  });
}

/** Runs `body` and checks it left no tensor behind. */
async function noLeak(body: () => Promise<void> | void): Promise<void> {
  const start = tf.memory().numTensors;
  await body();
  assert.equal(tf.memory().numTensors, start, 'tensors left behind');
}

function evaluate(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): Record<string, number> {
  const result = model.evaluate(x, y) as tf.Scalar | tf.Scalar[];
  const scalars = Array.isArray(result) ? result : [result];
  const logs = Object.fromEntries(scalars.map((s, i) => [model.metricsNames[i] as string, s.dataSync()[0] as number]));
  tf.dispose(scalars);
  return logs;
}

describe('compile: accuracy means what it means in Keras', () => {
  it('sparse categorical: keyed accuracy, equal to the share of argmax hits', async () => {
    await noLeak(async () => {
      const model = buildModel(dense(3, 'softmax', 4, { loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] }), LIMITS);
      const x = tf.randomNormal([24, 4]);
      const y = tf.tensor1d(Array.from({ length: 24 }, (_, i) => i % 3));
      try {
        const history = await model.fit(x, y, { epochs: 2, batchSize: 8, validationData: [x, y], verbose: 0 });
        const logs = toKerasLogs(
          Object.fromEntries(Object.entries(history.history).map(([k, v]) => [k, v.at(-1) as number])),
          { optimizer: 'rmsprop', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
        );
        assert.deepEqual(Object.keys(logs).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
        assert.ok((logs.accuracy as number) >= 0 && (logs.accuracy as number) <= 1);

        const evaluated = evaluate(model, x, y);
        const hits = tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(model.predict(x) as tf.Tensor, -1), tf.cast(y, 'int32')), 'float32')).dataSync()[0]);
        assert.ok(Math.abs((evaluated.accuracy as number) - (hits as number)) < 1e-6, `${evaluated.accuracy} vs ${hits}`);
        assert.equal(evaluated.val_accuracy, undefined);
      } finally {
        tf.dispose([x, y]);
        model.dispose();
      }
    });
  });

  it('one sigmoid unit: binary accuracy at 0.5', async () => {
    await noLeak(() => {
      const model = buildModel(dense(1, 'sigmoid', 3, { loss: 'binary_crossentropy', metrics: ['acc'] }), LIMITS);
      const x = tf.randomNormal([20, 3]);
      const y = tf.tensor2d(Array.from({ length: 20 }, (_, i) => [i % 2]));
      try {
        const evaluated = evaluate(model, x, y);
        const hits = tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.greater(model.predict(x) as tf.Tensor, 0.5), tf.cast(y, 'bool')), 'float32')).dataSync()[0]);
        assert.deepEqual(Object.keys(evaluated), ['loss', 'accuracy']);
        assert.ok(Math.abs((evaluated.accuracy as number) - (hits as number)) < 1e-6);
      } finally {
        tf.dispose([x, y]);
        model.dispose();
      }
    });
  });

  it('one-hot labels: categorical accuracy', async () => {
    await noLeak(() => {
      const model = buildModel(dense(3, 'softmax', 4, { loss: 'categorical_crossentropy', metrics: ['accuracy', 'categorical_accuracy'] }), LIMITS);
      const x = tf.randomNormal([15, 4]);
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: 15 }, (_, i) => i % 3), 'int32'), 3));
      try {
        const evaluated = evaluate(model, x, y);
        const hits = tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(model.predict(x) as tf.Tensor, -1), tf.argMax(y, -1)), 'float32')).dataSync()[0]);
        assert.ok(Math.abs((evaluated.accuracy as number) - (hits as number)) < 1e-6);
        assert.equal(evaluated.accuracy, evaluated.categorical_accuracy);
      } finally {
        tf.dispose([x, y]);
        model.dispose();
      }
    });
  });
});

describe('compile: losses and metrics compute what Keras computes', () => {
  // A Dense with the identity kernel and no bias predicts its input, so evaluate(x, y) is loss(y, x).
  const identity = (units: number, loss: string, metrics: string[] = []) =>
    buildModel(dense(units, 'linear', units, { loss, metrics }, { kernel_initializer: 'identity', use_bias: false }), LIMITS);

  const cases: [string, number[][], number[][], number][] = [
    // Keras turns 0/1 labels into -1/1: mean(max(1 - y·p, 0)).
    ['hinge', [[0, 1]], [[0.3, -0.2]], (1.3 + 1.2) / 2],
    ['squared_hinge', [[0, 1]], [[0.3, -0.2]], (1.3 ** 2 + 1.2 ** 2) / 2],
    // Labels already -1/1 stay as they are.
    ['hinge', [[-1, 1]], [[0.5, 2]], (1.5 + 0) / 2],
    ['huber', [[0, 0]], [[0.5, 3]], (0.5 * 0.25 + (3 - 0.5)) / 2],
    ['kl_divergence', [[0.25, 0.75]], [[0.5, 0.5]], 0.25 * Math.log(0.5) + 0.75 * Math.log(1.5)],
    ['mean_squared_error', [[1, 2]], [[2, 4]], (1 + 4) / 2],
    ['log_cosh', [[0, 0]], [[1, -2]], (Math.log(Math.cosh(1)) + Math.log(Math.cosh(2))) / 2],
    ['cosine_similarity', [[1, 0]], [[1, 1]], -Math.SQRT1_2],
    ['poisson', [[1, 2]], [[1, 1]], (1 - 0 + 1 - 0) / 2],
  ];
  for (const [loss, y, p, expected] of cases) {
    it(`${loss}(${JSON.stringify(y)}, ${JSON.stringify(p)}) = ${expected.toFixed(4)}`, async () => {
      await noLeak(() => {
        const model = identity(2, loss);
        const [yt, pt] = [tf.tensor2d(y), tf.tensor2d(p)];
        try {
          assert.ok(Math.abs((evaluate(model, pt, yt).loss as number) - expected) < 1e-5);
        } finally {
          tf.dispose([yt, pt]);
          model.dispose();
        }
      });
    });
  }

  it('reports metrics under the names asked for', async () => {
    await noLeak(() => {
      const model = identity(2, 'mse', ['mae', 'mean_absolute_percentage_error', 'cosine_similarity', 'msle']);
      const [yt, pt] = [tf.tensor2d([[1, 2]]), tf.tensor2d([[2, 4]])];
      try {
        const logs = evaluate(model, pt, yt);
        assert.deepEqual(Object.keys(logs), ['loss', 'mae', 'mean_absolute_percentage_error', 'cosine_similarity', 'msle']);
        assert.ok(Math.abs((logs.mae as number) - 1.5) < 1e-6);
        assert.ok(Math.abs((logs.mean_absolute_percentage_error as number) - 100) < 1e-4);
        assert.ok(Math.abs((logs.cosine_similarity as number) - 1) < 1e-6);
        const msle = ((Math.log(3) - Math.log(2)) ** 2 + (Math.log(5) - Math.log(3)) ** 2) / 2;
        assert.ok(Math.abs((logs.msle as number) - msle) < 1e-6);
      } finally {
        tf.dispose([yt, pt]);
        model.dispose();
      }
    });
  });
});

describe('compile: optimizers', () => {
  it("creates Keras's optimizers with Keras's defaults", () => {
    const config = (spec: unknown) => {
      const optimizer = createOptimizer(CompileSchema.parse({ loss: 'mse', optimizer: spec }).optimizer);
      const out = { class: optimizer.getClassName(), ...optimizer.getConfig() };
      optimizer.dispose();
      return out;
    };
    assert.deepEqual(config(undefined), { class: 'RMSProp', learningRate: 0.001, decay: 0.9, momentum: 0, epsilon: 1e-7, centered: false });
    assert.deepEqual(config('sgd'), { class: 'SGD', learningRate: 0.01 });
    assert.deepEqual(config({ type: 'sgd', momentum: 0.9, nesterov: true }), { class: 'Momentum', learningRate: 0.01, momentum: 0.9, useNesterov: true });
    assert.deepEqual(config({ type: 'adam', learning_rate: 0.01 }), { class: 'Adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    assert.deepEqual(config('Adagrad'), { class: 'Adagrad', learningRate: 0.001, initialAccumulatorValue: 0.1 });
    assert.deepEqual(config('adadelta'), { class: 'Adadelta', learningRate: 0.001, rho: 0.95, epsilon: 1e-7 });
    assert.deepEqual(config({ type: 'adamax', beta_2: 0.99 }), { class: 'Adamax', learningRate: 0.001, beta1: 0.9, beta2: 0.99, epsilon: 1e-7, decay: 0 });
  });

  for (const optimizer of ['sgd', { type: 'sgd', momentum: 0.5 }, 'adam', 'rmsprop', { type: 'rmsprop', momentum: 0.1 }, 'adagrad', 'adadelta', 'adamax']) {
    it(`trains with ${JSON.stringify(optimizer)} and disposes its state with the model`, async () => {
      await noLeak(async () => {
        const model = buildModel(dense(2, 'linear', 3, { loss: 'mse', optimizer }), LIMITS);
        const [x, y] = [tf.randomNormal([4, 3]), tf.randomNormal([4, 2])];
        try {
          const before = tf.tidy(() => model.predict(x) as tf.Tensor);
          await model.trainOnBatch(x, y);
          const moved = tf.tidy(() => tf.max(tf.abs(tf.sub(model.predict(x) as tf.Tensor, before))).dataSync()[0] as number);
          before.dispose();
          assert.ok(moved > 0, 'one step changed nothing');
        } finally {
          tf.dispose([x, y]);
          model.dispose();
        }
      });
    });
  }
});

describe('toKerasLogs', () => {
  it("renames tfjs's keys to Keras's", () => {
    const compile = CompileSchema.parse({ loss: 'mse', metrics: ['acc', 'mean_squared_error', 'mae'] });
    assert.deepEqual(toKerasLogs({ loss: 1, acc: 0.5, meanSquaredError: 2, mae: 3, val_loss: 4, val_acc: 0.25, val_meanSquaredError: 5 }, compile), {
      loss: 1,
      accuracy: 0.5,
      mean_squared_error: 2,
      mae: 3,
      val_loss: 4,
      val_accuracy: 0.25,
      val_mean_squared_error: 5,
    });
    assert.deepEqual(toKerasLogs({ loss: 1, val_loss: 2 }, undefined), { loss: 1, val_loss: 2 });
  });
});
