import { z } from 'zod';
import type { OptimizerSpec } from '../models/index.js';
import { DType, type Output } from './addon.js';
import type { GraphBuilder } from './builder.js';
import type { GraphVariable, VariableStore } from './variables.js';

const FLOAT = { kind: 'type', value: DType.float32 } as const;
const NO_LOCK = { kind: 'bool', value: false } as const;

/**
 * The optimizers that lower, with every argument present: the models schema
 * has already applied Keras's defaults to an object spec, so this only narrows
 * its type-erased output to the arguments the update ops read.
 */
const Lowerable = z.discriminatedUnion('type', [
  z.object({ type: z.literal('sgd'), learning_rate: z.number(), momentum: z.number(), nesterov: z.boolean() }),
  z.object({ type: z.literal('adam'), learning_rate: z.number(), beta_1: z.number(), beta_2: z.number(), epsilon: z.number() }),
  z.object({ type: z.literal('rmsprop'), learning_rate: z.number(), rho: z.number(), momentum: z.number(), epsilon: z.number() }),
]);
type Resolved = z.output<typeof Lowerable>;

/** Keras's defaults for an optimizer given by name. */
const BY_NAME: Record<string, Resolved> = {
  sgd: { type: 'sgd', learning_rate: 0.01, momentum: 0, nesterov: false },
  adam: { type: 'adam', learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 },
  rmsprop: { type: 'rmsprop', learning_rate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7 },
};

/** The optimizer's arguments with Keras's defaults; null when it does not lower. */
export function resolveOptimizer(spec: OptimizerSpec): Resolved | null {
  if (typeof spec === 'string') return BY_NAME[spec.toLowerCase()] ?? null;
  const parsed = Lowerable.safeParse({ ...spec, type: spec.type.toLowerCase() });
  return parsed.success ? parsed.data : null;
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
      switch (spec.type) {
        case 'sgd': {
          if (spec.momentum === 0) {
            return b.op('ResourceApplyGradientDescent', [variable.handle, lr, grad], { T: FLOAT, use_locking: NO_LOCK })[0];
          }
          // Keras: m ← momentum·m − lr·g; w ← w + m (nesterov: w ← w + momentum·m − lr·g).
          const accumulator = store.slot(variable, 'momentum');
          return b.op('ResourceApplyKerasMomentum', [variable.handle, accumulator, lr, grad, b.scalar(spec.momentum)], {
            T: FLOAT,
            use_locking: NO_LOCK,
            use_nesterov: { kind: 'bool', value: spec.nesterov },
          })[0];
        }
        case 'rmsprop': {
          // Keras: v ← ρ·v + (1−ρ)·g²; w ← w − lr·g/√(v+ε) (through a momentum slot that is the step itself at momentum 0).
          const velocity = store.slot(variable, 'velocity');
          const momentum = store.slot(variable, 'momentum');
          return b.op(
            'ResourceApplyRMSProp',
            [variable.handle, velocity, momentum, lr, b.scalar(spec.rho), b.scalar(spec.momentum), b.scalar(spec.epsilon), grad],
            { T: FLOAT, use_locking: NO_LOCK },
          )[0];
        }
        default: {
          const m = store.slot(variable, 'm');
          const v = store.slot(variable, 'v');
          const beta1 = b.scalar(spec.beta_1);
          const beta2 = b.scalar(spec.beta_2);
          const beta1Power = b.f('Pow', [beta1, iteration]);
          const beta2Power = b.f('Pow', [beta2, iteration]);
          return b.op('ResourceApplyAdam', [variable.handle, m, v, beta1Power, beta2Power, lr, beta1, beta2, b.scalar(spec.epsilon), grad], {
            T: FLOAT,
            use_locking: NO_LOCK,
            use_nesterov: { kind: 'bool', value: false },
          })[0];
        }
      }
    });
  });
}
