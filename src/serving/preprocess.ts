import { sampleSize, type NDArray } from '../datasets/types.js';
import type { PreprocessingState } from '../datasets/preprocessing.js';
import { ValidationError } from '../errors.js';

/**
 * A version's stored preprocessing as one function over fresh float32
 * input, prepared once when the version loads: the arithmetic of
 * `transformX`, applied in place, without its per-call copies.
 */
export function preparePreprocessing(state: PreprocessingState): (x: NDArray, path: string) => NDArray {
  const scale = state.rescale?.scale ?? 1;
  const offset = state.rescale?.offset ?? 0;
  const standardize = state.standardize;
  if (!standardize) {
    if (scale === 1 && offset === 0) return (x) => x;
    return (x) => {
      const data = x.data;
      for (let i = 0; i < data.length; i++) data[i] = (data[i] as number) * scale + offset;
      return x;
    };
  }
  const mean = Float64Array.from(standardize.mean);
  const std = Float64Array.from(standardize.std);
  const features = mean.length;
  return (x, path) => {
    const found = sampleSize(x);
    if (found !== features) throw ValidationError.at(path, `expected ${features} values per sample, as in training, found ${found}`);
    const data = x.data;
    for (let base = 0; base < data.length; base += features) {
      for (let j = 0; j < features; j++) {
        data[base + j] = ((data[base + j] as number) * scale + offset - (mean[j] as number)) / (std[j] as number);
      }
    }
    return x;
  };
}
