import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../src/errors.js';
import { checkModel, inputShapeOf, parseModelDefinition } from '../../src/models/index.js';

const LIMITS = { maxParams: 50_000_000, maxLayers: 100 };

function refused(fn: () => unknown, path: string, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    assert.equal(error.details[0]?.path, path);
    assert.match(error.details[0]?.message ?? '', pattern);
    return true;
  });
}

function sequential(layers: unknown[], input_shape?: number[]) {
  return parseModelDefinition({ architecture: { type: 'sequential', ...(input_shape ? { input_shape } : {}), layers } });
}

function check(layers: unknown[], input_shape?: number[]) {
  return checkModel(sequential(layers, input_shape), LIMITS);
}

const IRIS = [
  { type: 'Dense', units: 8 },
  { type: 'Activation', activation: 'relu' },
  { type: 'Dense', units: 3 },
  { type: 'Activation', activation: 'softmax' },
];

describe('checkModel: the seed models have Keras parameter counts', () => {
  it('Iris: 67', () => {
    const summary = check(IRIS, [4]);
    assert.equal(summary?.total_params, 67);
    assert.deepEqual(
      summary?.layers.map((l) => [l.name, l.type, l.output_shape, l.params]),
      [
        ['dense', 'Dense', [null, 8], 40],
        ['activation', 'Activation', [null, 8], 0],
        ['dense_1', 'Dense', [null, 3], 27],
        ['activation_1', 'Activation', [null, 3], 0],
      ],
    );
    assert.deepEqual(summary?.input_shape, [null, 4]);
    assert.deepEqual(summary?.output_shape, [null, 3]);
  });

  it('MNIST MLP: 101,770, sequential and functional alike', () => {
    const seq = check(
      [
        { type: 'Rescaling', scale: 1 / 255 },
        { type: 'Flatten' },
        { type: 'Dense', units: 128, activation: 'relu' },
        { type: 'Dense', units: 10, activation: 'softmax' },
      ],
      [28, 28],
    );
    assert.equal(seq?.total_params, 101_770);
    assert.equal(seq?.trainable_params, 101_770);
    const fn = checkModel(
      parseModelDefinition({
        architecture: {
          type: 'functional',
          inputs: [{ name: 'image', shape: [28, 28] }],
          layers: [
            { type: 'Rescaling', name: 'scale', scale: 1 / 255, inputs: ['image'] },
            { type: 'Flatten', name: 'flat', inputs: ['scale'] },
            { type: 'Dense', name: 'hidden', units: 128, activation: 'relu', inputs: ['flat'] },
            { type: 'Dense', name: 'probs', units: 10, activation: 'softmax', inputs: ['hidden'] },
          ],
          outputs: ['probs'],
        },
      }),
      LIMITS,
    );
    assert.equal(fn?.total_params, 101_770);
    assert.deepEqual(
      fn?.layers.map((l) => [l.name, l.type, l.output_shape]),
      [
        ['image', 'InputLayer', [null, 28, 28]],
        ['scale', 'Rescaling', [null, 28, 28]],
        ['flat', 'Flatten', [null, 784]],
        ['hidden', 'Dense', [null, 128]],
        ['probs', 'Dense', [null, 10]],
      ],
    );
  });

  it('California housing: 433', () => {
    const summary = check(
      [
        { type: 'Dense', units: 16, activation: 'relu', input_shape: [8] },
        { type: 'Dropout', rate: 0.1 },
        { type: 'Dense', units: 16, activation: 'relu' },
        { type: 'Dropout', rate: 0.1 },
        { type: 'Dense', units: 1 },
      ],
    );
    assert.equal(summary?.total_params, 433);
  });

  it('MNIST CNN: 34,826, with Keras shapes along the way', () => {
    const summary = check(
      [
        { type: 'Conv2D', filters: 32, kernel_size: 3, activation: 'relu' },
        { type: 'MaxPooling2D', pool_size: 2 },
        { type: 'Conv2D', filters: 64, kernel_size: [3, 3], activation: 'relu' },
        { type: 'MaxPooling2D', pool_size: [2, 2] },
        { type: 'Flatten' },
        { type: 'Dropout', rate: 0.5 },
        { type: 'Dense', units: 10, activation: 'softmax' },
      ],
      [28, 28, 1],
    );
    assert.equal(summary?.total_params, 34_826);
    assert.deepEqual(
      summary?.layers.map((l) => l.output_shape),
      [[null, 26, 26, 32], [null, 13, 13, 32], [null, 11, 11, 64], [null, 5, 5, 64], [null, 1600], [null, 1600], [null, 10]],
    );
  });

  it('counts BatchNormalization moving statistics as non-trainable, and frozen layers too', () => {
    const summary = check(
      [
        { type: 'Dense', units: 4 },
        { type: 'BatchNormalization' },
        { type: 'Dense', units: 2, trainable: false },
      ],
      [3],
    );
    assert.equal(summary?.total_params, 16 + 16 + 10);
    assert.equal(summary?.non_trainable_params, 8 + 10);
  });

  it('computes shapes of strides, same padding, channels_first, recurrent and embedding layers', () => {
    // A Dense at the end gives each model something to train.
    const shapes = (layers: unknown[], input: number[]) =>
      check([...layers, { type: 'Dense', units: 1 }], input)?.layers.slice(0, -1).map((l) => l.output_shape);
    assert.deepEqual(shapes([{ type: 'Conv2D', filters: 4, kernel_size: 3, strides: 2, padding: 'same' }], [7, 7, 1]), [[null, 4, 4, 4]]);
    assert.deepEqual(shapes([{ type: 'Conv2D', filters: 4, kernel_size: 3, data_format: 'channels_first' }], [2, 7, 7]), [[null, 4, 5, 5]]);
    assert.deepEqual(shapes([{ type: 'MaxPooling1D', pool_size: 2, strides: 1 }], [5, 3]), [[null, 4, 3]]);
    assert.deepEqual(shapes([{ type: 'GlobalAveragePooling2D' }], [5, 5, 3]), [[null, 3]]);
    assert.deepEqual(shapes([{ type: 'LSTM', units: 6, return_sequences: true }, { type: 'GRU', units: 5, reset_after: false }], [7, 3]), [
      [null, 7, 6],
      [null, 5],
    ]);
    assert.deepEqual(shapes([{ type: 'Embedding', input_dim: 100, output_dim: 8 }], [12]), [[null, 12, 8]]);
    assert.deepEqual(shapes([{ type: 'Reshape', target_shape: [-1, 4] }], [3, 8]), [[null, 6, 4]]);
  });

  it('counts recurrent, convolutional and normalization parameters as Keras does', () => {
    const params = (layers: unknown[], input: number[]) => check(layers, input)?.layers.map((l) => l.params);
    assert.deepEqual(params([{ type: 'LSTM', units: 4 }], [5, 3]), [4 * (4 * (3 + 4) + 4)]);
    assert.deepEqual(params([{ type: 'GRU', units: 4, reset_after: false }], [5, 3]), [3 * (4 * (3 + 4) + 4)]);
    assert.deepEqual(params([{ type: 'Conv1D', filters: 5, kernel_size: 3 }], [10, 2]), [3 * 2 * 5 + 5]);
    assert.deepEqual(params([{ type: 'Conv3D', filters: 2, kernel_size: 2, use_bias: false }], [4, 4, 4, 3]), [8 * 3 * 2]);
    assert.deepEqual(params([{ type: 'LayerNormalization' }], [6]), [12]);
    assert.deepEqual(params([{ type: 'BatchNormalization' }], [5, 6]), [24]);
    assert.deepEqual(params([{ type: 'Embedding', input_dim: 50, output_dim: 4 }], [3]), [200]);
  });

  it('names unnamed layers as Keras does, around the names given', () => {
    const summary = check([{ type: 'Dense', units: 2 }, { type: 'Dense', units: 2, name: 'dense' }], [3]);
    assert.deepEqual(summary?.layers.map((l) => l.name), ['dense_1', 'dense']);
    const pooled = check([{ type: 'MaxPooling1D' }, { type: 'GlobalAveragePooling1D' }, { type: 'BatchNormalization' }], [4, 2]);
    assert.deepEqual(pooled?.layers.map((l) => l.name), ['max_pooling1d', 'global_average_pooling1d', 'batch_normalization']);
  });
});

