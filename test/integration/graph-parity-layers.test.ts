import { before, describe, it } from 'node:test';
import type { Dataset } from '../../src/datasets/types.js';
import { selectBackend } from '../../src/tf/backend.js';
import { dataset, floats, seeded } from '../support/graph.js';
import { assertParity, type Case } from '../support/graph-parity.js';

// Embedding, Conv3D, the 3D poolings, LSTM and GRU on the graph engine against the eager engine, with the
// tolerances of test/support/graph-parity.ts.

before(async () => {
  await selectBackend('tensorflow');
});

const sgd = { type: 'sgd', learning_rate: 0.1 };

/** Token sequences of `length` over `vocabulary`; labels from the first tokens. */
function tokens(n: number, length: number, vocabulary: number): Dataset {
  const x = Float32Array.from(floats([n, length], 5, 0, 1), (v) => Math.floor(v * vocabulary));
  const y = Float32Array.from({ length: n }, (_, i) => ((x[i * length] as number) + (x[i * length + 1] as number) > vocabulary ? 1 : 0));
  return { x: { data: x, shape: [n, length], dtype: 'float32' }, y: { data: y, shape: [n, 1], dtype: 'float32' } };
}

const sequences = dataset(23, [5, 3], [2], (x) => [(x[0] as number) - (x[7] as number), (x[5] as number) * (x[13] as number)]);
const volumes = dataset(19, [4, 4, 4, 2], [1], (x) => [(x[0] as number) + (x[37] as number) > 0 ? 1 : 0]);

const volumeCase = (layers: unknown[], optimizer: unknown = sgd): Case => ({
  input_shape: [4, 4, 4, 2],
  layers: [...layers, { type: 'Flatten' }, { type: 'Dense', units: 2, activation: 'softmax', kernel_initializer: seeded(102) }],
  compile: { optimizer, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
  data: volumes,
});
const conv3d = (extra: Record<string, unknown> = {}) => ({ type: 'Conv3D', filters: 3, kernel_size: 2, activation: 'relu', kernel_initializer: seeded(101), ...extra });

const recurrentCase = (layers: unknown[], optimizer: unknown = sgd): Case => ({
  input_shape: [5, 3],
  layers: [...layers, { type: 'Dense', units: 2, kernel_initializer: seeded(112) }],
  compile: { optimizer, loss: 'mse', metrics: ['mae'] },
  data: sequences,
});
const lstm = (extra: Record<string, unknown> = {}) => ({
  type: 'LSTM',
  units: 4,
  kernel_initializer: seeded(111),
  recurrent_initializer: seeded(113),
  ...extra,
});
const gru = (extra: Record<string, unknown> = {}) => ({ ...lstm(extra), type: 'GRU', reset_after: false });

describe('graph engine parity with the eager engine: Embedding', () => {
  const text = tokens(23, 4, 6);
  const cases: [string, Case][] = [
    ['Embedding, Flatten and Dense', {
      input_shape: [4],
      layers: [{ type: 'Embedding', input_dim: 6, output_dim: 3, embeddings_initializer: seeded(91, 'RandomUniform') }, { type: 'Flatten' }, { type: 'Dense', units: 1, activation: 'sigmoid', kernel_initializer: seeded(92) }],
      compile: { optimizer: sgd, loss: 'binary_crossentropy', metrics: ['accuracy'] },
      data: text,
    }],
    ['Embedding with an L2 regularizer and adam', {
      input_shape: [4],
      layers: [
        { type: 'Embedding', input_dim: 6, output_dim: 3, input_length: 4, embeddings_initializer: seeded(93, 'RandomUniform'), embeddings_regularizer: { class_name: 'L2', config: { l2: 0.01 } } },
        { type: 'GlobalAveragePooling1D' },
        { type: 'Dense', units: 1, activation: 'sigmoid', kernel_initializer: seeded(94) },
      ],
      compile: { optimizer: { type: 'adam', learning_rate: 0.01 }, loss: 'binary_crossentropy' },
      data: text,
      weightAtol: 5e-4,
    }],
    ['Embedding into an LSTM', {
      input_shape: [4],
      layers: [
        { type: 'Embedding', input_dim: 6, output_dim: 3, embeddings_initializer: seeded(95, 'RandomUniform') },
        lstm(),
        { type: 'Dense', units: 1, activation: 'sigmoid', kernel_initializer: seeded(96) },
      ],
      compile: { optimizer: sgd, loss: 'binary_crossentropy', metrics: ['accuracy'] },
      data: text,
    }],
  ];
  for (const [name, c] of cases) it(name, () => assertParity(c));
});

describe('graph engine parity with the eager engine: Conv3D and the 3D poolings', () => {
  const cases: [string, Case][] = [
    ['Conv3D, valid padding', volumeCase([conv3d()])],
    ['Conv3D, same padding, strides 2, with adam', { ...volumeCase([conv3d({ padding: 'same', strides: 2 })], { type: 'adam', learning_rate: 0.01 }), weightAtol: 5e-4 }],
    ['two Conv3D layers, the second without bias', volumeCase([conv3d({ padding: 'same' }), conv3d({ filters: 2, use_bias: false, activation: 'tanh', kernel_initializer: seeded(103) })])],
    ['a frozen Conv3D after a Dense: the gradient still goes through it', volumeCase([{ type: 'Dense', units: 2, activation: 'tanh', kernel_initializer: seeded(104) }, conv3d({ trainable: false })])],
    ['MaxPooling3D', volumeCase([conv3d({ padding: 'same' }), { type: 'MaxPooling3D' }])],
    ['AveragePooling3D, same padding, strides 1', volumeCase([conv3d(), { type: 'AveragePooling3D', pool_size: 2, strides: 1, padding: 'same' }])],
  ];
  for (const [name, c] of cases) it(name, () => assertParity(c));
});

describe('graph engine parity with the eager engine: LSTM and GRU', () => {
  const cases: [string, Case][] = [
    ['LSTM', recurrentCase([lstm()])],
    ['LSTM returning sequences into an LSTM going backwards, with rmsprop', { ...recurrentCase([lstm({ return_sequences: true }), lstm({ units: 3, go_backwards: true, kernel_initializer: seeded(114) })], 'rmsprop'), weightAtol: 5e-4 }],
    ['LSTM without bias, with other activations', recurrentCase([lstm({ use_bias: false, activation: 'softsign', recurrent_activation: 'tanh' })])],
    ['LSTM going backwards returning sequences', recurrentCase([lstm({ go_backwards: true, return_sequences: true }), { type: 'Flatten' }])],
    ['GRU', recurrentCase([gru()])],
    // Not adam: its first steps move every weight by about the learning rate whatever the gradient's size, and
    // some of this model's gradients are so small that float rounding flips their sign (with sgd the two
    // engines' weights agree within 1e-7).
    ['GRU returning sequences into a GRU going backwards, with momentum', recurrentCase([gru({ return_sequences: true }), gru({ units: 3, go_backwards: true, kernel_initializer: seeded(115) })], { type: 'sgd', learning_rate: 0.05, momentum: 0.9 })],
    ['GRU with relu, a constant bias and validation_split', { ...recurrentCase([gru({ activation: 'relu', bias_initializer: { class_name: 'Constant', config: { value: 0.1 } } })]), fit: { validation_split: 0.25 } }],
  ];
  for (const [name, c] of cases) it(name, () => assertParity(c));
});
