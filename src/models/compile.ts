import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';

// ---------------------------------------------------------------- optimizers

const LearningRate = z.number().positive();
const Epsilon = z.number().positive().default(1e-7);

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

const Beta = z.number().min(0).lt(1);

/** Keras 3's optimizers with Keras's defaults (learning rates: sgd 0.01, the others 0.001). */
const OptimizerObject = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal(['sgd', 'SGD']),
      ...commonKeys,
      learning_rate: LearningRate.default(0.01),
      momentum: z.number().min(0).default(0),
      nesterov: z.boolean().default(false),
    }),
    z.strictObject({
      type: z.literal(['adam', 'Adam']),
      ...commonKeys,
      learning_rate: LearningRate.default(0.001),
      beta_1: Beta.default(0.9),
      beta_2: Beta.default(0.999),
      epsilon: Epsilon,
      amsgrad: z.literal(false, { error: 'amsgrad is not supported by TensorFlow.js' }).default(false),
    }),
    z.strictObject({
      type: z.literal(['rmsprop', 'RMSprop']),
      ...commonKeys,
      learning_rate: LearningRate.default(0.001),
      rho: Beta.default(0.9),
      momentum: z.number().min(0).default(0),
      epsilon: Epsilon,
      // tfjs's centered update takes sqrt(ms - mg² - epsilon) where Keras adds epsilon: NaN for small gradients.
      centered: z
        .literal(false, { error: 'centered RMSprop is not supported: TensorFlow.js computes it with the wrong sign of epsilon, which gives NaN weights for small gradients' })
        .default(false),
    }),
    z.strictObject({
      type: z.literal(['adagrad', 'Adagrad']),
      ...commonKeys,
      learning_rate: LearningRate.default(0.001),
      initial_accumulator_value: z.number().nonnegative().default(0.1),
      // tfjs's Adagrad has its epsilon built in, at Keras's default.
      epsilon: z.literal(1e-7, { error: 'TensorFlow.js Adagrad uses epsilon 1e-7 only' }).default(1e-7),
    }),
    z.strictObject({
      type: z.literal(['adadelta', 'Adadelta']),
      ...commonKeys,
      learning_rate: LearningRate.default(0.001),
      rho: Beta.default(0.95),
      epsilon: Epsilon,
    }),
    z.strictObject({
      type: z.literal(['adamax', 'Adamax']),
      ...commonKeys,
      learning_rate: LearningRate.default(0.001),
      beta_1: Beta.default(0.9),
      beta_2: Beta.default(0.999),
      epsilon: Epsilon,
    }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union' ? unknownOptimizer((issue.input as { type?: unknown } | undefined)?.type) : undefined,
  },
);

const OPTIMIZER_NAMES = [
  ...['sgd', 'SGD', 'adam', 'Adam', 'rmsprop', 'RMSprop'],
  ...['adagrad', 'Adagrad', 'adadelta', 'Adadelta', 'adamax', 'Adamax'],
] as const;

function unknownOptimizer(name: unknown): string {
  const known = 'sgd, adam, rmsprop, adagrad, adadelta, adamax';
  if (typeof name === 'string' && ['nadam', 'adamw', 'ftrl', 'lion', 'lamb', 'adafactor'].includes(name.toLowerCase())) {
    return `optimizer "${name}" is not available in TensorFlow.js; use one of ${known}`;
  }
  return `unknown optimizer ${JSON.stringify(name)}; use one of ${known}`;
}

export const OptimizerSchema = z
  .union([z.enum(OPTIMIZER_NAMES, { error: (issue) => unknownOptimizer(issue.input) }), OptimizerObject], {
    error: (issue) => (typeof issue.input === 'string' ? unknownOptimizer(issue.input) : undefined),
  })
  .default('rmsprop');
export type OptimizerSpec = z.output<typeof OptimizerSchema>;

