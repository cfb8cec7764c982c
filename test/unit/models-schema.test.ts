import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { ValidationError } from '../../src/errors.js';
import { CompileSchema, LAYER_TYPES, ModelDefinitionSchema, parseModelDefinition } from '../../src/models/index.js';

function refused(fn: () => unknown, path: string, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    assert.equal(error.details[0]?.path, path);
    assert.match(error.details[0]?.message ?? '', pattern);
    return true;
  });
}

const layer = (config: Record<string, unknown>) =>
  parseModelDefinition({ architecture: { type: 'sequential', input_shape: [8, 8, 2], layers: [config] } });

const firstLayer = (config: Record<string, unknown>) => layer(config).architecture.layers[0] as Record<string, unknown>;

describe('parseModelDefinition: layers take Keras arguments with Keras defaults', () => {
  it('fills Dense defaults', () => {
    assert.deepEqual(firstLayer({ type: 'Dense', units: 3 }), {
      type: 'Dense',
      trainable: true,
      units: 3,
      activation: 'linear',
      use_bias: true,
      kernel_initializer: 'glorot_uniform',
      bias_initializer: 'zeros',
      kernel_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
    });
  });

  it('fills convolution, pooling, normalization and recurrent defaults', () => {
    const conv = firstLayer({ type: 'Conv2D', filters: 4, kernel_size: 3 });
    assert.equal(conv.padding, 'valid');
    assert.deepEqual(conv.strides, [1, 1]);
    assert.equal(conv.kernel_initializer, 'glorot_uniform');
    const pool = firstLayer({ type: 'MaxPooling2D' });
    assert.deepEqual([pool.pool_size, pool.strides, pool.padding], [[2, 2], null, 'valid']);
    const bn = firstLayer({ type: 'BatchNormalization' });
    assert.deepEqual([bn.axis, bn.momentum, bn.epsilon, bn.center, bn.scale], [-1, 0.99, 0.001, true, true]);
    assert.equal(firstLayer({ type: 'LayerNormalization' }).epsilon, 0.001);
    const lstm = firstLayer({ type: 'LSTM', units: 2 });
    assert.deepEqual(
      [lstm.activation, lstm.recurrent_activation, lstm.recurrent_initializer, lstm.unit_forget_bias, lstm.return_sequences],
      ['tanh', 'sigmoid', 'orthogonal', true, false],
    );
    assert.equal(firstLayer({ type: 'Embedding', input_dim: 10, output_dim: 2 }).embeddings_initializer, 'uniform');
    assert.equal(firstLayer({ type: 'Rescaling', scale: 0.5 }).offset, 0);
  });

  it('accepts Keras bookkeeping: name, trainable, dtype float32, initializer and regularizer objects', () => {
    const dense = firstLayer({
      type: 'Dense',
      units: 3,
      name: 'hidden_1',
      trainable: false,
      dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null },
      kernel_initializer: { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null }, registered_name: null },
      bias_initializer: { class_name: 'RandomNormal' },
      kernel_regularizer: { class_name: 'L2', config: { l2: 0.001 } },
    });
    assert.equal(dense.name, 'hidden_1');
    assert.deepEqual(dense.bias_initializer, { class_name: 'RandomNormal', config: { mean: 0, stddev: 0.05 } });
  });

  it('is idempotent: a parsed definition parses to itself', () => {
    const once = parseModelDefinition({
      architecture: { type: 'sequential', layers: [{ type: 'Dense', units: 3 }, { type: 'GRU', units: 2, reset_after: false }] },
      compile: { loss: 'mse', optimizer: { type: 'adam' } },
    });
    assert.deepEqual(parseModelDefinition(once), once);
  });
});

