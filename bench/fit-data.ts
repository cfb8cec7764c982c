import { rowCount, sampleSize, sliceRows, type NDArray } from '../src/datasets/types.js';

export interface Arrays {
  x: NDArray;
  y: NDArray;
}

export interface Split {
  train: Arrays;
  validation: Arrays;
}

/** Keras's `validation_split`: the last fraction of the rows, before shuffling (`split_at = floor(n * (1 - f))`). */
export function trainValidationSplit(data: Arrays, fraction: number): Split {
  const n = rowCount(data.x);
  const at = Math.floor(n * (1 - fraction));
  return {
    train: { x: sliceRows(data.x, 0, at), y: sliceRows(data.y, 0, at) },
    validation: { x: sliceRows(data.x, at, n), y: sliceRows(data.y, at, n) },
  };
}

/** scikit-learn's StandardScaler fitted on the training rows (float64 sums, ddof 0, a constant feature divided by 1), applied to both parts. */
export function standardScaler(split: Split): Split {
  const { x } = split.train;
  const features = sampleSize(x);
  const rows = rowCount(x);
  const mean = new Float64Array(features);
  const variance = new Float64Array(features);
  for (let i = 0; i < x.data.length; i++) mean[i % features] = (mean[i % features] as number) + (x.data[i] as number);
  for (let j = 0; j < features; j++) mean[j] = (mean[j] as number) / rows;
  for (let i = 0; i < x.data.length; i++) {
    const d = (x.data[i] as number) - (mean[i % features] as number);
    variance[i % features] = (variance[i % features] as number) + d * d;
  }
  const std = Array.from(variance, (v) => Math.sqrt(v / rows) || 1);
  const scale = (a: NDArray): NDArray => ({
    data: Float32Array.from(a.data, (v, i) => (v - (mean[i % features] as number)) / (std[i % features] as number)),
    shape: a.shape,
    dtype: 'float32',
  });
  return {
    train: { x: scale(split.train.x), y: split.train.y },
    validation: { x: scale(split.validation.x), y: split.validation.y },
  };
}
