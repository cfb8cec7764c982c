import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ValidationError } from '../../src/errors.js';
import { checkModel, kerasToArchitecture, parseModelDefinition } from '../../src/models/index.js';

// Written by scripts/make-keras-fixtures.py: Keras 3.15 and tf_keras 2.21 `model.to_json()`.
const FIXTURES = new URL('../fixtures/keras/', import.meta.url);
type Json = Record<string, any>; // fixtures are edited in place

function fixture(name: string, format: 'keras2' | 'keras3'): Json {
  return JSON.parse(readFileSync(new URL(`${name}.${format}.json`, FIXTURES), 'utf8')) as Json;
}

const PARAMS = JSON.parse(readFileSync(new URL('params.json', FIXTURES), 'utf8')) as Record<string, number>;
const FORMATS = ['keras2', 'keras3'] as const;

/** Each fixture as a user would write it by hand, with the names Keras gave its layers. */
const EXPECTED: Record<string, unknown> = {
  iris: {
    type: 'sequential',
    input_shape: [4],
    layers: [
      { type: 'Dense', name: 'dense', units: 8 },
      { type: 'Activation', name: 'activation', activation: 'relu' },
      { type: 'Dense', name: 'dense_1', units: 3 },
      { type: 'Activation', name: 'activation_1', activation: 'softmax' },
    ],
  },
  mnist_mlp: {
    type: 'sequential',
    input_shape: [28, 28],
    layers: [
      { type: 'Rescaling', name: 'rescaling', scale: 1 / 255 },
      { type: 'Flatten', name: 'flatten' },
      { type: 'Dense', name: 'dense', units: 128, activation: 'relu' },
      { type: 'Dense', name: 'dense_1', units: 10, activation: 'softmax' },
    ],
  },
  mnist_mlp_functional: {
    type: 'functional',
    inputs: [{ name: 'pixels', shape: [28, 28] }],
    layers: [
      { type: 'Rescaling', name: 'rescaling', inputs: ['pixels'], scale: 1 / 255 },
      { type: 'Flatten', name: 'flatten', inputs: ['rescaling'] },
      { type: 'Dense', name: 'dense', inputs: ['flatten'], units: 128, activation: 'relu' },
      { type: 'Dense', name: 'dense_1', inputs: ['dense'], units: 10, activation: 'softmax' },
    ],
    outputs: ['dense_1'],
  },
  housing: {
    type: 'sequential',
    input_shape: [8],
    layers: [
      { type: 'Dense', name: 'dense', units: 16, activation: 'relu' },
      { type: 'Dropout', name: 'dropout', rate: 0.1 },
      { type: 'Dense', name: 'dense_1', units: 16, activation: 'relu' },
      { type: 'Dropout', name: 'dropout_1', rate: 0.1 },
      { type: 'Dense', name: 'dense_2', units: 1 },
    ],
  },
  mnist_cnn: {
    type: 'sequential',
    input_shape: [28, 28, 1],
    layers: [
      { type: 'Conv2D', name: 'conv2d', filters: 32, kernel_size: [3, 3], activation: 'relu' },
      { type: 'MaxPooling2D', name: 'max_pooling2d' },
      { type: 'Conv2D', name: 'conv2d_1', filters: 64, kernel_size: [3, 3], activation: 'relu' },
      { type: 'MaxPooling2D', name: 'max_pooling2d_1' },
      { type: 'Flatten', name: 'flatten' },
      { type: 'Dropout', name: 'dropout', rate: 0.5 },
      { type: 'Dense', name: 'dense', units: 10, activation: 'softmax' },
    ],
  },
  branches_concat: {
    type: 'functional',
    inputs: [{ name: 'image', shape: [16, 16, 1] }],
    layers: [
      { type: 'Conv2D', name: 'edges', inputs: ['image'], filters: 4, kernel_size: [3, 3], activation: 'relu' },
      { type: 'Flatten', name: 'flat', inputs: ['image'] },
      { type: 'GlobalMaxPooling2D', name: 'peak', inputs: ['edges'] },
      { type: 'GlobalAveragePooling2D', name: 'mean', inputs: ['image'] },
      { type: 'Dense', name: 'coarse', inputs: ['flat'], units: 4, activation: 'relu' },
      { type: 'Concatenate', name: 'joined', inputs: ['peak', 'mean', 'coarse'] },
      { type: 'Dense', name: 'label', inputs: ['joined'], units: 2, activation: 'softmax' },
    ],
    outputs: ['label'],
  },
  branches_add: {
    type: 'functional',
    inputs: [{ name: 'features', shape: [8] }],
    layers: [
      { type: 'Dense', name: 'hidden', inputs: ['features'], units: 16, activation: 'relu' },
      { type: 'Dense', name: 'skip', inputs: ['features'], units: 16, use_bias: false, kernel_initializer: 'he_normal' },
      { type: 'Add', name: 'merged', inputs: ['hidden', 'skip'] },
      { type: 'Dropout', name: 'dropped', inputs: ['merged'], rate: 0.1 },
      { type: 'LayerNormalization', name: 'normed', inputs: ['dropped'] },
      { type: 'Dense', name: 'price', inputs: ['normed'], units: 1 },
    ],
    outputs: ['price'],
  },
  two_towers: {
    type: 'functional',
    inputs: [
      { name: 'user', shape: [3] },
      { name: 'item', shape: [5] },
    ],
    layers: [
      { type: 'Dense', name: 'user_vector', inputs: ['user'], units: 4, activation: 'relu' },
      { type: 'Dense', name: 'item_vector', inputs: ['item'], units: 4, activation: 'relu' },
      { type: 'Concatenate', name: 'both', inputs: ['user_vector', 'item_vector'] },
      { type: 'Dense', name: 'score', inputs: ['both'], units: 1, activation: 'sigmoid' },
      { type: 'Dense', name: 'rating', inputs: ['both'], units: 5, activation: 'softmax' },
    ],
    outputs: ['score', 'rating'],
  },
  sequence_zoo: {
    type: 'sequential',
    input_shape: [20],
    layers: [
      { type: 'Embedding', name: 'embedding', input_dim: 1000, output_dim: 16 },
      { type: 'Conv1D', name: 'conv1d', filters: 32, kernel_size: [5], padding: 'same', activation: 'relu' },
      { type: 'MaxPooling1D', name: 'max_pooling1d' },
      { type: 'AveragePooling1D', name: 'average_pooling1d', strides: [1] },
      { type: 'LSTM', name: 'lstm', units: 16, return_sequences: true },
      { type: 'GRU', name: 'gru', units: 8, return_sequences: true, dropout: 0.2, reset_after: false },
      { type: 'GlobalAveragePooling1D', name: 'global_average_pooling1d' },
      { type: 'Dense', name: 'dense', units: 1, activation: 'sigmoid' },
    ],
  },
  image_zoo: {
    type: 'sequential',
    input_shape: [16, 16, 3],
    layers: [
      { type: 'Conv2D', name: 'conv2d', filters: 8, kernel_size: [3, 3], strides: [2, 2], padding: 'same', use_bias: false },
      { type: 'BatchNormalization', name: 'batch_normalization', momentum: 0.9 },
      { type: 'Activation', name: 'activation', activation: 'relu' },
      { type: 'AveragePooling2D', name: 'average_pooling2d' },
      { type: 'Reshape', name: 'reshape', target_shape: [16, 8] },
      { type: 'GlobalMaxPooling1D', name: 'global_max_pooling1d' },
      { type: 'Dense', name: 'dense', units: 4, activation: 'softmax' },
    ],
  },
  volume: {
    type: 'sequential',
    input_shape: [8, 8, 8, 1],
    layers: [
      { type: 'Conv3D', name: 'conv3d', filters: 4, kernel_size: [3, 3, 3], activation: 'relu' },
      { type: 'MaxPooling3D', name: 'max_pooling3d' },
      { type: 'AveragePooling3D', name: 'average_pooling3d', pool_size: [3, 3, 3] },
      { type: 'Flatten', name: 'flatten' },
      { type: 'Dense', name: 'dense', units: 2, activation: 'softmax' },
    ],
  },
};

