import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { ValidationError } from '../../src/errors.js';
import { LAYER_TYPES, buildModel, checkModel, parseModelDefinition, summarize, type ModelDefinition } from '../../src/models/index.js';
import { selectBackend, type BackendName } from '../../src/tf/backend.js';

const LIMITS = { maxParams: 10_000_000, maxLayers: 100 };

before(async () => {
  await selectBackend(process.env.TF_BACKEND as BackendName | undefined);
});

function sequential(layers: unknown[], input_shape?: number[], compile: unknown = { loss: 'mse', optimizer: 'sgd' }) {
  return parseModelDefinition({ architecture: { type: 'sequential', ...(input_shape ? { input_shape } : {}), layers }, compile });
}

function functional(shape: number[], layers: unknown[], output: string) {
  return parseModelDefinition({
    architecture: { type: 'functional', inputs: [{ name: 'x', shape }], layers, outputs: [output] },
    compile: { loss: 'mse', optimizer: 'sgd' },
  });
}

/** Random inputs for a model: class indices where the first layer is an Embedding. */
function inputsFor(def: ModelDefinition, shape: number[], batch: number): tf.Tensor {
  const first = def.architecture.layers[0] as { type: string; input_dim?: number };
  if (first.type === 'Embedding') return tf.tidy(() => tf.floor(tf.randomUniform([batch, ...shape], 0, first.input_dim as number)));
  return tf.randomNormal([batch, ...shape]);
}

/** Builds, checks the summary against checkModel's, trains one step, and leaves no tensor behind. */
async function trainsOneStep(def: ModelDefinition): Promise<number> {
  const start = tf.memory().numTensors;
  const summary = checkModel(def, LIMITS);
  assert.ok(summary, 'the test models declare their input shape');
  const pristine = structuredClone(def);
  const model = buildModel(def, LIMITS);
  assert.deepEqual(def, pristine, 'building changed the definition');
  let loss: number;
  const x = inputsFor(def, summary.input_shape.slice(1) as number[], 4);
  const y = tf.randomNormal([4, ...(summary.output_shape.slice(1) as number[])]);
  try {
    assert.deepEqual(summarize(model), summary);
    const result = await model.trainOnBatch(x, y);
    loss = Array.isArray(result) ? (result[0] as number) : result;
  } finally {
    tf.dispose([x, y]);
    model.dispose();
  }
  assert.ok(Number.isFinite(loss), `loss ${loss}`);
  assert.equal(tf.memory().numTensors, start, 'tensors left behind');
  return loss;
}

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'selu', 'sigmoid', 'tanh', 'softmax', 'log_softmax', 'softplus', 'softsign', 'swish', 'silu', 'gelu', 'mish'];

