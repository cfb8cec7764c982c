import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { KerasAdadelta, KerasAdam, KerasAdamax } from './keras-optimizers.js';

const LearningRate = z.number().positive();
const Epsilon = z.number().positive().default(1e-7);
const Beta = z.number().min(0).lt(1);

function unsupported(what: string) {
  return z.null({ error: `${what} is not supported by TensorFlow.js optimizers` }).optional();
}

/** Keras 3's optimizer arguments that tfjs has no counterpart for: accepted only at their "off" value. */
const commonKeys = {
  name: z.string().optional(),
  weight_decay: unsupported('weight_decay'),
  clipnorm: unsupported('clipnorm'),
  clipvalue: unsupported('clipvalue'),
  global_clipnorm: unsupported('global_clipnorm'),
  use_ema: z.literal(false, { error: 'use_ema is not supported by TensorFlow.js optimizers' }).optional(),
  loss_scale_factor: unsupported('loss_scale_factor'),
  gradient_accumulation_steps: unsupported('gradient_accumulation_steps'),
};

/**
 * One optimizer of the table, type-erased so that every optimizer fits it.
 * `defineOptimizer` is the only place that narrows the config back.
 */
interface OptimizerEntry {
  /** Keras's names for it, the snake-case one first: the `type` a client writes. */
  readonly aliases: readonly [string, ...string[]];
  /** The object form: `type`, the arguments every optimizer takes, then its own. */
  readonly schema: z.ZodObject;
  create(config: object): tf.Optimizer;
}

function defineOptimizer<const A extends readonly [string, ...string[]], S extends z.ZodRawShape>(spec: {
  aliases: A;
  /** Its own arguments, with Keras's defaults. */
  schema: z.ZodObject<S>;
  create: (config: z.output<z.ZodObject<S>>) => tf.Optimizer;
}): OptimizerEntry {
  return {
    aliases: spec.aliases,
    schema: z.strictObject({ type: z.literal(spec.aliases), ...commonKeys, ...spec.schema.shape }),
    // Safe: createOptimizer hands an entry only configs that its own schema parsed.
    create: (config) => spec.create(config as z.output<z.ZodObject<S>>),
  };
}

/** tfjs's MomentumOptimizer does not free the learning-rate scalar it inherits from SGD; this one does. */
function momentum(learningRate: number, value: number, nesterov: boolean): tf.Optimizer {
  const optimizer = tf.train.momentum(learningRate, value, nesterov);
  const dispose = optimizer.dispose.bind(optimizer);
  optimizer.dispose = () => {
    dispose();
    (optimizer as unknown as { c: tf.Tensor }).c.dispose();
  };
  return optimizer;
}

/**
 * Keras 3's optimizers with Keras's defaults (learning rates: sgd 0.01, the
 * others 0.001). Adding an optimizer is one entry here plus its test.
 */
