import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';

type ActivationIdentifier = NonNullable<Parameters<typeof tf.layers.dense>[0]['activation']>;

/**
 * Keras activation names that TensorFlow.js computes the same way, and the
 * tfjs name for each. `gelu` is the exact (erf) form, Keras's default.
 */
const SUPPORTED = {
  linear: 'linear',
  relu: 'relu',
  relu6: 'relu6',
  elu: 'elu',
  selu: 'selu',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  softmax: 'softmax',
  // tfjs registers log-softmax under this name but leaves it out of its type.
  log_softmax: 'logSoftmax' as ActivationIdentifier,
  softplus: 'softplus',
  softsign: 'softsign',
  swish: 'swish',
  silu: 'swish',
  gelu: 'gelu',
  mish: 'mish',
} as const satisfies Record<string, ActivationIdentifier>;

/** Keras activations TensorFlow.js lacks or computes differently, and why. */
const UNSUPPORTED: Record<string, string> = {
  hard_sigmoid:
    "TensorFlow.js's hard_sigmoid is Keras 2's clip(0.2·x + 0.5, 0, 1), not Keras 3's relu6(x + 3) / 6",
  hard_silu: 'TensorFlow.js has no hard_silu',
  hard_swish: 'TensorFlow.js has no hard_swish',
  leaky_relu: 'TensorFlow.js has no leaky_relu activation function',
  exponential: 'TensorFlow.js has no exponential activation',
  celu: 'TensorFlow.js has no celu',
  glu: 'TensorFlow.js has no glu',
  hard_shrink: 'TensorFlow.js has no hard_shrink',
  hard_tanh: 'TensorFlow.js has no hard_tanh',
  log_sigmoid: 'TensorFlow.js has no log_sigmoid',
  soft_shrink: 'TensorFlow.js has no soft_shrink',
  sparse_plus: 'TensorFlow.js has no sparse_plus',
  sparse_sigmoid: 'TensorFlow.js has no sparse_sigmoid',
  sparsemax: 'TensorFlow.js has no sparsemax',
  squareplus: 'TensorFlow.js has no squareplus',
  tanh_shrink: 'TensorFlow.js has no tanh_shrink',
  threshold: 'TensorFlow.js has no threshold activation',
};

export type ActivationName = keyof typeof SUPPORTED;

const NAMES = Object.keys(SUPPORTED) as [ActivationName, ...ActivationName[]];

/** A Keras activation by name; `null` is Keras's `None`, the identity. */
export const ActivationSchema = z
  .enum(NAMES, {
    error: (issue) => {
      if (typeof issue.input !== 'string') return 'an activation is a Keras activation name';
      const reason = UNSUPPORTED[issue.input];
      return reason
        ? `activation "${issue.input}" is not supported: ${reason}`
        : `unknown activation "${issue.input}"; supported: ${NAMES.join(', ')}`;
    },
  })
  .nullable();

export function tfActivation(name: ActivationName | null): ActivationIdentifier {
  return name === null ? 'linear' : SUPPORTED[name];
}
