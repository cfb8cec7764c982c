import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ERROR_ALIASES, FUNCTIONS, type Fn } from './functions.js';

interface LossEntry {
  /** Keras's other names for it; the table's key is the canonical one. */
  readonly aliases: readonly string[];
  /**
   * What tfjs's compile is given: tfjs's own loss by name where it computes
   * what Keras's does (tfjs recognises sparse categorical crossentropy by
   * identity to accept class-index labels), else Keras's function.
   */
  readonly tfjs: string | Fn;
}

/** Keras's losses by canonical name. Adding a loss is one entry here plus its test. */
const LOSSES = {
  mean_squared_error: { aliases: ERROR_ALIASES.mean_squared_error, tfjs: 'meanSquaredError' },
  mean_absolute_error: { aliases: ERROR_ALIASES.mean_absolute_error, tfjs: 'meanAbsoluteError' },
  mean_absolute_percentage_error: { aliases: ERROR_ALIASES.mean_absolute_percentage_error, tfjs: 'meanAbsolutePercentageError' },
  mean_squared_logarithmic_error: { aliases: ERROR_ALIASES.mean_squared_logarithmic_error, tfjs: 'meanSquaredLogarithmicError' },
  binary_crossentropy: { aliases: [], tfjs: 'binaryCrossentropy' },
  categorical_crossentropy: { aliases: [], tfjs: 'categoricalCrossentropy' },
  sparse_categorical_crossentropy: { aliases: [], tfjs: 'sparseCategoricalCrossentropy' },
  hinge: { aliases: [], tfjs: FUNCTIONS.hinge },
  squared_hinge: { aliases: [], tfjs: FUNCTIONS.squared_hinge },
  categorical_hinge: { aliases: [], tfjs: 'categoricalHinge' },
  kl_divergence: { aliases: ['kld', 'KLD', 'kullback_leibler_divergence'], tfjs: FUNCTIONS.kl_divergence },
  poisson: { aliases: [], tfjs: 'poisson' },
  log_cosh: { aliases: ['logcosh'], tfjs: 'logcosh' },
  huber: { aliases: [], tfjs: FUNCTIONS.huber },
  // Where Keras's loss is not its metric of the same name: cosine similarity is minimized as its negative.
  cosine_similarity: { aliases: [], tfjs: (t, p) => tf.neg(FUNCTIONS.cosine_similarity(t, p)) },
} satisfies Record<string, LossEntry>;

export type LossName = keyof typeof LOSSES;

/** Every name a client may give → the canonical Keras name. */
const LOSS_NAMES = new Map<string, LossName>(
  (Object.entries(LOSSES) as [LossName, LossEntry][]).flatMap(([name, entry]) => [
    [name, name],
    ...entry.aliases.map((alias) => [alias, name] as [string, LossName]),
  ]),
);

const UNSUPPORTED_LOSSES = [
  'binary_focal_crossentropy',
  'categorical_focal_crossentropy',
  'categorical_generalized_cross_entropy',
  'ctc',
  'dice',
  'tversky',
  'circle',
];

export const LossSchema = z.enum([...LOSS_NAMES.keys()] as [string, ...string[]], {
  error: (issue) =>
    typeof issue.input === 'string' && UNSUPPORTED_LOSSES.includes(issue.input)
      ? `loss "${issue.input}" is not available in TensorFlow.js`
      : `unknown loss ${JSON.stringify(issue.input)}; use a Keras loss name such as mse, binary_crossentropy, ` +
        'sparse_categorical_crossentropy',
});

/** The canonical Keras name of a loss: `mse` → `mean_squared_error`. */
export function canonicalLoss(name: string): LossName {
  const canonical = LOSS_NAMES.get(name);
  if (!canonical) throw new Error(`unknown loss ${name}`);
  return canonical;
}

/** What tfjs's compile is given for a loss, by its canonical name. */
export function tfjsLoss(name: LossName): string | Fn {
  return LOSSES[name].tfjs;
}
