import { DType, type Output } from './addon.js';
import type { Activated } from './activations.js';
import type { GraphBuilder } from './builder.js';

/** Keras's backend epsilon, which its losses clip with. */
const EPSILON = 1e-7;

/** The model's output and labels as a loss or metric sees them. */
export interface Target {
  prediction: Activated;
  labels: Output;
  /** Per-sample shapes: the model's output and the labels. */
  outputShape: number[];
  labelShape: number[];
}

/**
 * A loss's per-sample values, and, where the C API has no gradient for the op
 * that computes them, the hand-written backward to splice in: d(sum of
 * `perSample`)/d `wrt`.
 */
export interface LossValue {
  perSample: Output;
  splice?: { wrt: Output; gradient: Output };
}

type LossFn = (b: GraphBuilder, t: Target) => LossValue;

const lastAxisMean = (b: GraphBuilder, x: Output, t: Target) => b.mean(x, [t.outputShape.length]);

/** Class indices as int32, one per sample. */
function classIndices(b: GraphBuilder, labels: Output): Output {
  return b.cast(b.reshape(labels, [-1]), DType.int32);
}

function softmaxLogits(t: Target): Output | null {
  return t.prediction.logits?.kind === 'softmax' && t.outputShape.length === 1 ? t.prediction.logits.value : null;
}

/**
 * Sparse categorical crossentropy. Under a softmax, Keras (TF backend)
 * computes it from the logits with SparseSoftmaxCrossEntropyWithLogits, which
 * has no gradient in the C API: its second output is d loss / d logits, spliced in.
 */
function sparseCategoricalCrossentropy(b: GraphBuilder, t: Target): LossValue {
  const logits = softmaxLogits(t);
  const labels = classIndices(b, t.labels);
  if (logits) {
    const op = b.f('SparseSoftmaxCrossEntropyWithLogits', [logits, labels], { Tlabels: { kind: 'type', value: DType.int32 } });
    const backprop: Output = [op[0], 1];
    return { perSample: op, splice: { wrt: logits, gradient: backprop } };
  }
  const classes = t.outputShape.at(-1) as number;
  const oneHot = b.op('OneHot', [labels, b.intScalar(classes), b.scalar(1), b.scalar(0)], {
    T: { kind: 'type', value: DType.float32 },
    TI: { kind: 'type', value: DType.int32 },
    axis: { kind: 'int', value: -1 },
  });
  return categoricalFromProbabilities(b, oneHot, t.prediction.out, t);
}

function categoricalFromProbabilities(b: GraphBuilder, labels: Output, p: Output, t: Target): LossValue {
  const axis = t.outputShape.length;
  const normalized = b.clip(b.div(p, b.sum(p, [axis], true)), EPSILON, 1 - EPSILON);
  return { perSample: b.neg(b.sum(b.mul(labels, b.log(normalized)), [axis])) };
}

function categoricalCrossentropy(b: GraphBuilder, t: Target): LossValue {
  const logits = softmaxLogits(t);
  if (logits) return { perSample: b.f('SoftmaxCrossEntropyWithLogits', [logits, t.labels]) };
  return categoricalFromProbabilities(b, t.labels, t.prediction.out, t);
}

function binaryCrossentropy(b: GraphBuilder, t: Target): LossValue {
  const logits = t.prediction.logits?.kind === 'sigmoid' ? t.prediction.logits.value : null;
  if (logits) {
    // tf.nn.sigmoid_cross_entropy_with_logits: max(x, 0) − x·z + log(1 + exp(−|x|)), with max and |x| as selects
    // on x ≥ 0 so that the gradient at x = 0 (a dead ReLU layer before a zero bias) is σ(0) − z, not −z.
    const positive = b.op('GreaterEqual', [b.stopGradient(logits), b.scalar(0)], { T: { kind: 'type', value: DType.float32 } });
    const zeros = b.f('ZerosLike', [logits]);
    const relu = b.f('SelectV2', [positive, logits, zeros]);
    const negAbs = b.f('SelectV2', [positive, b.neg(logits), logits]);
    const value = b.add(b.sub(relu, b.mul(logits, t.labels)), b.log1p(b.exp(negAbs)));
    return { perSample: lastAxisMean(b, value, t) };
  }
  const q = b.clip(t.prediction.out, EPSILON, 1 - EPSILON);
  const one = b.scalar(1);
  const value = b.neg(b.add(b.mul(t.labels, b.log(q)), b.mul(b.sub(one, t.labels), b.log(b.sub(one, q)))));
  return { perSample: lastAxisMean(b, value, t) };
}

