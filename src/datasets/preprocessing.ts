import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { formatShape, rowCount, sampleSize, type Dataset, type NDArray } from './types.js';

export const PreprocessingSchema = z
  .object({
    standardize: z.boolean().optional(),
    rescale: z.object({ scale: z.number(), offset: z.number().default(0) }).strict().optional(),
    one_hot: z.boolean().optional(),
  })
  .strict();
export type PreprocessingSpec = z.infer<typeof PreprocessingSchema>;

/** What fitting learned, stored with the trained version and applied again at predict and evaluate time. */
export const PreprocessingStateSchema = z.object({
  standardize: z
    .object({
      mean: z.array(z.number()).describe('per feature, over the training rows (after rescale)'),
      std: z.array(z.number()).describe('per feature divisor: the population std, 1 for a constant feature'),
    })
    .optional(),
  rescale: z.object({ scale: z.number(), offset: z.number() }).optional(),
  one_hot: z.object({ num_classes: z.number().int().positive() }).optional(),
});
export type PreprocessingState = z.infer<typeof PreprocessingStateSchema>;

/**
 * scikit-learn's test for a feature whose variance is only rounding error
 * (`_is_constant_feature`); StandardScaler divides such a feature by 1.
 */
function isConstantFeature(variance: number, mean: number, n: number): boolean {
  const eps = Number.EPSILON;
  return variance <= n * eps * variance + (n * mean * eps) ** 2;
}

/**
 * Per-feature mean and divisor as scikit-learn's StandardScaler computes them:
 * float64 accumulation, the corrected two-pass variance, ddof 0. Values are
 * rescaled on the fly rather than copied: MNIST's train split as float64 would be 376 MB.
 */
function fitStandardize(x: NDArray, scale: number, offset: number): { mean: number[]; std: number[] } {
  const rows = rowCount(x);
  const features = sampleSize(x);
  const data = x.data;
  const sum = new Float64Array(features);
  for (let base = 0; base < data.length; base += features) {
    for (let j = 0; j < features; j++) sum[j] = (sum[j] as number) + ((data[base + j] as number) * scale + offset);
  }
  const mean = Array.from(sum, (s) => s / rows);
  const correction = new Float64Array(features);
  const squares = new Float64Array(features);
  for (let base = 0; base < data.length; base += features) {
    for (let j = 0; j < features; j++) {
      const d = (data[base + j] as number) * scale + offset - (mean[j] as number);
      correction[j] = (correction[j] as number) + d;
      squares[j] = (squares[j] as number) + d * d;
    }
  }
  const std = mean.map((m, j) => {
    const c = correction[j] as number;
    const variance = ((squares[j] as number) - (c * c) / rows) / rows;
    return isConstantFeature(variance, m, rows) ? 1 : Math.sqrt(variance);
  });
  return { mean, std };
}

/** Class indices of `y` (shape `[n]` or `[n, 1]`, as Keras's `to_categorical` takes them), checked. */
function classIndices(y: NDArray, numClasses: number | undefined, path: string): number[] {
  const n = rowCount(y);
  if (y.data.length !== n) {
    throw ValidationError.at(path, `one_hot expects class indices of shape [n] or [n, 1], found ${formatShape(y.shape)}`);
  }
  const labels = Array.from(y.data);
  labels.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0 || (numClasses !== undefined && v >= numClasses)) {
      const range = numClasses === undefined ? 'a non-negative integer' : `an integer in [0, ${numClasses})`;
      throw ValidationError.at(`${path}[${i}]`, `expected a class index, ${range}, found ${v}`);
    }
  });
  return labels;
}

/**
 * Learns the preprocessing from the training rows only. Order: `rescale` first
 * (Keras's Rescaling, `x * scale + offset`), then `standardize`, whose mean and std
 * are therefore those of the rescaled data. `one_hot` takes its class count from
 * `numClasses`, else the dataset's class names, else the largest label + 1
 * (as `to_categorical` does).
 */
export function fitPreprocessing(
  spec: PreprocessingSpec | undefined,
  train: Dataset,
  numClasses?: number,
): PreprocessingState {
  const state: PreprocessingState = {};
  if (!spec) return state;
  if (spec.rescale) state.rescale = { scale: spec.rescale.scale, offset: spec.rescale.offset };
  if (spec.standardize) {
    state.standardize = fitStandardize(train.x, state.rescale?.scale ?? 1, state.rescale?.offset ?? 0);
  }
  if (spec.one_hot) {
    const known = numClasses ?? train.classNames?.length;
    const labels = classIndices(train.y, known, 'y');
    const count = known ?? labels.reduce((max, v) => Math.max(max, v), -1) + 1;
    state.one_hot = { num_classes: count };
  }
  return state;
}

/** `x` preprocessed, as a new float32 array of the same shape (also when there is nothing to apply). */
export function transformX(state: PreprocessingState, x: NDArray, path = 'x'): NDArray {
  const features = sampleSize(x);
  const out = new Float32Array(x.data.length);
  const scale = state.rescale?.scale ?? 1;
  const offset = state.rescale?.offset ?? 0;
  const standardize = state.standardize;
  if (standardize && standardize.mean.length !== features) {
    throw ValidationError.at(path, `expected ${standardize.mean.length} values per sample, as in training, found ${features}`);
  }
  const data = x.data;
  if (!standardize) {
    for (let i = 0; i < out.length; i++) out[i] = (data[i] as number) * scale + offset;
  } else {
    const mean = Float64Array.from(standardize.mean);
    const std = Float64Array.from(standardize.std);
    for (let base = 0; base < out.length; base += features) {
      for (let j = 0; j < features; j++) {
        out[base + j] = ((data[base + j] as number) * scale + offset - (mean[j] as number)) / (std[j] as number);
      }
    }
  }
  return { data: out, shape: [...x.shape], dtype: 'float32' };
}

/** `y` one-hot encoded as float32 `[n, num_classes]` when the state says so; otherwise `y` itself. */
export function transformY(state: PreprocessingState, y: NDArray, path = 'y'): NDArray {
  if (!state.one_hot) return y;
  const k = state.one_hot.num_classes;
  const labels = classIndices(y, k, path);
  const out = new Float32Array(labels.length * k);
  labels.forEach((label, i) => {
    out[i * k + label] = 1;
  });
  return { data: out, shape: [labels.length, k], dtype: 'float32' };
}