/** Runs `fn`, expecting a ValidationError with one detail at `path` whose message matches `message`. */
function assertInvalid(fn: () => unknown, path: string, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    assert.equal(error.details[0]?.path, path);
    assert.match(error.details[0]?.message ?? '', message);
    assert.match(error.message, message);
    return true;
  });
}

const convert = (json: unknown) => kerasToArchitecture(json, 'architecture.config');

describe('kerasToArchitecture: the fixtures', () => {
  for (const [name, expected] of Object.entries(EXPECTED)) {
    for (const format of FORMATS) {
      it(`${name} (${format}) converts to its hand-written definition`, () => {
        assert.deepEqual(kerasToArchitecture(fixture(name, format)), expected);
      });
    }
  }

  it('every fixture but the unsupported one has a hand-written definition', () => {
    assert.deepEqual(Object.keys(PARAMS).sort(), [...Object.keys(EXPECTED), 'unsupported_lambda'].sort());
  });

  for (const format of FORMATS) {
    it(`a Lambda layer (${format}) is refused, naming the class and the layer's path`, () => {
      assertInvalid(
        () => convert(fixture('unsupported_lambda', format)),
        'architecture.config.config.layers[2]',
        /Keras layer class 'Lambda' is not supported/,
      );
    });
  }

  it('error paths are relative to the Keras JSON unless placed', () => {
    assertInvalid(() => kerasToArchitecture(fixture('unsupported_lambda', 'keras3')), 'config.layers[2]', /'Lambda'/);
  });
});