describe('parseModelDefinition: refusals name the argument at its path', () => {
  it('Dense with 0 units', () => {
    refused(() => layer({ type: 'Dense', units: 0 }), 'architecture.layers[0].units', /must be a positive integer/);
    refused(() => layer({ type: 'Dense', units: 2.5 }), 'architecture.layers[0].units', /must be a positive integer/);
  });

  it('an unknown argument, named for its layer', () => {
    refused(() => layer({ type: 'Dense', units: 2, kernel_size: 3 }), 'architecture.layers[0].kernel_size', /^Dense has no argument "kernel_size"$/);
  });

  it('an unknown or missing layer type', () => {
    refused(() => layer({ type: 'SimpleRNN', units: 2 }), 'architecture.layers[0].type', /unknown or unsupported layer type "SimpleRNN"; supported: InputLayer, Dense/);
    refused(() => layer({ units: 2 }), 'architecture.layers[0].type', /a layer needs a "type"/);
  });

  it('activations TensorFlow.js lacks or computes differently', () => {
    refused(() => layer({ type: 'Dense', units: 2, activation: 'hard_sigmoid' }), 'architecture.layers[0].activation', /hard_sigmoid.*Keras 3/);
    refused(() => layer({ type: 'Activation', activation: 'leaky_relu' }), 'architecture.layers[0].activation', /not supported/);
    refused(() => layer({ type: 'Activation', activation: 'relux' }), 'architecture.layers[0].activation', /unknown activation "relux"; supported: linear, relu/);
    for (const name of ['gelu', 'mish', 'swish', 'silu', 'elu', 'selu', 'softplus', 'softsign', 'relu6', 'log_softmax']) {
      assert.equal(firstLayer({ type: 'Activation', activation: name }).activation, name);
    }
  });

  it('argument values TensorFlow.js cannot honour', () => {
    refused(
      () => layer({ type: 'Conv1D', filters: 2, kernel_size: 3, padding: 'causal' }),
      'architecture.layers[0].padding',
      /"causal" is not supported by TensorFlow.js/,
    );
    refused(
      () => layer({ type: 'Conv2D', filters: 2, kernel_size: 3, dilation_rate: 2 }),
      'architecture.layers[0].dilation_rate',
      /dilation_rate other than 1/,
    );
    refused(() => layer({ type: 'Conv2D', filters: 2, kernel_size: 3, groups: 2 }), 'architecture.layers[0].groups', /grouped/);
    refused(() => layer({ type: 'MaxPooling1D', data_format: 'channels_first' }), 'architecture.layers[0].data_format', /1D layers/);
    refused(() => layer({ type: 'Dense', units: 2, kernel_constraint: { class_name: 'MaxNorm' } }), 'architecture.layers[0].kernel_constraint', /not applied/);
    refused(() => layer({ type: 'Dense', units: 2, kernel_initializer: 'glorot_uniformx' }), 'architecture.layers[0].kernel_initializer', /unknown or unsupported initializer/);
    refused(() => layer({ type: 'Dense', units: 2, dtype: 'float16' }), 'architecture.layers[0].dtype', /float32 only/);
    refused(() => layer({ type: 'LSTM', units: 2, stateful: true }), 'architecture.layers[0].stateful', /stateful/);
    refused(() => layer({ type: 'GRU', units: 2, reset_after: false, recurrent_regularizer: 'l3' }), 'architecture.layers[0].recurrent_regularizer', /unknown or unsupported regularizer "l3"/);
    refused(() => layer({ type: 'Dropout', rate: 1 }), 'architecture.layers[0].rate', /\[0, 1\)/);
    refused(() => layer({ type: 'BatchNormalization', center: false }), 'architecture.layers[0].center', /cannot train without it/);
    refused(() => layer({ type: 'LayerNormalization', scale: false }), 'architecture.layers[0].scale', /cannot train without it/);
  });

  it("GRU without reset_after: Keras's default is one tfjs does not implement", () => {
    refused(() => layer({ type: 'GRU', units: 2 }), 'architecture.layers[0].reset_after', /set "reset_after": false/);
    assert.equal(firstLayer({ type: 'GRU', units: 2, reset_after: false }).reset_after, false);
  });

  it('architecture mistakes', () => {
    refused(() => parseModelDefinition({ architecture: { type: 'graph' } }), 'architecture.type', /sequential, functional or keras, found "graph"/);
    refused(() => parseModelDefinition({ architecture: { type: 'sequential', layers: [] } }), 'architecture.layers', /at least one layer/);
    refused(
      () =>
        parseModelDefinition({
          architecture: { type: 'functional', inputs: [{ name: 'a', shape: [2] }, { name: 'b', shape: [2] }], layers: [], outputs: ['c'] },
        }),
      'architecture.inputs',
      /exactly one input/,
    );
    refused(
      () =>
        parseModelDefinition({
          architecture: { type: 'functional', inputs: [{ name: 'a', shape: [2] }], layers: [{ type: 'InputLayer', name: 'b', shape: [2], inputs: ['a'] }], outputs: ['b'] },
        }),
      'architecture.layers[0].type',
      /declares its inputs in architecture.inputs/,
    );
    refused(() => parseModelDefinition({ architecture: { type: 'sequential', layers: [{ type: 'Dense', units: 1 }] }, extra: 1 }), 'extra', /unknown key "extra"/);
  });

  it("puts errors under the caller's path prefix", () => {
    refused(() => parseModelDefinition({ architecture: { type: 'sequential', layers: [{ type: 'Dense', units: 0 }] } }, 'model'), 'model.architecture.layers[0].units', /positive integer/);
    refused(
      () => parseModelDefinition({ architecture: { type: 'sequential', layers: [{ type: 'Dense', units: 1, name: 'a' }, { type: 'Dense', units: 1, name: 'a' }] } }, 'model'),
      'model.architecture.layers[1].name',
      /duplicate/,
    );
  });

  it('a keras architecture whose config is not JSON', () => {
    refused(() => parseModelDefinition({ architecture: { type: 'keras', config: '{not json' } }), 'architecture.config', /./);
  });
});

