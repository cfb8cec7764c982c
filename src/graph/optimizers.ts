import { z } from 'zod';
import type { OptimizerSpec } from '../models/index.js';
import { DType, type Output } from './addon.js';
import type { GraphBuilder } from './builder.js';
import type { GraphVariable, VariableStore } from './variables.js';

const FLOAT = { kind: 'type', value: DType.float32 } as const;
const NO_LOCK = { kind: 'bool', value: false } as const;

/**
 * Keras 3's arguments that every optimizer takes, at their "off" values, the
 * only ones the models schema accepts today. Listed here so that an argument
 * the schema comes to accept at another value keeps the optimizer off the
 * graph (the job trains eagerly) until its lowering is written.
 */
const OFF = {
  name: z.string().optional(),
  weight_decay: z.null().optional(),
  clipnorm: z.null().optional(),
  clipvalue: z.null().optional(),
  global_clipnorm: z.null().optional(),
  use_ema: z.literal(false).optional(),
  loss_scale_factor: z.null().optional(),
  gradient_accumulation_steps: z.null().optional(),
};

/**
 * The optimizers that lower, with every argument present: the models schema
 * has already applied Keras's defaults to an object spec, so this only narrows
 * its type-erased output to the arguments the update ops read. Strict: an
 * argument not listed does not lower.
 */
const Lowerable = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('sgd'), ...OFF, learning_rate: z.number(), momentum: z.number(), nesterov: z.boolean() }),
  z.strictObject({
    type: z.literal('adam'),
    ...OFF,
    learning_rate: z.number(),
    beta_1: z.number(),
    beta_2: z.number(),
    epsilon: z.number(),
    amsgrad: z.literal(false).optional(),
  }),
  z.strictObject({
    type: z.literal('rmsprop'),
    ...OFF,
    learning_rate: z.number(),
    rho: z.number(),
    momentum: z.number(),
    epsilon: z.number(),
    centered: z.literal(false).optional(),
  }),
  z.strictObject({ type: z.literal('adagrad'), ...OFF, learning_rate: z.number(), initial_accumulator_value: z.number(), epsilon: z.number() }),
  z.strictObject({ type: z.literal('adadelta'), ...OFF, learning_rate: z.number(), rho: z.number(), epsilon: z.number() }),
  z.strictObject({ type: z.literal('adamax'), ...OFF, learning_rate: z.number(), beta_1: z.number(), beta_2: z.number(), epsilon: z.number() }),
]);
type Resolved = z.output<typeof Lowerable>;

/** Keras's defaults for an optimizer given by name. */
const BY_NAME: Record<string, Resolved> = {
  sgd: { type: 'sgd', learning_rate: 0.01, momentum: 0, nesterov: false },
  adam: { type: 'adam', learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 },
  rmsprop: { type: 'rmsprop', learning_rate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7 },
  adagrad: { type: 'adagrad', learning_rate: 0.001, initial_accumulator_value: 0.1, epsilon: 1e-7 },
  adadelta: { type: 'adadelta', learning_rate: 0.001, rho: 0.95, epsilon: 1e-7 },
  adamax: { type: 'adamax', learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 },
};

/** The optimizer's arguments with Keras's defaults; null when it does not lower. */
export function resolveOptimizer(spec: OptimizerSpec): Resolved | null {
  if (typeof spec === 'string') return BY_NAME[spec.toLowerCase()] ?? null;
  const parsed = Lowerable.safeParse({ ...spec, type: spec.type.toLowerCase() });
  return parsed.success ? parsed.data : null;
}

/**
 * One step of Keras 3's update rule (keras/src/optimizers/*.py) for every
 * trainable variable: the `ResourceApply*` op where its arithmetic is Keras's,
 * else the rule written out (Adagrad). Each is checked against steps Keras
 * itself took in test/integration/graph-keras*.test.ts. `iteration` is the
 * 1-based step count that Adam's and Adamax's bias corrections read.
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
    return variables.flatMap((variable, i) => {
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
        case 'adam': {
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
        case 'adagrad':
          return adagrad(b, store, variable, lr, spec.initial_accumulator_value, spec.epsilon, grad);
        case 'adadelta': {
          // Keras: a ← ρ·a + (1−ρ)·g²; Δ ← √(d+ε)/√(a+ε)·g; d ← ρ·d + (1−ρ)·Δ²; w ← w − lr·Δ. ApplyAdadelta's own rule.
          const accumulatedGrad = store.slot(variable, 'accumulated_grad');
          const accumulatedDelta = store.slot(variable, 'accumulated_delta_var');
          return b.op(
            'ResourceApplyAdadelta',
            [variable.handle, accumulatedGrad, accumulatedDelta, lr, b.scalar(spec.rho), b.scalar(spec.epsilon), grad],
            { T: FLOAT, use_locking: NO_LOCK },
          )[0];
        }
        case 'adamax': {
          // Keras: m ← m + (g − m)(1−β₁); u ← max(β₂·u, |g|); w ← w − lr·m / ((1−β₁ᵗ)(u+ε)). ApplyAdaMax's own rule.
          const m = store.slot(variable, 'momentum');
          const u = store.slot(variable, 'norm');
          const beta1 = b.scalar(spec.beta_1);
          const beta1Power = b.f('Pow', [beta1, iteration]);
          return b.op(
            'ResourceApplyAdaMax',
            [variable.handle, m, u, beta1Power, lr, beta1, b.scalar(spec.beta_2), b.scalar(spec.epsilon), grad],
            { T: FLOAT, use_locking: NO_LOCK },
          )[0];
        }
      }
    });
  });
}

/**
 * Keras 3's Adagrad, a ← a + g²; w ← w − lr·g/√(a+ε), written out:
 * ApplyAdagradV2 adds ε outside the square root, lr·g/(√a+ε).
 */
function adagrad(b: GraphBuilder, store: VariableStore, variable: GraphVariable, lr: Output, initial: number, epsilon: number, grad: Output): string[] {
  const handle = store.slot(variable, 'accumulator', initial);
  // The new value is computed from this read, so the read runs before the assignment below.
  const accumulator = b.add(b.op('ReadVariableOp', [handle], { dtype: FLOAT }), b.square(grad));
  const [assign] = b.op('AssignVariableOp', [handle, accumulator], { dtype: FLOAT });
  const step = b.div(b.mul(lr, grad), b.sqrt(b.add(accumulator, b.scalar(epsilon))));
  const [apply] = b.op('AssignSubVariableOp', [variable.handle, step], { dtype: FLOAT });
  return [assign, apply];
}