describe('kerasToArchitecture: arguments', () => {
  it('keeps a seeded or non-default initializer and a regularizer as Keras objects, without bookkeeping', () => {
    const json = fixture('iris', 'keras3');
    json.config.layers[1].config.kernel_initializer.config.seed = 42;
    json.config.layers[1].config.bias_initializer = {
      module: 'keras.initializers',
      class_name: 'RandomNormal',
      config: { mean: 0, stddev: 0.1, seed: null },
      registered_name: null,
    };
    json.config.layers[1].config.kernel_regularizer = {
      module: 'keras.regularizers',
      class_name: 'L2',
      config: { l2: 0.001 },
      registered_name: null,
    };
    const [dense] = (convert(json) as { layers: unknown[] }).layers;
    assert.deepEqual(dense, {
      type: 'Dense',
      name: 'dense',
      units: 8,
      kernel_initializer: { class_name: 'GlorotUniform', config: { seed: 42 } },
      bias_initializer: { class_name: 'RandomNormal', config: { mean: 0, stddev: 0.1 } },
      kernel_regularizer: { class_name: 'L2', config: { l2: 0.001 } },
    });
  });

  it('names an initializer with default arguments as Keras does, dropping it where it is the default', () => {
    const json = fixture('housing', 'keras3');
    json.config.layers[1].config.kernel_initializer = {
      module: 'keras.initializers',
      class_name: 'VarianceScaling',
      config: { scale: 1.0, mode: 'fan_in', distribution: 'truncated_normal', seed: null },
      registered_name: null,
    };
    json.config.layers[3].config.kernel_initializer = 'glorot_uniform';
    const { layers } = convert(json) as { layers: unknown[] };
    assert.deepEqual(layers[0], { type: 'Dense', name: 'dense', units: 16, activation: 'relu', kernel_initializer: 'variance_scaling' });
    assert.deepEqual(layers[2], { type: 'Dense', name: 'dense_1', units: 16, activation: 'relu' });
  });

  it('keeps a trainable: false layer frozen', () => {
    const json = fixture('iris', 'keras2');
    json.config.layers[1].config.trainable = false;
    assert.deepEqual((convert(json) as { layers: unknown[] }).layers[0], { type: 'Dense', name: 'dense', units: 8, trainable: false });
  });

  it('keeps channels_first where the catalogue honours it (2D)', () => {
    const json = fixture('mnist_cnn', 'keras3');
    json.config.layers[2].config.data_format = 'channels_first';
    const [, pooling] = (convert(json) as { layers: unknown[] }).layers;
    assert.deepEqual(pooling, { type: 'MaxPooling2D', name: 'max_pooling2d', data_format: 'channels_first' });
  });

  const refusals: [string, string, 'keras2' | 'keras3', (json: Json) => void, string, RegExp][] = [
    [
      'data_format channels_first on a 1D layer',
      'sequence_zoo',
      'keras3',
      (json) => (json.config.layers[2].config.data_format = 'channels_first'),
      'architecture.config.config.layers[2].config.data_format',
      /channels_first.*Conv1D 'conv1d'/,
    ],
    [
      'a weight constraint',
      'iris',
      'keras3',
      (json) => (json.config.layers[1].config.kernel_constraint = { class_name: 'MaxNorm', config: { max_value: 2, axis: 0 } }),
      'architecture.config.config.layers[1].config.kernel_constraint',
      /constraints.*Dense 'dense'/,
    ],
    [
      "Keras's default GRU (reset_after=True)",
      'sequence_zoo',
      'keras2',
      (json) => (json.config.layers[6].config.reset_after = true),
      'architecture.config.config.layers[6].config.reset_after',
      /reset_after.*GRU 'gru'/,
    ],
    [
      'an unsupported activation',
      'iris',
      'keras3',
      (json) => (json.config.layers[2].config.activation = 'leaky_relu'),
      'architecture.config.config.layers[2].config.activation',
      /leaky_relu.*Activation 'activation'/,
    ],
    [
      'a mixed-precision dtype policy',
      'iris',
      'keras3',
      (json) => (json.config.layers[1].config.dtype.config.name = 'mixed_float16'),
      'architecture.config.config.layers[1].config.dtype',
      /float32/,
    ],
    [
      'an argument the catalogue does not know, set',
      'iris',
      'keras3',
      (json) => (json.config.layers[1].config.lora_rank = 4),
      'architecture.config.config.layers[1].config.lora_rank',
      /'lora_rank' of Keras layer Dense 'dense' is not supported/,
    ],
    [
      'a custom layer registered by user code',
      'iris',
      'keras3',
      (json) => Object.assign(json.config.layers[2], { module: null, class_name: 'Scale', registered_name: 'my_pkg>Scale' }),
      'architecture.config.config.layers[2]',
      /Keras layer class 'Scale' \(registered as 'my_pkg>Scale'\) is not supported/,
    ],
    [
      'a user class that shadows a Keras name',
      'iris',
      'keras3',
      (json) => (json.config.layers[1].module = 'my_project.layers'),
      'architecture.config.config.layers[1]',
      /Keras layer class 'Dense' is not supported/,
    ],
    [
      'a nested model',
      'mnist_mlp_functional',
      'keras3',
      (json) => (json.config.layers[2].class_name = 'Sequential'),
      'architecture.config.config.layers[2]',
      /Keras layer class 'Sequential' is not supported/,
    ],
    [
      'sparse inputs',
      'iris',
      'keras3',
      (json) => (json.config.layers[0].config.sparse = true),
      'architecture.config.config.layers[0].config.sparse',
      /sparse inputs are not supported/,
    ],
    [
      'a fixed batch size',
      'iris',
      'keras2',
      (json) => (json.config.layers[0].config.batch_input_shape = [32, 4]),
      'architecture.config.config.layers[0].config.batch_input_shape',
      /fixed batch size \(32\)/,
    ],
    [
      'a model class other than Sequential and Functional',
      'iris',
      'keras3',
      (json) => (json.class_name = 'MyModel'),
      'architecture.config.class_name',
      /Keras model class 'MyModel' is not supported/,
    ],
  ];
  for (const [what, name, format, edit, path, message] of refusals) {
    it(`refuses ${what} at its path in the Keras JSON`, () => {
      const json = fixture(name, format);
      edit(json);
      assertInvalid(() => convert(json), path, message);
    });
  }
});