const CASES: [string, () => ModelDefinition][] = [
  ['InputLayer, Dense', () => sequential([{ type: 'InputLayer', shape: [3] }, { type: 'Dense', units: 2 }])],
  ['every activation', () => sequential([{ type: 'Dense', units: 4 }, ...ACTIVATIONS.map((activation) => ({ type: 'Activation', activation }))], [3])],
  ['Dropout', () => sequential([{ type: 'Dense', units: 4 }, { type: 'Dropout', rate: 0.5 }, { type: 'Dense', units: 2 }], [3])],
  ['Flatten, Reshape, Rescaling', () => sequential([{ type: 'Rescaling', scale: 0.5, offset: 1 }, { type: 'Reshape', target_shape: [3, -1] }, { type: 'Flatten' }, { type: 'Dense', units: 2 }], [2, 3])],
  ['Embedding', () => sequential([{ type: 'Embedding', input_dim: 10, output_dim: 3 }, { type: 'Flatten' }, { type: 'Dense', units: 2 }], [4])],
  ['Conv1D, pooling 1D', () =>
    sequential(
      [
        { type: 'Conv1D', filters: 2, kernel_size: 3, padding: 'same', activation: 'relu' },
        { type: 'MaxPooling1D' },
        { type: 'AveragePooling1D', pool_size: 1 },
        { type: 'GlobalMaxPooling1D' },
      ],
      [6, 2],
    )],
  ['GlobalAveragePooling1D', () => sequential([{ type: 'Conv1D', filters: 2, kernel_size: 2 }, { type: 'GlobalAveragePooling1D' }], [5, 2])],
  ['Conv2D, pooling 2D', () =>
    sequential(
      [
        { type: 'Conv2D', filters: 2, kernel_size: 3, activation: 'relu' },
        { type: 'MaxPooling2D' },
        { type: 'AveragePooling2D', pool_size: 1 },
        { type: 'Flatten' },
        { type: 'Dense', units: 2 },
      ],
      [6, 6, 1],
    )],
  ['Conv2D channels_first, global pooling 2D', () =>
    sequential(
      [
        { type: 'Conv2D', filters: 3, kernel_size: 2, data_format: 'channels_first' },
        { type: 'GlobalAveragePooling2D', data_format: 'channels_first' },
      ],
      [2, 4, 4],
    )],
  ['GlobalMaxPooling2D', () => sequential([{ type: 'GlobalMaxPooling2D' }, { type: 'Dense', units: 2 }], [3, 3, 2])],
  ['Conv3D, pooling 3D', () =>
    sequential(
      [
        { type: 'Conv3D', filters: 2, kernel_size: 2 },
        { type: 'MaxPooling3D', pool_size: 1 },
        { type: 'AveragePooling3D' },
        { type: 'Flatten' },
        { type: 'Dense', units: 1 },
      ],
      [5, 5, 5, 1],
    )],
  ['BatchNormalization, LayerNormalization', () =>
    sequential([{ type: 'Dense', units: 4 }, { type: 'BatchNormalization' }, { type: 'LayerNormalization' }, { type: 'Dense', units: 2 }], [3])],
  ['BatchNormalization on images', () => sequential([{ type: 'BatchNormalization' }, { type: 'Flatten' }], [3, 3, 2])],
  ['LSTM, GRU', () =>
    sequential([{ type: 'LSTM', units: 3, return_sequences: true, dropout: 0.1 }, { type: 'GRU', units: 2, reset_after: false }], [4, 3])],
  ['Concatenate, Add', () =>
    functional(
      [4],
      [
        { type: 'Dense', name: 'a', units: 3, inputs: ['x'] },
        { type: 'Dense', name: 'b', units: 3, inputs: ['x'] },
        { type: 'Add', name: 'sum', inputs: ['a', 'b'] },
        { type: 'Concatenate', name: 'both', inputs: ['sum', 'a'] },
        { type: 'Dense', name: 'out', units: 2, inputs: ['both'] },
      ],
      'out',
    )],
];

describe('buildModel: every catalogue entry builds and trains a step', () => {
  it('the cases cover the whole catalogue', () => {
    const covered = new Set(CASES.flatMap(([, make]) => make().architecture.layers.map((layer) => layer.type)));
    assert.deepEqual([...covered].sort(), [...LAYER_TYPES].sort());
  });

  for (const [name, make] of CASES) it(name, async () => void (await trainsOneStep(make())));
});

const IRIS = [
  { type: 'Dense', units: 8 },
  { type: 'Activation', activation: 'relu' },
  { type: 'Dense', units: 3 },
  { type: 'Activation', activation: 'softmax' },
];