describe('checkModel: the input shape', () => {
  it('is deferred when the definition leaves it out, as the seed Iris model does', () => {
    const def = sequential(IRIS);
    assert.equal(inputShapeOf(def), null);
    assert.equal(checkModel(def, LIMITS), null);
    assert.equal(checkModel(def, LIMITS, [4])?.total_params, 67);
  });

  it('is read from architecture.input_shape, a first-layer input_shape/input_dim, or an InputLayer', () => {
    assert.deepEqual(inputShapeOf(sequential(IRIS, [4])), [4]);
    assert.deepEqual(inputShapeOf(sequential([{ ...IRIS[0], input_shape: [4] }, ...IRIS.slice(1)])), [4]);
    assert.deepEqual(inputShapeOf(sequential([{ ...IRIS[0], input_dim: 4 }, ...IRIS.slice(1)])), [4]);
    const explicit = sequential([{ type: 'InputLayer', shape: [4] }, ...IRIS]);
    assert.deepEqual(inputShapeOf(explicit), [4]);
    assert.equal(checkModel(explicit, LIMITS)?.layers.length, 4);
    assert.deepEqual(inputShapeOf(sequential([{ type: 'InputLayer', batch_shape: [null, 2, 2] }, { type: 'Flatten' }])), [2, 2]);
  });

  it('refuses data whose shape differs from the declared one', () => {
    refused(() => checkModel(sequential(IRIS, [4]), LIMITS, [5]), 'architecture.input_shape', /expects input of shape \(None, 4\), found data of shape \(None, 5\)/);
  });

  it('refuses an input shape given twice, differently, or on a later layer', () => {
    refused(() => sequential([{ ...IRIS[0], input_shape: [3] }], [4]), 'architecture.layers[0].input_shape', /given twice/);
    refused(() => sequential([IRIS[0], { ...IRIS[2], input_shape: [8] }]), 'architecture.layers[1].input_shape', /only be given on the first layer/);
    refused(() => sequential([IRIS[0], { type: 'InputLayer', shape: [3] }]), 'architecture.layers[1]', /only be the first layer/);
  });
});