describe('kerasToArchitecture: input shapes', () => {
  it('reads a Keras 2 Sequential without an InputLayer from batch_input_shape on its first layer (older tf.keras)', () => {
    // tf.keras 2.4's to_json() for the seed's Iris model built with Dense(8, input_shape=(4,)).
    const json = {
      class_name: 'Sequential',
      config: {
        name: 'sequential',
        layers: [
          {
            class_name: 'Dense',
            config: {
              name: 'dense',
              trainable: true,
              batch_input_shape: [null, 4],
              dtype: 'float32',
              units: 8,
              activation: 'linear',
              use_bias: true,
              kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
              bias_initializer: { class_name: 'Zeros', config: {} },
              kernel_regularizer: null,
              bias_regularizer: null,
              activity_regularizer: null,
              kernel_constraint: null,
              bias_constraint: null,
            },
          },
          { class_name: 'Activation', config: { name: 'activation', trainable: true, dtype: 'float32', activation: 'relu' } },
        ],
      },
      keras_version: '2.4.0',
      backend: 'tensorflow',
    };
    const expected = {
      type: 'sequential',
      input_shape: [4],
      layers: [
        { type: 'Dense', name: 'dense', units: 8 },
        { type: 'Activation', name: 'activation', activation: 'relu' },
      ],
    };
    assert.deepEqual(convert(json), expected);
    // Early Keras 2 releases wrote the config as the bare list of layers.
    assert.deepEqual(convert({ ...json, config: json.config.layers }), expected);
  });

  it("reads Keras 3's build_input_shape when a Sequential has no InputLayer", () => {
    const json = fixture('iris', 'keras3');
    json.config.layers.shift();
    assert.deepEqual(convert(json), EXPECTED.iris);
  });

  it('leaves a Sequential input shape with a None size to the data, as when none is given', () => {
    const json = fixture('sequence_zoo', 'keras2');
    json.config.layers[0].config.batch_input_shape = [null, null];
    json.config.layers[1].config.batch_input_shape = [null, null];
    const converted = convert(json) as { input_shape?: unknown; layers: unknown[] };
    assert.equal(converted.input_shape, undefined);
    assert.equal(converted.layers.length, 8);
  });

  it('refuses a functional input with a None size', () => {
    const json = fixture('mnist_mlp_functional', 'keras3');
    json.config.layers[0].config.batch_shape = [null, null, 28];
    assertInvalid(() => convert(json), 'architecture.config.config.layers[0].config', /input 'pixels'.*unknown size/);
  });
});