export function createOptimizer(spec: OptimizerSpec): tf.Optimizer {
  const o = typeof spec === 'string' ? OptimizerObject.parse({ type: spec }) : spec;
  switch (o.type) {
    case 'sgd':
    case 'SGD':
      return o.momentum > 0 ? momentum(o.learning_rate, o.momentum, o.nesterov) : tf.train.sgd(o.learning_rate);
    case 'adam':
    case 'Adam':
      return tf.train.adam(o.learning_rate, o.beta_1, o.beta_2, o.epsilon);
    case 'rmsprop':
    case 'RMSprop':
      return tf.train.rmsprop(o.learning_rate, o.rho, o.momentum, o.epsilon, o.centered);
    case 'adagrad':
    case 'Adagrad':
      return tf.train.adagrad(o.learning_rate, o.initial_accumulator_value);
    case 'adadelta':
    case 'Adadelta':
      return tf.train.adadelta(o.learning_rate, o.rho, o.epsilon);
    case 'adamax':
    case 'Adamax':
      return tf.train.adamax(o.learning_rate, o.beta_1, o.beta_2, o.epsilon, 0);
  }
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

// ---------------------------------------------------------------- losses and metrics

type Fn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/** Keras's backend epsilon, which its losses clip with. */
const EPSILON = 1e-7;

const lastAxisMean = (t: tf.Tensor) => tf.mean(t, -1);

/** Keras turns 0/1 labels into -1/1 for the hinge losses, when every label is 0 or 1. */
function hingeLabels(yTrue: tf.Tensor): tf.Tensor {
  const binary = tf.cast(tf.all(tf.logicalOr(tf.equal(yTrue, 0), tf.equal(yTrue, 1))), 'float32');
  return tf.add(yTrue, tf.mul(binary, tf.sub(yTrue, 1)));
}

function l2Normalize(x: tf.Tensor): tf.Tensor {
  return tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x), -1, true), 1e-12)));
}

function oneHotLabels(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const classes = yPred.shape.at(-1) as number;
  const labels = tf.cast(tf.reshape(yTrue, [-1]), 'int32');
  return tf.reshape(tf.oneHot(labels, classes), yPred.shape);
}

function categoricalCrossentropy(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const p = tf.clipByValue(tf.div(yPred, tf.sum(yPred, -1, true)), EPSILON, 1 - EPSILON);
  return tf.neg(tf.sum(tf.mul(yTrue, tf.log(p)), -1));
}

/** Per-sample values, as Keras's functions of the same names compute them. */
const FUNCTIONS = {
  mean_squared_error: (t, p) => lastAxisMean(tf.square(tf.sub(p, t))),
  mean_absolute_error: (t, p) => lastAxisMean(tf.abs(tf.sub(p, t))),
  mean_absolute_percentage_error: (t, p) =>
    tf.mul(100, lastAxisMean(tf.abs(tf.div(tf.sub(t, p), tf.maximum(tf.abs(t), EPSILON))))),
  mean_squared_logarithmic_error: (t, p) =>
    lastAxisMean(tf.square(tf.sub(tf.log1p(tf.maximum(p, EPSILON)), tf.log1p(tf.maximum(t, EPSILON))))),
  binary_crossentropy: (t, p) => {
    const q = tf.clipByValue(p, EPSILON, 1 - EPSILON);
    return lastAxisMean(tf.neg(tf.add(tf.mul(t, tf.log(q)), tf.mul(tf.sub(1, t), tf.log(tf.sub(1, q))))));
  },
  categorical_crossentropy: categoricalCrossentropy,
  sparse_categorical_crossentropy: (t, p) => categoricalCrossentropy(oneHotLabels(t, p), p),
  hinge: (t, p) => lastAxisMean(tf.relu(tf.sub(1, tf.mul(hingeLabels(t), p)))),
  squared_hinge: (t, p) => lastAxisMean(tf.square(tf.relu(tf.sub(1, tf.mul(hingeLabels(t), p))))),
  categorical_hinge: (t, p) => {
    const positive = tf.sum(tf.mul(t, p), -1);
    const negative = tf.max(tf.mul(tf.sub(1, t), p), -1);
    return tf.relu(tf.add(tf.sub(negative, positive), 1));
  },
  kl_divergence: (t, p) => {
    const tc = tf.clipByValue(t, EPSILON, 1);
    const pc = tf.clipByValue(p, EPSILON, 1);
    return tf.sum(tf.mul(tc, tf.log(tf.div(tc, pc))), -1);
  },
  poisson: (t, p) => lastAxisMean(tf.sub(p, tf.mul(t, tf.log(tf.add(p, EPSILON))))),
  log_cosh: (t, p) => {
    const x = tf.sub(p, t);
    return lastAxisMean(tf.sub(tf.add(x, tf.softplus(tf.mul(-2, x))), Math.log(2)));
  },
  huber: (t, p) => {
    const error = tf.sub(p, t);
    const absolute = tf.abs(error);
    return lastAxisMean(tf.where(tf.lessEqual(absolute, 1), tf.mul(0.5, tf.square(error)), tf.sub(absolute, 0.5)));
  },
  cosine_similarity: (t, p) => tf.sum(tf.mul(l2Normalize(t), l2Normalize(p)), -1),
  binary_accuracy: (t, p) => lastAxisMean(tf.cast(tf.equal(t, tf.cast(tf.greater(p, 0.5), t.dtype)), 'float32')),
  categorical_accuracy: (t, p) => tf.cast(tf.equal(tf.argMax(t, -1), tf.argMax(p, -1)), 'float32'),
  sparse_categorical_accuracy: (t, p) => {
    const labels = t.rank === p.rank && t.shape.at(-1) === 1 ? tf.squeeze(t, [-1]) : t;
    return tf.cast(tf.equal(tf.cast(labels, 'int32'), tf.argMax(p, -1)), 'float32');
  },
} satisfies Record<string, Fn>;