const OPTIMIZERS: readonly OptimizerEntry[] = [
  defineOptimizer({
    aliases: ['sgd', 'SGD'],
    schema: z.strictObject({
      learning_rate: LearningRate.default(0.01),
      momentum: z.number().min(0).default(0),
      nesterov: z.boolean().default(false),
    }),
    create: (o) => (o.momentum > 0 ? momentum(o.learning_rate, o.momentum, o.nesterov) : tf.train.sgd(o.learning_rate)),
  }),
  defineOptimizer({
    aliases: ['adam', 'Adam'],
    schema: z.strictObject({
      learning_rate: LearningRate.default(0.001),
      beta_1: Beta.default(0.9),
      beta_2: Beta.default(0.999),
      epsilon: Epsilon,
      amsgrad: z.literal(false, { error: 'amsgrad is not supported by TensorFlow.js' }).default(false),
    }),
    // tfjs's Adam adds epsilon after the bias correction, Keras 3 before it.
    create: (o) => new KerasAdam({ learningRate: o.learning_rate, beta1: o.beta_1, beta2: o.beta_2, epsilon: o.epsilon }),
  }),
  defineOptimizer({
    aliases: ['rmsprop', 'RMSprop'],
    schema: z.strictObject({
      learning_rate: LearningRate.default(0.001),
      rho: Beta.default(0.9),
      momentum: z.number().min(0).default(0),
      epsilon: Epsilon,
      // tfjs's centered update takes sqrt(ms - mg² - epsilon) where Keras adds epsilon: NaN for small gradients.
      centered: z
        .literal(false, { error: 'centered RMSprop is not supported: TensorFlow.js computes it with the wrong sign of epsilon, which gives NaN weights for small gradients' })
        .default(false),
    }),
    create: (o) => tf.train.rmsprop(o.learning_rate, o.rho, o.momentum, o.epsilon, o.centered),
  }),
  defineOptimizer({
    aliases: ['adagrad', 'Adagrad'],
    schema: z.strictObject({
      learning_rate: LearningRate.default(0.001),
      initial_accumulator_value: z.number().nonnegative().default(0.1),
      // tfjs's Adagrad has its epsilon built in, at Keras's default.
      epsilon: z.literal(1e-7, { error: 'TensorFlow.js Adagrad uses epsilon 1e-7 only' }).default(1e-7),
    }),
    create: (o) => tf.train.adagrad(o.learning_rate, o.initial_accumulator_value),
  }),
  defineOptimizer({
    aliases: ['adadelta', 'Adadelta'],
    schema: z.strictObject({
      learning_rate: LearningRate.default(0.001),
      rho: Beta.default(0.95),
      epsilon: Epsilon,
    }),
    // tfjs's Adadelta divides by the accumulator from before the step's update, Keras 3 by the updated one.
    create: (o) => new KerasAdadelta({ learningRate: o.learning_rate, rho: o.rho, epsilon: o.epsilon }),
  }),
  defineOptimizer({
    aliases: ['adamax', 'Adamax'],
    schema: z.strictObject({
      learning_rate: LearningRate.default(0.001),
      beta_1: Beta.default(0.9),
      beta_2: Beta.default(0.999),
      epsilon: Epsilon,
    }),
    // tfjs's Adamax cannot export its state for a checkpoint.
    create: (o) => new KerasAdamax({ learningRate: o.learning_rate, beta1: o.beta_1, beta2: o.beta_2, epsilon: o.epsilon }),
  }),
];

const BY_NAME = new Map(OPTIMIZERS.flatMap((entry) => entry.aliases.map((name) => [name, entry] as const)));
const OPTIMIZER_NAMES = OPTIMIZERS.flatMap((entry) => entry.aliases) as [string, ...string[]];
const KNOWN = OPTIMIZERS.map((entry) => entry.aliases[0]).join(', ');
/** Keras optimizers TensorFlow.js has no counterpart for, named as such rather than as unknown. */
const UNAVAILABLE = ['nadam', 'adamw', 'ftrl', 'lion', 'lamb', 'adafactor'];

function unknownOptimizer(name: unknown): string {
  if (typeof name === 'string' && UNAVAILABLE.includes(name.toLowerCase())) {
    return `optimizer "${name}" is not available in TensorFlow.js; use one of ${KNOWN}`;
  }
  return `unknown optimizer ${JSON.stringify(name)}; use one of ${KNOWN}`;
}

// The table's entries are type-erased, so the union states the static type its options share.
const OptimizerObject = z.discriminatedUnion(
  'type',
  OPTIMIZERS.map((entry) => entry.schema) as unknown as [z.ZodObject, ...z.ZodObject[]],
  {
    error: (issue) =>
      issue.code === 'invalid_union' ? unknownOptimizer((issue.input as { type?: unknown } | undefined)?.type) : undefined,
  },
) as unknown as z.ZodType<{ type: string } & Record<string, unknown>, Record<string, unknown>>;

export const OptimizerSchema = z
  .union([z.enum(OPTIMIZER_NAMES, { error: (issue) => unknownOptimizer(issue.input) }), OptimizerObject], {
    error: (issue) => (typeof issue.input === 'string' ? unknownOptimizer(issue.input) : undefined),
  })
  .default('rmsprop');
export type OptimizerSpec = z.output<typeof OptimizerSchema>;

export function createOptimizer(spec: OptimizerSpec): tf.Optimizer {
  const config = typeof spec === 'string' ? OptimizerObject.parse({ type: spec }) : spec;
  const entry = BY_NAME.get(config.type);
  if (!entry) throw new Error(`no optimizer entry for ${config.type}`);
  return entry.create(config);
}
