import type { LatencySummary } from './report-types.js';

/** The value at quantile `q` (0..1) of sorted values, interpolated linearly as numpy's default does. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error('no values');
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  const a = sorted[low] as number;
  const b = sorted[high] as number;
  return a + (b - a) * (position - low);
}

export function summarize(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50_ms: quantile(sorted, 0.5),
    p99_ms: quantile(sorted, 0.99),
    mean_ms: sorted.reduce((sum, v) => sum + v, 0) / sorted.length,
    max_ms: sorted.at(-1) as number,
  };
}
