import * as tf from '@tensorflow/tfjs';

/** A per-sample Keras function of labels and predictions: a loss or a metric. */
export type Fn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

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
export const FUNCTIONS = {
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
export function accuracy(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const binary = yPred.shape.at(-1) === 1;
  const sparse = yTrue.rank < yPred.rank || (yTrue.shape.at(-1) === 1 && (yPred.shape.at(-1) ?? 0) > 1);
  if (binary) return FUNCTIONS.binary_accuracy(yTrue, yPred);
  if (sparse) return FUNCTIONS.sparse_categorical_accuracy(yTrue, yPred);
  return FUNCTIONS.categorical_accuracy(yTrue, yPred);
}

/** The regression errors' short names, which Keras accepts alike as losses and as metrics. */
export const ERROR_ALIASES = {
  mean_squared_error: ['mse', 'MSE'],
  mean_absolute_error: ['mae', 'MAE'],
  mean_absolute_percentage_error: ['mape', 'MAPE'],
  mean_squared_logarithmic_error: ['msle', 'MSLE'],
} as const;
