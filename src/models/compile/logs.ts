import type { CompileSpec } from './compile.js';
import { metricKey, tfjsMetricKey } from './metrics.js';

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
    const tfjsKey = tfjsMetricKey(name);
    rename.set(name, key);
    if (tfjsKey) rename.set(tfjsKey, key);
  }
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(logs)) {
    const prefix = key.startsWith('val_') ? 'val_' : '';
    const base = key.slice(prefix.length);
    out[prefix + (rename.get(base) ?? base)] = value;
  }
  return out;
}
