import type { NDArray } from '../datasets/types.js';
import { ValidationError } from '../errors.js';

/**
 * Checks labels against the loss and the model's output units. Labels that do
 * not fit train without complaint in tfjs (an out-of-range sparse label
 * one-hots to zeros), so they are refused here. `loss` is the canonical Keras name.
 */
export function checkLabels(loss: string | undefined, units: number | null | undefined, y: NDArray, path = 'dataset.y'): void {
  if (!loss || typeof units !== 'number') return;
  if (loss === 'sparse_categorical_crossentropy') {
    const perSample = y.shape.slice(1);
    if (perSample.some((d) => d !== 1)) {
      throw ValidationError.at(path, `sparse_categorical_crossentropy expects one integer label per sample, found labels of shape [${perSample.join(', ')}]`);
    }
    const bad = y.data.findIndex((v) => !Number.isInteger(v) || v < 0 || v >= units);
    if (bad >= 0) {
      throw ValidationError.at(path, `label ${y.data[bad]} at row ${bad} is not a class index in [0, ${units - 1}] for an output of ${units} units`);
    }
  } else if (loss === 'categorical_crossentropy') {
    const width = y.shape.length === 2 ? y.shape[1] : undefined;
    if (width !== units) {
      throw ValidationError.at(
        path,
        `categorical_crossentropy expects one-hot labels of width ${units}, found labels of shape [${y.shape.slice(1).join(', ')}]; use sparse_categorical_crossentropy for class indices, or preprocessing.one_hot`,
      );
    }
  } else if (loss === 'binary_crossentropy') {
    const bad = y.data.findIndex((v) => v !== 0 && v !== 1);
    if (bad >= 0) throw ValidationError.at(path, `binary_crossentropy expects labels 0 or 1, found ${y.data[bad]} at element ${bad}`);
  }
}