describe('checkModel: shape errors name the layer and say expected vs found', () => {
  it('Conv2D after Flatten', () => {
    refused(
      () => check([{ type: 'Flatten' }, { type: 'Conv2D', filters: 4, kernel_size: 3 }], [28, 28]),
      'architecture.layers[1]',
      /^Conv2D expects input of rank 4 \(batch, rows, cols, channels\), found \(None, 784\)$/,
    );
  });

  it('recurrent layers on flat input', () => {
    refused(() => check([{ type: 'LSTM', units: 3 }], [8]), 'architecture.layers[0]', /LSTM expects input of rank 3 \(batch, timesteps, features\), found \(None, 8\)/);
  });

  it('a pool or kernel larger than its input', () => {
    refused(
      () => check([{ type: 'MaxPooling2D', pool_size: 3 }], [2, 2, 1]),
      'architecture.layers[0].pool_size',
      /MaxPooling2D pool_size \(3, 3\) is larger than its input \(2, 2\)/,
    );
    refused(
      () => check([{ type: 'Conv1D', filters: 1, kernel_size: 5 }], [4, 1]),
      'architecture.layers[0].kernel_size',
      /Conv1D kernel_size \(5,\) is larger than its input \(4,\)/,
    );
    assert.deepEqual(check([{ type: 'MaxPooling2D', pool_size: 3, padding: 'same' }, { type: 'Dense', units: 1 }], [2, 2, 1])?.output_shape, [null, 1, 1, 1]);
  });

  it('a Reshape whose sizes differ', () => {
    refused(
      () => check([{ type: 'Reshape', target_shape: [27, 28] }], [28, 28]),
      'architecture.layers[0].target_shape',
      /cannot reshape \(None, 28, 28\) \(784 values\) into \(None, 27, 28\) \(756 values\)/,
    );
    refused(() => check([{ type: 'Reshape', target_shape: [-1, 5] }], [28, 28]), 'architecture.layers[0].target_shape', /not a multiple of 5/);
  });

  it('a Flatten of an already flat input, which tfjs refuses', () => {
    refused(() => check([{ type: 'Flatten' }], [4]), 'architecture.layers[0]', /already flat/);
  });

  it('a BatchNormalization on the batch axis, another axis than the last, or frozen', () => {
    refused(() => check([{ type: 'BatchNormalization', axis: 0 }], [4]), 'architecture.layers[0].axis', /batch axis/);
    refused(() => check([{ type: 'BatchNormalization', axis: 1 }], [4, 2]), 'architecture.layers[0].axis', /only along the last axis/);
    refused(() => check([{ type: 'BatchNormalization', trainable: false }], [4]), 'architecture.layers[0].trainable', /inference mode/);
  });

  it('the identity initializer on a non-square kernel', () => {
    refused(
      () => check([{ type: 'Dense', units: 3, kernel_initializer: 'identity' }], [4]),
      'architecture.layers[0].kernel_initializer',
      /square kernel, found 4×3/,
    );
  });
});

