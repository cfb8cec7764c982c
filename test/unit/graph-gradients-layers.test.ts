import { describe, it } from 'node:test';
import type { Dataset } from '../../src/datasets/types.js';
import { checkGradient } from '../support/graph-gradient.js';
import { dataset, floats } from '../support/graph.js';

// The layers whose backward is spliced in by hand (Conv3D) or built from the C API's gradients of ops it was
// not yet checked on here (Embedding's GatherV2 with repeated indices, the 3D poolings, unrolled LSTM and GRU),
// against central finite differences (tolerances in test/support/graph-gradient.ts).

/** Token sequences over a vocabulary of `vocabulary`, every index used more than once. */
function tokens(n: number, length: number, vocabulary: number, outputs: number): Dataset {
  const u = floats([n, length], 7, 0, 1);
  const x = Float32Array.from(u, (v) => Math.floor(v * vocabulary));
  const y = floats([n, outputs], 8);
  return { x: { data: x, shape: [n, length], dtype: 'float32' }, y: { data: y, shape: [n, outputs], dtype: 'float32' } };
}

const volumes = dataset(4, [4, 4, 4, 2], [2], (x) => [(x[0] as number) + (x[9] as number), (x[20] as number) * (x[3] as number)]);
const sequences = dataset(5, [4, 3], [2], (x) => [(x[0] as number) - (x[7] as number), (x[5] as number) * (x[10] as number)]);

describe('graph gradients against finite differences: Embedding, 3D and recurrent layers', () => {
  it('Embedding: rows gathered more than once sum their gradients', () =>
    checkGradient(
      [{ type: 'Embedding', input_dim: 5, output_dim: 3 }, { type: 'Flatten' }, { type: 'Dense', units: 2 }],
      'mse',
      tokens(6, 4, 5, 2),
    ));

  it('Embedding with an L2 regularizer', () =>
    checkGradient(
      [{ type: 'Embedding', input_dim: 4, output_dim: 2, embeddings_regularizer: { class_name: 'L2', config: { l2: 0.05 } } }, { type: 'GlobalAveragePooling1D' }, { type: 'Dense', units: 2 }],
      'mse',
      tokens(6, 5, 4, 2),
    ));

  it('Conv3D as the first layer: the spliced filter backward', () =>
    checkGradient([{ type: 'Conv3D', filters: 2, kernel_size: 2, activation: 'tanh' }, { type: 'Flatten' }, { type: 'Dense', units: 2 }], 'mse', volumes));

  it('Conv3D after a Dense and before another Conv3D: the spliced input backward carries the gradient on to earlier weights', () =>
    checkGradient(
      [
        { type: 'Dense', units: 2, activation: 'tanh' },
        { type: 'Conv3D', filters: 2, kernel_size: 3, strides: 2, padding: 'same', activation: 'tanh', kernel_regularizer: { class_name: 'L2', config: { l2: 0.1 } } },
        { type: 'Conv3D', filters: 1, kernel_size: 2, padding: 'valid' },
        { type: 'Flatten' },
        { type: 'Dense', units: 2 },
      ],
      'mse',
      volumes,
    ));

  it('Conv3D straight into Conv3D, the second reading the first cut as it is', () =>
    checkGradient(
      [
        { type: 'Conv3D', filters: 2, kernel_size: 2, use_bias: false },
        { type: 'Conv3D', filters: 2, kernel_size: 2, padding: 'same', activation: 'tanh' },
        { type: 'Flatten' },
        { type: 'Dense', units: 2 },
      ],
      'mse',
      volumes,
    ));

  it('a weight reached both around a Conv3D and through it sums the two gradients', () =>
    checkGradient(
      {
        type: 'functional',
        inputs: [{ name: 'volume', shape: [4, 4, 4, 2] }],
        layers: [
          { type: 'Dense', name: 'd', units: 2, activation: 'tanh', inputs: ['volume'] },
          { type: 'Conv3D', name: 'c', filters: 2, kernel_size: 3, padding: 'same', activation: 'tanh', inputs: ['d'] },
          { type: 'Add', name: 'skip', inputs: ['c', 'd'] },
          { type: 'Flatten', name: 'flat', inputs: ['skip'] },
          { type: 'Dense', name: 'out', units: 2, inputs: ['flat'] },
        ],
        outputs: ['out'],
      },
      'mse',
      volumes,
    ));

  // One channel scaled by one weight keeps each window's maximum where it is, away from the kinks finite differences trip on.
  it('MaxPooling3D', () =>
    checkGradient(
      [{ type: 'Dense', units: 1 }, { type: 'MaxPooling3D', pool_size: 2 }, { type: 'Flatten' }, { type: 'Dense', units: 2 }],
      'mse',
      dataset(4, [4, 4, 4, 1], [2], (x) => [(x[0] as number) + (x[9] as number), (x[20] as number) * (x[3] as number)]),
    ));

  it('AveragePooling3D', () =>
    checkGradient(
      [
        { type: 'Conv3D', filters: 2, kernel_size: 2, padding: 'same', activation: 'tanh' },
        { type: 'AveragePooling3D', pool_size: 2 },
        { type: 'AveragePooling3D', pool_size: 2, strides: 1, padding: 'same' },
        { type: 'Flatten' },
        { type: 'Dense', units: 2 },
      ],
      'mse',
      volumes,
    ));

  it('LSTM returning sequences into an LSTM going backwards', () =>
    checkGradient(
      [
        { type: 'LSTM', units: 3, return_sequences: true },
        { type: 'LSTM', units: 2, go_backwards: true },
        { type: 'Dense', units: 2 },
      ],
      'mse',
      sequences,
    ));

  it('GRU (reset_after=false) with other activations', () =>
    checkGradient(
      [
        { type: 'GRU', units: 3, reset_after: false, activation: 'softsign', recurrent_activation: 'tanh', return_sequences: true },
        { type: 'Flatten' },
        { type: 'Dense', units: 2 },
      ],
      'mse',
      sequences,
    ));

  it('Embedding into a GRU going backwards, classified with sparse categorical crossentropy', () =>
    checkGradient(
      [
        { type: 'Embedding', input_dim: 5, output_dim: 3 },
        { type: 'GRU', units: 3, reset_after: false, go_backwards: true },
        { type: 'Dense', units: 2, activation: 'softmax' },
      ],
      'sparse_categorical_crossentropy',
      (() => {
        const d = tokens(6, 4, 5, 1);
        return { ...d, y: { ...d.y, data: Float32Array.from(d.y.data, (v) => (v > 0 ? 1 : 0)) } };
      })(),
    ));
});
