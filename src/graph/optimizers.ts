import type { OptimizerSpec } from '../models/index.js';
import { DType, type Output } from './addon.js';
import type { GraphBuilder } from './builder.js';
import type { GraphVariable, VariableStore } from './variables.js';

const FLOAT = { kind: 'type', value: DType.float32 } as const;
const NO_LOCK = { kind: 'bool', value: false } as const;

type Resolved = Exclude<OptimizerSpec, string>;

/** Keras's defaults for an optimizer given by name. */
const BY_NAME: Record<string, Resolved> = {
  sgd: { type: 'sgd', learning_rate: 0.01, momentum: 0, nesterov: false },
  adam: { type: 'adam', learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false },
  rmsprop: { type: 'rmsprop', learning_rate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false },
};

/** The optimizer's arguments with Keras's defaults; null when it does not lower. */
export function resolveOptimizer(spec: OptimizerSpec): Resolved | null {
  if (typeof spec !== 'string') return ['sgd', 'adam', 'rmsprop'].includes(spec.type.toLowerCase()) ? spec : null;
  return BY_NAME[spec.toLowerCase()] ?? null;
}

/**
 * One step of Keras 3's update rule for every trainable variable, as the
 * `ResourceApply*` op whose arithmetic is Keras's (checked in the Keras parity
 * test). `iteration` is the 1-based step count Adam's bias correction reads.
 */
export function applyUpdates(
  b: GraphBuilder,
  store: VariableStore,
  spec: Resolved,
  variables: readonly GraphVariable[],
  gradients: readonly Output[],
  iteration: Output,
): string[] {
  return b.scoped('optimizer', () => {
    const lr = b.scalar(spec.learning_rate);
    return variables.map((variable, i) => {
      const grad = gradients[i] as Output;
      switch (spec.type.toLowerCase()) {
        case 'sgd': {
          const s = spec as Extract<Resolved, { type: 'sgd' | 'SGD' }>;
          if (s.momentum === 0) {
            return b.op('ResourceApplyGradientDescent', [variable.handle, lr, grad], { T: FLOAT, use_locking: NO_LOCK })[0];
          }
          // Keras: m ← momentum·m − lr·g; w ← w + m (nesterov: w ← w + momentum·m − lr·g).
          const accumulator = store.slot(variable, 'momentum');
          return b.op('ResourceApplyKerasMomentum', [variable.handle, accumulator, lr, grad, b.scalar(s.momentum)], {
            T: FLOAT,
            use_locking: NO_LOCK,
            use_nesterov: { kind: 'bool', value: s.nesterov },
          })[0];
        }
        case 'rmsprop': {
          const s = spec as Extract<Resolved, { type: 'rmsprop' | 'RMSprop' }>;
          // Keras: v ← ρ·v + (1−ρ)·g²; w ← w − lr·g/√(v+ε) (through a momentum slot that is the step itself at momentum 0).
          const velocity = store.slot(variable, 'velocity');
          const momentum = store.slot(variable, 'momentum');
          return b.op(
            'ResourceApplyRMSProp',
            [variable.handle, velocity, momentum, lr, b.scalar(s.rho), b.scalar(s.momentum), b.scalar(s.epsilon), grad],
            { T: FLOAT, use_locking: NO_LOCK },
          )[0];
        }
        default: {
          const s = spec as Extract<Resolved, { type: 'adam' | 'Adam' }>;
          const m = store.slot(variable, 'm');
          const v = store.slot(variable, 'v');
          const beta1 = b.scalar(s.beta_1);
          const beta2 = b.scalar(s.beta_2);
          const beta1Power = b.f('Pow', [beta1, iteration]);
          const beta2Power = b.f('Pow', [beta2, iteration]);
          return b.op('ResourceApplyAdam', [variable.handle, m, v, beta1Power, beta2Power, lr, beta1, beta2, b.scalar(s.epsilon), grad], {
            T: FLOAT,
            use_locking: NO_LOCK,
            use_nesterov: { kind: 'bool', value: false },
          })[0];
        }
      }
    });
  });
}