/**
 * Keras's `accuracy`: binary when the model has one output unit, sparse
 * categorical when the labels are class indices (one fewer dimension, or a
 * last dimension of 1), else categorical. Decided, as Keras does, from the
 * shapes of the labels and predictions it is given.
 */
function accuracy(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const binary = yPred.shape.at(-1) === 1;
  const sparse = yTrue.rank < yPred.rank || (yTrue.shape.at(-1) === 1 && (yPred.shape.at(-1) ?? 0) > 1);
  if (binary) return FUNCTIONS.binary_accuracy(yTrue, yPred);
  if (sparse) return FUNCTIONS.sparse_categorical_accuracy(yTrue, yPred);
  return FUNCTIONS.categorical_accuracy(yTrue, yPred);
}

type LossName = Exclude<keyof typeof FUNCTIONS, 'binary_accuracy' | 'categorical_accuracy' | 'sparse_categorical_accuracy'>;

/** The regression errors and their short names, which Keras accepts alike as losses and as metrics. */
const ERROR_NAMES = {
  mean_squared_error: 'mean_squared_error',
  mse: 'mean_squared_error',
  MSE: 'mean_squared_error',
  mean_absolute_error: 'mean_absolute_error',
  mae: 'mean_absolute_error',
  MAE: 'mean_absolute_error',
  mean_absolute_percentage_error: 'mean_absolute_percentage_error',
  mape: 'mean_absolute_percentage_error',
  MAPE: 'mean_absolute_percentage_error',
  mean_squared_logarithmic_error: 'mean_squared_logarithmic_error',
  msle: 'mean_squared_logarithmic_error',
  MSLE: 'mean_squared_logarithmic_error',
} as const satisfies Record<string, LossName>;

/** Keras's loss names and aliases → the canonical Keras name. */
const LOSS_NAMES: Record<string, LossName> = {
  ...ERROR_NAMES,
  binary_crossentropy: 'binary_crossentropy',
  categorical_crossentropy: 'categorical_crossentropy',
  sparse_categorical_crossentropy: 'sparse_categorical_crossentropy',
  hinge: 'hinge',
  squared_hinge: 'squared_hinge',
  categorical_hinge: 'categorical_hinge',
  kl_divergence: 'kl_divergence',
  kld: 'kl_divergence',
  KLD: 'kl_divergence',
  kullback_leibler_divergence: 'kl_divergence',
  poisson: 'poisson',
  log_cosh: 'log_cosh',
  logcosh: 'log_cosh',
  huber: 'huber',
  cosine_similarity: 'cosine_similarity',
};

/** Where Keras's loss is not its metric of the same name: cosine similarity is minimized as its negative. */
const LOSS_FUNCTIONS: Record<LossName, Fn> = {
  ...FUNCTIONS,
  cosine_similarity: (t, p) => tf.neg(FUNCTIONS.cosine_similarity(t, p)),
};

/**
 * tfjs's own losses where they compute what Keras's do. They are passed by
 * name because tfjs recognises sparse categorical crossentropy by identity
 * to accept class-index labels.
 */
const TFJS_LOSSES: Partial<Record<LossName, string>> = {
  mean_squared_error: 'meanSquaredError',
  mean_absolute_error: 'meanAbsoluteError',
  mean_absolute_percentage_error: 'meanAbsolutePercentageError',
  mean_squared_logarithmic_error: 'meanSquaredLogarithmicError',
  binary_crossentropy: 'binaryCrossentropy',
  categorical_crossentropy: 'categoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  categorical_hinge: 'categoricalHinge',
  poisson: 'poisson',
  log_cosh: 'logcosh',
};

const UNSUPPORTED_LOSSES = [
  'binary_focal_crossentropy',
  'categorical_focal_crossentropy',
  'categorical_generalized_cross_entropy',
  'ctc',
  'dice',
  'tversky',
  'circle',
];

export const LossSchema = z.enum(Object.keys(LOSS_NAMES) as [string, ...string[]], {
  error: (issue) =>
    typeof issue.input === 'string' && UNSUPPORTED_LOSSES.includes(issue.input)
      ? `loss "${issue.input}" is not available in TensorFlow.js`
      : `unknown loss ${JSON.stringify(issue.input)}; use a Keras loss name such as mse, binary_crossentropy, ` +
        'sparse_categorical_crossentropy',
});

/** The canonical Keras name of a loss: `mse` → `mean_squared_error`. */
export function canonicalLoss(name: string): LossName {
  const canonical = LOSS_NAMES[name];
  if (!canonical) throw new Error(`unknown loss ${name}`);
  return canonical;
}