const SEED_MODELS: [string, () => ModelDefinition, number][] = [
  ['Iris', () => sequential(IRIS, [4]), 67],
  ['MNIST MLP', () => sequential([{ type: 'Rescaling', scale: 1 / 255 }, { type: 'Flatten' }, { type: 'Dense', units: 128, activation: 'relu' }, { type: 'Dense', units: 10, activation: 'softmax' }], [28, 28]), 101_770],
  ['MNIST MLP, functional', () =>
    functional(
      [28, 28],
      [
        { type: 'Rescaling', name: 'scale', scale: 1 / 255, inputs: ['x'] },
        { type: 'Flatten', name: 'flat', inputs: ['scale'] },
        { type: 'Dense', name: 'hidden', units: 128, activation: 'relu', inputs: ['flat'] },
        { type: 'Dense', name: 'probs', units: 10, activation: 'softmax', inputs: ['hidden'] },
      ],
      'probs',
    ), 101_770],
  ['California housing', () =>
    sequential(
      [{ type: 'Dense', units: 16, activation: 'relu' }, { type: 'Dropout', rate: 0.1 }, { type: 'Dense', units: 16, activation: 'relu' }, { type: 'Dropout', rate: 0.1 }, { type: 'Dense', units: 1 }],
      [8],
    ), 433],
  ['MNIST CNN', () =>
    sequential(
      [
        { type: 'Conv2D', filters: 32, kernel_size: 3, activation: 'relu' },
        { type: 'MaxPooling2D', pool_size: 2 },
        { type: 'Conv2D', filters: 64, kernel_size: 3, activation: 'relu' },
        { type: 'MaxPooling2D', pool_size: 2 },
        { type: 'Flatten' },
        { type: 'Dropout', rate: 0.5 },
        { type: 'Dense', units: 10, activation: 'softmax' },
      ],
      [28, 28, 1],
    ), 34_826],
  ['a branching functional model', () =>
    functional(
      [4],
      [
        { type: 'Dense', name: 'a', units: 3, inputs: ['x'] },
        { type: 'Dense', name: 'b', units: 5, inputs: ['x'] },
        { type: 'Dense', name: 'c', units: 3, inputs: ['b'] },
        { type: 'Concatenate', name: 'joined', inputs: ['c', 'a'] },
        { type: 'Add', name: 'sum', inputs: ['a', 'c'] },
        { type: 'Concatenate', name: 'out', inputs: ['joined', 'sum'] },
      ],
      'out',
    ), 58],
  ['a frozen layer and BatchNormalization', () =>
    sequential([{ type: 'Dense', units: 4, trainable: false }, { type: 'BatchNormalization' }, { type: 'Dense', units: 2 }], [3]), 16 + 16 + 10],
];

describe('buildModel: the seed models', () => {
  for (const [name, make, params] of SEED_MODELS) {
    it(`${name}: ${params} parameters, and checkModel's summary is summarize(buildModel(...))`, () => {
      const start = tf.memory().numTensors;
      const def = make();
      const model = buildModel(def, LIMITS);
      try {
        const built = summarize(model);
        assert.equal(built.total_params, params);
        assert.deepEqual(checkModel(def, LIMITS), built);
      } finally {
        model.dispose();
      }
      assert.equal(tf.memory().numTensors, start);
    });
  }

  it('builds a model whose input shape comes from the data', async () => {
    const def = sequential(IRIS, undefined, { loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    assert.equal(checkModel(def, LIMITS), null);
    assert.throws(() => buildModel(def, LIMITS), ValidationError);
    const model = buildModel(def, LIMITS, [4]);
    try {
      assert.equal(summarize(model).total_params, 67);
      assert.deepEqual(summarize(model).input_shape, [null, 4]);
    } finally {
      model.dispose();
    }
  });

  it('builds the same definition twice in one process, with Keras weight names', () => {
    const def = sequential([{ type: 'Dense', units: 3 }, { type: 'BatchNormalization' }], [4]);
    const first = buildModel(def, LIMITS);
    const second = buildModel(def, LIMITS);
    try {
      for (const model of [first, second]) {
        assert.deepEqual(
          model.layers.map((layer) => [layer.name, layer.weights.map((w) => w.originalName.split('/').at(-1))]),
          [
            ['dense', ['kernel', 'bias']],
            ['batch_normalization', ['gamma', 'beta', 'moving_mean', 'moving_variance']],
          ],
        );
      }
      first.setWeights(second.getWeights());
    } finally {
      first.dispose();
      second.dispose();
    }
  });

  it('names recurrent weights as Keras does', () => {
    const model = buildModel(sequential([{ type: 'LSTM', units: 2 }], [3, 4]), LIMITS);
    try {
      assert.deepEqual(model.weights.map((w) => w.originalName), ['lstm/kernel', 'lstm/recurrent_kernel', 'lstm/bias']);
    } finally {
      model.dispose();
    }
  });

  it("draws glorot_normal with Keras's spread, not tfjs's narrower one", () => {
    const model = buildModel(sequential([{ type: 'Dense', units: 200, kernel_initializer: 'glorot_normal' }], [200]), LIMITS);
    try {
      const std = tf.tidy(() => tf.moments(model.weights[0]?.read() as tf.Tensor).variance.sqrt().dataSync()[0] as number);
      const keras = Math.sqrt(2 / 400);
      assert.ok(Math.abs(std / keras - 1) < 0.03, `std ${std}, Keras ${keras}`);
    } finally {
      model.dispose();
    }
  });
});