/**
 * Keras's conversion of 0/1 labels to -1/1 for the hinge losses, made only
 * when every label of the batch is 0 or 1: y + binary·(y − 1). The labels
 * take no part in the gradient.
 */
function hingeLabels(b: GraphBuilder, labels: Output): Output {
  const zeroOrOne = b.add(b.compare('Equal', labels, b.scalar(0)), b.compare('Equal', labels, b.scalar(1)));
  const binary = b.f('Min', [b.reshape(zeroOrOne, [-1]), b.ints([0])], { keep_dims: { kind: 'bool', value: false }, Tidx: { kind: 'type', value: DType.int32 } });
  return b.stopGradient(b.add(labels, b.mul(binary, b.sub(labels, b.scalar(1)))));
}

/** max(1 − y·p, 0) with Keras's labels, with Maximum as Keras writes it: at the kink it passes the gradient, where Relu passes none. */
function hingeMargin(b: GraphBuilder, t: Target): Output {
  return b.maximum(b.sub(b.scalar(1), b.mul(hingeLabels(b, t.labels), t.prediction.out)), b.scalar(0));
}

/** Keras 3's L2 normalization along the last axis: x·min(1/√Σx², 1/ε). */
function l2Normalize(b: GraphBuilder, x: Output, t: Target): Output {
  const squares = b.sum(b.square(x), [t.outputShape.length], true);
  return b.mul(x, b.minimum(b.rsqrt(squares), b.scalar(1 / EPSILON)));
}

function cosineSimilarity(b: GraphBuilder, t: Target): Output {
  return b.sum(b.mul(l2Normalize(b, t.labels, t), l2Normalize(b, t.prediction.out, t)), [t.outputShape.length]);
}

/** Keras's loss functions by canonical name, as per-sample values. */
export const LOSSES: Readonly<Record<string, LossFn>> = {
  mean_squared_error: (b, t) => ({ perSample: lastAxisMean(b, b.square(b.sub(t.prediction.out, t.labels)), t) }),
  mean_absolute_error: (b, t) => ({ perSample: lastAxisMean(b, b.abs(b.sub(t.prediction.out, t.labels)), t) }),
  mean_absolute_percentage_error: (b, t) => {
    const ratio = b.div(b.sub(t.labels, t.prediction.out), b.maximum(b.abs(t.labels), b.scalar(EPSILON)));
    return { perSample: b.mul(b.scalar(100), lastAxisMean(b, b.abs(ratio), t)) };
  },
  mean_squared_logarithmic_error: (b, t) => {
    const eps = b.scalar(EPSILON);
    const diff = b.sub(b.log1p(b.maximum(t.prediction.out, eps)), b.log1p(b.maximum(t.labels, eps)));
    return { perSample: lastAxisMean(b, b.square(diff), t) };
  },
  binary_crossentropy: binaryCrossentropy,
  categorical_crossentropy: categoricalCrossentropy,
  sparse_categorical_crossentropy: sparseCategoricalCrossentropy,
  kl_divergence: (b, t) => {
    const axis = t.outputShape.length;
    const tc = b.clip(t.labels, EPSILON, 1);
    const pc = b.clip(t.prediction.out, EPSILON, 1);
    return { perSample: b.sum(b.mul(tc, b.log(b.div(tc, pc))), [axis]) };
  },
  poisson: (b, t) => {
    const p = t.prediction.out;
    return { perSample: lastAxisMean(b, b.sub(p, b.mul(t.labels, b.log(b.add(p, b.scalar(EPSILON))))), t) };
  },
  log_cosh: (b, t) => {
    const x = b.sub(t.prediction.out, t.labels);
    const value = b.sub(b.add(x, b.softplus(b.mul(b.scalar(-2), x))), b.scalar(Math.log(2)));
    return { perSample: lastAxisMean(b, value, t) };
  },
  hinge: (b, t) => ({ perSample: lastAxisMean(b, hingeMargin(b, t), t) }),
  squared_hinge: (b, t) => ({ perSample: lastAxisMean(b, b.square(hingeMargin(b, t)), t) }),
  categorical_hinge: (b, t) => {
    const axis = t.outputShape.length;
    const p = t.prediction.out;
    const positive = b.sum(b.mul(t.labels, p), [axis]);
    const negative = b.max(b.mul(b.sub(b.scalar(1), t.labels), p), [axis]);
    return { perSample: b.maximum(b.add(b.sub(negative, positive), b.scalar(1)), b.scalar(0)) };
  },
  // Keras minimizes the negative of the metric of the same name.
  cosine_similarity: (b, t) => ({ perSample: b.neg(cosineSimilarity(b, t)) }),
  huber: (b, t) => {
    const error = b.sub(t.prediction.out, t.labels);
    const absolute = b.abs(error);
    const quadratic = b.mul(b.scalar(0.5), b.square(error));
    const linear = b.sub(absolute, b.scalar(0.5));
    // The branch taken has no gradient of its own (and the C API has none for LessEqual).
    const small = b.op('LessEqual', [b.stopGradient(absolute), b.scalar(1)], { T: { kind: 'type', value: DType.float32 } });
    return { perSample: lastAxisMean(b, b.f('SelectV2', [small, quadratic, linear]), t) };
  },
};