describe('kerasToArchitecture: functional wiring', () => {
  it('refuses a shared layer (one layer called twice)', () => {
    const json = fixture('branches_add', 'keras3');
    const hidden = json.config.layers[1];
    hidden.inbound_nodes.push(hidden.inbound_nodes[0]);
    assertInvalid(() => convert(json), 'architecture.config.config.layers[1].inbound_nodes[1]', /'hidden' is called 2 times/);
  });

  it("refuses a reference to a layer's second call or second output", () => {
    const keras2 = fixture('branches_add', 'keras2');
    keras2.config.layers[3].inbound_nodes[0][1][1] = 1;
    assertInvalid(
      () => convert(keras2),
      'architecture.config.config.layers[3].inbound_nodes[0][1]',
      /layer 'skip' is called more than once/,
    );
    const keras3 = fixture('branches_add', 'keras3');
    keras3.config.output_layers = ['price', 0, 1];
    assertInvalid(() => convert(keras3), 'architecture.config.config.output_layers', /output 1 of layer 'price'/);
  });

  it("accepts Keras 3's recorded training=False but refuses call arguments that change the layer", () => {
    const keras3 = fixture('branches_add', 'keras3');
    assert.deepEqual(keras3.config.layers[4].inbound_nodes[0].kwargs, { training: false });
    keras3.config.layers[4].inbound_nodes[0].kwargs = { training: true };
    assertInvalid(
      () => convert(keras3),
      'architecture.config.config.layers[4].inbound_nodes[0].kwargs.training',
      /call argument training=true of Keras layer Dropout 'dropped' is not supported/,
    );
    const keras2 = fixture('branches_add', 'keras2');
    keras2.config.layers[4].inbound_nodes[0][0][3] = { training: false };
    assertInvalid(() => convert(keras2), 'architecture.config.config.layers[4].inbound_nodes[0][0][3].training', /training=false/);
  });
});

describe('Keras import through parseModelDefinition', () => {
  const limits = { maxParams: 10_000_000, maxLayers: 100 };
  const single = Object.keys(EXPECTED).filter((name) => name !== 'two_towers');

  for (const name of single) {
    for (const format of FORMATS) {
      it(`${name} (${format}) parses, and its summary counts Keras's ${PARAMS[name]} parameters`, () => {
        const definition = parseModelDefinition({ name, architecture: { type: 'keras', config: fixture(name, format) } });
        assert.deepEqual(definition.architecture, parseModelDefinition({ architecture: EXPECTED[name] }).architecture);
        const summary = checkModel(definition, limits);
        assert.equal(summary?.total_params, PARAMS[name]);
      });
    }
  }

  it('takes the JSON text that model.to_json() returns', () => {
    const text = readFileSync(new URL('iris.keras3.json', FIXTURES), 'utf8');
    const definition = parseModelDefinition({ architecture: { type: 'keras', config: text } });
    assert.equal(checkModel(definition, limits)?.total_params, PARAMS.iris);
  });

  it('places conversion errors under architecture.config', () => {
    assertInvalid(
      () => parseModelDefinition({ architecture: { type: 'keras', config: fixture('unsupported_lambda', 'keras2') } }),
      'architecture.config.config.layers[2]',
      /Keras layer class 'Lambda' is not supported/,
    );
  });

  it('converts a two-input, two-output model that modelyard then refuses: a job trains on one x and one y', () => {
    assert.throws(
      () => parseModelDefinition({ architecture: { type: 'keras', config: fixture('two_towers', 'keras3') } }),
      (error: unknown) => error instanceof ValidationError && error.details.some((d) => d.path === 'architecture.inputs'),
    );
  });
});
