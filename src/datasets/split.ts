import { ValidationError } from '../errors.js';
import { rowCount, sliceDataset, type Dataset } from './types.js';

/**
 * Keras's `validation_split`: the last `fraction` of the samples, in their given
 * order, before any shuffling. Matches Keras 3's `train_validation_split`
 * (keras/src/trainers/data_adapters/array_slicing.py), which is also tf.keras 2's
 * rule: `split_at = floor(n * (1 - fraction))`, and an error when either part would
 * be empty. `fraction` 0 means no validation, as `fit` treats a falsy split.
 * Both parts are views over the dataset's buffers.
 */
export function splitValidation(
  ds: Dataset,
  fraction: number,
  path = 'fit.validation_split',
): { train: Dataset; validation: Dataset | null } {
  if (!(Number.isFinite(fraction) && fraction >= 0 && fraction < 1)) {
    throw ValidationError.at(path, `expected a number in [0, 1), found ${fraction}`);
  }
  if (fraction === 0) return { train: ds, validation: null };

  const n = rowCount(ds.x);
  const splitAt = Math.floor(n * (1.0 - fraction));
  if (splitAt === 0 || splitAt === n) {
    throw ValidationError.at(
      path,
      `the data has ${n} samples, too few to split into training and validation sets with validation_split=${fraction}`,
    );
  }
  return { train: sliceDataset(ds, 0, splitAt), validation: sliceDataset(ds, splitAt, n) };
}