// ---------------------------------------------------------------- metrics

type MetricFn = (b: GraphBuilder, t: Target) => Output;

function binaryAccuracy(b: GraphBuilder, t: Target): Output {
  const predicted = b.compare('Greater', t.prediction.out, b.scalar(0.5));
  return lastAxisMean(b, b.compare('Equal', t.labels, predicted), t);
}

function categoricalAccuracy(b: GraphBuilder, t: Target): Output {
  const axis = t.outputShape.length;
  return b.compare('Equal', b.argmax(t.labels, axis), b.argmax(t.prediction.out, axis), DType.int32);
}

function sparseCategoricalAccuracy(b: GraphBuilder, t: Target): Output {
  const labels = b.cast(b.reshape(t.labels, [-1, ...t.outputShape.slice(0, -1)]), DType.int32);
  return b.compare('Equal', labels, b.argmax(t.prediction.out, t.outputShape.length), DType.int32);
}

/** Keras's `accuracy`, chosen from the shapes as compile.ts chooses it. */
function accuracy(b: GraphBuilder, t: Target): Output {
  const units = t.outputShape.at(-1);
  if (units === 1) return binaryAccuracy(b, t);
  const sparse = t.labelShape.length < t.outputShape.length || (t.labelShape.at(-1) === 1 && (units ?? 0) > 1);
  return sparse ? sparseCategoricalAccuracy(b, t) : categoricalAccuracy(b, t);
}

const fromLoss =
  (name: string): MetricFn =>
  (b, t) =>
    (LOSSES[name] as LossFn)(b, t).perSample;

/** Keras's metric names (and aliases) → per-sample values. */
export const METRICS: Readonly<Record<string, MetricFn>> = {
  accuracy,
  acc: accuracy,
  binary_accuracy: binaryAccuracy,
  categorical_accuracy: categoricalAccuracy,
  sparse_categorical_accuracy: sparseCategoricalAccuracy,
  cosine_similarity: cosineSimilarity,
  ...Object.fromEntries(
    (
      [
        ['mean_squared_error', 'mean_squared_error'],
        ['mse', 'mean_squared_error'],
        ['MSE', 'mean_squared_error'],
        ['mean_absolute_error', 'mean_absolute_error'],
        ['mae', 'mean_absolute_error'],
        ['MAE', 'mean_absolute_error'],
        ['mean_absolute_percentage_error', 'mean_absolute_percentage_error'],
        ['mape', 'mean_absolute_percentage_error'],
        ['MAPE', 'mean_absolute_percentage_error'],
        ['mean_squared_logarithmic_error', 'mean_squared_logarithmic_error'],
        ['msle', 'mean_squared_logarithmic_error'],
        ['MSLE', 'mean_squared_logarithmic_error'],
        ['binary_crossentropy', 'binary_crossentropy'],
        ['bce', 'binary_crossentropy'],
        ['BCE', 'binary_crossentropy'],
        ['categorical_crossentropy', 'categorical_crossentropy'],
        ['sparse_categorical_crossentropy', 'sparse_categorical_crossentropy'],
        ['kl_divergence', 'kl_divergence'],
        ['poisson', 'poisson'],
        ['log_cosh_error', 'log_cosh'],
        ['hinge', 'hinge'],
        ['squared_hinge', 'squared_hinge'],
        ['categorical_hinge', 'categorical_hinge'],
      ] as const
    ).map(([name, loss]) => [name, fromLoss(loss)]),
  ),
};
