import { z } from 'zod';
import { ERROR_ALIASES, FUNCTIONS, accuracy, type Fn } from './functions.js';

interface MetricEntry {
  /** Keras's other names for it; the table's key is the canonical one. */
  readonly aliases: readonly string[];
  readonly compute: Fn;
  /** The log key tfjs writes for it, when not the camelCase of the canonical name. */
  readonly tfjsKey?: string;
}

/** Keras's metrics by canonical name; names not listed are refused. Adding a metric is one entry here plus its test. */
const METRICS: Record<string, MetricEntry> = {
  accuracy: { aliases: ['acc'], compute: accuracy, tfjsKey: 'acc' },
  binary_accuracy: { aliases: [], compute: FUNCTIONS.binary_accuracy },
  categorical_accuracy: { aliases: [], compute: FUNCTIONS.categorical_accuracy },
  sparse_categorical_accuracy: { aliases: [], compute: FUNCTIONS.sparse_categorical_accuracy },
  mean_squared_error: { aliases: ERROR_ALIASES.mean_squared_error, compute: FUNCTIONS.mean_squared_error },
  mean_absolute_error: { aliases: ERROR_ALIASES.mean_absolute_error, compute: FUNCTIONS.mean_absolute_error },
  mean_absolute_percentage_error: {
    aliases: ERROR_ALIASES.mean_absolute_percentage_error,
    compute: FUNCTIONS.mean_absolute_percentage_error,
  },
  mean_squared_logarithmic_error: {
    aliases: ERROR_ALIASES.mean_squared_logarithmic_error,
    compute: FUNCTIONS.mean_squared_logarithmic_error,
  },
  binary_crossentropy: { aliases: ['bce', 'BCE'], compute: FUNCTIONS.binary_crossentropy },
  categorical_crossentropy: { aliases: [], compute: FUNCTIONS.categorical_crossentropy },
  sparse_categorical_crossentropy: { aliases: [], compute: FUNCTIONS.sparse_categorical_crossentropy },
  hinge: { aliases: [], compute: FUNCTIONS.hinge },
  squared_hinge: { aliases: [], compute: FUNCTIONS.squared_hinge },
  categorical_hinge: { aliases: [], compute: FUNCTIONS.categorical_hinge },
  kl_divergence: { aliases: [], compute: FUNCTIONS.kl_divergence },
  poisson: { aliases: [], compute: FUNCTIONS.poisson },
  log_cosh_error: { aliases: [], compute: FUNCTIONS.log_cosh, tfjsKey: 'logCosh' },
  cosine_similarity: { aliases: [], compute: FUNCTIONS.cosine_similarity },
};

/** Every name a client may give → its entry. */
const BY_NAME = new Map(
  Object.entries(METRICS).flatMap(([name, entry]) => [[name, entry] as const, ...entry.aliases.map((alias) => [alias, entry] as const)]),
);
const CANONICAL = new Map(Object.entries(METRICS).map(([name, entry]) => [entry, name]));

/** Keras metrics that keep running state over an epoch; tfjs averages per-batch values, which differs. */
const STATEFUL_METRICS = ['root_mean_squared_error', 'precision', 'recall', 'auc', 'r2_score', 'f1_score', 'fbeta_score'];

export const MetricSchema = z.enum([...BY_NAME.keys()] as [string, ...string[]], {
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

/** What computes the metric a client named. */
export function metricFunction(name: string): Fn {
  const entry = BY_NAME.get(name);
  if (!entry) throw new Error(`unknown metric ${name}`);
  return entry.compute;
}

/** The log key tfjs itself would give the metric a client named (`meanSquaredError` for `mse`); undefined for an unknown name. */
export function tfjsMetricKey(name: string): string | undefined {
  const entry = BY_NAME.get(name);
  if (!entry) return undefined;
  return entry.tfjsKey ?? camelCase(CANONICAL.get(entry) as string);
}

function camelCase(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}