/** Keras's metric names → what computes them. Names not listed are refused. */
const METRIC_NAMES: Record<string, keyof typeof FUNCTIONS | 'accuracy'> = {
  accuracy: 'accuracy',
  acc: 'accuracy',
  binary_accuracy: 'binary_accuracy',
  categorical_accuracy: 'categorical_accuracy',
  sparse_categorical_accuracy: 'sparse_categorical_accuracy',
  ...ERROR_NAMES,
  binary_crossentropy: 'binary_crossentropy',
  bce: 'binary_crossentropy',
  BCE: 'binary_crossentropy',
  categorical_crossentropy: 'categorical_crossentropy',
  sparse_categorical_crossentropy: 'sparse_categorical_crossentropy',
  hinge: 'hinge',
  squared_hinge: 'squared_hinge',
  categorical_hinge: 'categorical_hinge',
  kl_divergence: 'kl_divergence',
  poisson: 'poisson',
  log_cosh_error: 'log_cosh',
  cosine_similarity: 'cosine_similarity',
};

/** Keras metrics that keep running state over an epoch; tfjs averages per-batch values, which differs. */
const STATEFUL_METRICS = ['root_mean_squared_error', 'precision', 'recall', 'auc', 'r2_score', 'f1_score', 'fbeta_score'];

export const MetricSchema = z.enum(Object.keys(METRIC_NAMES) as [string, ...string[]], {
  error: (issue) => {
    const name = issue.input;
    if (typeof name === 'string' && STATEFUL_METRICS.includes(name)) {
      return `metric "${name}" is computed over the whole epoch in Keras; TensorFlow.js averages per batch, so it is not offered`;
    }
    if (name === 'top_k_categorical_accuracy' || name === 'sparse_top_k_categorical_accuracy') {
      return `metric "${name}" is not available in TensorFlow.js`;
    }
    return `unknown metric ${JSON.stringify(name)}`;
  },
});

/** The history key a metric gets: the name it was given, with `acc` spelled `accuracy`. */
export function metricKey(name: string): string {
  return name === 'acc' ? 'accuracy' : name;
}

export const CompileSchema = z.strictObject({
  optimizer: OptimizerSchema,
  loss: LossSchema,
  metrics: z
    .array(MetricSchema)
    .default([])
    .superRefine((metrics, ctx) => {
      const seen = new Set<string>();
      metrics.forEach((name, i) => {
        const key = metricKey(name);
        if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i], message: `metric "${key}" is listed twice` });
        seen.add(key);
      });
    }),
});
export type CompileSpec = z.output<typeof CompileSchema>;

function named(name: string, fn: Fn): Fn {
  // tfjs names a function metric's logs after the function.
  const wrapper: Fn = (yTrue, yPred) => tf.tidy(() => fn(yTrue, yPred));
  Object.defineProperty(wrapper, 'name', { value: name });
  return wrapper;
}

/**
 * Compiles as Keras's `model.compile` would. The optimizer is created here,
 * so the model is told it owns it and disposes it with itself.
 */
export function compileModel(model: tf.LayersModel, spec: CompileSpec): void {
  const loss = canonicalLoss(spec.loss);
  model.compile({
    optimizer: createOptimizer(spec.optimizer),
    loss: TFJS_LOSSES[loss] ?? named(loss, LOSS_FUNCTIONS[loss]),
    metrics: spec.metrics.map((name) => {
      const target = METRIC_NAMES[name] as keyof typeof FUNCTIONS | 'accuracy';
      return named(metricKey(name), target === 'accuracy' ? accuracy : FUNCTIONS[target]);
    }),
  });
  (model as unknown as { isOptimizerOwned: boolean }).isOptimizerOwned = true;
}

/**
 * Renames tfjs's log keys (epoch logs, `evaluate` results by `metricsNames`)
 * to Keras's: `loss`, `val_loss`, `accuracy`, `val_mse`, ... Keys already
 * Keras's pass through; tfjs's `acc` and camelCase names become the names
 * the compile spec asked for.
 */
export function toKerasLogs(logs: Record<string, number>, compile: CompileSpec | undefined): Record<string, number> {
  const rename = new Map<string, string>([['acc', 'accuracy']]);
  for (const name of compile?.metrics ?? []) {
    const key = metricKey(name);
    const target = METRIC_NAMES[name];
    rename.set(name, key);
    if (target) rename.set(camelCase(target === 'accuracy' ? 'acc' : target), key);
  }
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(logs)) {
    const prefix = key.startsWith('val_') ? 'val_' : '';
    const base = key.slice(prefix.length);
    out[prefix + (rename.get(base) ?? base)] = value;
  }
  return out;
}

function camelCase(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}
