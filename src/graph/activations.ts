import type { ActivationName } from '../models/index.js';
import type { Output } from './addon.js';
import type { GraphBuilder } from './builder.js';

/** What an activation leaves for the loss: Keras computes crossentropy from the logits under a softmax or sigmoid. */
export interface Activated {
  out: Output;
  logits?: { kind: 'softmax' | 'sigmoid'; value: Output };
}

/** Keras's activations as graph ops, computed as Keras 3 computes them. */
export function activate(b: GraphBuilder, name: ActivationName | null, x: Output): Activated {
  switch (name) {
    case null:
    case 'linear':
      return { out: x };
    case 'relu':
      return { out: b.relu(x) };
    case 'relu6':
      return { out: b.f('Relu6', [x]) };
    case 'elu':
      return { out: b.f('Elu', [x]) };
    case 'selu':
      return { out: b.f('Selu', [x]) };
    case 'sigmoid':
      return { out: b.sigmoid(x), logits: { kind: 'sigmoid', value: x } };
    case 'tanh':
      return { out: b.tanh(x) };
    case 'softmax':
      return { out: b.f('Softmax', [x]), logits: { kind: 'softmax', value: x } };
    case 'log_softmax':
      return { out: b.f('LogSoftmax', [x]) };
    case 'softplus':
      return { out: b.softplus(x) };
    case 'softsign':
      return { out: b.f('Softsign', [x]) };
    case 'swish':
    case 'silu':
      return { out: b.mul(x, b.sigmoid(x)) };
    case 'gelu':
      // The exact form, Keras's default (approximate=False): x·Φ(x).
      return { out: b.mul(b.mul(b.scalar(0.5), x), b.add(b.scalar(1), b.f('Erf', [b.mul(x, b.scalar(Math.SQRT1_2))]))) };
    case 'mish':
      return { out: b.mul(x, b.tanh(b.softplus(x))) };
  }
}