describe('checkModel: limits', () => {
  it('refuses a Dense of 10^10 parameters in well under a second', () => {
    const started = performance.now();
    refused(
      () => check([{ type: 'Dense', units: 100_000 }], [100_000]),
      'architecture.layers[0]',
      /Dense "dense" has 10,000,100,000 parameters.*limit is 50,000,000/,
    );
    assert.ok(performance.now() - started < 1000);
  });

  it('refuses a model with nothing to train', () => {
    refused(() => check([{ type: 'Flatten' }], [2, 2]), 'architecture.layers', /no trainable weights/);
    refused(() => check([{ type: 'Dense', units: 2, trainable: false }], [2]), 'architecture.layers', /no trainable weights/);
  });

  it('refuses too many layers', () => {
    const layers = Array.from({ length: 5 }, () => ({ type: 'Dense', units: 2 }));
    assert.throws(() => checkModel(sequential(layers, [2]), { maxParams: 1000, maxLayers: 4 }), /5 layers; the limit is 4/);
    assert.throws(() => checkModel(sequential(layers), { maxParams: 1000, maxLayers: 4 }), /limit is 4/);
  });
});

describe('checkModel: functional graphs', () => {
  const input = [{ name: 'x', shape: [4] }];
  const functional = (layers: unknown[], outputs: string[] = [String((layers.at(-1) as { name: string }).name)]) =>
    parseModelDefinition({ architecture: { type: 'functional', inputs: input, layers, outputs } });

  it('orders the summary as tfjs does: by depth, then by first visit from the output', () => {
    const def = functional([
      { type: 'Dense', name: 'a', units: 3, inputs: ['x'] },
      { type: 'Dense', name: 'b', units: 5, inputs: ['x'] },
      { type: 'Dense', name: 'c', units: 3, inputs: ['b'] },
      { type: 'Concatenate', name: 'joined', inputs: ['c', 'a'] },
      { type: 'Add', name: 'sum', inputs: ['a', 'c'] },
      { type: 'Concatenate', name: 'out', inputs: ['joined', 'sum'] },
    ]);
    const summary = checkModel(def, LIMITS);
    assert.deepEqual(summary?.layers.map((l) => l.name), ['x', 'b', 'c', 'a', 'joined', 'sum', 'out']);
    assert.deepEqual(summary?.output_shape, [null, 9]);
    assert.equal(summary?.total_params, 15 + 25 + 18);
  });

  it('accepts layers listed out of order', () => {
    const def = functional(
      [
        { type: 'Dense', name: 'out', units: 1, inputs: ['h'] },
        { type: 'Dense', name: 'h', units: 2, inputs: ['x'] },
      ],
      ['out'],
    );
    assert.equal(checkModel(def, LIMITS)?.total_params, 10 + 3);
  });

  it('refuses a cycle', () => {
    refused(
      () =>
        functional(
          [
            { type: 'Dense', name: 'a', units: 2, inputs: ['x'] },
            { type: 'Add', name: 'b', inputs: ['a', 'c'] },
            { type: 'Dense', name: 'c', units: 2, inputs: ['b'] },
          ],
          ['c'],
        ),
      'architecture.layers[1].inputs',
      /cycle: b → c → b/,
    );
  });

  it('refuses an unknown or duplicate name, and an output nobody produces', () => {
    refused(
      () => functional([{ type: 'Dense', name: 'a', units: 2, inputs: ['nope'] }]),
      'architecture.layers[0].inputs[0]',
      /no input or layer is named "nope"/,
    );
    refused(
      () =>
        functional([
          { type: 'Dense', name: 'a', units: 2, inputs: ['x'] },
          { type: 'Dense', name: 'a', units: 2, inputs: ['a'] },
        ]),
      'architecture.layers[1].name',
      /duplicate layer name "a" \(also at architecture.layers\[0\].name\)/,
    );
    refused(() => functional([{ type: 'Dense', name: 'x', units: 2, inputs: ['x'] }]), 'architecture.layers[0].name', /duplicate layer name "x"/);
    refused(() => functional([{ type: 'Dense', name: 'a', units: 2, inputs: ['x'] }], ['b']), 'architecture.outputs[0]', /no layer named "b" produces an output/);
    refused(
      () =>
        functional(
          [
            { type: 'Dense', name: 'a', units: 2, inputs: ['x'] },
            { type: 'Dense', name: 'dangling', units: 2, inputs: ['x'] },
          ],
          ['a'],
        ),
      'architecture.layers[1]',
      /does not lead to the output/,
    );
    refused(() => sequential([{ ...IRIS[0], name: 'd' }, { ...IRIS[2], name: 'd' }]), 'architecture.layers[1].name', /duplicate layer name "d"/);
  });

  it('refuses a single-input layer given two inputs', () => {
    refused(
      () =>
        functional([
          { type: 'Dense', name: 'a', units: 2, inputs: ['x'] },
          { type: 'Dense', name: 'b', units: 2, inputs: ['x', 'a'] },
        ]),
      'architecture.layers[1].inputs',
      /Dense takes one input, found 2/,
    );
  });

  it('refuses Concatenate and Add of incompatible shapes', () => {
    const branches = [
      { type: 'Dense', name: 'a', units: 3, inputs: ['x'] },
      { type: 'Reshape', name: 'r', target_shape: [2, 2], inputs: ['x'] },
    ];
    refused(
      () => checkModel(functional([...branches, { type: 'Concatenate', name: 'j', inputs: ['a', 'r'] }]), LIMITS),
      'architecture.layers[2]',
      /Concatenate along axis -1 expects inputs whose shapes match except along that axis, found \(None, 3\), \(None, 2, 2\)/,
    );
    refused(
      () => checkModel(functional([branches[0], { type: 'Add', name: 's', inputs: ['a', 'x'] }]), LIMITS),
      'architecture.layers[1]',
      /Add expects inputs of the same shape, found \(None, 3\), \(None, 4\)/,
    );
    assert.deepEqual(
      checkModel(functional([{ type: 'Dense', name: 'one', units: 1, inputs: ['x'] }, { type: 'Add', name: 's', inputs: ['one', 'x'] }]), LIMITS)
        ?.output_shape,
      [null, 4],
    );
    refused(
      () => checkModel(functional([branches[0], { type: 'Add', name: 's', inputs: ['a'] }]), LIMITS),
      'architecture.layers[1].inputs',
      /merges at least 2 inputs, found 1/,
    );
  });
});