describe('compile', () => {
  it("defaults to Keras's rmsprop and no metrics", () => {
    assert.deepEqual(CompileSchema.parse({ loss: 'mse' }), { optimizer: 'rmsprop', loss: 'mse', metrics: [] });
  });

  it('fills optimizer objects with Keras defaults', () => {
    assert.deepEqual(CompileSchema.parse({ loss: 'mse', optimizer: { type: 'sgd' } }).optimizer, {
      type: 'sgd',
      learning_rate: 0.01,
      momentum: 0,
      nesterov: false,
    });
    assert.deepEqual(CompileSchema.parse({ loss: 'mse', optimizer: { type: 'Adam', learning_rate: 0.01 } }).optimizer, {
      type: 'Adam',
      learning_rate: 0.01,
      beta_1: 0.9,
      beta_2: 0.999,
      epsilon: 1e-7,
      amsgrad: false,
    });
  });

  it('normalizes loss aliases in a parsed definition, keeping metric names as given', () => {
    const def = parseModelDefinition({
      architecture: { type: 'sequential', layers: [{ type: 'Dense', units: 1 }] },
      compile: { loss: 'mse', metrics: ['mae', 'acc'] },
    });
    assert.deepEqual(def.compile, { optimizer: 'rmsprop', loss: 'mean_squared_error', metrics: ['mae', 'acc'] });
  });

  const compile = (spec: unknown) =>
    parseModelDefinition({ architecture: { type: 'sequential', layers: [{ type: 'Dense', units: 1 }] }, compile: spec });

  it('refuses by name what TensorFlow.js cannot honour', () => {
    refused(() => compile({ loss: 'mse', optimizer: 'nadam' }), 'compile.optimizer', /"nadam" is not available in TensorFlow.js/);
    refused(() => compile({ loss: 'mse', optimizer: { type: 'adam', amsgrad: true } }), 'compile.optimizer.amsgrad', /amsgrad/);
    refused(() => compile({ loss: 'mse', optimizer: { type: 'rmsprop', centered: true } }), 'compile.optimizer.centered', /centered RMSprop is not supported/);
    refused(() => compile({ loss: 'mse', optimizer: { type: 'sgd', clipnorm: 1 } }), 'compile.optimizer.clipnorm', /clipnorm/);
    refused(() => compile({ loss: 'binary_focal_crossentropy' }), 'compile.loss', /not available in TensorFlow.js/);
    refused(() => compile({ loss: 'mse', metrics: ['precision'] }), 'compile.metrics[0]', /whole epoch/);
    refused(() => compile({ loss: 'mse', metrics: ['accuracy', 'acc'] }), 'compile.metrics[1]', /"accuracy" is listed twice/);
    refused(() => compile({ metrics: ['mae'] }), 'compile.loss', /./);
  });
});

describe('ModelDefinitionSchema', () => {
  it('has a JSON Schema for OpenAPI, listing every layer type', () => {
    const schema = JSON.stringify(z.toJSONSchema(ModelDefinitionSchema, { io: 'input' }));
    for (const type of LAYER_TYPES) assert.ok(schema.includes(`"const":"${type}"`), type);
  });
});
